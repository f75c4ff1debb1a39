//! Section 5: the SDK (A) and raw reqwest (C) over TLS against the fake, HTTP/1.1 and HTTP/2.
//!
//! The fake runs in this process with `tls` (a certificate from a CA it made at start) and
//! offers `h2` in ALPN or only `http/1.1`. Both clients are built with the same reqwest features
//! (this crate turns on the SDK's `http2`, so reqwest's `http2` and `rustls` are on for both) and
//! the same settings (the SDK's default client: `http_client_builder`, the SDK's 5 s connect
//! limit, the fake's CA merged into the platform's roots), so that ALPN picks the same protocol
//! for both. Three workloads per sample, each client on clients built for that sample:
//!
//! - **cold call**: the first create of a new client: TCP connect, TLS handshake (TLS 1.3, one
//!   round trip) and the call. The client is built before the clock starts.
//! - **warm call**: sequential creates on the connection the cold call opened.
//! - **burst**: 32 creates at once after the warm calls: HTTP/2 multiplexes them on the open
//!   connection, HTTP/1.1 opens more connections (counted by the fake).
//!
//! The order of A and C alternates from sample to sample; ratios are taken per sample and
//! summarised by their median, as in section 1.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_actor_tokens::RetryPolicy;
use clerk_actor_tokens_bench::overhead::{Clients, Kind};
use clerk_actor_tokens_bench::stats::{median, ms, percentile};
use clerk_actor_tokens_fake::{FakeClerk, TEST_SECRET_KEY};

/// The SDK's default connect limit (`ClerkBuilder::connect_timeout`), given to raw reqwest too.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Calls of one burst.
const BURST: usize = 32;

/// Workload sizes.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Samples per protocol (each: new clients, a cold call, warm calls, a burst per client).
    pub samples: usize,
    /// Sequential warm creates per client and sample.
    pub warm_calls: usize,
}

/// What the fake offers in ALPN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Http1 => "h1 (the fake offers http/1.1 only)",
            Protocol::Http2 => "h2 (the fake offers h2 and http/1.1)",
        }
    }

    fn expected(self) -> reqwest::Version {
        match self {
            Protocol::Http1 => reqwest::Version::HTTP_11,
            Protocol::Http2 => reqwest::Version::HTTP_2,
        }
    }
}

/// The workloads' names, in the order of [`Figures::times`].
const WORKLOADS: [&str; 3] = [
    "cold call (connect + TLS)",
    "warm call (sequential)",
    "burst of 32 (whole burst)",
];

/// One client's figures over all samples.
#[derive(Default)]
struct Figures {
    /// Per workload (see [`WORKLOADS`]), one time per sample: the cold call, the mean warm call,
    /// the whole burst.
    times: [Vec<Duration>; 3],
    /// Connections the fake accepted during each burst.
    burst_connections: Vec<u64>,
}

/// One protocol's figures: the SDK's and raw reqwest's.
struct Measured {
    protocol: Protocol,
    negotiated: reqwest::Version,
    sdk: Figures,
    raw: Figures,
}

/// Runs the section and prints its table; an error when the fake does not start or a client
/// does not negotiate the protocol the row is about.
pub async fn run(sizes: Sizes) -> Result<(), String> {
    println!(
        "  {} samples per protocol; per sample and client: new clients, 1 cold call, {} warm calls, a burst of {BURST} calls; A = SDK, C = raw reqwest",
        sizes.samples, sizes.warm_calls
    );
    for mut m in measure(sizes).await? {
        print_protocol(&mut m);
    }
    Ok(())
}

/// Each protocol's figures, in order (h1, h2).
async fn measure(sizes: Sizes) -> Result<Vec<Measured>, String> {
    let mut measured = Vec::new();
    for protocol in [Protocol::Http1, Protocol::Http2] {
        let fake = FakeClerk::builder()
            .tls(true)
            .http2(protocol == Protocol::Http2)
            .start()
            .await
            .map_err(|e| format!("the fake did not start: {e}"))?;
        let negotiated = negotiated_version(&fake).await?;
        if negotiated != protocol.expected() {
            return Err(format!(
                "{}: reqwest negotiated {negotiated:?}, not {:?}",
                protocol.name(),
                protocol.expected()
            ));
        }
        // One unrecorded sample: the first handshake of the process sets up what is lazy
        // (crypto provider tables, the platform verifier's roots, the allocator).
        sample(
            &fake,
            &sizes,
            0,
            &mut Figures::default(),
            &mut Figures::default(),
        )
        .await?;
        let (mut sdk, mut raw) = (Figures::default(), Figures::default());
        for index in 0..sizes.samples {
            sample(&fake, &sizes, index, &mut sdk, &mut raw).await?;
        }
        fake.stop().await;
        measured.push(Measured {
            protocol,
            negotiated,
            sdk,
            raw,
        });
    }
    Ok(measured)
}

/// The HTTP version raw reqwest negotiates with `fake` (the SDK's client has the same features
/// and TLS settings, so it negotiates the same).
async fn negotiated_version(fake: &FakeClerk) -> Result<reqwest::Version, String> {
    let http = raw_http_client(fake)?;
    let origin = fake.base_url().trim_end_matches("/v1");
    let response = http
        .get(format!("{origin}/__fake/stats"))
        .send()
        .await
        .map_err(|e| format!("the fake's stats: {e}"))?;
    Ok(response.version())
}

/// Raw reqwest as the SDK builds its own client (see the module's docs).
fn raw_http_client(fake: &FakeClerk) -> Result<reqwest::Client, String> {
    let pem = fake.ca_certificate_pem().ok_or("the fake has no CA")?;
    let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
        .map_err(|e| format!("the fake's CA: {e}"))?;
    clerk_actor_tokens::http_client_builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .tls_certs_merge(roots)
        .build()
        .map_err(|e| format!("raw client: {e}"))
}

/// New clients of `fake`: the SDK with a client of its own (its default one), raw reqwest with
/// another, so that neither has a connection yet.
fn new_clients(fake: &FakeClerk) -> Result<Arc<Clients>, String> {
    let sdk = fake
        .client_builder()
        .retry_policy(RetryPolicy::default())
        .build()
        .map_err(|e| format!("sdk client: {e}"))?;
    Ok(Arc::new(Clients::of(
        sdk,
        raw_http_client(fake)?,
        fake.base_url().to_string(),
        TEST_SECRET_KEY,
    )))
}

/// One sample: each client's cold call, warm calls and burst, A first on even samples.
async fn sample(
    fake: &FakeClerk,
    sizes: &Sizes,
    index: usize,
    sdk: &mut Figures,
    raw: &mut Figures,
) -> Result<(), String> {
    let clients = new_clients(fake)?;
    let mut order = [(Kind::Sdk, sdk), (Kind::Raw, raw)];
    if index % 2 == 1 {
        order.reverse();
    }
    for (kind, figures) in &mut order {
        figures.times[0].push(timed(clients.create(*kind)).await);
    }
    for (kind, figures) in &mut order {
        let started = Instant::now();
        for _ in 0..sizes.warm_calls {
            clients.create(*kind).await;
        }
        figures.times[1].push(started.elapsed() / sizes.warm_calls.max(1) as u32);
    }
    for (kind, figures) in &mut order {
        let before = fake.connections_opened();
        figures.times[2].push(timed(burst(&clients, *kind)).await);
        figures
            .burst_connections
            .push(fake.connections_opened() - before);
    }
    Ok(())
}

/// `BURST` creates of client `kind` at once, each in a task of its own.
async fn burst(clients: &Arc<Clients>, kind: Kind) {
    let tasks: Vec<_> = (0..BURST)
        .map(|_| {
            let clients = clients.clone();
            tokio::spawn(async move { clients.create(kind).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("burst task");
    }
}

async fn timed(work: impl Future<Output = ()>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}

fn print_protocol(measured: &mut Measured) {
    let Measured {
        protocol,
        negotiated,
        sdk,
        raw,
    } = measured;
    println!("\n  {}: negotiated {negotiated:?}", protocol.name());
    println!(
        "    workload                    A p50 ms  A p90 ms  C p50 ms  C p90 ms  A/C (median of samples)"
    );
    for (w, title) in WORKLOADS.iter().enumerate() {
        // Ratios first: the percentiles below sort the samples.
        let ratios: Vec<f64> = sdk.times[w]
            .iter()
            .zip(&raw.times[w])
            .map(|(a, c)| a.as_secs_f64() / c.as_secs_f64())
            .collect();
        let (a, c) = (&mut sdk.times[w], &mut raw.times[w]);
        println!(
            "    {title:<27} {:>9} {:>9} {:>9} {:>9} {:>8.3}",
            ms(percentile(a, 0.50)),
            ms(percentile(a, 0.90)),
            ms(percentile(c, 0.50)),
            ms(percentile(c, 0.90)),
            median(&ratios)
        );
    }
    let connections = |f: &Figures| {
        let mut counts = f.burst_connections.clone();
        counts.sort_unstable();
        match (counts.first(), counts.last()) {
            (Some(low), Some(high)) if low == high => format!("{low}"),
            (Some(low), Some(high)) => format!("{low} to {high}"),
            _ => "-".to_string(),
        }
    };
    println!(
        "    connections the fake accepted per burst: A {}, C {}",
        connections(sdk),
        connections(raw)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The section still runs, and its premise holds: over HTTP/2 a burst after warm calls
    /// opens no connection for either client, over HTTP/1.1 it opens some.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_negotiates_each_protocol_and_h2_bursts_share_the_connection() {
        let measured = measure(Sizes {
            samples: 2,
            warm_calls: 2,
        })
        .await
        .expect("section 5 runs");
        assert_eq!(measured.len(), 2);
        for m in &measured {
            for figures in [&m.sdk, &m.raw] {
                assert_eq!(figures.burst_connections.len(), 2);
                assert!(figures.times.iter().all(|t| t.len() == 2));
                let opened: u64 = figures.burst_connections.iter().sum();
                match m.protocol {
                    Protocol::Http2 => assert_eq!(opened, 0, "h2 bursts opened connections"),
                    Protocol::Http1 => assert!(opened > 0, "h1 bursts opened no connection"),
                }
            }
        }
    }
}
