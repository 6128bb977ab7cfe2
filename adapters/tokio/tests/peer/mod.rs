//! A misbehaving peer's tools over a raw socket, shared by both adapters'
//! hostile-peer tests (the blocking adapter includes this file by path).
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// A valid upgrade request, from no browser (no Origin).
pub const UPGRADE: &str = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// Everything the server sends until it closes, how the stream ended, and
/// how long that took.
pub fn read_to_end(stream: &mut TcpStream) -> (Vec<u8>, io::Result<()>, Duration) {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut received = Vec::new();
    let mut chunk = [0; 65536];
    let end = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) => break Err(error),
        }
    };
    (received, end, started.elapsed())
}

pub fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// Sends `bytes` on a fresh connection to `addr`, then reads as
/// [`read_to_end`] does.
pub fn exchange(addr: SocketAddr, bytes: &[u8]) -> (Vec<u8>, io::Result<()>, Duration) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(bytes).unwrap();
    read_to_end(&mut stream)
}

/// Opens a WebSocket by hand; returns the socket after the 101.
pub fn upgraded(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(UPGRADE.as_bytes()).unwrap();
    let mut response = Vec::new();
    let mut byte = [0];
    while !response.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        response.push(byte[0]);
    }
    assert!(response.starts_with(b"HTTP/1.1 101 "));
    stream
}

/// The close frame (unmasked, from the server) at the start of `bytes`:
/// its code and reason.
pub fn close_frame(bytes: &[u8]) -> (u16, &str) {
    assert_eq!(bytes[0], 0x88, "a close frame: {bytes:02x?}");
    let len = usize::from(bytes[1]);
    let payload = &bytes[2..2 + len];
    (
        u16::from_be_bytes([payload[0], payload[1]]),
        text(&payload[2..]),
    )
}

/// A client frame header for a payload of `len` bytes, masked with a zero
/// key (so the payload goes as it is).
pub fn masked_header(opcode: u8, len: u64) -> Vec<u8> {
    let mut header = vec![0x80 | opcode];
    match len {
        0..=125 => header.push(0x80 | len as u8),
        126..=0xffff => {
            header.push(0x80 | 126);
            header.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend_from_slice(&len.to_be_bytes());
        }
    }
    header.extend_from_slice(&[0; 4]);
    header
}

/// Plays the peer of [`claim_4_gib_and_flood`] on a fresh WebSocket at
/// `addr` whose frame limit is 1 MiB, and asserts what it must observe:
/// close 1009 naming the sizes, then a clean end of file, never a reset.
pub fn flood_reads_1009_and_a_clean_end(addr: SocketAddr) {
    let mut stream = upgraded(addr);
    let flood = claim_4_gib_and_flood(&stream);
    let (received, end, _) = read_to_end(&mut stream);
    flood.join().unwrap();
    assert!(
        end.is_ok(),
        "the close frame and a clean end of file, not {end:?}"
    );
    assert_eq!(
        close_frame(&received),
        (
            1009,
            "frame payload of 4294967296 bytes exceeds the limit of 1048576 bytes"
        )
    );
}

/// Sends a frame header that claims 4 GiB (over any limit here), then 2 MiB
/// of its payload from another thread, going on while the server has long
/// failed the connection and this side reads.
pub fn claim_4_gib_and_flood(stream: &TcpStream) -> thread::JoinHandle<()> {
    let mut writer = stream.try_clone().unwrap();
    writer.write_all(&masked_header(0x2, 4 << 30)).unwrap();
    thread::spawn(move || {
        let chunk = vec![0x42; 16 << 10];
        for _ in 0..128 {
            if writer.write_all(&chunk).is_err() {
                return;
            }
            thread::sleep(Duration::from_micros(500));
        }
        let _ = writer.shutdown(std::net::Shutdown::Write);
    })
}
