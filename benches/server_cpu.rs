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
//! Then the same with permessage-deflate, 1 KiB JSON text messages, where no
//! Rust peer has it: wscore-tokio against Python's `websockets` server
//! (tests/interop/python_server.py, in its own process, its CPU read from
//! `/proc/PID`), each with its default compression settings. Needs the
//! interop venv (`tests/interop/python-env.sh`); without it that part is
//! skipped.
//!
//! `cargo bench --bench server_cpu` (Linux)

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;

#[allow(dead_code)] // the servers of the other benches
#[path = "common/echo_servers.rs"]
mod echo_servers;

use echo_servers::{
    ceiling_echo, fastwebsockets_echo, load, load_with, serve, tungstenite_echo,
    wscore_deflate_echo, wscore_echo,
};
use wscore::connection::Message;
use wscore::extensions::deflate::{Context, DeflateConfig};
use wscore::handshake::client::ClientRequest;

const CONNECTIONS: usize = 100;

/// A thread's CPU time so far: user and system (from clock ticks) and
/// their sum at nanosecond resolution.
#[derive(Clone, Copy)]
struct Cpu {
    user_ticks: u64,
    system_ticks: u64,
    run_ns: u64,
}

/// The CPU time of a thread or single-threaded process (`/proc/thread-self`,
/// `/proc/PID`).
fn cpu_of(proc: &str) -> Cpu {
    let stat = std::fs::read_to_string(format!("{proc}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let schedstat = std::fs::read_to_string(format!("{proc}/schedstat")).unwrap();
    Cpu {
        // utime and stime are the 14th and 15th fields of stat.
        user_ticks: fields[11].parse().unwrap(),
        system_ticks: fields[12].parse().unwrap(),
        run_ns: schedstat.split(' ').next().unwrap().parse().unwrap(),
    }
}

/// A server on its own thread: its address and a handle to its runtime.
fn spawn_server<F, Fut>(echo: F) -> (SocketAddr, Server)
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
            let handle = tokio::runtime::Handle::current();
            tx.send((addr, Server::Thread(handle))).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// A server under measure: a thread of this process, or a process.
enum Server {
    Thread(tokio::runtime::Handle),
    Process(Child),
}

impl Server {
    /// Its CPU time so far, read on its thread.
    async fn cpu(&self) -> Cpu {
        match self {
            Self::Thread(handle) => handle
                .spawn(async { cpu_of("/proc/thread-self") })
                .await
                .unwrap(),
            Self::Process(child) => cpu_of(&format!("/proc/{}", child.id())),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Self::Process(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Python's websockets echo server on a free port, if the interop venv is there.
fn python_server() -> Option<(SocketAddr, Server)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = format!("{root}/target/interop-venv/bin/python");
    if !std::path::Path::new(&python).exists() {
        println!(
            "\n(no {python}: run tests/interop/python-env.sh for the Python websockets server)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Killed and waited for when dropped.
    let server = Server::Process(
        Command::new(python)
            .arg(format!("{root}/tests/interop/python_server.py"))
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Some((addr, server));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the Python server did not start");
}

/// About 1 KiB of JSON, as chat and pub/sub messages are.
fn json_message() -> Message {
    let records: Vec<String> = (0..12)
        .map(|i| {
            format!(
                r#"{{"id":{i},"user":"user-{}","score":{},"online":{}}}"#,
                i * 7 % 50,
                i * 31 % 997,
                i % 2 == 0
            )
        })
        .collect();
    Message::text(format!(
        r#"{{"room":"lobby","members":[{}]}}"#,
        records.join(",")
    ))
}

/// Server CPU per round trip for each server (least of three runs,
/// servers interleaved), printed with the ratio to the first.
async fn compare<L, F>(title: &str, servers: &[(&str, SocketAddr, Server)], count: f64, load: L)
where
    L: Fn(SocketAddr) -> F,
    F: std::future::Future<Output = std::time::Duration>,
{
    let ticks_ns = 1e9 / 100.0; // USER_HZ is 100 on Linux
    println!("\n{title}: server CPU per round trip");
    let mut best = vec![(f64::MAX, 0.0, 0.0); servers.len()];
    for _ in 0..3 {
        for (i, (_, addr, server)) in servers.iter().enumerate() {
            let before = server.cpu().await;
            load(*addr).await;
            let after = server.cpu().await;
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
    for ((name, ..), (run, user, system)) in servers.iter().zip(&best) {
        println!(
            "  {name:<18} {run:>8.0} ns (user {user:>6.0}, system {system:>6.0})   wscore-tokio uses {:.2}x its CPU",
            best[0].0 / run
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once, short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let servers = [
        ("wscore-tokio", spawn_server(wscore_echo)),
        ("tokio-tungstenite", spawn_server(tungstenite_echo)),
        ("fastwebsockets", spawn_server(fastwebsockets_echo)),
        ("ceiling", spawn_server(ceiling_echo)),
    ]
    .map(|(name, (addr, server))| (name, addr, server));
    let load_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    load_runtime.block_on(async {
        for (size, round_trips) in [(16, 3000), (16 << 10, 300)] {
            let round_trips = if quick { round_trips / 100 } else { round_trips };
            let title = format!("{CONNECTIONS} connections x {round_trips} round trips of {size} B");
            let count = (CONNECTIONS * round_trips) as f64;
            let load = |addr| load(addr, None, CONNECTIONS, size, round_trips);
            compare(&title, &servers, count, load).await;
        }

        let mut compressing = vec![
            (
                "wscore-tokio",
                spawn_server(|s| wscore_deflate_echo(s, DeflateConfig::new())),
            ),
            (
                "wscore-tokio, Context::Compressor",
                spawn_server(|s| {
                    let config = DeflateConfig::new().context(Context::Compressor);
                    wscore_deflate_echo(s, config)
                }),
            ),
        ];
        compressing.extend(python_server().map(|server| ("Python websockets", server)));
        let compressing: Vec<_> = compressing
            .into_iter()
            .map(|(name, (addr, server))| (name, addr, server))
            .collect();
        let round_trips = if quick { 10 } else { 300 };
        let title = format!(
            "permessage-deflate, {CONNECTIONS} connections x {round_trips} round trips of 1 KiB JSON"
        );
        let count = (CONNECTIONS * round_trips) as f64;
        let trust = Arc::new(wscore_tokio::tls::client_config());
        let load = |addr: SocketAddr| {
            let trust = Arc::clone(&trust);
            async move {
                let url = format!("ws://{addr}/");
                let request = ClientRequest::from_url(&url)
                    .unwrap()
                    .deflate(DeflateConfig::new());
                load_with(&request, (*trust).clone(), CONNECTIONS, json_message(), round_trips).await
            }
        };
        compare(&title, &compressing, count, load).await;
    });
}
