//! Resident memory of idle WebSocket connections on a server: 10,000
//! connections that completed the handshake and then send nothing, on
//! wscore-tokio (also with permessage-deflate agreed) and on
//! tokio-tungstenite, in the same run; then both over TLS (the same rustls
//! configuration, a certificate from a CA made for the run). Each client
//! offers permessage-deflate, as browsers do.
//!
//! `floor` is what any server on tokio holds per idle connection: the
//! handshake done (by wscore), then a task waiting for the socket to be
//! readable, with no buffer and no WebSocket state.
//!
//! The server runs as a child process (this binary with `--serve NAME`), so
//! that its resident set holds only server-side state; the parent opens the
//! connections and reads the child's VmRSS from /proc.
//!
//! `cargo bench --bench idle`

use std::any::Any;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;

#[path = "../adapters/common/testing/certificates.rs"]
mod certificates;
#[allow(dead_code)] // the fastwebsockets and ceiling servers and the load are not used here
#[path = "common/echo_servers.rs"]
mod echo_servers;

use echo_servers::{
    handshake, runtime, serve, serve_tls, tungstenite_echo, wscore_deflate_echo, wscore_echo,
};
use wscore::extensions::deflate::DeflateConfig;
use wscore_tokio::tls::{self, rustls};

/// The server's certificate chain and key (PEM), passed to the child.
const CERT: &str = "IDLE_BENCH_CERT";
const KEY: &str = "IDLE_BENCH_KEY";

const CONNECTIONS: usize = 10_000;
const WARM_UP: usize = 200;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

/// Holds the connection with nothing but the task and the socket.
async fn floor(stream: tokio::net::TcpStream) {
    let Some(stream) = handshake(stream).await else {
        return;
    };
    while stream.readable().await.is_ok() {
        let mut scratch = [0; 64];
        if let Ok(0) = stream.try_read(&mut scratch) {
            return;
        }
    }
}

fn run_server(name: &str) {
    let tls = match (std::env::var(CERT), std::env::var(KEY)) {
        (Ok(chain), Ok(key)) => Some(tls::server_config(chain.as_bytes(), key.as_bytes()).unwrap()),
        _ => None,
    };
    runtime().block_on(async {
        // Echo servers: on an idle connection they just wait.
        let addr = match (name, tls) {
            ("wscore-tokio", None) => serve(wscore_echo).await,
            ("wscore-tokio+deflate", None) => {
                serve(|s| wscore_deflate_echo(s, DeflateConfig::new())).await
            }
            ("floor", _) => serve(floor).await,
            ("wscore-tokio", Some(tls)) => serve_tls(wscore_echo, tls).await,
            (_, None) => serve(tungstenite_echo).await,
            (_, Some(tls)) => serve_tls(tungstenite_echo, tls).await,
        };
        println!("{addr}");
        std::future::pending::<()>().await;
    });
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A connection that completed the handshake, over TLS trusting `tls` if
/// given, to be held open.
fn open(addr: &str, tls: Option<&Arc<rustls::ClientConfig>>) -> Box<dyn Any> {
    let tcp = TcpStream::connect(addr).unwrap();
    match tls {
        None => Box::new(upgrade(tcp)),
        Some(config) => {
            let name = "localhost".try_into().unwrap();
            let client = rustls::ClientConnection::new(Arc::clone(config), name).unwrap();
            Box::new(upgrade(rustls::StreamOwned::new(client, tcp)))
        }
    }
}

fn upgrade<S: Read + Write>(mut stream: S) -> S {
    stream.write_all(REQUEST).unwrap();
    let mut response = Vec::new();
    let mut byte = [0];
    while !response.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        response.push(byte[0]);
    }
    assert!(response.starts_with(b"HTTP/1.1 101"));
    stream
}

/// What the TLS servers serve and their clients trust.
struct Tls {
    chain: String,
    key: String,
    trust: Arc<rustls::ClientConfig>,
}

/// Bytes of server memory per idle connection.
fn measure(name: &str, connections: usize, tls: Option<&Tls>) -> f64 {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command.args(["--serve", name]).stdout(Stdio::piped());
    if let Some(tls) = tls {
        command.env(CERT, &tls.chain).env(KEY, &tls.key);
    }
    let mut child = command.spawn().unwrap();
    let mut addr = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut addr)
        .unwrap();
    let addr = addr.trim().to_string();
    let trust = tls.map(|tls| &tls.trust);
    let mut streams: Vec<_> = (0..WARM_UP).map(|_| open(&addr, trust)).collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = rss_kib(child.id());
    streams.extend((WARM_UP..connections).map(|_| open(&addr, trust)));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let after = rss_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    (after.saturating_sub(before) * 1024) as f64 / (connections - WARM_UP) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        return run_server(&args[i + 1]);
    }
    // `cargo test --benches` runs it once with few connections.
    let connections = if args.iter().any(|a| a == "--bench") {
        CONNECTIONS
    } else {
        1000
    };
    println!("\nserver resident memory per idle connection ({connections} connections)");
    let certificates = certificates::certificates();
    let tls = Tls {
        trust: tls::client_config_with_ca(certificates.ca.as_bytes()).unwrap(),
        chain: certificates.chain,
        key: certificates.key,
    };
    let servers = [
        ("wscore-tokio", None),
        ("wscore-tokio+deflate", None),
        ("tokio-tungstenite", None),
        ("floor", None),
        ("wscore-tokio", Some(&tls)),
        ("tokio-tungstenite", Some(&tls)),
    ];
    for (name, tls) in servers {
        let per = measure(name, connections, tls);
        let over = if tls.is_some() { " over TLS" } else { "" };
        println!(
            "  {:<28} {per:>8.0} bytes ({:.1} KiB)",
            format!("{name}{over}"),
            per / 1024.0
        );
    }
}
