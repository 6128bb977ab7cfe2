//! wscore-tokio over TLS (feature `rustls`), with certificates made here:
//! a CA, and a certificate for `localhost` it signed. A client that trusts
//! the CA echoes through a server that serves it; one that does not, one
//! that asks for another name and one that finds plain text each get an
//! error naming the cause.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use wscore::connection::{Config, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_tokio::{tls, Accept, Decision, Error, HandshakeError, Limits, Request};

#[path = "../../common/testing/certificates.rs"]
mod certificates;
use certificates::{certificates, Certificates};

/// A TLS echo server for one connection (compression agreed when offered);
/// returns its port.
async fn tls_echo_server(certificates: &Certificates) -> u16 {
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    serve(config).await
}

/// An echo server for one connection over TLS with `config`; its port.
async fn serve(config: Arc<tls::rustls::ServerConfig>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let Ok(stream) = TlsAcceptor::from(config).accept(tcp).await else {
            return; // the client refused the certificate
        };
        let decide =
            |_: &Request<'_>| Decision::Accept(Accept::new().deflate(DeflateConfig::new()));
        let mut ws = wscore_tokio::accept_with(stream, Config::new(), Limits::new(), decide)
            .await
            .unwrap();
        while let Some(message) = ws.next().await {
            if let message @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                ws.send(message).await.unwrap();
            }
        }
    });
    port
}

#[tokio::test]
async fn echo_over_tls_with_a_private_ca() {
    let certificates = certificates();
    let port = tls_echo_server(&certificates).await;
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let url = format!("wss://localhost:{port}/");
    let request = ClientRequest::from_url(&url)
        .unwrap()
        .deflate(DeflateConfig::new());
    let mut ws = wscore_tokio::connect_tls(&request, Config::new(), trust)
        .await
        .unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    let big = Bytes::from((0..1 << 20).map(|i| i as u8).collect::<Vec<_>>());
    for message in [Message::text("over TLS"), Message::binary(big)] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none(), "a clean close ends the stream");
    assert!(ws.connection().closed().unwrap().clean);
}

/// The error of a failed connection, as a user reads it.
async fn failure(url: &str, trust: Arc<tls::rustls::ClientConfig>) -> String {
    let request = ClientRequest::from_url(url).unwrap();
    let Err(error) = wscore_tokio::connect_tls(&request, Config::new(), trust).await else {
        panic!("connected to {url}");
    };
    assert!(
        matches!(error, Error::Handshake(HandshakeError::Tls(_))),
        "{error:?}"
    );
    error.to_string()
}

#[tokio::test]
async fn an_untrusted_certificate_is_named() {
    let port = tls_echo_server(&certificates()).await;
    let message = failure(&format!("wss://localhost:{port}/"), tls::client_config()).await;
    assert!(
        message.contains(
            "TLS handshake with localhost failed: the server's certificate is not trusted"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_named() {
    let certificates = certificates();
    let port = tls_echo_server(&certificates).await;
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let message = failure(&format!("wss://127.0.0.1:{port}/"), trust).await;
    assert!(
        message.contains("the server's certificate is not valid for the name 127.0.0.1"),
        "{message}"
    );
}

#[tokio::test]
async fn a_tls_alert_is_named() {
    let certificates = certificates();
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    // A server that speaks only HTTP/2 refuses a client that offers only
    // HTTP/1.1 with an alert.
    let mut h2_only = (*config).clone();
    h2_only.alpn_protocols = vec![b"h2".to_vec()];
    let port = serve(Arc::new(h2_only)).await;
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let message = failure(&format!("wss://localhost:{port}/"), trust).await;
    assert!(
        message
            .contains("the server refused the TLS handshake with the alert NoApplicationProtocol"),
        "{message}"
    );
}

#[tokio::test]
async fn a_plain_text_server_is_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        wscore_tokio::accept(tcp).await.map(drop)
    });
    let message = failure(&format!("wss://localhost:{port}/"), tls::client_config()).await;
    assert!(
        message.contains("the server's answer is not TLS: it speaks plain text on this port"),
        "{message}"
    );
    // And the server says why it refused: TLS bytes on a plain port.
    let refused = server.await.unwrap().unwrap_err().to_string();
    assert!(refused.contains("TLS"), "{refused}");
}

#[tokio::test]
async fn unusable_certificate_files_are_named() {
    let error = tls::client_config_with_ca(b"not a certificate").unwrap_err();
    assert!(
        error.to_string().contains("holds no PEM certificate"),
        "{error}"
    );
    let certificates = certificates();
    let error = tls::server_config(certificates.chain.as_bytes(), b"").unwrap_err();
    assert!(
        error.to_string().contains("the key file cannot be used"),
        "{error}"
    );
}
