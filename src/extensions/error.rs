//! Why a peer's extension-encoded message was refused.

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
