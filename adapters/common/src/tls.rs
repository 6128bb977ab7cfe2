//! TLS for `wss://` with rustls (feature `rustls`): configurations for
//! both sides from PEM files, and errors that say why a TLS handshake
//! failed in words a user can act on.
//!
//! Everything uses rustls' `ring` provider explicitly, so that an
//! application whose rustls also has `aws-lc-rs` enabled does not depend on
//! a process-wide default having been installed.

use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore, ServerConfig};

pub use rustls;

/// Only HTTP/1.1 is spoken over the connection: a WebSocket upgrade.
const ALPN: &[u8] = b"http/1.1";

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client configuration `connect` uses for `wss://`: the web's root
/// certificates (Mozilla's, from webpki-roots), TLS 1.2 and 1.3, ALPN
/// `http/1.1`. Built once per process.
pub fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| client_config_trusting(web_roots()));
    Arc::clone(config)
}

/// A client configuration that trusts the CA certificates in `pem` as
/// well as the web's roots: for a server whose certificate a private CA
/// signed, or a self-signed one.
///
/// ```no_run
/// let tls = wscore_adapter::tls::client_config_with_ca(&std::fs::read("ca.pem")?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn client_config_with_ca(pem: &[u8]) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = web_roots();
    let mut added = 0;
    for certificate in CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate.map_err(|e| config_error("the CA file", e))?;
        roots
            .add(certificate)
            .map_err(|e| config_error("the CA certificate", e))?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsError::Config(
            "the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(client_config_trusting(roots))
}

fn web_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

fn client_config_trusting(roots: RootCertStore) -> Arc<ClientConfig> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN.to_vec()];
    Arc::new(config)
}

/// A server configuration from a certificate chain and its private key,
/// both PEM (as Let's Encrypt and most tools write them), with ALPN
/// `http/1.1`: serves `https://` and `wss://`.
pub fn server_config(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_error("the certificate file", e))?;
    if chain.is_empty() {
        return Err(TlsError::Config(
            "the certificate file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| config_error("the key file", e))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| config_error("the certificate and key", e))?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(Arc::new(config))
}

fn config_error(what: &str, error: impl fmt::Display) -> TlsError {
    TlsError::Config(format!("{what} cannot be used: {error}"))
}

/// The name a client checks the server's certificate against: the URL's
/// host as [`address`](crate::address) gives it, a DNS name or an IP
/// address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned())
        .map_err(|_| TlsError::Config(format!("{host:?} is not a host name TLS can check")))
}

/// Why TLS could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// The TLS handshake with `server` failed (as a client).
    Handshake {
        /// The host connected to.
        server: String,
        /// The error, usually a [`rustls::Error`] inside.
        cause: io::Error,
    },
    /// Certificates or a key could not be read or used.
    Config(String),
}

impl TlsError {
    /// The rustls error behind a failed handshake, if that is what it was.
    pub fn rustls(&self) -> Option<&rustls::Error> {
        match self {
            Self::Handshake { cause, .. } => cause.get_ref()?.downcast_ref(),
            Self::Config(_) => None,
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (server, cause) = match self {
            Self::Config(message) => return write!(f, "TLS configuration: {message}"),
            Self::Handshake { server, cause } => (server, cause),
        };
        write!(f, "TLS handshake with {server} failed: ")?;
        let Some(error) = self.rustls() else {
            return match cause.kind() {
                io::ErrorKind::UnexpectedEof => f.write_str(
                    "the server closed the connection during the TLS handshake \
                     (is it serving TLS on this port?)",
                ),
                _ => cause.fmt(f),
            };
        };
        match error {
            rustls::Error::InvalidCertificate(certificate) => match certificate {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => f.write_str(
                    "the server's certificate is not trusted: no known authority signed it \
                     (self-signed, or from a private CA: trust that CA's certificate)",
                ),
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => write!(
                    f,
                    "the server's certificate is not valid for the name {server} \
                     (it was issued for other names)"
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    f.write_str("the server's certificate has expired")
                }
                other => write!(f, "the server's certificate was refused: {other:?}"),
            },
            rustls::Error::AlertReceived(alert) => write!(
                f,
                "the server refused the TLS handshake with the alert {alert:?}"
            ),
            rustls::Error::InvalidMessage(_) => f.write_str(
                "the server's answer is not TLS: it speaks plain text on this port \
                 (a ws:// server?)",
            ),
            other => other.fmt(f),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Handshake { cause, .. } => Some(cause),
            Self::Config(_) => None,
        }
    }
}
