//! Frames that arrive in the same read as the end of the handshake are
//! delivered even if the peer sends nothing more (Autobahn's fuzzing server
//! sends the case count and its close right behind the 101).

use std::io::{self, Read, Write};
use wscore::connection::Event;
use wscore_blocking::{Error, Transport, WebSocket};

/// Gives all its input in one read, then end of file; keeps what is written.
struct Scripted {
    input: Vec<u8>,
    output: Vec<u8>,
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.len().min(buf.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input.drain(..n);
        Ok(n)
    }
}

/// No write side to shut: dropped after the last write.
impl Transport for Scripted {}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn frames_behind_the_request_are_read_at_once() {
    let mut input = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .to_vec();
    input.extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]); // "hi"
    input.extend_from_slice(&[0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]); // close 1000
    let stream = Scripted {
        input,
        output: Vec::new(),
    };
    let mut ws = WebSocket::accept(stream).unwrap();
    assert!(matches!(ws.read(), Ok(Event::Text(text)) if text.as_str() == "hi"));
    assert!(matches!(ws.read(), Ok(Event::Closed(code)) if code.as_u16() == 1000));
    assert!(ws.connection().closed().unwrap().clean);
    assert!(matches!(ws.read(), Err(Error::Closed(closed)) if closed.clean));
    // The 101, then our close reply (1000) went out.
    let output = &ws.get_ref().output;
    assert!(output.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(output.ends_with(&[0x88, 0x02, 0x03, 0xe8]));
}
