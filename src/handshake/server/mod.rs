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

#[cfg(feature = "alloc")]
mod accept;
mod request;
#[cfg(feature = "alloc")]
mod response;

use core::time::Duration;

use super::{header_slots, HeaderBlock, HttpError, Limits, Parsed, Status};

#[cfg(feature = "alloc")]
pub use accept::{Accept, AcceptError, Accepted, Decision, Origins};
use request::Bootstrap;
pub use request::{Request, RequestError, RequestKind};
#[cfg(feature = "alloc")]
pub use response::Response;

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
        self.parse(buf, Bootstrap::Upgrade)
    }

    /// Reads a request that arrived over HTTP/2 or HTTP/3, whose WebSocket
    /// is an extended `CONNECT` (RFC 8441, RFC 9220): its head written as
    /// HTTP/1.1 (the `:authority` as `Host`; with the `http` feature,
    /// [`head`](super::http::head) writes it), and its `:protocol`
    /// pseudo-header apart, if it has one. Every request on such a
    /// connection goes through here, pages included: a plain `GET` is
    /// [`RequestKind::Http`]. The rules shared with HTTP/1.1 (version,
    /// subprotocols, extensions, origin) are checked by the same code and
    /// named by the same errors.
    ///
    /// ```
    /// use wscore::handshake::server::{Accept, RequestKind, ServerHandshake};
    /// use wscore::handshake::{Limits, Status};
    ///
    /// let head = b"CONNECT /chat HTTP/1.1\r\nhost: example.com\r\n\
    ///     sec-websocket-version: 13\r\nsec-websocket-protocol: chat\r\n\r\n";
    /// let mut handshake = ServerHandshake::new(Limits::default(), std::time::Duration::ZERO);
    /// let Ok(Status::Complete(request)) = handshake.receive_connect(head, Some("websocket")) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(request.kind(), RequestKind::WebSocket);
    /// let accepted = request.accept(&Accept::new().protocol("chat"))?;
    /// assert!(accepted.response().starts_with(b"HTTP/1.1 200 OK\r\n"));
    /// # Ok::<(), wscore::handshake::server::AcceptError>(())
    /// ```
    pub fn receive_connect<'b>(
        &mut self,
        buf: &'b [u8],
        protocol: Option<&'b str>,
    ) -> Result<Status<Request<'b>>, HttpError> {
        self.parse(buf, Bootstrap::Connect { protocol })
    }

    fn parse<'b>(
        &mut self,
        buf: &'b [u8],
        bootstrap: Bootstrap<'b>,
    ) -> Result<Status<Request<'b>>, HttpError> {
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
            bootstrap,
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
