//! The built `clerk-actor-tokens` binary against the fake: output, exit codes, configuration,
//! the `fake` command's startup line and clean stop, and `demo`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use clerk_actor_tokens::Status;
use clerk_actor_tokens_fake::{FakeClerk, Fault, StatusCode, Target};

const BIN: &str = env!("CARGO_BIN_EXE_clerk-actor-tokens");
const KEY: &str = "sk_test_CLI_SECRET_VALUE";

/// The binary with a clean environment pointed at `fake`.
fn cli(fake: &FakeClerk) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("RUST_LOG")
        .env("CLERK_SECRET_KEY", KEY)
        .env("CLERK_API_URL", fake.base_url());
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    let stdout = String::from_utf8(stdout).unwrap();
    let stderr = String::from_utf8(stderr).unwrap();
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "the key was printed"
    );
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// A port of `ip` where nothing listens for as long as the socket lives: it is bound (so no one
/// else can listen there) and never listens, so a connection to it is refused at once. Not a
/// well-known port assumed free, which a machine may well be serving.
fn closed_port(ip: &str) -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, format!("http://{addr}"))
}

/// What the OS says when a connection to `url` (a [`closed_port`]) is refused, as Rust prints it.
fn refusal_text(url: &str) -> String {
    let addr = url.trim_start_matches("http://");
    std::net::TcpStream::connect(addr)
        .expect_err("nothing listens there")
        .to_string()
}

/// A failure: the exit code, and exactly one line on stderr.
fn fails(command: &mut Command, code: i32) -> String {
    let (status, stdout, stderr) = run(command);
    assert_eq!(status, code, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

#[test]
fn create_prints_the_url_the_id_and_the_revoke_command() {
    let fake = FakeClerk::start_blocking().unwrap();
    let (status, stdout, stderr) = run(cli(&fake).args([
        "create",
        "--user",
        "user_1",
        "--actor",
        "user_admin",
        "--claim",
        "reason=ticket 4411",
        "--claim",
        "team=support",
        "--expires-in",
        "10m",
        "--session-max",
        "15m",
    ]));
    assert_eq!(status, 0, "{stderr}");
    let tokens = fake.tokens();
    assert_eq!(tokens.len(), 1);
    let t = &tokens[0];
    assert!(stdout.contains(t.url.expose()), "{stdout}");
    assert!(
        stdout.contains(&format!("Actor token id: {} (pending)", t.id)),
        "{stdout}"
    );
    assert!(stdout.contains("expires in 10m"), "{stdout}");
    assert!(
        stdout.contains(&format!("  clerk-actor-tokens revoke {}\n", t.id)),
        "{stdout}"
    );
    assert_eq!(t.actor["reason"], "ticket 4411");
    assert_eq!(t.actor["team"], "support");
    assert_eq!(t.expires_at - t.created_at, 600_000);
    assert_eq!(t.session_max_duration, Duration::from_secs(900));

    // The printed command works as printed.
    let (status, stdout, _) = run(cli(&fake).args(["revoke", &t.id]));
    assert_eq!(status, 0);
    assert_eq!(
        stdout,
        format!("Revoked actor token {} (status: revoked)\n", t.id)
    );
    assert_eq!(fake.token(&t.id).unwrap().status, Status::Revoked);
}

#[test]
fn json_output_is_the_actor_token() {
    let fake = FakeClerk::start_blocking().unwrap();
    let (status, stdout, _) =
        run(cli(&fake).args(["create", "--user", "user_u", "--actor", "a", "--json"]));
    assert_eq!(status, 0);
    let token: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(token["status"], "pending");
    assert_eq!(token["actor"]["sub"], "a");
    assert!(token["token"].is_string() && token["url"].is_string());
    let id = token["id"].as_str().unwrap();
    let (status, stdout, _) = run(cli(&fake).args(["revoke", id, "--json"]));
    assert_eq!(status, 0);
    let revoked: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked.get("url").is_none());
}

#[test]
fn clerk_refusals_have_distinct_exit_codes() {
    let fake = FakeClerk::start_blocking().unwrap();
    let create = ["create", "--user", "user_u", "--actor", "a"];
    // Not found: 4.
    let line = fails(cli(&fake).args(["revoke", "act_nope"]), 4);
    assert!(line.contains("resource_not_found"), "{line}");
    // Refused (already revoked): 1.
    run(cli(&fake).args(create));
    let id = fake.tokens()[0].id.clone();
    run(cli(&fake).args(["revoke", &id]));
    let line = fails(cli(&fake).args(["revoke", &id]), 1);
    assert!(line.contains("actor_token_cannot_be_revoked"), "{line}");
    // Rejected key: 3, and the key is not printed (checked in `run`).
    fake.inject(Fault::status(StatusCode::UNAUTHORIZED).on(Target::Create));
    let line = fails(cli(&fake).args(create), 3);
    assert!(line.contains("401"), "{line}");
    // Rate limited (429 on every attempt) and quota: 5.
    fake.inject(
        Fault::status(StatusCode::TOO_MANY_REQUESTS)
            .retry_after(Duration::ZERO)
            .on(Target::Create)
            .times(3),
    );
    fails(cli(&fake).args(create), 5);
    fake.set_monthly_quota(Some(0));
    let line = fails(cli(&fake).args(create), 5);
    assert!(line.contains("impersonation_limit_exceeded"), "{line}");
    fake.set_monthly_quota(None);
    // Plan: 1.
    fake.set_impersonation_enabled(false);
    fails(cli(&fake).args(create), 1);
    fake.set_impersonation_enabled(true);
    // Lost answer on create: 7 (ambiguous), and the message says why it was not retried.
    fake.inject(Fault::status(StatusCode::BAD_GATEWAY).on(Target::Create));
    let line = fails(cli(&fake).args(create), 7);
    assert!(line.contains("may or may not"), "{line}");
    // Unknown user: 8, not the 4 of an unknown token.
    fake.remove_user("user_u");
    let line = fails(cli(&fake).args(create), 8);
    assert!(line.contains("404") && line.contains("user_u"), "{line}");
    // (The 422 form, which the fake does not send, is mapped in `failure`'s unit tests.)
    assert_eq!(fake.token_count(), 1);
}

#[test]
fn configuration_and_usage_failures() {
    let fake = FakeClerk::start_blocking().unwrap();
    let create = ["create", "--user", "user_u", "--actor", "a"];
    // No key at all: 3, pointing at the variable.
    let line = fails(cli(&fake).env_remove("CLERK_SECRET_KEY").args(create), 3);
    assert!(line.contains("CLERK_SECRET_KEY"), "{line}");
    // Malformed key: 3.
    fails(
        cli(&fake)
            .env("CLERK_SECRET_KEY", "pk_test_CLI_SECRET_VALUE")
            .args(create),
        3,
    );
    // Usage: 2.
    fails(cli(&fake).args(["create", "--user", "u"]), 2);
    fails(
        cli(&fake).args([
            "create",
            "--user",
            "u",
            "--actor",
            "a",
            "--expires-in",
            "10 parsecs",
        ]),
        2,
    );
    fails(
        cli(&fake).args([
            "create", "--user", "user_u", "--actor", "a", "--claim", "sub=x",
        ]),
        2,
    );
    fails(cli(&fake).args(["create", "--user", "", "--actor", "a"]), 2);
    fails(cli(&fake).args(["revoke", "../x"]), 2);
    // The sign-in url or the ticket passed by mistake: refused, and never echoed.
    for credential in [
        "https://accounts.example.dev/v1/tickets/accept?ticket=TICKET_SECRET_1",
        "eyJhbGciOiJIUzI1NiJ9.TICKET_SECRET_2",
    ] {
        let line = fails(cli(&fake).args(["revoke", credential]), 2);
        assert!(!line.contains("TICKET_SECRET"), "{line}");
    }
    fails(
        cli(&fake).args(["--api-url", "ftp://x", "revoke", "act_1"]),
        2,
    );
    fails(Command::new(BIN).arg("frobnicate"), 2);
    // Nothing listening: 6.
    let (_closed, nobody) = closed_port("127.0.0.1");
    let line = fails(cli(&fake).env("CLERK_API_URL", &nobody).args(create), 6);
    assert!(line.contains("connect"), "{line}");
    assert_eq!(fake.token_count(), 0);
}

#[test]
fn a_refused_connection_shows_its_cause_and_where_the_url_comes_from() {
    let fake = FakeClerk::start_blocking().unwrap();
    let (_closed, nobody) = closed_port("127.0.0.1");
    let line = fails(
        cli(&fake).args(["--api-url", &nobody, "revoke", "act_1"]),
        6,
    );
    // The OS's reason, not only reqwest's "error sending request".
    let reason = refusal_text(&nobody);
    assert!(line.contains(&reason), "{reason:?} missing: {line}");
    assert!(
        line.contains("--api-url") && line.contains("CLERK_API_URL"),
        "{line}"
    );
}

#[test]
fn plain_http_to_a_remote_host_needs_the_flag() {
    let fake = FakeClerk::start_blocking().unwrap();
    // 0.0.0.0 is not a loopback address to the SDK. Whether a connection to it reaches this
    // machine (Linux) or fails (elsewhere), nothing answers on a port bound there that never
    // listens.
    let (_closed, unspecified) = closed_port("0.0.0.0");
    let remote = ["--api-url", &unspecified, "revoke", "act_1"];
    let line = fails(cli(&fake).args(remote), 2);
    assert!(line.contains("--allow-insecure-http"), "{line}");
    assert!(!line.contains("allow_insecure_http("), "{line}");
    // With the flag the key may travel: the request is attempted (and finds nobody listening).
    fails(cli(&fake).arg("--allow-insecure-http").args(remote), 6);
}

#[test]
fn help_lists_the_exit_codes() {
    let (status, stdout, _) = run(Command::new(BIN).arg("--help"));
    assert_eq!(status, 0);
    let section = stdout
        .split_once("Exit codes:")
        .map(|(_, rest)| rest)
        .expect("an exit codes section");
    for (code, words) in [
        (0, "success"),
        (1, "refused"),
        (2, "usage"),
        (3, "secret key"),
        (4, "no such actor token"),
        (5, "rate limited"),
        (6, "could not be reached"),
        (7, "may have happened"),
        (8, "no such user"),
    ] {
        let line = section
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{code}  ")))
            .unwrap_or_else(|| panic!("code {code} missing: {section}"));
        assert!(line.to_lowercase().contains(words), "{code}: {line}");
    }
}

#[test]
fn a_key_file_and_the_api_url_flag_replace_the_environment() {
    let fake = FakeClerk::start_blocking().unwrap();
    let dir = std::env::temp_dir().join(format!("clerk-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let (_closed, nobody) = closed_port("127.0.0.1");
    let (status, stdout, stderr) = run(Command::new(BIN)
        .env_remove("CLERK_SECRET_KEY")
        .env("CLERK_API_URL", &nobody)
        .args([
            "create",
            "--user",
            "user_u",
            "--actor",
            "a",
            "--api-url",
            fake.base_url(),
            "--secret-key-file",
        ])
        .arg(&key_file));
    assert_eq!(status, 0, "{stderr}");
    let id = &fake.tokens()[0].id;
    let expected = format!(
        "clerk-actor-tokens revoke {id} --api-url {} --secret-key-file {}",
        fake.base_url(),
        key_file.display()
    );
    assert!(stdout.contains(&expected), "{stdout}");
    let missing = fails(
        Command::new(BIN)
            .args(["revoke", "act_1", "--secret-key-file"])
            .arg(dir.join("nope")),
        3,
    );
    assert!(
        missing.contains("cannot read the secret key file"),
        "{missing}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rust_log_turns_on_the_sdk_tracing() {
    let fake = FakeClerk::start_blocking().unwrap();
    let (status, _, stderr) = run(cli(&fake)
        .env("RUST_LOG", "clerk_actor_tokens=debug")
        .args(["revoke", "act_nope"]));
    assert_eq!(status, 4);
    assert!(stderr.contains("RevokeActorToken"), "{stderr}");
    let (_, _, quiet) = run(cli(&fake).args(["revoke", "act_nope"]));
    assert!(!quiet.contains("RevokeActorToken"), "{quiet}");
}

#[test]
fn demo_runs_the_whole_flow_offline() {
    let (status, stdout, stderr) = run(Command::new(BIN)
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_API_URL")
        .arg("demo"));
    assert_eq!(status, 0, "{stderr}");
    for expected in [
        "1. Create an actor token",
        "status: pending",
        "HTTP 200: signed in as",
        "the token is now accepted",
        "Opening it a second time: HTTP 400",
        "actor_token_cannot_be_revoked",
        "acts as user_",
        "Ended: session sess_",
        "Ending it again finds nothing left to end",
        "is now revoked",
        "HTTP 400 actor_token_revoked",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing:\n{stdout}");
    }
}

#[cfg(unix)]
#[test]
fn fake_announces_its_port_serves_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["fake", "--port", "0", "--host", "127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );

    let (status, stdout, stderr) = run(Command::new(BIN)
        .env("CLERK_SECRET_KEY", KEY)
        .env("CLERK_API_URL", &base)
        .args(["create", "--user", "user_u", "--actor", "a", "--json"]));
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("\"pending\""));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// `fake` with `args` (and `--tls --port 0`), its two announced lines: the base url and the CA
/// file's path.
#[cfg(unix)]
fn tls_fake(args: &[&str]) -> (std::process::Child, String, std::path::PathBuf) {
    let mut child = Command::new(BIN)
        .args(["fake", "--tls", "--port", "0"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    stdout.read_line(&mut first).unwrap();
    stdout.read_line(&mut second).unwrap();
    let base = first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(
        base.starts_with("https://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );
    let path = second
        .strip_prefix("ca certificate: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected second line {second:?}"));
    (child, base, path.into())
}

/// A client that trusts only the CA in the PEM file at `path`.
#[cfg(unix)]
fn trusting(path: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(path).unwrap();
    assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
    let ca = reqwest::Certificate::from_pem(&pem).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

#[cfg(unix)]
fn sigterm(mut child: std::process::Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[cfg(unix)]
#[test]
fn fake_tls_writes_its_ca_to_a_temp_file_serves_https_and_removes_the_file() {
    let (child, base, ca) = tls_fake(&[]);
    assert!(ca.starts_with(std::env::temp_dir()), "{}", ca.display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stats = runtime.block_on(async {
        let response = trusting(&ca)
            .get(base.replace("/v1", "/__fake/stats"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    });
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["connections_opened"], 1, "{stats}");
    sigterm(child);
    assert!(!ca.exists(), "the temp CA file is removed on exit");
}

#[cfg(unix)]
#[test]
fn fake_tls_keeps_a_named_ca_file_and_honours_max_sessions() {
    let named = std::env::temp_dir().join(format!("cli-test-ca-{}.pem", std::process::id()));
    let named_arg = named.to_str().unwrap();
    let (child, base, ca) = tls_fake(&["--ca-cert-out", named_arg, "--max-sessions", "1"]);
    assert_eq!(ca, named);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sessions = runtime.block_on(async {
        let client = trusting(&ca);
        let origin = base.strip_suffix("/v1").unwrap();
        for user in ["user_1", "user_2"] {
            let created = client
                .post(format!("{base}/actor_tokens"))
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"user_id":"{user}","actor":{{"sub":"user_a"}}}}"#
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), 200);
            let created: serde_json::Value =
                serde_json::from_str(&created.text().await.unwrap()).unwrap();
            let id = created["id"].as_str().unwrap();
            let redeemed = client
                .post(format!("{origin}/__fake/tokens/{id}/redeem"))
                .send()
                .await
                .unwrap();
            assert_eq!(redeemed.status(), 200);
        }
        let listed = client
            .get(format!("{origin}/__fake/sessions"))
            .send()
            .await
            .unwrap();
        listed.text().await.unwrap()
    });
    let sessions: serde_json::Value = serde_json::from_str(&sessions).unwrap();
    assert_eq!(
        sessions["total_count"], 1,
        "the oldest was forgotten: {sessions}"
    );
    assert_eq!(sessions["data"][0]["user_id"], "user_2", "{sessions}");
    sigterm(child);
    assert!(named.exists(), "a named CA file is the user's to keep");
    std::fs::remove_file(&named).unwrap();
}

#[cfg(unix)]
#[test]
fn create_trusts_the_fakes_ca_with_ca_cert_and_says_why_it_refuses_without() {
    let (child, base, ca) = tls_fake(&[]);
    let create = |ca_cert: Option<&std::path::Path>| {
        let mut command = Command::new(BIN);
        command
            .env_remove("RUST_LOG")
            .env("CLERK_SECRET_KEY", KEY)
            .args([
                "create",
                "--user",
                "user_u",
                "--actor",
                "user_a",
                "--api-url",
                &base,
            ]);
        if let Some(path) = ca_cert {
            command.arg("--ca-cert").arg(path);
        }
        run(&mut command)
    };
    let (status, stdout, stderr) = create(Some(&ca));
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("act_"), "{stdout}");
    // The printed revoke command repeats the flag, so it works as printed.
    assert!(stdout.contains("--ca-cert"), "{stdout}");
    let (status, _, stderr) = create(None);
    assert_ne!(status, 0);
    assert!(
        stderr.contains("not trusted") && stderr.contains("nothing was sent"),
        "{stderr}"
    );
    let (status, _, stderr) = create(Some(std::path::Path::new("/nonexistent/ca.pem")));
    assert_eq!(status, 2, "a usage error: {stderr}");
    assert!(stderr.contains("CA certificate file"), "{stderr}");
    sigterm(child);
}

#[test]
fn fake_ca_cert_out_needs_tls() {
    let (status, _, stderr) = run(Command::new(BIN).args(["fake", "--ca-cert-out", "x.pem"]));
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("--tls"), "{stderr}");
}

#[test]
fn end_revokes_a_pending_token_then_an_opened_ones_session_then_finds_nothing() {
    let fake = FakeClerk::start_blocking().unwrap();
    let create = ["create", "--user", "user_u", "--actor", "user_a"];
    let end = ["end", "--user", "user_u", "--actor", "user_a"];
    // A pending token: the token is revoked, no session exists.
    run(cli(&fake).args(create));
    let pending = fake.tokens()[0].id.clone();
    let (status, stdout, stderr) = run(cli(&fake).args(end).args(["--token", &pending]));
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("still pending and is revoked"), "{stdout}");
    assert_eq!(fake.token(&pending).unwrap().status, Status::Revoked);
    // An opened one: its session is listed, then revoked.
    run(cli(&fake).args(create));
    let used = fake
        .tokens()
        .into_iter()
        .find(|t| t.status == Status::Pending)
        .unwrap();
    fake.redeem(used.url.expose()).unwrap();
    let (status, stdout, _) = run(cli(&fake).args(["sessions", "--user", "user_u"]));
    assert_eq!(status, 0);
    assert!(
        stdout.contains("sess_") && stdout.contains("actor user_a"),
        "{stdout}"
    );
    let (status, stdout, stderr) = run(cli(&fake).args(end).args(["--token", &used.id]));
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stdout.contains("revoked 1 session(s)") && stdout.contains("(revoked)"),
        "{stdout}"
    );
    // Again: nothing left, still a success.
    let (status, stdout, _) = run(cli(&fake).args(end));
    assert_eq!(status, 0);
    assert!(stdout.contains("Nothing left to end"), "{stdout}");
    let (_, stdout, _) = run(cli(&fake).args(["sessions", "--user", "user_u", "--json"]));
    assert_eq!(stdout.trim(), "[]");
}
