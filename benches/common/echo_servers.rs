//! Echo servers on wscore-tokio, tokio-tungstenite and fastwebsockets, for
//! the benches that load or hold connections, over TCP or TLS.

use bytes::{Buf, BytesMut};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use tokio::net::{TcpListener, TcpStream};
use wscore::connection::{Config, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::frame::{FrameHeader, HeaderStatus, Opcode};
use wscore::handshake::client::ClientRequest;
use wscore::handshake::server::{Accept, ServerHandshake};
use wscore::handshake::{Limits, Status};
use wscore_tokio::tls::rustls;

/// What every server here runs over: TCP, or TLS over TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for S {}

pub async fn wscore_echo(stream: impl Io) {
    let Ok(ws) = wscore_tokio::accept(stream).await else {
        return;
    };
    wscore_echo_on(ws).await;
}

/// The wscore-tokio echo server agreeing to permessage-deflate with `config` when offered.
pub async fn wscore_deflate_echo(stream: TcpStream, config: DeflateConfig) {
    let accept = |_: &wscore_tokio::Request<'_>| {
        wscore_tokio::Decision::Accept(Accept::new().deflate(config))
    };
    let Ok(ws) = wscore_tokio::accept_with(
        stream,
        Config::new(),
        wscore_tokio::Limits::default(),
        accept,
    )
    .await
    else {
        return;
    };
    wscore_echo_on(ws).await;
}

pub async fn wscore_echo_on(mut ws: wscore_tokio::WebSocketStream<impl Io>) {
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && ws.send(message).await.is_err()
        {
            return;
        }
    }
}

pub async fn tungstenite_echo(stream: impl Io) {
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

/// The opening handshake done by wscore, on the bare stream: for the
/// servers whose handshake is not what is measured.
pub async fn handshake<S: Io>(mut stream: S) -> Option<S> {
    let mut received = Vec::new();
    let mut handshake = ServerHandshake::new(Limits::default(), core::time::Duration::ZERO);
    loop {
        let mut chunk = [0; 1024];
        let Ok(n @ 1..) = stream.read(&mut chunk).await else {
            return None;
        };
        received.extend_from_slice(&chunk[..n]);
        if let Ok(Status::Complete(request)) = handshake.receive(&received) {
            let accepted = request.accept(&Accept::new()).ok()?;
            stream.write_all(accepted.response()).await.ok()?;
            return Some(stream);
        }
    }
}

/// fastwebsockets after the handshake (done by wscore: the handshake is not
/// what is measured), echoing whole frames as its own examples do.
pub async fn fastwebsockets_echo(stream: impl Io) {
    let Some(stream) = handshake(stream).await else {
        return;
    };
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

/// The ceiling for any server in this setup: it answers every frame with a
/// prepared frame of the same length, reading headers only. No unmasking,
/// validation or copying of payloads: what is left is what every server
/// pays here, the runtime, the socket calls and the kernel.
pub async fn ceiling_echo(stream: impl Io) {
    let Some(mut stream) = handshake(stream).await else {
        return;
    };
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut reply = Vec::new();
    loop {
        while let Ok(HeaderStatus::Complete { header, len }) = FrameHeader::decode(&buf) {
            let payload_len = header.payload_len as usize;
            if buf.len() < len + payload_len {
                break;
            }
            buf.advance(len + payload_len);
            if header.opcode == Opcode::Close {
                let _ = stream.write_all(&[0x88, 0]).await;
                return;
            }
            let answer = FrameHeader::new(header.opcode, header.payload_len);
            if reply.len() != answer.encoded_len() + payload_len {
                reply = answer.encode().unwrap().to_vec();
                reply.resize(reply.len() + payload_len, 0);
            }
            if stream.write_all(&reply).await.is_err() {
                return;
            }
        }
        if !matches!(stream.read_buf(&mut buf).await, Ok(1..)) {
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

/// `connections` wscore-tokio clients each doing `round_trips` round trips
/// of `size`-byte binary messages with the server at `addr`, over TLS
/// trusting `tls` when given: the time the round trips took, connecting
/// not counted.
pub async fn load(
    addr: SocketAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
    connections: usize,
    size: usize,
    round_trips: usize,
) -> std::time::Duration {
    let url = match tls {
        Some(_) => format!("wss://localhost:{}/", addr.port()),
        None => format!("ws://{addr}/"),
    };
    let request = ClientRequest::from_url(&url).unwrap();
    let trust = tls
        .cloned()
        .unwrap_or_else(wscore_tokio::tls::client_config);
    let message = Message::Binary(bytes::Bytes::from(vec![0x5a; size]));
    load_with(&request, trust, connections, message, round_trips).await
}

/// `connections` clients sending `request` (its URL, its offers), each
/// doing `round_trips` round trips of `message`.
pub async fn load_with(
    request: &ClientRequest<'_>,
    trust: Arc<rustls::ClientConfig>,
    connections: usize,
    message: Message,
    round_trips: usize,
) -> std::time::Duration {
    let mut clients = Vec::new();
    for _ in 0..connections {
        let ws = wscore_tokio::connect_tls(request, Config::new(), Arc::clone(&trust));
        clients.push(ws.await.unwrap());
    }
    exchange(clients, message, round_trips).await
}

/// Each client does `round_trips` round trips of `message`, all at once,
/// then closes: the time the round trips took.
pub async fn exchange(
    clients: Vec<wscore_tokio::WebSocketStream<impl Io>>,
    message: Message,
    round_trips: usize,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            let message = message.clone();
            tokio::spawn(async move {
                for _ in 0..round_trips {
                    ws.send(message.clone()).await.unwrap();
                    match ws.next().await {
                        Some(Ok(echo)) => assert_eq!(payload_len(&echo), payload_len(&message)),
                        other => panic!("no echo: {other:?}"),
                    }
                }
                let _ = ws.close().await;
                while ws.next().await.is_some() {}
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

/// A data message's length: the ceiling answers with a frame of the same
/// length and kind, not the same bytes.
fn payload_len(message: &Message) -> Option<usize> {
    match message {
        Message::Text(text) => Some(text.len()),
        Message::Binary(data) => Some(data.len()),
        _ => None,
    }
}

/// Listens on a free loopback port and runs `echo` over TLS on every
/// connection.
pub async fn serve_tls<F, Fut>(echo: F, tls: Arc<rustls::ServerConfig>) -> SocketAddr
where
    F: Fn(tokio_rustls::server::TlsStream<TcpStream>) -> Fut + Send + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    serve(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(stream) = acceptor.accept(tcp).await {
                echo(stream).await;
            }
        }
    })
    .await
}

/// Listens on a free loopback port and runs `echo` on every connection.
pub async fn serve<F, Fut>(echo: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
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
