//! Section 2: the fake server as users run it (the CLI's `fake` command, a separate process)
//! under load, plus its time to ready.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::stats::{median, ms, percentile};

const KEY: &str = "sk_test_benchmark_key";
const CREATE_BODY: &str =
    r#"{"user_id":"user_2abc","actor":{"sub":"user_2admin"},"expires_in_seconds":3600}"#;

/// A running fake and where it listens.
struct Fake {
    child: Child,
    addr: String,
    ready_line_after: Duration,
}

impl Fake {
    async fn start(binary: &Path) -> Result<Self, String> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["fake", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .map_err(|e| format!("reading the ready line: {e}"))?;
        let ready_line_after = started.elapsed();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix("/v1"))
            .ok_or_else(|| format!("unexpected first line {line:?}"))?
            .to_string();
        Ok(Self {
            child,
            addr,
            ready_line_after,
        })
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(sender)
}

fn create_request(addr: &str) -> Request<Full<Bytes>> {
    Request::post(format!("http://{addr}/v1/actor_tokens"))
        .header("host", addr)
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(CREATE_BODY.as_bytes())))
        .expect("valid request")
}

fn revoke_request(addr: &str, id: &str) -> Request<Full<Bytes>> {
    Request::post(format!("http://{addr}/v1/actor_tokens/{id}/revoke"))
        .header("host", addr)
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-length", "0")
        .body(Full::new(Bytes::new()))
        .expect("valid request")
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}

/// One request; returns (ok, latency, id when the body has one).
async fn send(sender: &mut Sender, req: Request<Full<Bytes>>) -> (bool, Duration, Option<String>) {
    let t = Instant::now();
    let result = async {
        sender.ready().await.ok()?;
        let response = sender.send_request(req).await.ok()?;
        let ok = response.status().is_success();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        let id = serde_json::from_slice::<IdOnly>(&body).ok().map(|b| b.id);
        Some((ok, id))
    }
    .await;
    match result {
        Some((ok, id)) => (ok, t.elapsed(), id),
        None => (false, t.elapsed(), None),
    }
}

struct Load {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Load {
    fn print(&mut self, name: &str) {
        println!(
            "    {name:<8} {:>9.0} req/s  p50 {:>7} ms  p99 {:>7} ms  requests {:>8}  errors {}",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            ms(percentile(&mut self.latencies, 0.50)),
            ms(percentile(&mut self.latencies, 0.99)),
            self.requests,
            self.errors
        );
    }
}

/// Creates on `width` keep-alive connections for `duration`; returns the load and, per
/// connection, the ids of its last `keep_ids` tokens.
async fn create_load(
    addr: &str,
    width: usize,
    duration: Duration,
    keep_ids: usize,
) -> Result<(Load, Vec<Vec<String>>), String> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..width {
        let mut sender = connect(addr).await?;
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut ids = std::collections::VecDeque::with_capacity(keep_ids);
            while Instant::now() < deadline {
                let (ok, latency, id) = send(&mut sender, create_request(&addr)).await;
                latencies.push(latency);
                match (ok, id) {
                    (true, Some(id)) => {
                        if ids.len() == keep_ids {
                            ids.pop_front();
                        }
                        ids.push_back(id);
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors, Vec::from(ids))
        }));
    }
    let mut load = Load {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    let mut ids = Vec::new();
    for task in tasks {
        let (latencies, errors, kept) = task.await.map_err(|e| e.to_string())?;
        load.requests += latencies.len();
        load.errors += errors;
        load.latencies.extend(latencies);
        ids.push(kept);
    }
    load.elapsed = started.elapsed();
    Ok((load, ids))
}

/// Revokes every id (each connection its own list), at most for `duration`.
async fn revoke_load(
    addr: &str,
    ids: Vec<Vec<String>>,
    duration: Duration,
) -> Result<Load, String> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for list in ids {
        let mut sender = connect(addr).await?;
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            for id in list {
                if Instant::now() >= deadline {
                    break;
                }
                let (ok, latency, _) = send(&mut sender, revoke_request(&addr, &id)).await;
                latencies.push(latency);
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut load = Load {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (latencies, errors) = task.await.map_err(|e| e.to_string())?;
        load.requests += latencies.len();
        load.errors += errors;
        load.latencies.extend(latencies);
    }
    load.elapsed = started.elapsed();
    Ok(load)
}

/// Spawn to `listening on`, and spawn to the first successful create, `samples` times.
async fn time_to_ready(binary: &Path, samples: usize) -> Result<(f64, f64), String> {
    let mut line = Vec::new();
    let mut first = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        let fake = Fake::start(binary).await?;
        line.push(fake.ready_line_after.as_secs_f64() * 1000.0);
        let mut sender = connect(&fake.addr).await?;
        let (ok, _, _) = send(&mut sender, create_request(&fake.addr)).await;
        if !ok {
            return Err("the first create failed".into());
        }
        first.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(&line), median(&first)))
}

/// Where `cargo build --release -p clerk-actor-tokens-cli` puts the binary: next to this one.
pub fn fake_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name(format!(
        "clerk-actor-tokens{}",
        std::env::consts::EXE_SUFFIX
    ))
}

/// Runs the section and prints it.
pub async fn run(width: usize, duration: Duration) -> Result<(), String> {
    let binary = fake_binary();
    if !binary.exists() {
        return Err(format!(
            "{} is missing; build it with `cargo build --release -p clerk-actor-tokens-cli`",
            binary.display()
        ));
    }
    let (line_ms, first_ms) = time_to_ready(&binary, 7).await?;
    println!(
        "  time to ready (median of 7 spawns): `listening on` after {line_ms:.1} ms, first successful create after {first_ms:.1} ms (target < 50 ms)"
    );

    let fake = Fake::start(&binary).await?;
    println!(
        "  load: {width} keep-alive connections, {} s of creates, then revokes of recent tokens",
        duration.as_secs()
    );
    let (mut creates, _) = create_load(&fake.addr, width, duration, 0).await?;
    creates.print("create");
    let rss_after_creates = fake.peak_rss_kib();
    // Fresh pending tokens for the revoke phase (the store's cap may have evicted old ones).
    let (_, ids) = create_load(&fake.addr, width, Duration::from_secs(1), 1500).await?;
    let mut revokes = revoke_load(&fake.addr, ids, duration).await?;
    revokes.print("revoke");
    let rss_end = fake.peak_rss_kib();
    println!(
        "  peak RSS of the fake: {} after the create phase, {} at the end (target < 200 MB)",
        rss_after_creates.map_or("n/a".into(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
        rss_end.map_or("n/a".into(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
    );
    Ok(())
}
