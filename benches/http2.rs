//! WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1, on the same server:
//! 100 WebSockets as 100 streams of one HTTP/2 connection, against 100
//! HTTP/1.1 connections, each doing round trips of 16 B and 16 KiB binary
//! messages. One server, as echo_server is built: TLS with ALPN h2 and
//! http/1.1, HTTP/2 through hyper (`wscore_tokio::upgrade`), HTTP/1.1
//! through `accept_with`; the same wscore-tokio echo loop behind both.
//! Prints round trips per second and the ratio.
//!
//! `cargo bench --bench http2`

#[path = "../adapters/common/testing/certificates.rs"]
mod certificates;
#[allow(dead_code)] // the other servers are for the other benches
#[path = "common/echo_servers.rs"]
mod echo_servers;

use std::convert::Infallible;
use std::sync::Arc;

use echo_servers::{exchange, load, runtime, serve, wscore_echo_on as echo};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use wscore::connection::{Config, Message};
use wscore::handshake::client::ClientRequest;
use wscore_tokio::tls::{self, rustls};
use wscore_tokio::{Accept, Decision, Http2Connection, Request};

const WEBSOCKETS: usize = 100;

/// One connection of the server: HTTP/2 or HTTP/1.1 by ALPN.
async fn serve_one(tcp: TcpStream, tls: Arc<rustls::ServerConfig>) {
    let Ok(stream) = tokio_rustls::TlsAcceptor::from(tls).accept(tcp).await else {
        return;
    };
    let accept = |_: &Request<'_>| Decision::Accept(Accept::new());
    if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
        let limits = wscore_tokio::Limits::new();
        if let Ok(ws) = wscore_tokio::accept_with(stream, Config::new(), limits, accept).await {
            echo(ws).await;
        }
        return;
    }
    let service = service_fn(move |mut request| {
        let (response, websocket) = wscore_tokio::upgrade(&mut request, Config::new(), accept);
        if let Ok(websocket) = websocket {
            tokio::spawn(async move {
                if let Ok(ws) = websocket.await {
                    echo(ws).await;
                }
            });
        }
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .enable_connect_protocol()
        .max_concurrent_streams(WEBSOCKETS as u32)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once, short.
    let quick = !std::env::args().any(|a| a == "--bench");
    runtime().block_on(async {
        let certificates = certificates::certificates();
        let server = tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes())
            .unwrap();
        let mut server = (*server).clone();
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let server = Arc::new(server);
        let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
        let addr = serve(move |tcp| serve_one(tcp, Arc::clone(&server))).await;
        let url = format!("wss://localhost:{}/", addr.port());
        let request = ClientRequest::from_url(&url).unwrap();
        for (size, round_trips) in [(16, 2000), (16 << 10, 200)] {
            let round_trips = if quick { round_trips / 100 } else { round_trips };
            println!(
                "\n{WEBSOCKETS} WebSockets x {round_trips} round trips of {size} B over TLS, one server"
            );
            let (mut http1, mut http2) = (0.0f64, 0.0f64);
            // Best of three, interleaved.
            for _ in 0..3 {
                let took = load(addr, Some(&trust), WEBSOCKETS, size, round_trips).await;
                http1 = http1.max((WEBSOCKETS * round_trips) as f64 / took.as_secs_f64());
                let connection = Http2Connection::connect(&request, Arc::clone(&trust))
                    .await
                    .unwrap();
                let mut clients = Vec::new();
                for _ in 0..WEBSOCKETS {
                    clients.push(connection.open(&request, Config::new()).await.unwrap());
                }
                let message = Message::Binary(vec![0x5a; size].into());
                let took = exchange(clients, message, round_trips).await;
                http2 = http2.max((WEBSOCKETS * round_trips) as f64 / took.as_secs_f64());
            }
            println!("  HTTP/1.1, {WEBSOCKETS} connections   {http1:>10.0} round trips/s");
            println!(
                "  HTTP/2, 1 connection       {http2:>10.0} round trips/s   {:.2}x HTTP/1.1",
                http2 / http1
            );
        }
    });
}
