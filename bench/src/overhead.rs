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

/// Starts the fixed-answer server on the current tokio runtime and returns its address.
pub async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(serve(listener));
    addr
}

/// Starts the fixed-answer server on a thread of its own (a single-threaded runtime there) and
/// returns its address. The server then runs outside the caller's thread, so a profiler that
/// counts only that thread (callgrind with `--toggle-collect`) counts the client's work alone.
/// The thread runs until the process ends.
pub fn start_server_thread() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let addr = listener.local_addr().expect("local addr");
    std::thread::Builder::new()
        .name("fixed-answer server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                serve(TcpListener::from_std(listener).expect("tokio listener")).await
            });
        })
        .expect("server thread");
    addr
}

/// Accepts connections and answers every request on them, until the listener fails.
async fn serve(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), hyper::service::service_fn(handle))
                .await;
        });
    }
}

/// The clients compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A: the SDK facade (`clerk.actor_tokens()`).
    Sdk,
    /// B: the generated client called directly (`clerk.raw_client()`).
    Generated,
    /// C: hand-written reqwest with serde types written here: the baseline.
    Raw,
    /// D: C under reqwest's per-request timeout.
    RawWithLimit,
}

impl Kind {
    /// The letter and name the tables show.
    pub fn name(self) -> &'static str {
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

/// The four clients, sharing one `reqwest::Client` (keep-alive pool, `TCP_NODELAY`).
pub struct Clients {
    sdk: Clerk,
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Clients {
    /// The clients of the fixed-answer server at `addr` (see [`start_server`]).
    pub fn new(addr: SocketAddr) -> Clients {
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
        Clients::of(sdk, http, format!("http://{addr}/v1"), KEY)
    }

    /// The clients of any server: `sdk` for A and B, `http` for C and D, which send `key` to
    /// `base` (the API base url, `/v1` included).
    pub fn of(sdk: Clerk, http: reqwest::Client, base: String, key: &str) -> Clients {
        Clients {
            sdk,
            http,
            base,
            key: key.to_string(),
        }
    }

    /// `pairs` create+revoke pairs of client `kind`, one after the other, and nothing else: no
    /// clock reads, no latency records (what an instruction count should see).
    pub async fn pairs(&self, kind: Kind, pairs: usize) {
        for _ in 0..pairs {
            self.create(kind).await;
            self.revoke(kind).await;
        }
    }

    /// One create of client `kind`; panics when it fails (a benchmark of failures measures
    /// nothing).
    pub async fn create(&self, kind: Kind) {
        match kind {
            Kind::Sdk => {
                self.sdk
                    .actor_tokens()
                    .create("user_2abc", Actor::new("user_2admin"))
                    .send()
                    .await
                    .expect("sdk create");
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
                    .send()
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
            .bearer_auth(&self.key)
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
            .bearer_auth(&self.key)
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
    Arc::new(Clients::new(start_server().await))
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

/// Per client: its calls/s in each round and the latency of every call.
type ClientRows = Vec<(Kind, Vec<f64>, Vec<Duration>)>;

/// The three workloads of a round.
#[derive(Clone, Copy, Debug)]
enum Workload {
    /// Sequential create+revoke pairs awaited by `block_on` on the main thread.
    Sequential,
    /// The same, inside a task on a worker thread, as a request handler calls the SDK.
    SequentialInTask,
    /// Creates from `concurrency` tasks at once.
    Concurrent,
}

impl Workload {
    const ALL: [Workload; 3] = [
        Workload::Sequential,
        Workload::SequentialInTask,
        Workload::Concurrent,
    ];

    fn title(self) -> &'static str {
        match self {
            Workload::Sequential => "sequential",
            Workload::SequentialInTask => "sequential in a task",
            Workload::Concurrent => "32-way concurrent",
        }
    }

    async fn run(self, clients: &Arc<Clients>, kind: Kind, sizes: &Sizes) -> Run {
        let pairs = (sizes.pairs / SLICES).max(1);
        match self {
            Workload::Sequential => sequential(clients, kind, pairs).await,
            Workload::SequentialInTask => {
                let clients = clients.clone();
                tokio::spawn(async move { sequential(&clients, kind, pairs).await })
                    .await
                    .expect("sequential task")
            }
            Workload::Concurrent => {
                let calls = (sizes.concurrent_calls / SLICES).max(sizes.concurrency);
                concurrent(clients, kind, calls, sizes.concurrency).await
            }
        }
    }
}

/// Runs the section and prints its tables; returns the median SDK/raw time ratios
/// (sequential, sequential in a task, concurrent).
pub async fn run(sizes: Sizes) -> [f64; 3] {
    let clients = clients().await;

    println!("  size of one call's future (bytes): client, create, revoke");
    for (kind, create, revoke) in future_sizes(&clients) {
        println!("    {:<16} {create:>6} {revoke:>6}", kind.name());
    }

    let kinds = [Kind::Sdk, Kind::Generated, Kind::Raw, Kind::RawWithLimit];
    // Warm-up: connections, allocator, branch predictors.
    for kind in kinds {
        sequential(&clients, kind, 200).await;
        concurrent(&clients, kind, 640, sizes.concurrency).await;
    }

    // Per workload: per round, the time ratios A/C and A/D; per client, the rate of each round
    // and every call's latency.
    let mut ratios = [(); 3].map(|_| (Vec::new(), Vec::new()));
    let mut rows: [ClientRows; 3] =
        [(); 3].map(|_| kinds.iter().map(|k| (*k, Vec::new(), Vec::new())).collect());

    println!(
        "  {} rounds; per round and client: {} sequential create+revoke pairs ({} calls) on the main thread, as many in a task, and {} creates at {}-way concurrency",
        sizes.rounds,
        sizes.pairs,
        sizes.pairs * 2,
        sizes.concurrent_calls,
        sizes.concurrency
    );
    println!(
        "  round   A/C: sequential  in a task  concurrent   A/D: sequential  in a task  concurrent   (time ratios; A/C <= 1.05 is the target)"
    );
    for round in 0..sizes.rounds {
        let mut time = [[Duration::ZERO; 4]; 3];
        let mut calls = [[0usize; 4]; 3];
        // Each round is cut into slices of a few milliseconds per client, the order rotating
        // from slice to slice: a disturbance (a neighbour's burst, the scheduler moving the
        // server to the other CPU) then lands on every client instead of on one.
        for slice in 0..SLICES {
            let mut order = kinds;
            order.rotate_left((round + slice) % kinds.len());
            for kind in order {
                let i = kinds.iter().position(|k| *k == kind).expect("known kind");
                for (w, workload) in Workload::ALL.into_iter().enumerate() {
                    let r = workload.run(&clients, kind, &sizes).await;
                    time[w][i] += r.elapsed;
                    calls[w][i] += r.latencies.len();
                    rows[w][i].2.extend(r.latencies);
                }
            }
        }
        let mut line = format!("  {:>5}  ", round + 1);
        let mut limit_line = String::new();
        for w in 0..Workload::ALL.len() {
            for i in 0..kinds.len() {
                rows[w][i]
                    .1
                    .push(calls[w][i] as f64 / time[w][i].as_secs_f64());
            }
            // Time per call, so that slices of unequal size (rounding) still compare.
            let per_call = |i: usize| time[w][i].as_secs_f64() / calls[w][i].max(1) as f64;
            let (to_raw, to_limit) = (per_call(0) / per_call(2), per_call(0) / per_call(3));
            ratios[w].0.push(to_raw);
            ratios[w].1.push(to_limit);
            line.push_str(&format!("{to_raw:>11.3}"));
            limit_line.push_str(&format!("{to_limit:>11.3}"));
        }
        println!("{line}      {limit_line}");
    }

    for (w, workload) in Workload::ALL.into_iter().enumerate() {
        println!(
            "\n  {}: client            calls/s (median of rounds)   p50 ms    p99 ms",
            workload.title()
        );
        for (kind, rates, latencies) in rows[w].iter_mut() {
            println!(
                "    {:<16} {:>28.0}  {:>8}  {:>8}",
                kind.name(),
                median(rates),
                ms(percentile(latencies, 0.50)),
                ms(percentile(latencies, 0.99))
            );
        }
    }
    let medians = [0, 1, 2].map(|w| median(&ratios[w].0));
    let limit_medians = [0, 1, 2].map(|w| median(&ratios[w].1));
    println!(
        "\n  median SDK/raw (A/C) time ratio: sequential {:.3}, in a task {:.3}, concurrent {:.3} (target <= 1.05: {})",
        medians[0],
        medians[1],
        medians[2],
        if medians.iter().all(|r| *r <= 1.05) {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  median SDK/D (A/D; D is raw reqwest with a per-request time limit, as the SDK has): sequential {:.3}, in a task {:.3}, concurrent {:.3}",
        limit_medians[0], limit_medians[1], limit_medians[2]
    );
    medians
}
