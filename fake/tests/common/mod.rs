//! The plain HTTP client the fake's tests talk to it with, and the answers it reads.
#![allow(dead_code)] // each test crate uses a different part

use clerk_actor_tokens::Clerk;
use clerk_actor_tokens::raw::ClientInfo;
use clerk_actor_tokens_fake::TEST_SECRET_KEY;
use serde_json::Value;

/// The SDK's reqwest client (its TLS setup, no redirects followed), without the SDK's headers.
pub fn http() -> reqwest::Client {
    Clerk::new(TEST_SECRET_KEY)
        .unwrap()
        .raw_client()
        .client()
        .clone()
}

/// An answer: its status, headers and JSON body (`Null` when empty).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// Sends `request` and reads the whole answer.
pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {bytes:?}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// `request` with the test secret key.
pub fn auth(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.bearer_auth(TEST_SECRET_KEY)
}
