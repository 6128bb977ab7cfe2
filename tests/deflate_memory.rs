//! What permessage-deflate costs a connection once it is used, by what was
//! agreed: the numbers in the `extensions::deflate` docs.
//!
//! An endpoint with context takeover keeps its compressor (zlib-rs: about
//! 370 KiB at level 6 with a 32 KiB window) and, for a peer with context
//! takeover, an inflater (46 KiB) between messages. Without context
//! takeover it keeps neither: each message borrows them from the thread.

mod common;

use bytes::BytesMut;
use common::{json, transmitted};
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, Message};
use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
use wscore::extensions::Agreed;
use wscore::Role;

const T0: Duration = Duration::ZERO;
/// Enough that the thread's shared compressor and inflater, counted once,
/// weigh little per connection.
const CONNECTIONS: usize = 200;

/// permessage-deflate agreed with `server` and `client` no context
/// takeover as given, windows of 2^`window_bits`, and `config`.
fn deflate(no_context_takeover: (bool, bool), window_bits: u8, config: DeflateConfig) -> Agreed {
    let params = DeflateParams {
        server_no_context_takeover: no_context_takeover.0,
        client_no_context_takeover: no_context_takeover.1,
        server_max_window_bits: window_bits,
        client_max_window_bits: window_bits,
    };
    Agreed::with_deflate(params, config)
}

/// The heap each server connection keeps after it received one message
/// and sent one back, with `agreed` in force; checks that a client reads
/// such echoes back.
fn kept_per_connection(agreed: Agreed) -> usize {
    // 3 KiB of JSON, as the measurement echoed.
    let text = json(3 << 10, 1);
    // The client's compressed message, made once outside the measurement.
    let mut client = Connection::new(Role::Client, Config::new(), T0);
    client.set_agreed(agreed);
    client.send(Message::text(text.clone())).unwrap();
    let wire = transmitted(&mut client);
    let mut servers: Vec<Connection> = (0..CONNECTIONS)
        .map(|_| {
            let mut server = Connection::new(Role::Server, Config::new(), T0);
            server.set_agreed(agreed);
            server
        })
        .collect();
    let info = allocation_counter::measure(|| {
        for server in &mut servers {
            let mut buf = BytesMut::from(&wire[..]);
            server.receive(T0, &mut buf);
            let Some(Event::Text(received)) = server.poll_event() else {
                panic!("the message")
            };
            assert_eq!(received.as_str(), text);
            server.send(Message::Text(received)).unwrap();
            while server.poll_transmit().is_some() {}
        }
    });
    // One more server, its echoes read back by the client.
    let mut check = Connection::new(Role::Server, Config::new(), T0);
    check.set_agreed(agreed);
    check.receive(T0, &mut BytesMut::from(&wire[..]));
    assert!(matches!(check.poll_event(), Some(Event::Text(_))));
    for _ in 0..2 {
        check.send(Message::text(text.clone())).unwrap();
        client.receive(T0, &mut BytesMut::from(&transmitted(&mut check)[..]));
        assert!(matches!(client.poll_event(), Some(Event::Text(t)) if t.as_str() == text));
    }
    usize::try_from(info.bytes_current).unwrap() / CONNECTIONS
}

#[test]
fn without_context_takeover_a_connection_keeps_no_compression_state() {
    // What compression adds to a connection that sends and receives alike.
    let uncompressed = kept_per_connection(Agreed::default());
    let added = |nct| {
        kept_per_connection(deflate(nct, 15, DeflateConfig::new())).saturating_sub(uncompressed)
    };
    let (both, server_only, neither) = (
        added((false, false)),
        added((true, false)),
        added((true, true)),
    );
    println!(
        "compression adds per connection: context takeover both ways {} KiB, \
         the server without {} KiB, neither {} KiB (uncompressed: {} KiB)",
        both / 1024,
        server_only / 1024,
        neither / 1024,
        uncompressed / 1024
    );
    assert!(
        both > 300 << 10,
        "a compressor and an inflater each: {both}"
    );
    assert!(server_only < 64 << 10, "the inflater only: {server_only}");
    assert!(neither < 8 << 10, "nothing between messages: {neither}");
}

#[test]
fn a_smaller_window_and_memory_level_keep_less() {
    let uncompressed = kept_per_connection(Agreed::default());
    let small = deflate((false, false), 12, DeflateConfig::new().mem_level(5));
    let kept = kept_per_connection(small).saturating_sub(uncompressed);
    println!(
        "window 2^12, memory level 5: {} KiB per connection",
        kept / 1024
    );
    // 161 KiB of compressor and 46 KiB of inflater, against 417 KiB.
    assert!((150 << 10..260 << 10).contains(&kept), "{kept}");
}
