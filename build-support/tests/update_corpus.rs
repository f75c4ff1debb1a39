//! `update` on a corpus of realistic changes to Clerk's spec: each case patches a stand-in for
//! Clerk's spec (the fragment with its recorded deviations undone, Clerk's own documentation, an
//! unrelated operation; see `common::clerk_like`), runs the command on a temporary copy of the
//! workspace's spec files, and checks the report, the exit status, that the fragment still passes
//! `check`, that `diff-upstream` then finds no drift, that this project's descriptions survived and
//! Clerk's did not come in, and that nothing is written when a person must decide.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_build-support");
const FRAGMENT: &str = "openapi/clerk-actor-tokens.yaml";
const FILES: [&str; 4] = [
    FRAGMENT,
    "clerk-actor-tokens/generated/client.rs",
    "clerk-actor-tokens-httpmock/generated/mock.rs",
    "CHANGELOG.md",
];
/// The commit of Clerk's spec the vendored fragment follows (`x-upstream.commit`).
const FRAGMENT_COMMIT: &str = "7987d1b";
/// One of this project's descriptions (Clerk's spec has none there).
const OURS: &str = "Creation time, a Unix timestamp in milliseconds.";
/// One of Clerk's (`common::clerk_like`).
const CLERKS: &str = "Create an actor token that can be used to impersonate the given user.";

/// A temporary copy of the files `update` reads and writes.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for file in FILES {
            let to = dir.path().join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(common::root().join(file), &to).unwrap();
        }
        Self { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).unwrap()
    }

    /// Writes Clerk's spec as `edit` changes it, runs `update` on it, and returns the exit
    /// status, the report (stdout) and the notes (stderr).
    fn update(&self, edit: impl FnOnce(&mut Value)) -> (i32, String, String) {
        self.update_at("c0ffee1", edit)
    }

    /// [`Workspace::update`] with the spec at `commit`.
    fn update_at(&self, commit: &str, edit: impl FnOnce(&mut Value)) -> (i32, String, String) {
        let mut spec = common::clerk_like();
        edit(&mut spec);
        let spec_path = common::write(self.dir.path(), "clerk-bapi.yml", &common::yaml(&spec));
        let out = run(&[
            "update",
            spec_path.to_str().unwrap(),
            "--commit",
            commit,
            "--no-facade-check",
            "--workspace",
            self.dir.path().to_str().unwrap(),
        ]);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn spec(&self) -> PathBuf {
        self.path("clerk-bapi.yml")
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn actor_token(spec: &mut Value) -> &mut Value {
    &mut spec["components"]["schemas"]["ActorToken"]
}

/// The changes to Clerk's spec that the update applies (the ones that need a decision are in
/// their tests).
mod edits {
    use super::actor_token;
    use serde_json::{Value, json};

    pub fn field_added(spec: &mut Value) {
        actor_token(spec)["properties"]["created_by"] =
            json!({"type": "string", "description": "Who."});
    }

    pub fn field_removed(spec: &mut Value) {
        let token = actor_token(spec);
        token["properties"]
            .as_object_mut()
            .unwrap()
            .shift_remove("updated_at");
        token["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "updated_at");
    }

    pub fn nullable_added(spec: &mut Value) {
        actor_token(spec)["properties"]["user_id"]["nullable"] = json!(true);
    }

    pub fn property_no_longer_required(spec: &mut Value) {
        actor_token(spec)["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "status");
    }

    pub fn body_no_longer_required(spec: &mut Value) {
        spec["paths"]["/actor_tokens"]["post"]["requestBody"]["required"] = json!(false);
    }

    pub fn closed_enum_value_added(spec: &mut Value) {
        actor_token(spec)["properties"]["object"]["enum"] =
            json!(["actor_token", "actor_token_v2"]);
    }

    pub fn error_status_added(spec: &mut Value) {
        spec["paths"]["/actor_tokens"]["post"]["responses"]["429"] =
            json!({"$ref": "#/components/responses/ClerkErrors"});
    }

    pub fn error_status_removed(spec: &mut Value) {
        spec["paths"]["/actor_tokens"]["post"]["responses"]
            .as_object_mut()
            .unwrap()
            .shift_remove("402");
    }

    pub fn deviation_made_moot(spec: &mut Value) {
        actor_token(spec)
            .as_object_mut()
            .unwrap()
            .shift_remove("additionalProperties");
    }

    pub fn error_schema_closed(spec: &mut Value) {
        spec["components"]["schemas"]["ClerkError"]["additionalProperties"] = json!(false);
    }
}

/// An applied update: the report is `expected` and then the verdict; the fragment passes the
/// build rules, `diff-upstream` against the same spec finds no drift, our descriptions are kept
/// and Clerk's are not taken, and the changelog names the spec.
fn applied(ws: &Workspace, result: (i32, String, String), expected: &[&str], verdict: &str) {
    let (code, report, notes) = result;
    assert_eq!(code, 0, "report:\n{report}\nnotes:\n{notes}");
    let lines: Vec<&str> = report
        .lines()
        .filter(|l| !l.starts_with("facade: clerk_actor_tokens::raw is"))
        .collect();
    let mut want: Vec<String> = expected.iter().map(ToString::to_string).collect();
    want.push(format!("verdict: {verdict}"));
    assert_eq!(lines, want, "notes:\n{notes}");
    let fragment = ws.path(FRAGMENT);
    let check = run(&["check", "--fragment", fragment.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let drift = run(&[
        "diff-upstream",
        ws.spec().to_str().unwrap(),
        "--fragment",
        fragment.to_str().unwrap(),
    ]);
    assert!(
        drift.status.success(),
        "diff-upstream after update:\n{}",
        String::from_utf8_lossy(&drift.stdout)
    );
    let text = ws.read(FRAGMENT);
    assert!(text.contains(OURS), "our description was lost");
    assert!(
        !text.contains(CLERKS) && !text.contains("x-speakeasy"),
        "Clerk's documentation came in"
    );
    assert!(text.contains("commit: c0ffee1"), "x-upstream not updated");
    assert!(
        ws.read("CHANGELOG.md")
            .contains("Clerk spec 2026-05-12 (commit c0ffee1)")
    );
}

/// A refused update: exit 1, one `decide:` line per point (each starting with `expected`'s
/// entries), and no file changed.
fn refused(ws: &Workspace, result: (i32, String, String), expected: &[&str]) {
    let (code, report, notes) = result;
    assert_eq!(code, 1, "report:\n{report}\nnotes:\n{notes}");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{report}");
    for (line, want) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "{line:?} does not start with {want:?}"
        );
    }
    for file in FILES {
        assert_eq!(
            ws.read(file),
            std::fs::read_to_string(common::root().join(file)).unwrap(),
            "{file} was written"
        );
    }
}

#[test]
fn the_spec_the_fragment_follows_changes_nothing() {
    let ws = Workspace::new();
    let (code, report, notes) = ws.update_at(FRAGMENT_COMMIT, |_| {});
    assert_eq!((code, report.as_str()), (0, "verdict: none\n"), "{notes}");
    assert!(notes.contains("nothing to apply"), "{notes}");
    for file in FILES {
        assert_eq!(
            ws.read(file),
            std::fs::read_to_string(common::root().join(file)).unwrap()
        );
    }
}

#[test]
fn the_same_operations_at_a_new_commit_update_the_provenance_only() {
    let ws = Workspace::new();
    let (code, report, notes) = ws.update(|_| {});
    assert_eq!((code, report.as_str()), (0, "verdict: none\n"), "{notes}");
    assert!(notes.contains("only x-upstream changed"), "{notes}");
    let text = ws.read(FRAGMENT);
    assert!(
        text.contains("commit: c0ffee1") && !text.contains("commit-date"),
        "{text}"
    );
    for file in &FILES[1..] {
        assert_eq!(
            ws.read(file),
            std::fs::read_to_string(common::root().join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn field_added() {
    let ws = Workspace::new();
    let result = ws.update(edits::field_added);
    applied(
        &ws,
        result,
        &[
            "breaking: raw::types::ActorToken: field `created_by` added (Option<String>) (the struct can be built with a literal)",
        ],
        "breaking",
    );
    assert!(
        !ws.read(FRAGMENT).contains("Who."),
        "Clerk's description of the new field came in"
    );
}

#[test]
fn field_removed() {
    let ws = Workspace::new();
    let result = ws.update(edits::field_removed);
    applied(
        &ws,
        result,
        &["breaking: raw::types::ActorToken: field `updated_at` removed"],
        "breaking",
    );
}

#[test]
fn nullable_added_then_removed() {
    let ws = Workspace::new();
    let result = ws.update(edits::nullable_added);
    applied(
        &ws,
        result,
        &[
            "breaking: raw::types::ActorToken: field `user_id` changed from String to Option<String>",
        ],
        "breaking",
    );
    let result = ws.update(|_| {});
    applied(
        &ws,
        result,
        &[
            "breaking: raw::types::ActorToken: field `user_id` changed from Option<String> to String",
        ],
        "breaking",
    );
}

#[test]
fn required_toggled_on_a_property() {
    let ws = Workspace::new();
    let result = ws.update(edits::property_no_longer_required);
    applied(
        &ws,
        result,
        &["breaking: raw::types::ActorToken: field `status` changed from String to Option<String>"],
        "breaking",
    );
}

#[test]
fn required_toggled_on_the_request_body() {
    let ws = Workspace::new();
    let result = ws.update(edits::body_no_longer_required);
    // The positional client takes the body by reference either way: nothing changes for users.
    applied(&ws, result, &[], "none");
}

#[test]
fn enum_value_added_to_the_open_status_enum_needs_a_decision() {
    // The fragment keeps `status` open and records Clerk's three values; a fourth means the
    // record no longer says what Clerk has.
    let ws = Workspace::new();
    let result = ws.update(|spec| {
        actor_token(spec)["properties"]["status"]["enum"] =
            json!(["pending", "accepted", "revoked", "expired"]);
    });
    refused(
        &ws,
        result,
        &["decide: /components/schemas/ActorToken/properties/status/enum: Clerk's spec now has"],
    );
}

#[test]
fn enum_value_added_to_a_closed_enum() {
    let ws = Workspace::new();
    let result = ws.update(edits::closed_enum_value_added);
    // A closed response enum with a second value breaks rule `open-enum`; extract opens it (a
    // plain string, recorded as a deviation), so the field's enum type goes away.
    applied(
        &ws,
        result,
        &[
            "breaking: raw::types::ActorToken: field `object` changed from ActorTokenObject to String",
            "breaking: raw::types::ActorTokenObject: enum removed",
        ],
        "breaking",
    );
    assert!(
        ws.read(FRAGMENT)
            .contains("pointer: /components/schemas/ActorToken/properties/object/enum")
    );
}

#[test]
fn a_new_error_status() {
    let ws = Workspace::new();
    let result = ws.update(edits::error_status_added);
    // The client maps every error status to `ClerkErrors` already; the typed mock gains a method.
    applied(
        &ws,
        result,
        &[
            "additive: clerk_actor_tokens_httpmock::operations::CreateActorTokenThen::too_many_requests: function added",
        ],
        "additive",
    );
}

#[test]
fn an_error_status_removed() {
    let ws = Workspace::new();
    let result = ws.update(edits::error_status_removed);
    // The client is the same; the typed mock loses the answer users may have scripted.
    applied(
        &ws,
        result,
        &[
            "breaking: clerk_actor_tokens_httpmock::operations::CreateActorTokenThen::payment_required: function removed",
        ],
        "breaking",
    );
}

#[test]
fn additional_properties_made_moot_upstream() {
    // Clerk drops `additionalProperties: false` from ActorToken: the recorded deviation is moot.
    let ws = Workspace::new();
    let result = ws.update(edits::deviation_made_moot);
    let notes = result.2.clone();
    applied(&ws, result, &[], "none");
    assert!(notes.contains("is moot"), "{notes}");
    assert!(
        !ws.read(FRAGMENT)
            .contains("pointer: /components/schemas/ActorToken/additionalProperties")
    );
}

#[test]
fn additional_properties_closed_on_an_error_schema() {
    let ws = Workspace::new();
    let result = ws.update(edits::error_schema_closed);
    // Rule `open-response` keeps response objects open: extract drops it and records why.
    applied(&ws, result, &[], "none");
    assert!(
        ws.read(FRAGMENT)
            .contains("pointer: /components/schemas/ClerkError/additionalProperties")
    );
}

#[test]
fn a_new_operation_upstream_is_ignored() {
    let ws = Workspace::new();
    let (code, report, notes) = ws.update_at(FRAGMENT_COMMIT, |spec| {
        spec["paths"]["/users"] = json!({"get": {
            "operationId": "GetUserList",
            "responses": {"200": {"description": "Users", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}
        }});
    });
    assert_eq!((code, report.as_str()), (0, "verdict: none\n"), "{notes}");
    assert!(notes.contains("nothing to apply"), "{notes}");
}

#[test]
fn one_of_our_operations_removed_upstream_needs_a_decision() {
    let ws = Workspace::new();
    let result = ws.update(|spec| {
        spec["paths"]
            .as_object_mut()
            .unwrap()
            .shift_remove("/actor_tokens/{actor_token_id}/revoke");
    });
    refused(
        &ws,
        result,
        &[
            "decide: /paths/~1actor_tokens~1{actor_token_id}~1revoke/post: operation `RevokeActorToken` is no longer in Clerk's spec",
        ],
    );
}

#[test]
fn a_change_that_breaks_a_build_rule_with_no_known_fix_needs_a_decision() {
    // A success answered as plain text: the generator needs one JSON success per operation.
    let ws = Workspace::new();
    let result = ws.update(|spec| {
        spec["components"]["responses"]["ActorToken"]["content"] =
            json!({"text/plain": {"schema": {"type": "string"}}});
    });
    refused(&ws, result, &["decide: "]);
}

#[test]
fn unusable_input_is_exit_2() {
    let ws = Workspace::new();
    let missing = ws.path("nope.yml");
    let out = run(&[
        "update",
        missing.to_str().unwrap(),
        "--workspace",
        ws.dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = Path::new(FRAGMENT);
}

/// A change to Clerk's spec.
type Edit = fn(&mut Value);

/// Every applied case with its verdict, for the cross-check with cargo-semver-checks.
const APPLIED: [(&str, Edit, &str); 10] = [
    ("field added", edits::field_added, "breaking"),
    ("field removed", edits::field_removed, "breaking"),
    ("nullable added", edits::nullable_added, "breaking"),
    (
        "required dropped on a property",
        edits::property_no_longer_required,
        "breaking",
    ),
    (
        "required dropped on the body",
        edits::body_no_longer_required,
        "none",
    ),
    (
        "value added to a closed enum",
        edits::closed_enum_value_added,
        "breaking",
    ),
    ("error status added", edits::error_status_added, "additive"),
    (
        "error status removed",
        edits::error_status_removed,
        "breaking",
    ),
    ("deviation made moot", edits::deviation_made_moot, "none"),
    ("error schema closed", edits::error_schema_closed, "none"),
];

/// The verdicts agree with cargo-semver-checks. For each applied case, on a full copy of the
/// workspace: `update` (which then compiles the facade against the new code), and where the facade
/// still compiles, cargo-semver-checks on the SDK and the typed mocks (built from the snapshots)
/// against this workspace, as a patch release: it must fail exactly when the verdict is
/// `breaking`. Where the
/// facade no longer compiles, the report must say so and the verdict must be `breaking`.
#[test]
#[ignore = "builds the SDK about twice per case; .ci/steps/62-verdicts.sh runs it (it needs cargo-semver-checks)"]
fn verdicts_agree_with_cargo_semver_checks() {
    let target = std::env::var_os("VERDICTS_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join("target/verdicts"));
    let mut table = Vec::new();
    for (name, edit, verdict) in APPLIED {
        let dir = tempfile::tempdir().unwrap();
        let copy = Command::new("cp")
            .arg("-a")
            .args(WORKSPACE_PARTS.iter().map(|p| common::root().join(p)))
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(copy.success(), "copying the workspace");
        let mut spec = common::clerk_like();
        edit(&mut spec);
        let spec_path = common::write(dir.path(), "clerk-bapi.yml", &common::yaml(&spec));
        let out = Command::new(BIN)
            .env("CARGO_TARGET_DIR", &target)
            .args([
                "update",
                spec_path.to_str().unwrap(),
                "--commit",
                "c0ffee1",
                "--workspace",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        let report = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{name}: {report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            report.contains(&format!("verdict: {verdict}\n")),
            "{name}: {report}"
        );
        if report.contains("facade: does not compile") {
            assert_eq!(
                verdict, "breaking",
                "{name}: the facade broke on a non-breaking change: {report}"
            );
            table.push(format!(
                "{name}: verdict {verdict}; the facade no longer compiles (reported)"
            ));
            continue;
        }
        assert!(report.contains("facade: compiles"), "{name}: {report}");
        let semver = Command::new("cargo")
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", &target)
            .args([
                "semver-checks",
                "check-release",
                "-p",
                "clerk-actor-tokens",
                "-p",
                "clerk-actor-tokens-httpmock",
                "--baseline-root",
            ])
            .arg(common::root())
            .args(["--release-type", "patch", "--only-explicit-features"])
            .output()
            .unwrap();
        let says_breaking = !semver.status.success();
        let semver_text = String::from_utf8_lossy(&semver.stdout).to_string()
            + &String::from_utf8_lossy(&semver.stderr);
        assert!(
            !semver_text.contains("error: ") || says_breaking && semver_text.contains("FAIL"),
            "{name}: cargo-semver-checks did not run:\n{semver_text}"
        );
        assert_eq!(
            says_breaking,
            verdict == "breaking",
            "{name}: verdict {verdict}, cargo-semver-checks:\n{semver_text}"
        );
        table.push(format!(
            "{name}: verdict {verdict}; cargo-semver-checks {}",
            if says_breaking {
                "requires a breaking release"
            } else {
                "accepts a patch release"
            }
        ));
    }
    println!("{}", table.join("\n"));
}

/// What a full copy of the workspace needs to build the SDK and run `update` in it.
const WORKSPACE_PARTS: [&str; 12] = [
    "bench",
    "Cargo.toml",
    "Cargo.lock",
    "CHANGELOG.md",
    "README.md",
    "openapi",
    "build-support",
    "clerk-actor-tokens",
    "clerk-actor-tokens-httpmock",
    "fake",
    "cli",
    "tests",
];
