//! Decoding a server's input: the same masked bytes into wscore and into
//! its peers, whole messages delivered to the caller.
//!
//! Workloads (from the connection issue): (a) 10,000 × 16 B text,
//! (b) 1,000 × 4 KiB binary, (c) 10 × 1 MiB binary, (d) 100 × 64 KiB
//! non-ASCII text. Every contender copies the bytes out of the "socket" into
//! its own buffer in 64 KiB reads, as a real read loop does.
//!
//! `floor` is the work no decoder can skip, and nothing else: the same
//! reads, each payload unmasked (and text validated) as its bytes arrive,
//! with the frames' positions known in advance, no header parsed and no
//! message kept or delivered.
//!
//! `cargo bench --bench decode`

mod common;

use common::Replay;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;

use bytes::BytesMut;
use std::ops::Range;
use std::time::Duration;
use wscore::connection::{Config, Connection, Event};
use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, HeaderStatus, Item, Opcode};
use wscore::mask::apply_mask;
use wscore::utf8::Utf8Validator;
use wscore::Role;

/// One masked frame per payload, as a client sends them.
fn masked_frames(opcode: Opcode, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let key = (i as u32).wrapping_mul(0x9e37_79b9).to_ne_bytes();
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.mask = Some(key);
        bytes.extend_from_slice(&header.encode().unwrap());
        let start = bytes.len();
        bytes.extend_from_slice(payload);
        apply_mask(&mut bytes[start..], key, 0);
    }
    bytes
}

/// `len` bytes of text cycling through Greek, CJK and emoji, cut at a
/// character boundary.
fn non_ascii_text(len: usize) -> Vec<u8> {
    let text: String = "κόσμε 世界 🌍 "
        .chars()
        .cycle()
        .scan(0, |size, c| {
            *size += c.len_utf8();
            (*size <= len).then_some(c)
        })
        .collect();
    text.into_bytes()
}

struct Workload {
    name: &'static str,
    bytes: Vec<u8>,
    frames: Vec<Span>,
    messages: usize,
    payload_bytes: usize,
}

/// Where a frame's payload lies in the input, for the floor.
struct Span {
    payload: Range<usize>,
    key: [u8; 4],
    text: bool,
}

/// The payload positions of the frames in `bytes`.
fn spans(bytes: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut at = 0;
    while let Ok(HeaderStatus::Complete { header, len }) = FrameHeader::decode(&bytes[at..]) {
        let start = at + len;
        at = start + header.payload_len as usize;
        spans.push(Span {
            payload: start..at,
            key: header.mask.unwrap(),
            text: header.opcode == Opcode::Text,
        });
    }
    spans
}

fn workloads() -> [Workload; 4] {
    let workload = |name, opcode, payloads: Vec<Vec<u8>>| {
        let bytes = masked_frames(opcode, &payloads);
        Workload {
            name,
            frames: spans(&bytes),
            bytes,
            messages: payloads.len(),
            payload_bytes: payloads.iter().map(Vec::len).sum(),
        }
    };
    [
        workload(
            "a-10000x16B-text",
            Opcode::Text,
            vec![b"sixteen bytes ok".to_vec(); 10_000],
        ),
        workload(
            "b-1000x4KiB-binary",
            Opcode::Binary,
            vec![vec![0x5a; 4 << 10]; 1000],
        ),
        workload(
            "c-10x1MiB-binary",
            Opcode::Binary,
            vec![vec![0xa5; 1 << 20]; 10],
        ),
        workload(
            "d-100x64KiB-non-ascii-text",
            Opcode::Text,
            vec![non_ascii_text(64 << 10); 100],
        ),
    ]
}

const READ_SIZE: usize = 64 << 10;

/// wscore's connection: whole messages, read as an adapter reads them,
/// into the buffer's spare capacity (as tokio's `read_buf` does), which the
/// connection sizes to the frame in progress.
fn wscore_messages(mut input: &[u8]) -> usize {
    let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    let mut buf = BytesMut::with_capacity(READ_SIZE);
    let mut payload = 0;
    while !input.is_empty() {
        if buf.capacity() == buf.len() {
            buf.reserve(READ_SIZE);
        }
        let (read, rest) =
            input.split_at((buf.capacity() - buf.len()).min(READ_SIZE).min(input.len()));
        buf.extend_from_slice(read);
        input = rest;
        conn.receive(Duration::ZERO, &mut buf);
        while let Some(event) = conn.poll_event() {
            payload += match event {
                Event::Text(text) => black_box(text).len(),
                Event::Binary(data) => black_box(data).len(),
                _ => 0,
            };
        }
    }
    payload
}

/// wscore's frame layer alone: headers and unmasked payload, no messages.
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

/// The floor: reads into one reused buffer, unmasking and validating
/// what each read brought.
fn floor(input: &[u8], frames: &[Span], buf: &mut [u8; READ_SIZE]) -> usize {
    let mut validator = Utf8Validator::new();
    let mut frames = frames.iter().peekable();
    let mut payload = 0;
    for (read, bytes) in (0..).step_by(READ_SIZE).zip(input.chunks(READ_SIZE)) {
        let end = read + bytes.len();
        let buf = &mut buf[..bytes.len()];
        buf.copy_from_slice(bytes);
        while let Some(frame) = frames.peek() {
            let (from, to) = (frame.payload.start.max(read), frame.payload.end.min(end));
            if from < to {
                let arrived = &mut buf[from - read..to - read];
                apply_mask(arrived, frame.key, from - frame.payload.start);
                if frame.text {
                    validator.feed(black_box(arrived)).unwrap();
                }
                payload += to - from;
            }
            if frame.payload.end > end {
                break;
            }
            validator.finish().unwrap();
            frames.next();
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut read_buf = Box::new([0; READ_SIZE]);
    for Workload {
        name,
        bytes,
        frames,
        messages,
        payload_bytes,
    } in workloads()
    {
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Bytes(payload_bytes as u64));
        if messages > 1000 {
            group.throughput(Throughput::Elements(messages as u64));
        }
        group.bench_function("wscore", |b| {
            b.iter(|| assert_eq!(wscore_messages(&bytes), payload_bytes))
        });
        group.bench_function("wscore-frames", |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |input| assert_eq!(wscore_frames(input), payload_bytes),
                BatchSize::LargeInput,
            )
        });
        group.bench_function("floor", |b| {
            b.iter(|| assert_eq!(floor(&bytes, &frames, &mut read_buf), payload_bytes))
        });
        group.bench_function("tungstenite", |b| {
            b.iter(|| assert_eq!(tungstenite_messages(&bytes, messages), payload_bytes))
        });
        group.bench_function("fastwebsockets", |b| {
            b.iter(|| {
                assert_eq!(
                    fastwebsockets_messages(&runtime, &bytes, messages),
                    payload_bytes
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
