//! wscore-blocking over TLS (feature `rustls`): a client that trusts the
//! test's CA echoes through a server accepting over rustls' `StreamOwned`;
//! one that does not trust it is told why.

use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::{ServerConnection, StreamOwned};
use wscore::connection::{Event, Message};
use wscore::handshake::client::ClientRequest;
use wscore_blocking::{tls, Error, HandshakeError, WebSocket};

#[path = "../../common/testing/certificates.rs"]
mod certificates;
use certificates::certificates;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Serves one TLS connection: echoes until the close, then reports how it
/// ended; returns the port.
fn server(config: Arc<rustls::ServerConfig>) -> (u16, thread::JoinHandle<Option<bool>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
        let stream = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        let mut ws = WebSocket::accept(stream).ok()?;
        loop {
            match ws.read().ok()? {
                Event::Text(text) => ws.send(Message::Text(text)).ok()?,
                Event::Closed(_) => return Some(ws.connection().closed()?.clean),
                _ => {}
            }
        }
    });
    (port, server)
}

#[test]
fn echo_over_tls_and_a_clean_close() {
    let certificates = certificates();
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    let (port, server) = server(config);
    let url = format!("wss://localhost:{port}/");
    let request = ClientRequest::from_url(&url).unwrap();
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let mut ws = WebSocket::connect_tls(&request, TIMEOUT, trust).unwrap();
    ws.send(Message::text("over TLS")).unwrap();
    assert_eq!(ws.read().unwrap(), Event::Text("over TLS".into()));
    ws.close(wscore::close::CloseCode::NORMAL, "done").unwrap();
    loop {
        if let Event::Closed(_) = ws.read().unwrap() {
            break;
        }
    }
    assert!(ws.connection().closed().unwrap().clean);
    assert_eq!(
        server.join().unwrap(),
        Some(true),
        "the server saw a clean close"
    );
}

#[test]
fn an_untrusted_certificate_is_named() {
    let certificates = certificates();
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    let (port, server) = server(config);
    let Err(error) = WebSocket::connect(&format!("wss://localhost:{port}/"), TIMEOUT) else {
        panic!("connected with an untrusted certificate");
    };
    assert!(
        matches!(error, Error::Handshake(HandshakeError::Tls(_))),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("the server's certificate is not trusted"),
        "{error}"
    );
    assert_eq!(server.join().unwrap(), None, "the server never opened");
}
