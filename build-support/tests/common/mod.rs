//! Fixtures shared by the integration tests. Every "upstream" spec is made here, from the vendored
//! fragment, so the tests need neither Clerk's published file nor the network.
#![allow(dead_code)] // each test crate uses a different part

use std::path::{Path, PathBuf};

use build_support::Fragment;
use build_support::deviations;
use serde_json::{Value, json};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("build-support sits in the workspace")
        .to_path_buf()
}

/// The vendored fragment's path.
pub fn fragment_path() -> PathBuf {
    root().join("openapi/clerk-actor-tokens.yaml")
}

/// The vendored fragment.
pub fn fragment() -> Fragment {
    Fragment::load(&fragment_path()).expect("the vendored fragment loads")
}

/// Wraps a document as a fragment named `name` (used in messages only).
pub fn doc(name: &str, raw: Value) -> Fragment {
    Fragment {
        path: PathBuf::from(name),
        raw,
    }
}

/// A stand-in for Clerk's full spec: the fragment with every recorded deviation undone (so it says
/// what the records say Clerk says), Clerk's own documentation and extensions instead of ours, and
/// an unrelated operation and schema, as the full spec has hundreds of them.
pub fn clerk_like() -> Value {
    let mut doc = deviations::upstream_view(&fragment()).expect("records apply");
    doc["info"]["title"] = json!("Clerk Backend API");
    doc["info"]["description"] =
        json!("The Clerk REST Backend API, meant to be accessed by backend servers.");
    let create = &mut doc["paths"]["/actor_tokens"]["post"];
    create["summary"] = json!("Create actor token");
    create["description"] =
        json!("Create an actor token that can be used to impersonate the given user.");
    create["x-speakeasy-group"] = json!("actorTokens");
    create["requestBody"]["content"]["application/json"]["schema"]["properties"]["actor"]["example"] =
        json!({"sub": "user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb"});
    doc["components"]["responses"]["ActorToken"]["description"] = json!("Success");
    doc["paths"]["/domains"] = json!({
        "get": {
            "operationId": "ListDomains",
            "responses": {
                "200": {
                    "description": "A list of domains",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Domain"}}}
                }
            }
        }
    });
    doc["components"]["schemas"]["Domain"] = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {"id": {"type": "string"}}
    });
    doc
}

/// Writes `content` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("temp dir is writable");
    path
}

/// A document as YAML text.
pub fn yaml(doc: &Value) -> String {
    serde_norway::to_string(doc).expect("JSON values serialize")
}
