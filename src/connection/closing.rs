//! Closing: the close handshake either side starts, failing the
//! connection on a violation, and the one report of its end.

use alloc::string::String;
use bytes::Bytes;

use super::{Closed, Connection, Event, Initiator, ProtocolError, SendError, State};
use crate::close::{encode_close_payload, parse_close_payload, CloseCode, MAX_REASON_LEN};
use crate::frame::Opcode;

impl Connection {
    /// Our reply to the peer's close is out: the end already reported
    /// becomes the state.
    pub(super) fn close_handshake_done(&mut self) {
        self.state = match core::mem::replace(&mut self.state, State::Open) {
            State::CloseReceived(closed) => State::Closed(closed),
            other => other,
        };
    }

    /// The connection is over: the state says so, and the last event
    /// reports it. Once only: a connection that already reported its end
    /// keeps it.
    pub(super) fn end(&mut self, closed: Closed) {
        if self.closed().is_some() {
            return;
        }
        self.events.push_back(Event::Closed(closed.code));
        self.state = State::Closed(closed);
    }

    /// The peer's close frame: reply (or complete our own close) and report it.
    pub(super) fn on_close(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        let received = parse_close_payload(payload)?;
        self.outgoing.cancel_pong();
        match &self.state {
            State::Open => {
                // Echo the code (RFC 6455 §5.5.1); the reason is ours to leave out.
                let reply = received.map(|(code, _)| (code, ""));
                let mut closed = Closed::by_peer(received);
                match self.send_close(reply) {
                    Ok(()) => {
                        // Reported now; closed for good once the reply is out.
                        self.events.push_back(Event::Closed(closed.code));
                        self.state = State::CloseReceived(closed);
                    }
                    // Without randomness a client cannot mask its reply: end
                    // here rather than leave the peer waiting for it.
                    Err(error) => {
                        closed.clean = false;
                        closed.reason = alloc::format!("{error}");
                        self.end(closed);
                    }
                }
            }
            State::CloseSent(sent) => {
                let closed = Closed {
                    initiator: Initiator::Local,
                    code: sent.code,
                    reason: String::from(sent.reason.as_str()),
                    clean: true,
                    error: None,
                };
                self.end(closed);
            }
            State::CloseReceived(_) | State::Closed(_) => {}
        }
        Ok(())
    }

    pub(super) fn send_close(&mut self, close: Option<(CloseCode, &str)>) -> Result<(), SendError> {
        let mut payload = [0; 125];
        let len = match close {
            Some((code, reason)) => encode_close_payload(code, reason, &mut payload)?,
            None => 0,
        };
        self.outgoing.cancel_pong();
        self.outgoing.control(
            Opcode::Close,
            Bytes::copy_from_slice(payload.get(..len).unwrap_or_default()),
        )
    }

    /// Fails the connection: queue a close frame with the error's code and close.
    pub(super) fn fail(&mut self, error: ProtocolError) {
        if self.closed().is_some() {
            return;
        }
        let reason = alloc::format!("{error}");
        if self.state == State::Open {
            // The reason tells the peer's developers what they broke. If even
            // this close frame cannot be sent, the transport closes anyway.
            let _ = self.send_close(Some((
                error.close_code(),
                truncate(&reason, MAX_REASON_LEN),
            )));
        }
        self.incoming.discard();
        self.end(Closed {
            initiator: Initiator::Local,
            code: error.close_code(),
            reason,
            clean: false,
            error: Some(error),
        });
    }
}

/// The longest prefix of `text` that fits in `max` bytes, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}
