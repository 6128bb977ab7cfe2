//! Misbehaving peers over real loopback sockets, each test asserting what
//! that peer observes: the status line and reason, the close code and
//! reason, a clean end of file rather than a reset, and how long the
//! server held the socket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::net::TcpListener;
use wscore::connection::{Config, Message, State};
use wscore::handshake::client::ClientRequest;
use wscore_tokio::{Accept, Decision, Limits, Request, RequestKind, Response};

mod peer;
use peer::{
    close_frame, exchange, flood_reads_1009_and_a_clean_end, masked_header, read_to_end, text,
    upgraded, UPGRADE,
};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(500);

/// An echo server as `echo_server` builds it (a page for plain HTTP on `/`,
/// WebSocket otherwise), with a short handshake deadline. Each
/// connection's outcome, as it would be logged, comes out of the channel.
fn server() -> (SocketAddr, mpsc::Receiver<String>) {
    let (sender, outcomes) = mpsc::channel();
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let _ = sender.send(serve(stream).await);
                });
            }
        });
    });
    (addr, outcomes)
}

async fn serve(stream: tokio::net::TcpStream) -> String {
    let limits = Limits::new().timeout(Some(HANDSHAKE_TIMEOUT));
    let decide = |request: &Request<'_>| match request.kind() {
        RequestKind::Http => Decision::Respond(Response::html("<h1>the page</h1>")),
        _ => Decision::Accept(Accept::new()),
    };
    let config = Config::new().max_frame_size(1 << 20);
    let mut ws = match wscore_tokio::accept_with(stream, config, limits, decide).await {
        Ok(ws) => ws,
        Err(error) => return format!("not opened: {error}"),
    };
    while let Some(message) = ws.next().await {
        match message {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                let _ = futures_util::SinkExt::send(&mut ws, message).await;
            }
            Ok(_) => {}
            Err(error) => return format!("ended: {error}"),
        }
    }
    format!("ended: {:?}", ws.connection().state())
}

#[test]
fn a_silent_client_gets_408_and_is_dropped_at_the_deadline() {
    let (addr, outcomes) = server();
    for sent in [&b""[..], b"GET / HT"] {
        let (received, end, elapsed) = exchange(addr, sent);
        assert!(end.is_ok(), "a clean end of file, not {end:?}");
        assert!(
            text(&received).starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{}",
            text(&received)
        );
        assert!(text(&received).ends_with("the handshake did not complete within 0.5 s\n"));
        assert!(
            elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
            "held for {elapsed:?}"
        );
        let outcome = outcomes.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(
            outcome,
            "not opened: handshake failed: the handshake did not complete within 0.5 s"
        );
    }
}

#[test]
fn a_trickling_client_is_cut_off_at_the_same_deadline() {
    let (addr, _) = server();
    let mut stream = TcpStream::connect(addr).unwrap();
    let started = Instant::now();
    // One byte every 100 ms: each read is quick, the request never ends.
    let mut refused = false;
    for byte in UPGRADE.bytes().take(30) {
        if stream.write_all(&[byte]).is_err() {
            refused = true;
            break;
        }
        thread::sleep(Duration::from_millis(100));
        stream.set_nonblocking(true).unwrap();
        let mut peek = [0; 16];
        let answered = matches!(stream.peek(&mut peek), Ok(n) if n > 0);
        stream.set_nonblocking(false).unwrap();
        if answered {
            break;
        }
    }
    let (received, _, _) = read_to_end(&mut stream);
    assert!(refused || text(&received).starts_with("HTTP/1.1 408 "));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_tls_client_hello_gets_400_naming_it_at_once() {
    let (addr, outcomes) = server();
    let mut stream = TcpStream::connect(addr).unwrap();
    // The first bytes of a TLS 1.3 ClientHello record.
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xf8, 0x01, 0x00, 0x00, 0xf4, 0x03, 0x03,
    ];
    // Post-quantum key shares make real ones 1.5 KiB: more than one read.
    hello.extend_from_slice(&[0x5a; 1500]);
    stream.write_all(&hello).unwrap();
    let (received, end, elapsed) = read_to_end(&mut stream);
    let response = String::from_utf8_lossy(&received);
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(response
        .contains("a TLS handshake on a plain-text port: the client is using wss:// or https://"));
    assert!(end.is_ok(), "a clean end of file, not {end:?}");
    assert!(
        elapsed < Duration::from_millis(400),
        "answered before the deadline: {elapsed:?}"
    );
    let outcome = outcomes.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        outcome.contains("a TLS handshake on a plain-text port"),
        "{outcome}"
    );
}

#[test]
fn the_http2_preface_gets_400_naming_it() {
    let (addr, _) = server();
    let (received, end, _) = exchange(addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assert!(text(&received).starts_with("HTTP/1.1 400 "));
    assert!(text(&received).contains("HTTP/2 connection preface on an HTTP/1.1 port"));
    assert!(end.is_ok());
}

#[test]
fn a_stripped_upgrade_gets_426_and_the_hint_not_the_page() {
    let (addr, outcomes) = server();
    // What a proxy that drops hop-by-hop headers forwards.
    let stripped = UPGRADE
        .replace("Upgrade: websocket\r\n", "")
        .replace("Connection: Upgrade\r\n", "");
    let (received, _, _) = exchange(addr, stripped.as_bytes());
    let response = text(&received);
    assert!(
        response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{response}"
    );
    assert!(response.contains("it must forward the Upgrade and Connection headers"));
    assert!(!response.contains("the page"));
    assert!(outcomes
        .recv()
        .unwrap()
        .contains("something on the way removed them"));

    // The same path as plain HTTP still gets the page.
    let (received, _, _) = exchange(addr, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert!(text(&received).starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(text(&received).ends_with("<h1>the page</h1>\n"));
}

#[test]
fn a_page_from_another_site_gets_403_naming_its_origin() {
    let (addr, _) = server();
    let foreign = UPGRADE.replace("\r\n\r\n", "\r\nOrigin: https://evil.example\r\n\r\n");
    let (received, _, _) = exchange(addr, foreign.as_bytes());
    assert!(text(&received).starts_with("HTTP/1.1 403 Forbidden\r\n"));
    assert!(text(&received)
        .contains("a page from origin https://evil.example may not open a WebSocket"));
}

#[test]
fn a_peer_that_keeps_sending_after_a_violation_reads_1009_and_a_clean_end() {
    let (addr, outcomes) = server();
    flood_reads_1009_and_a_clean_end(addr);
    let outcome = outcomes.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        outcome.starts_with("ended: protocol error: frame payload of 4294967296 bytes"),
        "{outcome}"
    );
}

#[test]
fn an_unmasked_frame_gets_1002_naming_the_rule() {
    let (addr, _) = server();
    let mut stream = upgraded(addr);
    let mut frames = vec![0x81, 0x02, b'h', b'i'];
    // Input after the violation is never read as frames.
    frames.extend_from_slice(&masked_header(0x1, 5));
    frames.extend_from_slice(b"later");
    stream.write_all(&frames).unwrap();
    let (received, end, _) = read_to_end(&mut stream);
    assert!(end.is_ok(), "{end:?}");
    assert_eq!(
        close_frame(&received),
        (1002, "client frame is not masked (RFC 6455 §5.1)")
    );
    assert_eq!(
        received.len(),
        2 + usize::from(received[1]),
        "nothing after the close"
    );
}

#[test]
fn messages_before_a_violation_are_answered_first() {
    let (addr, _) = server();
    let mut stream = upgraded(addr);
    let mut frames = masked_header(0x1, 5);
    frames.extend_from_slice(b"first");
    frames.extend_from_slice(&[0x80, 0x80, 0, 0, 0, 0]); // continuation without a message
    stream.write_all(&frames).unwrap();
    let (received, end, _) = read_to_end(&mut stream);
    assert!(end.is_ok());
    assert_eq!(&received[..7], b"\x81\x05first", "the echo, then the close");
    assert_eq!(close_frame(&received[7..]).0, 1002);
}

#[test]
fn a_peer_that_hangs_up_mid_handshake_is_named() {
    let (addr, outcomes) = server();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost:").unwrap();
    drop(stream);
    let outcome = outcomes.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        outcome,
        "not opened: the peer closed the connection in the middle of the handshake"
    );
}

/// A server that writes its 101 and its close frame in one packet, then
/// reads what the client sends back.
fn closing_server() -> (String, thread::JoinHandle<Vec<u8>>) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0];
        while !request.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            request.push(byte[0]);
        }
        let key = text(&request)
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .to_owned();
        let accept = wscore::handshake::accept_key(key.as_bytes());
        let mut packet = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            text(&accept)
        )
        .into_bytes();
        packet.extend_from_slice(&[0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e']);
        stream.write_all(&packet).unwrap();
        let (reply, end, _) = read_to_end(&mut stream);
        assert!(end.is_ok(), "{end:?}");
        reply
    });
    (url, server)
}

/// The unmasked payload of the one masked frame in `bytes`.
fn unmask_one(bytes: &[u8]) -> (u8, Vec<u8>) {
    let len = usize::from(bytes[1] & 0x7f);
    let key = &bytes[2..6];
    let payload = bytes[6..6 + len]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    (bytes[0], payload)
}

#[tokio::test]
async fn a_close_that_comes_with_the_101_is_answered_and_is_a_clean_end() {
    let (url, server) = closing_server();
    let request = ClientRequest::from_url(&url).unwrap();
    let stream =
        tokio::net::TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches('/'))
            .await
            .unwrap();
    let mut ws = wscore_tokio::connect_with(stream, &request, Config::new())
        .await
        .unwrap();
    assert!(ws.next().await.is_none(), "a clean end");
    let State::Closed(closed) = ws.connection().state() else {
        panic!("{:?}", ws.connection().state())
    };
    assert_eq!(
        (closed.code.as_u16(), closed.reason.as_str(), closed.clean),
        (1000, "bye", true)
    );
    let reply = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        unmask_one(&reply),
        (0x88, vec![0x03, 0xe8]),
        "the close echoed"
    );
}

#[tokio::test]
async fn a_server_that_accepts_tcp_but_never_answers_is_named() {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let request = ClientRequest::from_url(&url)
        .unwrap()
        .limits(Limits::new().timeout(Some(Duration::from_millis(300))));
    let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let started = Instant::now();
    let error = wscore_tokio::connect_with(stream, &request, Config::new())
        .await
        .err()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        error.to_string(),
        "the server accepted the connection but did not answer the WebSocket upgrade within 0.3 s; \
         is it a WebSocket (or HTTP) server, and is it overloaded?"
    );
    drop(listener);
}
