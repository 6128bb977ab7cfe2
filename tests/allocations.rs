//! Steady-state allocations of the connection, counted by a global
//! allocator: decoding a stream of 16-byte messages allocates nothing per
//! message beyond what its payload needs, and encoding allocates nothing.

use bytes::Buf;
use bytes::{Bytes, BytesMut};
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, Message, MessageRef};
use wscore::frame::{FrameHeader, Opcode};
use wscore::mask::apply_mask;
use wscore::Role;

const MESSAGES: usize = 10_000;

fn masked_text_frames(count: usize) -> BytesMut {
    let mut bytes = BytesMut::with_capacity(count * 22);
    for i in 0..count {
        let key = (i as u32).wrapping_mul(0x9e37_79b9).to_ne_bytes();
        let mut header = FrameHeader::new(Opcode::Text, 16);
        header.mask = Some(key);
        bytes.extend_from_slice(&header.encode().unwrap());
        let start = bytes.len();
        bytes.extend_from_slice(b"sixteen bytes ok");
        apply_mask(&mut bytes[start..], key, 0);
    }
    bytes
}

fn decoding_allocations(messages: usize) -> u64 {
    let mut server = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    let mut warm_up = masked_text_frames(100);
    server.receive(Duration::ZERO, &mut warm_up);
    while server.poll_event().is_some() {}

    let input = masked_text_frames(messages);
    let mut input = &input[..];
    let mut buf = BytesMut::with_capacity(4096);
    allocation_counter::measure(|| {
        // As an adapter keeping one 4 KiB buffer reads: into its spare
        // capacity. Asking for 4 KiB in total, not 4 KiB more, lets `bytes`
        // move the unread bytes to the front instead of allocating.
        while !input.is_empty() {
            if buf.capacity() == buf.len() {
                buf.reserve(4096 - buf.len());
            }
            let (read, rest) =
                input.split_at((buf.capacity() - buf.len()).min(4096).min(input.len()));
            buf.extend_from_slice(read);
            input = rest;
            server.receive(Duration::ZERO, &mut buf);
            while let Some(event) = server.poll_event() {
                assert!(matches!(event, Event::Text(ref t) if t.len() == 16));
            }
        }
    })
    .count_total
}

#[test]
fn decoding_allocates_nothing_per_message() {
    let few = decoding_allocations(1_000);
    let many = decoding_allocations(MESSAGES);
    println!("decoding 1000 messages: {few} allocations; {MESSAGES} messages: {many}");
    // The payloads are slices of the read buffer. What is counted is the
    // read buffer turning into shared storage once, whatever the count.
    assert_eq!(few, many);
    assert!(many <= 2, "{many}");
}

fn encoding_allocations(role: Role) -> u64 {
    let mut conn = Connection::new(role, Config::new(), Duration::ZERO);
    let payload = Bytes::from_static(b"sixteen bytes ok");
    let send = |conn: &mut Connection| {
        conn.send(Message::Binary(payload.clone())).unwrap();
        while let Some(chunk) = conn.poll_transmit() {
            std::hint::black_box(chunk);
        }
    };
    for _ in 0..1000 {
        send(&mut conn);
    }
    allocation_counter::measure(|| {
        for _ in 0..MESSAGES {
            send(&mut conn);
        }
    })
    .count_total
}

#[test]
fn encoding_allocates_nothing_per_message() {
    for role in [Role::Server, Role::Client] {
        let count = encoding_allocations(role);
        println!("encoding {MESSAGES} messages as {role:?}: {count} allocations");
        assert_eq!(count, 0, "{role:?}");
    }
}

/// A writer that never quite catches up (one byte always left behind) must
/// not make the send buffer grow with everything ever written through it.
#[test]
fn a_lagging_writer_keeps_the_send_buffer_bounded() {
    let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    let info = allocation_counter::measure(|| {
        for _ in 0..MESSAGES {
            conn.send_ref(MessageRef::Binary(b"sixteen bytes ok"))
                .unwrap();
            let mut transmit = conn.transmit();
            let pending = transmit.chunk().len();
            transmit.advance(pending - 1);
        }
    });
    println!(
        "{MESSAGES} messages written all but one byte: peak {} bytes allocated",
        info.bytes_max
    );
    assert_eq!(conn.transmit_len(), 1);
    assert!(info.bytes_max <= 64 << 10, "{}", info.bytes_max);
}
