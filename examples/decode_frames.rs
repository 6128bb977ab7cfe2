//! Decodes WebSocket frames as a server receives them and prints each one.
//!
//! With no arguments it decodes a built-in sample in the form a browser sends
//! it (masked text, binary, a ping, a close), followed by a hostile frame, to
//! show the error a server reports. Otherwise each argument is hex-encoded
//! bytes, e.g. the payload column of a packet capture:
//!
//! ```text
//! cargo run --release --example decode_frames
//! cargo run --release --example decode_frames -- 818537fa213d7f9f4d5158
//! ```

use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, Item, Opcode};
use wscore::mask::apply_mask;
use wscore::Role;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut input = if args.is_empty() {
        sample()
    } else {
        match args
            .iter()
            .map(|arg| parse_hex(arg))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(parts) => parts.concat(),
            Err(error) => {
                eprintln!("decode_frames: {error}");
                std::process::exit(2);
            }
        }
    };
    println!("decoding {} bytes as a server receives them", input.len());
    let mut decoder = FrameDecoder::new(FrameRules::new(Role::Server));
    let mut rest = &mut input[..];
    let mut current: Option<(FrameHeader, Vec<u8>)> = None;
    loop {
        match decoder.decode(&mut rest) {
            Ok(Some(Item::Header(header))) if header.payload_len == 0 => print_frame(&header, &[]),
            Ok(Some(Item::Header(header))) => current = Some((header, Vec::new())),
            Ok(Some(Item::Payload { data, last })) => {
                if let Some((header, payload)) = &mut current {
                    payload.extend_from_slice(data);
                    if last {
                        print_frame(header, payload);
                    }
                }
            }
            Ok(None) => {
                if !decoder.is_at_frame_boundary()
                    || current.is_some_and(|(h, p)| p.len() as u64 != h.payload_len)
                {
                    println!("input ends inside a frame");
                }
                break;
            }
            Err(error) => {
                println!(
                    "protocol error: {error}; close the connection with code {}",
                    error.close_code()
                );
                break;
            }
        }
    }
}

fn print_frame(header: &FrameHeader, payload: &[u8]) {
    let fin = if header.fin { "final" } else { "fragment" };
    let body = match header.opcode {
        Opcode::Text | Opcode::Continuation => match std::str::from_utf8(payload) {
            Ok(text) => format!("{text:?}"),
            Err(_) => format!("{} bytes, not UTF-8", payload.len()),
        },
        Opcode::Close if payload.len() >= 2 => format!(
            "code {} reason {:?}",
            u16::from_be_bytes([payload[0], payload[1]]),
            String::from_utf8_lossy(&payload[2..])
        ),
        _ => format!(
            "{} bytes {:02x?}",
            payload.len(),
            &payload[..payload.len().min(16)]
        ),
    };
    println!("{:>12} {fin:<8} {body}", header.opcode.to_string());
}

/// Frames in the shape Chromium sends them: every frame masked with a fresh key.
fn sample() -> Vec<u8> {
    let frames: [(Opcode, [u8; 4], &[u8]); 4] = [
        (
            Opcode::Text,
            [0x9c, 0x41, 0x07, 0xe2],
            "héllo from the browser 👋".as_bytes(),
        ),
        (
            Opcode::Binary,
            [0x11, 0x5f, 0xa0, 0x3b],
            &[0, 1, 2, 3, 250, 251, 252, 253],
        ),
        (Opcode::Ping, [0x61, 0x02, 0xd8, 0x99], b"keepalive"),
        (
            Opcode::Close,
            [0x4e, 0x7c, 0x13, 0x05],
            b"\x03\xe8page closed",
        ),
    ];
    let mut bytes = Vec::new();
    for (opcode, key, payload) in frames {
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.mask = Some(key);
        bytes.extend_from_slice(&header.encode().expect("sample frames are valid"));
        let start = bytes.len();
        bytes.extend_from_slice(payload);
        apply_mask(&mut bytes[start..], key, 0);
    }
    // A continuation with no message in progress: the frame that took down a
    // production server when its library let the error escape.
    bytes.extend_from_slice(&[0x80, 0x81, 1, 2, 3, 4, b'x' ^ 1]);
    bytes
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in {text:?}"));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("not hex: {text:?}"))
        })
        .collect()
}
