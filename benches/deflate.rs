//! permessage-deflate echo: a client sends a compressed text message, the
//! server inflates it and echoes it compressed, the client inflates the
//! echo. wscore's connections against the floor: zlib-rs doing just the
//! same compressions and inflations (same level, window and sync flush, with
//! context takeover) into buffers allocated once.
//!
//! 64 different JSON-like messages per iteration, of 1 KiB and of 64 KiB.
//!
//! `cargo bench --bench deflate`

use bytes::{Buf, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, Message, Utf8Bytes};
use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
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

/// Moves everything `from` has to write into `to`'s read buffer.
fn deliver(from: &mut Connection, to: &mut Connection, buf: &mut BytesMut) -> Event {
    let mut transmit = from.transmit();
    while transmit.has_remaining() {
        buf.extend_from_slice(transmit.chunk());
        let written = transmit.chunk().len();
        transmit.advance(written);
    }
    to.receive(Duration::ZERO, buf);
    to.poll_event().unwrap()
}

fn wscore_pair() -> (Connection, Connection) {
    let params = DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
    };
    let config = DeflateConfig::new().level(LEVEL as u8);
    let mut client = Connection::new(Role::Client, Config::new(), Duration::ZERO);
    let mut server = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    client.set_agreed(Agreed::with_deflate(params, config));
    server.set_agreed(Agreed::with_deflate(params, config));
    (client, server)
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

fn echo(c: &mut Criterion, size: usize, label: &str) {
    let messages: Vec<Utf8Bytes> = (0..MESSAGES as u64)
        .map(|i| Utf8Bytes::from(json(size, i)))
        .collect();
    let mut group = c.benchmark_group(format!("deflate_echo/{label}"));
    group.throughput(Throughput::Bytes((size * MESSAGES * 2) as u64));

    let (mut client, mut server) = wscore_pair();
    let (mut to_server, mut to_client) = (BytesMut::new(), BytesMut::new());
    group.bench_function("wscore", |b| {
        b.iter(|| {
            for message in &messages {
                client.send(Message::Text(message.clone())).unwrap();
                let Event::Text(text) = deliver(&mut client, &mut server, &mut to_server) else {
                    panic!()
                };
                server.send(Message::Text(text)).unwrap();
                black_box(deliver(&mut server, &mut client, &mut to_client));
            }
        })
    });

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
    echo(c, 1 << 10, "1KiB");
    echo(c, 64 << 10, "64KiB");
}

criterion_group!(benches, all);
criterion_main!(benches);
