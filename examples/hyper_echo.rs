//! The echo server on hyper 1.x: hyper serves HTTP/1.1, and
//! [`wscore_tokio::upgrade`] turns its requests into WebSockets, with the
//! same answers as `echo_server` (the page on a plain `GET /`, `426` naming
//! a stripped upgrade, `403` to pages from other sites, permessage-deflate
//! when offered).
//!
//! ```text
//! cargo run --release --example hyper_echo -- --addr 127.0.0.1:9001
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wscore::extensions::deflate::DeflateConfig;
use wscore_tokio::{Accept, Decision, Request, RequestKind, Response};

#[path = "common/addr.rs"]
mod addr;
mod common;

async fn handle(
    peer: SocketAddr,
    mut request: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let decide = |request: &Request<'_>| match (request.kind(), request.path()) {
        (RequestKind::Http, "/") => Decision::Respond(Response::html(common::PAGE)),
        (RequestKind::Http, _) => Decision::Respond(Response::new(404).body("no such page")),
        _ => Decision::Accept(Accept::new().deflate(DeflateConfig::new())),
    };
    let (response, websocket) = wscore_tokio::upgrade(&mut request, common::config(), decide);
    common::spawn_echo(websocket, peer);
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = addr::addr_argument("hyper_echo");
    let listener = TcpListener::bind(addr).await?;
    println!("hyper echo server on ws://{addr}/ — open http://{addr}/ in a browser to try it");
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .serve_connection(
                    TokioIo::new(stream),
                    service_fn(move |request| handle(peer, request)),
                )
                .with_upgrades();
            if let Err(error) = connection.await {
                println!("{peer}: {error}");
            }
        });
    }
}
