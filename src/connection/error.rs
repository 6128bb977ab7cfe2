//! Why a connection failed, and why a send was refused.

use core::fmt;

use crate::close::{CloseCode, ClosePayloadError};
use crate::extensions::CompressionError;
use crate::frame::FrameError;
use crate::random::RngUnavailable;
use crate::utf8::InvalidUtf8;

/// The peer broke the protocol or a limit. The connection has queued a
/// close frame with [`close_code`](Self::close_code) and is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame broke RFC 6455 §5 or the frame size limit.
    Frame(FrameError),
    /// A message grew past the size limit.
    MessageTooBig {
        /// The size it reached, counting the frame that crossed the limit.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A text message is not UTF-8.
    InvalidUtf8,
    /// A close frame's payload is invalid.
    Close(ClosePayloadError),
    /// A compressed message breaks permessage-deflate's rules or limit
    /// (only once it is agreed, which takes the `deflate` feature).
    Compression(CompressionError),
}

impl ProtocolError {
    /// The close code sent to the peer.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::Frame(error) => error.close_code(),
            Self::MessageTooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::Close(error) => error.close_code(),
            Self::Compression(error) => error.close_code(),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(error) => error.fmt(f),
            Self::MessageTooBig { len, max } => {
                write!(
                    f,
                    "message of {len} bytes or more exceeds the limit of {max} bytes"
                )
            }
            Self::InvalidUtf8 => InvalidUtf8.fmt(f),
            Self::Close(error) => error.fmt(f),
            Self::Compression(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for ProtocolError {}

impl From<CompressionError> for ProtocolError {
    fn from(error: CompressionError) -> Self {
        Self::Compression(error)
    }
}

impl From<FrameError> for ProtocolError {
    fn from(error: FrameError) -> Self {
        Self::Frame(error)
    }
}

impl From<InvalidUtf8> for ProtocolError {
    fn from(_: InvalidUtf8) -> Self {
        Self::InvalidUtf8
    }
}

impl From<ClosePayloadError> for ProtocolError {
    fn from(error: ClosePayloadError) -> Self {
        Self::Close(error)
    }
}

/// Why a message or close was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closing or closed: nothing more may be sent after
    /// a close frame (RFC 6455 §5.5.1).
    Closed,
    /// A whole message while one sent in fragments is unfinished: its
    /// last fragment (`fin`) must come first (RFC 6455 §5.4).
    FragmentsUnfinished,
    /// A ping or pong payload over 125 bytes.
    ControlTooLong(usize),
    /// An invalid close code or an overlong reason.
    Close(ClosePayloadError),
    /// No randomness for the client's mask key.
    Rng(RngUnavailable),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("cannot send: the connection is closing or closed"),
            Self::FragmentsUnfinished => f.write_str(
                "cannot send a message while one sent in fragments is unfinished: send its last fragment (fin) first (RFC 6455 §5.4)",
            ),
            Self::ControlTooLong(len) => write!(
                f,
                "cannot send a ping or pong of {len} bytes: control frames carry at most 125 (RFC 6455 §5.5)"
            ),
            Self::Close(error) => write!(f, "cannot close: {error}"),
            Self::Rng(error) => write!(f, "cannot send: {error}"),
        }
    }
}

impl core::error::Error for SendError {}

impl From<RngUnavailable> for SendError {
    fn from(error: RngUnavailable) -> Self {
        Self::Rng(error)
    }
}

impl From<ClosePayloadError> for SendError {
    fn from(error: ClosePayloadError) -> Self {
        Self::Close(error)
    }
}
