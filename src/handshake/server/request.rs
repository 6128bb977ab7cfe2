//! A client's request as the application sees it, and what can be wrong
//! with it as an upgrade.

use core::fmt;

use super::super::header_list::{is_token, Extension};
use super::super::{is_valid_key, HttpError, Parsed, VERSION};

/// What a request asks for, so that a server that also serves pages can
/// decide in one match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// A plain HTTP request (a browser loading a page): no `Upgrade`
    /// header and no `Sec-WebSocket-*` header.
    Http,
    /// A request for a WebSocket (`Upgrade: websocket` or `Connection:
    /// upgrade`); [`Request::accept`] checks the rest.
    WebSocket,
    /// A WebSocket request whose upgrade was stripped on the way: it has
    /// `Sec-WebSocket-Key` or `Sec-WebSocket-Version` but neither upgrade
    /// header, or one of `Upgrade: websocket` and `Connection: upgrade`
    /// without the other, which is what a reverse proxy that does not
    /// forward hop-by-hop headers delivers. Never serve
    /// a page to it: answer with the error's response (426 naming the
    /// missing header), so the failure is named where it happens.
    StrippedUpgrade(RequestError),
}

/// A client's request, borrowed from the read buffer, for the application to
/// inspect before it accepts or rejects.
#[derive(Clone, Debug)]
pub struct Request<'b> {
    pub(super) method: &'b str,
    pub(super) target: &'b str,
    pub(super) minor_version: u8,
    pub(super) parsed: Parsed<'b>,
    pub(super) bootstrap: Bootstrap<'b>,
}

/// How the request asks for a WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bootstrap<'b> {
    /// HTTP/1.1: `GET` with `Upgrade: websocket`, answered `101`.
    Upgrade,
    /// HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220): an extended `CONNECT` whose
    /// `:protocol` pseudo-header names the protocol, answered `200`; the
    /// stream then carries the frames.
    Connect {
        /// The `:protocol` pseudo-header, if the request has one.
        protocol: Option<&'b str>,
    },
}

impl<'b> Request<'b> {
    /// The method, e.g. `GET`.
    pub fn method(&self) -> &'b str {
        self.method
    }

    /// The request target as sent: path and query, e.g. `/chat?room=1`.
    pub fn target(&self) -> &'b str {
        self.target
    }

    /// The path, without the query.
    pub fn path(&self) -> &'b str {
        self.target
            .split_once('?')
            .map_or(self.target, |(path, _)| path)
    }

    /// The query, without the `?`, if there is one.
    pub fn query(&self) -> Option<&'b str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The first value of a header, by case-insensitive name, if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&'b str> {
        self.parsed.header(name)
    }

    /// Every header line in order, as name and raw value.
    pub fn headers(&self) -> impl Iterator<Item = (&'b str, &'b [u8])> + '_ {
        self.parsed.lines()
    }

    /// The `Host` header.
    pub fn host(&self) -> Option<&'b str> {
        self.header("host")
    }

    /// The `Origin` header, which browsers always send: check it to refuse
    /// pages from other sites (cross-site WebSocket hijacking).
    pub fn origin(&self) -> Option<&'b str> {
        self.header("origin")
    }

    /// A cookie's value from the `Cookie` header lines.
    pub fn cookie(&self, name: &str) -> Option<&'b str> {
        self.parsed
            .values("cookie")
            .filter_map(|line| core::str::from_utf8(line).ok())
            .flat_map(|line| line.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find_map(|(key, value)| (key == name).then_some(value))
    }

    /// The subprotocols the client offers, in its order of preference.
    /// Entries that are not valid names (HTTP tokens) are skipped: no
    /// conforming client sends them, and none may be echoed back.
    pub fn protocols(&self) -> impl Iterator<Item = &'b str> + '_ {
        self.parsed
            .list("sec-websocket-protocol")
            .filter(|p| is_token(p))
    }

    /// The extensions the client offers, with their parameters.
    pub fn extensions(&self) -> impl Iterator<Item = Extension<'b>> + '_ {
        self.parsed
            .list("sec-websocket-extensions")
            .map(Extension::parse)
    }

    /// How many bytes of the buffer the request took. Bytes after it arrived
    /// early and belong to the WebSocket connection.
    pub fn header_len(&self) -> usize {
        self.parsed.len()
    }

    /// Whether the client asks for WebSocket at all (`Upgrade: websocket`,
    /// or over HTTP/2 and HTTP/3 `:protocol websocket`), valid or not; false
    /// for a plain HTTP request such as a browser loading a page.
    pub fn is_upgrade(&self) -> bool {
        match self.bootstrap {
            Bootstrap::Upgrade => self.parsed.has_token("upgrade", "websocket"),
            Bootstrap::Connect { protocol } => protocol.is_some_and(is_websocket),
        }
    }

    /// Whether the request is an extended `CONNECT` (HTTP/2 or HTTP/3, from
    /// [`ServerHandshake::receive_connect`](super::ServerHandshake::receive_connect)),
    /// accepted with `200` rather than `101`.
    pub fn is_extended_connect(&self) -> bool {
        matches!(self.bootstrap, Bootstrap::Connect { .. })
    }

    /// A plain HTTP request, a WebSocket request, or a WebSocket request
    /// whose upgrade headers were stripped on the way.
    ///
    /// ```
    /// use wscore::handshake::server::{RequestKind, ServerHandshake};
    /// use wscore::handshake::{Limits, Status};
    ///
    /// // What nginx forwards without `proxy_set_header Upgrade/Connection`.
    /// let read = b"GET /ws HTTP/1.1\r\nHost: example.com\r\n\
    ///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    /// let mut handshake = ServerHandshake::new(Limits::default(), std::time::Duration::ZERO);
    /// let Ok(Status::Complete(request)) = handshake.receive(read) else { unreachable!() };
    /// let RequestKind::StrippedUpgrade(error) = request.kind() else { unreachable!() };
    /// assert_eq!(error.status(), 426);
    /// assert!(error.to_string().contains("Upgrade and Connection headers"));
    /// ```
    pub fn kind(&self) -> RequestKind {
        match self.checked_key() {
            Err(RequestError::NotAnUpgrade | RequestError::NotExtendedConnect) => RequestKind::Http,
            Err(
                error @ (RequestError::StrippedUpgrade
                | RequestError::MissingUpgrade
                | RequestError::MissingConnectionUpgrade),
            ) => RequestKind::StrippedUpgrade(error),
            _ => RequestKind::WebSocket,
        }
    }

    /// Checks the request against RFC 6455 §4.2.1.
    pub fn check(&self) -> Result<(), RequestError> {
        self.checked_key().map(drop)
    }

    /// Checks the request and returns its `Sec-WebSocket-Key` (none for an
    /// extended `CONNECT`, which has no key).
    pub(super) fn checked_key(&self) -> Result<Option<&'b [u8]>, RequestError> {
        match self.bootstrap {
            Bootstrap::Upgrade => self.checked_upgrade().map(Some),
            Bootstrap::Connect { protocol } => self.checked_connect(protocol).map(|()| None),
        }
    }

    /// RFC 8441 §4-5 (RFC 9220 §3 for HTTP/3): `CONNECT` with `:protocol
    /// websocket`, an authority, version 13 as over HTTP/1.1, and no key.
    fn checked_connect(&self, protocol: Option<&str>) -> Result<(), RequestError> {
        if self.method != "CONNECT" {
            return Err(RequestError::NotExtendedConnect);
        }
        if !protocol.is_some_and(is_websocket) {
            return Err(RequestError::NotWebSocketProtocol);
        }
        if self.parsed.first("host").is_none() {
            return Err(RequestError::MissingHost);
        }
        check_version(self.parsed.first("sec-websocket-version"))?;
        match self.parsed.first("sec-websocket-key") {
            Some(_) => Err(RequestError::KeyInConnect),
            None => Ok(()),
        }
    }

    /// RFC 6455 §4.2.1, in one pass over the header lines: this runs on
    /// every connection, and looking each header up separately cost more
    /// than the SHA-1.
    fn checked_upgrade(&self) -> Result<&'b [u8], RequestError> {
        if self.method != "GET" {
            return Err(RequestError::NotGet);
        }
        // Upgrade and Connection hold bare tokens, never quoted strings, so
        // splitting the bytes at commas is exact.
        let has = |line: &[u8], token: &[u8]| {
            line.split(|&b| b == b',')
                .any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
        };
        let (mut upgrade, mut websocket, mut connection_upgrade, mut host) =
            (false, false, false, false);
        let (mut version, mut key) = (None, None);
        for (name, value) in self.parsed.raw_lines() {
            match name.len() {
                4 if name.eq_ignore_ascii_case(b"host") => host = true,
                7 if name.eq_ignore_ascii_case(b"upgrade") => {
                    upgrade = true;
                    websocket = websocket || has(value, b"websocket");
                }
                10 if name.eq_ignore_ascii_case(b"connection") => {
                    connection_upgrade = connection_upgrade || has(value, b"upgrade");
                }
                17 if name.eq_ignore_ascii_case(b"sec-websocket-key") => {
                    key = key.or(Some(value));
                }
                21 if name.eq_ignore_ascii_case(b"sec-websocket-version") => {
                    version = version.or(Some(value));
                }
                _ => {}
            }
        }
        match (upgrade, websocket, connection_upgrade) {
            (false, _, true) => return Err(RequestError::MissingUpgrade),
            (false, _, false) if version.is_some() || key.is_some() => {
                return Err(RequestError::StrippedUpgrade)
            }
            (false, _, false) => return Err(RequestError::NotAnUpgrade),
            (true, false, _) => return Err(RequestError::UpgradeNotWebSocket),
            (true, true, false) => return Err(RequestError::MissingConnectionUpgrade),
            (true, true, true) => {}
        }
        // After the upgrade headers: a proxy that drops them usually also
        // downgrades to HTTP/1.0, and the missing headers are the better clue.
        if self.minor_version < 1 {
            return Err(RequestError::OldHttpVersion);
        }
        if !host {
            return Err(RequestError::MissingHost);
        }
        check_version(version)?;
        match key {
            Some(key) if is_valid_key(key) => Ok(key),
            Some(_) => Err(RequestError::InvalidKey),
            None => Err(RequestError::MissingKey),
        }
    }
}

/// `:protocol` names WebSocket (a token: compared case-insensitively).
fn is_websocket(protocol: &str) -> bool {
    protocol.eq_ignore_ascii_case("websocket")
}

/// The one version of RFC 6455, over any HTTP.
fn check_version(version: Option<&[u8]>) -> Result<(), RequestError> {
    match version {
        Some(version) if version == VERSION.as_bytes() => Ok(()),
        Some(_) => Err(RequestError::UnsupportedVersion),
        None => Err(RequestError::MissingVersion),
    }
}

/// Why a request is not a valid WebSocket upgrade. Each has the HTTP status
/// to answer with and a one-line reason a person can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The method is not `GET`: 405.
    NotGet,
    /// HTTP/1.0: 400.
    OldHttpVersion,
    /// No `Host` header: 400.
    MissingHost,
    /// Neither `Upgrade` nor `Connection: Upgrade`: a plain HTTP request,
    /// often because a proxy dropped both headers. 426.
    NotAnUpgrade,
    /// Neither `Upgrade` nor `Connection: Upgrade`, but `Sec-WebSocket-Key`
    /// or `Sec-WebSocket-Version`: a WebSocket client's request whose
    /// upgrade a proxy removed. 426.
    StrippedUpgrade,
    /// `Connection: Upgrade` without an `Upgrade` header: 400.
    MissingUpgrade,
    /// An `Upgrade` header that does not name `websocket`: 400.
    UpgradeNotWebSocket,
    /// `Upgrade: websocket` without `Connection: Upgrade`: 400.
    MissingConnectionUpgrade,
    /// No `Sec-WebSocket-Version`: 426.
    MissingVersion,
    /// A `Sec-WebSocket-Version` other than 13: 426.
    UnsupportedVersion,
    /// No `Sec-WebSocket-Key`: 400.
    MissingKey,
    /// A `Sec-WebSocket-Key` that is not base64 of 16 bytes: 400.
    InvalidKey,
    /// Over HTTP/2 or HTTP/3, a request other than `CONNECT` (a plain
    /// request, such as a browser loading a page): 400.
    NotExtendedConnect,
    /// A `CONNECT` whose `:protocol` is missing or not `websocket`: 400.
    NotWebSocketProtocol,
    /// An extended `CONNECT` with a `Sec-WebSocket-Key`, which only the
    /// HTTP/1.1 upgrade has: 400.
    KeyInConnect,
}

const PROXY_HINT: &str =
    "if a reverse proxy is in front, it must forward the Upgrade and Connection headers";

impl RequestError {
    /// The HTTP status to reject the request with.
    pub const fn status(&self) -> u16 {
        match self {
            Self::NotGet => 405,
            Self::NotAnUpgrade
            | Self::StrippedUpgrade
            | Self::MissingVersion
            | Self::UnsupportedVersion => 426,
            _ => 400,
        }
    }

    /// Headers the rejection must carry besides the reason (RFC 6455 §4.4
    /// requires the supported version on a version mismatch).
    pub const fn headers(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::NotGet => &[("Allow", "GET")],
            Self::NotAnUpgrade | Self::StrippedUpgrade => {
                &[("Upgrade", "websocket"), ("Sec-WebSocket-Version", VERSION)]
            }
            Self::MissingVersion | Self::UnsupportedVersion => {
                &[("Sec-WebSocket-Version", VERSION)]
            }
            _ => &[],
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotGet => f.write_str("a WebSocket handshake must be a GET request (RFC 6455 §4.1)"),
            Self::OldHttpVersion => write!(
                f,
                "a WebSocket handshake needs HTTP/1.1 or later, this request is HTTP/1.0 (RFC 6455 §4.1); \
                 a reverse proxy in front must speak HTTP/1.1 to this server (nginx: proxy_http_version 1.1)"
            ),
            Self::MissingHost => f.write_str("missing Host header (RFC 6455 §4.1)"),
            Self::NotAnUpgrade => write!(
                f,
                "this endpoint only speaks WebSocket: missing `Upgrade: websocket`; {PROXY_HINT}"
            ),
            Self::StrippedUpgrade => write!(
                f,
                "a WebSocket request (it has Sec-WebSocket-Key) arrived without `Upgrade: websocket` \
                 and `Connection: Upgrade`: something on the way removed them; {PROXY_HINT} \
                 (nginx: proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\")"
            ),
            Self::MissingUpgrade => write!(f, "missing `Upgrade: websocket`; {PROXY_HINT}"),
            Self::UpgradeNotWebSocket => {
                f.write_str("the Upgrade header does not name websocket (RFC 6455 §4.1)")
            }
            Self::MissingConnectionUpgrade => write!(f, "missing `Connection: Upgrade`; {PROXY_HINT}"),
            Self::MissingVersion => {
                f.write_str("missing Sec-WebSocket-Version; this server speaks version 13 (RFC 6455 §4.1)")
            }
            Self::UnsupportedVersion => {
                f.write_str("unsupported Sec-WebSocket-Version; this server speaks version 13 (RFC 6455 §4.4)")
            }
            Self::MissingKey => f.write_str("missing Sec-WebSocket-Key (RFC 6455 §4.1)"),
            Self::InvalidKey => {
                f.write_str("Sec-WebSocket-Key is not base64 of 16 bytes (RFC 6455 §4.1)")
            }
            Self::NotExtendedConnect => f.write_str(
                "this endpoint only speaks WebSocket: over HTTP/2 and HTTP/3 a WebSocket is opened \
                 with an extended CONNECT and `:protocol websocket` (RFC 8441 §4, RFC 9220)",
            ),
            Self::NotWebSocketProtocol => f.write_str(
                "a CONNECT for a WebSocket must have the pseudo-header `:protocol websocket` \
                 (RFC 8441 §4)",
            ),
            Self::KeyInConnect => f.write_str(
                "an extended CONNECT has no Sec-WebSocket-Key: the key and its accept belong to \
                 the HTTP/1.1 upgrade only (RFC 8441 §5)",
            ),
        }
    }
}

impl core::error::Error for RequestError {}

impl HttpError {
    /// The HTTP status to reject such a request with: 431 for the size
    /// limits, 408 for the deadline, 400 otherwise.
    pub const fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) | Self::Tls | Self::Http2 | Self::NotHttp => 400,
            Self::HeaderBlockTooLarge { .. } | Self::TooManyHeaders { .. } => 431,
            Self::Timeout { .. } => 408,
        }
    }
}
