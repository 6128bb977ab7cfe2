//! The server side of the opening handshake (RFC 6455 §4.2).
//!
//! ```
//! use wscore::handshake::server::{Accept, ServerHandshake};
//! use wscore::handshake::{Limits, Status};
//!
//! let read = b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n";
//! // `now` is a monotonic time from any origin: the handshake's deadline counts from it.
//! let now = std::time::Duration::ZERO;
//! let mut handshake = ServerHandshake::new(Limits::default(), now);
//! let Status::Complete(request) = handshake.receive(read)? else {
//!     unreachable!("the request is complete")
//! };
//! assert_eq!((request.path(), request.query()), ("/chat", Some("room=1")));
//! match request.accept(&Accept::new().protocol("chat")) {
//!     Ok(accepted) => {
//!         assert!(accepted.response().starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//!         assert_eq!(accepted.protocol(), Some("chat"));
//!         // Bytes after `request.header_len()` belong to the WebSocket connection.
//!     }
//!     // Not a valid upgrade: send the ready-made HTTP error response.
//!     Err(error) => drop(error.response()),
//! }
//! # Ok::<(), wscore::handshake::HttpError>(())
//! ```

use core::fmt;
use core::time::Duration;

use super::header_list::{is_token, Extension};
use super::{header_slots, is_valid_key, HeaderBlock, HttpError, Limits, Parsed, Status, VERSION};

#[cfg(feature = "alloc")]
pub use self::building::{Accept, AcceptError, Accepted, Decision, Origins, Reject};

/// Reads a client's opening handshake, in as many reads as it takes.
///
/// Give it everything received so far on each call; it looks only at the
/// new bytes for the end of the header block and parses the block once, so
/// the total cost is linear in the request's size however it is split.
/// Bytes that can never become an HTTP/1.x request (a TLS handshake, the
/// HTTP/2 preface, binary) are refused from the first read.
///
/// The request must be complete by [`poll_timeout`](Self::poll_timeout):
/// arm a timer for it and call [`handle_timeout`](Self::handle_timeout)
/// when it fires, so that a silent or trickling client cannot hold the
/// socket. Dropping the handshake at any point is fine.
#[derive(Clone, Debug)]
pub struct ServerHandshake {
    block: HeaderBlock,
}

impl ServerHandshake {
    /// A handshake that enforces `limits` on the request, for a connection
    /// accepted at `now` (a monotonic time from any fixed origin, as
    /// [`Connection`](crate::connection::Connection) takes).
    pub fn new(limits: Limits, now: Duration) -> Self {
        Self {
            block: HeaderBlock::new(limits, now),
        }
    }

    /// When the request must be complete, if there is a deadline.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.block.deadline
    }

    /// Checks the deadline at `now`: [`HttpError::Timeout`] once it has
    /// passed. Answer with its [`response`](HttpError::response) (408) or
    /// simply close the connection.
    pub fn handle_timeout(&self, now: Duration) -> Result<(), HttpError> {
        match self.block.expired(now) {
            Some(limit) => Err(HttpError::Timeout { limit }),
            None => Ok(()),
        }
    }

    /// Reads the request from `buf`, which holds every byte received so far.
    ///
    /// Any well-formed HTTP/1.x request comes back as a [`Request`], upgrade
    /// or not, so that a server can also answer plain HTTP on the same port;
    /// [`Request::kind`] tells them apart and [`Request::check`] says
    /// whether an upgrade is valid.
    pub fn receive<'b>(&mut self, buf: &'b [u8]) -> Result<Status<Request<'b>>, HttpError> {
        sniff_request(buf)?;
        if self.block.end(buf)?.is_none() {
            return Ok(Status::Partial);
        }
        let mut slots = header_slots();
        let mut request = httparse::Request::new(&mut []);
        let len = match request.parse_with_uninit_headers(buf, self.block.slots(&mut slots)) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                return Err(HttpError::Malformed("incomplete request"))
            }
            Err(error) => return Err(self.block.parse_error(error)),
        };
        Ok(Status::Complete(Request {
            method: request.method.unwrap_or_default(),
            target: request.path.unwrap_or_default(),
            minor_version: request.version.unwrap_or_default(),
            parsed: Parsed::new(buf.get(..len).unwrap_or(buf), request.headers),
        }))
    }
}

/// Refuses input that can never become an HTTP/1.x request, from its first
/// bytes rather than at the end of a header block that will never come.
/// Looks at the first 64 bytes at most, so it costs nothing per read.
fn sniff_request(buf: &[u8]) -> Result<(), HttpError> {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    // RFC 9112 §2.2: a server should ignore empty lines before the request line.
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let head = buf.get(start..).unwrap_or_default();
    let head = head.get(..64).unwrap_or(head);
    match head {
        // A TLS record of type handshake (22), protocol version 3.x.
        [0x16] | [0x16, 0x03, ..] => return Err(HttpError::Tls),
        // "PRI *" is no HTTP/1.1 request any server answers.
        [b'P', b'R', b'I', b' ', b'*', ..]
            if PREFACE.starts_with(head) || head.len() > PREFACE.len() =>
        {
            return Err(HttpError::Http2)
        }
        _ => {}
    }
    // The method: a token of at most 32 characters, then a space.
    for (i, &b) in head.iter().enumerate() {
        match b {
            b' ' if i > 0 => return Ok(()),
            _ if i < 32 && super::header_list::is_tchar(b) => {}
            _ => return Err(HttpError::NotHttp),
        }
    }
    Ok(())
}

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
    method: &'b str,
    target: &'b str,
    minor_version: u8,
    parsed: Parsed<'b>,
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

    /// Whether the client asks for WebSocket at all (`Upgrade: websocket`),
    /// valid or not; false for a plain HTTP request such as a browser
    /// loading a page.
    pub fn is_upgrade(&self) -> bool {
        self.parsed.has_token("upgrade", "websocket")
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
            Err(RequestError::NotAnUpgrade) => RequestKind::Http,
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

    /// Checks the request and returns its `Sec-WebSocket-Key`.
    ///
    /// One pass over the header lines: this runs on every connection, and
    /// looking each header up separately cost more than the SHA-1.
    fn checked_key(&self) -> Result<&'b [u8], RequestError> {
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
        match version {
            Some(version) if version == VERSION.as_bytes() => {}
            Some(_) => return Err(RequestError::UnsupportedVersion),
            None => return Err(RequestError::MissingVersion),
        }
        match key {
            Some(key) if is_valid_key(key) => Ok(key),
            Some(_) => Err(RequestError::InvalidKey),
            None => Err(RequestError::MissingKey),
        }
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

#[cfg(feature = "alloc")]
mod building {
    use alloc::borrow::ToOwned;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use core::fmt;

    use super::super::http_writer::{HttpWriter, InvalidHeader};
    use super::super::{accept_key, HttpError};
    use super::{Request, RequestError};
    use crate::extensions::{Agreed, Builtin};

    /// Which web pages may open a WebSocket here, judged by the `Origin`
    /// header browsers send with every WebSocket request.
    ///
    /// A page on another site can open a WebSocket to this server, and the
    /// browser sends this site's cookies along (cross-site WebSocket
    /// hijacking): a server that authenticates by cookie must refuse
    /// foreign origins. Clients that are not browsers send no `Origin` and
    /// are accepted under every policy; a browser cannot leave it out.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub enum Origins<'a> {
        /// The default: pages served by this host, whose origin's host and
        /// port equal the request's `Host` (what gorilla/websocket and
        /// coder/websocket check by default). Behind a reverse proxy that
        /// rewrites `Host`, list the public origins instead.
        #[default]
        SameHost,
        /// Exactly these origins, such as `https://app.example.com`
        /// (scheme, host, and port unless it is the default), compared
        /// without ASCII case.
        AllowList(&'a [&'a str]),
        /// Any origin: for public endpoints that rely on no cookies or
        /// other ambient credentials.
        Any,
    }

    impl Origins<'_> {
        /// Whether a request with this `Origin` and `Host` may upgrade.
        fn allow(&self, origin: &[u8], host: Option<&[u8]>) -> bool {
            match self {
                Self::Any => true,
                Self::AllowList(allowed) => allowed
                    .iter()
                    .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin)),
                Self::SameHost => {
                    // `scheme://host[:port]`; "null" (sandboxed pages, files) has no host.
                    let authority = origin
                        .windows(3)
                        .position(|w| w == b"://")
                        .and_then(|at| origin.get(at + 3..));
                    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
                }
            }
        }
    }

    /// How to accept a request: the subprotocol, extensions, the origins
    /// allowed and any extra response headers.
    #[derive(Clone, Debug, Default)]
    pub struct Accept<'a> {
        protocol: Option<&'a str>,
        extensions: Vec<&'a str>,
        headers: Vec<(&'a str, &'a str)>,
        origins: Origins<'a>,
        pub(crate) builtin: Builtin,
    }

    impl<'a> Accept<'a> {
        /// No subprotocol, no extensions, no extra headers.
        pub fn new() -> Self {
            Self::default()
        }

        /// Selects a subprotocol; it must be one the client offered.
        pub fn protocol(mut self, protocol: &'a str) -> Self {
            self.protocol = Some(protocol);
            self
        }

        /// Agrees to an extension the application implements itself, with
        /// the response parameters, e.g. `x-custom; level=2`. The client
        /// must have offered an extension of that name.
        pub fn extension(mut self, extension: &'a str) -> Self {
            self.extensions.push(extension);
            self
        }

        /// Adds a response header, e.g. `Set-Cookie`.
        pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
            self.headers.push((name, value));
            self
        }

        /// Which pages may open a WebSocket here; [`Origins::SameHost`]
        /// unless set. A refused origin gets `403` naming it.
        ///
        /// ```
        /// use wscore::handshake::server::{Accept, Origins};
        ///
        /// let accept = Accept::new().origins(Origins::AllowList(&["https://app.example.com"]));
        /// ```
        pub fn origins(mut self, origins: Origins<'a>) -> Self {
            self.origins = origins;
            self
        }
    }

    /// What an application decides about a request, for adapters that ask it.
    #[derive(Clone, Debug)]
    pub enum Decision<'a> {
        /// Upgrade, with these options.
        Accept(Accept<'a>),
        /// Answer with this HTTP response and close: a page, an error, a redirect.
        Respond(Reject),
    }

    /// An accepted handshake: the response to send and what was agreed.
    #[derive(Clone, Debug)]
    pub struct Accepted {
        response: Vec<u8>,
        protocol: Option<String>,
        header_len: usize,
        pub(crate) agreed: Agreed,
    }

    impl Accepted {
        /// The `101 Switching Protocols` response to write to the client.
        pub fn response(&self) -> &[u8] {
            &self.response
        }

        /// The response, owned.
        pub fn into_response(self) -> Vec<u8> {
            self.response
        }

        /// The agreed subprotocol.
        pub fn protocol(&self) -> Option<&str> {
            self.protocol.as_deref()
        }

        /// How many bytes of the read buffer the request took; what follows
        /// belongs to the connection.
        pub fn header_len(&self) -> usize {
            self.header_len
        }

        /// The response to write and the server-side connection it opens.
        /// Feed the connection the bytes after [`header_len`](Self::header_len)
        /// first: they arrived early and are its first frames.
        pub fn into_connection(
            self,
            config: crate::connection::Config,
            now: core::time::Duration,
        ) -> (Vec<u8>, crate::connection::Connection) {
            // A server never masks, so it never draws randomness.
            let rng = alloc::boxed::Box::new(NoRandomness);
            let connection = crate::connection::Connection::agreed(
                crate::Role::Server,
                config,
                now,
                rng,
                self.agreed,
            );
            (self.response, connection)
        }
    }

    /// The randomness of a server connection, which never asks for any.
    struct NoRandomness;

    impl crate::random::Rng for NoRandomness {
        fn fill(&mut self, _: &mut [u8]) -> Result<(), crate::random::RngUnavailable> {
            Err(crate::random::RngUnavailable)
        }
    }

    /// Why a request could not be accepted as asked.
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum AcceptError {
        /// The request is not a valid upgrade.
        Request(RequestError),
        /// The subprotocol chosen was not offered by the client.
        ProtocolNotOffered(String),
        /// An extension agreed to was not offered by the client.
        ExtensionNotOffered(String),
        /// A response header has an invalid name or value.
        InvalidHeader(InvalidHeader),
        /// A page from this origin may not open a WebSocket here
        /// ([`Accept::origins`]).
        OriginNotAllowed(String),
    }

    impl AcceptError {
        /// The response to send instead: the request's own error, or 500
        /// for a mistake on the server's side.
        pub fn response(&self) -> Vec<u8> {
            match self {
                Self::Request(error) => Reject::from(*error).to_bytes(),
                Self::OriginNotAllowed(_) => Reject::new(403).body(&self.to_string()).to_bytes(),
                _ => Reject::new(500)
                    .body("the server could not complete the WebSocket handshake")
                    .to_bytes(),
            }
        }
    }

    impl fmt::Display for AcceptError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Self::Request(error) => error.fmt(f),
                Self::ProtocolNotOffered(p) => {
                    write!(
                        f,
                        "cannot accept with subprotocol `{p}`: the client did not offer it"
                    )
                }
                Self::ExtensionNotOffered(e) => {
                    write!(
                        f,
                        "cannot accept extension `{e}`: the client did not offer it"
                    )
                }
                Self::InvalidHeader(error) => error.fmt(f),
                Self::OriginNotAllowed(origin) => write!(
                    f,
                    "a page from origin {origin} may not open a WebSocket on this server \
                     (its host differs from the Host requested, and it is not allowed explicitly)"
                ),
            }
        }
    }

    impl core::error::Error for AcceptError {}

    impl From<InvalidHeader> for AcceptError {
        fn from(error: InvalidHeader) -> Self {
            Self::InvalidHeader(error)
        }
    }

    impl Request<'_> {
        /// Accepts the request: checks it, checks that the subprotocol and
        /// extensions were offered, and builds the `101` response.
        pub fn accept(&self, accept: &Accept<'_>) -> Result<Accepted, AcceptError> {
            let key = self.checked_key().map_err(AcceptError::Request)?;
            if let Some(origin) = self.parsed.first("origin") {
                if !accept.origins.allow(origin, self.parsed.first("host")) {
                    let origin = String::from_utf8_lossy(origin).into_owned();
                    return Err(AcceptError::OriginNotAllowed(origin));
                }
            }
            if let Some(protocol) = accept.protocol {
                if !self.protocols().any(|offered| offered == protocol) {
                    return Err(AcceptError::ProtocolNotOffered(protocol.to_owned()));
                }
            }
            for extension in &accept.extensions {
                let name = super::Extension::parse(extension).name();
                if !self
                    .extensions()
                    .any(|offered| offered.name().eq_ignore_ascii_case(name))
                {
                    return Err(AcceptError::ExtensionNotOffered(name.to_owned()));
                }
            }
            let (agreed, responses) = accept.builtin.accept(self.extensions());
            let mut extensions = accept.extensions.clone();
            extensions.extend(responses.iter().map(String::as_str));
            let mut http = HttpWriter::status(101);
            http.line("Upgrade", b"websocket");
            http.line("Connection", b"Upgrade");
            http.line("Sec-WebSocket-Accept", &accept_key(key));
            if let Some(protocol) = accept.protocol {
                // A token: it was among the offered ones, which are all tokens.
                http.line("Sec-WebSocket-Protocol", protocol.as_bytes());
            }
            if !extensions.is_empty() {
                http.header_list("Sec-WebSocket-Extensions", &extensions)?;
            }
            for (name, value) in &accept.headers {
                http.header(name, value)?;
            }
            Ok(Accepted {
                response: http.finish(),
                protocol: accept.protocol.map(ToOwned::to_owned),
                header_len: self.header_len(),
                agreed,
            })
        }

        /// Rejects the request with a response of the application's own.
        pub fn reject(&self, reject: &Reject) -> Vec<u8> {
            reject.to_bytes()
        }
    }

    /// An HTTP error response: a status, headers, and a plain-text body.
    ///
    /// ```
    /// use wscore::handshake::server::Reject;
    ///
    /// let response = Reject::new(403).body("origin not allowed").to_bytes();
    /// assert!(response.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    /// assert!(response.ends_with(b"\r\n\r\norigin not allowed\n"));
    /// ```
    #[derive(Clone, Debug)]
    pub struct Reject {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        content_type: &'static str,
    }

    impl Reject {
        /// A response with this status and an empty body.
        pub fn new(status: u16) -> Self {
            Self {
                status,
                headers: Vec::new(),
                body: String::new(),
                content_type: "text/plain; charset=utf-8",
            }
        }

        /// A `200 OK` page: a server can answer plain HTTP requests on the
        /// same port as its WebSocket endpoint.
        ///
        /// ```
        /// use wscore::handshake::server::Reject;
        ///
        /// let page = Reject::html("<h1>hello</h1>").to_bytes();
        /// assert!(page.starts_with(b"HTTP/1.1 200 OK\r\n"));
        /// ```
        pub fn html(page: &str) -> Self {
            let mut reject = Self::new(200).body(page);
            reject.content_type = "text/html; charset=utf-8";
            reject
        }

        /// Adds a header. Headers with invalid names or values (which could
        /// split the response) are left out of [`Reject::to_bytes`].
        pub fn header(mut self, name: &str, value: &str) -> Self {
            self.headers.push((name.to_owned(), value.to_owned()));
            self
        }

        /// Sets the plain-text body; a newline is added.
        pub fn body(mut self, text: &str) -> Self {
            self.body = text.to_owned();
            self
        }

        /// The status.
        pub fn status(&self) -> u16 {
            self.status
        }

        /// The whole response. It closes the connection (`Connection: close`).
        pub fn to_bytes(&self) -> Vec<u8> {
            let mut http = HttpWriter::status(self.status);
            for (name, value) in &self.headers {
                // Only invalid headers fail; they are dropped as documented.
                let _ = http.header(name, value);
            }
            let _ = http.header("Connection", "close");
            http.finish_with_body(self.content_type, &self.body)
        }
    }

    impl From<RequestError> for Reject {
        fn from(error: RequestError) -> Self {
            let reject = Self::new(error.status()).body(&error.to_string());
            error
                .headers()
                .iter()
                .fold(reject, |reject, (name, value)| reject.header(name, value))
        }
    }

    impl From<HttpError> for Reject {
        fn from(error: HttpError) -> Self {
            Self::new(error.status()).body(&error.to_string())
        }
    }

    impl RequestError {
        /// The ready-to-send HTTP response: the status, required headers,
        /// and the reason as a one-line plain-text body.
        pub fn response(&self) -> Vec<u8> {
            Reject::from(*self).to_bytes()
        }
    }

    impl HttpError {
        /// The ready-to-send HTTP response: 400 or 431 with the reason.
        pub fn response(&self) -> Vec<u8> {
            Reject::from(*self).to_bytes()
        }
    }
}
