//! End to end over loopback TCP: 100 connections each doing round trips of
//! 16 B and of 16 KiB binary messages, against echo servers built on
//! wscore-tokio, tokio-tungstenite and fastwebsockets, all in one run with
//! the same runtime (2 worker threads) and the same client (wscore-tokio).
//! Prints a table of round trips per second and ratios.
//!
//! `ceiling` is a server that does no WebSocket work at all: it reads frame
//! headers and answers each frame with a prepared one of the same length,
//! never touching a payload. No server can beat it on this setup: it is
//! what the runtime, the socket calls and the kernel cost alone.
//!
//! `cargo bench --bench e2e`

#[allow(dead_code)] // the permessage-deflate server is for the idle bench
#[path = "common/echo_servers.rs"]
mod echo_servers;

use echo_servers::{
    ceiling_echo, fastwebsockets_echo, load, runtime, serve, tungstenite_echo, wscore_echo,
};

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
                    let took = load(*addr, CONNECTIONS, size, round_trips).await;
                    let rate = (CONNECTIONS * round_trips) as f64 / took.as_secs_f64();
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
