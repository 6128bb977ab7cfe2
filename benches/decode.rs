//! Decoding a server's input: 10,000 masked 16-byte text frames from one
//! buffer, the same bytes into wscore and into its peers.
//!
//! The peers are measured at the message level (that is all their public
//! API offers: header, unmask, UTF-8 check, a message value); wscore here at
//! the frame level (header decode, rules, unmask in place). Each workload is a
//! function of its own so that whole-message contenders can join the group.
//!
//! `cargo bench --bench decode`

mod common;

use common::Replay;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;

use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, Item, Opcode};
use wscore::Role;

/// `count` masked text frames of `len` bytes each, as a client sends them.
fn masked_text_frames(count: usize, len: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in 0..count {
        let key = (i as u32).wrapping_mul(0x9e37_79b9).to_ne_bytes();
        let mut header = FrameHeader::new(Opcode::Text, len as u64);
        header.mask = Some(key);
        bytes.extend_from_slice(&header.encode().unwrap());
        let start = bytes.len();
        bytes.extend((0..len).map(|j| b'a' + (j % 26) as u8));
        wscore::mask::apply_mask(&mut bytes[start..], key, 0);
    }
    bytes
}

fn wscore_frames(input: &mut [u8]) -> usize {
    let mut decoder = FrameDecoder::new(FrameRules::new(Role::Server));
    let mut input = input;
    let mut payload = 0;
    while let Some(item) = decoder.decode(&mut input).unwrap() {
        if let Item::Payload { data, .. } = item {
            payload += black_box(data).len();
        }
    }
    payload
}

fn tungstenite_messages(input: &[u8], count: usize) -> usize {
    let stream = Replay { input };
    let mut ws =
        tungstenite::WebSocket::from_raw_socket(stream, tungstenite::protocol::Role::Server, None);
    (0..count)
        .map(|_| black_box(ws.read().unwrap()).len())
        .sum()
}

fn fastwebsockets_messages(runtime: &tokio::runtime::Runtime, input: &[u8], count: usize) -> usize {
    runtime.block_on(async {
        let stream = Replay { input };
        let mut ws =
            fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
        let mut payload = 0;
        for _ in 0..count {
            payload += black_box(ws.read_frame().await.unwrap()).payload.len();
        }
        payload
    })
}

fn decode(c: &mut Criterion) {
    const COUNT: usize = 10_000;
    const LEN: usize = 16;
    let bytes = masked_text_frames(COUNT, LEN);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("decode/10000x16B-text");
    group.throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("wscore-frames", |b| {
        b.iter_batched_ref(
            || bytes.clone(),
            |input| assert_eq!(wscore_frames(input), COUNT * LEN),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("tungstenite", |b| {
        b.iter(|| assert_eq!(tungstenite_messages(&bytes, COUNT), COUNT * LEN))
    });
    group.bench_function("fastwebsockets", |b| {
        b.iter(|| {
            assert_eq!(
                fastwebsockets_messages(&runtime, &bytes, COUNT),
                COUNT * LEN
            )
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
