//! permessage-deflate (RFC 7692): negotiation by every §7 rule, both roles;
//! messages compressed and inflated under every parameter; the frame rules;
//! and hostile input: corrupt data and inflate bombs.
#![cfg(feature = "deflate")]

use bytes::BytesMut;
use std::time::Duration;
use wscore::close::CloseCode;
use wscore::connection::{Config, Connection, Event, Message, MessageRef, ProtocolError, State};
use wscore::extensions::deflate::{CompressionError, Context, DeflateConfig, DeflateParams};
use wscore::frame::{Opcode, Rsv};
use wscore::handshake::client::{ClientRequest, ResponseError};
use wscore::handshake::server::{Accept, ServerHandshake};
use wscore::handshake::{Limits, Status};
use wscore::random::OsRng;
use wscore::Role;
use zlib_rs::{Deflate, DeflateFlush};

mod common;
use common::{events, frame, frame_rsv, frames_sent, json, transmitted, violation};

const T0: Duration = Duration::ZERO;

fn request(extensions: &[&str]) -> Vec<u8> {
    let mut request = String::from(
        "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n",
    );
    for line in extensions {
        request.push_str(&format!("Sec-WebSocket-Extensions: {line}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// What a server with `config` answers to `extensions` header lines: the
/// response header's value, and the agreed parameters.
fn server_answer(
    extensions: &[&str],
    config: DeflateConfig,
) -> (Option<String>, Option<DeflateParams>) {
    let bytes = request(extensions);
    let mut handshake = ServerHandshake::new(Limits::new(), core::time::Duration::ZERO);
    let Status::Complete(request) = handshake.receive(&bytes).unwrap() else {
        panic!("incomplete request")
    };
    let accepted = request.accept(&Accept::new().deflate(config)).unwrap();
    let response = String::from_utf8(accepted.response().to_vec()).unwrap();
    let header = response
        .lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Extensions: "))
        .map(str::to_owned);
    (header, accepted.deflate().copied())
}

fn params(server_nct: bool, client_nct: bool, server_bits: u8, client_bits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }
}

/// Offer header lines, the server's config, its answer, what is agreed.
type Case<'a> = (
    &'a [&'a str],
    DeflateConfig,
    Option<&'a str>,
    Option<DeflateParams>,
);

#[test]
fn server_accepts_each_offer_as_rfc_7692_section_7_says() {
    let default = DeflateConfig::new();
    let pmd = "permessage-deflate";
    let cases: &[Case] = &[
        // What Chrome and Firefox send.
        (
            &["permessage-deflate; client_max_window_bits"],
            default,
            Some(pmd),
            Some(params(false, false, 15, 15)),
        ),
        (&[pmd], default, Some(pmd), Some(params(false, false, 15, 15))),
        // The client limits the server's window: agreed, or less.
        (
            &["permessage-deflate; server_max_window_bits=10"],
            default,
            Some("permessage-deflate; server_max_window_bits=10"),
            Some(params(false, false, 10, 15)),
        ),
        (
            &["permessage-deflate; server_max_window_bits=\"12\""],
            default.server_max_window_bits(Some(9)),
            Some("permessage-deflate; server_max_window_bits=9"),
            Some(params(false, false, 9, 15)),
        ),
        // A server may limit its own window unasked.
        (
            &[pmd],
            default.server_max_window_bits(Some(11)),
            Some("permessage-deflate; server_max_window_bits=11"),
            Some(params(false, false, 11, 15)),
        ),
        // The client's window may be limited only if it offered.
        (
            &["permessage-deflate; client_max_window_bits"],
            default.client_max_window_bits(Some(10)),
            Some("permessage-deflate; client_max_window_bits=10"),
            Some(params(false, false, 15, 10)),
        ),
        (
            &[pmd],
            default.client_max_window_bits(Some(10)),
            Some(pmd),
            Some(params(false, false, 15, 15)),
        ),
        (
            &["permessage-deflate; client_max_window_bits=9"],
            default.client_max_window_bits(Some(12)),
            Some("permessage-deflate; client_max_window_bits=9"),
            Some(params(false, false, 15, 9)),
        ),
        (
            &["permessage-deflate; client_max_window_bits=8"],
            default,
            Some("permessage-deflate; client_max_window_bits=8"),
            Some(params(false, false, 15, 8)),
        ),
        // Context takeover: asked by the client, or imposed by the server.
        (
            &["permessage-deflate; server_no_context_takeover; client_no_context_takeover"],
            default,
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
            Some(params(true, true, 15, 15)),
        ),
        (
            &[pmd],
            default
                .server_no_context_takeover(true)
                .client_no_context_takeover(true),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
            Some(params(true, true, 15, 15)),
        ),
        // Invalid offers are declined (§5): no extension at all.
        (&["permessage-deflate; x_unknown"], default, None, None),
        (&["permessage-deflate; server_max_window_bits"], default, None, None),
        (&["permessage-deflate; server_max_window_bits=7"], default, None, None),
        (&["permessage-deflate; server_max_window_bits=16"], default, None, None),
        (&["permessage-deflate; server_max_window_bits=010"], default, None, None),
        (&["permessage-deflate; client_max_window_bits=1x"], default, None, None),
        (&["permessage-deflate; server_no_context_takeover=1"], default, None, None),
        (
            &["permessage-deflate; client_max_window_bits; client_max_window_bits=10"],
            default,
            None,
            None,
        ),
        (
            &["permessage-deflate; server_no_context_takeover; server_no_context_takeover"],
            default,
            None,
            None,
        ),
        // Several offers, in one header or several: the first acceptable one.
        (
            &["permessage-deflate; server_max_window_bits=7, permessage-deflate; server_max_window_bits=12, permessage-deflate"],
            default,
            Some("permessage-deflate; server_max_window_bits=12"),
            Some(params(false, false, 12, 15)),
        ),
        (
            &["x-webkit-deflate-frame", "permessage-deflate; bogus", "permessage-deflate; client_no_context_takeover"],
            default,
            Some("permessage-deflate; client_no_context_takeover"),
            Some(params(false, true, 15, 15)),
        ),
        // No offer: nothing agreed, nothing answered.
        (&[], default, None, None),
        (&["x-webkit-deflate-frame"], default, None, None),
    ];
    for (offers, config, header, agreed) in cases {
        let (got_header, got_params) = server_answer(offers, *config);
        assert_eq!(got_header.as_deref(), *header, "offers {offers:?}");
        assert_eq!(got_params, *agreed, "offers {offers:?}");
    }
}

/// The client's view of `response_extension` after offering `config`.
fn client_answer(
    config: DeflateConfig,
    response_extensions: &[&str],
) -> (String, Result<Option<DeflateParams>, ResponseError>) {
    let (request, mut handshake) = ClientRequest::new("example.com", "/")
        .deflate(config)
        .build(&mut OsRng, core::time::Duration::ZERO)
        .unwrap();
    let request = String::from_utf8(request).unwrap();
    let offer = request
        .lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Extensions: "))
        .unwrap()
        .to_owned();
    // Answer with the right accept key, computed by a server.
    let mut server = ServerHandshake::new(Limits::new(), core::time::Duration::ZERO);
    let Status::Complete(parsed) = server.receive(request.as_bytes()).unwrap() else {
        panic!()
    };
    let accepted = parsed.accept(&Accept::new()).unwrap();
    let mut response = String::from_utf8(accepted.into_response()).unwrap();
    response.truncate(response.len() - 2);
    for line in response_extensions {
        response.push_str(&format!("Sec-WebSocket-Extensions: {line}\r\n"));
    }
    response.push_str("\r\n");
    let result = handshake
        .receive(response.as_bytes())
        .map(|status| match status {
            Status::Complete(response) => response.deflate().copied(),
            Status::Partial => panic!("incomplete response"),
        });
    (offer, result)
}

#[test]
fn client_offers_and_checks_the_response() {
    let default = DeflateConfig::new();
    let (offer, result) = client_answer(default, &["permessage-deflate"]);
    assert_eq!(offer, "permessage-deflate; client_max_window_bits");
    assert_eq!(result, Ok(Some(params(false, false, 15, 15))));

    let asking = default
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(Some(10))
        .client_max_window_bits(Some(12));
    let (offer, result) = client_answer(
        asking,
        &["permessage-deflate; server_no_context_takeover; server_max_window_bits=9"],
    );
    assert_eq!(
        offer,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=12"
    );
    // The client keeps to its own limits whatever the server said.
    assert_eq!(result, Ok(Some(params(true, true, 9, 12))));

    // The server may limit the client, and keep its own context unasked.
    let (_, result) = client_answer(
        default,
        &["permessage-deflate; client_max_window_bits=9; server_no_context_takeover"],
    );
    assert_eq!(result, Ok(Some(params(true, false, 15, 9))));

    // The server declined: an uncompressed connection.
    assert_eq!(client_answer(default, &[]).1, Ok(None));

    let failures: &[(DeflateConfig, &[&str], &str)] = &[
        (
            default,
            &["permessage-deflate; x_unknown"],
            "the server's permessage-deflate response is invalid: parameter `x_unknown` is not defined here by RFC 7692",
        ),
        (
            default,
            &["permessage-deflate; client_max_window_bits"],
            "the server's permessage-deflate response is invalid: parameter `client_max_window_bits` needs a value from 8 to 15",
        ),
        (
            default,
            &["permessage-deflate; server_max_window_bits=16"],
            "the server's permessage-deflate response is invalid: parameter `server_max_window_bits` has invalid value \"16\"",
        ),
        (
            default,
            &["permessage-deflate; server_no_context_takeover; server_no_context_takeover"],
            "the server's permessage-deflate response is invalid: parameter `server_no_context_takeover` is given twice",
        ),
        (
            default.server_no_context_takeover(true),
            &["permessage-deflate"],
            "the server's permessage-deflate response is invalid: server_no_context_takeover was asked for and the server did not agree to it",
        ),
        (
            default.server_max_window_bits(Some(10)),
            &["permessage-deflate"],
            "the server's permessage-deflate response is invalid: server_max_window_bits=10 was asked for and the server did not agree to it",
        ),
        (
            default.server_max_window_bits(Some(10)),
            &["permessage-deflate; server_max_window_bits=11"],
            "the server's permessage-deflate response is invalid: server_max_window_bits=11 exceeds the 10 asked for",
        ),
        (
            default.client_max_window_bits(Some(10)),
            &["permessage-deflate; client_max_window_bits=11"],
            "the server's permessage-deflate response is invalid: client_max_window_bits=11 exceeds the client's limit of 10",
        ),
        (
            default,
            &["permessage-deflate", "permessage-deflate"],
            "the server's permessage-deflate response is invalid: the extension is agreed to more than once",
        ),
    ];
    for (config, response, message) in failures {
        let error = client_answer(*config, response).1.unwrap_err();
        assert!(matches!(error, ResponseError::Deflate(_)), "{response:?}");
        assert_eq!(error.to_string(), *message);
    }
}

/// A client and a server connection that negotiated with these configs
/// through a real handshake.
fn pair(client: DeflateConfig, server: DeflateConfig, config: Config) -> (Connection, Connection) {
    let (request, mut handshake) = ClientRequest::new("example.com", "/")
        .deflate(client)
        .build(&mut OsRng, core::time::Duration::ZERO)
        .unwrap();
    let mut server_handshake = ServerHandshake::new(Limits::new(), core::time::Duration::ZERO);
    let Status::Complete(parsed) = server_handshake.receive(&request).unwrap() else {
        panic!()
    };
    let (response, server) = parsed
        .accept(&Accept::new().deflate(server))
        .unwrap()
        .into_connection(config, T0);
    let Status::Complete(response) = handshake.receive(&response).unwrap() else {
        panic!()
    };
    let client = response.into_connection_with_rng(config, T0, Box::new(OsRng));
    assert_eq!(client.agreed().deflate(), server.agreed().deflate());
    assert!(client.agreed().deflate().is_some());
    (client, server)
}

/// The headers of the frames in `bytes`, as sent by `sender`.
fn headers(sender: Role, bytes: &[u8]) -> Vec<(Opcode, Rsv, u64)> {
    frames_sent(sender, bytes)
        .into_iter()
        .map(|(h, _)| (h.opcode, h.rsv, h.payload_len))
        .collect()
}

/// Random bytes, which do not compress.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn messages_round_trip_under_every_parameter() {
    let messages: Vec<Message> = vec![
        Message::text(""),
        Message::text("short"),
        Message::text(json(63, 1)),
        Message::text(json(64, 2)),
        Message::text(json(1000, 3)),
        Message::text(json(1000, 3)),
        Message::binary(noise(5000, 4)),
        Message::text(json(100_000, 5)),
        Message::binary(vec![0u8; 300_000]),
        Message::binary(noise(70_000, 6)),
        Message::text(json(20_000, 7)),
    ];
    // Each config, with how many of the messages it compresses and whether
    // the wire should be less than half the text.
    let long = messages.len() - 3;
    let mut configs = Vec::new();
    for bits in 8..=15 {
        let limited = DeflateConfig::new()
            .server_max_window_bits(Some(bits))
            .client_max_window_bits(Some(bits));
        configs.push((limited, long, true));
    }
    for context in [
        Context::Compressor,
        Context::Recent(1 << 20),
        Context::Recent(10),
    ] {
        configs.push((DeflateConfig::new().context(context), long, true));
    }
    let fresh = DeflateConfig::new()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true);
    configs.push((fresh, long, true));
    configs.push((
        DeflateConfig::new().level(0).threshold(0),
        messages.len(),
        false,
    ));
    configs.push((DeflateConfig::new().level(9).threshold(1 << 20), 0, false));
    for (deflate, expect_compressed, expect_smaller) in configs {
        // Small frames too: a compressed message spans many.
        for frame_size in [16 << 20, 1000] {
            let config = Config::new().send_frame_size(frame_size);
            let (mut client, mut server) = pair(deflate, deflate, config);
            for role in [Role::Client, Role::Server] {
                let (sender, receiver) = match role {
                    Role::Client => (&mut client, &mut server),
                    Role::Server => (&mut server, &mut client),
                };
                let mut raw = 0;
                for message in &messages {
                    sender.send(message.clone()).unwrap();
                    raw += match message {
                        Message::Text(text) => text.len(),
                        Message::Binary(data) => data.len(),
                        _ => 0,
                    };
                }
                let wire = transmitted(sender);
                let compressed = headers(role, &wire)
                    .iter()
                    .filter(|(_, rsv, _)| rsv.contains(Rsv::RSV1))
                    .count();
                // Counted in frames: only a message's first has RSV1.
                assert_eq!(compressed, expect_compressed, "{deflate:?}");
                if expect_smaller {
                    assert!(wire.len() < raw / 2, "{} of {raw} bytes", wire.len());
                }
                // Any read split.
                let mut buf = BytesMut::new();
                for chunk in wire.chunks(777) {
                    buf.extend_from_slice(chunk);
                    receiver.receive(T0, &mut buf);
                }
                let received: Vec<Message> = events(receiver)
                    .into_iter()
                    .map(|event| match event {
                        Event::Text(text) => Message::Text(text),
                        Event::Binary(data) => Message::Binary(data),
                        other => panic!("unexpected {other:?}"),
                    })
                    .collect();
                assert_eq!(
                    received.len(),
                    messages.len(),
                    "{role:?} {:?}",
                    receiver.state()
                );
                for (i, (got, want)) in received.iter().zip(&messages).enumerate() {
                    assert!(
                        got == want,
                        "message {i}: {deflate:?}, frames of {frame_size}, {role:?}"
                    );
                }
            }
        }
    }
}

/// A server that agreed to permessage-deflate with default parameters.
fn deflate_server(config: Config) -> Connection {
    pair(DeflateConfig::new(), DeflateConfig::new(), config).1
}

/// `data` compressed as one message, without the flush tail.
fn compress(data: &[u8], level: i32) -> Vec<u8> {
    let mut stream = Deflate::new(level, false, 15);
    let mut out = vec![0; data.len() + 1024];
    let mut written = 0;
    let mut input = data;
    loop {
        let (read, before) = (stream.total_in(), stream.total_out());
        stream
            .compress(input, &mut out[written..], DeflateFlush::SyncFlush)
            .unwrap();
        input = &input[(stream.total_in() - read) as usize..];
        written += (stream.total_out() - before) as usize;
        if input.is_empty() && written < out.len() {
            break;
        }
        out.resize(out.len() * 2, 0);
    }
    out.truncate(written - 4);
    out
}

fn expect_failure(conn: &mut Connection, bytes: &[u8], error: ProtocolError, code: CloseCode) {
    assert_eq!(violation(conn, bytes).1, error);
    let State::Closed(closed) = conn.state() else {
        panic!("{:?}", conn.state())
    };
    assert_eq!(closed.code, code);
    assert_eq!(closed.error, Some(error));
    // The close frame with that code is queued.
    let wire = transmitted(conn);
    assert_eq!(&wire[2..4], &code.as_u16().to_be_bytes());
}

#[test]
fn rsv1_only_on_a_data_messages_first_frame() {
    let mut server = deflate_server(Config::new());
    let ping = frame_rsv(Role::Server, true, Opcode::Ping, Rsv::RSV1, b"");
    let error = CompressionError::ControlFrame(Opcode::Ping);
    expect_failure(&mut server, &ping, error.into(), CloseCode::PROTOCOL_ERROR);
    assert_eq!(
        error.to_string(),
        "ping frame has RSV1 (compressed) set: control frames are never compressed (RFC 7692 §6.1)"
    );

    let mut server = deflate_server(Config::new());
    let mut bytes = frame_rsv(
        Role::Server,
        false,
        Opcode::Text,
        Rsv::RSV1,
        &compress(b"abc", 6),
    );
    bytes.extend(frame_rsv(
        Role::Server,
        true,
        Opcode::Continuation,
        Rsv::RSV1,
        b"",
    ));
    let error = CompressionError::Continuation;
    expect_failure(&mut server, &bytes, error.into(), CloseCode::PROTOCOL_ERROR);

    // RSV2 and RSV3 stay reserved.
    let mut server = deflate_server(Config::new());
    let bytes = frame_rsv(Role::Server, true, Opcode::Text, Rsv::RSV2, b"x");
    let (_, error) = violation(&mut server, &bytes);
    assert!(matches!(error, ProtocolError::Frame(_)), "{error:?}");

    // Without the extension agreed, RSV1 is a protocol error too.
    let mut plain = Connection::new(Role::Server, Config::new(), T0);
    let bytes = frame_rsv(
        Role::Server,
        true,
        Opcode::Text,
        Rsv::RSV1,
        &compress(b"abc", 6),
    );
    let (_, error) = violation(&mut plain, &bytes);
    assert!(matches!(error, ProtocolError::Frame(_)), "{error:?}");
    assert_eq!(error.close_code(), CloseCode::PROTOCOL_ERROR);
}

#[test]
fn corrupt_data_is_1007_after_the_messages_before_it() {
    let mut server = deflate_server(Config::new());
    let mut bytes = frame_rsv(
        Role::Server,
        true,
        Opcode::Text,
        Rsv::RSV1,
        &compress(b"first", 6),
    );
    // 0xff: a block of the reserved type 3.
    bytes.extend(frame_rsv(
        Role::Server,
        true,
        Opcode::Binary,
        Rsv::RSV1,
        &[0xff, 0x00],
    ));
    let (before, error) = violation(&mut server, &bytes);
    assert!(
        matches!(
            error,
            ProtocolError::Compression(CompressionError::Corrupt(_))
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "compressed message is not valid DEFLATE data: invalid block type"
    );
    // What arrived before the corrupt message is not lost.
    assert_eq!(before, [Event::Text("first".into())]);
    assert_eq!(server.poll_event(), None);
    let State::Closed(closed) = server.state() else {
        panic!()
    };
    assert_eq!(closed.code, CloseCode::INVALID_PAYLOAD);
}

#[test]
fn invalid_utf8_inside_compressed_text_is_1007() {
    let mut server = deflate_server(Config::new());
    let bytes = frame_rsv(
        Role::Server,
        true,
        Opcode::Text,
        Rsv::RSV1,
        &compress(b"ok", 6),
    );
    let bytes_bad = frame_rsv(
        Role::Server,
        true,
        Opcode::Text,
        Rsv::RSV1,
        &compress(&[b'o', b'k', 0xc3, 0x28], 6),
    );
    server.receive(T0, &mut BytesMut::from(&bytes[..]));
    expect_failure(
        &mut server,
        &bytes_bad,
        ProtocolError::InvalidUtf8,
        CloseCode::INVALID_PAYLOAD,
    );
}

/// `inflated_len` zeros compressed as tightly as DEFLATE allows (about
/// 1030:1). Built from one compressed MiB repeated: once the window is all
/// zeros, each MiB compresses to the same bytes.
fn bomb(inflated_len: usize) -> Vec<u8> {
    const MIB: usize = 1 << 20;
    if inflated_len <= MIB {
        return compress(&vec![0; inflated_len], 9);
    }
    let zeros = vec![0; MIB];
    let mut stream = Deflate::new(9, false, 15);
    let mut chunk = |len: usize| {
        let mut out = vec![0; 4096];
        let before = stream.total_out();
        stream
            .compress(&zeros[..len], &mut out, DeflateFlush::SyncFlush)
            .unwrap();
        out.truncate((stream.total_out() - before) as usize);
        out
    };
    let mut bomb = chunk(zeros.len());
    let (steady, again) = (chunk(MIB), chunk(MIB));
    assert_eq!(steady, again);
    let mut left = inflated_len - zeros.len();
    while left >= MIB {
        bomb.extend_from_slice(&steady);
        left -= MIB;
    }
    bomb.extend(chunk(left));
    bomb.truncate(bomb.len() - 4);
    bomb
}

#[test]
fn an_inflate_bomb_is_refused_at_the_cap_with_bounded_memory() {
    let max = 1 << 20;
    // 1 GiB of zeros: about 1 MiB compressed, the most DEFLATE can pack
    // into a message that size. (No 1 KiB message inflates past 1 MiB.)
    let bomb = bomb(1 << 30);
    assert!(bomb.len() < (1 << 20) + (1 << 16), "{}", bomb.len());
    for streaming in [false, true] {
        let config = Config::new()
            .max_message_size(max)
            .max_frame_size(4 << 20)
            .streaming(streaming);
        let mut server = deflate_server(config);
        let mut before = frame_rsv(
            Role::Server,
            true,
            Opcode::Text,
            Rsv::RSV1,
            &compress(b"kept", 6),
        );
        before.extend(frame_rsv(
            Role::Server,
            true,
            Opcode::Binary,
            Rsv::RSV1,
            &bomb,
        ));
        let mut buf = BytesMut::from(&before[..]);
        let info = allocation_counter::measure(|| server.receive(T0, &mut buf));
        // The cap plus zlib's state and window, never the gigabyte.
        assert!(
            info.bytes_max < max as u64 + (256 << 10),
            "peak {} bytes, streaming {streaming}",
            info.bytes_max
        );
        let first = server.poll_event();
        assert!(
            matches!(&first, Some(Event::Text(t)) if t.as_str() == "kept")
                || matches!(&first, Some(Event::Fragment { data, fin: true, .. }) if &data[..] == b"kept"),
            "{first:?}"
        );
        let last = events(&mut server).pop();
        assert_eq!(last, Some(Event::Closed(CloseCode::MESSAGE_TOO_BIG)));
        let closed = server.closed().unwrap();
        assert_eq!(
            closed.error,
            Some(ProtocolError::Compression(CompressionError::TooBig { max }))
        );
        assert_eq!(closed.code, CloseCode::MESSAGE_TOO_BIG);
        assert_eq!(
            closed.reason,
            format!("compressed message inflates to more than the limit of {max} bytes")
        );
    }
}

#[test]
fn a_message_inflating_to_exactly_the_cap_is_accepted() {
    let max = 100_000;
    let mut server = deflate_server(Config::new().max_message_size(max));
    let bytes = frame_rsv(Role::Server, true, Opcode::Binary, Rsv::RSV1, &bomb(max));
    server.receive(T0, &mut BytesMut::from(&bytes[..]));
    let Some(Event::Binary(data)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(data.len(), max);
    let bytes = frame_rsv(
        Role::Server,
        true,
        Opcode::Binary,
        Rsv::RSV1,
        &bomb(max + 1),
    );
    let error = CompressionError::TooBig { max }.into();
    expect_failure(&mut server, &bytes, error, CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn streaming_mode_hands_out_inflated_fragments() {
    let (mut client, mut server) = pair(
        DeflateConfig::new(),
        DeflateConfig::new(),
        Config::new().streaming(true).send_frame_size(500),
    );
    let text = json(50_000, 9);
    client.send(Message::text(text.clone())).unwrap();
    let wire = transmitted(&mut client);
    let mut received = Vec::new();
    let mut fragments = 0;
    let mut buf = BytesMut::new();
    for chunk in wire.chunks(300) {
        buf.extend_from_slice(chunk);
        server.receive(T0, &mut buf);
        for event in events(&mut server) {
            let Event::Fragment {
                text: true,
                data,
                fin,
            } = event
            else {
                panic!("{event:?}")
            };
            received.extend_from_slice(&data);
            fragments += 1;
            assert_eq!(fin, received.len() == text.len());
        }
    }
    assert_eq!(received, text.as_bytes());
    assert!(fragments > 10, "{fragments}");
}

#[test]
fn uncompressed_messages_pass_on_a_deflate_connection() {
    let mut server = deflate_server(Config::new());
    let mut bytes = frame(Role::Server, false, Opcode::Text, b"plain ");
    bytes.extend(frame(Role::Server, true, Opcode::Continuation, b"text"));
    bytes.extend(frame_rsv(
        Role::Server,
        true,
        Opcode::Text,
        Rsv::RSV1,
        &compress(b"packed", 6),
    ));
    bytes.extend(frame(Role::Server, true, Opcode::Binary, &[1, 2, 3]));
    server.receive(T0, &mut BytesMut::from(&bytes[..]));
    let got: Vec<Event> = events(&mut server);
    assert_eq!(
        got,
        [
            Event::Text("plain text".into()),
            Event::Text("packed".into()),
            Event::Binary(vec![1, 2, 3].into()),
        ]
    );
}

#[test]
fn slices_are_compressed_too() {
    let (mut client, mut server) = pair(DeflateConfig::new(), DeflateConfig::new(), Config::new());
    let text = json(3000, 11);
    client.send_ref(MessageRef::Text(&text)).unwrap();
    client
        .send_ref(MessageRef::Binary(text.as_bytes()))
        .unwrap();
    client.send_ref(MessageRef::Text("tiny")).unwrap();
    let wire = transmitted(&mut client);
    let rsv: Vec<bool> = headers(Role::Client, &wire)
        .iter()
        .map(|(_, rsv, _)| rsv.contains(Rsv::RSV1))
        .collect();
    assert_eq!(rsv, [true, true, false]);
    server.receive(T0, &mut BytesMut::from(&wire[..]));
    assert_eq!(
        events(&mut server),
        [
            Event::Text(text.clone().into()),
            Event::Binary(text.into_bytes().into()),
            Event::Text("tiny".into()),
        ]
    );
}

#[test]
fn a_message_can_skip_compression_without_disturbing_the_context() {
    let (mut client, mut server) = pair(DeflateConfig::new(), DeflateConfig::new(), Config::new());
    let public = json(2000, 12);
    let secret = format!("token={}", "s3cr3t".repeat(20));
    client.send(Message::text(public.clone())).unwrap();
    client.set_compression(false);
    client.send(Message::text(secret.clone())).unwrap();
    client.set_compression(true);
    client.send(Message::text(public.clone())).unwrap();
    let wire = transmitted(&mut client);
    let frames = headers(Role::Client, &wire);
    let rsv: Vec<bool> = frames
        .iter()
        .map(|(_, rsv, _)| rsv.contains(Rsv::RSV1))
        .collect();
    assert_eq!(rsv, [true, false, true]);
    assert_eq!(frames[1].2, secret.len() as u64);
    // The second copy of `public` still refers back to the first.
    assert!(frames[2].2 < frames[0].2 / 4, "{frames:?}");
    server.receive(T0, &mut BytesMut::from(&wire[..]));
    assert_eq!(
        events(&mut server),
        [
            Event::Text(public.clone().into()),
            Event::Text(secret.into()),
            Event::Text(public.into()),
        ]
    );
}

/// Found by the proptest pair: zlib writes nothing for an empty message
/// after a flush, and an empty compressed payload plus the tail is the
/// start of a block, not an empty one: the next message was misread.
#[test]
fn empty_messages_compress_to_an_empty_block() {
    let (mut client, mut server) = pair(
        DeflateConfig::new().threshold(0),
        DeflateConfig::new().threshold(0),
        Config::new().send_frame_size(1),
    );
    for text in ["", "", "", "after", ""] {
        client.send(Message::text(text)).unwrap();
    }
    let wire = transmitted(&mut client);
    let first_frames: Vec<u64> = headers(Role::Client, &wire)
        .iter()
        .filter(|(opcode, _, _)| *opcode == Opcode::Text)
        .map(|(_, rsv, len)| {
            assert!(rsv.contains(Rsv::RSV1));
            *len
        })
        .collect();
    // RFC 7692 §7.2.3.6: an empty message compresses to one 0x00 byte.
    assert_eq!(first_frames[..3], [1, 1, 1]);
    server.receive(T0, &mut BytesMut::from(&wire[..]));
    let texts: Vec<Event> = events(&mut server);
    let expected: Vec<Event> = ["", "", "", "after", ""]
        .into_iter()
        .map(|t| Event::Text(t.into()))
        .collect();
    assert_eq!(texts, expected);

    // A peer that sends a compressed message with no payload at all means
    // an empty one; the inflater is left as it was.
    let mut server = deflate_server(Config::new());
    let mut bytes = frame_rsv(Role::Server, true, Opcode::Text, Rsv::RSV1, b"");
    bytes.extend(frame_rsv(
        Role::Server,
        true,
        Opcode::Text,
        Rsv::RSV1,
        &compress(b"next", 6),
    ));
    server.receive(T0, &mut BytesMut::from(&bytes[..]));
    assert_eq!(
        events(&mut server),
        [Event::Text("".into()), Event::Text("next".into())]
    );
}
