//! Section 1: what the SDK costs over the HTTP call it wraps.
//!
//! A minimal hyper server answers create and revoke with fixed, valid Clerk JSON, so its cost is
//! tiny and identical for every client. Four clients share one `reqwest::Client`: (A) the SDK
//! facade, (B) the generated client called directly, (C) hand-written reqwest with serde types
//! written here, and (D) C under reqwest's per-request timeout, for the price of any time limit.
//! Rounds interleave the clients in short slices (rotating the order) so that drift in the
//! machine's speed hits all of them alike; ratios are taken per round and summarised by their
//! median.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clerk_actor_tokens::{Actor, Clerk, RetryPolicy};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::stats::{median, ms, percentile};

const KEY: &str = "sk_test_benchmark_key";
const CREATED: &str = r#"{"object":"actor_token","id":"act_bench","status":"pending","user_id":"user_2abc","actor":{"sub":"user_2admin"},"token":"tok","url":"https://example.invalid/t","created_at":1700000000000,"updated_at":1700000000000}"#;
const REVOKED: &str = r#"{"object":"actor_token","id":"act_bench","status":"revoked","user_id":"user_2abc","actor":{"sub":"user_2admin"},"created_at":1700000000000,"updated_at":1700000000000}"#;

/// Client D's per-request time limit: the SDK's default request timeout.
const RAW_LIMIT: Duration = Duration::from_secs(30);

/// Slices per round (see `run`).
const SLICES: usize = 10;

/// Workload sizes.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Sequential create+revoke pairs per round.
    pub pairs: usize,
    /// Concurrent creates per round.
    pub concurrent_calls: usize,
    /// Concurrency of the concurrent workload.
    pub concurrency: usize,
    /// Rounds (each runs A, B and C once).
    pub rounds: usize,
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = if req.uri().path().ends_with("/revoke") {
        REVOKED
    } else {
        CREATED
    };
    let _ = req.into_body().collect().await;
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("static response"))
}

/// Starts the fixed-answer server and returns its address.
pub async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(handle))
                    .await;
            });
        }
    });
    addr
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sdk,
    Generated,
    Raw,
    RawWithLimit,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sdk => "A sdk facade",
            Kind::Generated => "B generated",
            Kind::Raw => "C raw reqwest",
            Kind::RawWithLimit => "D C + time limit",
        }
    }
}

#[derive(serde::Serialize)]
struct RawActor<'a> {
    sub: &'a str,
}

#[derive(serde::Serialize)]
struct RawCreate<'a> {
    user_id: &'a str,
    actor: RawActor<'a>,
    expires_in_seconds: u64,
    session_max_duration_in_seconds: u64,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)] // fields are decoded to cost what the SDK's decoding costs
struct RawToken {
    object: String,
    id: String,
    status: String,
    user_id: String,
    actor: serde_json::Map<String, serde_json::Value>,
    token: Option<String>,
    url: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn generated_body() -> clerk_actor_tokens::raw::types::CreateActorTokenBody {
    clerk_actor_tokens::raw::types::CreateActorTokenBody {
        user_id: "user_2abc".into(),
        actor: clerk_actor_tokens::raw::types::CreateActorTokenBodyActor {
            sub: "user_2admin".into(),
            extra: Default::default(),
        },
        expires_in_seconds: std::num::NonZeroU64::new(3600).expect("positive"),
        session_max_duration_in_seconds: std::num::NonZeroU64::new(1800).expect("positive"),
    }
}

struct Clients {
    sdk: Clerk,
    http: reqwest::Client,
    base: String,
}

impl Clients {
    async fn create(&self, kind: Kind) {
        match kind {
            Kind::Sdk => {
                let t = self
                    .sdk
                    .actor_tokens()
                    .create("user_2abc", Actor::new("user_2admin"))
                    .send()
                    .await
                    .expect("sdk create");
                debug_assert_eq!(t.id(), "act_bench");
            }
            Kind::Generated => {
                let body = generated_body();
                self.sdk
                    .raw_client()
                    .create_actor_token(&body)
                    .await
                    .expect("generated create");
            }
            Kind::Raw => self.raw_create(None).await,
            Kind::RawWithLimit => self.raw_create(Some(RAW_LIMIT)).await,
        }
    }

    async fn revoke(&self, kind: Kind) {
        match kind {
            Kind::Sdk => {
                self.sdk
                    .actor_tokens()
                    .revoke("act_bench")
                    .await
                    .expect("sdk revoke");
            }
            Kind::Generated => {
                self.sdk
                    .raw_client()
                    .revoke_actor_token("act_bench")
                    .await
                    .expect("generated revoke");
            }
            Kind::Raw => self.raw_revoke(None).await,
            Kind::RawWithLimit => self.raw_revoke(Some(RAW_LIMIT)).await,
        }
    }

    /// Client C's create: what a careful hand-written client does, no more. With a `limit`,
    /// client D's: the same under reqwest's per-request timeout.
    async fn raw_create(&self, limit: Option<Duration>) {
        let body = RawCreate {
            user_id: "user_2abc",
            actor: RawActor { sub: "user_2admin" },
            expires_in_seconds: 3600,
            session_max_duration_in_seconds: 1800,
        };
        let request = self
            .http
            .post(format!("{}/actor_tokens", self.base))
            .bearer_auth(KEY)
            .header("clerk-api-version", clerk_actor_tokens::CLERK_API_VERSION)
            .header("user-agent", clerk_actor_tokens::DEFAULT_USER_AGENT)
            .json(&body);
        let response = match limit {
            Some(limit) => request.timeout(limit),
            None => request,
        }
        .send()
        .await
        .expect("raw create");
        assert!(response.status().is_success());
        let _: RawToken = response.json().await.expect("raw decode");
    }

    /// Client C's revoke (D's with a `limit`).
    async fn raw_revoke(&self, limit: Option<Duration>) {
        let request = self
            .http
            .post(format!("{}/actor_tokens/{}/revoke", self.base, "act_bench"))
            .bearer_auth(KEY)
            .header("clerk-api-version", clerk_actor_tokens::CLERK_API_VERSION)
            .header("user-agent", clerk_actor_tokens::DEFAULT_USER_AGENT)
            .header("content-length", "0");
        let response = match limit {
            Some(limit) => request.timeout(limit),
            None => request,
        }
        .send()
        .await
        .expect("raw revoke");
        assert!(response.status().is_success());
        let _: RawToken = response.json().await.expect("raw decode");
    }
}

struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn calls_per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

async fn sequential(clients: &Clients, kind: Kind, pairs: usize) -> Run {
    let mut latencies = Vec::with_capacity(pairs * 2);
    let started = Instant::now();
    for _ in 0..pairs {
        let t = Instant::now();
        clients.create(kind).await;
        latencies.push(t.elapsed());
        let t = Instant::now();
        clients.revoke(kind).await;
        latencies.push(t.elapsed());
    }
    Run {
        elapsed: started.elapsed(),
        latencies,
    }
}

async fn concurrent(clients: &Arc<Clients>, kind: Kind, calls: usize, width: usize) -> Run {
    let per_task = calls / width;
    let started = Instant::now();
    let tasks: Vec<_> = (0..width)
        .map(|_| {
            let clients = clients.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t = Instant::now();
                    clients.create(kind).await;
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(calls);
    for task in tasks {
        latencies.extend(task.await.expect("bench task"));
    }
    Run {
        elapsed: started.elapsed(),
        latencies,
    }
}

async fn clients() -> Arc<Clients> {
    let addr = start_server().await;
    let base = format!("http://{addr}/v1");
    let http = clerk_actor_tokens::http_client_builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(64)
        .build()
        .expect("http client");
    let sdk = Clerk::builder()
        .secret_key(KEY)
        .api_url(format!("http://{addr}"))
        .http_client(http.clone())
        .retry_policy(RetryPolicy::default())
        .build()
        .expect("sdk client");
    Arc::new(Clients { sdk, http, base })
}

/// Only client `letter` (a, b, c or d), `pairs` sequential create+revoke pairs: for profilers
/// (`perf stat`, `valgrind --tool=callgrind`), which need one client per process.
pub async fn profile(letter: char, pairs: usize) {
    let kind = match letter {
        'a' => Kind::Sdk,
        'b' => Kind::Generated,
        'd' => Kind::RawWithLimit,
        _ => Kind::Raw,
    };
    let clients = clients().await;
    let run = sequential(&clients, kind, pairs).await;
    println!("  {}: {:.0} calls/s", kind.name(), run.calls_per_sec());
}

/// Bytes of one in-flight call's future, per client: what a caller's task holds while it awaits,
/// and what is copied each time the future is moved (into a task, a `Box`, a `join!`).
fn future_sizes(clients: &Clients) -> [(Kind, usize, usize); 3] {
    let sdk = &clients.sdk;
    let create_a = sdk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .send();
    let revoke_a = sdk.actor_tokens().revoke("act_bench").send();
    let body = generated_body();
    let create_b = sdk.raw_client().create_actor_token(&body);
    let revoke_b = sdk.raw_client().revoke_actor_token("act_bench");
    let create_c = clients.raw_create(None);
    let revoke_c = clients.raw_revoke(None);
    [
        (
            Kind::Sdk,
            std::mem::size_of_val(&create_a),
            std::mem::size_of_val(&revoke_a),
        ),
        (
            Kind::Generated,
            std::mem::size_of_val(&create_b),
            std::mem::size_of_val(&revoke_b),
        ),
        (
            Kind::Raw,
            std::mem::size_of_val(&create_c),
            std::mem::size_of_val(&revoke_c),
        ),
    ]
}

/// Runs the section and prints its tables; returns the median SDK/raw time ratios
/// (sequential, concurrent).
pub async fn run(sizes: Sizes) -> (f64, f64) {
    let clients = clients().await;

    println!("  size of one call's future (bytes): client, create, revoke");
    for (kind, create, revoke) in future_sizes(&clients) {
        println!("    {:<16} {create:>6} {revoke:>6}", kind.name());
    }

    // Warm-up: connections, allocator, branch predictors.
    for kind in [Kind::Sdk, Kind::Generated, Kind::Raw, Kind::RawWithLimit] {
        sequential(&clients, kind, 200).await;
        concurrent(&clients, kind, 640, sizes.concurrency).await;
    }

    let kinds = [Kind::Sdk, Kind::Generated, Kind::Raw, Kind::RawWithLimit];
    let mut seq_ratios = Vec::new();
    let mut conc_ratios = Vec::new();
    let mut seq_limit_ratios = Vec::new();
    let mut conc_limit_ratios = Vec::new();
    let mut seq_rows: Vec<(Kind, Vec<f64>, Vec<Duration>)> =
        kinds.iter().map(|k| (*k, Vec::new(), Vec::new())).collect();
    let mut conc_rows = seq_rows.clone();

    println!(
        "  {} rounds; per round: {} sequential create+revoke pairs ({} calls) and {} creates at {}-way concurrency",
        sizes.rounds,
        sizes.pairs,
        sizes.pairs * 2,
        sizes.concurrent_calls,
        sizes.concurrency
    );
    println!(
        "  round  sequential sdk/raw  concurrent sdk/raw   sequential sdk/D  concurrent sdk/D   (time ratios; A/C <= 1.05 is the target)"
    );
    for round in 0..sizes.rounds {
        let mut seq_time = [Duration::ZERO; 4];
        let mut conc_time = [Duration::ZERO; 4];
        let mut seq_calls = [0usize; 4];
        let mut conc_calls = [0usize; 4];
        // Each round is cut into slices of a few milliseconds per client, the order rotating
        // from slice to slice: a disturbance (a neighbour's burst, the scheduler moving the
        // server to the other CPU) then lands on all three clients instead of on one.
        for slice in 0..SLICES {
            let mut order = kinds;
            order.rotate_left((round + slice) % kinds.len());
            for kind in order {
                let i = kinds.iter().position(|k| *k == kind).expect("known kind");
                let s = sequential(&clients, kind, (sizes.pairs / SLICES).max(1)).await;
                seq_time[i] += s.elapsed;
                seq_calls[i] += s.latencies.len();
                seq_rows[i].2.extend(s.latencies);
                let calls = (sizes.concurrent_calls / SLICES).max(sizes.concurrency);
                let c = concurrent(&clients, kind, calls, sizes.concurrency).await;
                conc_time[i] += c.elapsed;
                conc_calls[i] += c.latencies.len();
                conc_rows[i].2.extend(c.latencies);
            }
        }
        for i in 0..kinds.len() {
            seq_rows[i]
                .1
                .push(seq_calls[i] as f64 / seq_time[i].as_secs_f64());
            conc_rows[i]
                .1
                .push(conc_calls[i] as f64 / conc_time[i].as_secs_f64());
        }
        // Time per call, so that slices of unequal size (rounding) still compare.
        let per_call = |time: &[Duration; 4], calls: &[usize; 4], i: usize| {
            time[i].as_secs_f64() / calls[i].max(1) as f64
        };
        let sr = per_call(&seq_time, &seq_calls, 0) / per_call(&seq_time, &seq_calls, 2);
        let cr = per_call(&conc_time, &conc_calls, 0) / per_call(&conc_time, &conc_calls, 2);
        let srd = per_call(&seq_time, &seq_calls, 0) / per_call(&seq_time, &seq_calls, 3);
        let crd = per_call(&conc_time, &conc_calls, 0) / per_call(&conc_time, &conc_calls, 3);
        seq_ratios.push(sr);
        conc_ratios.push(cr);
        seq_limit_ratios.push(srd);
        conc_limit_ratios.push(crd);
        println!(
            "  {:>5}  {:>18.3}  {:>18.3}  {:>16.3}  {:>16.3}",
            round + 1,
            sr,
            cr,
            srd,
            crd
        );
    }

    for (title, rows) in [
        ("sequential", &mut seq_rows),
        ("32-way concurrent", &mut conc_rows),
    ] {
        println!("\n  {title}: client            calls/s (median of rounds)   p50 ms    p99 ms");
        for (kind, rates, latencies) in rows.iter_mut() {
            println!(
                "    {:<16} {:>28.0}  {:>8}  {:>8}",
                kind.name(),
                median(rates),
                ms(percentile(latencies, 0.50)),
                ms(percentile(latencies, 0.99))
            );
        }
    }
    let (s, c) = (median(&seq_ratios), median(&conc_ratios));
    println!(
        "\n  median SDK/raw time ratio: sequential {s:.3}, concurrent {c:.3} (target <= 1.05: {})",
        if s <= 1.05 && c <= 1.05 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  median SDK/D time ratio (D: raw reqwest with a per-request time limit, as the SDK has): sequential {:.3}, concurrent {:.3}",
        median(&seq_limit_ratios),
        median(&conc_limit_ratios)
    );
    (s, c)
}
