//! An echo server: every text and binary message comes back unchanged.
//! A plain `GET /` gets a page that opens a WebSocket back to this server,
//! so a person can try it in a browser.
//!
//! ```text
//! cargo run --release --example echo_server -- --addr 127.0.0.1:9001
//! ```
//!
//! One thread per connection, up to `MAX_CONNECTIONS`; beyond that new
//! connections are turned away with 503. permessage-deflate is agreed when
//! the client offers it, as browsers do. One log line when a connection
//! opens and one when it closes, with the code and reason or the error.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use wscore::connection::{Config, Event, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore_blocking::{Accept, Decision, Error, Reject, WebSocket};

const MAX_CONNECTIONS: usize = 1000;

const PAGE: &str = include_str!("echo_page.html");

fn main() {
    let addr = match parse_addr() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("echo_server: {message}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("echo_server: cannot listen on {addr}: {error}");
            std::process::exit(1);
        }
    };
    println!("echo server on ws://{addr}/ — open http://{addr}/ in a browser to try it");
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let open = Arc::clone(&open);
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            turn_away(stream);
            continue;
        }
        thread::spawn(move || {
            serve(stream);
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

fn parse_addr() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = String::from("127.0.0.1:9001");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .ok_or("--addr needs a value, e.g. 127.0.0.1:9001")?
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: echo_server [--addr HOST:PORT]"
                ))
            }
        }
    }
    addr.parse()
        .map_err(|_| format!("{addr:?} is not an address like 127.0.0.1:9001"))
}

fn turn_away(mut stream: TcpStream) {
    let response = Reject::new(503)
        .body("too many connections; try again later")
        .to_bytes();
    let _ = std::io::Write::write_all(&mut stream, &response);
}

fn serve(stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| String::from("?"), |a| a.to_string());
    let _ = stream.set_nodelay(true);
    let config = Config::new().max_message_size(64 << 20);
    let decide = |request: &wscore_blocking::Request<'_>| {
        if !request.is_upgrade() && request.path() == "/" {
            Decision::Respond(Reject::html(PAGE))
        } else {
            Decision::Accept(Accept::new().deflate(DeflateConfig::new()))
        }
    };
    let mut ws = match WebSocket::accept_with(stream, config, decide) {
        Ok(ws) => ws,
        Err(Error::Responded(_)) => return,
        Err(error) => {
            println!("{peer}: not opened: {error}");
            return;
        }
    };
    match ws.connection().deflate() {
        Some(params) => println!("{peer}: open, compressed ({params:?})"),
        None => println!("{peer}: open"),
    }
    loop {
        let sent = match ws.read() {
            Ok(Event::Text(text)) => ws.send(Message::Text(text)),
            Ok(Event::Binary(data)) => ws.send(Message::Binary(data)),
            Ok(_) => Ok(()),
            Err(error) => {
                println!("{peer}: {error}");
                return;
            }
        };
        if let Err(error) = sent {
            println!("{peer}: {error}");
            return;
        }
    }
}
