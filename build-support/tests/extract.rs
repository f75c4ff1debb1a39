//! `extract` round-trips: what it writes (as YAML, read back) has no drift against the spec it came
//! from and generates a client; with the vendored fragment's records it reproduces that fragment.

mod common;

use build_support::diff::{Report, Verdict, diff_upstream};
use build_support::extract::{self, Extracted};
use build_support::{Fragment, deviations, generate_from_file};
use common::{clerk_like, doc, fragment};
use serde_json::{Value, json};

const BOTH: [&str; 2] = ["CreateActorToken", "RevokeActorToken"];
/// Every operation of the vendored fragment.
const OURS: [&str; 5] = [
    "CreateActorToken",
    "RevokeActorToken",
    "GetSessionList",
    "GetSession",
    "RevokeSession",
];

fn run(upstream: &Value, ids: &[&str], keep: Option<&Fragment>) -> Extracted {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    extract::extract(
        &doc("clerk-bapi.yml", upstream.clone()),
        &ids,
        keep,
        "clerk-bapi.yml",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Writes the YAML, reads it back and generates from it, as a person adding it would.
fn write_and_generate(extracted: &Extracted) -> (Fragment, String) {
    let dir = tempfile::tempdir().unwrap();
    let yaml = extracted.to_yaml("clerk-bapi.yml").unwrap();
    let path = common::write(dir.path(), "clerk-actor-tokens.yaml", &yaml);
    assert!(yaml.contains("  version: '2026-05-12'\n"), "{yaml}");
    let fragment = Fragment::load(&path).unwrap();
    assert_eq!(
        fragment.raw, extracted.doc,
        "YAML round-trip changed the document"
    );
    let code = generate_from_file(&path).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    (fragment, code)
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn pointers(records: &Value) -> Vec<&str> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pointer"].as_str().unwrap())
        .collect()
}

#[test]
fn the_extracted_fragment_has_no_drift_and_generates_a_client() {
    let upstream = clerk_like();
    let extracted = run(&upstream, &BOTH, None);
    let (fragment, code) = write_and_generate(&extracted);

    let report = diff_upstream(&fragment, &doc("clerk-bapi.yml", upstream)).unwrap();
    assert!(!report.has_drift(), "{report:#?}");
    // Exactly the mechanical fixes for the build rules, each recorded with Clerk's value.
    assert_eq!(report.count(Verdict::Accepted), 3, "{report:#?}");
    assert_eq!(
        pointers(&extracted.doc["x-local-deviations"]),
        [
            "/paths/~1actor_tokens/post/requestBody/content/application~1json/schema/properties/actor/additionalProperties",
            "/components/schemas/ActorToken/additionalProperties",
            "/components/schemas/ActorToken/properties/status/enum",
        ]
    );
    let status = &extracted.doc["components"]["schemas"]["ActorToken"]["properties"]["status"];
    assert_eq!(
        status,
        &json!({"type": "string", "x-known-values": ["pending", "accepted", "revoked"]})
    );
    assert!(
        code.contains("pub status: ::std::string::String,"),
        "{code}"
    );
}

#[test]
fn only_the_closure_of_the_references_is_copied_without_documentation() {
    let extracted = run(&clerk_like(), &BOTH, None);
    let d = &extracted.doc;
    assert_eq!(
        keys(&d["paths"]),
        ["/actor_tokens", "/actor_tokens/{actor_token_id}/revoke"]
    );
    assert_eq!(
        keys(&d["components"]),
        ["securitySchemes", "schemas", "responses"]
    );
    assert_eq!(
        keys(&d["components"]["schemas"]),
        ["ActorToken", "ClerkErrors", "ClerkError"]
    );
    assert_eq!(
        keys(&d["components"]["responses"]),
        [
            "ActorToken",
            "ClerkErrors",
            "PaymentRequired",
            "UnprocessableEntity",
            "ResourceNotFound"
        ]
    );
    let create = &d["paths"]["/actor_tokens"]["post"];
    assert_eq!(create.get("summary"), None);
    assert_eq!(create.get("description"), None);
    assert_eq!(create.get("x-speakeasy-group"), None);
    assert_eq!(
        create.pointer("/requestBody/content/application~1json/schema/properties/actor/example"),
        None
    );
    // OpenAPI requires a response description; Clerk's text is not copied.
    assert_eq!(
        d["components"]["responses"]["ActorToken"]["description"],
        json!("")
    );
    assert_eq!(d["x-upstream"]["operations"], json!(BOTH));
}

#[test]
fn with_the_vendored_records_it_reproduces_the_vendored_fragment() {
    let upstream = clerk_like();
    let vendored = fragment();
    let extracted = run(&upstream, &OURS, Some(&vendored));
    let (written, _code) = write_and_generate(&extracted);

    let report = diff_upstream(&written, &doc("clerk-bapi.yml", upstream)).unwrap();
    assert!(!report.has_drift(), "{report:#?}");
    let records = deviations::read(&vendored).unwrap();
    // One accepted difference per record, and four for the session list's whole-schema record
    // (its type, properties, required and items differ).
    assert_eq!(report.count(Verdict::Accepted), records.len() + 3);
    let mut expected: Vec<_> = records.iter().map(|r| r.pointer.as_str()).collect();
    let mut got = pointers(&extracted.doc["x-local-deviations"]);
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);

    // Without the records on either side, the comparison sees no difference at all: the two
    // fragments differ only in documentation.
    let without_records = |mut raw: Value| {
        raw.as_object_mut()
            .unwrap()
            .shift_remove("x-local-deviations");
        raw
    };
    let same = diff_upstream(
        &doc("extracted.yaml", without_records(written.raw)),
        &doc("vendored.yaml", without_records(vendored.raw)),
    )
    .unwrap();
    assert_eq!(same, Report::default());
}

#[test]
fn a_record_clerk_no_longer_matches_is_not_applied_but_the_result_still_builds() {
    let mut upstream = clerk_like();
    upstream["components"]["schemas"]["ActorToken"]["properties"]["status"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!("expired"));
    let extracted = run(&upstream, &BOTH, Some(&fragment()));
    assert!(
        extracted.notes.iter().any(|n| n.starts_with(
            "kept deviation /components/schemas/ActorToken/properties/status/enum not applied"
        )),
        "{:#?}",
        extracted.notes
    );
    let status = &extracted.doc["components"]["schemas"]["ActorToken"]["properties"]["status"];
    assert_eq!(
        status["x-known-values"],
        json!(["pending", "accepted", "revoked", "expired"])
    );
    let (written, _) = write_and_generate(&extracted);
    let report = diff_upstream(&written, &doc("clerk-bapi.yml", upstream)).unwrap();
    assert!(!report.has_drift(), "{report:#?}");
}

#[test]
fn one_operation_takes_only_what_it_needs() {
    let extracted = run(&clerk_like(), &["RevokeActorToken"], Some(&fragment()));
    assert_eq!(
        keys(&extracted.doc["paths"]),
        ["/actor_tokens/{actor_token_id}/revoke"]
    );
    assert_eq!(
        keys(&extracted.doc["components"]["responses"]),
        ["ActorToken", "ClerkErrors", "ResourceNotFound"]
    );
    assert!(
        extracted.notes.iter().any(|n| n.contains(
            "/paths/~1actor_tokens/post/requestBody/content/application~1json/schema/properties/expires_in_seconds/minimum does not apply"
        )),
        "{:#?}",
        extracted.notes
    );
    write_and_generate(&extracted);
}

#[test]
fn an_unknown_operation_is_an_error() {
    let ids = vec!["CreateActorToken".to_string(), "ListWidgets".to_string()];
    let err = extract::extract(&doc("clerk-bapi.yml", clerk_like()), &ids, None, "x").unwrap_err();
    assert_eq!(
        err.0[0].message,
        "there is no operation with operationId `ListWidgets`"
    );
}

/// `clerk_like` with what Clerk's full spec also has: a response component shared by two
/// operations whose inline schema needs a fix, an operation without a JSON success body and one
/// whose request body the generated client cannot send.
fn clerk_at_scale() -> Value {
    let mut upstream = clerk_like();
    upstream["components"]["responses"]["ActorToken"]["content"]["application/json"]["schema"] = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": ["pending", "accepted"]}}
    });
    upstream["paths"]["/domains/{domain_id}"] = json!({
        "delete": {"operationId": "DeleteDomain", "responses": {"204": {"description": "Deleted"}}}
    });
    upstream["paths"]["/domains/{domain_id}/logo"] = json!({
        "put": {
            "operationId": "UploadDomainLogo",
            "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
            "responses": {"200": {"$ref": "#/components/responses/ActorToken"}}
        }
    });
    upstream
}

#[test]
fn operations_that_share_a_fixed_place_record_it_once() {
    let extracted = run(&clerk_at_scale(), &BOTH, None);
    let schema = "/components/responses/ActorToken/content/application~1json/schema";
    let records = pointers(&extracted.doc["x-local-deviations"]);
    for fixed in ["additionalProperties", "properties/status/enum"] {
        let at = format!("{schema}/{fixed}");
        assert_eq!(
            records.iter().filter(|p| **p == at).count(),
            1,
            "{records:#?}"
        );
    }
    // It reads back, passes every rule (with `local-deviations`) and generates.
    write_and_generate(&extracted);
}

#[test]
fn the_survey_names_what_needs_a_decision_and_the_rest_extracts_together() {
    let upstream = doc("clerk-bapi.yml", clerk_at_scale());
    let survey = extract::survey(&upstream, "clerk-bapi.yml");
    assert_eq!(
        survey.extractable,
        [
            "CreateActorToken",
            "RevokeActorToken",
            "GetSessionList",
            "GetSession",
            "RevokeSession",
            "ListDomains"
        ]
    );
    let undecided: Vec<(&str, Vec<&str>)> = survey
        .undecided
        .iter()
        .map(|u| {
            (
                u.operation.as_str(),
                u.problems.iter().map(|p| p.rule).collect(),
            )
        })
        .collect();
    assert_eq!(
        undecided,
        [
            ("DeleteDomain", vec!["success-body"]),
            ("UploadDomainLogo", vec!["request-body"]),
        ]
    );
    let extracted = extract::extract(&upstream, &survey.extractable, None, "clerk-bapi.yml")
        .unwrap_or_else(|e| panic!("{e}"));
    let (written, code) = write_and_generate(&extracted);
    assert!(code.contains("pub async fn list_domains"), "{code}");
    let report = diff_upstream(&written, &upstream).unwrap();
    assert!(!report.has_drift(), "{report:#?}");
}
