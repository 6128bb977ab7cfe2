//! What the wscore adapters share, whatever their IO: the handshake drivers
//! that turn bytes read into a response and an open [`Connection`], how
//! long and how much a closing connection drains, and the error type they
//! report.
//!
//! An adapter feeds a driver each read until it completes, arming a timer
//! for its deadline; writes the response it is given; and from then on
//! drives the connection (see the `connection` module's docs for the
//! order).

use std::fmt;
use std::io;
use std::time::Duration;

use bytes::BytesMut;
use wscore::connection::{Closed, Config, Connection, ProtocolError, SendError};
use wscore::handshake::client::{
    BuildError, ClientHandshake, ClientRequest, ResponseError, UrlError,
};
use wscore::handshake::server::{
    AcceptError, Decision, RequestError, RequestKind, ServerHandshake,
};
use wscore::handshake::{HttpError, Limits, Status};
use wscore::random::OsRng;

pub use wscore::handshake::server::Request;

#[cfg(feature = "rustls")]
pub mod tls;

/// How much a handshake reads at a time.
pub const HANDSHAKE_READ: usize = 1024;

/// After a connection's last frame is written and its write side shut, how
/// long the adapter keeps reading (and discarding) before it drops the
/// socket. A socket closed with unread input answers with a reset, and a
/// peer's stack may then discard the close frame it has not read yet (RFC
/// 9112 §9.6): draining until the peer's end of file lets it read the
/// close frame and its reason. A well-behaved peer closes within a round
/// trip; a hostile one is cut off here.
pub const LINGER: Duration = Duration::from_secs(2);

/// The most bytes drained after the close, for the same reason as
/// [`LINGER`]: a peer that keeps sending gets this much time and room to
/// read the close frame, then the socket is dropped.
pub const LINGER_BYTES: usize = 4 << 20;

/// What a server does with a complete (or malformed) request.
#[derive(Debug)]
pub struct Answer {
    /// The bytes to write to the client: a `101`, or an HTTP response.
    pub response: Vec<u8>,
    /// The open connection and the bytes it has not taken yet, or why
    /// there is none.
    pub result: Result<(Connection, BytesMut), Error>,
}

/// The server side of the opening handshake, without IO: give it each read
/// until it answers.
pub struct Accepting<F> {
    handshake: ServerHandshake,
    received: Vec<u8>,
    decide: Option<F>,
    config: Config,
}

impl<F> Accepting<F>
where
    F: for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
{
    /// A handshake for a connection accepted at `now`; `decide` looks at
    /// the request and upgrades or answers it.
    pub fn new(config: Config, limits: Limits, decide: F, now: Duration) -> Self {
        Self {
            handshake: ServerHandshake::new(limits, now),
            received: Vec::with_capacity(HANDSHAKE_READ),
            decide: Some(decide),
            config,
        }
    }

    /// When the request must be complete.
    pub fn deadline(&self) -> Option<Duration> {
        self.handshake.poll_timeout()
    }

    /// Takes bytes read at `now`; `Some` once the request is answered.
    ///
    /// A malformed request gets its `400`/`431`; one whose upgrade headers
    /// were stripped on the way gets `426` naming them, whatever `decide`
    /// would have said, so that a page is never served in place of a
    /// WebSocket. Frames that arrived behind the request are already
    /// handed to the connection: the peer may send nothing more until they
    /// are answered.
    pub fn received(&mut self, bytes: &[u8], now: Duration) -> Option<Answer> {
        self.received.extend_from_slice(bytes);
        let request = match self.handshake.receive(&self.received) {
            Ok(Status::Partial) => return self.check_deadline(now),
            Ok(Status::Complete(request)) => request,
            Err(error) => {
                return Some(refuse(error.response(), HandshakeError::Http(error).into()))
            }
        };
        let decide = self.decide.take()?;
        Some(answer(&request, &self.received, decide, self.config, now))
    }

    /// Answers a request another HTTP library has read whole (hyper's, an
    /// HTTP/3 HEADERS frame), its head written as HTTP/1.1
    /// (`wscore::handshake::http::head`): `connect` is `None` for an
    /// HTTP/1.1 request, and for one over HTTP/2 or HTTP/3 its `:protocol`
    /// (see `ServerHandshake::receive_connect`). The same checks, `decide`
    /// and answers as [`received`](Self::received); the connection's clock
    /// starts at zero.
    pub fn whole(head: &[u8], connect: Option<Option<&str>>, config: Config, decide: F) -> Answer {
        // Read already: no deadline to keep.
        let mut handshake = ServerHandshake::new(Limits::new().timeout(None), Duration::ZERO);
        let parsed = match connect {
            None => handshake.receive(head),
            Some(protocol) => handshake.receive_connect(head, protocol),
        };
        match parsed {
            Ok(Status::Complete(request)) => answer(&request, head, decide, config, Duration::ZERO),
            Err(error) => refuse(error.response(), HandshakeError::Http(error).into()),
            // A head without its blank line: malformed, whatever wrote it.
            Ok(Status::Partial) => {
                let error = HttpError::Malformed("incomplete request");
                refuse(error.response(), HandshakeError::Http(error).into())
            }
        }
    }

    /// Checks the deadline at `now`: once it has passed, the `408` to send
    /// (or not: the socket may simply be dropped) and the error to report.
    pub fn check_deadline(&self, now: Duration) -> Option<Answer> {
        let error = self.handshake.handle_timeout(now).err()?;
        Some(refuse(error.response(), HandshakeError::Http(error).into()))
    }

    /// The client hung up before its request was complete.
    pub fn eof(&self) -> Error {
        eof_during_handshake(&self.received)
    }
}

/// The answer to a complete `request`, read from `received` (whose bytes
/// after the request belong to the connection): `426` for a stripped
/// upgrade whatever `decide` says, else what `decide` says.
fn answer<F>(
    request: &Request<'_>,
    received: &[u8],
    decide: F,
    config: Config,
    now: Duration,
) -> Answer
where
    F: for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
{
    if let RequestKind::StrippedUpgrade(error) = request.kind() {
        return refuse(error.response(), HandshakeError::Request(error).into());
    }
    let accept = match decide(request) {
        Decision::Respond(response) => {
            return refuse(response.to_bytes(), Error::Responded(response.status()))
        }
        Decision::Accept(accept) => accept,
    };
    match request.accept(&accept) {
        Err(error) => refuse(error.response(), HandshakeError::Accept(error).into()),
        Ok(accepted) => {
            let mut leftover =
                BytesMut::from(received.get(accepted.header_len()..).unwrap_or_default());
            let (response, mut connection) = accepted.into_connection(config, now);
            connection.receive(now, &mut leftover);
            Answer {
                response,
                result: Ok((connection, leftover)),
            }
        }
    }
}

fn refuse(response: Vec<u8>, error: Error) -> Answer {
    Answer {
        response,
        result: Err(error),
    }
}

/// The client side of the opening handshake, without IO: write its request,
/// then give it each read until it opens.
pub struct Connecting {
    handshake: ClientHandshake,
    received: Vec<u8>,
    config: Config,
}

impl Connecting {
    /// The request bytes to write, and the driver that checks the answer;
    /// the deadline ([`Limits::timeout`] of the request) runs from `now`.
    pub fn new(
        request: &ClientRequest<'_>,
        config: Config,
        now: Duration,
    ) -> Result<(Vec<u8>, Self), Error> {
        let (bytes, handshake) = request
            .build(&mut OsRng, now)
            .map_err(HandshakeError::Build)?;
        let connecting = Self {
            handshake,
            received: Vec::with_capacity(HANDSHAKE_READ),
            config,
        };
        Ok((bytes, connecting))
    }

    /// When the response must be complete.
    pub fn deadline(&self) -> Option<Duration> {
        self.handshake.poll_timeout()
    }

    /// Takes bytes read at `now`; the connection once the response is
    /// complete, `None` while it is not. As with [`Accepting`], frames that
    /// came with the response are already handed to the connection.
    pub fn received(
        &mut self,
        bytes: &[u8],
        now: Duration,
    ) -> Result<Option<(Connection, BytesMut)>, Error> {
        self.received.extend_from_slice(bytes);
        match self.handshake.receive(&self.received) {
            Err(error) => Err(Error::Refused(error)),
            Ok(Status::Partial) => self.check_deadline(now).map(|()| None),
            Ok(Status::Complete(accepted)) => {
                let mut leftover = BytesMut::from(&self.received[accepted.header_len()..]);
                let mut connection = accepted.into_connection(self.config, now);
                connection.receive(now, &mut leftover);
                Ok(Some((connection, leftover)))
            }
        }
    }

    /// An error once the deadline has passed at `now`.
    pub fn check_deadline(&self, now: Duration) -> Result<(), Error> {
        self.handshake.handle_timeout(now).map_err(Error::Refused)
    }

    /// The server hung up before its response was complete.
    pub fn eof(&self) -> Error {
        eof_during_handshake(&self.received)
    }
}

/// Where to connect for `request`: its host (an IPv6 address without
/// brackets) and port.
pub fn address<'a>(request: &ClientRequest<'a>) -> (&'a str, u16) {
    let host = request.host();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, request.port())
}

/// The connection a response opens, checked by `handshake`: for a
/// response another HTTP library read whole (an extended `CONNECT`'s over
/// HTTP/2 or HTTP/3), its head written as HTTP/1.1
/// (`wscore::handshake::http::head`). The connection's clock starts at zero.
pub fn opened(
    handshake: &mut ClientHandshake,
    head: &[u8],
    config: Config,
) -> Result<Connection, Error> {
    match handshake.receive(head) {
        Ok(Status::Complete(accepted)) => Ok(accepted.into_connection(config, Duration::ZERO)),
        Err(error) => Err(Error::Refused(error)),
        // A head without its blank line: malformed, whatever wrote it.
        Ok(Status::Partial) => Err(Error::Refused(
            HttpError::Malformed("incomplete response").into(),
        )),
    }
}

/// The peer hung up during the handshake; what it sent says more.
fn eof_during_handshake(received: &[u8]) -> Error {
    let message = if received.is_empty() {
        "the peer closed the connection before sending anything"
    } else {
        "the peer closed the connection in the middle of the handshake"
    };
    Error::Io(io::Error::new(io::ErrorKind::UnexpectedEof, message))
}

/// How an adapter reports a connection's end ([`Connection::closed`]):
/// `None` for a clean close handshake, otherwise the error.
pub fn end(closed: &Closed) -> Option<Error> {
    match closed {
        Closed {
            error: Some(error), ..
        } => Some(Error::Protocol(*error)),
        closed if closed.clean => None,
        closed => Some(Error::Closed(closed.clone())),
    }
}

/// Why a WebSocket could not be opened or used.
#[derive(Debug)]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// The handshake failed on our side: a request that is invalid or did
    /// not complete in time (the peer got a response saying why), or a
    /// request we could not build.
    Handshake(HandshakeError),
    /// The server did not accept the upgrade (or did not answer in time).
    Refused(ResponseError),
    /// The application answered the request with a response of its own.
    Responded(u16),
    /// The peer broke the protocol; a close frame with the code was sent.
    Protocol(ProtocolError),
    /// Sending was refused.
    Send(SendError),
    /// The connection is closed (cleanly or not: see [`Closed::clean`]).
    Closed(Closed),
    /// Not sent: the peer is not reading fast enough, and this many bytes
    /// are already waiting for it, above the high-water mark.
    Lagging {
        /// The bytes waiting to be written.
        waiting: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(error) => {
                // What an IO error wraps (hyper's, over HTTP/2 the stream's
                // reset and its reason) is often the real cause.
                error.fmt(f)?;
                let mut source = std::error::Error::source(error);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Self::Handshake(error) => write!(f, "handshake failed: {error}"),
            Self::Refused(error) => error.fmt(f),
            Self::Responded(status) => write!(f, "answered the request with HTTP {status}"),
            Self::Protocol(error) => write!(
                f,
                "protocol error: {error} (closed with {})",
                error.close_code()
            ),
            Self::Send(error) => error.fmt(f),
            Self::Closed(closed) => closed.fmt(f),
            Self::Lagging { waiting } => write!(
                f,
                "not sent: the peer is not reading fast enough ({waiting} bytes are waiting for it)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(error) => Some(error),
            Self::Handshake(error) => error.source(),
            Self::Refused(error) => Some(error),
            Self::Protocol(error) => Some(error),
            Self::Send(error) => Some(error),
            Self::Responded(_) | Self::Closed(_) | Self::Lagging { .. } => None,
        }
    }
}

/// Why an opening handshake failed on our side, with the core's error.
#[derive(Debug)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The request is not HTTP, too large, or did not arrive in time:
    /// answered `400`, `431` or `408`.
    Http(HttpError),
    /// The request is not a valid WebSocket upgrade, or a proxy stripped
    /// its upgrade headers: answered with the status it calls for.
    Request(RequestError),
    /// The request could not be accepted as the application asked (its
    /// origin, a subprotocol or extension not offered): answered `403` or
    /// `500`.
    Accept(AcceptError),
    /// The URL is not one to connect to.
    Url(UrlError),
    /// The client's request could not be built.
    Build(BuildError),
    /// A `wss://` URL, without the adapter's `rustls` feature.
    TlsUnsupported,
    /// TLS could not be set up: the handshake failed (an untrusted
    /// certificate, a name mismatch, a plain-text server...) or the
    /// certificates given cannot be used.
    #[cfg(feature = "rustls")]
    Tls(tls::TlsError),
    /// A WebSocket over HTTP/2 could not be opened.
    Http2(Http2Error),
    /// A WebSocket over HTTP/3 could not be opened.
    Http3(Http3Error),
}

/// Why a WebSocket over HTTP/3 (RFC 9220) could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Http3Error {
    /// The server speaks HTTP/3 but did not advertise
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL: it takes no WebSocket over it.
    NoExtendedConnect,
    /// QUIC or HTTP/3 itself failed: the connection or the stream.
    Failed(String),
}

impl fmt::Display for Http3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoExtendedConnect => f.write_str(
                "the server speaks HTTP/3 but does not accept WebSockets over it: it did not \
                 advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 9220 §3); connect over HTTP/1.1 \
                 or HTTP/2",
            ),
            Self::Failed(cause) => write!(f, "HTTP/3 failed: {cause}"),
        }
    }
}

/// Why a WebSocket over HTTP/2 (RFC 8441) could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Http2Error {
    /// The server did not agree to HTTP/2 in the TLS handshake (ALPN).
    NotOffered,
    /// The server speaks HTTP/2 but did not advertise
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL: it takes no WebSocket over it.
    NoExtendedConnect,
    /// HTTP/2 itself failed: the connection or the stream.
    Failed(String),
}

impl fmt::Display for Http2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOffered => f.write_str(
                "the server did not agree to HTTP/2 (ALPN h2) in the TLS handshake: it speaks \
                 HTTP/1.1 only; connect without HTTP/2",
            ),
            Self::NoExtendedConnect => f.write_str(
                "the server speaks HTTP/2 but does not accept WebSockets over it: it did not \
                 advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3); connect over HTTP/1.1",
            ),
            Self::Failed(cause) => write!(f, "HTTP/2 failed: {cause}"),
        }
    }
}

impl HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Http(error) => Some(error),
            Self::Request(error) => Some(error),
            Self::Accept(error) => Some(error),
            Self::Url(error) => Some(error),
            Self::Build(error) => Some(error),
            #[cfg(feature = "rustls")]
            Self::Tls(error) => Some(error),
            Self::TlsUnsupported | Self::Http2(_) | Self::Http3(_) => None,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(error) => error.fmt(f),
            Self::Request(error) => error.fmt(f),
            Self::Accept(error) => error.fmt(f),
            Self::Url(error) => error.fmt(f),
            Self::Build(error) => error.fmt(f),
            Self::TlsUnsupported => f.write_str(
                "wss:// needs TLS: enable the adapter's rustls feature, or connect a TLS \
                 stream yourself and use connect_with",
            ),
            #[cfg(feature = "rustls")]
            Self::Tls(error) => error.fmt(f),
            Self::Http2(error) => error.fmt(f),
            Self::Http3(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for HandshakeError {}

impl From<HandshakeError> for Error {
    fn from(error: HandshakeError) -> Self {
        Self::Handshake(error)
    }
}

#[cfg(feature = "rustls")]
impl From<tls::TlsError> for Error {
    fn from(error: tls::TlsError) -> Self {
        Self::Handshake(HandshakeError::Tls(error))
    }
}

/// A URL that is not one to connect to fails the handshake before it starts.
impl From<UrlError> for Error {
    fn from(error: UrlError) -> Self {
        Self::Handshake(HandshakeError::Url(error))
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl From<SendError> for Error {
    fn from(error: SendError) -> Self {
        Self::Send(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wscore::handshake::server::Accept;

    fn accepting() -> Accepting<impl FnOnce(&Request<'_>) -> Decision<'static>> {
        let limits = Limits::new().timeout(Some(Duration::from_secs(1)));
        let decide = |_: &Request<'_>| Decision::Accept(Accept::new());
        Accepting::new(Config::new(), limits, decide, Duration::ZERO)
    }

    /// The refusal the driver answers with, and the error it reports.
    fn refused(answer: Option<Answer>) -> (String, Error) {
        let answer = answer.expect("answered");
        let status = String::from_utf8_lossy(&answer.response)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        (status, answer.result.expect_err("refused"))
    }

    #[test]
    fn refusals_keep_the_core_error() {
        let (status, error) =
            refused(accepting().received(&[0x16, 0x03, 0x01, 0x00], Duration::ZERO));
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::Http(HttpError::Tls))
            ),
            "{error:?}"
        );

        let mut slow = accepting();
        assert!(slow
            .received(b"GET / HTTP/1.1\r\n", Duration::ZERO)
            .is_none());
        let (status, error) = refused(slow.check_deadline(Duration::from_secs(2)));
        assert_eq!(status, "HTTP/1.1 408 Request Timeout");
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::Http(HttpError::Timeout { .. }))
            ),
            "{error:?}"
        );

        let stripped =
            b"GET / HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Version: 13\r\n\r\n";
        let (status, error) = refused(accepting().received(stripped, Duration::ZERO));
        assert_eq!(status, "HTTP/1.1 426 Upgrade Required");
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::Request(RequestError::StrippedUpgrade))
            ),
            "{error:?}"
        );
        assert!(
            std::error::Error::source(&error).is_some(),
            "the core error is its source"
        );

        let foreign =
            b"GET / HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
            Origin: https://evil.example\r\n\r\n";
        let (status, error) = refused(accepting().received(foreign, Duration::ZERO));
        assert_eq!(status, "HTTP/1.1 403 Forbidden");
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::Accept(AcceptError::OriginNotAllowed(_)))
            ),
            "{error:?}"
        );
    }
}
