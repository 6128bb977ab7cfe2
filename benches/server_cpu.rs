//! CPU per round trip at the server, apart from the load: each echo server
//! (wscore-tokio, tokio-tungstenite, fastwebsockets, and the `ceiling`
//! that does no WebSocket work) runs alone on a single-threaded runtime in
//! its own OS thread, and that thread's own CPU time is read from
//! `/proc/thread-self/stat` (user and system apart, in clock ticks) and
//! `/proc/thread-self/schedstat` (their sum, in nanoseconds) before and
//! after the load. The load, 100 connections of wscore-tokio clients doing
//! round trips of 16 B and 16 KiB, runs on another runtime and is not
//! counted. Prints nanoseconds per round trip.
//!
//! `cargo bench --bench server_cpu` (Linux)

use std::net::SocketAddr;

#[allow(dead_code)] // the permessage-deflate server is for the idle bench
#[path = "common/echo_servers.rs"]
mod echo_servers;

use echo_servers::{ceiling_echo, fastwebsockets_echo, load, serve, tungstenite_echo, wscore_echo};

const CONNECTIONS: usize = 100;

/// A thread's CPU time so far: user and system (from clock ticks) and
/// their sum at nanosecond resolution.
#[derive(Clone, Copy)]
struct Cpu {
    user_ticks: u64,
    system_ticks: u64,
    run_ns: u64,
}

/// The calling thread's CPU time.
fn thread_cpu() -> Cpu {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Cpu {
        // utime and stime are the 14th and 15th fields of stat.
        user_ticks: fields[11].parse().unwrap(),
        system_ticks: fields[12].parse().unwrap(),
        run_ns: schedstat.split(' ').next().unwrap().parse().unwrap(),
    }
}

/// A server on its own thread: its address and a handle to its runtime.
fn spawn_server<F, Fut>(echo: F) -> (SocketAddr, tokio::runtime::Handle)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let addr = serve(echo).await;
            tx.send((addr, tokio::runtime::Handle::current())).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// The server thread's CPU time, read on that thread.
async fn server_cpu(handle: &tokio::runtime::Handle) -> Cpu {
    handle.spawn(async { thread_cpu() }).await.unwrap()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once, short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let ticks_ns = 1e9 / 100.0; // USER_HZ is 100 on Linux
    let servers = [
        ("wscore-tokio", spawn_server(wscore_echo)),
        ("tokio-tungstenite", spawn_server(tungstenite_echo)),
        ("fastwebsockets", spawn_server(fastwebsockets_echo)),
        ("ceiling", spawn_server(ceiling_echo)),
    ];
    let load_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    load_runtime.block_on(async {
        for (size, round_trips) in [(16, 3000), (16 << 10, 300)] {
            let round_trips = if quick { round_trips / 100 } else { round_trips };
            let count = (CONNECTIONS * round_trips) as f64;
            println!("\n{CONNECTIONS} connections x {round_trips} round trips of {size} B: server CPU per round trip");
            // Three rounds, servers interleaved; the least CPU of each kept.
            let mut best = vec![(f64::MAX, 0.0, 0.0); servers.len()];
            for _ in 0..3 {
                for (i, (_, (addr, handle))) in servers.iter().enumerate() {
                    let before = server_cpu(handle).await;
                    load(*addr, None, CONNECTIONS, size, round_trips).await;
                    let after = server_cpu(handle).await;
                    let run = (after.run_ns - before.run_ns) as f64 / count;
                    let user = (after.user_ticks - before.user_ticks) as f64 * ticks_ns;
                    let system = (after.system_ticks - before.system_ticks) as f64 * ticks_ns;
                    if run < best[i].0 {
                        // Split the precise total by the ticks' proportions,
                        // when there are enough ticks to tell (a tick is 10 ms).
                        let share = match user + system >= 20.0 * ticks_ns {
                            true => user / (user + system),
                            false => f64::NAN,
                        };
                        best[i] = (run, run * share, run * (1.0 - share));
                    }
                }
            }
            for ((name, _), (run, user, system)) in servers.iter().zip(&best) {
                println!(
                    "  {name:<18} {run:>8.0} ns (user {user:>6.0}, system {system:>6.0})   wscore-tokio uses {:.2}x its CPU",
                    best[0].0 / run
                );
            }
        }
    });
}
