//! HTTPS for the fake (feature `tls`): a CA and a server certificate made fresh at each start,
//! and the rustls server configuration that offers them with ALPN `h2` and `http/1.1`.
//!
//! Fresh rather than checked in: a key in the repository would be a key anyone can use, and a
//! certificate that expires would fail the suite one day. The CA is separate from the server
//! certificate because clients trust CAs (a self-signed leaf is refused by webpki as a root in
//! most set-ups), and it is what `FakeClerk::ca_certificate_pem` hands out.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::StartError;

/// ALPN ids, most preferred first (RFC 7301; `h2` is RFC 9113's).
pub(crate) const H2: &[u8] = b"h2";
const HTTP11: &[u8] = b"http/1.1";

/// What a TLS fake serves with: the acceptor for its connections and its CA for clients.
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
}

fn tls_error(what: &str, error: impl std::fmt::Display) -> StartError {
    StartError::Tls(format!("{what}: {error}"))
}

/// A CA, a server certificate it signed for `127.0.0.1`, `localhost` and `origin_ip` (the address
/// in the fake's urls, when it is another one: `::1`, or a LAN address the fake was bound to), and
/// a server config that offers `h2` only when `http2`.
pub(crate) fn configure(origin_ip: IpAddr, http2: bool) -> Result<Tls, StartError> {
    let ca_key = KeyPair::generate().map_err(|e| tls_error("CA key", e))?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name("clerk-actor-tokens-fake CA");
    // A CA that can sign server certificates only, none below it.
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(|e| tls_error("CA", e))?;

    let mut names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    if origin_ip != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        names.push(origin_ip.to_string());
    }
    let leaf_key = KeyPair::generate().map_err(|e| tls_error("server key", e))?;
    let mut leaf = CertificateParams::new(names).map_err(|e| tls_error("server names", e))?;
    leaf.distinguished_name = name("clerk-actor-tokens-fake");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    let leaf = leaf
        .signed_by(&leaf_key, &ca)
        .map_err(|e| tls_error("server certificate", e))?;

    // The provider is named, not taken from the process default: a binary that also links
    // rustls with `ring` has no single default, and `ServerConfig::builder()` would panic there.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .map_err(|e| tls_error("server certificate", e))?;
    config.alpn_protocols = if http2 {
        vec![H2.to_vec(), HTTP11.to_vec()]
    } else {
        vec![HTTP11.to_vec()]
    };
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca.pem(),
    })
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}
