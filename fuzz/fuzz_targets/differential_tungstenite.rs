//! The same bytes into a wscore server connection and a tungstenite server:
//! the text and binary messages each delivers must agree. Where one stops
//! earlier, the reason must be one of the known, deliberate differences
//! listed in `explained`.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use std::io;
use std::time::Duration;
use wscore::connection::{Config, Connection, Event, ProtocolError};
use wscore::frame::FrameError;
use wscore::Role;

/// Replays the input and swallows what tungstenite writes back.
struct Replay<'a>(&'a [u8]);

impl io::Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl io::Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    conn.receive(Duration::ZERO, &mut BytesMut::from(data));
    let mut ours: Vec<(bool, Vec<u8>)> = Vec::new();
    let mut failure = None;
    while let Some(event) = conn.poll_event() {
        match event {
            Event::Text(text) => ours.push((true, text.as_bytes().to_vec())),
            Event::Binary(data) => ours.push((false, data.to_vec())),
            Event::Closed(_) => failure = conn.closed().and_then(|closed| closed.error),
            _ => {}
        }
    }

    let mut ws = tungstenite::WebSocket::from_raw_socket(
        Replay(data),
        tungstenite::protocol::Role::Server,
        None,
    );
    let mut theirs = Vec::new();
    let their_end = loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(text)) => theirs.push((true, text.as_bytes().to_vec())),
            Ok(tungstenite::Message::Binary(data)) => theirs.push((false, data.to_vec())),
            Ok(tungstenite::Message::Close(_)) => break None,
            Ok(_) => {}
            Err(error) => break Some(error),
        }
    };

    let common = ours.len().min(theirs.len());
    assert_eq!(
        ours[..common],
        theirs[..common],
        "the messages both delivered differ"
    );
    if ours.len() < theirs.len() {
        let error = failure.expect("wscore stopped early, so it must have failed");
        assert!(
            explained(&error),
            "wscore refused what tungstenite accepted: {error}"
        );
    }
    if theirs.len() < ours.len() {
        panic!("tungstenite refused what wscore accepted: {their_end:?}");
    }
});

/// What wscore refuses and tungstenite accepts, on purpose.
fn explained(error: &ProtocolError) -> bool {
    // Payload lengths not in their minimal encoding: RFC 6455 §5.2 requires
    // the minimal form; tungstenite does not check it. See src/frame.rs.
    matches!(error, ProtocolError::Frame(FrameError::NonMinimalLength(_)))
}
