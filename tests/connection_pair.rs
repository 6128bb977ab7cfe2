//! A client and a server `Connection` wired back to back: for any
//! interleaving of sends (every kind, every size, including empty and larger
//! than the frame size) and of read splits, every message arrives intact and
//! in order, and both sides end closed with the code the client chose. With
//! and without permessage-deflate, under any parameters.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use std::time::Duration;
use wscore::close::CloseCode;
use wscore::connection::{Closed, Config, Connection, Event, Message, State};
use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
use wscore::extensions::Agreed;
use wscore::Role;

const T0: Duration = Duration::ZERO;

#[derive(Clone, Debug)]
enum Op {
    /// The client (true) or server (false) sends.
    Send(bool, Message),
    /// Move up to this many written bytes from the client (true) or server.
    Pump(bool, usize),
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        ".{0,40}".prop_map(|s: String| Message::text(s)),
        // Repetitive text, which compresses well.
        ("[a-c]{1,4}", 0usize..500).prop_map(|(s, n): (String, usize)| Message::text(s.repeat(n))),
        prop::collection::vec(any::<u8>(), 0..3000).prop_map(Message::binary),
        prop::collection::vec(any::<u8>(), 0..=125).prop_map(Message::ping),
        prop::collection::vec(any::<u8>(), 0..=125).prop_map(Message::pong),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<bool>(), message()).prop_map(|(client, m)| Op::Send(client, m)),
        (any::<bool>(), 1usize..5000).prop_map(|(client, n)| Op::Pump(client, n)),
    ]
}

/// One direction of the wire: bytes written by one side, not yet read by the other.
struct Wire {
    written: Vec<u8>,
    read_buf: BytesMut,
}

struct Side {
    conn: Connection,
    wire: Wire,
    sent: Vec<Message>,
    received: Vec<Event>,
}

/// Agreed permessage-deflate parameters, and the sending threshold.
type Deflate = Option<(DeflateParams, usize)>;

fn deflate() -> impl Strategy<Value = Deflate> {
    proptest::option::of(
        (any::<[bool; 2]>(), 8u8..=15, 8u8..=15, 0usize..200).prop_map(
            |([server_nct, client_nct], server_bits, client_bits, threshold)| {
                let params = DeflateParams {
                    server_no_context_takeover: server_nct,
                    client_no_context_takeover: client_nct,
                    server_max_window_bits: server_bits,
                    client_max_window_bits: client_bits,
                };
                (params, threshold)
            },
        ),
    )
}

impl Side {
    fn new(role: Role, frame_size: usize, deflate: Deflate) -> Self {
        let mut conn = Connection::new(role, Config::new().send_frame_size(frame_size), T0);
        if let Some((params, threshold)) = deflate {
            conn.set_agreed(Agreed::with_deflate(
                params,
                DeflateConfig::new().threshold(threshold),
            ));
        }
        Self {
            conn,
            wire: Wire {
                written: Vec::new(),
                read_buf: BytesMut::new(),
            },
            sent: Vec::new(),
            received: Vec::new(),
        }
    }
}

/// Moves up to `max` bytes from `from`'s output into `to`'s input.
fn pump(from: &mut Side, to: &mut Side, max: usize) {
    while let Some(chunk) = from.conn.poll_transmit() {
        from.wire.written.extend_from_slice(&chunk);
    }
    let n = max.min(from.wire.written.len());
    to.wire.read_buf.extend_from_slice(&from.wire.written[..n]);
    from.wire.written.drain(..n);
    to.conn.receive(T0, &mut to.wire.read_buf);
    while let Some(event) = to.conn.poll_event() {
        if let Event::Closed(_) = event {
            let error = to.conn.closed().unwrap().error;
            assert_eq!(error, None, "no protocol error between two correct peers");
        }
        to.received.push(event);
    }
}

/// The data messages among events or sends, as (is_text, bytes).
fn data_of_events(events: &[Event]) -> Vec<(bool, Bytes)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) => Some((true, t.clone().into_bytes())),
            Event::Binary(b) => Some((false, b.clone())),
            _ => None,
        })
        .collect()
}

fn data_of_sends(messages: &[Message]) -> Vec<(bool, Bytes)> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::Text(t) => Some((true, t.clone().into_bytes())),
            Message::Binary(b) => Some((false, b.clone())),
            _ => None,
        })
        .collect()
}

fn pings_of_events(events: &[Event]) -> Vec<Bytes> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Ping(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn pings_of_sends(messages: &[Message]) -> Vec<Bytes> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::Ping(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn messages_arrive_intact_and_in_order(
        ops in prop::collection::vec(op(), 0..40),
        frame_size in prop_oneof![1usize..64, 64usize..4096],
        code in prop_oneof![Just(1000u16), Just(1001), Just(3000), Just(4999)],
        deflate in deflate(),
    ) {
        let mut client = Side::new(Role::Client, frame_size, deflate);
        let mut server = Side::new(Role::Server, frame_size, deflate);
        for op in ops {
            match op {
                Op::Send(true, m) => { client.conn.send(m.clone()).unwrap(); client.sent.push(m); }
                Op::Send(false, m) => { server.conn.send(m.clone()).unwrap(); server.sent.push(m); }
                Op::Pump(true, n) => pump(&mut client, &mut server, n),
                Op::Pump(false, n) => pump(&mut server, &mut client, n),
            }
        }
        client.conn.close(T0, CloseCode::from(code), "done").unwrap();
        for _ in 0..1000 {
            if client.conn.is_finished() && server.conn.is_finished() {
                break;
            }
            pump(&mut client, &mut server, usize::MAX);
            pump(&mut server, &mut client, usize::MAX);
        }
        prop_assert_eq!(data_of_events(&server.received), data_of_sends(&client.sent));
        prop_assert_eq!(data_of_events(&client.received), data_of_sends(&server.sent));
        prop_assert_eq!(pings_of_events(&server.received), pings_of_sends(&client.sent));
        prop_assert_eq!(pings_of_events(&client.received), pings_of_sends(&server.sent));
        for side in [&client, &server] {
            match side.conn.state() {
                State::Closed(Closed { code: c, clean: true, .. }) => prop_assert_eq!(c.as_u16(), code),
                other => prop_assert!(false, "not closed cleanly: {:?}", other),
            }
        }
    }
}
