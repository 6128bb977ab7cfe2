//! Drives a `Connection` with arbitrary bytes in arbitrary reads, mixed with
//! arbitrary API calls, and checks what must always hold.

use bytes::{Buf, Bytes, BytesMut};
use std::time::Duration;
use wscore::close::CloseCode;
use wscore::connection::{Config, Connection, Event, Message, State};
use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
use wscore::extensions::Agreed;
use wscore::Role;

const MAX_FRAME: u64 = 4096;
const MAX_MESSAGE: usize = 16384;

pub fn run(role: Role, data: &[u8]) {
    let [setup, deflate, ref data @ ..] = *data else {
        return;
    };
    let mut data = data;
    let config = Config::new()
        .max_frame_size(MAX_FRAME)
        .max_message_size(MAX_MESSAGE)
        .streaming(setup & 1 == 1)
        .send_frame_size(usize::from(setup >> 1) + 1)
        .keepalive(Some(Duration::from_millis(300)))
        .idle_timeout(Some(Duration::from_secs(1)));
    let mut conn = Connection::new(role, config, Duration::ZERO);
    // Bit 0: permessage-deflate agreed; the others pick its parameters.
    if deflate & 1 == 1 {
        let params = DeflateParams {
            server_no_context_takeover: deflate & 2 != 0,
            client_no_context_takeover: deflate & 4 != 0,
            server_max_window_bits: 8 + (deflate >> 3 & 7),
            client_max_window_bits: 15 - (deflate >> 5 & 7),
        };
        let config = DeflateConfig::new().threshold(usize::from(setup % 64));
        conn.set_agreed(Agreed::with_deflate(params, config));
    }
    let mut now = Duration::ZERO;
    let mut buf = BytesMut::new();
    let take = |data: &mut &[u8], n: usize| {
        let (head, rest) = data.split_at(n.min(data.len()));
        *data = rest;
        head.to_vec()
    };
    // The end comes out once, as the last event.
    let mut ended = false;
    let mut check_events = |conn: &mut Connection| {
        while let Some(event) = conn.poll_event() {
            assert!(!ended, "an event after the end: {event:?}");
            let len = match &event {
                Event::Text(text) => text.as_str().len(),
                Event::Binary(data) | Event::Fragment { data, .. } => data.len(),
                Event::Ping(data) | Event::Pong(data) => {
                    assert!(data.len() <= 125);
                    data.len()
                }
                Event::Closed(code) => {
                    ended = true;
                    assert_eq!(conn.closed().map(|closed| closed.code), Some(*code));
                    0
                }
            };
            assert!(len <= MAX_MESSAGE, "an event of {len} bytes");
        }
        ended
    };
    while let Some((&op, rest)) = data.split_first() {
        data = rest;
        let arg = usize::from(data.first().copied().unwrap_or(0));
        match op % 12 {
            0..=3 => {
                let bytes = take(&mut data, arg * 4 + 1);
                buf.extend_from_slice(&bytes);
                conn.receive(now, &mut buf);
                // Only the incomplete frame stays buffered, and it is bounded
                // by the frame limit checked on its header.
                assert!(
                    buf.len() <= 14 + MAX_FRAME as usize,
                    "buffered {}",
                    buf.len()
                );
            }
            4 => {
                let text = String::from_utf8_lossy(&take(&mut data, arg * 8)).into_owned();
                let _ = conn.send(Message::text(text));
            }
            5 => {
                let _ = conn.send(Message::binary(take(&mut data, arg * 16)));
            }
            6 => {
                let _ = conn.send(Message::ping(Bytes::from(take(&mut data, arg))));
            }
            7 => {
                let code = CloseCode::from(u16::from_be_bytes([setup, op]));
                let reason = String::from_utf8_lossy(&take(&mut data, arg)).into_owned();
                let _ = conn.close(now, code, &reason);
            }
            8 => while conn.poll_transmit().is_some() {},
            9 => {
                now += Duration::from_millis(arg as u64 * 10);
                conn.handle_timeout(now);
            }
            10 => {
                // A transport that takes only part of what is waiting, which
                // may end inside a chunk.
                let mut slices = [std::io::IoSlice::new(&[]); 64];
                let mut transmit = conn.transmit();
                let count = transmit.chunks_vectored(&mut slices);
                let gathered: usize = slices[..count].iter().map(|s| s.len()).sum();
                let pending = transmit.remaining();
                assert!(gathered <= pending && transmit.chunk().len() <= gathered);
                let written = (arg * 8).min(pending);
                transmit.advance(written);
                assert_eq!(conn.transmit_len(), pending - written);
            }
            _ => conn.receive_eof(),
        }
        let ended = check_events(&mut conn);
        // Once ended, the state is closed (or our close reply still waits).
        assert!(
            !ended || matches!(conn.state(), State::Closed(_) | State::CloseReceived(_)),
            "{:?}",
            conn.state()
        );
        if let Some(deadline) = conn.poll_timeout() {
            assert!(deadline >= Duration::ZERO);
        }
    }
    // End of file ends every connection, and the end is reported.
    conn.receive_eof();
    let ended = check_events(&mut conn);
    while conn.poll_transmit().is_some() {}
    assert!(ended, "the end was reported");
    assert!(conn.is_finished(), "{:?}", conn.state());
}
