//! Accepting a request: the application's choices, the `101` response and
//! what was agreed, or why it could not be accepted as asked.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::super::accept_key;
use super::super::header_list::Extension;
use super::super::http_writer::{HttpWriter, InvalidHeader};
use super::{Request, RequestError, Response};
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
    Respond(Response),
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
    /// The response to write to the client: `101 Switching Protocols`, or
    /// `200 OK` for an extended `CONNECT`, whose headers go out as the
    /// HTTP/2 or HTTP/3 response's (the `http` feature's
    /// `handshake::http::response` converts it).
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
        // A server never masks, so it needs no randomness.
        let connection = crate::connection::Connection::open(
            crate::Role::Server,
            config,
            now,
            None,
            self.agreed,
        );
        (self.response, connection)
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
            Self::Request(error) => error.response(),
            Self::OriginNotAllowed(_) => Response::new(403).body(&self.to_string()).to_bytes(),
            _ => Response::new(500)
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
            let name = Extension::parse(extension).name();
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
        let mut http = match key {
            Some(key) => {
                let mut http = HttpWriter::status(101);
                http.line("Upgrade", b"websocket");
                http.line("Connection", b"Upgrade");
                http.line("Sec-WebSocket-Accept", &accept_key(key));
                http
            }
            // An extended CONNECT is accepted by any 2xx; the stream is open.
            None => HttpWriter::status(200),
        };
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
}
