//! The frame layer and the connection read the same bytes, in the same
//! reads, and must agree. Both run the one frame state machine; this
//! checks that what each builds on it (the decoder's header stash, the
//! connection's read buffer, message assembly) changes nothing: the same
//! messages and control frames in the same order, and the same
//! `FrameError` at the same point.
//!
//! The connection also refuses what the frame layer does not judge (text
//! that is not UTF-8, an invalid close payload): from there on only what it
//! delivered before is compared.
#![no_main]

#[path = "common/setup.rs"]
mod setup;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, ProtocolError};
use wscore::frame::{FrameDecoder, FrameError, FrameRules, Item, Opcode};
use wscore::Role;

#[derive(Debug, PartialEq)]
enum Seen {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

#[derive(Debug, PartialEq)]
enum End {
    /// Input ran out first.
    Open,
    /// A close frame: neither reads further.
    Close,
    /// A frame broke a rule.
    Frame(FrameError),
    /// The connection refused something the frame layer does not judge.
    Other,
}

fuzz_target!(|data: &[u8]| {
    let Some((setup, role, bytes)) = setup::split(data) else {
        return;
    };
    // Up to 16 MiB: the connection reserves room for a declared frame.
    let max_frame_size = 1u64 << ((setup >> 1) % 25);
    let reads: Vec<usize> = bytes
        .chunks(7)
        .map(|c| 1 + usize::from(c[0] % 64))
        .collect();

    let (decoded, decoder_end) = decode(role, max_frame_size, bytes, &reads);
    let (received, connection_end) = receive(role, max_frame_size, bytes, &reads);
    if connection_end == End::Other {
        assert!(
            decoded.starts_with(&received),
            "the connection delivered what the frame layer did not"
        );
        return;
    }
    assert_eq!(received, decoded);
    assert_eq!(connection_end, decoder_end);
});

/// Splits `bytes` into reads of the sizes given, cycling through them.
fn pieces<'a>(bytes: &'a [u8], reads: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = bytes;
    let mut sizes = reads.iter().copied().cycle();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (piece, after) = rest.split_at(len);
        rest = after;
        Some(piece)
    })
}

fn decode(role: Role, max: u64, bytes: &[u8], reads: &[usize]) -> (Vec<Seen>, End) {
    let mut decoder = FrameDecoder::new(FrameRules::new(role).max_frame_size(max));
    let mut seen = Vec::new();
    let mut message: Option<(bool, Vec<u8>)> = None;
    let mut frame = (Opcode::Binary, true, Vec::new());
    for piece in pieces(bytes, reads) {
        let mut owned = piece.to_vec();
        let mut input = &mut owned[..];
        loop {
            let (opcode, fin, payload) = match decoder.decode(&mut input) {
                Ok(None) => break,
                Err(error) => return (seen, End::Frame(error)),
                Ok(Some(Item::Header(header))) => {
                    frame = (header.opcode, header.fin, Vec::new());
                    if header.payload_len > 0 {
                        continue;
                    }
                    (frame.0, frame.1, std::mem::take(&mut frame.2))
                }
                Ok(Some(Item::Payload { data, last })) => {
                    frame.2.extend_from_slice(data);
                    if !last {
                        continue;
                    }
                    (frame.0, frame.1, std::mem::take(&mut frame.2))
                }
            };
            match opcode {
                Opcode::Ping => seen.push(Seen::Ping(payload)),
                Opcode::Pong => seen.push(Seen::Pong(payload)),
                Opcode::Close => return (seen, End::Close),
                Opcode::Text | Opcode::Binary => message = Some((opcode == Opcode::Text, payload)),
                Opcode::Continuation => {
                    if let Some((_, data)) = &mut message {
                        data.extend_from_slice(&payload);
                    }
                }
            }
            if fin && !opcode.is_control() {
                if let Some((text, data)) = message.take() {
                    seen.push(if text {
                        Seen::Text(data)
                    } else {
                        Seen::Binary(data)
                    });
                }
            }
        }
    }
    (seen, End::Open)
}

fn receive(role: Role, max: u64, bytes: &[u8], reads: &[usize]) -> (Vec<Seen>, End) {
    let config = Config::new()
        .max_frame_size(max)
        .max_message_size(usize::MAX / 2);
    let mut conn = Connection::new(role, config, Duration::ZERO);
    let mut buf = BytesMut::new();
    let mut seen = Vec::new();
    for piece in pieces(bytes, reads) {
        buf.extend_from_slice(piece);
        conn.receive(Duration::ZERO, &mut buf);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Text(text) => seen.push(Seen::Text(text.as_str().as_bytes().to_vec())),
                Event::Binary(data) => seen.push(Seen::Binary(data.to_vec())),
                Event::Ping(data) => seen.push(Seen::Ping(data.to_vec())),
                Event::Pong(data) => seen.push(Seen::Pong(data.to_vec())),
                Event::Fragment { .. } => unreachable!("streaming is off"),
                Event::Closed(_) => {
                    let closed = conn.closed().expect("the end is reported with its details");
                    let end = match closed.error {
                        None => End::Close,
                        Some(ProtocolError::Frame(error)) => End::Frame(error),
                        Some(_) => End::Other,
                    };
                    return (seen, end);
                }
            }
        }
    }
    (seen, End::Open)
}
