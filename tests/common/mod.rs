//! Helpers shared by the integration tests.
// Each test crate uses its own share of them.
#![allow(dead_code)]

use bytes::BytesMut;
use std::time::Duration;
use wscore::connection::{Connection, Event, ProtocolError};
use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, Item, Opcode, Rsv};
use wscore::mask::apply_mask;
use wscore::Role;

/// The mask key every test frame uses.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as the peer of `receiver` sends it: masked towards a server.
pub fn frame(receiver: Role, fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    frame_rsv(receiver, fin, opcode, Rsv::NONE, payload)
}

/// [`frame`] with reserved bits set, as an extension sends them.
pub fn frame_rsv(receiver: Role, fin: bool, opcode: Opcode, rsv: Rsv, payload: &[u8]) -> Vec<u8> {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    header.rsv = rsv;
    if receiver == Role::Server {
        header.mask = Some(KEY);
    }
    let mut bytes = header.encode().unwrap().to_vec();
    let start = bytes.len();
    bytes.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut bytes[start..], key, 0);
    }
    bytes
}

/// Every event the connection has, taken.
pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Feeds bytes (in one read) that the connection must refuse: the events
/// before the violation, and the violation, which the last event reports.
pub fn violation(conn: &mut Connection, bytes: &[u8]) -> (Vec<Event>, ProtocolError) {
    conn.receive(Duration::ZERO, &mut BytesMut::from(bytes));
    let mut events = events(conn);
    let last = events.pop();
    match (&last, conn.closed().and_then(|closed| closed.error)) {
        (Some(Event::Closed(code)), Some(error)) if *code == error.close_code() => (events, error),
        _ => panic!(
            "expected the end with a violation, got {last:?}, {:?}",
            conn.closed()
        ),
    }
}

/// Every byte the connection has to write, taken.
pub fn transmitted(conn: &mut Connection) -> Vec<u8> {
    std::iter::from_fn(|| conn.poll_transmit())
        .flatten()
        .collect()
}

/// Decodes what an endpoint in role `sender` wrote, as its peer would
/// (RSV1 allowed, for permessage-deflate): each header and its unmasked payload.
pub fn frames_sent(sender: Role, bytes: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let rules = FrameRules::new(sender.peer())
        .extension_rsv(Rsv::RSV1)
        .max_frame_size(u64::MAX);
    let mut decoder = FrameDecoder::new(rules);
    let mut owned = bytes.to_vec();
    let mut input = &mut owned[..];
    let mut frames: Vec<(FrameHeader, Vec<u8>)> = Vec::new();
    while let Some(item) = decoder.decode(&mut input).unwrap() {
        match item {
            Item::Header(header) => frames.push((header, Vec::new())),
            Item::Payload { data, .. } => frames.last_mut().unwrap().1.extend_from_slice(data),
        }
    }
    frames
}

/// Text that compresses like real traffic: JSON records, partly repetitive.
pub fn json(len: usize, seed: u64) -> String {
    let mut text = String::new();
    let mut x = seed;
    while text.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        text.push_str(&format!(
            "{{\"id\":{},\"name\":\"user-{}\",\"score\":{},\"tags\":[\"é\",\"ü\"]}},",
            x >> 40,
            (x >> 20) % 1000,
            (x >> 33) % 100_000
        ));
    }
    let mut end = len;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}
