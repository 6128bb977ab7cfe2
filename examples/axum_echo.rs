//! The echo server on axum 0.8: a route whose handler upgrades its request
//! with [`wscore_tokio::upgrade`], where axum's own `WebSocketUpgrade`
//! extractor would have used tungstenite. The same answers as
//! `echo_server`: the page on a plain `GET /`, `426` naming a stripped
//! upgrade, `403` to pages from other sites, permessage-deflate when
//! offered.
//!
//! ```text
//! cargo run --release --example axum_echo -- --addr 127.0.0.1:9001
//! ```

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use wscore::extensions::deflate::DeflateConfig;
use wscore_tokio::{Accept, Decision, RequestKind};

#[path = "common/addr.rs"]
mod addr;
mod common;

/// `/`: the page for a browser, a WebSocket echo for a WebSocket request.
async fn root(ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request) -> Response {
    let decide = |request: &wscore_tokio::Request<'_>| match request.kind() {
        RequestKind::Http => Decision::Respond(wscore_tokio::Response::html(common::PAGE)),
        _ => Decision::Accept(Accept::new().deflate(DeflateConfig::new())),
    };
    let (response, websocket) = wscore_tokio::upgrade(&mut request, common::config(), decide);
    common::spawn_echo(websocket, peer);
    response.into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = addr::addr_argument("axum_echo");
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("axum echo server on ws://{addr}/ — open http://{addr}/ in a browser to try it");
    let app = Router::new().route("/", get(root));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
