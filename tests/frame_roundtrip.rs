//! Property tests: whatever is encoded decodes back to the same frames, for
//! any headers, payloads, mask keys and any split of the bytes into reads;
//! masking agrees with the bytewise definition.

use proptest::prelude::*;
use wscore::frame::{FrameDecoder, FrameHeader, FrameRules, Item, Opcode, Rsv};
use wscore::mask::apply_mask;
use wscore::Role;

#[derive(Clone, Debug)]
struct Frame {
    header: FrameHeader,
    payload: Vec<u8>,
}

fn rsv() -> impl Strategy<Value = Rsv> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, c)| {
        let pick = |on, bit| if on { bit } else { Rsv::NONE };
        pick(a, Rsv::RSV1) | pick(b, Rsv::RSV2) | pick(c, Rsv::RSV3)
    })
}

/// Payloads around the length-encoding boundaries (125/126, 65535/65536) and small ones.
fn payload(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..=max.min(300)),
        1 => (0usize..4).prop_flat_map(move |extra| {
            let base = if max > 65535 { 65534 } else { max.min(124) };
            prop::collection::vec(any::<u8>(), base + extra.min(max - base))
        }),
    ]
}

/// A frame from the peer of `role`: masked towards a server, with any RSV bits.
fn frame(role: Role, opcode: Opcode, fin: bool, payload: Vec<u8>, key: [u8; 4], rsv: Rsv) -> Frame {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    header.rsv = rsv;
    header.mask = (role == Role::Server).then_some(key);
    Frame { header, payload }
}

fn control_frame(role: Role) -> impl Strategy<Value = Frame> {
    let opcode = prop_oneof![Just(Opcode::Close), Just(Opcode::Ping), Just(Opcode::Pong)];
    (opcode, payload(125), any::<[u8; 4]>(), rsv())
        .prop_map(move |(opcode, payload, key, rsv)| frame(role, opcode, true, payload, key, rsv))
}

/// A stream that obeys the sequencing rules: messages of one to three
/// fragments, with control frames between fragments.
fn frame_stream(role: Role) -> impl Strategy<Value = Vec<Frame>> {
    let fragment = (
        payload(70_000),
        any::<[u8; 4]>(),
        rsv(),
        prop::option::of(control_frame(role)),
    );
    let message = (any::<bool>(), prop::collection::vec(fragment, 1..4));
    prop::collection::vec(message, 0..5).prop_map(move |messages| {
        let mut frames = Vec::new();
        for (text, fragments) in messages {
            let count = fragments.len();
            for (i, (payload, key, rsv, control)) in fragments.into_iter().enumerate() {
                let opcode = match (i, text) {
                    (0, true) => Opcode::Text,
                    (0, false) => Opcode::Binary,
                    _ => Opcode::Continuation,
                };
                frames.push(frame(role, opcode, i + 1 == count, payload, key, rsv));
                frames.extend(control);
            }
        }
        frames
    })
}

fn role_and_stream() -> impl Strategy<Value = (Role, Vec<Frame>)> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
        .prop_flat_map(|role| (Just(role), frame_stream(role)))
}

fn encode(frames: &[Frame]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for frame in frames {
        bytes.extend_from_slice(&frame.header.encode().unwrap());
        let start = bytes.len();
        bytes.extend_from_slice(&frame.payload);
        if let Some(key) = frame.header.mask {
            apply_mask(&mut bytes[start..], key, 0);
        }
    }
    bytes
}

/// Cuts `bytes` into reads at the given fractions of its length.
fn split(bytes: &[u8], cuts: &[f64]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| (c * bytes.len() as f64) as usize)
        .collect();
    points.sort_unstable();
    let mut reads = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([bytes.len()]) {
        reads.push(bytes[start..point].to_vec());
        start = point;
    }
    reads
}

fn decode(role: Role, reads: &mut [Vec<u8>]) -> Vec<Frame> {
    let rules = FrameRules::new(role)
        .extension_rsv(Rsv::RSV1 | Rsv::RSV2 | Rsv::RSV3)
        .max_frame_size(u64::MAX);
    let mut decoder = FrameDecoder::new(rules);
    let mut frames: Vec<Frame> = Vec::new();
    for read in reads {
        let given = read.len();
        let mut input = &mut read[..];
        while let Some(item) = decoder.decode(&mut input).unwrap() {
            match item {
                Item::Header(header) => frames.push(Frame {
                    header,
                    payload: Vec::new(),
                }),
                Item::Payload { data, last } => {
                    let frame = frames.last_mut().unwrap();
                    frame.payload.extend_from_slice(data);
                    assert_eq!(last, frame.payload.len() as u64 == frame.header.payload_len);
                }
            }
        }
        assert!(input.is_empty() && input.len() <= given);
    }
    assert!(decoder.is_at_frame_boundary());
    frames
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frames_survive_any_split(
        (role, frames) in role_and_stream(),
        cuts in prop::collection::vec(0.0..1.0f64, 0..8),
    ) {
        let bytes = encode(&frames);
        let mut reads = split(&bytes, &cuts);
        let decoded = decode(role, &mut reads);
        prop_assert_eq!(decoded.len(), frames.len());
        for (got, sent) in decoded.iter().zip(&frames) {
            prop_assert_eq!(got.header, sent.header);
            prop_assert_eq!(&got.payload, &sent.payload);
        }
    }

    #[test]
    fn mask_matches_bytewise_reference(
        key in any::<[u8; 4]>(),
        (offset, len, data) in (0usize..=63, 0usize..=257).prop_flat_map(|(offset, len)| {
            (Just(offset), Just(len), prop::collection::vec(any::<u8>(), offset + len))
        }),
        phase in 0usize..=3,
    ) {
        let mut expected = data.clone();
        for (i, byte) in expected[offset..offset + len].iter_mut().enumerate() {
            *byte ^= key[(phase + i) % 4];
        }
        let mut actual = data.clone();
        apply_mask(&mut actual[offset..offset + len], key, phase);
        prop_assert_eq!(actual, expected);
    }
}
