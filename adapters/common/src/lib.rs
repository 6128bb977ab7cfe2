//! What the wscore adapters share, whatever their IO: the handshake steps
//! that turn received bytes into a response and an open [`Connection`], and
//! the error type they report.
//!
//! An adapter reads until a handshake step completes, writes the response
//! it is given, and from then on drives the connection.

use std::fmt;
use std::io;
use std::time::Duration;

use bytes::BytesMut;
use wscore::connection::{Closed, Config, Connection, ProtocolError, SendError, State};
use wscore::handshake::client::{Response, ResponseError, UrlError};
use wscore::handshake::server::{Decision, Request};
use wscore::handshake::{HttpError, Status};
use wscore::random::ThreadRng;

/// What a server does with a complete (or malformed) request.
#[derive(Debug)]
pub struct Answer {
    /// The bytes to write to the client: a `101`, or an HTTP response.
    pub response: Vec<u8>,
    /// The open connection and the bytes it has not taken yet, or why
    /// there is none.
    pub result: Result<(Connection, BytesMut), Error>,
}

/// Answers a request read from `received`: lets `decide` look at it, then
/// upgrades or refuses. A malformed request gets its `400`/`431`.
///
/// Frames that arrived behind the request are already handed to the
/// connection: the peer may send nothing more until they are answered.
pub fn answer<F>(
    parsed: Result<Request<'_>, HttpError>,
    received: &[u8],
    decide: F,
    config: Config,
    now: Duration,
) -> Answer
where
    F: for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
{
    let refuse = |response: Vec<u8>, error: Error| Answer {
        response,
        result: Err(error),
    };
    let request = match parsed {
        Ok(request) => request,
        Err(error) => return refuse(error.response(), Error::Handshake(error.to_string())),
    };
    let accept = match decide(&request) {
        Decision::Respond(response) => {
            return refuse(response.to_bytes(), Error::Responded(response.status()))
        }
        Decision::Accept(accept) => accept,
    };
    match request.accept(&accept) {
        Err(error) => refuse(error.response(), Error::Handshake(error.to_string())),
        Ok(accepted) => {
            let mut leftover = BytesMut::from(&received[accepted.header_len()..]);
            let (response, mut connection) = accepted.into_connection(config, now);
            // A violation is reported by the adapter once its close frame is out.
            let _ = connection.receive(now, &mut leftover);
            Answer {
                response,
                result: Ok((connection, leftover)),
            }
        }
    }
}

/// Opens the client side once the server's response is complete: `None`
/// while it is not. As with [`answer`], frames that came with the response
/// are already handed to the connection.
pub fn open_client(
    status: Result<Status<Response<'_>>, ResponseError>,
    received: &[u8],
    config: Config,
    now: Duration,
) -> Result<Option<(Connection, BytesMut)>, Error> {
    match status.map_err(Error::Refused)? {
        Status::Partial => Ok(None),
        Status::Complete(response) => {
            let mut leftover = BytesMut::from(&received[response.header_len()..]);
            let mut connection = response.into_connection(config, now, Box::new(ThreadRng));
            let _ = connection.receive(now, &mut leftover);
            Ok(Some((connection, leftover)))
        }
    }
}

/// How a finished connection ended: how it closed, if cleanly, or the
/// error to report.
pub fn end(connection: &Connection) -> Result<Closed, Error> {
    match connection.state() {
        State::Closed(Closed {
            error: Some(error), ..
        }) => Err(Error::Protocol(*error)),
        State::Closed(closed) if closed.clean => Ok(closed.clone()),
        State::Closed(closed) => Err(Error::Closed(closed.clone())),
        other => Err(Error::Handshake(format!(
            "the connection is not finished: {other:?}"
        ))),
    }
}

/// The peer hung up before the handshake completed.
pub fn eof_during_handshake() -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the peer closed the connection during the handshake",
    ))
}

/// Why a WebSocket could not be opened or used.
#[derive(Debug)]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// The handshake was invalid; the peer got a response saying why.
    Handshake(String),
    /// The server did not accept the upgrade.
    Refused(ResponseError),
    /// The application answered the request with a response of its own.
    Responded(u16),
    /// The peer broke the protocol; a close frame with the code was sent.
    Protocol(ProtocolError),
    /// Sending was refused.
    Send(SendError),
    /// The connection is closed (cleanly or not: see [`Closed::clean`]).
    Closed(Closed),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(error) => error.fmt(f),
            Self::Handshake(reason) => write!(f, "handshake failed: {reason}"),
            Self::Refused(error) => error.fmt(f),
            Self::Responded(status) => write!(f, "answered the request with HTTP {status}"),
            Self::Protocol(error) => write!(
                f,
                "protocol error: {error} (closed with {})",
                error.close_code()
            ),
            Self::Send(error) => error.fmt(f),
            Self::Closed(closed) if closed.reason.is_empty() => {
                write!(f, "closed with {}", closed.code)
            }
            Self::Closed(closed) => write!(f, "closed with {}: {}", closed.code, closed.reason),
        }
    }
}

impl std::error::Error for Error {}

/// A URL that is not one to connect to fails the handshake before it starts.
impl From<UrlError> for Error {
    fn from(error: UrlError) -> Self {
        Self::Handshake(error.to_string())
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
