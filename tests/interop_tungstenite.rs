//! Interop over real loopback TCP with an implementation we did not write:
//! wscore client ↔ tungstenite server, tungstenite client ↔ wscore server.
//! Every message kind, fragmentation, ping/pong, and several close codes.

use bytes::{Bytes, BytesMut};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::coding::CloseCode as TCloseCode;
use tungstenite::protocol::frame::CloseFrame as TCloseFrame;
use wscore::close::CloseCode;
use wscore::connection::{Closed, Config, Connection, Event, Message, State};
use wscore::handshake::client::ClientRequest;
use wscore::handshake::server::{Accept, ServerHandshake};
use wscore::handshake::{Limits, Status};
use wscore::Role;

const CODES: [u16; 4] = [1000, 1001, 3000, 4999];

/// Runs a `Connection` over a blocking socket, the way an adapter would.
struct Driver {
    stream: TcpStream,
    conn: Connection,
    buf: BytesMut,
    start: Instant,
}

impl Driver {
    fn new(stream: TcpStream, role: Role, leftover: &[u8]) -> Self {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let config = Config::new().send_frame_size(16 << 10);
        Self {
            stream,
            conn: Connection::new(role, config, Duration::ZERO),
            buf: BytesMut::from(leftover),
            start: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn flush(&mut self) {
        while let Some(chunk) = self.conn.poll_transmit() {
            self.stream.write_all(&chunk).unwrap();
        }
    }

    /// The next event, reading as needed; `None` once the connection is over.
    fn next_event(&mut self) -> Option<Event> {
        loop {
            let now = self.now();
            self.conn.receive(now, &mut self.buf);
            if let Some(event) = self.conn.poll_event() {
                self.flush();
                return Some(event);
            }
            self.flush();
            if self.conn.is_finished() {
                return None;
            }
            let mut chunk = [0; 8192];
            match self.stream.read(&mut chunk).unwrap() {
                0 => {
                    self.conn.receive_eof();
                    return None;
                }
                n => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

fn payloads() -> Vec<Message> {
    vec![
        Message::text("hello"),
        Message::text("κόσμε 🌍"),
        Message::text(""),
        Message::binary(vec![0u8, 1, 2, 255]),
        Message::binary(Bytes::new()),
        // Four frames of 16 KiB each on the way out.
        Message::binary((0..60_000u32).map(|i| i as u8).collect::<Vec<_>>()),
        Message::text("x".repeat(40_000)),
    ]
}

fn as_tungstenite(message: &Message) -> tungstenite::Message {
    match message {
        Message::Text(text) => tungstenite::Message::text(text.as_str()),
        Message::Binary(data) => tungstenite::Message::binary(data.clone()),
        _ => unreachable!("data messages only"),
    }
}

fn as_event(message: &Message) -> Event {
    match message {
        Message::Text(text) => Event::Text(text.clone()),
        Message::Binary(data) => Event::Binary(data.clone()),
        _ => unreachable!("data messages only"),
    }
}

fn connect_wscore_client(addr: std::net::SocketAddr) -> Driver {
    let mut stream = TcpStream::connect(addr).unwrap();
    let url = format!("ws://{addr}/echo");
    let (request, mut handshake) = ClientRequest::from_url(&url)
        .unwrap()
        .protocol("echo")
        .build(&mut wscore::random::OsRng, core::time::Duration::ZERO)
        .unwrap();
    stream.write_all(&request).unwrap();
    let mut received = Vec::new();
    loop {
        let mut chunk = [0; 1024];
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed during the handshake");
        received.extend_from_slice(&chunk[..n]);
        if let Status::Complete(response) = handshake.receive(&received).unwrap() {
            assert_eq!(response.protocol(), Some("echo"));
            let leftover = received[response.header_len()..].to_vec();
            return Driver::new(stream, Role::Client, &leftover);
        }
    }
}

#[test]
fn wscore_client_with_tungstenite_server() {
    for code in CODES {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            // The signature is tungstenite's callback trait, large error and all.
            #[allow(clippy::result_large_err)]
            let callback =
                |_: &tungstenite::handshake::server::Request,
                 mut response: tungstenite::handshake::server::Response| {
                    response
                        .headers_mut()
                        .insert("Sec-WebSocket-Protocol", "echo".parse().unwrap());
                    Ok(response)
                };
            let mut ws = tungstenite::accept_hdr(stream, callback).unwrap();
            let mut code = None;
            loop {
                match ws.read() {
                    Ok(
                        message @ (tungstenite::Message::Text(_) | tungstenite::Message::Binary(_)),
                    ) => ws.send(message).unwrap(),
                    // tungstenite queues its reply; reading on flushes it.
                    Ok(tungstenite::Message::Close(frame)) => {
                        code = frame.map(|f| u16::from(f.code))
                    }
                    Ok(_) => {}
                    Err(tungstenite::Error::ConnectionClosed) => return code,
                    Err(error) => panic!("tungstenite server: {error}"),
                }
            }
        });

        let mut client = connect_wscore_client(addr);
        for message in payloads() {
            client.conn.send(message).unwrap();
        }
        client
            .conn
            .send(Message::ping(Bytes::from_static(b"are you there")))
            .unwrap();
        client.flush();
        let mut got = Vec::new();
        let mut pong = None;
        while got.len() < payloads().len() || pong.is_none() {
            match client.next_event().expect("connection ended early") {
                Event::Pong(data) => pong = Some(data),
                event => got.push(event),
            }
        }
        assert_eq!(got, payloads().iter().map(as_event).collect::<Vec<_>>());
        assert_eq!(pong.as_deref(), Some(&b"are you there"[..]));

        client
            .conn
            .close(client.now(), CloseCode::from(code), "bye")
            .unwrap();
        client.flush();
        while client.next_event().is_some() {}
        assert_eq!(server.join().unwrap(), Some(code));
        match client.conn.state() {
            State::Closed(Closed {
                code: c,
                clean: true,
                ..
            }) => assert_eq!(c.as_u16(), code),
            other => panic!("{other:?}"),
        }
    }
}

/// A wscore echo server for one connection; returns the close code it saw.
fn wscore_server(listener: TcpListener) -> Option<u16> {
    let (mut stream, _) = listener.accept().unwrap();
    let mut received = Vec::new();
    let mut handshake = ServerHandshake::new(Limits::default(), core::time::Duration::ZERO);
    let (response, leftover) = loop {
        let mut chunk = [0; 1024];
        let n = stream.read(&mut chunk).unwrap();
        received.extend_from_slice(&chunk[..n]);
        if let Status::Complete(request) = handshake.receive(&received).unwrap() {
            let accepted = request.accept(&Accept::new()).unwrap();
            break (
                accepted.response().to_vec(),
                received[accepted.header_len()..].to_vec(),
            );
        }
    };
    stream.write_all(&response).unwrap();
    let mut server = Driver::new(stream, Role::Server, &leftover);
    let mut close_code = None;
    while let Some(event) = server.next_event() {
        match event {
            Event::Text(text) => server.conn.send(Message::Text(text)).unwrap(),
            Event::Binary(data) => server.conn.send(Message::Binary(data)).unwrap(),
            Event::Closed(code) => close_code = Some(code.as_u16()),
            _ => {}
        }
    }
    close_code
}

#[test]
fn tungstenite_client_with_wscore_server() {
    for code in CODES {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || wscore_server(listener));

        let stream = TcpStream::connect(addr).unwrap();
        let (mut ws, _) = tungstenite::client(format!("ws://{addr}/"), stream).unwrap();
        for message in payloads() {
            ws.send(as_tungstenite(&message)).unwrap();
        }
        ws.send(tungstenite::Message::Ping(Bytes::from_static(b"ping?")))
            .unwrap();
        let mut got = Vec::new();
        let mut pong = None;
        while got.len() < payloads().len() || pong.is_none() {
            match ws.read().unwrap() {
                tungstenite::Message::Pong(data) => pong = Some(data),
                message => got.push(message),
            }
        }
        assert_eq!(
            got,
            payloads().iter().map(as_tungstenite).collect::<Vec<_>>()
        );
        assert_eq!(pong.as_deref(), Some(&b"ping?"[..]));

        ws.close(Some(TCloseFrame {
            code: TCloseCode::from(code),
            reason: "bye".into(),
        }))
        .unwrap();
        loop {
            match ws.read() {
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => break,
                Err(error) => panic!("tungstenite client: {error}"),
            }
        }
        assert_eq!(server.join().unwrap(), Some(code));
    }
}

#[test]
fn tungstenite_fragmented_messages_reach_wscore() {
    use tungstenite::protocol::frame::coding::{Data, OpCode};
    use tungstenite::protocol::frame::Frame;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || wscore_server(listener));
    let stream = TcpStream::connect(addr).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/"), stream).unwrap();
    let parts: [(&[u8], OpCode, bool); 3] = [
        ("κό".as_bytes(), OpCode::Data(Data::Text), false),
        ("σμ".as_bytes(), OpCode::Data(Data::Continue), false),
        ("ε".as_bytes(), OpCode::Data(Data::Continue), true),
    ];
    for (payload, opcode, fin) in parts {
        ws.write(tungstenite::Message::Frame(Frame::message(
            Bytes::copy_from_slice(payload),
            opcode,
            fin,
        )))
        .unwrap();
    }
    ws.flush().unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("κόσμε"));
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    assert_eq!(server.join().unwrap(), Some(1005), "a close without a code");
}
