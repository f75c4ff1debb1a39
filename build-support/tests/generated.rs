//! The checked-in `clerk-actor-tokens/generated/client.rs` is exactly what `build.rs` generates.
//!
//! When the fragment (or the generator) changes, this fails with a unified diff of the Rust API and
//! the command that re-blesses the snapshot:
//!
//! ```text
//! UPDATE_GENERATED=1 cargo test -p build-support --test generated
//! ```
//! (or `cargo run -p build-support -- snapshot --bless`).

mod common;

use build_support::generate_from_file;
use build_support::snapshot::{self, SnapshotError};

#[test]
fn the_snapshot_is_what_build_rs_generates() {
    let root = snapshot::workspace_root();
    let fragment = root.join(snapshot::FRAGMENT);
    let snapshot_path = root.join(snapshot::SNAPSHOT);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        let changed = snapshot::bless(&fragment, &snapshot_path).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{}: {}",
            snapshot_path.display(),
            if changed {
                "re-blessed"
            } else {
                "already up to date"
            }
        );
        return;
    }
    // `build.rs` calls `build_script`, which writes exactly this string into OUT_DIR.
    let generated = generate_from_file(&fragment).unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = snapshot::compare(&generated, &snapshot_path) {
        panic!("\n{e}");
    }
}

/// The same for the typed httpmock extension of `clerk-actor-tokens-httpmock`.
#[test]
fn the_httpmock_snapshot_is_what_its_build_rs_generates() {
    let root = snapshot::workspace_root();
    let fragment = root.join(snapshot::FRAGMENT);
    let snapshot_path = root.join(snapshot::HTTPMOCK_SNAPSHOT);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        snapshot::bless_output(snapshot::HTTPMOCK, &fragment, &snapshot_path)
            .unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let generated =
        build_support::generate_httpmock_from_file(&fragment).unwrap_or_else(|e| panic!("{e}"));
    // The mocks match the paths the SDK sends: the server URL's `/v1` in front of each path.
    assert!(generated.contains(r#""^/v1/actor_tokens$""#), "{generated}");
    assert!(
        generated.contains(r#""^/v1/actor_tokens/[^/]*/revoke$""#),
        "{generated}"
    );
    if let Err(e) = snapshot::compare_named(snapshot::HTTPMOCK_SNAPSHOT, &generated, &snapshot_path)
    {
        panic!("\n{e}");
    }
}

/// A changed response of the fragment shows up in the mocks' snapshot as a changed `then` method.
#[test]
fn a_new_documented_response_changes_the_httpmock_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(common::fragment_path()).unwrap();
    let fragment = common::write(dir.path(), "clerk-actor-tokens.yaml", &original);
    let snapshot_copy = dir.path().join("mock.rs");
    std::fs::copy(
        snapshot::workspace_root().join(snapshot::HTTPMOCK_SNAPSHOT),
        &snapshot_copy,
    )
    .unwrap();
    snapshot::check_output(snapshot::HTTPMOCK, &fragment, &snapshot_copy).expect("same fragment");
    // Document a 404 for create too: the generated `then` gains `not_found`.
    let create_404 = original.replacen(
        "        '422':",
        "        '404':\n          $ref: '#/components/responses/ResourceNotFound'\n        '422':",
        1,
    );
    assert_ne!(
        create_404, original,
        "the fragment documents a 422 for create"
    );
    let fragment = common::write(dir.path(), "clerk-actor-tokens.yaml", &create_404);
    let result = snapshot::check_output(snapshot::HTTPMOCK, &fragment, &snapshot_copy);
    let Err(SnapshotError::Mismatch(mismatch)) = result else {
        panic!("a new response must change the mocks: {result:?}");
    };
    assert!(
        mismatch.diff.contains(snapshot::HTTPMOCK_SNAPSHOT),
        "{mismatch}"
    );
    assert!(
        mismatch
            .diff
            .lines()
            .any(|l| l.starts_with('+') && l.contains("pub fn not_found")),
        "{mismatch}"
    );
}

/// Changing one field of the fragment makes the check fail with a readable Rust diff, until the
/// snapshot is re-blessed.
#[test]
fn changing_one_field_fails_with_a_rust_diff_until_re_blessed() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(common::fragment_path()).unwrap();
    // The `format: int64` of the first `created_at`, the actor token's.
    let needle = "        created_at:\n          type: integer\n          format: int64\n";
    assert!(original.contains(needle));
    let changed = original.replacen(
        needle,
        "        created_at:\n          type: integer\n          format: int32\n",
        1,
    );
    // Same file name, so the generated header is the same.
    let fragment = common::write(dir.path(), "clerk-actor-tokens.yaml", &changed);
    let snapshot_copy = dir.path().join("client.rs");
    std::fs::copy(
        snapshot::workspace_root().join(snapshot::SNAPSHOT),
        &snapshot_copy,
    )
    .unwrap();

    let Err(SnapshotError::Mismatch(mismatch)) = snapshot::check(&fragment, &snapshot_copy) else {
        panic!("a changed field must not match the snapshot");
    };
    let removed: Vec<_> = mismatch
        .diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    let added: Vec<_> = mismatch
        .diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(removed, ["-        pub created_at: i64,"], "{mismatch}");
    assert_eq!(added, ["+        pub created_at: i32,"], "{mismatch}");
    let message = mismatch.to_string();
    assert!(message.contains("@@ "), "a unified diff: {message}");
    assert!(message.contains(snapshot::BLESS_COMMAND), "{message}");
    assert!(message.contains(snapshot::BLESS_TEST_COMMAND), "{message}");

    assert!(snapshot::bless(&fragment, &snapshot_copy).unwrap());
    snapshot::check(&fragment, &snapshot_copy).expect("re-blessed");
    assert!(!snapshot::bless(&fragment, &snapshot_copy).unwrap());
}

#[test]
fn a_fragment_that_breaks_a_rule_is_reported_not_diffed() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(common::fragment_path()).unwrap();
    let fragment = common::write(
        dir.path(),
        "clerk-actor-tokens.yaml",
        &original.replace("openapi: 3.0.3", "openapi: 3.1.0"),
    );
    let result = snapshot::check(&fragment, &dir.path().join("client.rs"));
    let Err(SnapshotError::Spec(errors)) = result else {
        panic!("expected rule errors, got {result:?}");
    };
    assert_eq!(errors.0[0].rule, "openapi-version");
}
