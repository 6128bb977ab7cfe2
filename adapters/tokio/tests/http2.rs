//! WebSockets over HTTP/2 (RFC 8441, feature `http2`): wscore's client
//! (`connect_h2`) against hyper's HTTP/2 server answering with
//! `wscore_tokio::upgrade`, over TLS (ALPN h2) and with prior knowledge; a
//! server that takes no WebSocket over HTTP/2 or speaks only HTTP/1.1 is
//! named; a peer that exceeds the streams allowed waits; one that stops
//! reading holds the sender back; a reset mid-message ends the WebSocket
//! with its cause.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use wscore::connection::{Config, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_tokio::{
    tls, Accept, Decision, Error, HandshakeError, Http2Error, Request, RequestKind, Response,
};

mod echo;
use echo::{assert_held_back, echo};

#[path = "../../common/testing/certificates.rs"]
mod certificates;
use certificates::certificates;

/// How the test server behaves.
#[derive(Clone, Copy)]
struct Server {
    /// Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL.
    connect_protocol: bool,
    /// Echo what arrives, or never read.
    read: bool,
    max_streams: u32,
}

const ECHO: Server = Server {
    connect_protocol: true,
    read: true,
    max_streams: 100,
};

/// Answers one request: the page, or a WebSocket echoed (or left unread);
/// how each WebSocket ended goes to `ended`.
async fn handle(
    mut request: http::Request<hyper::body::Incoming>,
    server: Server,
    ended: mpsc::UnboundedSender<String>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let decide = |request: &Request<'_>| match (request.kind(), request.path()) {
        (RequestKind::Http, _) => Decision::Respond(Response::html("<p>a page</p>")),
        (_, "/forbidden") => Decision::Respond(Response::new(403).body("not for you")),
        _ => Decision::Accept(Accept::new().deflate(DeflateConfig::new())),
    };
    let (response, websocket) = wscore_tokio::upgrade(&mut request, Config::new(), decide);
    if let Ok(websocket) = websocket {
        tokio::spawn(async move { echo(websocket.await.unwrap(), server.read, ended).await });
    }
    Ok(response)
}

/// hyper's HTTP/2 server on a free port, over TLS (ALPN h2 and
/// http/1.1) when given a configuration; its port and how its WebSockets
/// ended.
async fn h2_server(
    server: Server,
    tls: Option<Arc<tls::rustls::ServerConfig>>,
) -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ended, endings) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let ended = ended.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
                if server.connect_protocol {
                    builder.enable_connect_protocol();
                }
                builder.max_concurrent_streams(server.max_streams);
                let service = service_fn(move |request| handle(request, server, ended.clone()));
                let _ = match tls {
                    Some(tls) => {
                        let Ok(stream) = TlsAcceptor::from(tls).accept(tcp).await else {
                            return;
                        };
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                    None => builder.serve_connection(TokioIo::new(tcp), service).await,
                };
            });
        }
    });
    (port, endings)
}

fn h2_tls_config(certificates: &certificates::Certificates) -> Arc<tls::rustls::ServerConfig> {
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    let mut config = (*config).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

async fn echoes(ws: &mut wscore_tokio::WebSocketStream<wscore_tokio::H2Stream>) {
    let big = Bytes::from((0..1 << 20).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    for message in [Message::text("over HTTP/2"), Message::binary(big)] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
}

#[tokio::test]
async fn echo_over_http2_with_tls() {
    let certificates = certificates();
    let (port, mut endings) = h2_server(ECHO, Some(h2_tls_config(&certificates))).await;
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let url = format!("wss://localhost:{port}/chat");
    let request = ClientRequest::from_url(&url)
        .unwrap()
        .deflate(DeflateConfig::new());
    let mut ws = wscore_tokio::connect_h2(&request, Config::new(), trust)
        .await
        .unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    echoes(&mut ws).await;
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none(), "a clean close ends the stream");
    assert!(ws.connection().closed().unwrap().clean);
    assert_eq!(endings.recv().await.unwrap(), "clean");
}

/// A `ws://` URL: HTTP/2 with prior knowledge (h2c).
async fn connect_h2c(
    port: u16,
    path: &str,
) -> Result<wscore_tokio::WebSocketStream<wscore_tokio::H2Stream>, Error> {
    let url = format!("ws://127.0.0.1:{port}{path}");
    let request = ClientRequest::from_url(&url).unwrap();
    wscore_tokio::connect_h2(&request, Config::new(), tls::client_config()).await
}

#[tokio::test]
async fn echo_over_http2_with_prior_knowledge() {
    let (port, mut endings) = h2_server(ECHO, None).await;
    let mut ws = connect_h2c(port, "/").await.unwrap();
    echoes(&mut ws).await;
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    assert_eq!(endings.recv().await.unwrap(), "clean");
}

#[tokio::test]
async fn a_refusal_is_named() {
    let (port, _) = h2_server(ECHO, None).await;
    let Err(error) = connect_h2c(port, "/forbidden").await else {
        panic!("opened");
    };
    assert!(matches!(error, Error::Refused(_)), "{error:?}");
    assert!(error.to_string().contains("403 Forbidden"), "{error}");
}

#[tokio::test]
async fn a_server_without_extended_connect_is_named() {
    let server = Server {
        connect_protocol: false,
        ..ECHO
    };
    let (port, _) = h2_server(server, None).await;
    let Err(error) = connect_h2c(port, "/").await else {
        panic!("opened");
    };
    assert!(
        matches!(
            error,
            Error::Handshake(HandshakeError::Http2(Http2Error::NoExtendedConnect))
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

#[tokio::test]
async fn a_server_without_http2_is_named() {
    let certificates = certificates();
    // ALPN http/1.1 only.
    let config =
        tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = TlsAcceptor::from(config).accept(tcp).await;
    });
    let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
    let url = format!("wss://localhost:{port}/");
    let request = ClientRequest::from_url(&url).unwrap();
    let Err(error) = wscore_tokio::connect_h2(&request, Config::new(), trust).await else {
        panic!("opened");
    };
    assert!(
        error
            .to_string()
            .contains("did not agree to HTTP/2 (ALPN h2)"),
        "{error}"
    );
}

/// A raw HTTP/2 client on one connection: extended CONNECTs as a browser
/// sends them.
async fn raw_client(port: u16) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (send, mut connection) = h2::client::handshake(tcp).await.unwrap();
    let mut ping = connection.ping_pong().unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    ping.ping(h2::Ping::opaque()).await.unwrap();
    send.ready().await.unwrap()
}

fn websocket_connect(port: u16) -> http::Request<()> {
    let mut request = http::Request::builder()
        .method("CONNECT")
        .uri(format!("http://127.0.0.1:{port}/"))
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    request
}

#[tokio::test]
async fn websockets_beyond_the_stream_limit_wait() {
    let server = Server {
        max_streams: 2,
        ..ECHO
    };
    let (port, _) = h2_server(server, None).await;
    let mut send = raw_client(port).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let (response, stream) = send.send_request(websocket_connect(port), false).unwrap();
        assert_eq!(response.await.unwrap().status(), 200);
        open.push(stream);
        send = send.ready().await.unwrap();
    }
    // The third must wait for one of the two to end.
    let third = tokio::time::timeout(Duration::from_millis(500), async {
        let (response, _) = send.send_request(websocket_connect(port), false).unwrap();
        response.await
    })
    .await;
    assert!(
        third.is_err(),
        "a third WebSocket opened beyond the limit: {third:?}"
    );
}

#[tokio::test]
async fn a_reset_mid_message_ends_the_websocket_with_its_cause() {
    let (port, mut endings) = h2_server(ECHO, None).await;
    let mut send = raw_client(port).await;
    let (response, mut stream) = send.send_request(websocket_connect(port), false).unwrap();
    assert_eq!(response.await.unwrap().status(), 200);
    // Half of a masked 10-byte text frame, then a reset.
    stream
        .send_data(
            Bytes::from_static(&[0x81, 0x8a, 0, 0, 0, 0, b'h', b'a']),
            false,
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream.send_reset(h2::Reason::CANCEL);
    let ended = tokio::time::timeout(Duration::from_secs(5), endings.recv())
        .await
        .unwrap()
        .unwrap();
    // h2's words for the reason, CANCEL.
    assert!(ended.contains("stream no longer needed"), "{ended}");
}

#[tokio::test]
async fn a_reader_that_stops_holds_the_sender_back() {
    let server = Server {
        read: false,
        ..ECHO
    };
    let (port, _) = h2_server(server, None).await;
    let ws = connect_h2c(port, "/").await.unwrap();
    // The stream and connection windows, and the send queue's high-water
    // mark: a few MiB, never the 2 s of a loopback flood.
    assert_held_back(ws, 16).await;
}

#[tokio::test]
async fn websockets_share_one_connection() {
    let (port, mut endings) = h2_server(ECHO, None).await;
    let url = format!("ws://127.0.0.1:{port}/");
    let request = ClientRequest::from_url(&url).unwrap();
    let connection = wscore_tokio::Http2Connection::connect(&request, tls::client_config())
        .await
        .unwrap();
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(connection.open(&request, Config::new()).await.unwrap());
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        let message = Message::text(format!("stream {i}"));
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    for mut ws in sockets {
        ws.close().await.unwrap();
        assert!(ws.next().await.is_none());
        assert_eq!(endings.recv().await.unwrap(), "clean");
    }
}
