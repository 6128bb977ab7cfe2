//! Encoding: messages through `send` until their bytes are ready to write,
//! wscore against fastwebsockets writing into a sink that discards.
//!
//! - 10,000 × 16 B binary, server role (unmasked) and client role (masked);
//! - 10 × 1 MiB binary, client role. Each iteration hands both libraries a
//!   freshly owned buffer, prepared outside the timing. fastwebsockets runs
//!   twice: given the buffer (`Payload::Owned`, masked in place) and given a
//!   borrowed slice (`Payload::Borrowed`, as its examples do, which copies
//!   before masking).
//!
//! Every contender gets the 16-byte payload through `black_box`, as a
//! program gets its messages: a length the compiler knows would let it
//! replace the copies with fixed-size moves that no real sender gets.
//!
//! `wscore-slice` sends the 16-byte payload with `send_binary(&[u8])`, which
//! copies it, rather than as a `Message`. `floor` is the least any encoder
//! does for a small message: its header and payload (masked, as a client)
//! written into a reused buffer, handed out, nothing checked or counted.
//!
//! `cargo bench --bench encode`

mod common;

use bytes::Buf;
use bytes::Bytes;
use common::Replay;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use fastwebsockets::{Frame, Payload};
use std::hint::black_box;
use std::time::Duration;
use wscore::connection::{Config, Connection, Message, MessageRef};
use wscore::mask::apply_mask;
use wscore::Role;

/// Sends and writes the bytes out through the borrowed-slice path.
fn wscore_send(conn: &mut Connection, message: Message) {
    conn.send(message).unwrap();
    write_out(conn);
}

/// Writes what is waiting through the borrowed-slice path.
fn write_out(conn: &mut Connection) {
    let mut transmit = conn.transmit();
    while transmit.has_remaining() {
        let written = black_box(transmit.chunk()).len();
        transmit.advance(written);
    }
}

/// Sends and takes the bytes as owned chunks.
fn wscore_send_chunks(conn: &mut Connection, message: Message) {
    conn.send(message).unwrap();
    while let Some(chunk) = conn.poll_transmit() {
        black_box(chunk);
    }
}

/// The floor for one small frame: header and payload into `buf`, masked
/// with a key that changes per frame as a client's must (a counter, cheaper
/// than any secure generator: the floor only gets lower).
fn floor(buf: &mut Vec<u8>, role: Role, payload: &[u8], key: &mut u32) {
    buf.clear();
    let len = payload.len() as u8;
    let mask = match role {
        Role::Server => {
            buf.extend_from_slice(&[0x82, len]);
            None
        }
        Role::Client => {
            *key = key.wrapping_add(0x9e37_79b9);
            let key = key.to_ne_bytes();
            buf.extend_from_slice(&[0x82, 0x80 | len]);
            buf.extend_from_slice(&key);
            Some(key)
        }
    };
    let start = buf.len();
    buf.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut buf[start..], key, 0);
    }
    black_box(&buf[..]);
}

fn fws_role(role: Role) -> fastwebsockets::Role {
    match role {
        Role::Server => fastwebsockets::Role::Server,
        Role::Client => fastwebsockets::Role::Client,
    }
}

fn small_messages(c: &mut Criterion, role: Role) {
    const COUNT: usize = 10_000;
    let payload: &'static [u8] = b"sixteen bytes ok";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group(format!("encode/{role:?}-10000x16B").to_lowercase());
    group.throughput(Throughput::Elements(COUNT as u64));
    let mut conn = Connection::new(role, Config::new(), Duration::ZERO);
    group.bench_function("wscore", |b| {
        b.iter(|| {
            for _ in 0..COUNT {
                wscore_send(
                    &mut conn,
                    Message::Binary(Bytes::from_static(black_box(payload))),
                );
            }
        })
    });
    group.bench_function("wscore-slice", |b| {
        b.iter(|| {
            for _ in 0..COUNT {
                conn.send_ref(MessageRef::Binary(black_box(payload)))
                    .unwrap();
                write_out(&mut conn);
            }
        })
    });
    group.bench_function("wscore-chunks", |b| {
        b.iter(|| {
            for _ in 0..COUNT {
                wscore_send_chunks(
                    &mut conn,
                    Message::Binary(Bytes::from_static(black_box(payload))),
                );
            }
        })
    });
    let (mut buf, mut key) = (Vec::with_capacity(64), 0);
    group.bench_function("floor", |b| {
        b.iter(|| {
            for _ in 0..COUNT {
                floor(&mut buf, role, black_box(payload), &mut key);
            }
        })
    });
    let mut ws = fastwebsockets::WebSocket::after_handshake(Replay { input: &[] }, fws_role(role));
    group.bench_function("fastwebsockets", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for _ in 0..COUNT {
                    ws.write_frame(Frame::binary(Payload::Borrowed(black_box(payload))))
                        .await
                        .unwrap();
                }
            })
        })
    });
    group.finish();
}

fn large_client_messages(c: &mut Criterion) {
    const COUNT: usize = 10;
    const SIZE: usize = 1 << 20;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("encode/client-10x1MiB");
    group.throughput(Throughput::Bytes((COUNT * SIZE) as u64));
    let buffers = || vec![vec![0x5a_u8; SIZE]; COUNT];
    let mut conn = Connection::new(Role::Client, Config::new(), Duration::ZERO);
    group.bench_function("wscore", |b| {
        b.iter_batched(
            buffers,
            |buffers| {
                for buffer in buffers {
                    wscore_send(&mut conn, Message::binary(buffer));
                }
            },
            BatchSize::LargeInput,
        )
    });
    let mut ws = fastwebsockets::WebSocket::after_handshake(
        Replay { input: &[] },
        fastwebsockets::Role::Client,
    );
    group.bench_function("fastwebsockets-owned", |b| {
        b.iter_batched(
            buffers,
            |buffers| {
                runtime.block_on(async {
                    for buffer in buffers {
                        ws.write_frame(Frame::binary(Payload::Owned(buffer)))
                            .await
                            .unwrap();
                    }
                })
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("fastwebsockets-borrowed", |b| {
        b.iter_batched(
            buffers,
            |buffers| {
                runtime.block_on(async {
                    for buffer in &buffers {
                        ws.write_frame(Frame::binary(Payload::Borrowed(buffer)))
                            .await
                            .unwrap();
                    }
                })
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    small_messages(c, Role::Server);
    small_messages(c, Role::Client);
    large_client_messages(c);
}

criterion_group!(benches, encode);
criterion_main!(benches);
