//! Builds only if wscore, with default features off, needs neither `std` nor
//! an allocator: pulling in `std` would bring a second panic handler and fail
//! the link, and there is no global allocator here to satisfy `alloc`.
//!
//! It reads a client's opening handshake and computes the accept key, then
//! decodes a masked client frame as a server would and encodes the reply.
#![no_std]
#![no_main]

use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, Item, Opcode};
use wscore::handshake::server::ServerHandshake;
use wscore::handshake::{accept_key, Limits, Status};
use wscore::mask::apply_mask;
use wscore::Role;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// The prebuilt `core` for this hosted target was compiled with unwinding and
/// names this symbol; with `panic = "abort"` nothing ever calls it.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

/// Echoes one frame; returns the reply's length in `out`, or 0 on any error.
fn echo(input: &mut [u8], out: &mut [u8; 64]) -> usize {
    let mut decoder = FrameDecoder::new(FrameRules::new(Role::Server).max_frame_size(50));
    let mut input = input;
    let mut opcode = Opcode::Binary;
    let mut payload: &[u8] = &[];
    while let Ok(Some(item)) = decoder.decode(&mut input) {
        match item {
            Item::Header(header) => opcode = header.opcode,
            // One frame: its payload arrives in one piece here.
            Item::Payload { data, .. } => payload = data,
        }
    }
    FrameHeader::new(opcode, 0)
        .encode_into(payload, out)
        .unwrap_or(0)
}

/// Whether the RFC 6455 §1.3 sample request checks out, with its accept key.
fn handshake() -> bool {
    let request = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    let mut handshake = ServerHandshake::new(Limits::default(), core::time::Duration::ZERO);
    let Ok(Status::Complete(request)) = handshake.receive(request) else {
        return false;
    };
    let key = request.header("sec-websocket-key").unwrap_or_default();
    request.check().is_ok()
        && request.protocols().next() == Some("chat")
        && accept_key(key.as_bytes()) == *b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    if !handshake() {
        return 2;
    }
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, b'H', b'e', b'l', b'l', b'o',
    ];
    apply_mask(&mut frame[6..], key, 0);
    let mut out = [0; 64];
    let len = echo(&mut frame, &mut out);
    // Exit status 0 when the reply is the unmasked "Hello" text frame.
    i32::from(out[..len] != [0x81, 0x05, b'H', b'e', b'l', b'l', b'o'])
}
