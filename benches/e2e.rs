//! End to end over loopback TCP: 100 connections each doing round trips of
//! 16 B and of 16 KiB binary messages, against echo servers built on
//! wscore-tokio, tokio-tungstenite and fastwebsockets, all in one run with
//! the same runtime (2 worker threads) and the same client (wscore-tokio).
//! Prints a table of round trips per second and ratios; then the same over
//! TLS, every server with the same rustls configuration (a certificate from
//! a CA made for the run).
//!
//! `ceiling` is a server that does no WebSocket work at all: it reads frame
//! headers and answers each frame with a prepared one of the same length,
//! never touching a payload. No server can beat it on this setup: it is
//! what the runtime, the socket calls and the kernel cost alone.
//!
//! `cargo bench --bench e2e`

#[path = "../adapters/common/testing/certificates.rs"]
mod certificates;
#[allow(dead_code)] // the permessage-deflate server is for the idle bench
#[path = "common/echo_servers.rs"]
mod echo_servers;

use std::net::SocketAddr;
use std::sync::Arc;

use echo_servers::{
    ceiling_echo, fastwebsockets_echo, load, runtime, serve, serve_tls, tungstenite_echo,
    wscore_echo,
};
use wscore_tokio::tls::{self, rustls};

const CONNECTIONS: usize = 100;

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once, short.
    let quick = !std::env::args().any(|a| a == "--bench");
    runtime().block_on(async {
        let servers = [
            ("wscore-tokio", serve(wscore_echo).await),
            ("tokio-tungstenite", serve(tungstenite_echo).await),
            ("fastwebsockets", serve(fastwebsockets_echo).await),
            ("ceiling", serve(ceiling_echo).await),
        ];
        compare("TCP", &servers, None, quick).await;

        let certificates = certificates::certificates();
        let server =
            tls::server_config(certificates.chain.as_bytes(), certificates.key.as_bytes()).unwrap();
        let trust = tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap();
        let servers = [
            (
                "wscore-tokio",
                serve_tls(wscore_echo, Arc::clone(&server)).await,
            ),
            (
                "tokio-tungstenite",
                serve_tls(tungstenite_echo, Arc::clone(&server)).await,
            ),
            (
                "fastwebsockets",
                serve_tls(fastwebsockets_echo, Arc::clone(&server)).await,
            ),
            ("ceiling", serve_tls(ceiling_echo, server).await),
        ];
        compare("TLS", &servers, Some(&trust), quick).await;
    });
}

/// Round trips per second against each server, 16 B and 16 KiB, best of
/// three with the servers interleaved so that drift hits all alike.
async fn compare(
    transport: &str,
    servers: &[(&str, SocketAddr)],
    tls: Option<&Arc<rustls::ClientConfig>>,
    quick: bool,
) {
    for (size, round_trips) in [(16, 2000), (16 << 10, 200)] {
        let round_trips = if quick {
            round_trips / 100
        } else {
            round_trips
        };
        println!(
            "\n{transport}: {CONNECTIONS} connections x {round_trips} round trips of {size} B"
        );
        let mut results = vec![0.0f64; servers.len()];
        for _ in 0..3 {
            for ((_, addr), best) in servers.iter().zip(&mut results) {
                let took = load(*addr, tls, CONNECTIONS, size, round_trips).await;
                let rate = (CONNECTIONS * round_trips) as f64 / took.as_secs_f64();
                *best = best.max(rate);
            }
        }
        for ((name, _), rate) in servers.iter().zip(&results) {
            println!(
                "  {name:<18} {rate:>12.0} round trips/s   wscore-tokio is {:.2}x",
                results[0] / rate
            );
        }
    }
}
