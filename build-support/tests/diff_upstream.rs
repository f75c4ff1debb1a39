//! `diff-upstream` against modified copies of (a stand-in for) Clerk's spec: each kind of change
//! is reported, at the right pointer in both files, and only recorded deviations are accepted.

mod common;

use build_support::diff::{Difference, Report, Verdict, diff_upstream};
use common::{clerk_like, doc, fragment};
use serde_json::{Value, json};

const CREATE_BODY: &str = "/paths/~1actor_tokens/post/requestBody/content/application~1json/schema";
const REVOKE: &str = "/paths/~1actor_tokens~1{actor_token_id}~1revoke/post";
const ACTOR_TOKEN: &str = "/components/schemas/ActorToken";

/// The report for the vendored fragment against the Clerk-like spec after `change`.
fn report_after(change: impl FnOnce(&mut Value)) -> Report {
    let mut upstream = clerk_like();
    change(&mut upstream);
    diff_upstream(&fragment(), &doc("clerk-bapi.yml", upstream)).expect("records are valid")
}

fn drift(report: &Report) -> Vec<&Difference> {
    report
        .differences
        .iter()
        .filter(|d| d.verdict == Verdict::Drift)
        .collect()
}

/// The one drift line at these pointers, or a failure that shows the whole report.
fn drift_at<'r>(report: &'r Report, fragment_ptr: &str, upstream_ptr: &str) -> &'r Difference {
    let found: Vec<_> = drift(report)
        .into_iter()
        .filter(|d| d.fragment_pointer == fragment_ptr && d.upstream_pointer == upstream_ptr)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one drift at fragment #{fragment_ptr}, upstream #{upstream_ptr}; report:\n{}",
        show(report)
    );
    found[0]
}

fn show(report: &Report) -> String {
    report
        .differences
        .iter()
        .map(|d| format!("  {d}\n"))
        .collect()
}

#[test]
fn an_identical_copy_of_a_spec_without_deviations_reports_nothing() {
    let spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"get": {
            "operationId": "GetThing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"$ref": "#/components/responses/Thing"}}
        }}},
        "components": {
            "schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}},
            "responses": {"Thing": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }
    });
    let report = diff_upstream(&doc("a.yaml", spec.clone()), &doc("b.yaml", spec)).unwrap();
    assert_eq!(report, Report::default());
}

#[test]
fn the_clerk_like_spec_differs_exactly_by_the_recorded_deviations() {
    let report = report_after(|_| {});
    assert!(!report.has_drift(), "{}", show(&report));
    let records = build_support::deviations::read(&fragment()).unwrap();
    // Every accepted difference is at a record or inside the value it records (a record of a
    // whole schema, like the session list's, accounts for one difference per keyword).
    let recorded = |pointer: &str| {
        records
            .iter()
            .any(|r| pointer == r.pointer || pointer.starts_with(&format!("{}/", r.pointer)))
    };
    assert_eq!(report.count(Verdict::Accepted), report.differences.len());
    for d in &report.differences {
        assert!(recorded(&d.fragment_pointer), "{d} has no record");
    }
    for r in records {
        assert!(
            report
                .differences
                .iter()
                .any(|d| (d.fragment_pointer == r.pointer
                    || d.fragment_pointer.starts_with(&format!("{}/", r.pointer)))
                    && d.verdict == Verdict::Accepted),
            "{} not reported as accepted:\n{}",
            r.pointer,
            show(&report)
        );
    }
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn a_removed_response_field_is_drift() {
    let report = report_after(|up| {
        up["components"]["schemas"]["ActorToken"]["properties"]
            .as_object_mut()
            .unwrap()
            .shift_remove("user_id");
    });
    let ptr = format!("{ACTOR_TOKEN}/properties/user_id");
    let d = drift_at(&report, &ptr, &ptr);
    assert!(d.message.starts_with("property `user_id` only here"), "{d}");
    assert_eq!(drift(&report).len(), 1, "{}", show(&report));
}

#[test]
fn a_changed_type_is_drift() {
    let report = report_after(|up| {
        let props = &mut up["paths"]["/actor_tokens"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["properties"];
        props["expires_in_seconds"]["type"] = json!("string");
    });
    let ptr = format!("{CREATE_BODY}/properties/expires_in_seconds/type");
    let d = drift_at(&report, &ptr, &ptr);
    assert_eq!(d.message, r#"`type` is "integer" here, "string" upstream"#);
    assert_eq!(
        d.to_string(),
        format!(
            r#"drift: #{ptr} (fragment and upstream): `type` is "integer" here, "string" upstream"#
        )
    );
}

#[test]
fn a_new_required_request_field_is_drift_twice() {
    let report = report_after(|up| {
        let body = &mut up["paths"]["/actor_tokens"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        body["properties"]["reason"] = json!({"type": "string"});
        body["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("reason"));
    });
    let property = format!("{CREATE_BODY}/properties/reason");
    assert!(
        drift_at(&report, &property, &property)
            .message
            .starts_with("property `reason` only upstream")
    );
    let required = drift_at(
        &report,
        &format!("{CREATE_BODY}/required"),
        &format!("{CREATE_BODY}/required/2"),
    );
    assert_eq!(required.message, r#"`required` has "reason" only upstream"#);
    assert_eq!(drift(&report).len(), 2, "{}", show(&report));
}

#[test]
fn a_new_response_code_is_drift() {
    let report = report_after(|up| {
        up["paths"]["/actor_tokens/{actor_token_id}/revoke"]["post"]["responses"]["401"] =
            json!({"$ref": "#/components/responses/ClerkErrors"});
    });
    let ptr = format!("{REVOKE}/responses/401");
    let d = drift_at(&report, &ptr, &ptr);
    assert!(d.message.starts_with("response `401` only upstream"), "{d}");
}

#[test]
fn a_new_status_value_breaks_the_recorded_deviation() {
    let report = report_after(|up| {
        up["components"]["schemas"]["ActorToken"]["properties"]["status"]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("expired"));
    });
    let ptr = format!("{ACTOR_TOKEN}/properties/status/enum");
    let at_enum: Vec<_> = report
        .differences
        .iter()
        .filter(|d| d.fragment_pointer == ptr)
        .collect();
    assert!(
        at_enum.iter().all(|d| d.verdict == Verdict::Drift),
        "{}",
        show(&report)
    );
    assert!(
        at_enum.iter().any(|d| d.message
            == r#"x-local-deviations records Clerk's value here as ["pending","accepted","revoked"], but Clerk's spec now has ["pending","accepted","revoked","expired"]"#),
        "{}",
        show(&report)
    );
    // The other records still hold.
    assert_eq!(report.count(Verdict::Accepted), 12, "{}", show(&report));
}

#[test]
fn a_new_value_of_a_shared_enum_is_drift_at_its_index() {
    let report = report_after(|up| {
        up["components"]["schemas"]["ActorToken"]["properties"]["object"]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("actor_token_v2"));
    });
    let d = drift_at(
        &report,
        &format!("{ACTOR_TOKEN}/properties/object/enum"),
        &format!("{ACTOR_TOKEN}/properties/object/enum/1"),
    );
    assert_eq!(d.message, r#"`enum` has "actor_token_v2" only upstream"#);
}

#[test]
fn a_changed_default_is_drift() {
    let report = report_after(|up| {
        let props = &mut up["paths"]["/actor_tokens"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["properties"];
        props["session_max_duration_in_seconds"]["default"] = json!(3600);
    });
    let ptr = format!("{CREATE_BODY}/properties/session_max_duration_in_seconds/default");
    assert_eq!(
        drift_at(&report, &ptr, &ptr).message,
        "`default` is 1800 here, 3600 upstream"
    );
}

#[test]
fn a_renamed_or_inlined_component_is_not_drift() {
    let report = report_after(|up| {
        let responses = up["components"]["responses"].as_object_mut().unwrap();
        let actor_token = responses.shift_remove("ActorToken").unwrap();
        responses.insert("ActorTokenResponse".into(), actor_token);
        let renamed = json!({"$ref": "#/components/responses/ActorTokenResponse"});
        up["paths"]["/actor_tokens"]["post"]["responses"]["200"] = renamed.clone();
        up["paths"]["/actor_tokens/{actor_token_id}/revoke"]["post"]["responses"]["200"] = renamed;
        // And one error response written out instead of referenced.
        up["paths"]["/actor_tokens/{actor_token_id}/revoke"]["post"]["responses"]["404"] = json!({
            "description": "Resource not found",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClerkErrors"}}}
        });
    });
    assert!(!report.has_drift(), "{}", show(&report));
    assert_eq!(report.count(Verdict::Accepted), 13);
}

#[test]
fn documentation_and_extensions_are_ignored() {
    let report = report_after(|up| {
        let revoke = &mut up["paths"]["/actor_tokens/{actor_token_id}/revoke"]["post"];
        revoke["summary"] = json!("Revoke actor token");
        revoke["tags"] = json!(["Something else"]);
        revoke["externalDocs"] = json!({"url": "https://example.invalid"});
        revoke["parameters"][0]["description"] = json!("The ID of the actor token to be revoked.");
        revoke["x-speakeasy-name-override"] = json!("revoke");
        up["components"]["schemas"]["ActorToken"]["properties"]["created_at"]["description"] =
            json!("Unix timestamp of creation.");
    });
    assert!(!report.has_drift(), "{}", show(&report));
}

#[test]
fn a_property_named_description_is_compared() {
    let report = report_after(|up| {
        up["components"]["schemas"]["ActorToken"]["properties"]["description"] =
            json!({"type": "string"});
    });
    let ptr = format!("{ACTOR_TOKEN}/properties/description");
    drift_at(&report, &ptr, &ptr);
}

#[test]
fn a_deviation_clerk_has_adopted_is_reported_as_stale() {
    let report = report_after(|up| {
        up["components"]["schemas"]["ActorToken"]["properties"]["token"]["format"] =
            json!("password");
    });
    let ptr = format!("{ACTOR_TOKEN}/properties/token/format");
    assert_eq!(
        drift_at(&report, &ptr, &ptr).message,
        r#"x-local-deviations records Clerk's value here as nothing, but Clerk's spec now has "password""#
    );
    assert_eq!(drift(&report).len(), 1, "{}", show(&report));
}

#[test]
fn security_in_effect_is_compared() {
    let report = report_after(|up| {
        up["paths"]["/actor_tokens/{actor_token_id}/revoke"]["post"]["security"] = json!([]);
    });
    let d = drift_at(&report, "/security", &format!("{REVOKE}/security"));
    assert_eq!(
        d.message,
        r#"`security` is [{"bearerAuth":[]}] here, [] upstream"#
    );
}

#[test]
fn a_changed_security_scheme_is_drift() {
    let report = report_after(|up| {
        up["components"]["securitySchemes"]["bearerAuth"]["scheme"] = json!("basic");
    });
    let ptr = "/components/securitySchemes/bearerAuth/scheme";
    drift_at(&report, ptr, ptr);
}

#[test]
fn parameters_are_matched_by_name_and_location() {
    let report = report_after(|up| {
        let item = &mut up["paths"]["/actor_tokens/{actor_token_id}/revoke"];
        // Moved to the path item: still in effect, not drift.
        let param = item["post"]
            .as_object_mut()
            .unwrap()
            .shift_remove("parameters")
            .unwrap();
        item["parameters"] = param;
        // A new query parameter is.
        item["post"]["parameters"] =
            json!([{"name": "force", "in": "query", "schema": {"type": "boolean"}}]);
    });
    let d = drift_at(
        &report,
        &format!("{REVOKE}/parameters"),
        &format!("{REVOKE}/parameters/0"),
    );
    assert_eq!(d.message, "query parameter `force` only upstream");
    assert_eq!(drift(&report).len(), 1, "{}", show(&report));
}

#[test]
fn a_moved_or_missing_operation_is_drift() {
    let report = report_after(|up| {
        let paths = up["paths"].as_object_mut().unwrap();
        let create = paths.shift_remove("/actor_tokens").unwrap();
        paths.insert("/v2/actor_tokens".into(), create);
        paths.shift_remove("/actor_tokens/{actor_token_id}/revoke");
    });
    let moved = drift_at(
        &report,
        "/paths/~1actor_tokens/post",
        "/paths/~1v2~1actor_tokens/post",
    );
    assert_eq!(
        moved.message,
        "CreateActorToken is POST /actor_tokens here, POST /v2/actor_tokens upstream"
    );
    let missing = drift_at(&report, REVOKE, REVOKE);
    assert!(missing.message.contains("RevokeActorToken"), "{missing}");
}

#[test]
fn a_record_for_a_place_never_compared_is_drift() {
    let mut ours = fragment().raw;
    ours["x-local-deviations"]
        .as_array_mut()
        .unwrap()
        .push(json!({"pointer": "/info/description", "reason": "documentation is ours"}));
    let report = diff_upstream(&doc("f.yaml", ours), &doc("u.yaml", clerk_like())).unwrap();
    let d = drift_at(&report, "/info/description", "/info/description");
    assert!(d.message.contains("never gets here"), "{d}");
}

#[test]
fn a_record_that_explains_nothing_is_a_note() {
    let mut ours = fragment().raw;
    ours["x-local-deviations"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "pointer": "/components/schemas/ActorToken/properties/id/type",
            "upstream": "string",
            "reason": "left over"
        }));
    let report = diff_upstream(&doc("f.yaml", ours), &doc("u.yaml", clerk_like())).unwrap();
    assert!(!report.has_drift(), "{}", show(&report));
    assert_eq!(
        report.notes,
        vec![
            "x-local-deviations entry for /components/schemas/ActorToken/properties/id/type explains nothing: the fragment matches Clerk's spec there; the entry can go"
        ]
    );
}

#[test]
fn malformed_records_are_an_error_not_a_report() {
    let mut ours = fragment().raw;
    ours["x-local-deviations"] =
        json!([{"pointer": "/nowhere/at/all", "reason": "x"}, {"pointer": "/openapi"}]);
    let errors = diff_upstream(&doc("f.yaml", ours), &doc("u.yaml", clerk_like())).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.rule == "local-deviations"));
}
