//! Writing HTTP/1.1 heads: requests, `101` responses and rejections.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::header_list::is_token;

/// A header that cannot be written: its name is not a token or its value
/// contains CR, LF or NUL (which would let it split the message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidHeader {
    name: String,
}

impl InvalidHeader {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
        }
    }
}

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid header {:?}: names must be HTTP tokens and values must not contain CR, LF or NUL",
            self.name
        )
    }
}

impl core::error::Error for InvalidHeader {}

/// Builds an HTTP head line by line.
pub(crate) struct HttpWriter {
    buf: Vec<u8>,
}

impl HttpWriter {
    /// Starts a response.
    pub(crate) fn status(code: u16) -> Self {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(b"HTTP/1.1 ");
        push_decimal(&mut buf, code.into());
        buf.push(b' ');
        buf.extend_from_slice(reason_phrase(code).as_bytes());
        buf.extend_from_slice(b"\r\n");
        Self { buf }
    }

    /// Starts a GET request; the target must be a path and query, or a query
    /// alone (for the root path), without spaces or control characters.
    pub(crate) fn get(target: &str) -> Result<Self, InvalidHeader> {
        Self::request("GET", target)
    }

    /// Starts an extended CONNECT request, whose target is checked as
    /// [`get`](Self::get)'s.
    pub(crate) fn connect(target: &str) -> Result<Self, InvalidHeader> {
        Self::request("CONNECT", target)
    }

    fn request(method: &str, target: &str) -> Result<Self, InvalidHeader> {
        let valid_start = target.starts_with('/') || target.starts_with('?');
        if !valid_start || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(InvalidHeader::new(target));
        }
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(method.as_bytes());
        buf.push(b' ');
        if target.starts_with('?') {
            buf.push(b'/');
        }
        buf.extend_from_slice(target.as_bytes());
        buf.extend_from_slice(b" HTTP/1.1\r\n");
        Ok(Self { buf })
    }

    /// A header line built from trusted parts: constant names and values
    /// wscore produced itself (keys, tokens it checked).
    pub(crate) fn line(&mut self, name: &str, value: &[u8]) {
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b": ");
        self.buf.extend_from_slice(value);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub(crate) fn header(&mut self, name: &str, value: &str) -> Result<(), InvalidHeader> {
        self.header_list(name, &[value])
    }

    /// One header line whose value is `values` joined by ", ".
    pub(crate) fn header_list(&mut self, name: &str, values: &[&str]) -> Result<(), InvalidHeader> {
        let forbidden = |v: &&str| v.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if !is_token(name) || values.iter().any(forbidden) {
            return Err(InvalidHeader::new(name));
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b": ");
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.buf.extend_from_slice(b", ");
            }
            self.buf.extend_from_slice(value.trim().as_bytes());
        }
        self.buf.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Ends the head; nothing follows it.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(b"\r\n");
        self.buf
    }

    /// Ends the head with a body (a newline is added).
    pub(crate) fn finish_with_body(mut self, content_type: &str, text: &str) -> Vec<u8> {
        self.buf.extend_from_slice(b"Content-Type: ");
        self.buf.extend_from_slice(content_type.as_bytes());
        self.buf.extend_from_slice(b"\r\nContent-Length: ");
        push_decimal(&mut self.buf, text.len() as u64 + 1);
        self.buf.extend_from_slice(b"\r\n\r\n");
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.push(b'\n');
        self.buf
    }
}

/// Appends `n` in decimal, without going through a formatter.
fn push_decimal(buf: &mut Vec<u8>, n: u64) {
    let mut digits = [0; 20];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

/// The standard reason phrase for the statuses a WebSocket server answers
/// with; the phrase is optional in HTTP/1.1, so others get none.
pub(crate) fn reason_phrase(code: u16) -> &'static str {
    match code {
        101 => "Switching Protocols",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
