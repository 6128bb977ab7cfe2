//! The server's opening handshake: parse a ~560-byte Chromium upgrade
//! request and produce the 101 response. Against tungstenite's server
//! handshake for the same bytes, and a floor that does only the unavoidable
//! work: httparse, SHA-1, base64 and writing the response.
//!
//! `cargo bench --bench handshake`

mod common;

use common::Replay;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::io::Write;

use base64::Engine;
use sha1::{Digest, Sha1};
use wscore::handshake::server::{Accept, ServerHandshake};
use wscore::handshake::{Limits, Status};

const CHROME: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: localhost:9001\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://localhost:9001\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

fn wscore_handshake(bytes: &[u8]) -> Vec<u8> {
    let mut handshake = ServerHandshake::new(Limits::default(), core::time::Duration::ZERO);
    let Ok(Status::Complete(request)) = handshake.receive(bytes) else {
        unreachable!("complete request")
    };
    request.accept(&Accept::new()).unwrap().into_response()
}

fn tungstenite_handshake(bytes: &[u8]) -> usize {
    let ws = tungstenite::accept(Replay { input: bytes }).unwrap();
    black_box(&ws);
    bytes.len()
}

/// The least any server must do: parse, find the key, hash, encode, write.
fn floor(bytes: &[u8]) -> Vec<u8> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(bytes).unwrap();
    let key = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
        .unwrap()
        .value;
    let digest = Sha1::new()
        .chain_update(key)
        .chain_update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        .finalize();
    let accept = base64::engine::general_purpose::STANDARD.encode(digest);
    let mut response = Vec::with_capacity(256);
    write!(
        response,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .unwrap();
    response
}

fn handshake(c: &mut Criterion) {
    assert_eq!(wscore_handshake(CHROME), floor(CHROME));
    let mut group = c.benchmark_group(format!("handshake/chrome-{}B", CHROME.len()));
    group.bench_function("wscore", |b| b.iter(|| wscore_handshake(black_box(CHROME))));
    group.bench_function("floor-httparse-sha1-base64", |b| {
        b.iter(|| floor(black_box(CHROME)))
    });
    group.bench_function("tungstenite", |b| {
        b.iter(|| tungstenite_handshake(black_box(CHROME)))
    });
    group.finish();
}

criterion_group!(benches, handshake);
criterion_main!(benches);
