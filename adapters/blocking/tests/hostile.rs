//! The blocking adapter against misbehaving peers over real sockets: the
//! same deadline and the same graceful close as the tokio adapter, asserted
//! from the peer's side.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use wscore::connection::{Config, Event, Message};
use wscore_blocking::{Accept, Decision, Limits, Request, WebSocket};

#[path = "../../tokio/tests/peer/mod.rs"]
mod peer;
use peer::{exchange, flood_reads_1009_and_a_clean_end, text};

/// A thread-per-connection echo server with a 500 ms handshake deadline;
/// each connection's outcome comes out of the channel.
fn server() -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (sender, outcomes) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let sender = sender.clone();
            thread::spawn(move || sender.send(serve(stream.unwrap())));
        }
    });
    (addr, outcomes)
}

fn serve(stream: TcpStream) -> String {
    // Reads wake up to check the deadline while a client is silent.
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let limits = Limits::new().timeout(Some(Duration::from_millis(500)));
    let accept = |_: &Request<'_>| Decision::Accept(Accept::new());
    let config = Config::new().max_frame_size(1 << 20);
    let mut ws = match WebSocket::accept_with(stream, config, limits, accept) {
        Ok(ws) => ws,
        Err(error) => return format!("not opened: {error}"),
    };
    loop {
        match ws.read() {
            Ok(Event::Text(text)) => ws.send(Message::Text(text)).unwrap(),
            Ok(Event::Closed(_)) => return format!("ended: {}", ws.connection().closed().unwrap()),
            Ok(_) => {}
            Err(wscore_blocking::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => return format!("failed: {error}"),
        }
    }
}

#[test]
fn a_silent_client_gets_408_at_the_deadline() {
    let (addr, outcomes) = server();
    let (received, end, elapsed) = exchange(addr, b"GET / HTTP/1.1\r\n");
    assert!(end.is_ok(), "{end:?}");
    assert!(text(&received).starts_with("HTTP/1.1 408 Request Timeout\r\n"));
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(
        outcomes.recv().unwrap(),
        "not opened: handshake failed: the handshake did not complete within 0.5 s"
    );
}

#[test]
fn a_peer_that_keeps_sending_after_a_violation_reads_1009_and_a_clean_end() {
    let (addr, outcomes) = server();
    flood_reads_1009_and_a_clean_end(addr);
    let outcome = outcomes.recv().unwrap();
    assert!(
        outcome.starts_with("ended: failed: the peer broke the protocol, code 1009"),
        "{outcome}"
    );
}
