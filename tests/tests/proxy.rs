//! An egress proxy given by `HTTPS_PROXY` carries the SDK's calls (a CONNECT tunnel), `NO_PROXY`
//! sends them direct, and proxy credentials in the variable never show in an error. Its own test
//! binary with one test: it sets the process's proxy variables, which every client built while
//! they are set reads.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use clerk_actor_tokens::{Actor, Clerk};
use clerk_actor_tokens_fake::FakeClerk;
use common::tls::{Leaf, TestCa, TlsFront};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A CONNECT proxy on loopback that records each tunnel's target and whether it was asked with
/// credentials.
struct ConnectProxy {
    addr: SocketAddr,
    tunnels: Arc<Mutex<Vec<(String, bool)>>>,
}

impl ConnectProxy {
    async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let seen = tunnels.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut client = BufReader::new(stream);
                    let mut line = String::new();
                    client.read_line(&mut line).await.unwrap();
                    let target = match line.split(' ').collect::<Vec<_>>()[..] {
                        ["CONNECT", target, _] => target.to_string(),
                        _ => return,
                    };
                    let mut authorized = false;
                    loop {
                        let mut header = String::new();
                        if client.read_line(&mut header).await.unwrap() == 0 || header == "\r\n" {
                            break;
                        }
                        authorized |= header
                            .to_ascii_lowercase()
                            .starts_with("proxy-authorization:");
                    }
                    seen.lock().unwrap().push((target.clone(), authorized));
                    let Ok(mut upstream) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let mut client = client.into_inner();
                    client
                        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                        .await
                        .unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        Self { addr, tunnels }
    }

    fn tunnels(&self) -> Vec<(String, bool)> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn set_proxy_variables(https_proxy: Option<&str>, no_proxy: Option<&str>) {
    // SAFETY: this binary's only test runs on a current-thread runtime, and nothing else in the
    // process reads or writes the environment while it changes.
    unsafe {
        for name in [
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "HTTP_PROXY",
        ] {
            std::env::remove_var(name);
        }
        for name in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(name);
        }
        if let Some(proxy) = https_proxy {
            std::env::set_var("HTTPS_PROXY", proxy);
        }
        if let Some(list) = no_proxy {
            std::env::set_var("NO_PROXY", list);
        }
    }
}

#[tokio::test]
async fn https_proxy_carries_the_calls_and_no_proxy_is_honoured() {
    let fake = FakeClerk::start().await.unwrap();
    let ca = TestCa::new("private CA");
    let front = TlsFront::start(ca.issue(Leaf::loopback()), fake.local_addr()).await;
    let proxy = ConnectProxy::start().await;
    let client = || {
        Clerk::builder()
            .secret_key(fake.secret_key())
            .api_url(front.url("127.0.0.1"))
            .add_root_certificate_pem(&ca.pem)
            .build()
            .unwrap()
    };
    let create = |clerk: Clerk| async move {
        clerk
            .actor_tokens()
            .create("user_2proxy", Actor::new("user_2admin"))
            .send()
            .await
    };
    let api = front.addr.to_string();

    set_proxy_variables(Some(&format!("http://{}", proxy.addr)), None);
    create(client()).await.expect("through the proxy");
    assert_eq!(
        proxy.tunnels(),
        [(api.clone(), false)],
        "one tunnel to the API"
    );

    // Credentials in the variable are sent to the proxy (Proxy-Authorization) and nowhere else.
    set_proxy_variables(
        Some(&format!("http://egress:PROXYSECRET@{}", proxy.addr)),
        None,
    );
    create(client())
        .await
        .expect("through the proxy, with credentials");
    assert_eq!(proxy.tunnels().last(), Some(&(api.clone(), true)));

    set_proxy_variables(
        Some(&format!("http://egress:PROXYSECRET@{}", proxy.addr)),
        Some("127.0.0.1"),
    );
    let connections = front.connections.load(std::sync::atomic::Ordering::SeqCst);
    create(client()).await.expect("direct");
    assert_eq!(proxy.tunnels().len(), 2, "NO_PROXY sends it direct");
    assert_eq!(
        front.connections.load(std::sync::atomic::Ordering::SeqCst),
        connections + 1
    );

    // A proxy that is down: the error says so, and never shows the proxy's password.
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let down = closed.local_addr().unwrap();
    drop(closed);
    set_proxy_variables(Some(&format!("http://egress:PROXYSECRET@{down}")), None);
    let error = create(client()).await.unwrap_err();
    assert!(!error.is_ambiguous(), "nothing was sent: {error}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("PROXYSECRET"), "{shown}");
    set_proxy_variables(None, None);
    assert_eq!(fake.token_count(), 3);
    fake.stop().await;
}
