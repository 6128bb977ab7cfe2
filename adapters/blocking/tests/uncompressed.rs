//! `set_compression(false)` on a connection that agreed to permessage-deflate:
//! the message crosses uncompressed, and compression around it still works.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use wscore::connection::{Config, Event, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_blocking::{Accept, Decision, Error, Limits, Request, Transport, WebSocket};

/// A stream that counts the bytes written through it.
struct Counted {
    stream: TcpStream,
    written: usize,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Transport for Counted {
    fn shutdown_write(&mut self, timeout: std::time::Duration) -> io::Result<bool> {
        self.stream.shutdown_write(timeout)
    }
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.stream.write(buf)?;
        self.written += written;
        Ok(written)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Echoes one connection, agreeing to permessage-deflate.
fn deflate_echo(listener: TcpListener) {
    let (stream, _) = listener.accept().unwrap();
    let accept = |_: &Request<'_>| Decision::Accept(Accept::new().deflate(DeflateConfig::new()));
    let mut ws = WebSocket::accept_with(stream, Config::new(), Limits::default(), accept).unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    loop {
        match ws.read() {
            Ok(Event::Text(text)) => ws.send(Message::Text(text)).unwrap(),
            Ok(Event::Closed(_)) => return assert!(ws.connection().closed().unwrap().clean),
            Ok(_) => {}
            Err(error) => panic!("echo server: {error}"),
        }
    }
}

#[test]
fn uncompressed_messages_leave_compression_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let server = thread::spawn(move || deflate_echo(listener));
    let request = ClientRequest::from_url(&url)
        .unwrap()
        .deflate(DeflateConfig::new());
    let stream = Counted {
        stream: TcpStream::connect(listener_addr(&url)).unwrap(),
        written: 0,
    };
    let mut ws = WebSocket::connect_with(stream, &request, Config::new()).unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    let text: String = (0..20_000)
        .map(|i| format!("{{\"n\":{}}},", i % 10))
        .collect();
    let mut sizes = Vec::new();
    for uncompressed in [false, true, false] {
        let before = ws.get_ref().written;
        let message = Message::text(text.clone());
        ws.set_compression(!uncompressed);
        ws.send(message).unwrap();
        sizes.push(ws.get_ref().written - before);
        match ws.read().unwrap() {
            Event::Text(echo) => assert_eq!(echo.as_str(), text),
            other => panic!("no echo: {other:?}"),
        }
    }
    println!("{} bytes of text written as {sizes:?} bytes", text.len());
    assert!(
        sizes[0] < text.len() / 10 && sizes[2] < text.len() / 10,
        "{sizes:?}"
    );
    assert!(sizes[1] > text.len(), "{sizes:?}");
    ws.close(wscore::close::CloseCode::NORMAL, "").unwrap();
    while !matches!(ws.read().unwrap(), Event::Closed(_)) {}
    let closed = ws.connection().closed().unwrap();
    assert!(closed.clean, "{closed}");
    assert!(matches!(ws.read(), Err(Error::Closed(_))), "reported once");
    server.join().unwrap();
}

fn listener_addr(url: &str) -> &str {
    url.trim_start_matches("ws://").trim_end_matches('/')
}
