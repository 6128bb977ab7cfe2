//! End to end over loopback TCP: 100 connections each doing round trips of
//! 16 B and of 16 KiB binary messages, against echo servers built on
//! wscore-tokio, tokio-tungstenite and fastwebsockets, all in one run with
//! the same runtime (2 worker threads) and the same client (wscore-tokio).
//! Prints a table of round trips per second and ratios.
//!
//! `cargo bench --bench e2e`

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wscore::connection::Message;
use wscore::handshake::server::{Accept, ServerHandshake};
use wscore::handshake::{Limits, Status};

const CONNECTIONS: usize = 100;

async fn wscore_echo(stream: TcpStream) {
    let Ok(mut ws) = wscore_tokio::accept(stream).await else {
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

async fn tungstenite_echo(stream: TcpStream) {
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
async fn fastwebsockets_echo(mut stream: TcpStream) {
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

async fn serve<F, Fut>(echo: F) -> SocketAddr
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

/// Round trips per second over `CONNECTIONS` connections.
async fn load(addr: SocketAddr, size: usize, round_trips: usize) -> f64 {
    let url = format!("ws://{addr}/");
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(wscore_tokio::connect(&url).await.unwrap());
    }
    let payload = Bytes::from(vec![0x5a; size]);
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            let payload = payload.clone();
            tokio::spawn(async move {
                for _ in 0..round_trips {
                    ws.send(Message::Binary(payload.clone())).await.unwrap();
                    match ws.next().await {
                        Some(Ok(Message::Binary(echo))) => assert_eq!(echo.len(), payload.len()),
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
    (CONNECTIONS * round_trips) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once, short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let servers = [
            ("wscore-tokio", serve(wscore_echo).await),
            ("tokio-tungstenite", serve(tungstenite_echo).await),
            ("fastwebsockets", serve(fastwebsockets_echo).await),
        ];
        for (size, round_trips) in [(16, 2000), (16 << 10, 200)] {
            let round_trips = if quick {
                round_trips / 100
            } else {
                round_trips
            };
            println!("\n{CONNECTIONS} connections x {round_trips} round trips of {size} B");
            let mut results = Vec::new();
            // Best of three, servers interleaved, so drift hits all alike.
            for _ in 0..3 {
                for (i, (_, addr)) in servers.iter().enumerate() {
                    let rate = load(*addr, size, round_trips).await;
                    if results.len() <= i {
                        results.push(rate);
                    } else {
                        results[i] = results[i].max(rate);
                    }
                }
            }
            for ((name, _), rate) in servers.iter().zip(&results) {
                println!(
                    "  {name:<18} {rate:>12.0} round trips/s   wscore-tokio is {:.2}x",
                    results[0] / rate
                );
            }
        }
    });
}
