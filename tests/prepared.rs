//! Prepared messages: one payload, and where the settings allow one
//! compression, shared by many connections; each peer still reads the
//! message it was sent.

mod common;

use bytes::{Bytes, BytesMut};
use common::{events, json};
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, Message, Prepared, SendError};
use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
use wscore::extensions::Agreed;
use wscore::Role;

const T0: Duration = Duration::ZERO;

/// JSON that compresses, but not below the size that is sent apart from
/// its header rather than copied next to it.
fn news() -> String {
    json(8 << 10, 7)
}

fn params(no_context_takeover: bool, window_bits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: no_context_takeover,
        client_no_context_takeover: no_context_takeover,
        server_max_window_bits: window_bits,
        client_max_window_bits: window_bits,
    }
}

/// A sender and its peer, with permessage-deflate agreed as `params` if any.
fn pair(sender: Role, params: Option<DeflateParams>) -> (Connection, Connection) {
    let mut from = Connection::new(sender, Config::new(), T0);
    let mut to = Connection::new(sender.peer(), Config::new(), T0);
    if let Some(params) = params {
        let agreed = Agreed::with_deflate(params, DeflateConfig::new());
        from.set_agreed(agreed);
        to.set_agreed(agreed);
    }
    (from, to)
}

/// Everything `from` queued, as the chunks it hands out.
fn chunks(from: &mut Connection) -> Vec<Bytes> {
    std::iter::from_fn(|| from.poll_transmit()).collect()
}

/// What `to` makes of the chunks.
fn received(to: &mut Connection, chunks: &[Bytes]) -> Vec<Event> {
    let mut buf = BytesMut::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
    }
    to.receive(T0, &mut buf);
    events(to)
}

/// The address of the largest chunk: the payload, shared or not. The
/// chunks are kept alive by the caller, so that a freed allocation's
/// address cannot come back for another.
fn payload_address(chunks: &[Bytes]) -> usize {
    chunks.iter().max_by_key(|c| c.len()).unwrap().as_ptr() as usize
}

fn text_event(text: &str) -> Event {
    let Message::Text(text) = Message::text(text.to_owned()) else {
        unreachable!()
    };
    Event::Text(text)
}

#[test]
fn the_payload_is_shared_not_copied() {
    let text = news();
    let prepared = Prepared::text(text.clone());
    let mut addresses = Vec::new();
    let mut kept = Vec::new();
    for _ in 0..3 {
        let (mut server, mut client) = pair(Role::Server, None);
        server.send_prepared(&prepared).unwrap();
        let sent = chunks(&mut server);
        addresses.push(payload_address(&sent));
        assert_eq!(received(&mut client, &sent), [text_event(&text)]);
        kept.push(sent);
    }
    assert!(addresses.windows(2).all(|w| w[0] == w[1]), "{addresses:?}");
}

#[test]
fn without_context_takeover_it_is_compressed_once() {
    let text = news();
    let prepared = Prepared::text(text.clone());
    let mut addresses = Vec::new();
    let mut kept = Vec::new();
    for _ in 0..3 {
        let (mut server, mut client) = pair(Role::Server, Some(params(true, 15)));
        server.send_prepared(&prepared).unwrap();
        let sent = chunks(&mut server);
        assert!(
            sent.iter().map(Bytes::len).sum::<usize>() < text.len() / 2,
            "compressed"
        );
        addresses.push(payload_address(&sent));
        assert_eq!(received(&mut client, &sent), [text_event(&text)]);
        kept.push(sent);
        // The connection's own compression goes on as before.
        server.send(Message::text(text.clone())).unwrap();
        assert_eq!(
            received(&mut client, &chunks(&mut server)),
            [text_event(&text)]
        );
    }
    assert!(
        addresses.windows(2).all(|w| w[0] == w[1]),
        "one compression: {addresses:?}"
    );
}

#[test]
fn connections_whose_compression_differs_compress_their_own() {
    let text = news();
    let prepared = Prepared::text(text.clone());
    // Context takeover (twice), then a smaller window, then the shareable kind.
    let settings = [
        params(false, 15),
        params(false, 15),
        params(true, 10),
        params(true, 15),
    ];
    let mut addresses = Vec::new();
    let mut kept = Vec::new();
    for params in settings {
        let (mut server, mut client) = pair(Role::Server, Some(params));
        // A message before: with context takeover, the prepared one is
        // compressed against it.
        server.send(Message::text(text.clone())).unwrap();
        server.send_prepared(&prepared).unwrap();
        server.send(Message::text(text.clone())).unwrap();
        let events = received(&mut client, &chunks(&mut server));
        assert_eq!(
            events,
            [text_event(&text), text_event(&text), text_event(&text)]
        );
        let (mut server, _) = pair(Role::Server, Some(params));
        server.send_prepared(&prepared).unwrap();
        let sent = chunks(&mut server);
        addresses.push(payload_address(&sent));
        kept.push(sent);
    }
    let distinct: std::collections::HashSet<_> = addresses.iter().collect();
    assert_eq!(
        distinct.len(),
        addresses.len(),
        "each its own: {addresses:?}"
    );
}

#[test]
fn a_client_masks_its_own_copy() {
    let text = news();
    let prepared = Prepared::binary(Bytes::from(text.clone()));
    for params in [None, Some(params(true, 15))] {
        let (mut client, mut server) = pair(Role::Client, params);
        client.send_prepared(&prepared).unwrap();
        let events = received(&mut server, &chunks(&mut client));
        assert_eq!(events, [Event::Binary(Bytes::from(text.clone()))]);
    }
    assert_eq!(
        prepared.len(),
        text.len(),
        "the prepared payload is untouched"
    );
}

#[test]
fn prepared_messages_follow_the_sending_rules() {
    let prepared = Prepared::text("late");
    let (mut server, _) = pair(Role::Server, None);
    server
        .send(Message::Fragment {
            text: true,
            data: Bytes::from_static(b"a"),
            fin: false,
        })
        .unwrap();
    assert_eq!(
        server.send_prepared(&prepared),
        Err(SendError::FragmentsUnfinished)
    );
    server
        .close(T0, wscore::close::CloseCode::NORMAL, "")
        .unwrap();
    assert_eq!(server.send_prepared(&prepared), Err(SendError::Closed));
}
