//! The memory a connection holds is bounded by its configuration, whatever
//! the peer sends: one test for each term of the README's formula, each
//! measuring the peak of live heap bytes while a hostile peer's input is
//! fed the way the adapters feed it (4 KiB reads, events taken after each).
//! The decompression bomb is in `deflate.rs`
//! (`an_inflate_bomb_is_refused_at_the_cap_with_bounded_memory`).

use bytes::BytesMut;
use std::time::Duration;
use wscore::close::CloseCode;
use wscore::connection::{Config, Connection, Event, Message, ProtocolError};
use wscore::frame::Opcode;
use wscore::Role;

mod common;
use common::{frame, transmitted};

const T0: Duration = Duration::ZERO;

/// Feeds `input` in 4 KiB reads, taking the events after each as an adapter
/// does; returns the events and the peak of live heap bytes meanwhile.
fn feed_like_an_adapter(conn: &mut Connection, input: &[u8]) -> (Vec<Event>, u64) {
    let mut events = Vec::new();
    let mut buf = BytesMut::with_capacity(4096);
    let info = allocation_counter::measure(|| {
        for read in input.chunks(4096) {
            buf.extend_from_slice(read);
            conn.receive(T0, &mut buf);
            while let Some(event) = conn.poll_event() {
                // Only what the events hold: a test keeping them all would
                // measure itself.
                if !matches!(event, Event::Ping(_)) {
                    events.push(event);
                }
            }
        }
    });
    (events, info.bytes_max)
}

/// Term M, the message in progress: 131,000 one-byte continuations hold
/// the message and nothing per frame.
#[test]
fn one_byte_continuations_hold_only_the_message() {
    let mut input = frame(Role::Server, false, Opcode::Binary, b"x");
    for _ in 0..131_000 {
        input.extend(frame(Role::Server, false, Opcode::Continuation, b"x"));
    }
    input.extend(frame(Role::Server, true, Opcode::Continuation, b""));
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    let (events, peak) = feed_like_an_adapter(&mut conn, &input);
    let [Event::Binary(message)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(message.len(), 131_001);
    // A doubling Vec: at most twice the message, plus the read buffer.
    assert!(peak < 2 * 131_001 + (16 << 10), "peak {peak} bytes");
}

/// Term M again: a million empty continuations cost neither memory nor
/// more than linear time.
#[test]
fn a_million_empty_continuations_hold_nothing() {
    let mut input = frame(Role::Server, false, Opcode::Text, b"a");
    let empty = frame(Role::Server, false, Opcode::Continuation, b"");
    for _ in 0..1_000_000 {
        input.extend_from_slice(&empty);
    }
    input.extend(frame(Role::Server, true, Opcode::Continuation, b"b"));
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    let (events, peak) = feed_like_an_adapter(&mut conn, &input);
    assert_eq!(events, [Event::Text("ab".into())]);
    assert!(peak < 16 << 10, "peak {peak} bytes");
}

/// Term S, the send queue: a ping flood from a peer that never reads its
/// pongs leaves at most 32 answers waiting.
#[test]
fn a_ping_flood_from_a_peer_that_never_reads_is_held_back() {
    let ping = frame(Role::Server, true, Opcode::Ping, &[0x55; 125]);
    let input: Vec<u8> = ping
        .iter()
        .copied()
        .cycle()
        .take(ping.len() * 100_000)
        .collect();
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    let (_, peak) = feed_like_an_adapter(&mut conn, &input);
    // 32 pongs of 2 + 125 bytes, never written.
    assert!(conn.transmit_len() <= 32 * 127, "{}", conn.transmit_len());
    assert!(peak < 32 << 10, "peak {peak} bytes");
}

/// Term M's limit: a message of exactly `max_message_size` is delivered,
/// one byte more is 1009, whether it comes whole or in fragments.
#[test]
fn a_message_exactly_at_the_limit_passes_and_one_byte_over_is_1009() {
    const MAX: usize = 64 << 10;
    for fragments in [1, 7] {
        for len in [MAX, MAX + 1] {
            let payload = vec![0x61; len];
            let pieces: Vec<&[u8]> = payload.chunks(len.div_ceil(fragments)).collect();
            let mut input = Vec::new();
            for (i, piece) in pieces.iter().enumerate() {
                let opcode = if i == 0 {
                    Opcode::Text
                } else {
                    Opcode::Continuation
                };
                input.extend(frame(Role::Server, i + 1 == pieces.len(), opcode, piece));
            }
            let config = Config::new().max_message_size(MAX);
            let mut conn = Connection::new(Role::Server, config, T0);
            let (events, peak) = feed_like_an_adapter(&mut conn, &input);
            assert!(peak < 2 * MAX as u64 + (16 << 10), "peak {peak} bytes");
            match &events[..] {
                [Event::Text(text)] if len == MAX => assert_eq!(text.len(), MAX),
                [Event::Closed(CloseCode::MESSAGE_TOO_BIG)] if len > MAX => {
                    let closed = conn.closed().unwrap();
                    assert!(matches!(
                        closed.error,
                        Some(ProtocolError::MessageTooBig { max: MAX, .. })
                    ));
                    // Refused on the header of the frame that crosses the
                    // limit, before its payload is buffered.
                    let sent = transmitted(&mut conn);
                    assert_eq!(&sent[2..4], &1009u16.to_be_bytes());
                }
                other => panic!("{len} bytes in {fragments}: {other:?}"),
            }
        }
    }
}

/// Term R, the read buffer: a frame header claiming more than the frame
/// limit is refused before any of its payload is buffered.
#[test]
fn a_frame_over_the_limit_is_refused_on_its_header() {
    let mut input = frame(Role::Server, true, Opcode::Binary, &vec![0; 1 << 20]);
    input.truncate(14 + (256 << 10));
    let config = Config::new().max_frame_size(64 << 10);
    let mut conn = Connection::new(Role::Server, config, T0);
    let (events, peak) = feed_like_an_adapter(&mut conn, &input);
    assert_eq!(events, [Event::Closed(CloseCode::MESSAGE_TOO_BIG)]);
    // The 4 KiB reads and the close frame, never the 256 KiB that came.
    assert!(peak < 32 << 10, "peak {peak} bytes");
}

#[test]
fn an_idle_connection_lets_go_of_its_encoding_buffer() {
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    // Short messages, encoded into the buffer, which grows to 16 KiB.
    for _ in 0..100 {
        conn.send(Message::text("x".repeat(100))).unwrap();
    }
    // Nothing is let go while bytes wait to be written.
    let waiting = allocation_counter::measure(|| conn.release_idle_memory());
    assert_eq!(waiting.bytes_current, 0);
    assert_eq!(transmitted(&mut conn).len(), 100 * 102);
    let idle = allocation_counter::measure(|| conn.release_idle_memory());
    assert!(
        idle.bytes_current <= -(16 << 10),
        "let go of {} bytes",
        -idle.bytes_current
    );
    // And the next message still goes out.
    conn.send(Message::text("again")).unwrap();
    assert_eq!(transmitted(&mut conn), b"\x81\x05again");
}

/// An idle connection answering a ping, or closing, takes a little room to
/// encode the reply, not the 16 KiB a connection that keeps sending uses:
/// thousands of connections answering at once (a keepalive round, a
/// restart) cost kilobytes each less.
#[test]
fn a_reply_after_idling_takes_little_room() {
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    conn.send(Message::binary(vec![7; 10_000])).unwrap();
    transmitted(&mut conn);
    conn.release_idle_memory();
    let ping = allocation_counter::measure(|| {
        conn.receive(T0, &mut BytesMut::from(&b"\x89\x84abcdpong"[..]));
        assert!(matches!(conn.poll_event(), Some(Event::Ping(_))));
        assert_eq!(transmitted(&mut conn)[..2], *b"\x8a\x04");
    });
    conn.release_idle_memory();
    let close = allocation_counter::measure(|| {
        conn.close(T0, CloseCode::NORMAL, "bye").unwrap();
        assert_eq!(transmitted(&mut conn)[..2], *b"\x88\x05");
    });
    println!(
        "peak while answering a ping: {} bytes, closing: {} bytes",
        ping.bytes_max, close.bytes_max
    );
    assert!(ping.bytes_max <= 1 << 10, "{}", ping.bytes_max);
    assert!(close.bytes_max <= 1 << 10, "{}", close.bytes_max);
}
