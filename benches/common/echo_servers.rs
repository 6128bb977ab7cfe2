//! Echo servers on wscore-tokio, tokio-tungstenite and fastwebsockets, for
//! the benches that load or hold connections.

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::net::{TcpListener, TcpStream};
use wscore::connection::{Config, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::server::{Accept, ServerHandshake};
use wscore::handshake::{Limits, Status};

pub async fn wscore_echo(stream: TcpStream) {
    let Ok(ws) = wscore_tokio::accept(stream).await else {
        return;
    };
    wscore_echo_on(ws).await;
}

/// The wscore-tokio echo server agreeing to permessage-deflate when offered.
pub async fn wscore_deflate_echo(stream: TcpStream) {
    let accept = |_: &wscore_tokio::Request<'_>| {
        wscore_tokio::Decision::Accept(Accept::new().deflate(DeflateConfig::new()))
    };
    let Ok(ws) = wscore_tokio::accept_with(stream, Config::new(), accept).await else {
        return;
    };
    wscore_echo_on(ws).await;
}

async fn wscore_echo_on(mut ws: wscore_tokio::WebSocketStream<TcpStream>) {
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && ws.send(message).await.is_err()
        {
            return;
        }
    }
}

pub async fn tungstenite_echo(stream: TcpStream) {
    use tokio_tungstenite::tungstenite::Message;
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && ws.send(message).await.is_err()
        {
            return;
        }
    }
}

/// fastwebsockets after the handshake (done by wscore: the handshake is not
/// what is measured), echoing whole frames as its own examples do.
pub async fn fastwebsockets_echo(mut stream: TcpStream) {
    let mut received = Vec::new();
    let mut handshake = ServerHandshake::new(Limits::default());
    loop {
        let mut chunk = [0; 1024];
        let Ok(n @ 1..) = stream.read(&mut chunk).await else {
            return;
        };
        received.extend_from_slice(&chunk[..n]);
        if let Ok(Status::Complete(request)) = handshake.receive(&received) {
            let Ok(accepted) = request.accept(&Accept::new()) else {
                return;
            };
            if stream.write_all(accepted.response()).await.is_err() {
                return;
            }
            break;
        }
    }
    let ws = fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
    let mut ws = fastwebsockets::FragmentCollector::new(ws);
    while let Ok(frame) = ws.read_frame().await {
        let data = matches!(
            frame.opcode,
            fastwebsockets::OpCode::Text | fastwebsockets::OpCode::Binary
        );
        if frame.opcode == fastwebsockets::OpCode::Close
            || (data && ws.write_frame(frame).await.is_err())
        {
            return;
        }
    }
}

/// The runtime every server and load generator runs on: two workers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Listens on a free loopback port and runs `echo` on every connection.
pub async fn serve<F, Fut>(echo: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(echo(stream));
        }
    });
    addr
}
