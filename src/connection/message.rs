//! What goes in and out of a connection: messages the application sends,
//! events it receives, and the zero-copy text type they share.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;

use crate::close::CloseCode;

/// UTF-8 text held in [`Bytes`]: received text is split off the read buffer
/// without copying.
///
/// Outside masking wscore uses only checked operations, so it cannot keep a
/// proof of validity alongside the bytes: [`as_str`](Self::as_str) checks
/// again, at SIMD speed (tens of GB/s). Call it once and keep the `&str`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Text from bytes, if they are UTF-8.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Self, Bytes> {
        match simdutf8::basic::from_utf8(&bytes) {
            Ok(_) => Ok(Self(bytes)),
            Err(_) => Err(bytes),
        }
    }

    /// Bytes already validated by the connection.
    pub(crate) const fn validated(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Constructed only from validated bytes: the empty fallback is never taken.
        simdutf8::basic::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying buffer.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Self(Bytes::from(text))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping; the peer answers with a pong carrying the same payload.
    Ping(Bytes),
    /// An unsolicited pong (a heartbeat that expects no answer).
    Pong(Bytes),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message. A `Vec<u8>` or a uniquely owned `Bytes` lets a
    /// client mask it in place instead of copying it.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// A ping with a payload of at most 125 bytes.
    pub fn ping(data: impl Into<Bytes>) -> Self {
        Self::Ping(data.into())
    }

    /// A pong with a payload of at most 125 bytes.
    pub fn pong(data: impl Into<Bytes>) -> Self {
        Self::Pong(data.into())
    }
}

/// The code and reason of a close frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, possibly empty.
    pub reason: Utf8Bytes,
}

/// Something the peer did, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A whole text message.
    Text(Utf8Bytes),
    /// A whole binary message.
    Binary(Bytes),
    /// A piece of a message, in streaming mode ([`Config::streaming`]):
    /// delivered as it arrives, so a message larger than memory can pass.
    ///
    /// [`Config::streaming`]: super::Config::streaming
    Fragment {
        /// Whether the message is text. Text pieces are validated, but a code
        /// point may be split between two pieces.
        text: bool,
        /// The bytes.
        data: Bytes,
        /// Whether this piece ends the message.
        fin: bool,
    },
    /// A ping. Unless automatic pongs are off, the answer is already queued.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The connection is over, with this close code: always the last
    /// event, delivered once. A close frame from the peer comes out as
    /// this, its reply already queued; so do a protocol error (after the
    /// messages before it), end of file and the close timeout.
    /// [`Connection::closed`](super::Connection::closed) says the rest:
    /// who ended it, the reason, the violation. Write what is still
    /// queued, then close the transport.
    ///
    /// (The details stay in the connection: an event that owned them would
    /// make every message's event larger, or costlier to drop.)
    Closed(CloseCode),
}
