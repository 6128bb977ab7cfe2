//! What goes in and out of a connection: messages the application sends,
//! events it receives, and the zero-copy text type they share.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;

use crate::close::CloseCode;

/// UTF-8 text held in [`Bytes`]: received text is split off the read buffer
/// without copying.
///
/// Only valid UTF-8 can become one (validated once: by the connection as
/// the text arrives, by [`try_from_bytes`](Self::try_from_bytes), or by the
/// type of a `String` or `&str`), so [`as_str`](Self::as_str) costs nothing.
///
/// ```
/// use bytes::Bytes;
/// use wscore::connection::Utf8Bytes;
///
/// let text = Utf8Bytes::try_from_bytes(Bytes::from_static("κόσμε".as_bytes())).unwrap();
/// assert_eq!(text.as_str(), "κόσμε");
/// assert!(Utf8Bytes::try_from_bytes(Bytes::from_static(b"\xff")).is_err());
/// ```
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

    /// Bytes the connection's streaming validator accepted, every one of
    /// them, with no code point left open (`Utf8Validator::finish`). Debug
    /// builds (the fuzz targets among them) check it again.
    pub(crate) fn validated(bytes: Bytes) -> Self {
        debug_assert!(simdutf8::basic::from_utf8(&bytes).is_ok());
        Self(bytes)
    }

    /// The text, without validating it again.
    #[inline]
    #[allow(unsafe_code)]
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor of `Utf8Bytes` establishes that the
        // bytes are UTF-8, and the field is private and never mutated:
        // `try_from_bytes` validates; `From<String>` and `From<&str>` take
        // what the type system guarantees; `Default` is empty; `validated`
        // is called only with a message's bytes after the connection's
        // streaming validator accepted each of them and `finish` found no
        // code point left open (checked again under `debug_assert`).
        unsafe { core::str::from_utf8_unchecked(&self.0) }
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
    /// A piece of a message sent as it is produced, one frame per piece,
    /// never compressed; the piece with `fin` ends it. Pings and pongs may
    /// go between pieces, other messages may not. In streaming mode
    /// ([`Config::streaming`](super::Config::streaming)) the adapters
    /// deliver received pieces this way too.
    Fragment {
        /// Whether the message is text (read from its first piece). The
        /// pieces together must be UTF-8; a code point may be split
        /// between two.
        text: bool,
        /// The bytes.
        data: Bytes,
        /// Whether this piece ends the message.
        fin: bool,
    },
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

/// A text or binary message to send from borrowed bytes, with
/// [`Connection::send_ref`](super::Connection::send_ref): the bytes are
/// copied as they are framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str` trusts its constructors: each must hand over UTF-8 only,
    /// and the text must come back unchanged.
    #[test]
    fn every_constructor_gives_back_its_text() {
        let samples = ["", "ascii", "κόσμε", "𝄞 and \u{fffd}", "\u{10ffff}"];
        for sample in samples {
            let bytes = Bytes::copy_from_slice(sample.as_bytes());
            assert_eq!(
                Utf8Bytes::try_from_bytes(bytes.clone()).unwrap().as_str(),
                sample
            );
            assert_eq!(Utf8Bytes::from(String::from(sample)).as_str(), sample);
            assert_eq!(Utf8Bytes::from(sample).as_str(), sample);
            assert_eq!(Utf8Bytes::validated(bytes).as_str(), sample);
        }
        assert_eq!(Utf8Bytes::default().as_str(), "");
    }

    #[test]
    fn invalid_bytes_never_become_text() {
        for bad in [
            &b"\xff"[..],
            b"\xe2\x82",
            b"\xed\xa0\x80",
            b"ok\xc0\xaf",
            b"\xf4\x90\x80\x80",
        ] {
            let bytes = Bytes::copy_from_slice(bad);
            assert_eq!(Utf8Bytes::try_from_bytes(bytes.clone()), Err(bytes));
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic]
    fn debug_builds_check_what_the_connection_validated() {
        let _ = Utf8Bytes::validated(Bytes::from_static(b"\xff"));
    }
}
