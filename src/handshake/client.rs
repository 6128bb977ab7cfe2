//! The client side of the opening handshake (RFC 6455 §4.1).
//!
//! ```
//! use wscore::handshake::client::ClientRequest;
//! use wscore::handshake::Status;
//!
//! let request = ClientRequest::from_url("ws://example.com:8080/chat?room=1")?.protocol("chat");
//! // `now`, a monotonic time from any origin, starts the handshake's deadline.
//! let now = std::time::Duration::ZERO;
//! let (bytes, mut handshake) = request.build(&mut wscore::random::OsRng, now)?;
//! assert!(bytes.starts_with(b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\n"));
//!
//! // The server's answer, here a proxy that did not pass the upgrade on:
//! let error = handshake.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "the server answered 200 OK instead of upgrading to WebSocket; \
//!      a reverse proxy may not be forwarding the Upgrade and Connection headers"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::header_list::{is_token, Extension};
use super::http_writer::{HttpWriter, InvalidHeader};
use super::{
    accept_key, base64_encode, header_slots, HeaderBlock, HttpError, Limits, Parsed, Status,
    VERSION,
};
use crate::connection::{Config, Connection};
use crate::extensions::{Agreed, Builtin, NegotiationError};
use crate::random::{Rng, RngUnavailable};
use core::time::Duration;

/// What to ask the server for: where to connect and what to offer.
#[derive(Clone, Debug)]
pub struct ClientRequest<'a> {
    host: &'a str,
    port: Option<u16>,
    secure: bool,
    target: &'a str,
    protocols: Vec<&'a str>,
    extensions: Vec<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
    limits: Limits,
    pub(crate) builtin: Builtin,
}

impl<'a> ClientRequest<'a> {
    /// A request for `target` (path and query, e.g. `/chat?room=1`) on
    /// `host`, a name or an address (an IPv6 address in brackets).
    pub fn new(host: &'a str, target: &'a str) -> Self {
        Self {
            host,
            port: None,
            secure: false,
            target,
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
            limits: Limits::new(),
            builtin: Builtin::default(),
        }
    }

    /// A request for a `ws://` or `wss://` URL.
    ///
    /// ```
    /// use wscore::handshake::client::ClientRequest;
    ///
    /// let request = ClientRequest::from_url("wss://[::1]/feed")?;
    /// assert_eq!((request.host(), request.port(), request.is_secure()), ("[::1]", 443, true));
    /// assert!(ClientRequest::from_url("http://example.com/").is_err());
    /// # Ok::<(), wscore::handshake::client::UrlError>(())
    /// ```
    pub fn from_url(url: &'a str) -> Result<Self, UrlError> {
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::NotAUrl)?;
        let secure = match scheme {
            s if s.eq_ignore_ascii_case("ws") => false,
            s if s.eq_ignore_ascii_case("wss") => true,
            _ => return Err(UrlError::Scheme),
        };
        if rest.contains('#') {
            return Err(UrlError::Fragment);
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let port_start = match authority.rfind(']') {
            Some(bracket) => authority[bracket..].find(':').map(|i| bracket + i),
            None => authority.find(':'),
        };
        let (host, port) = match port_start {
            Some(colon) => {
                let port = authority[colon + 1..].parse().map_err(|_| UrlError::Port)?;
                (&authority[..colon], Some(port))
            }
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        let target = match target {
            "" => "/",
            t => t,
        };
        let mut request = Self::new(host, target);
        request.port = port;
        request.secure = secure;
        Ok(request)
    }

    /// Connects to this port; the default is 80, or 443 for `wss://`.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Offers a subprotocol; offer several in order of preference.
    pub fn protocol(mut self, protocol: &'a str) -> Self {
        self.protocols.push(protocol);
        self
    }

    /// Offers an extension the application implements itself, with its
    /// parameters, e.g. `x-custom; level=2`.
    pub fn extension(mut self, extension: &'a str) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Adds a header, e.g. `Origin`, `Authorization` or `Cookie`.
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Limits on the server's response header block.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The host to connect to, as given (IPv6 addresses in brackets).
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.secure { 443 } else { 80 })
    }

    /// Whether the URL asked for TLS (`wss://`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// How long the handshake may take ([`Limits::timeout`]): adapters
    /// bound connecting (TCP, TLS) by it as well.
    pub fn timeout(&self) -> Option<Duration> {
        self.limits.timeout
    }

    /// Builds the request bytes and the handshake that checks the response,
    /// whose deadline ([`Limits::timeout`]) runs from `now`. The
    /// `Sec-WebSocket-Key` nonce comes from `rng`.
    pub fn build(
        &self,
        rng: &mut impl Rng,
        now: Duration,
    ) -> Result<(Vec<u8>, ClientHandshake), BuildError> {
        let mut nonce = [0; 16];
        rng.fill(&mut nonce)?;
        let mut key = [0; 24];
        // 16 bytes always encode to exactly 24 base64 characters.
        let _ = base64_encode(&nonce, &mut key);
        let key = core::str::from_utf8(&key).unwrap_or_default();
        self.write(Some(key), now)
    }

    /// Builds an extended `CONNECT` for HTTP/2 (RFC 8441) or HTTP/3 (RFC
    /// 9220), and the handshake that checks its response: the head written
    /// as HTTP/1.1 (`CONNECT`, the target, `Host` for the `:authority`, the
    /// same version, subprotocol and extension offers as [`build`](Self::build),
    /// no key). Send it with `:protocol websocket` and the URL's scheme
    /// (with the `http` feature, `handshake::http::connect_request` builds it as an `http::Request`);
    /// give the handshake the response, as HTTP/1.1 bytes
    /// (`handshake::http::head`). No randomness is needed: there is no key.
    pub fn build_connect(&self, now: Duration) -> Result<(Vec<u8>, ClientHandshake), BuildError> {
        self.write(None, now)
    }

    /// The request with `key` (an HTTP/1.1 upgrade) or without (an
    /// extended `CONNECT`), and its handshake.
    fn write(
        &self,
        key: Option<&str>,
        now: Duration,
    ) -> Result<(Vec<u8>, ClientHandshake), BuildError> {
        if let Some(bad) = self.protocols.iter().find(|p| !is_token(p)) {
            return Err(BuildError::InvalidProtocol((*bad).to_owned()));
        }
        let mut http = match key {
            Some(_) => HttpWriter::get(self.target)?,
            None => HttpWriter::connect(self.target)?,
        };
        match self.port {
            Some(port) => http.header("Host", &alloc::format!("{}:{port}", self.host))?,
            None => http.header("Host", self.host)?,
        }
        if let Some(key) = key {
            http.line("Upgrade", b"websocket");
            http.line("Connection", b"Upgrade");
            http.line("Sec-WebSocket-Key", key.as_bytes());
        }
        http.line("Sec-WebSocket-Version", VERSION.as_bytes());
        if !self.protocols.is_empty() {
            // Checked above to be tokens.
            http.header_list("Sec-WebSocket-Protocol", &self.protocols)?;
        }
        let offers = self.builtin.offers();
        let mut extensions = self.extensions.clone();
        extensions.extend(offers.iter().map(String::as_str));
        if !extensions.is_empty() {
            http.header_list("Sec-WebSocket-Extensions", &extensions)?;
        }
        for (name, value) in &self.headers {
            http.header(name, value)?;
        }
        let handshake = ClientHandshake {
            block: HeaderBlock::new(self.limits, now),
            accept: key.map(|key| accept_key(key.as_bytes())),
            protocols: self.protocols.iter().map(|p| (*p).to_owned()).collect(),
            extensions: extensions
                .iter()
                .map(|e| Extension::parse(e).name().to_owned())
                .collect(),
            builtin: self.builtin,
        };
        Ok((http.finish(), handshake))
    }
}

/// Why a URL is not one to connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// No `scheme://`.
    NotAUrl,
    /// A scheme other than `ws` or `wss`.
    Scheme,
    /// No host.
    NoHost,
    /// A port that is not a number from 0 to 65535.
    Port,
    /// A `#fragment`, which WebSocket URLs must not have.
    Fragment,
    /// `user:password@`, which WebSocket URLs do not carry.
    UserInfo,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAUrl => "not a URL: expected ws://host[:port]/path or wss://...",
            Self::Scheme => "unsupported URL scheme: use ws:// or wss://",
            Self::NoHost => "the URL has no host",
            Self::Port => "the URL's port is not a number from 0 to 65535",
            Self::Fragment => "WebSocket URLs must not have a #fragment (RFC 6455 §3)",
            Self::UserInfo => {
                "WebSocket URLs do not carry user:password@; send credentials in a header instead"
            }
        })
    }
}

impl core::error::Error for UrlError {}

/// Why a request could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A header name or value, or the target, could split the request.
    InvalidHeader(InvalidHeader),
    /// A subprotocol that is not an HTTP token.
    InvalidProtocol(String),
    /// No randomness for the key.
    Rng(RngUnavailable),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidHeader(error) => error.fmt(f),
            Self::InvalidProtocol(p) => write!(f, "subprotocol {p:?} is not a valid HTTP token"),
            Self::Rng(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for BuildError {}

impl From<InvalidHeader> for BuildError {
    fn from(error: InvalidHeader) -> Self {
        Self::InvalidHeader(error)
    }
}

impl From<RngUnavailable> for BuildError {
    fn from(error: RngUnavailable) -> Self {
        Self::Rng(error)
    }
}

/// Checks the server's response, in as many reads as it takes. The
/// response must be complete by [`poll_timeout`](Self::poll_timeout): arm a
/// timer and call [`handle_timeout`](Self::handle_timeout) when it fires.
/// Dropping it at any point is fine.
#[derive(Clone, Debug)]
pub struct ClientHandshake {
    block: HeaderBlock,
    /// The `Sec-WebSocket-Accept` expected; none for an extended `CONNECT`.
    accept: Option<[u8; 28]>,
    protocols: Vec<String>,
    extensions: Vec<String>,
    builtin: Builtin,
}

impl ClientHandshake {
    /// When the response must be complete, if there is a deadline.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.block.deadline
    }

    /// Checks the deadline at `now`: [`ResponseError::Timeout`] once it has
    /// passed.
    pub fn handle_timeout(&self, now: Duration) -> Result<(), ResponseError> {
        match self.block.expired(now) {
            Some(limit) => Err(ResponseError::Timeout(limit)),
            None => Ok(()),
        }
    }

    /// Reads the response from `buf`, which holds every byte received so far.
    pub fn receive<'b>(&mut self, buf: &'b [u8]) -> Result<Status<Accepted<'b>>, ResponseError> {
        // Refused from the first bytes: anything but "HTTP/" never becomes a response.
        let head = buf.get(..5).unwrap_or(buf);
        if !b"HTTP/".starts_with(head) {
            return Err(ResponseError::NotHttp {
                tls: matches!(head, [0x15 | 0x16, ..]),
            });
        }
        if self.block.end(buf)?.is_none() {
            return Ok(Status::Partial);
        }
        let mut slots = header_slots();
        let mut response = httparse::Response::new(&mut []);
        let config = httparse::ParserConfig::default();
        let len = match config.parse_response_with_uninit_headers(
            &mut response,
            buf,
            self.block.slots(&mut slots),
        ) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                return Err(HttpError::Malformed("incomplete response").into())
            }
            Err(error) => return Err(self.block.parse_error(error).into()),
        };
        let status = response.code.unwrap_or_default();
        let reason = response.reason.unwrap_or_default();
        let headers = Parsed::new(buf.get(..len).unwrap_or(buf), response.headers);
        // An extended CONNECT is opened by any 2xx (RFC 8441 §5), an
        // upgrade by 101 alone.
        let opened = match self.accept {
            Some(_) => status == 101,
            None => (200..300).contains(&status),
        };
        if !opened {
            return Err(ResponseError::NotUpgraded(Box::new(Refusal {
                status,
                reason: reason.to_owned(),
                headers: headers
                    .lines()
                    .map(|(name, value)| {
                        (name.to_owned(), String::from_utf8_lossy(value).into_owned())
                    })
                    .collect(),
                extended_connect: self.accept.is_none(),
            })));
        }
        if let Some(accept) = &self.accept {
            check_upgrade(&headers, accept)?;
        }
        let protocol = {
            let mut protocols = headers.list("sec-websocket-protocol");
            let first = protocols.next();
            if protocols.next().is_some() {
                return Err(ResponseError::SeveralProtocols);
            }
            first
        };
        if let Some(p) = protocol.filter(|p| !self.protocols.iter().any(|offered| offered == p)) {
            return Err(ResponseError::ProtocolNotOffered(p.to_owned()));
        }
        let mut agreed = Agreed::default();
        for extension in headers
            .list("sec-websocket-extensions")
            .map(Extension::parse)
        {
            let name = extension.name();
            if self
                .builtin
                .agree(&extension, &mut agreed)
                .map_err(ResponseError::Deflate)?
            {
                continue;
            }
            if !self
                .extensions
                .iter()
                .any(|offered| offered.eq_ignore_ascii_case(name))
            {
                return Err(ResponseError::ExtensionNotOffered(name.to_owned()));
            }
        }
        Ok(Status::Complete(Accepted {
            protocol,
            parsed: headers,
            agreed,
        }))
    }
}

/// The headers of a `101` that complete an HTTP/1.1 upgrade.
fn check_upgrade(headers: &Parsed<'_>, accept: &[u8; 28]) -> Result<(), ResponseError> {
    if !headers.has_token("upgrade", "websocket") {
        return Err(ResponseError::MissingUpgrade);
    }
    if !headers.has_token("connection", "upgrade") {
        return Err(ResponseError::MissingConnectionUpgrade);
    }
    let expected = || String::from_utf8_lossy(accept).into_owned();
    match headers.first("sec-websocket-accept") {
        Some(got) if got == accept => Ok(()),
        Some(got) => Err(ResponseError::AcceptMismatch {
            expected: expected(),
            got: String::from_utf8_lossy(got).into_owned(),
        }),
        None => Err(ResponseError::MissingAccept {
            expected: expected(),
        }),
    }
}

/// A server's successful response (`101`, or `200` to an extended
/// `CONNECT`), borrowed from the read buffer.
#[derive(Clone, Debug)]
pub struct Accepted<'b> {
    protocol: Option<&'b str>,
    parsed: Parsed<'b>,
    pub(crate) agreed: Agreed,
}

impl<'b> Accepted<'b> {
    /// The subprotocol the server selected, one the client offered.
    pub fn protocol(&self) -> Option<&'b str> {
        self.protocol
    }

    /// The extensions the server agreed to, all offered by the client.
    pub fn extensions(&self) -> impl Iterator<Item = Extension<'b>> + '_ {
        self.parsed
            .list("sec-websocket-extensions")
            .map(Extension::parse)
    }

    /// The first value of a header, by case-insensitive name, if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&'b str> {
        self.parsed.header(name)
    }

    /// Every header line in order, as name and raw value.
    pub fn headers(&self) -> impl Iterator<Item = (&'b str, &'b [u8])> + '_ {
        self.parsed.lines()
    }

    /// How many bytes of the buffer the response took. Bytes after it are
    /// the server's first frames and belong to the connection.
    pub fn header_len(&self) -> usize {
        self.parsed.len()
    }

    /// The client-side connection this response opens, masking with keys
    /// from [`ThreadRng`](crate::random::ThreadRng). Feed it the bytes
    /// after [`header_len`](Self::header_len) first: they are the server's
    /// first frames.
    #[cfg(feature = "std")]
    pub fn into_connection(self, config: Config, now: Duration) -> Connection {
        self.into_connection_with_rng(
            config,
            now,
            alloc::boxed::Box::new(crate::random::ThreadRng),
        )
    }

    /// [`into_connection`](Self::into_connection), masking with keys from
    /// `rng`: for targets without `std`.
    pub fn into_connection_with_rng(
        self,
        config: Config,
        now: Duration,
        rng: Box<dyn Rng + Send>,
    ) -> Connection {
        Connection::open(crate::Role::Client, config, now, Some(rng), self.agreed)
    }
}

/// A response other than `101 Switching Protocols` (or a `2xx` to an
/// extended `CONNECT`): what the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The header lines, as bounded as the header block ([`Limits`]).
    pub headers: Vec<(String, String)>,
    /// Whether the request was an extended `CONNECT` (HTTP/2, HTTP/3).
    pub extended_connect: bool,
}

impl Refusal {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why the server's response does not complete the handshake. Each message
/// names the cause in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The response is not valid HTTP or exceeds the limits.
    Http(HttpError),
    /// The server accepted the connection but did not answer the upgrade
    /// within [`Limits::timeout`].
    Timeout(Duration),
    /// The server's first bytes are not HTTP.
    NotHttp {
        /// Whether they are a TLS record: the server expects `wss://`.
        tls: bool,
    },
    /// The server answered with a status other than 101.
    NotUpgraded(Box<Refusal>),
    /// A 101 without `Upgrade: websocket`.
    MissingUpgrade,
    /// A 101 without `Connection: Upgrade`.
    MissingConnectionUpgrade,
    /// A 101 without `Sec-WebSocket-Accept`.
    MissingAccept {
        /// The value this request's key calls for.
        expected: String,
    },
    /// A `Sec-WebSocket-Accept` that does not match this request's key.
    AcceptMismatch {
        /// The value this request's key calls for.
        expected: String,
        /// The value received.
        got: String,
    },
    /// The server selected a subprotocol the client did not offer.
    ProtocolNotOffered(String),
    /// The server selected more than one subprotocol.
    SeveralProtocols,
    /// The server agreed to an extension the client did not offer.
    ExtensionNotOffered(String),
    /// The server's permessage-deflate response breaks RFC 7692 (only
    /// when offered, which takes the `deflate` feature).
    Deflate(NegotiationError),
}

impl From<HttpError> for ResponseError {
    fn from(error: HttpError) -> Self {
        Self::Http(error)
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(error) => write!(f, "invalid handshake response: {error}"),
            Self::Timeout(limit) => write!(
                f,
                "the server accepted the connection but did not answer the WebSocket upgrade \
                 within {} s; is it a WebSocket (or HTTP) server, and is it overloaded?",
                limit.as_secs_f32()
            ),
            Self::NotHttp { tls: true } => f.write_str(
                "the server answered with TLS: it expects wss:// (or https://) on this port",
            ),
            Self::NotHttp { tls: false } => f.write_str(
                "the server's answer is not HTTP: this port does not serve HTTP or WebSocket",
            ),
            Self::NotUpgraded(refusal) => refusal.fmt(f),
            Self::MissingUpgrade => f.write_str(
                "the server's 101 response lacks `Upgrade: websocket`; a proxy may be rewriting it",
            ),
            Self::MissingConnectionUpgrade => f.write_str(
                "the server's 101 response lacks `Connection: Upgrade`; a proxy may be rewriting it",
            ),
            Self::MissingAccept { expected } => write!(
                f,
                "the server's 101 response has no Sec-WebSocket-Accept (expected {expected}): it is not a WebSocket server"
            ),
            Self::AcceptMismatch { expected, got } => write!(
                f,
                "Sec-WebSocket-Accept is {got}, expected {expected}: the server did not answer this request's key"
            ),
            Self::ProtocolNotOffered(p) => write!(
                f,
                "the server selected subprotocol {p:?}, which this client did not offer"
            ),
            Self::SeveralProtocols => {
                f.write_str("the server selected more than one subprotocol; it must choose one")
            }
            Self::ExtensionNotOffered(e) => write!(
                f,
                "the server agreed to extension {e:?}, which this client did not offer"
            ),
            Self::Deflate(e) => write!(f, "the server's permessage-deflate response is invalid: {e}"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (status, reason) = (self.status, &self.reason);
        match status {
            200..=299 => write!(
                f,
                "the server answered {status} {reason} instead of upgrading to WebSocket; \
                 a reverse proxy may not be forwarding the Upgrade and Connection headers"
            ),
            300..=399 => match self.header("location") {
                Some(location) => write!(
                    f,
                    "the server redirected ({status} {reason}) to {location}; connect to that URL instead"
                ),
                None => write!(f, "the server redirected ({status} {reason}) without a Location"),
            },
            401 | 403 => write!(
                f,
                "rejected by the server: {status} {reason}; check the credentials, cookies or Origin it requires"
            ),
            404 => write!(f, "the server has no WebSocket endpoint at this path: {status} {reason}"),
            426 => match self.header("sec-websocket-version") {
                Some(versions) => write!(
                    f,
                    "the server wants WebSocket version {versions}, and this client speaks {VERSION}: {status} {reason}"
                ),
                None => write!(f, "the server requires an upgrade this client did not ask for: {status} {reason}"),
            },
            _ if self.extended_connect => write!(
                f,
                "the server answered {status} {reason} to the WebSocket's extended CONNECT \
                 instead of 200"
            ),
            _ => write!(
                f,
                "the server answered {status} {reason} instead of 101 Switching Protocols"
            ),
        }
    }
}

impl core::error::Error for ResponseError {}

impl ResponseError {
    /// The refusal, when the server answered with a status other than 101.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Self::NotUpgraded(refusal) => Some(refusal),
            _ => None,
        }
    }
}
