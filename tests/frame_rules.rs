//! RFC 6455 §5 rules, in both roles: each violation gives its own error, the
//! right close code and a message that names the rule.

use wscore::close::CloseCode;
use wscore::frame::{
    FrameDecoder, FrameError, FrameHeader, FrameRules, HeaderStatus, Item, Opcode, Rsv,
};
use wscore::Role;

mod common;
use common::{frame as frame_for, KEY};

/// Raw header bytes, masked with `KEY` towards a server.
fn raw_for(receiver: Role, b0: u8, b1_len: u8, extended_len: &[u8]) -> Vec<u8> {
    let mask_bit = if receiver == Role::Server { 0x80 } else { 0 };
    let mut bytes = vec![b0, mask_bit | b1_len];
    bytes.extend_from_slice(extended_len);
    if receiver == Role::Server {
        bytes.extend_from_slice(&KEY);
    }
    bytes
}

/// Everything `bytes` decodes to: (opcode, fin, payload) per frame, or the error.
fn decode_all(rules: FrameRules, bytes: &[u8]) -> Result<Vec<(Opcode, bool, Vec<u8>)>, FrameError> {
    let mut decoder = FrameDecoder::new(rules);
    let mut owned = bytes.to_vec();
    let mut input = &mut owned[..];
    let mut frames = Vec::new();
    while let Some(item) = decoder.decode(&mut input)? {
        match item {
            Item::Header(h) => frames.push((h.opcode, h.fin, Vec::new())),
            Item::Payload { data, .. } => frames.last_mut().unwrap().2.extend_from_slice(data),
        }
    }
    Ok(frames)
}

fn error_for(receiver: Role, bytes: &[u8]) -> FrameError {
    decode_all(FrameRules::new(receiver), bytes).expect_err("the frame must be rejected")
}

fn assert_error(error: FrameError, code: CloseCode, message: &str) {
    assert_eq!(error.close_code(), code, "{error}");
    assert_eq!(error.to_string(), message);
}

const ROLES: [Role; 2] = [Role::Server, Role::Client];

#[test]
fn rfc_examples_decode() {
    // RFC 6455 §5.7, as a client receives them (unmasked) ...
    let hello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let client = FrameRules::new(Role::Client);
    assert_eq!(
        decode_all(client, &hello).unwrap(),
        [(Opcode::Text, true, b"Hello".to_vec())]
    );
    let fragmented = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(
        decode_all(client, &fragmented).unwrap(),
        [
            (Opcode::Text, false, b"Hel".to_vec()),
            (Opcode::Continuation, true, b"lo".to_vec())
        ]
    );
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(
        decode_all(client, &ping).unwrap(),
        [(Opcode::Ping, true, b"Hello".to_vec())]
    );

    // ... and as a server receives them (masked).
    let server = FrameRules::new(Role::Server);
    let masked_hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        decode_all(server, &masked_hello).unwrap(),
        [(Opcode::Text, true, b"Hello".to_vec())]
    );
    let masked_pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        decode_all(server, &masked_pong).unwrap(),
        [(Opcode::Pong, true, b"Hello".to_vec())]
    );

    // 256 bytes use the 16-bit length, 65536 the 64-bit one.
    let mut binary_256 = vec![0x82, 0x7e, 0x01, 0x00];
    binary_256.extend(std::iter::repeat_n(7, 256));
    assert_eq!(decode_all(client, &binary_256).unwrap()[0].2.len(), 256);
    let mut binary_64k = vec![0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0];
    binary_64k.extend(std::iter::repeat_n(7, 65536));
    assert_eq!(decode_all(client, &binary_64k).unwrap()[0].2.len(), 65536);
}

#[test]
fn masking_is_required_towards_servers_and_forbidden_towards_clients() {
    let unmasked = frame_for(Role::Client, true, Opcode::Text, b"hi");
    assert_error(
        error_for(Role::Server, &unmasked),
        CloseCode::PROTOCOL_ERROR,
        "client frame is not masked (RFC 6455 §5.1)",
    );
    let masked = frame_for(Role::Server, true, Opcode::Text, b"hi");
    assert_error(
        error_for(Role::Client, &masked),
        CloseCode::PROTOCOL_ERROR,
        "server frame is masked (RFC 6455 §5.1)",
    );
    // Control frames too, including empty ones.
    let unmasked_ping = frame_for(Role::Client, true, Opcode::Ping, b"");
    assert_eq!(
        error_for(Role::Server, &unmasked_ping),
        FrameError::UnmaskedClientFrame
    );
}

#[test]
fn reserved_opcodes_are_rejected() {
    for role in ROLES {
        for opcode in (0x3..=0x7).chain(0xb..=0xf) {
            let error = error_for(role, &raw_for(role, 0x80 | opcode, 0, &[]));
            assert_eq!(error, FrameError::ReservedOpcode(opcode));
            assert_error(
                error,
                CloseCode::PROTOCOL_ERROR,
                &format!("reserved opcode {opcode:#x} (RFC 6455 §5.2)"),
            );
        }
    }
    // Decided from the first byte, before the rest of the header arrives.
    assert_eq!(
        FrameHeader::decode(&[0x83, 0xfe]),
        Err(FrameError::ReservedOpcode(3))
    );
}

#[test]
fn rsv_bits_need_an_extension() {
    for role in ROLES {
        for (bits, name) in [
            (Rsv::RSV1, "RSV1"),
            (Rsv::RSV2, "RSV2"),
            (Rsv::RSV3, "RSV3"),
        ] {
            let bytes = raw_for(role, 0x81 | bits.bits(), 0, &[]);
            assert_error(
                error_for(role, &bytes),
                CloseCode::PROTOCOL_ERROR,
                &format!(
                    "{name} bit set without a negotiated extension that defines it (RFC 6455 §5.2)"
                ),
            );
        }
        let deflate = FrameRules::new(role).extension_rsv(Rsv::RSV1);
        let rsv1 = raw_for(role, 0xc1, 0, &[]);
        assert!(decode_all(deflate, &rsv1).is_ok());
        // The extension owns RSV1 only; RSV2 is still stray and reported alone.
        let rsv12 = raw_for(role, 0xe1, 0, &[]);
        assert_eq!(
            decode_all(deflate, &rsv12),
            Err(FrameError::ReservedBitsSet(Rsv::RSV2))
        );
    }
}

#[test]
fn control_frames_are_final_and_short() {
    for role in ROLES {
        for opcode in [Opcode::Close, Opcode::Ping, Opcode::Pong] {
            let fragmented = raw_for(role, opcode as u8, 0, &[]);
            assert_error(
                error_for(role, &fragmented),
                CloseCode::PROTOCOL_ERROR,
                &format!("{opcode} frame is fragmented; control frames must have FIN set (RFC 6455 §5.5)"),
            );
            let long = raw_for(role, 0x80 | opcode as u8, 126, &[0, 126]);
            assert_error(
                error_for(role, &long),
                CloseCode::PROTOCOL_ERROR,
                &format!("{opcode} frame carries 126 bytes; control frames carry at most 125 (RFC 6455 §5.5)"),
            );
            let longest = frame_for(role, true, opcode, &[b'a'; 125]);
            assert_eq!(
                decode_all(FrameRules::new(role), &longest).unwrap()[0]
                    .2
                    .len(),
                125
            );
        }
    }
}

#[test]
fn length_top_bit_must_be_clear() {
    for role in ROLES {
        let bytes = raw_for(role, 0x82, 127, &[0x80, 0, 0, 0, 0, 0, 0, 1]);
        let error = error_for(role, &bytes);
        assert_eq!(error, FrameError::LengthTopBitSet(0x8000_0000_0000_0001));
        assert_error(
            error,
            CloseCode::PROTOCOL_ERROR,
            "payload length 9223372036854775809 does not fit in 63 bits; its most significant bit must be 0 (RFC 6455 §5.2)",
        );
    }
}

#[test]
fn lengths_must_be_minimally_encoded() {
    for role in ROLES {
        let short_in_16 = raw_for(role, 0x82, 126, &[0, 125]);
        assert_error(
            error_for(role, &short_in_16),
            CloseCode::PROTOCOL_ERROR,
            "payload length 125 is not encoded in the minimal number of bytes (RFC 6455 §5.2)",
        );
        let medium_in_64 = raw_for(role, 0x82, 127, &[0, 0, 0, 0, 0, 0, 0xff, 0xff]);
        assert_eq!(
            error_for(role, &medium_in_64),
            FrameError::NonMinimalLength(0xffff)
        );
        // The boundaries themselves are minimal.
        let rules = FrameRules::new(role).max_frame_size(0);
        let at_126 = raw_for(role, 0x82, 126, &[0, 126]);
        assert!(matches!(
            decode_all(rules, &at_126),
            Err(FrameError::FrameTooLarge { .. })
        ));
        let at_64k = raw_for(role, 0x82, 127, &[0, 0, 0, 0, 0, 1, 0, 0]);
        assert!(matches!(
            decode_all(rules, &at_64k),
            Err(FrameError::FrameTooLarge { .. })
        ));
    }
}

#[test]
fn frame_size_limit_is_enforced_from_the_header_alone() {
    for role in ROLES {
        let rules = FrameRules::new(role).max_frame_size(1000);
        // A header announcing 1 TiB, with no payload behind it.
        let mut header = raw_for(role, 0x82, 127, &(1u64 << 40).to_be_bytes());
        let mut decoder = FrameDecoder::new(rules);
        let mut input = &mut header[..];
        let error = decoder.decode(&mut input).unwrap_err();
        assert_error(
            error,
            CloseCode::MESSAGE_TOO_BIG,
            "frame payload of 1099511627776 bytes exceeds the limit of 1000 bytes",
        );
        let at_limit = frame_for(role, true, Opcode::Binary, &[0; 1000]);
        assert!(decode_all(rules, &at_limit).is_ok());
        let over = frame_for(role, true, Opcode::Binary, &[0; 1001]);
        assert_eq!(
            decode_all(rules, &over),
            Err(FrameError::FrameTooLarge {
                len: 1001,
                max: 1000
            })
        );
    }
}

#[test]
fn continuation_needs_a_message_in_progress() {
    for role in ROLES {
        // The seed failure: a first frame that is a continuation.
        let orphan = frame_for(role, true, Opcode::Continuation, b"x");
        assert_error(
            error_for(role, &orphan),
            CloseCode::PROTOCOL_ERROR,
            "continuation frame without a message in progress (RFC 6455 §5.4)",
        );
        // A continuation after a finished message is an orphan as well.
        let mut after_final = frame_for(role, true, Opcode::Text, b"done");
        after_final.extend(frame_for(role, false, Opcode::Continuation, b"x"));
        assert_eq!(
            error_for(role, &after_final),
            FrameError::UnexpectedContinuation
        );
    }
}

#[test]
fn new_message_must_wait_for_the_fragmented_one() {
    for role in ROLES {
        for opcode in [Opcode::Text, Opcode::Binary] {
            let mut bytes = frame_for(role, false, Opcode::Text, b"part");
            bytes.extend(frame_for(role, true, opcode, b"new"));
            assert_error(
                error_for(role, &bytes),
                CloseCode::PROTOCOL_ERROR,
                &format!("{opcode} frame starts a new message while a fragmented message is in progress (RFC 6455 §5.4)"),
            );
        }
    }
}

#[test]
fn control_frames_may_interleave_with_fragments() {
    for role in ROLES {
        let mut bytes = frame_for(role, false, Opcode::Binary, b"a");
        bytes.extend(frame_for(role, true, Opcode::Ping, b"p"));
        bytes.extend(frame_for(role, false, Opcode::Continuation, b"b"));
        bytes.extend(frame_for(role, true, Opcode::Pong, b""));
        bytes.extend(frame_for(role, true, Opcode::Continuation, b"c"));
        bytes.extend(frame_for(role, true, Opcode::Text, b"next"));
        let opcodes: Vec<_> = decode_all(FrameRules::new(role), &bytes)
            .unwrap()
            .into_iter()
            .map(|(op, ..)| op)
            .collect();
        use Opcode::*;
        assert_eq!(
            opcodes,
            [Binary, Ping, Continuation, Pong, Continuation, Text]
        );
    }
}

#[test]
fn errors_are_sticky_and_consume_nothing_more() {
    let mut bytes = frame_for(Role::Client, true, Opcode::Text, b"unmasked");
    let mut decoder = FrameDecoder::new(FrameRules::new(Role::Server));
    let mut input = &mut bytes[..];
    assert_eq!(
        decoder.decode(&mut input),
        Err(FrameError::UnmaskedClientFrame)
    );
    let left = input.len();
    assert_eq!(
        decoder.decode(&mut input),
        Err(FrameError::UnmaskedClientFrame)
    );
    assert_eq!(input.len(), left, "a failed decoder takes no more input");
}

#[test]
fn header_split_at_every_point_decodes_the_same() {
    let bytes = frame_for(Role::Server, true, Opcode::Binary, &[9; 300]);
    let whole = decode_all(FrameRules::new(Role::Server), &bytes).unwrap();
    for split in 0..=bytes.len() {
        let mut decoder = FrameDecoder::new(FrameRules::new(Role::Server));
        let (mut a, mut b) = (bytes[..split].to_vec(), bytes[split..].to_vec());
        let mut payload = Vec::new();
        for part in [&mut a[..], &mut b[..]] {
            let mut input = part;
            while let Some(item) = decoder.decode(&mut input).unwrap() {
                if let Item::Payload { data, .. } = item {
                    payload.extend_from_slice(data);
                }
            }
            assert!(input.is_empty());
        }
        assert_eq!(payload, whole[0].2, "split at {split}");
        assert!(decoder.is_at_frame_boundary());
    }
}

#[test]
fn header_decode_reports_what_it_needs() {
    assert_eq!(
        FrameHeader::decode(&[]),
        Ok(HeaderStatus::Partial { needed: 2 })
    );
    assert_eq!(
        FrameHeader::decode(&[0x82]),
        Ok(HeaderStatus::Partial { needed: 2 })
    );
    assert_eq!(
        FrameHeader::decode(&[0x82, 0xff]),
        Ok(HeaderStatus::Partial { needed: 14 })
    );
    assert_eq!(
        FrameHeader::decode(&[0x82, 0x7e, 1]),
        Ok(HeaderStatus::Partial { needed: 4 })
    );
    assert!(matches!(
        FrameHeader::decode(&[0x82, 0x7e, 1, 0, 0xff]),
        Ok(HeaderStatus::Complete { len: 4, .. })
    ));
}

#[test]
fn encoder_refuses_what_a_strict_receiver_rejects() {
    let mut ping = FrameHeader::new(Opcode::Ping, 126);
    assert_eq!(
        ping.encode().unwrap_err(),
        FrameError::ControlFrameTooLong {
            opcode: Opcode::Ping,
            len: 126
        }
    );
    ping.payload_len = 0;
    ping.fin = false;
    assert_eq!(
        ping.encode().unwrap_err(),
        FrameError::FragmentedControlFrame(Opcode::Ping)
    );
    let huge = FrameHeader::new(Opcode::Binary, 1 << 63);
    assert_eq!(
        huge.encode().unwrap_err(),
        FrameError::LengthTopBitSet(1 << 63)
    );
}

#[test]
fn encoded_lengths_are_minimal() {
    for (len, expected) in [
        (0, 2),
        (125, 2),
        (126, 4),
        (0xffff, 4),
        (0x10000, 10),
        (1 << 62, 10),
    ] {
        let mut header = FrameHeader::new(Opcode::Binary, len);
        assert_eq!(header.encode().unwrap().len(), expected);
        assert_eq!(header.encoded_len(), expected);
        header.mask = Some(KEY);
        assert_eq!(header.encode().unwrap().len(), expected + 4);
    }
}
