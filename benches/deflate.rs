//! permessage-deflate echo: a client sends a compressed text message, the
//! server inflates it and echoes it compressed, the client inflates the
//! echo. wscore's connections, with each way of keeping context, against
//! the floor: zlib-rs doing just the same compressions and inflations (same
//! level, window and sync flush, with context takeover, a compressor kept
//! per endpoint) into buffers allocated once.
//!
//! 64 different messages per iteration, JSON records or English-like prose,
//! of 128 B, 1 KiB and 64 KiB. Before timing, each contender's compressed
//! size (the client's frames) is printed against the raw text.
//!
//! `cargo bench --bench deflate`

use bytes::{Buf, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, Message, Utf8Bytes};
use wscore::extensions::deflate::{Context, DeflateConfig, DeflateParams};
use wscore::extensions::Agreed;
use wscore::Role;
use zlib_rs::{Deflate, DeflateFlush, Inflate, InflateFlush};

const MESSAGES: usize = 64;
const LEVEL: i32 = 6;

/// JSON records as an API would send them: the same keys, varying values.
fn json(len: usize, seed: u64) -> String {
    let mut text = String::from("[");
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while text.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push_str(&format!(
            "{{\"id\":{},\"user\":\"user-{}\",\"score\":{}.{},\"active\":{},\"tags\":[\"t{}\",\"t{}\"]}},",
            x % 1_000_000,
            (x >> 20) % 5000,
            (x >> 30) % 1000,
            (x >> 40) % 100,
            x & 1 == 0,
            (x >> 8) % 50,
            (x >> 16) % 50
        ));
    }
    text.truncate(len);
    text
}

/// Prose from a small vocabulary, as a chat or a document would send.
fn prose(len: usize, seed: u64) -> String {
    const WORDS: [&str; 32] = [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "it",
        "was",
        "for",
        "on",
        "are",
        "with",
        "they",
        "be",
        "at",
        "one",
        "have",
        "this",
        "from",
        "server",
        "message",
        "connection",
        "window",
        "people",
        "time",
        "would",
        "could",
        "about",
        "which",
        "their",
        "said",
    ];
    let mut text = String::new();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while text.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push_str(WORDS[(x % 32) as usize]);
        text.push_str(if x.is_multiple_of(11) { ". " } else { " " });
    }
    text.truncate(len);
    text
}

/// Moves everything `from` has to write into `to`'s read buffer; how many
/// bytes that was.
fn deliver(from: &mut Connection, to: &mut Connection, buf: &mut BytesMut) -> (Event, usize) {
    let mut transmit = from.transmit();
    let mut sent = 0;
    while transmit.has_remaining() {
        buf.extend_from_slice(transmit.chunk());
        let written = transmit.chunk().len();
        sent += written;
        transmit.advance(written);
    }
    to.receive(Duration::ZERO, buf);
    (to.poll_event().unwrap(), sent)
}

/// A client and server that agreed to permessage-deflate with 32 KiB
/// windows, with or without context takeover, keeping `context`.
fn wscore_pair(context_takeover: bool, context: Context) -> (Connection, Connection) {
    let params = DeflateParams {
        server_no_context_takeover: !context_takeover,
        client_no_context_takeover: !context_takeover,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
    };
    let config = DeflateConfig::new().level(LEVEL as u8).context(context);
    let mut client = Connection::new(Role::Client, Config::new(), Duration::ZERO);
    let mut server = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    client.set_agreed(Agreed::with_deflate(params, config));
    server.set_agreed(Agreed::with_deflate(params, config));
    (client, server)
}

/// One echo of each message; the bytes the client sent.
fn wscore_echo(
    (client, server): &mut (Connection, Connection),
    messages: &[Utf8Bytes],
    (to_server, to_client): &mut (BytesMut, BytesMut),
) -> usize {
    let mut wire = 0;
    for message in messages {
        client.send(Message::Text(message.clone())).unwrap();
        let (Event::Text(text), sent) = deliver(client, server, to_server) else {
            panic!()
        };
        wire += sent;
        server.send(Message::Text(text)).unwrap();
        black_box(deliver(server, client, to_client));
    }
    wire
}

/// One endpoint's raw zlib-rs streams and buffers.
struct Floor {
    deflate: Deflate,
    inflate: Inflate,
    compressed: Vec<u8>,
    inflated: Vec<u8>,
}

impl Floor {
    fn new(size: usize) -> Self {
        Self {
            deflate: Deflate::new(LEVEL, false, 15),
            inflate: Inflate::new(false, 15),
            compressed: vec![0; size + 1024],
            inflated: vec![0; size + 1024],
        }
    }

    /// Compresses `message` with a sync flush into `compressed`; returns its length.
    fn compress(deflate: &mut Deflate, message: &[u8], compressed: &mut [u8]) -> usize {
        let before = deflate.total_out();
        deflate
            .compress(message, compressed, DeflateFlush::SyncFlush)
            .unwrap();
        (deflate.total_out() - before) as usize
    }

    /// Inflates `compressed` into `self.inflated`; returns the inflated length.
    fn inflate(&mut self, compressed: &[u8]) -> usize {
        let before = self.inflate.total_out();
        self.inflate
            .decompress(compressed, &mut self.inflated, InflateFlush::SyncFlush)
            .unwrap();
        (self.inflate.total_out() - before) as usize
    }
}

fn echo(c: &mut Criterion, corpus: fn(usize, u64) -> String, label: &str, size: usize) {
    let messages: Vec<Utf8Bytes> = (0..MESSAGES as u64)
        .map(|i| Utf8Bytes::from(corpus(size, i)))
        .collect();
    let raw = size * MESSAGES;
    let mut group = c.benchmark_group(format!("deflate_echo/{label}"));
    group.throughput(Throughput::Bytes((raw * 2) as u64));

    for (name, context_takeover, context) in [
        ("wscore", true, Context::Recent(4 << 10)),
        ("wscore-compressor", true, Context::Compressor),
        ("wscore-no-context", false, Context::Recent(4 << 10)),
    ] {
        let mut pair = wscore_pair(context_takeover, context);
        let mut buffers = (BytesMut::new(), BytesMut::new());
        // Framing included: 6-8 bytes of header per message.
        let wire = wscore_echo(&mut pair, &messages, &mut buffers);
        println!(
            "deflate_echo/{label}/{name}: {wire} bytes on the wire for {raw} of text ({:.3})",
            wire as f64 / raw as f64
        );
        group.bench_function(name, |b| {
            b.iter(|| wscore_echo(&mut pair, &messages, &mut buffers))
        });
    }

    let (mut client, mut server) = (Floor::new(size), Floor::new(size));
    group.bench_function("zlib-rs floor", |b| {
        b.iter(|| {
            for message in &messages {
                let Floor {
                    deflate,
                    compressed,
                    ..
                } = &mut client;
                let len = Floor::compress(deflate, message.as_bytes(), compressed);
                let len = server.inflate(&client.compressed[..len]);
                let Floor {
                    deflate,
                    compressed,
                    inflated,
                    ..
                } = &mut server;
                let len = Floor::compress(deflate, &inflated[..len], compressed);
                black_box(client.inflate(&server.compressed[..len]));
            }
        })
    });
    group.finish();
}

fn all(c: &mut Criterion) {
    for size in [128, 1 << 10, 64 << 10] {
        let kib = if size < 1024 {
            format!("{size}B")
        } else {
            format!("{}KiB", size >> 10)
        };
        echo(c, json, &format!("json-{kib}"), size);
        echo(c, prose, &format!("prose-{kib}"), size);
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
