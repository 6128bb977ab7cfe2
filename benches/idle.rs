//! Resident memory of idle WebSocket connections on a server: 10,000
//! connections that completed the handshake and then send nothing, on
//! wscore-tokio (also with permessage-deflate agreed) and on
//! tokio-tungstenite, in the same run. Each client offers permessage-deflate,
//! as browsers do.
//!
//! The server runs as a child process (this binary with `--serve NAME`), so
//! that its resident set holds only server-side state; the parent opens the
//! connections and reads the child's VmRSS from /proc.
//!
//! `cargo bench --bench idle`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[allow(dead_code)] // the fastwebsockets and ceiling servers and the load are not used here
#[path = "common/echo_servers.rs"]
mod echo_servers;

use echo_servers::{runtime, serve, tungstenite_echo, wscore_deflate_echo, wscore_echo};

const CONNECTIONS: usize = 10_000;
const WARM_UP: usize = 200;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

fn run_server(name: &str) {
    runtime().block_on(async {
        // Echo servers: on an idle connection they just wait.
        let addr = match name {
            "wscore-tokio" => serve(wscore_echo).await,
            "wscore-tokio+deflate" => serve(wscore_deflate_echo).await,
            _ => serve(tungstenite_echo).await,
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

fn open(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
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

/// Bytes of server memory per idle connection.
fn measure(name: &str, connections: usize) -> f64 {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--serve", name])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut addr = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut addr)
        .unwrap();
    let addr = addr.trim().to_string();
    let mut streams: Vec<TcpStream> = (0..WARM_UP).map(|_| open(&addr)).collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = rss_kib(child.id());
    streams.extend((WARM_UP..connections).map(|_| open(&addr)));
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
    for name in ["wscore-tokio", "wscore-tokio+deflate", "tokio-tungstenite"] {
        let per = measure(name, connections);
        println!("  {name:<18} {:>8.0} bytes ({:.1} KiB)", per, per / 1024.0);
    }
}
