//! The opening handshake (RFC 6455 §4): an HTTP/1.1 Upgrade.
//!
//! - [`server`]: parse a client's request into a borrowed [`Request`]
//!   view, check it, then accept (the `101` response) or reject (an HTTP
//!   error response with a one-line reason).
//! - [`client`] (needs `alloc`): build the request, then check the server's
//!   response.
//! - [`http`] (feature `http`): the same for a request another HTTP library
//!   parsed, as `http::Request` in and `http::Response` out.
//!
//! Both sides read the header block incrementally at a cost linear in the
//! bytes received, and report where it ends: whatever follows it belongs to
//! the WebSocket connection and must not be dropped.
//!
//! Parsing, validation and the accept key work without an allocator;
//! building requests and responses needs `alloc`.
//!
//! [`Request`]: server::Request

#[cfg(feature = "alloc")]
pub mod client;
mod header_list;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "alloc")]
mod http_writer;
pub mod server;

use core::mem::MaybeUninit;
use core::time::Duration;

use sha1::{Digest, Sha1};

use header_list::Split;

pub use header_list::{Extension, Params};
#[cfg(feature = "alloc")]
pub use http_writer::InvalidHeader;

/// The one WebSocket version RFC 6455 defines.
pub const VERSION: &str = "13";

/// The outcome of feeding bytes to a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// The header block is not complete yet: read more and call again with
    /// everything received so far.
    Partial,
    /// The header block is complete.
    Complete(T),
}

/// Limits on a handshake, the same for requests and responses: how large
/// its header block may be, and how long it may take.
///
/// The defaults take any request a browser sends, cookies included, and bound
/// what a peer can make the other side buffer, and for how long, before it
/// gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_header_block: usize,
    max_headers: usize,
    timeout: Option<Duration>,
}

impl Limits {
    /// The most header lines one message may carry; also the upper bound of
    /// [`Limits::max_headers`], since the headers are parsed into a fixed
    /// array without allocating.
    pub const MAX_HEADERS: usize = 64;

    /// 16 KiB of header block, [`Limits::MAX_HEADERS`] header lines, and
    /// 10 s to complete.
    ///
    /// Browsers send 400-600 bytes and about 15 lines, plus the site's
    /// cookies: 16 KiB is twice nginx's default line buffer (8 KiB) and takes
    /// a cookie jar several times larger than any common site's.
    ///
    /// A handshake is one round trip: a browser sends its request at once,
    /// a server answers at once. 10 s (Python `websockets`' `open_timeout`)
    /// allows for a slow mobile link and a busy server, and frees a socket
    /// that a silent or trickling peer holds four times sooner than
    /// gorilla's 45 s.
    pub const fn new() -> Self {
        Self {
            max_header_block: 16 << 10,
            max_headers: Self::MAX_HEADERS,
            timeout: Some(Duration::from_secs(10)),
        }
    }

    /// The largest header block accepted, in bytes, request line included;
    /// at most 64 KiB, so that header positions fit in 16 bits.
    pub const fn max_header_block(mut self, bytes: usize) -> Self {
        self.max_header_block = if bytes < u16::MAX as usize {
            bytes
        } else {
            u16::MAX as usize
        };
        self
    }

    /// The most header lines accepted, at most [`Limits::MAX_HEADERS`].
    pub const fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = if count < Self::MAX_HEADERS {
            count
        } else {
            Self::MAX_HEADERS
        };
        self
    }

    /// How long the whole handshake may take, from the moment the
    /// handshake object is made (the server: the connection was accepted;
    /// the client: the request was built); `None` for no deadline.
    pub const fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2):
/// base64 of the SHA-1 of the key followed by a fixed GUID.
///
/// ```
/// // The example from RFC 6455 §1.3.
/// let accept = wscore::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(&accept, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    let digest = Sha1::new().chain_update(key).chain_update(GUID).finalize();
    let mut accept = [0; 28];
    // 20 bytes always encode to exactly 28 base64 characters.
    let _ = base64_encode(&digest, &mut accept);
    accept
}

fn base64_encode(input: &[u8], output: &mut [u8]) -> Result<usize, base64::EncodeSliceError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode_slice(input, output)
}

/// Whether `key` is base64 for exactly 16 bytes (RFC 6455 §4.1), in the
/// canonical form: 22 characters of the alphabet then `==`, where the last
/// character carries 2 data bits and 4 zero bits (so it is `A`, `Q`, `g` or `w`).
fn is_valid_key(key: &[u8]) -> bool {
    let is_base64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    match key {
        [data @ .., last, b'=', b'='] if data.len() == 21 => {
            data.iter().all(is_base64) && matches!(last, b'A' | b'Q' | b'g' | b'w')
        }
        _ => false,
    }
}

/// Finds the end of an HTTP header block in `buf`, looking no earlier than
/// `from`: the index just past the blank line. Lines may end in CRLF or LF.
///
/// Each call looks only at bytes not seen before (plus two of overlap), so
/// feeding a header block in any number of reads costs time linear in its size.
fn find_header_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(2);
    let mut bytes = buf.iter().enumerate().skip(start);
    bytes.find_map(|(i, &byte)| {
        if byte != b'\n' {
            return None;
        }
        match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => Some(i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(i + 3),
            _ => None,
        }
    })
}

/// A header block scanner shared by both sides: finds the end of the block
/// incrementally and enforces the size limit and the deadline.
#[derive(Clone, Copy, Debug)]
struct HeaderBlock {
    limits: Limits,
    /// How far previous calls have looked for the end of the block.
    scanned: usize,
    /// When the handshake must be complete.
    deadline: Option<Duration>,
}

/// Why a header block could not be read as HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// The bytes are not valid HTTP/1.x; the text is httparse's description.
    Malformed(&'static str),
    /// The header block exceeded the size limit without ending.
    HeaderBlockTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The header block has more header lines than the limit.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The handshake did not complete within [`Limits::timeout`].
    Timeout {
        /// The limit.
        limit: Duration,
    },
    /// A TLS handshake arrived on a plain-text port.
    Tls,
    /// The HTTP/2 connection preface arrived where HTTP/1.1 was expected.
    Http2,
    /// Bytes that can never begin an HTTP/1.x request.
    NotHttp,
}

impl core::fmt::Display for HttpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "malformed HTTP: {what}"),
            Self::HeaderBlockTooLarge { limit } => {
                write!(f, "HTTP header block exceeds the limit of {limit} bytes")
            }
            Self::TooManyHeaders { limit } => {
                write!(f, "HTTP header block has more than {limit} header lines")
            }
            Self::Timeout { limit } => write!(
                f,
                "the handshake did not complete within {} s",
                limit.as_secs_f32()
            ),
            Self::Tls => f.write_str(
                "a TLS handshake on a plain-text port: the client is using wss:// or https://; \
                 connect with ws:// or http://, or put TLS in front of this server",
            ),
            Self::Http2 => f.write_str(
                "the HTTP/2 connection preface on an HTTP/1.1 port: \
                 the client must use HTTP/1.1 (or negotiate HTTP/2 with ALPN over TLS)",
            ),
            Self::NotHttp => f.write_str(
                "the first bytes are not an HTTP request line (METHOD /path HTTP/1.1): \
                 the client does not speak HTTP",
            ),
        }
    }
}

impl core::error::Error for HttpError {}

impl HeaderBlock {
    /// A block whose handshake started at `now`.
    fn new(limits: Limits, now: Duration) -> Self {
        Self {
            limits,
            scanned: 0,
            deadline: limits.timeout.map(|timeout| now.saturating_add(timeout)),
        }
    }

    /// The time limit, once `now` is at or past the deadline.
    fn expired(&self, now: Duration) -> Option<Duration> {
        self.limits
            .timeout
            .filter(|_| self.deadline.is_some_and(|deadline| now >= deadline))
    }

    /// The length of the header block at the start of `buf`, once complete.
    fn end(&mut self, buf: &[u8]) -> Result<Option<usize>, HttpError> {
        // The common case: the whole block arrived in one read, nothing after it.
        let end = if buf.ends_with(b"\r\n\r\n") && self.scanned == 0 {
            Some(buf.len())
        } else {
            find_header_end(buf, self.scanned)
        };
        self.scanned = buf.len();
        match end {
            Some(end) if end <= self.limits.max_header_block => Ok(Some(end)),
            None if buf.len() <= self.limits.max_header_block => Ok(None),
            _ => Err(HttpError::HeaderBlockTooLarge {
                limit: self.limits.max_header_block,
            }),
        }
    }

    /// Header slots for httparse, as many as the limit allows. Left
    /// uninitialised: httparse writes only those it fills.
    fn slots<'h, 'b>(
        &self,
        slots: &'h mut HeaderSlots<'b>,
    ) -> &'h mut [MaybeUninit<httparse::Header<'b>>] {
        let (slots, _) = slots.split_at_mut(self.limits.max_headers);
        slots
    }

    fn parse_error(&self, error: httparse::Error) -> HttpError {
        match error {
            httparse::Error::TooManyHeaders => HttpError::TooManyHeaders {
                limit: self.limits.max_headers,
            },
            other => HttpError::Malformed(describe(other)),
        }
    }
}

/// httparse's error descriptions, available without `std`.
fn describe(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status line",
        httparse::Error::Token => "invalid token in the request line",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "invalid HTTP version",
    }
}

/// Storage for httparse's header slots, on the stack for one parse.
type HeaderSlots<'b> = [MaybeUninit<httparse::Header<'b>>; Limits::MAX_HEADERS];

const fn header_slots<'b>() -> HeaderSlots<'b> {
    [const { MaybeUninit::uninit() }; Limits::MAX_HEADERS]
}

/// Where a header line's name and value sit in the header block.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    name: u16,
    name_len: u16,
    value: u16,
    value_len: u16,
}

/// A parsed header block: the block itself, borrowed from the read buffer,
/// and where each header line is in it. Positions instead of slices keep it
/// small (512 bytes for 64 lines), since it is moved into the request or
/// response handed to the application.
#[derive(Clone, Copy, Debug)]
struct Parsed<'b> {
    block: &'b [u8],
    spans: [Span; Limits::MAX_HEADERS],
    count: usize,
}

impl<'b> Parsed<'b> {
    /// `headers` must be slices of `block`, whose length fits in 16 bits.
    fn new(block: &'b [u8], headers: &[httparse::Header<'b>]) -> Self {
        let position = |part: &[u8]| {
            let offset = (part.as_ptr() as usize).wrapping_sub(block.as_ptr() as usize);
            u16::try_from(offset).unwrap_or(u16::MAX)
        };
        let mut spans = [Span::default(); Limits::MAX_HEADERS];
        for (span, header) in spans.iter_mut().zip(headers) {
            *span = Span {
                name: position(header.name.as_bytes()),
                name_len: header.name.len() as u16,
                value: position(header.value),
                value_len: header.value.len() as u16,
            };
        }
        Self {
            block,
            spans,
            count: headers.len().min(Limits::MAX_HEADERS),
        }
    }

    fn bytes(&self, start: u16, len: u16) -> &'b [u8] {
        let start = usize::from(start);
        self.block
            .get(start..start + usize::from(len))
            .unwrap_or_default()
    }

    /// Every header line in order, as raw name and value.
    fn raw_lines(&self) -> impl Iterator<Item = (&'b [u8], &'b [u8])> + '_ {
        let (spans, _) = self.spans.split_at(self.count);
        spans.iter().map(|span| {
            (
                self.bytes(span.name, span.name_len),
                self.bytes(span.value, span.value_len),
            )
        })
    }

    /// Every header line in order, as name and raw value.
    fn lines(&self) -> impl Iterator<Item = (&'b str, &'b [u8])> + '_ {
        // httparse accepts only token characters in names: always ASCII.
        self.raw_lines()
            .map(|(name, value)| (core::str::from_utf8(name).unwrap_or_default(), value))
    }

    /// The values of every line named `name`, ignoring ASCII case.
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'b [u8]> + 'a {
        let (spans, _) = self.spans.split_at(self.count);
        spans
            .iter()
            .filter(move |span| {
                self.bytes(span.name, span.name_len)
                    .eq_ignore_ascii_case(name.as_bytes())
            })
            .map(|span| self.bytes(span.value, span.value_len))
    }

    /// The first value of a header, by case-insensitive name.
    fn first(&self, name: &str) -> Option<&'b [u8]> {
        self.values(name).next()
    }

    /// The first value of a header, by case-insensitive name, if it is UTF-8.
    fn header(&self, name: &str) -> Option<&'b str> {
        self.first(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The items of a list-valued header across all of its lines (RFC 9110
    /// §5.6.1), trimmed, empty items skipped. Lines that are not UTF-8 hold no
    /// valid tokens and are skipped.
    fn list<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'b str> + 'a {
        self.values(name)
            .filter_map(|line| core::str::from_utf8(line).ok())
            .flat_map(|line| Split::new(line, b','))
    }

    /// Whether a list-valued header contains `token`, ignoring ASCII case.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name).any(|item| item.eq_ignore_ascii_case(token))
    }

    /// The number of bytes the header block took.
    fn len(&self) -> usize {
        self.block.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_end_found_in_any_split() {
        let request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nafter";
        for split in 0..=request.len() {
            let mut block = HeaderBlock::new(Limits::new(), Duration::ZERO);
            let first = block.end(&request[..split]).unwrap();
            let end = first.or_else(|| block.end(request).unwrap());
            assert_eq!(end, Some(request.len() - 5), "split at {split}");
        }
    }

    #[test]
    fn header_end_accepts_bare_lf() {
        assert_eq!(
            find_header_end(b"GET / HTTP/1.1\nHost: a\n\nx", 0),
            Some(24)
        );
        assert_eq!(
            find_header_end(b"GET / HTTP/1.1\nHost: a\n\r\nx", 0),
            Some(25)
        );
        assert_eq!(find_header_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0), None);
    }

    #[test]
    fn key_must_be_16_bytes_of_base64() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ")); // unpadded
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZXg=")); // 17 bytes
        assert!(!is_valid_key(b"c2hvcnQ=")); // 5 bytes
        assert!(!is_valid_key(b"!GhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZR==")); // non-zero padding bits
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=\n"));
    }

    /// The fast check agrees with a real base64 decode on every key shape.
    #[test]
    fn key_check_matches_decoding() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!";
        for last in alphabet {
            for pad in [b"==", b"=A", b"A="] {
                let mut key = *b"dGhlIHNhbXBsZSBub25jZQ==";
                key[21] = *last;
                key[22..].copy_from_slice(pad);
                let mut out = [0; 18];
                let decodes = matches!(engine.decode_slice(key, &mut out), Ok(16));
                assert_eq!(
                    is_valid_key(&key),
                    decodes,
                    "{}",
                    std::str::from_utf8(&key).unwrap()
                );
            }
        }
    }
}
