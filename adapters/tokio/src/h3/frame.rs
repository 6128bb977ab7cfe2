//! HTTP/3 framing (RFC 9114 §7) and QUIC's variable-length integers (RFC
//! 9000 §16): what a WebSocket's request stream and the control streams
//! carry.

use bytes::{Buf, BytesMut};
use quinn::RecvStream;
use tokio::io::AsyncReadExt;

use super::H3Error;

pub(super) const DATA: u64 = 0x0;
pub(super) const HEADERS: u64 = 0x1;
pub(super) const SETTINGS: u64 = 0x4;

/// Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2).
pub(super) const CONTROL_STREAM: u64 = 0x0;
pub(super) const QPACK_ENCODER_STREAM: u64 = 0x2;
pub(super) const QPACK_DECODER_STREAM: u64 = 0x3;

/// The error code for a stream of a type that is not wanted (RFC 9114 §8.1).
pub(super) const H3_STREAM_CREATION_ERROR: u32 = 0x103;

/// Settings (RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220 §3).
pub(super) const QPACK_MAX_TABLE_CAPACITY: u64 = 0x1;
pub(super) const QPACK_BLOCKED_STREAMS: u64 = 0x7;
pub(super) const ENABLE_CONNECT_PROTOCOL: u64 = 0x8;

/// The most bytes of a HEADERS or SETTINGS frame read into memory.
pub(super) const MAX_HEAD_FRAME: u64 = 16 << 10;

/// A variable-length integer at the start of `input`, and its length.
pub(super) fn varint(input: &[u8]) -> Option<(u64, usize)> {
    let first = *input.first()?;
    let len = 1usize << (first >> 6);
    let bytes = input.get(..len)?;
    let value = bytes[1..]
        .iter()
        .fold(u64::from(first & 0x3f), |value, &byte| {
            (value << 8) | u64::from(byte)
        });
    Some((value, len))
}

/// Appends `value` (below 2^62) as a variable-length integer.
pub(super) fn write_varint(out: &mut Vec<u8>, value: u64) {
    match value {
        0..=0x3f => out.push(value as u8),
        0x40..=0x3fff => out.extend_from_slice(&(value as u16 | 0x4000).to_be_bytes()),
        0x4000..=0x3fff_ffff => out.extend_from_slice(&(value as u32 | 0x8000_0000).to_be_bytes()),
        _ => out.extend_from_slice(&(value | 0xc000_0000_0000_0000).to_be_bytes()),
    }
}

/// A frame's type and length (its header), then its payload.
pub(super) fn frame(kind: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 16);
    write_varint(&mut out, kind);
    write_varint(&mut out, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

/// A frame header at the start of `input`: type, payload length, and the
/// header's own length.
pub(super) fn frame_header(input: &[u8]) -> Option<(u64, u64, usize)> {
    let (kind, a) = varint(input)?;
    let (len, b) = varint(&input[a..])?;
    Some((kind, len, a + b))
}

/// Reads until `buf` holds a whole frame other than ones to skip
/// (reserved and unknown types, RFC 9114 §9), and takes it out: its type
/// and payload. `None` at the end of the stream between frames.
pub(super) async fn read_frame(
    recv: &mut RecvStream,
    buf: &mut BytesMut,
) -> Result<Option<(u64, BytesMut)>, H3Error> {
    loop {
        if let Some((kind, len, header)) = frame_header(buf) {
            if (kind == HEADERS || kind == SETTINGS) && len > MAX_HEAD_FRAME {
                return Err(H3Error::Malformed(
                    "a HEADERS or SETTINGS frame over 16 KiB",
                ));
            }
            let total = header as u64 + len;
            if (buf.len() as u64) >= total {
                buf.advance(header);
                let payload = buf.split_to(len as usize);
                match kind {
                    DATA | HEADERS | SETTINGS => return Ok(Some((kind, payload))),
                    _ => continue,
                }
            }
            if kind != HEADERS && kind != SETTINGS && kind != DATA {
                // An unknown frame may be large: skip it as it comes.
                let skip = total - buf.len() as u64;
                buf.clear();
                discard(recv, skip).await?;
                continue;
            }
        }
        buf.reserve(4096);
        if recv.read_buf(buf).await.map_err(H3Error::io)? == 0 {
            return match buf.is_empty() {
                true => Ok(None),
                false => Err(H3Error::Malformed("the stream ended inside a frame")),
            };
        }
    }
}

/// Reads and drops `n` bytes.
async fn discard(recv: &mut RecvStream, mut n: u64) -> Result<(), H3Error> {
    let mut scratch = [0; 4096];
    while n > 0 {
        let want = n.min(scratch.len() as u64) as usize;
        match recv.read(&mut scratch[..want]).await.map_err(H3Error::io)? {
            None | Some(0) => return Err(H3Error::Malformed("the stream ended inside a frame")),
            Some(got) => n -= got as u64,
        }
    }
    Ok(())
}

/// A SETTINGS frame's payload: identifier and value pairs.
pub(super) fn settings(payload: &[u8]) -> Option<Vec<(u64, u64)>> {
    let mut pairs = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let (id, a) = varint(rest)?;
        let (value, b) = varint(&rest[a..])?;
        pairs.push((id, value));
        rest = &rest[a + b..];
    }
    Some(pairs)
}

/// A SETTINGS frame saying `pairs`.
pub(super) fn settings_frame(pairs: &[(u64, u64)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for &(id, value) in pairs {
        write_varint(&mut payload, id);
        write_varint(&mut payload, value);
    }
    frame(SETTINGS, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_length() {
        for value in [
            0,
            37,
            63,
            64,
            15_293,
            16_383,
            16_384,
            494_878_333,
            (1 << 62) - 1,
        ] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            assert_eq!(varint(&out), Some((value, out.len())));
        }
        // RFC 9000 A.1's examples.
        assert_eq!(
            varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d]), Some((494_878_333, 4)));
        assert_eq!(varint(&[0x7b, 0xbd]), Some((15_293, 2)));
        assert_eq!(varint(&[0x7b]), None);
    }

    #[test]
    fn settings_round_trip() {
        let pairs = [
            (ENABLE_CONNECT_PROTOCOL, 1),
            (QPACK_MAX_TABLE_CAPACITY, 0),
            (0x21, 70_000),
        ];
        let frame = settings_frame(&pairs);
        let (kind, len, header) = frame_header(&frame).unwrap();
        assert_eq!((kind, len as usize + header), (SETTINGS, frame.len()));
        assert_eq!(settings(&frame[header..]).unwrap(), pairs);
    }
}
