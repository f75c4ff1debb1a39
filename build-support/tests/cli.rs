//! The `build-support` binary: output and exit status (0 fine, 1 problems found, 2 unusable
//! input) of each command, on files the tests write.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{clerk_like, fragment_path, write, yaml};
use serde_json::json;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_build-support"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn check_passes_on_the_vendored_fragment() {
    let out = run(&["check"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("all 11 rules pass (5 operations)"));
}

#[test]
fn check_names_each_broken_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = common::fragment().raw;
    raw["components"]["schemas"]["ActorToken"]["properties"]["status"]["enum"] =
        json!(["pending", "accepted"]);
    raw["paths"]["/actor_tokens"]["post"]
        .as_object_mut()
        .unwrap()
        .shift_remove("operationId");
    let bad = write(dir.path(), "bad.yaml", &yaml(&raw));
    let out = run(&["check", "--fragment", p(&bad)]);
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "rule `open-enum` broken at /components/schemas/ActorToken/properties/status/enum"
        ),
        "{err}"
    );
    assert!(
        err.contains("rule `operation-id` broken at /paths/~1actor_tokens/post"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");
}

#[test]
fn unreadable_or_invalid_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yml");
    let bad_yaml = write(dir.path(), "bad.yml", "openapi: [3.0.3\n  paths: {");
    let not_a_map = write(dir.path(), "list.yml", "- a\n- b\n");
    for args in [
        vec!["check", "--fragment", p(&missing)],
        vec!["check", "--fragment", p(&bad_yaml)],
        vec!["diff-upstream", p(&missing)],
        vec!["diff-upstream", p(&bad_yaml)],
        vec!["diff-upstream", p(&not_a_map)],
        vec![
            "diff-upstream",
            p(&fragment_path()),
            "--fragment",
            p(&missing),
        ],
        vec!["extract", p(&bad_yaml), "--operation", "CreateActorToken"],
        vec!["snapshot", "--fragment", p(&missing)],
    ] {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn diff_upstream_exits_0_without_drift_and_1_with_the_pointers() {
    let dir = tempfile::tempdir().unwrap();
    let same = write(dir.path(), "clerk-bapi.yml", &yaml(&clerk_like()));
    let out = run(&["diff-upstream", p(&same)]);
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 0, "{stdout}");
    assert!(
        stdout.contains("diff-upstream: 0 drift, 13 accepted deviation(s)"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("accepted deviation: #/"))
            .count(),
        13
    );

    let mut changed = clerk_like();
    changed["components"]["schemas"]["ActorToken"]["properties"]["created_at"]["type"] =
        json!("string");
    changed["paths"]["/actor_tokens"]["post"]["responses"]["429"] =
        json!({"$ref": "#/components/responses/ClerkErrors"});
    let changed = write(dir.path(), "changed.yml", &yaml(&changed));
    let out = run(&["diff-upstream", p(&changed)]);
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 1, "{stdout}");
    let mut drift: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("drift: "))
        .collect();
    drift.sort_unstable();
    assert_eq!(
        drift,
        [
            r#"drift: #/components/schemas/ActorToken/properties/created_at/type (fragment and upstream): `type` is "integer" here, "string" upstream"#,
            r##"drift: #/paths/~1actor_tokens/post/responses/429 (fragment and upstream): response `429` only upstream: {"$ref":"#/components/responses/ClerkErrors"}"##,
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("diff-upstream: 2 drift, 13 accepted deviation(s)"),
        "{stdout}"
    );
}

#[test]
fn diff_upstream_with_malformed_records_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = common::fragment().raw;
    raw["x-local-deviations"][0]["pointer"] =
        json!("/components/schemas/Nope/additionalProperties");
    let ours = write(dir.path(), "ours.yaml", &yaml(&raw));
    let upstream = write(dir.path(), "clerk-bapi.yml", &yaml(&clerk_like()));
    let out = run(&["diff-upstream", p(&upstream), "--fragment", p(&ours)]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("rule `local-deviations` broken at /x-local-deviations/0"));
}

#[test]
fn extract_writes_a_fragment_that_checks_and_has_no_drift() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = write(dir.path(), "clerk-bapi.yml", &yaml(&clerk_like()));
    let out_path = dir.path().join("clerk-actor-tokens.yaml");
    let out = run(&[
        "extract",
        p(&upstream),
        "--operation",
        "CreateActorToken",
        "RevokeActorToken",
        "--keep-deviations",
        p(&fragment_path()),
        "--output",
        p(&out_path),
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("all build rules pass"));

    let out = run(&["check", "--fragment", p(&out_path)]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = run(&["diff-upstream", p(&upstream), "--fragment", p(&out_path)]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 drift, 7 accepted deviation(s)"));
}

#[test]
fn extract_to_stdout_and_an_unknown_operation() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = write(dir.path(), "clerk-bapi.yml", &yaml(&clerk_like()));
    let out = run(&["extract", p(&upstream), "--operation", "RevokeActorToken"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("# Extracted by"), "{stdout}");
    assert!(stdout.contains("operationId: RevokeActorToken"), "{stdout}");

    let out = run(&["extract", p(&upstream), "--operation", "ListWidgets"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("no operation with operationId `ListWidgets`"));
}

#[test]
fn snapshot_is_up_to_date_and_reports_a_change_with_a_diff() {
    let out = run(&["snapshot"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));

    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(fragment_path()).unwrap();
    let changed = write(
        dir.path(),
        "clerk-actor-tokens.yaml",
        &original.replace("default: 1800", "default: 900"),
    );
    let copy = dir.path().join("client.rs");
    let out = run(&[
        "snapshot",
        "--bless",
        "--fragment",
        p(&fragment_path()),
        "--snapshot",
        p(&copy),
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    let out = run(&[
        "snapshot",
        "--fragment",
        p(&changed),
        "--snapshot",
        p(&copy),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 1, "{stdout}");
    assert!(stdout.contains("-        #[serde(default = \"defaults::default_nzu64::<::std::num::NonZeroU64, 1800>\")]"), "{stdout}");
    assert!(stdout.contains("+        #[serde(default = \"defaults::default_nzu64::<::std::num::NonZeroU64, 900>\")]"), "{stdout}");
    assert!(
        stdout.contains("cargo run -p build-support -- snapshot --bless"),
        "{stdout}"
    );
}

#[test]
fn extract_all_takes_every_operation_that_builds_and_lists_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let mut upstream = clerk_like();
    upstream["paths"]["/domains/{domain_id}"] = json!({
        "delete": {"operationId": "DeleteDomain", "responses": {"204": {"description": "Deleted"}}}
    });
    let upstream = write(dir.path(), "clerk-bapi.yml", &yaml(&upstream));
    let out_path = dir.path().join("all.yaml");
    let out = run(&["extract", p(&upstream), "--all", "--output", p(&out_path)]);
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 0, "{stderr}");
    assert!(
        stderr.contains("needs a decision: DeleteDomain: rule `success-body` at /paths/~1domains~1{domain_id}/delete/responses/204: response 204 has no application/json body"),
        "{stderr}"
    );
    assert!(
        stderr.contains("survey: 6 operation(s) extract and pass every build rule on their own; 1 need a decision by hand (operations per rule: success-body 1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("extracted 6 operation(s); all build rules pass"),
        "{stderr}"
    );
    let out = run(&["check", "--fragment", p(&out_path)]);
    assert!(
        text(&out.stdout).contains("(6 operations)"),
        "{}",
        text(&out.stdout)
    );

    // `--all` and `--operation` exclude each other; one of them is required.
    assert_eq!(code(&run(&["extract", p(&upstream)])), 2);
    let both = run(&[
        "extract",
        p(&upstream),
        "--all",
        "--operation",
        "ListDomains",
    ]);
    assert_eq!(code(&both), 2);
}
