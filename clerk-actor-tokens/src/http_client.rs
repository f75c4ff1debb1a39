//! The HTTP client the SDK builds when the caller brings none.
//!
//! TLS is reqwest's own rustls set-up: the `aws-lc-rs` crypto provider (or the process-wide
//! default provider, if the application installed one) and the platform's trust store
//! (rustls-platform-verifier). The SDK deliberately enables reqwest's `rustls` feature, which
//! carries a provider, rather than `rustls-no-provider` with `ring`: features unify across a
//! binary, so with `rustls-no-provider` every other `reqwest::Client::new()` in the application
//! (in code that never heard of this SDK) panicked at run time for want of a provider. ring built
//! about 14 s faster on the project's 2-core machine (reqwest alone: 24–25 s instead of 39–40 s),
//! a price worth paying for not breaking unrelated code; see BENCHMARKS.md for the whole build.

use std::time::Duration;

use crate::error::ConfigError;

/// A `reqwest::ClientBuilder` with this crate's settings (redirects off): the starting point for
/// a custom client passed to `ClerkBuilder::http_client`.
///
/// Its TLS is reqwest's default rustls set-up (see the crate's README), so a plain
/// `reqwest::Client::new()` elsewhere in the same binary works as well.
///
/// ```
/// use std::time::Duration;
///
/// let http = clerk_actor_tokens::http_client_builder()
///     .pool_idle_timeout(Duration::from_secs(30))
///     .build()
///     .expect("valid client settings");
/// let clerk = clerk_actor_tokens::Clerk::builder()
///     .secret_key("sk_test_example")
///     .http_client(http)
///     .build()?;
/// # Ok::<(), clerk_actor_tokens::Error>(())
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    // A redirect would replay the bearer key to wherever it points; Clerk's API never redirects.
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// The client of `ClerkBuilder::build`; `root_certificates` are PEM documents trusted beside the
/// platform's store.
pub(crate) fn default_http_client(
    connect_timeout: Duration,
    root_certificates: &[Vec<u8>],
) -> Result<reqwest::Client, ConfigError> {
    let mut roots = Vec::new();
    for pem in root_certificates {
        // A bundle: one file may hold several CAs. reqwest accepts a document without any
        // certificate in it, which would then fail every handshake with "unknown issuer";
        // refusing it here says what is wrong where it is wrong.
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            ConfigError::RootCertificate {
                reason: format!("not a PEM certificate ({e})"),
            }
        })?;
        if certs.is_empty() {
            return Err(ConfigError::RootCertificate {
                reason: "the PEM document holds no CERTIFICATE block".to_string(),
            });
        }
        roots.extend(certs);
    }
    http_client_builder()
        .connect_timeout(connect_timeout)
        .tls_certs_merge(roots)
        .build()
        .map_err(|e| ConfigError::HttpClient(e.to_string()))
}
