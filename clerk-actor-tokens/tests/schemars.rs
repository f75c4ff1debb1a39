//! With the `schemars` feature, the public types describe themselves as JSON Schema, matching the
//! JSON they serialize to.
#![cfg(feature = "schemars")]

use clerk_actor_tokens::{ActorToken, ClerkError};

#[test]
fn actor_token_schema_lists_the_wire_fields() {
    let schema = serde_json::to_value(schemars::schema_for!(ActorToken)).unwrap();
    let properties = schema["properties"].as_object().expect("an object schema");
    for field in [
        "id",
        "status",
        "user_id",
        "actor",
        "token",
        "url",
        "created_at",
        "updated_at",
    ] {
        assert!(properties.contains_key(field), "missing {field}: {schema}");
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        required.contains(&"id") && !required.contains(&"url"),
        "{required:?}"
    );
    let actor = &schema["$defs"]["Actor"];
    assert_eq!(actor["properties"]["sub"]["type"], "string", "{schema}");
}

#[test]
fn clerk_error_schema_has_the_code() {
    let schema = serde_json::to_value(schemars::schema_for!(ClerkError)).unwrap();
    assert!(schema["properties"]["code"].is_object(), "{schema}");
}

#[test]
fn session_schema_lists_the_wire_fields_and_an_open_status() {
    use clerk_actor_tokens::Session;
    let schema = serde_json::to_value(schemars::schema_for!(Session)).unwrap();
    let properties = schema["properties"].as_object().expect("an object schema");
    for field in ["id", "user_id", "client_id", "status", "actor", "expire_at"] {
        assert!(properties.contains_key(field), "missing {field}: {schema}");
    }
    assert!(
        !properties.contains_key("trace_id"),
        "not on the wire: {schema}"
    );
    let status = &schema["$defs"]["SessionStatus"];
    assert_eq!(
        status["type"], "string",
        "an open string, not an enum: {schema}"
    );
    // A value it does not list still matches: the schema does not enumerate them.
    assert!(status.get("enum").is_none(), "{schema}");
}
