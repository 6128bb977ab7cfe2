//! Why a peer's extension-encoded message was refused.

#[cfg(feature = "alloc")]
use alloc::string::String;
use core::fmt;

use crate::close::CloseCode;
use crate::frame::Opcode;

/// The peer broke permessage-deflate's rules, or sent a message that
/// inflates past the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompressionError {
    /// RSV1 (compressed) on a control frame, which is never compressed
    /// (§6.1): 1002.
    ControlFrame(Opcode),
    /// RSV1 on a continuation frame: only a message's first frame carries
    /// it (§6.1): 1002.
    Continuation,
    /// The payload is not valid DEFLATE data: 1007. zlib's description.
    Corrupt(&'static str),
    /// The message inflates to more than the limit: 1009.
    TooBig {
        /// The limit, the connection's maximum message size.
        max: usize,
    },
}

impl CompressionError {
    /// The close code sent to the peer.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::ControlFrame(_) | Self::Continuation => CloseCode::PROTOCOL_ERROR,
            Self::Corrupt(_) => CloseCode::INVALID_PAYLOAD,
            Self::TooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
        }
    }
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ControlFrame(opcode) => write!(
                f,
                "{opcode} frame has RSV1 (compressed) set: control frames are never compressed (RFC 7692 §6.1)"
            ),
            Self::Continuation => f.write_str(
                "continuation frame has RSV1 (compressed) set: only a message's first frame carries it (RFC 7692 §6.1)",
            ),
            Self::Corrupt(why) => write!(f, "compressed message is not valid DEFLATE data: {why}"),
            Self::TooBig { max } => write!(
                f,
                "compressed message inflates to more than the limit of {max} bytes"
            ),
        }
    }
}

impl core::error::Error for CompressionError {}

#[cfg(feature = "alloc")]
/// Why a permessage-deflate offer or response is refused: a server declines
/// such an offer (and may accept another); a client fails the handshake on
/// such a response (RFC 7692 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// A parameter RFC 7692 does not define, or not in this direction.
    UnknownParameter(String),
    /// A parameter given twice.
    DuplicateParameter(String),
    /// A parameter with a value it cannot have.
    InvalidValue {
        /// The parameter.
        param: String,
        /// Its value, or `None` where one is required.
        value: Option<String>,
    },
    /// The client asked for `server_no_context_takeover`; the server did not agree.
    ContextTakeoverKept,
    /// The client limited the server's window; the server did not agree.
    ServerWindowTooLarge {
        /// The client's limit.
        offered: u8,
        /// The server's answer, if any.
        got: Option<u8>,
    },
    /// The server set the client's window above the client's own limit.
    ClientWindowTooLarge {
        /// The client's limit.
        offered: u8,
        /// The server's answer.
        got: u8,
    },
    /// The extension appears more than once in the response.
    Repeated,
}

#[cfg(feature = "alloc")]
impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownParameter(param) => {
                write!(f, "parameter `{param}` is not defined here by RFC 7692")
            }
            Self::DuplicateParameter(param) => write!(f, "parameter `{param}` is given twice"),
            Self::InvalidValue { param, value: None } => {
                write!(f, "parameter `{param}` needs a value from 8 to 15")
            }
            Self::InvalidValue {
                param,
                value: Some(value),
            } => write!(f, "parameter `{param}` has invalid value {value:?}"),
            Self::ContextTakeoverKept => f.write_str(
                "server_no_context_takeover was asked for and the server did not agree to it",
            ),
            Self::ServerWindowTooLarge { offered, got: None } => write!(
                f,
                "server_max_window_bits={offered} was asked for and the server did not agree to it"
            ),
            Self::ServerWindowTooLarge {
                offered,
                got: Some(got),
            } => write!(
                f,
                "server_max_window_bits={got} exceeds the {offered} asked for"
            ),
            Self::ClientWindowTooLarge { offered, got } => write!(
                f,
                "client_max_window_bits={got} exceeds the client's limit of {offered}"
            ),
            Self::Repeated => f.write_str("the extension is agreed to more than once"),
        }
    }
}

#[cfg(feature = "alloc")]
impl core::error::Error for NegotiationError {}
