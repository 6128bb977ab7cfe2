//! WebSockets over HTTP/3 (RFC 9220, feature `http3`): wscore's client
//! (`connect_h3`) and server (`serve_h3`) over QUIC on loopback, with a
//! certificate from a CA made here: messages both ways, a clean close, a
//! refusal named; a peer that resets its stream mid-message, opens more
//! streams than allowed, or stops reading.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use wscore::connection::{Config, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_tokio::{
    tls, Accept, Decision, Error, H3Stream, Request, RequestKind, Response, WebSocketStream,
};

mod echo;
use echo::{assert_held_back, echo};

#[path = "../../common/testing/certificates.rs"]
mod certificates;
use certificates::certificates;

/// QUIC for a server: the test certificate, ALPN h3.
fn quic_server_config(certificates: &certificates::Certificates) -> quinn::ServerConfig {
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    let mut config = (*config).clone();
    config.alpn_protocols = vec![wscore_tokio::H3_ALPN.to_vec()];
    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(config).unwrap();
    quinn::ServerConfig::with_crypto(Arc::new(quic))
}

/// A WebSocket to `path` on the server at `addr` over HTTP/3, trusting the
/// test CA, offering permessage-deflate if given.
async fn connect(
    certificates: &certificates::Certificates,
    addr: SocketAddr,
    path: &str,
    deflate: Option<DeflateConfig>,
) -> Result<WebSocketStream<H3Stream>, Error> {
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let url = format!("wss://localhost:{}{path}", addr.port());
    let mut request = ClientRequest::from_url(&url).unwrap();
    if let Some(config) = deflate {
        request = request.deflate(config);
    }
    wscore_tokio::connect_h3(&request, Config::new(), trust).await
}

/// An HTTP/3 echo server on a free UDP port (reading what comes, or
/// never, and at most `max_streams` requests at once on a connection); its
/// address and how its WebSockets ended.
fn h3_server(
    certificates: &certificates::Certificates,
    read: bool,
    max_streams: u32,
) -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let mut server = quic_server_config(certificates);
    Arc::get_mut(&mut server.transport)
        .unwrap()
        .max_concurrent_bidi_streams(max_streams.into());
    let endpoint = quinn::Endpoint::server(server, "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = endpoint.local_addr().unwrap();
    let (ended, endings) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(incoming) = endpoint.accept().await {
            let ended = ended.clone();
            tokio::spawn(async move {
                let Ok(connection) = incoming.await else {
                    return;
                };
                let decide = |request: &Request<'_>| match (request.kind(), request.path()) {
                    (RequestKind::Http, _) => Decision::Respond(Response::html("<p>a page</p>")),
                    (_, "/forbidden") => Decision::Respond(Response::new(403).body("not for you")),
                    _ => Decision::Accept(Accept::new().deflate(DeflateConfig::new())),
                };
                let echo = move |ws| echo(ws, read, ended.clone());
                let _ = wscore_tokio::serve_h3(connection, Config::new(), decide, echo).await;
            });
        }
    });
    (addr, endings)
}

#[tokio::test]
async fn echo_over_http3() {
    let certificates = certificates();
    let (addr, mut endings) = h3_server(&certificates, true, 100);
    let mut ws = connect(&certificates, addr, "/chat", Some(DeflateConfig::new()))
        .await
        .unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    let big = Bytes::from((0..1 << 20).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    for message in [Message::text("over HTTP/3"), Message::binary(big)] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none(), "a clean close ends the stream");
    assert!(ws.connection().closed().unwrap().clean);
    assert_eq!(endings.recv().await.unwrap(), "clean");
}

#[tokio::test]
async fn a_refusal_over_http3_is_named() {
    let certificates = certificates();
    let (addr, _) = h3_server(&certificates, true, 100);
    let Err(error) = connect(&certificates, addr, "/forbidden", None).await else {
        panic!("opened");
    };
    assert!(matches!(error, Error::Refused(_)), "{error:?}");
    assert!(error.to_string().contains("403 Forbidden"), "{error}");
}

/// A raw QUIC connection to the server, with ALPN h3 and the test CA.
async fn raw_connection(addr: SocketAddr, ca: &str) -> quinn::Connection {
    let trust = tls::client_config_with_ca(ca.as_bytes()).unwrap();
    let mut trust = (*trust).clone();
    trust.alpn_protocols = vec![wscore_tokio::H3_ALPN.to_vec()];
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(trust).unwrap();
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    endpoint.connect(addr, "localhost").unwrap().await.unwrap()
}

/// An HTTP/3 frame: its type (under 64), its payload's length as a
/// two-byte varint, the payload.
fn h3_frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u16 | 0x4000;
    let mut frame = vec![kind];
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// A WebSocket's extended CONNECT as a HEADERS frame: QPACK literals with
/// literal names (RFC 9204 §4.5.6), no Huffman coding.
fn connect_headers(port: u16) -> Vec<u8> {
    let authority = format!("localhost:{port}");
    let fields = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/"),
        (":authority", authority.as_str()),
        ("sec-websocket-version", "13"),
    ];
    let mut block = vec![0, 0];
    for (name, value) in fields {
        // A 3-bit length prefix: 7 and more continue in the next byte.
        match name.len() {
            len @ 0..=6 => block.push(0x20 | len as u8),
            len => block.extend_from_slice(&[0x27, (len - 7) as u8]),
        }
        block.extend_from_slice(name.as_bytes());
        block.push(value.len() as u8);
        block.extend_from_slice(value.as_bytes());
    }
    h3_frame(0x01, &block)
}

#[tokio::test]
async fn a_reset_mid_message_ends_the_websocket_with_its_cause() {
    let certificates = certificates();
    let (addr, mut endings) = h3_server(&certificates, true, 100);
    let connection = raw_connection(addr, &certificates.ca).await;
    let (mut send, mut recv) = connection.open_bi().await.unwrap();
    send.write_all(&connect_headers(addr.port())).await.unwrap();
    let mut response = [0; 64];
    assert!(recv.read(&mut response).await.unwrap().is_some(), "the 200");
    // Half of a masked 10-byte text frame, then a reset.
    let half = [0x81, 0x8a, 0, 0, 0, 0, b'h', b'a'];
    send.write_all(&h3_frame(0x00, &half)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    send.reset(0x10c_u32.into()).unwrap(); // H3_REQUEST_CANCELLED
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), endings.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(ended.contains("reset") && ended.contains("268"), "{ended}");
}

#[tokio::test]
async fn requests_beyond_the_stream_limit_wait() {
    let certificates = certificates();
    let (addr, _) = h3_server(&certificates, true, 2);
    let connection = raw_connection(addr, &certificates.ca).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let (mut send, recv) = connection.open_bi().await.unwrap();
        send.write_all(&connect_headers(addr.port())).await.unwrap();
        open.push((send, recv));
    }
    let third =
        tokio::time::timeout(std::time::Duration::from_millis(500), connection.open_bi()).await;
    assert!(third.is_err(), "a third stream opened beyond the limit");
}

#[tokio::test]
async fn a_reader_that_stops_holds_the_sender_back() {
    let certificates = certificates();
    let (addr, _) = h3_server(&certificates, false, 100);
    let ws = connect(&certificates, addr, "/", None).await.unwrap();
    // QUIC's stream and connection windows, and the send queue's high-water
    // mark: a few MiB, never the 2 s of a loopback flood.
    assert_held_back(ws, 32).await;
}

#[tokio::test]
async fn a_server_without_extended_connect_is_named() {
    // An HTTP/3 server whose SETTINGS are empty: no extended CONNECT.
    let certificates = certificates();
    let server = quic_server_config(&certificates);
    let endpoint = quinn::Endpoint::server(server, "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = endpoint.local_addr().unwrap();
    tokio::spawn(async move {
        let connection = endpoint.accept().await.unwrap().await.unwrap();
        let mut control = connection.open_uni().await.unwrap();
        // A control stream, then a SETTINGS frame with nothing in it.
        control.write_all(&[0x00, 0x04, 0x00]).await.unwrap();
        connection.closed().await;
    });
    let Err(error) = connect(&certificates, addr, "/", None).await else {
        panic!("opened");
    };
    assert!(
        matches!(
            error,
            Error::Handshake(wscore_tokio::HandshakeError::Http3(
                wscore_tokio::Http3Error::NoExtendedConnect
            ))
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("SETTINGS_ENABLE_CONNECT_PROTOCOL"),
        "{error}"
    );
}
