//! Where a connection is in its life, and how it ended.

use alloc::string::String;

use super::{CloseFrame, ProtocolError};
use crate::close::CloseCode;

/// Where a connection is in its life; see the [module docs](super) for the
/// transitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent this close frame and wait for the peer's reply.
    CloseSent(CloseFrame),
    /// The peer sent a close frame; our reply is queued. How the
    /// connection ends is already decided.
    CloseReceived(Closed),
    /// The connection is over.
    Closed(Closed),
}

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    /// Who sent the first close frame (or failed the connection).
    pub initiator: Initiator,
    /// The code: the one in the first close frame, 1005 if it had none, or
    /// 1006 if the connection ended without a close handshake.
    pub code: CloseCode,
    /// The reason from the first close frame, or what went wrong.
    pub reason: String,
    /// Whether both sides exchanged close frames.
    pub clean: bool,
    /// The peer's protocol violation, if that is what ended it.
    pub error: Option<ProtocolError>,
}

impl Closed {
    /// An end without a close handshake (1006).
    pub(super) fn abnormal(initiator: Initiator, reason: String) -> Self {
        Self {
            initiator,
            code: CloseCode::ABNORMAL,
            reason,
            clean: false,
            error: None,
        }
    }

    /// The peer started the close handshake with this code and reason, or
    /// with a close frame that had none (1005).
    pub(super) fn by_peer(received: Option<(CloseCode, &str)>) -> Self {
        let (code, reason) = received.unwrap_or((CloseCode::NO_STATUS, ""));
        Self {
            initiator: Initiator::Peer,
            code,
            reason: String::from(reason),
            clean: true,
            error: None,
        }
    }
}

impl core::fmt::Display for Closed {
    /// One line for a log: how it ended and why.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let who = match (self.initiator, self.clean) {
            (_, false) if self.error.is_some() => "failed: the peer broke the protocol",
            (Initiator::Local, true) => "closed by us",
            (Initiator::Peer, true) => "closed by the peer",
            (_, false) => "ended without a close handshake",
        };
        write!(f, "{who}, code {}", self.code)?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

/// Which side started the end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    /// This endpoint: the application closed, a timeout expired, or the peer
    /// broke the protocol.
    Local,
    /// The peer sent a close frame, or the transport ended.
    Peer,
}
