//! The API report on the real generator's output: each change to the fragment gives the line a
//! user of the generated client needs, judged by Rust's rules.

mod common;

use build_support::api_diff::{Verdict, compare};
use build_support::generate::generate;
use serde_json::{Value, json};

/// The report (one line per change) and verdict for the fragment changed by `edit`.
fn report(edit: impl FnOnce(&mut Value)) -> (Vec<String>, Verdict) {
    let fragment = common::fragment();
    let before = generate(&fragment).expect("the vendored fragment generates");
    let mut raw = fragment.raw.clone();
    edit(&mut raw);
    let after =
        generate(&common::doc("changed.yaml", raw)).expect("the changed fragment generates");
    let changes = compare("raw", &before, &after).unwrap();
    (
        changes.iter().map(ToString::to_string).collect(),
        Verdict::of(&changes),
    )
}

fn actor_token(doc: &mut Value) -> &mut Value {
    doc.pointer_mut("/components/schemas/ActorToken").unwrap()
}

#[test]
fn the_same_fragment_changes_nothing() {
    assert_eq!(report(|_| {}), (vec![], Verdict::None));
}

#[test]
fn an_optional_response_field_breaks_a_struct_users_can_build() {
    let (lines, verdict) = report(|doc| {
        actor_token(doc)["properties"]["created_by"] = json!({"type": "string"});
    });
    assert_eq!(
        lines,
        [
            "breaking: raw::types::ActorToken: field `created_by` added (Option<String>) (the struct can be built with a literal)"
        ]
    );
    assert_eq!(verdict, Verdict::Breaking);
}

#[test]
fn a_field_no_longer_required_becomes_an_option() {
    let (lines, _) = report(|doc| {
        let required = actor_token(doc)["required"].as_array_mut().unwrap();
        required.retain(|r| r != "user_id");
    });
    assert_eq!(
        lines,
        ["breaking: raw::types::ActorToken: field `user_id` changed from String to Option<String>"]
    );
}

#[test]
fn a_value_added_to_a_closed_enum_is_a_new_variant() {
    let (lines, _) = report(|doc| {
        actor_token(doc)["properties"]["object"]["enum"] = json!(["actor_token", "actor_token_v2"]);
    });
    assert!(
        lines.iter().any(|l| l
            .starts_with("breaking: raw::types::ActorTokenObject: variant `ActorTokenV2` added")),
        "{lines:#?}"
    );
}

#[test]
fn a_removed_field_breaks() {
    let (lines, verdict) = report(|doc| {
        let token = actor_token(doc);
        token["properties"]
            .as_object_mut()
            .unwrap()
            .remove("updated_at");
        token["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "updated_at");
    });
    assert_eq!(
        lines,
        ["breaking: raw::types::ActorToken: field `updated_at` removed"]
    );
    assert_eq!(verdict, Verdict::Breaking);
}
