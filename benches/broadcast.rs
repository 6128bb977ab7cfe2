//! One message to many connections, as a chat room or a feed sends it:
//! 1 KiB to 10,000 server connections, into their send queues, which are
//! then emptied as a writer would (no bytes copied out).
//!
//! - `wscore-prepared`: `Connection::send_prepared` with one `Prepared`;
//! - `wscore-send`: `Connection::send` of the same message on each, what a
//!   wscore user without prepared messages writes;
//! - `tungstenite`: `write` then `flush` on each (into a writer that
//!   discards), what tungstenite and tokio-tungstenite users do today;
//! - `floor`: a reference-counted clone of the bytes pushed onto each of
//!   10,000 queues and taken off again, nothing framed or checked.
//!
//! With permessage-deflate (no context takeover, level 6, 32 KiB window,
//! on every connection) tungstenite has no compression; the comparison is
//! with wscore compressing per connection.
//!
//! `cargo bench --bench broadcast`

mod common;

use bytes::{Buf, Bytes};
use common::Replay;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;
use wscore::connection::{Config, Connection, Message, Prepared};
use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
use wscore::extensions::Agreed;
use wscore::Role;

const CONNECTIONS: usize = 10_000;

/// 1 KiB of JSON, as a feed sends it.
fn message() -> String {
    let mut text = String::from("[");
    let mut i = 0;
    while text.len() < 1023 {
        text.push_str(&format!(
            r#"{{"id":{i},"price":{}.{:02}}},"#,
            100 + i * 7 % 91,
            i * 13 % 100
        ));
        i += 1;
    }
    text.truncate(1023);
    text.push(']');
    text
}

fn connections(deflate: bool) -> Vec<Connection> {
    let params = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
    };
    (0..CONNECTIONS)
        .map(|_| {
            let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
            if deflate {
                conn.set_agreed(Agreed::with_deflate(params, DeflateConfig::new()));
            }
            conn
        })
        .collect()
}

/// Empties each connection's queue as a writer that took everything would.
fn drain(connections: &mut [Connection]) {
    for conn in connections {
        let mut transmit = conn.transmit();
        let len = black_box(transmit.remaining());
        transmit.advance(len);
    }
}

fn broadcast(c: &mut Criterion) {
    let text = message();
    assert_eq!(text.len(), 1024);
    for deflate in [false, true] {
        let name = match deflate {
            false => "broadcast/10000x1KiB",
            true => "broadcast/10000x1KiB-deflate",
        };
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(CONNECTIONS as u64));
        if deflate {
            group.sample_size(10);
        }
        let mut conns = connections(deflate);
        group.bench_function("wscore-prepared", |b| {
            b.iter(|| {
                // Prepared once per broadcast, as a server would.
                let prepared = Prepared::text(text.clone());
                for conn in &mut conns {
                    conn.send_prepared(&prepared).unwrap();
                }
                drain(&mut conns);
            })
        });
        group.bench_function("wscore-send", |b| {
            b.iter(|| {
                let message = Message::text(text.clone());
                for conn in &mut conns {
                    conn.send(message.clone()).unwrap();
                }
                drain(&mut conns);
            })
        });
        if !deflate {
            let mut sockets: Vec<_> = (0..CONNECTIONS)
                .map(|_| {
                    tungstenite::WebSocket::from_raw_socket(
                        Replay { input: &[] },
                        tungstenite::protocol::Role::Server,
                        None,
                    )
                })
                .collect();
            group.bench_function("tungstenite", |b| {
                b.iter(|| {
                    let message = tungstenite::Message::text(text.clone());
                    for ws in &mut sockets {
                        ws.write(message.clone()).unwrap();
                        ws.flush().unwrap();
                    }
                })
            });
            let mut queues: Vec<VecDeque<Bytes>> = vec![VecDeque::new(); CONNECTIONS];
            group.bench_function("floor", |b| {
                b.iter(|| {
                    let bytes = Bytes::from(text.clone());
                    for queue in &mut queues {
                        queue.push_back(bytes.clone());
                    }
                    for queue in &mut queues {
                        black_box(queue.pop_front());
                    }
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
