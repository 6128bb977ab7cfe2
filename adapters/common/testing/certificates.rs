//! Certificates made for a test (shared by the adapters' TLS tests through
//! `#[path]`): a CA, and a certificate for `localhost` that it signed.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

/// The CA's certificate, and the server's chain and key, in PEM.
pub struct Certificates {
    pub ca: String,
    pub chain: String,
    pub key: String,
}

pub fn certificates() -> Certificates {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Certificates {
        ca: ca.pem(),
        chain: server.pem(),
        key: key.serialize_pem(),
    }
}
