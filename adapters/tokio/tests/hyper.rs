//! WebSockets upgraded from hyper's HTTP/1.1 server (feature `hyper`): a
//! wscore client echoes through one; frames sent right behind the request,
//! before the `101`, are not lost; a request whose upgrade a proxy
//! stripped gets the `426` naming the cause, as from `accept_with`.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wscore::connection::{Config, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore_tokio::{Accept, Decision, Request};

async fn handle(
    mut request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let decide = |_: &Request<'_>| Decision::Accept(Accept::new().deflate(DeflateConfig::new()));
    let (response, websocket) = wscore_tokio::upgrade(&mut request, Config::new(), decide);
    if let Ok(websocket) = websocket {
        tokio::spawn(async move {
            let mut ws = websocket.await.unwrap();
            while let Some(message) = ws.next().await {
                if let message @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                    ws.send(message).await.unwrap();
                }
            }
        });
    }
    Ok(response)
}

/// A hyper server for one connection; its address.
async fn hyper_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service_fn(handle))
            .with_upgrades()
            .await;
    });
    addr
}

#[tokio::test]
async fn a_wscore_client_echoes_through_hyper() {
    let addr = hyper_server().await;
    let url = format!("ws://{addr}/");
    let request = wscore::handshake::client::ClientRequest::from_url(&url)
        .unwrap()
        .deflate(DeflateConfig::new());
    let stream = TcpStream::connect(&addr).await.unwrap();
    let mut ws = wscore_tokio::connect_with(stream, &request, Config::new())
        .await
        .unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    let big = Bytes::from(vec![b'x'; 1 << 20]);
    for message in [Message::text("through hyper"), Message::binary(big)] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    assert!(ws.connection().closed().unwrap().clean);
}

const REQUEST: &str = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

#[tokio::test]
async fn a_frame_sent_behind_the_request_is_not_lost() {
    let addr = hyper_server().await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    // "hi", masked with a zero key, in the same write as the request.
    let mut bytes = REQUEST.as_bytes().to_vec();
    bytes.extend_from_slice(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']);
    stream.write_all(&bytes).await.unwrap();
    let mut received = Vec::new();
    while !received.ends_with(b"\x81\x02hi") {
        let mut chunk = [0; 512];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "ended before the echo: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&chunk[..n]);
    }
    assert!(received.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
}

#[tokio::test]
async fn a_stripped_upgrade_gets_426_naming_it() {
    let addr = hyper_server().await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let stripped = REQUEST.replace("Upgrade: websocket\r\nConnection: Upgrade\r\n", "");
    stream.write_all(stripped.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{response}"
    );
    assert!(
        response.contains("must forward the Upgrade and Connection headers"),
        "{response}"
    );
}
