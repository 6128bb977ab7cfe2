//! The connection state machine: every rule, both roles, and the failures
//! that took production servers down, which here are values.

use bytes::{Buf, Bytes, BytesMut};
use std::time::Duration;
use wscore::close::CloseCode;
use wscore::connection::{
    Closed, Config, Connection, Event, Initiator, Message, MessageRef, ProtocolError, SendError,
    State,
};
use wscore::frame::{FrameError, Opcode};
use wscore::Role;

mod common;
use common::{events, frame, frames_sent, transmitted, violation};

const T0: Duration = Duration::ZERO;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    payload
}

/// Feeds the bytes in one read.
fn feed(conn: &mut Connection, bytes: &[u8]) {
    conn.receive(T0, &mut BytesMut::from(bytes))
}

/// Decodes what a connection wrote, as its peer would: (opcode, fin, unmasked payload).
fn frames_written(role: Role, bytes: &[u8]) -> Vec<(Opcode, bool, Vec<u8>)> {
    frames_sent(role, bytes)
        .into_iter()
        .map(|(header, payload)| (header.opcode, header.fin, payload))
        .collect()
}

fn closed(conn: &Connection) -> &Closed {
    match conn.state() {
        State::Closed(closed) => closed,
        other => panic!("expected closed, got {other:?}"),
    }
}

const ROLES: [Role; 2] = [Role::Server, Role::Client];

#[test]
fn continuation_first_is_an_error_value_with_close_1002() {
    // The seed failure: `Invalid WebSocket frame: invalid opcode 0` killed a server.
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new(), T0);
        let mut bytes = frame(role, true, Opcode::Text, b"before");
        bytes.extend(frame(role, true, Opcode::Continuation, b"x"));
        bytes.extend(frame(role, true, Opcode::Text, b"after"));
        let (before, error) = violation(&mut conn, &bytes);
        assert_eq!(
            error,
            ProtocolError::Frame(FrameError::UnexpectedContinuation)
        );
        assert_eq!(error.close_code(), CloseCode::PROTOCOL_ERROR);
        // What came before the violation is delivered; nothing after it,
        // and the end (the last event) only once.
        assert_eq!(before, [Event::Text("before".into())]);
        assert_eq!(conn.poll_event(), None);
        let closed = closed(&conn);
        assert_eq!(
            (closed.code, closed.initiator, closed.clean),
            (CloseCode::PROTOCOL_ERROR, Initiator::Local, false)
        );
        assert_eq!(closed.error, Some(error));
        // The connection can still be drained: the close frame goes out.
        let written = frames_written(role, &transmitted(&mut conn));
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].0, Opcode::Close);
        assert_eq!(&written[0].2[..2], &1002u16.to_be_bytes());
        assert_eq!(
            std::str::from_utf8(&written[0].2[2..]).unwrap(),
            "continuation frame without a message in progress (RFC 6455 §5.4)"
        );
        assert!(conn.is_finished());
        // And every call stays legal.
        feed(&mut conn, b"\x81\x00");
        assert_eq!(conn.send(Message::text("late")), Err(SendError::Closed));
        assert_eq!(conn.close(T0, CloseCode::NORMAL, ""), Ok(()));
        conn.receive_eof();
        conn.handle_timeout(secs(100));
        assert!(conn.poll_event().is_none());
    }
}

#[test]
fn unmasked_client_frame_is_an_error_value() {
    // The seed failure: `MASK must be set` killed a server.
    let mut server = Connection::new(Role::Server, Config::new(), T0);
    let unmasked = frame(Role::Client, true, Opcode::Text, b"hi");
    let error = violation(&mut server, &unmasked).1;
    assert_eq!(error, ProtocolError::Frame(FrameError::UnmaskedClientFrame));
    assert_eq!(closed(&server).code, CloseCode::PROTOCOL_ERROR);

    let mut client = Connection::new(Role::Client, Config::new(), T0);
    let masked = frame(Role::Server, true, Opcode::Text, b"hi");
    assert_eq!(
        violation(&mut client, &masked).1,
        ProtocolError::Frame(FrameError::MaskedServerFrame)
    );
}

#[test]
fn messages_in_both_roles_any_split() {
    for role in ROLES {
        let mut bytes = frame(role, true, Opcode::Text, "héllo".as_bytes());
        bytes.extend(frame(role, false, Opcode::Binary, b"ab"));
        bytes.extend(frame(role, true, Opcode::Ping, b"p"));
        bytes.extend(frame(role, false, Opcode::Continuation, b"cd"));
        bytes.extend(frame(role, true, Opcode::Continuation, b"ef"));
        bytes.extend(frame(role, true, Opcode::Text, b""));
        let expected = [
            Event::Text("héllo".into()),
            Event::Ping(Bytes::from_static(b"p")),
            Event::Binary(Bytes::from_static(b"abcdef")),
            Event::Text("".into()),
        ];
        for split in 0..=bytes.len() {
            let mut conn = Connection::new(role, Config::new(), T0);
            let mut buf = BytesMut::from(&bytes[..split]);
            conn.receive(T0, &mut buf);
            buf.extend_from_slice(&bytes[split..]);
            conn.receive(T0, &mut buf);
            assert!(buf.is_empty());
            assert_eq!(events(&mut conn), expected, "{role:?} split at {split}");
        }
    }
}

#[test]
fn payloads_are_split_off_the_read_buffer_without_copying() {
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    let bytes = frame(Role::Server, true, Opcode::Binary, &[7; 1000]);
    let mut buf = BytesMut::from(&bytes[..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    conn.receive(T0, &mut buf);
    let Some(Event::Binary(payload)) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(payload.len(), 1000);
    assert!(
        range.contains(&(payload.as_ptr() as usize)),
        "the payload lives in the read buffer"
    );
}

#[test]
fn invalid_utf8_fails_with_1007_as_soon_as_it_arrives() {
    for role in ROLES {
        // A single frame whose first half is already invalid: refused before
        // the rest of it arrives (Autobahn 6.4.3/6.4.4).
        let text = frame(
            role,
            true,
            Opcode::Text,
            b"ok \xf4\x90\x80\x80 and more text",
        );
        let mut conn = Connection::new(role, Config::new(), T0);
        let header_len = if role == Role::Server { 6 } else { 2 };
        let (_, error) = violation(&mut conn, &text[..header_len + 6]);
        assert_eq!(error, ProtocolError::InvalidUtf8);
        assert_eq!(closed(&conn).code, CloseCode::INVALID_PAYLOAD);

        // Invalid in a middle fragment: refused before the final one.
        let mut conn = Connection::new(role, Config::new(), T0);
        let mut bytes = frame(role, false, Opcode::Text, "κό".as_bytes());
        bytes.extend(frame(role, false, Opcode::Continuation, b"\xce"));
        bytes.extend(frame(role, false, Opcode::Continuation, b"\xff"));
        assert_eq!(violation(&mut conn, &bytes).1, ProtocolError::InvalidUtf8);

        // Ending inside a code point is invalid too.
        let mut conn = Connection::new(role, Config::new(), T0);
        assert_eq!(
            violation(&mut conn, &frame(role, true, Opcode::Text, b"\xe2\x82")).1,
            ProtocolError::InvalidUtf8
        );

        // A code point split across fragments is fine.
        let mut conn = Connection::new(role, Config::new(), T0);
        let mut bytes = frame(role, false, Opcode::Text, b"\xe2\x82");
        bytes.extend(frame(role, true, Opcode::Continuation, b"\xac"));
        feed(&mut conn, &bytes);
        assert_eq!(events(&mut conn), [Event::Text("€".into())]);
    }
}

#[test]
fn message_size_limit_is_1009_across_fragments() {
    for role in ROLES {
        let config = Config::new().max_message_size(10);
        let mut conn = Connection::new(role, config, T0);
        let mut bytes = frame(role, false, Opcode::Binary, &[0; 6]);
        bytes.extend(frame(role, true, Opcode::Continuation, &[0; 5]));
        let error = violation(&mut conn, &bytes).1;
        assert_eq!(error, ProtocolError::MessageTooBig { len: 11, max: 10 });
        assert_eq!(
            error.to_string(),
            "message of 11 bytes or more exceeds the limit of 10 bytes"
        );
        assert_eq!(closed(&conn).code, CloseCode::MESSAGE_TOO_BIG);

        // The frame limit is decided on the header, before any payload.
        let mut conn = Connection::new(role, Config::new().max_frame_size(100), T0);
        let header = &frame(role, true, Opcode::Binary, &[0; 101])[..8];
        assert!(matches!(
            violation(&mut conn, header).1,
            ProtocolError::Frame(FrameError::FrameTooLarge { .. })
        ));
    }
}

#[test]
fn peer_close_is_echoed_and_completes_cleanly() {
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new(), T0);
        let mut bytes = frame(role, true, Opcode::Close, &close_payload(1001, b"bye"));
        bytes.extend(frame(role, true, Opcode::Text, b"after close: ignored"));
        feed(&mut conn, &bytes);
        // The end is reported at once, the reply still queued.
        assert_eq!(
            conn.poll_event(),
            Some(Event::Closed(CloseCode::GOING_AWAY))
        );
        let close = conn.closed().unwrap();
        assert_eq!(
            (close.code, close.reason.as_str(), close.clean),
            (CloseCode::GOING_AWAY, "bye", true)
        );
        assert!(conn.poll_event().is_none(), "data after close is ignored");
        assert!(matches!(conn.state(), State::CloseReceived(_)));
        assert_eq!(conn.send(Message::text("no")), Err(SendError::Closed));
        let written = frames_written(role, &transmitted(&mut conn));
        assert_eq!(
            written,
            [(Opcode::Close, true, 1001u16.to_be_bytes().to_vec())]
        );
        let closed = closed(&conn);
        assert_eq!(
            (closed.initiator, closed.code, closed.clean),
            (Initiator::Peer, CloseCode::GOING_AWAY, true)
        );
        assert_eq!(closed.reason, "bye");
        assert!(conn.is_finished());
    }
}

#[test]
fn empty_peer_close_is_echoed_empty() {
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    feed(&mut conn, &frame(Role::Server, true, Opcode::Close, b""));
    let ended = events(&mut conn);
    assert_eq!(ended, [Event::Closed(CloseCode::NO_STATUS)]);
    assert!(conn.closed().unwrap().clean);
    assert_eq!(
        frames_written(Role::Server, &transmitted(&mut conn)),
        [(Opcode::Close, true, vec![])]
    );
    assert_eq!(closed(&conn).code, CloseCode::NO_STATUS);
}

#[test]
fn invalid_close_frames() {
    for role in ROLES {
        for (payload, error, code) in [
            (
                vec![0x03],
                ProtocolError::Close(wscore::close::ClosePayloadError::OneByte),
                1002,
            ),
            (
                close_payload(1005, b""),
                ProtocolError::Close(wscore::close::ClosePayloadError::InvalidCode(
                    CloseCode::NO_STATUS,
                )),
                1002,
            ),
            (
                close_payload(999, b""),
                ProtocolError::Close(wscore::close::ClosePayloadError::InvalidCode(999.into())),
                1002,
            ),
            (
                close_payload(1000, b"\xff"),
                ProtocolError::Close(wscore::close::ClosePayloadError::InvalidReason),
                1007,
            ),
        ] {
            let mut conn = Connection::new(role, Config::new(), T0);
            assert_eq!(
                violation(&mut conn, &frame(role, true, Opcode::Close, &payload)).1,
                error
            );
            assert_eq!(closed(&conn).code.as_u16(), code);
            let written = frames_written(role, &transmitted(&mut conn));
            assert_eq!(&written[0].2[..2], &code.to_be_bytes());
        }
    }
}

#[test]
fn local_close_then_peer_reply() {
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new(), T0);
        conn.close(T0, CloseCode::NORMAL, "done").unwrap();
        assert!(matches!(conn.state(), State::CloseSent(sent) if sent.code == CloseCode::NORMAL));
        assert_eq!(conn.send(Message::binary(vec![1])), Err(SendError::Closed));
        // Closing again while closing is fine and sends nothing more.
        conn.close(T0, CloseCode::GOING_AWAY, "again").unwrap();
        let written = frames_written(role, &transmitted(&mut conn));
        assert_eq!(
            written,
            [(Opcode::Close, true, close_payload(1000, b"done"))]
        );
        // Messages still arriving before the peer's close are delivered.
        let mut bytes = frame(role, true, Opcode::Text, b"late but fine");
        bytes.extend(frame(role, true, Opcode::Close, &close_payload(1000, b"")));
        feed(&mut conn, &bytes);
        assert_eq!(events(&mut conn)[0], Event::Text("late but fine".into()));
        let closed = closed(&conn);
        assert_eq!(
            (closed.initiator, closed.code, closed.clean),
            (Initiator::Local, CloseCode::NORMAL, true)
        );
        // After closed: still fine.
        conn.close(T0, CloseCode::NORMAL, "").unwrap();
        assert!(conn.is_finished());
    }
}

#[test]
fn close_validates_code_and_reason() {
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    assert!(matches!(
        conn.close(T0, CloseCode::ABNORMAL, ""),
        Err(SendError::Close(_))
    ));
    let long = "x".repeat(124);
    assert!(matches!(
        conn.close(T0, CloseCode::NORMAL, &long),
        Err(SendError::Close(_))
    ));
    assert_eq!(
        conn.state(),
        &State::Open,
        "a refused close changes nothing"
    );
}

#[test]
fn close_timeout_ends_with_1006() {
    let mut conn = Connection::new(Role::Client, Config::new().close_timeout(Some(secs(5))), T0);
    conn.close(secs(1), CloseCode::NORMAL, "").unwrap();
    assert_eq!(conn.poll_timeout(), Some(secs(6)));
    conn.handle_timeout(secs(5));
    assert!(matches!(conn.state(), State::CloseSent(_)));
    conn.handle_timeout(secs(6));
    let closed = closed(&conn);
    assert_eq!((closed.code, closed.clean), (CloseCode::ABNORMAL, false));
    assert_eq!(
        closed.reason,
        "the peer did not answer our close frame (1000) in time"
    );
}

#[test]
fn eof_without_close_is_1006() {
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new(), T0);
        feed(&mut conn, &frame(role, true, Opcode::Text, b"hi"));
        conn.receive_eof();
        let closed = closed(&conn).clone();
        assert_eq!(
            (closed.initiator, closed.code, closed.clean),
            (Initiator::Peer, CloseCode::ABNORMAL, false)
        );
        let ended = events(&mut conn);
        assert_eq!(
            ended[0],
            Event::Text("hi".into()),
            "nothing accepted is lost"
        );
        assert_eq!(
            ended[1..],
            [Event::Closed(closed.code)],
            "then the end, once"
        );
        // EOF after a clean close changes nothing.
        let mut conn = Connection::new(role, Config::new(), T0);
        feed(&mut conn, &frame(role, true, Opcode::Close, b""));
        transmitted(&mut conn);
        conn.receive_eof();
        assert!(closed_clean(&conn));
    }
}

fn closed_clean(conn: &Connection) -> bool {
    matches!(conn.state(), State::Closed(Closed { clean: true, .. }))
}

#[test]
fn every_ping_is_answered_and_a_flood_is_bounded() {
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new(), T0);
        let mut bytes = frame(role, true, Opcode::Ping, b"1");
        bytes.extend(frame(role, true, Opcode::Ping, b"2"));
        feed(&mut conn, &bytes);
        conn.send(Message::text("queued before the pongs went out"))
            .unwrap();
        let written = frames_written(role, &transmitted(&mut conn));
        assert_eq!(written[0].0, Opcode::Text);
        assert_eq!(
            &written[1..],
            [
                (Opcode::Pong, true, b"1".to_vec()),
                (Opcode::Pong, true, b"2".to_vec())
            ]
        );
        assert_eq!(
            events(&mut conn),
            [
                Event::Ping(Bytes::from_static(b"1")),
                Event::Ping(Bytes::from_static(b"2"))
            ]
        );

        // 100 pings from a peer that does not read: at most 32 answers wait,
        // the last of them for the newest ping.
        let flood: Vec<u8> = (0..100u8)
            .flat_map(|i| frame(role, true, Opcode::Ping, &[i]))
            .collect();
        feed(&mut conn, &flood);
        let pongs = frames_written(role, &transmitted(&mut conn));
        assert_eq!(pongs.len(), 32);
        assert_eq!(pongs[0].2, [0]);
        assert_eq!(pongs[31].2, [99]);
    }
}

#[test]
fn auto_pong_can_be_turned_off() {
    let mut conn = Connection::new(Role::Server, Config::new().auto_pong(false), T0);
    feed(&mut conn, &frame(Role::Server, true, Opcode::Ping, b"1"));
    assert!(conn.poll_transmit().is_none());
    assert_eq!(events(&mut conn), [Event::Ping(Bytes::from_static(b"1"))]);
}

#[test]
fn sending_validates_and_fragments() {
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new().send_frame_size(4), T0);
        assert_eq!(
            conn.send(Message::ping(vec![0; 126])),
            Err(SendError::ControlTooLong(126))
        );
        conn.send(Message::text("abcdefghij")).unwrap();
        conn.send(Message::binary(Bytes::new())).unwrap();
        conn.send(Message::pong(Bytes::from_static(b"hb"))).unwrap();
        let written = frames_written(role, &transmitted(&mut conn));
        assert_eq!(
            written,
            [
                (Opcode::Text, false, b"abcd".to_vec()),
                (Opcode::Continuation, false, b"efgh".to_vec()),
                (Opcode::Continuation, true, b"ij".to_vec()),
                (Opcode::Binary, true, vec![]),
                (Opcode::Pong, true, b"hb".to_vec()),
            ]
        );
    }
}

#[test]
fn clients_mask_with_fresh_keys_and_never_touch_shared_payloads() {
    let mut conn = Connection::new(Role::Client, Config::new(), T0);
    let shared = Bytes::from(vec![0xab; 2000]);
    conn.send(Message::Binary(shared.clone())).unwrap();
    conn.send(Message::Binary(shared.clone())).unwrap();
    assert!(
        shared.iter().all(|&b| b == 0xab),
        "the caller's bytes are not masked in place"
    );
    let wire = transmitted(&mut conn);
    let key = |frame_start: usize| &wire[frame_start + 4..frame_start + 8];
    assert_ne!(key(0), key(2008), "every frame gets its own key");
    assert_eq!(frames_written(Role::Client, &wire)[1].2, vec![0xab; 2000]);
}

#[test]
fn slices_are_sent_as_messages_are() {
    for role in [Role::Server, Role::Client] {
        for frame_size in [16 << 20, 300] {
            let config = Config::new().send_frame_size(frame_size);
            let (mut by_message, mut by_slice) = (
                Connection::new(role, config, T0),
                Connection::new(role, config, T0),
            );
            for len in [0, 1, 16, 125, 126, 256, 257, 1000, 70_000] {
                let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let text = "é".repeat(len / 2);
                by_message.send(Message::binary(data.clone())).unwrap();
                by_message.send(Message::text(text.clone())).unwrap();
                by_slice.send_ref(MessageRef::Binary(&data)).unwrap();
                by_slice.send_ref(MessageRef::Text(&text)).unwrap();
            }
            let (expected, got) = (transmitted(&mut by_message), transmitted(&mut by_slice));
            assert_eq!(frames_written(role, &got), frames_written(role, &expected));
            if role == Role::Server {
                assert_eq!(got, expected);
            }
            by_slice.close(T0, CloseCode::NORMAL, "").unwrap();
            assert_eq!(
                by_slice.send_ref(MessageRef::Text("late")),
                Err(SendError::Closed)
            );
            assert_eq!(
                by_slice.send_ref(MessageRef::Binary(b"late")),
                Err(SendError::Closed)
            );
        }
    }
}

#[test]
fn backpressure_counts_queued_bytes() {
    let mut conn = Connection::new(Role::Server, Config::new().transmit_high_water(1000), T0);
    conn.send(Message::binary(vec![0; 600])).unwrap();
    assert!(!conn.is_transmit_full());
    conn.send(Message::binary(vec![0; 600])).unwrap();
    assert!(conn.is_transmit_full());
    assert_eq!(conn.transmit_len(), 1208);
    while conn.poll_transmit().is_some() {}
    assert_eq!(conn.transmit_len(), 0);
}

#[test]
fn keepalive_pings_and_idle_timeout() {
    let config = Config::new()
        .keepalive(Some(secs(10)))
        .idle_timeout(Some(secs(30)));
    let mut conn = Connection::new(Role::Server, config, T0);
    assert_eq!(conn.poll_timeout(), Some(secs(10)));
    conn.handle_timeout(secs(10));
    assert_eq!(
        frames_written(Role::Server, &transmitted(&mut conn)),
        [(Opcode::Ping, true, vec![])]
    );
    assert_eq!(conn.poll_timeout(), Some(secs(20)));
    // Hearing from the peer pushes both timers back.
    conn.receive(
        secs(15),
        &mut BytesMut::from(&frame(Role::Server, true, Opcode::Pong, b"")[..]),
    );
    assert_eq!(conn.poll_timeout(), Some(secs(25)));
    conn.handle_timeout(secs(25));
    conn.handle_timeout(secs(35));
    transmitted(&mut conn);
    conn.handle_timeout(secs(45));
    assert!(
        matches!(conn.state(), State::CloseSent(sent) if sent.code == CloseCode::GOING_AWAY),
        "idle for 30 s"
    );
    let written = frames_written(Role::Server, &transmitted(&mut conn));
    assert_eq!(
        written.last().unwrap().2,
        close_payload(1001, b"idle timeout: nothing heard for 30 s")
    );
}

#[test]
fn only_the_close_timeout_runs_by_default() {
    let conn = Connection::new(Role::Server, Config::new(), T0);
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn streaming_mode_hands_out_pieces_as_they_arrive() {
    for role in ROLES {
        let mut conn = Connection::new(role, Config::new().streaming(true).max_message_size(4), T0);
        let mut bytes = frame(role, false, Opcode::Text, "héllo".as_bytes());
        bytes.extend(frame(role, true, Opcode::Continuation, b" world"));
        let mut buf = BytesMut::new();
        let mut pieces = Vec::new();
        for chunk in bytes.chunks(5) {
            buf.extend_from_slice(chunk);
            conn.receive(T0, &mut buf);
            pieces.extend(events(&mut conn));
        }
        let mut text = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let Event::Fragment {
                text: is_text,
                data,
                fin,
            } = piece
            else {
                panic!("{piece:?}")
            };
            assert!(is_text);
            assert_eq!(*fin, i + 1 == pieces.len());
            text.extend_from_slice(data);
        }
        assert!(pieces.len() > 2, "pieces arrive before their frames end");
        assert_eq!(text, "héllo world".as_bytes(), "{role:?}");
    }
}

#[test]
fn streaming_still_validates_text() {
    let mut conn = Connection::new(Role::Server, Config::new().streaming(true), T0);
    assert_eq!(
        violation(
            &mut conn,
            &frame(Role::Server, true, Opcode::Text, b"a\xff")
        )
        .1,
        ProtocolError::InvalidUtf8
    );
}

#[test]
fn errors_name_the_rule() {
    let cases = [
        (
            ProtocolError::InvalidUtf8,
            "text message is not valid UTF-8 (RFC 6455 §8.1)",
        ),
        (
            ProtocolError::Frame(FrameError::UnmaskedClientFrame),
            "client frame is not masked (RFC 6455 §5.1)",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
    assert_eq!(
        SendError::Closed.to_string(),
        "cannot send: the connection is closing or closed"
    );
}

#[test]
fn vectored_view_and_partial_writes_across_chunks() {
    let mut conn = Connection::new(Role::Server, Config::new(), T0);
    conn.send(Message::text("small")).unwrap();
    conn.send(Message::binary(vec![9; 1000])).unwrap(); // large: its own chunk
    conn.send(Message::text("after")).unwrap();
    let mut slices = [std::io::IoSlice::new(&[]); 8];
    let mut transmit = conn.transmit();
    let count = transmit.chunks_vectored(&mut slices);
    assert!(count >= 3, "header+small, payload, then the rest");
    let expected: Vec<u8> = slices[..count]
        .iter()
        .flat_map(|s| s.iter().copied())
        .collect();
    assert_eq!(expected.len(), transmit.remaining());
    // Write it out in odd-sized pieces that end inside chunks.
    let mut written = Vec::new();
    while transmit.has_remaining() {
        let piece = transmit.copy_to_bytes(transmit.remaining().min(333));
        written.extend_from_slice(&piece);
    }
    assert_eq!(written, expected);
    assert_eq!(
        frames_written(Role::Server, &written)
            .iter()
            .map(|f| f.2.len())
            .collect::<Vec<_>>(),
        [5, 1000, 5]
    );
}

#[test]
fn a_message_sent_in_fragments_must_end_before_another_starts() {
    let mut sender = Connection::new(Role::Client, Config::new(), T0);
    let piece = |data: &'static [u8], fin| Message::Fragment {
        text: false,
        data: Bytes::from_static(data),
        fin,
    };
    sender.send(piece(b"ab", false)).unwrap();
    assert_eq!(
        sender.send(Message::text("x")),
        Err(SendError::FragmentsUnfinished)
    );
    assert_eq!(
        sender.send_ref(MessageRef::Binary(b"x")),
        Err(SendError::FragmentsUnfinished)
    );
    sender
        .send(Message::ping(Bytes::from_static(b"p")))
        .unwrap(); // control frames may interleave
    sender.send(piece(b"cd", true)).unwrap();
    sender.send(Message::text("after")).unwrap();

    let mut receiver = Connection::new(Role::Server, Config::new(), T0);
    let mut wire = BytesMut::new();
    while let Some(chunk) = sender.poll_transmit() {
        wire.extend_from_slice(&chunk);
    }
    receiver.receive(T0, &mut wire);
    assert_eq!(
        receiver.poll_event(),
        Some(Event::Ping(Bytes::from_static(b"p")))
    );
    assert_eq!(
        receiver.poll_event(),
        Some(Event::Binary(Bytes::from_static(b"abcd")))
    );
    assert!(matches!(receiver.poll_event(), Some(Event::Text(t)) if t.as_str() == "after"));
}
