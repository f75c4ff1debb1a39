//! A scripted HTTP/1.1 server over a real TCP socket, for servers that misbehave in ways no
//! well-behaved mock will: bodies that stall after the headers, drip, reset or never end, and
//! heads that are huge or malformed.
//!
//! Every connection reads one request (head and declared body), counts it, then plays the same
//! script. Scripts end by closing the connection, so a retry always comes on a new connection
//! and is counted as a new request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One step of what the server does after reading a request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Wait, then go on.
    Pause(Duration),
    /// Write one byte of `b' '` at this interval, forever (until the client goes away).
    Drip(Duration),
    /// Write this many bytes as fast as the client reads them (`usize::MAX`: forever).
    Flood(usize),
    /// Hold the connection open and silent forever.
    Stall,
    /// Close with a TCP reset instead of an orderly shutdown.
    Reset,
}

/// A running scripted server.
pub struct Scripted {
    /// `http://127.0.0.1:PORT`, for `api_url`.
    pub base: String,
    requests: Arc<AtomicUsize>,
}

impl Scripted {
    /// Starts a server that plays `script` to every request.
    pub async fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let script = script.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut socket = socket;
                    if read_request(&mut socket).await.is_empty() {
                        return;
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    play(socket, &script).await;
                });
            }
        });
        Self { base, requests }
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn play(mut socket: TcpStream, script: &[Step]) {
    for step in script {
        let written = match step {
            Step::Write(bytes) => socket.write_all(bytes).await,
            Step::Pause(d) => {
                tokio::time::sleep(*d).await;
                Ok(())
            }
            Step::Drip(every) => loop {
                if let Err(e) = socket.write_all(b" ").await {
                    break Err(e);
                }
                tokio::time::sleep(*every).await;
            },
            Step::Flood(total) => {
                let chunk = vec![b' '; 64 * 1024];
                let mut left = *total;
                let mut result = Ok(());
                while left > 0 {
                    let n = left.min(chunk.len());
                    if let Err(e) = socket.write_all(&chunk[..n]).await {
                        result = Err(e);
                        break;
                    }
                    if *total != usize::MAX {
                        left -= n;
                    }
                }
                result
            }
            Step::Stall => {
                // Park until the client closes the connection (a read of 0 or an error).
                let mut sink = [0u8; 1024];
                while let Ok(n) = socket.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
                return;
            }
            Step::Reset => {
                let _ = socket.set_zero_linger();
                return;
            }
        };
        if written.is_err() {
            return;
        }
    }
    let _ = socket.shutdown().await;
}

/// Reads one request: the head, then as many body bytes as `Content-Length` declares. Returns
/// what was read (empty when the peer closed before sending anything).
pub async fn read_request(socket: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match socket.read(&mut chunk).await {
            Ok(n) => n,
            Err(_) => return buf,
        };
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return buf;
            }
        }
    }
}

/// A response head: status line, `connection: close`, the given header lines, the blank line.
pub fn head(status: &str, headers: &[&str]) -> Step {
    let mut text = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    Step::Write(text.into_bytes())
}
