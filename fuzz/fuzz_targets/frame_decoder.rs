//! Arbitrary bytes, in arbitrary reads, into a `FrameDecoder` of either role.
//!
//! Checks: no panic; the decoder never takes more input than it was given;
//! every frame it accepts re-encodes to exactly the bytes it came from (the
//! decoder accepts only minimal length encodings, so the encoding is unique).
#![no_main]

#[path = "common/setup.rs"]
mod setup;

use libfuzzer_sys::fuzz_target;
use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, Item, Rsv};
use wscore::mask::apply_mask;

fuzz_target!(|data: &[u8]| {
    let Some((setup, role, bytes)) = setup::split(data) else {
        return;
    };
    let rsv = if setup & 2 == 0 { Rsv::NONE } else { Rsv::RSV1 };
    let max_frame_size = 1u64 << (setup >> 2); // 1 B up to 2^63
    let mut decoder = FrameDecoder::new(
        FrameRules::new(role)
            .extension_rsv(rsv)
            .max_frame_size(max_frame_size),
    );

    let original = bytes.to_vec();
    let mut buffer = bytes.to_vec();
    let mut reads = ReadSizes(u32::from(setup) | 0x9e37_0000);
    let mut offset = 0; // bytes of `original` handed to the decoder so far
    let mut frame_start = 0;
    let mut frame: Option<(FrameHeader, Vec<u8>)> = None;

    while offset < buffer.len() {
        let len = reads.next().min(buffer.len() - offset);
        let mut input = &mut buffer[offset..offset + len];
        loop {
            let before = input.len();
            let item = match decoder.decode(&mut input) {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(_) => return,
            };
            assert!(input.len() <= before, "decoder took more than it was given");
            let position = offset + len - input.len();
            let (header, payload) = match item {
                Item::Header(header) => {
                    frame = Some((header, Vec::new()));
                    if header.payload_len > 0 {
                        continue;
                    }
                    frame.take().expect("just set")
                }
                Item::Payload { data, last } => {
                    let (_, payload) = frame.as_mut().expect("payload follows a header");
                    payload.extend_from_slice(data);
                    if !last {
                        continue;
                    }
                    frame.take().expect("payload follows a header")
                }
            };
            let mut encoded = header
                .encode()
                .expect("an accepted header encodes")
                .to_vec();
            let payload_start = encoded.len();
            encoded.extend_from_slice(&payload);
            if let Some(key) = header.mask {
                apply_mask(&mut encoded[payload_start..], key, 0);
            }
            assert_eq!(
                encoded,
                original[frame_start..position],
                "re-encoding differs"
            );
            frame_start = position;
        }
        offset += len;
    }
});

/// Read sizes from 1 to 64 bytes, from a small xorshift generator.
struct ReadSizes(u32);

impl ReadSizes {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 % 64) as usize + 1
    }
}
