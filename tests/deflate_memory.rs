//! What permessage-deflate costs a connection once it is used, by what was
//! agreed and configured: the figures and the formula in the
//! `extensions::deflate` docs.
//!
//! With context takeover an endpoint keeps, by default, the last 4 KiB it
//! compressed (`Context::Recent`) and borrows a compressor per message; with
//! `Context::Compressor` it keeps its own (zlib-rs: about 370 KiB at level 6
//! with a 32 KiB window). For a peer with context takeover it keeps an
//! inflater (46 KiB). Without context takeover it keeps neither: each
//! message borrows them from the thread.

mod common;

use bytes::BytesMut;
use common::{json, transmitted};
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, Message};
use wscore::extensions::deflate::{Context, DeflateConfig, DeflateParams};
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

/// The heap compression adds to a connection that echoed one message,
/// against one without the extension.
fn added(no_context_takeover: (bool, bool), window_bits: u8, config: DeflateConfig) -> usize {
    let agreed = deflate(no_context_takeover, window_bits, config);
    kept_per_connection(agreed).saturating_sub(kept_per_connection(Agreed::default()))
}

const INFLATER: usize = 46 << 10;

#[test]
fn the_default_keeps_under_64_kib_and_no_context_takeover_nothing() {
    let default = DeflateConfig::new();
    let (both, server_only, neither) = (
        added((false, false), 15, default),
        added((true, false), 15, default),
        added((true, true), 15, default),
    );
    let dedicated = added((false, false), 15, default.context(Context::Compressor));
    println!(
        "compression adds per connection: context takeover both ways {} KiB \
         ({} KiB with a compressor of its own), the server without {} KiB, neither {} KiB",
        both / 1024,
        dedicated / 1024,
        server_only / 1024,
        neither / 1024,
    );
    assert!(both <= 64 << 10, "4 KiB of context and an inflater: {both}");
    assert!(
        dedicated > 300 << 10,
        "a compressor and an inflater: {dedicated}"
    );
    assert!(
        server_only < INFLATER + (2 << 10),
        "the inflater only: {server_only}"
    );
    assert!(neither < 2 << 10, "nothing between messages: {neither}");
}

/// The formula of the docs: min(n, 2^window) bytes of context for
/// `Context::Recent(n)`, on top of the inflater.
#[test]
fn recent_context_costs_what_it_keeps() {
    let inflater_only = added((true, false), 15, DeflateConfig::new());
    for (n, bits, kept) in [
        (1 << 10, 15, 1 << 10),
        (4 << 10, 15, 4 << 10),
        (16 << 10, 15, 16 << 10),
        (1 << 20, 15, 32 << 10),
        (16 << 10, 12, 4 << 10),
    ] {
        let config = DeflateConfig::new().context(Context::Recent(n));
        let with_context = added((false, false), bits, config);
        let context = with_context.saturating_sub(inflater_only);
        println!("Recent({n}) with 2^{bits}: {context} bytes of context");
        assert!(
            context.abs_diff(kept) < 1 << 10,
            "Recent({n}), 2^{bits}: {context} bytes, expected {kept}"
        );
    }
}

#[test]
fn a_smaller_window_and_memory_level_keep_less() {
    let config = DeflateConfig::new()
        .mem_level(5)
        .context(Context::Compressor);
    let kept = added((false, false), 12, config);
    println!(
        "window 2^12, memory level 5: {} KiB per connection",
        kept / 1024
    );
    // 161 KiB of compressor and 46 KiB of inflater, against 417 KiB.
    assert!((150 << 10..260 << 10).contains(&kept), "{kept}");
}
