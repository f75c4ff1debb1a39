//! What the error of a failed connection says beyond reqwest's own kinds: that the TLS handshake
//! failed, and why; or that an HTTP/2 server refused the request without processing it. reqwest
//! keeps both inside its error's source chain (rustls's error inside an `io::Error`, h2's inside
//! hyper's), so they are read from there.

use crate::error::TlsProblem;

/// The cause found in a failed connection's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The handshake failed: nothing was sent.
    Tls(TlsProblem),
    /// The server said it did not process the request (HTTP/2 only).
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    NotProcessed,
    /// Nothing more than reqwest says.
    Other,
}

/// Reads the cause of a failed request's error.
pub(crate) fn cause(error: &reqwest::Error) -> Cause {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Cause::Tls(problem(tls));
        }
        #[cfg(feature = "http2")]
        if let Some(h2) = e.downcast_ref::<h2::Error>() {
            return if refused_unprocessed(h2) {
                Cause::NotProcessed
            } else {
                Cause::Other
            };
        }
        next = match e.downcast_ref::<std::io::Error>() {
            // `io::Error::source` skips the error it wraps (it returns that error's own source),
            // and hyper-util and tokio-rustls wrap rustls's error in an `io::Error` each: step
            // into the wrapped error instead.
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    Cause::Other
}

fn problem(error: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsProblem::UntrustedCertificate,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongHostName,
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::Revoked => TlsProblem::Revoked,
            _ => TlsProblem::InvalidCertificate,
        },
        _ => TlsProblem::Handshake,
    }
}

/// RFC 9113: a stream refused with REFUSED_STREAM, and a stream above the last stream id of a
/// GOAWAY, were not processed (section 8.7). h2 gives such streams the GOAWAY's own error, with
/// the remote as initiator; a graceful GOAWAY (a restart) says NO_ERROR. Any other GOAWAY error
/// (h2 also hands it to streams the server did process, when the connection ends on it) and a
/// broken connection stay ambiguous.
#[cfg(feature = "http2")]
fn refused_unprocessed(error: &h2::Error) -> bool {
    let reason = error.reason();
    (error.is_reset() && error.is_remote() && reason == Some(h2::Reason::REFUSED_STREAM))
        || (error.is_go_away() && error.is_remote() && reason == Some(h2::Reason::NO_ERROR))
}
