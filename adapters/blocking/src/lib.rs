//! WebSocket over any blocking `Read + Write` stream, built on the wscore
//! protocol core: the handshake, then messages in and out.
//!
//! ```no_run
//! use std::net::TcpListener;
//! use wscore_blocking::{Error, WebSocket};
//! use wscore::connection::{Event, Message};
//!
//! let listener = TcpListener::bind("127.0.0.1:9001")?;
//! let (stream, _) = listener.accept()?;
//! let mut ws = WebSocket::accept(stream)?;
//! loop {
//!     match ws.read() {
//!         Ok(Event::Text(text)) => ws.send(Message::Text(text))?,
//!         Ok(Event::Binary(data)) => ws.send(Message::Binary(data))?,
//!         Ok(_) => {}
//!         Err(Error::Closed(_)) => break,
//!         Err(error) => return Err(error.into()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Timers (keepalive, idle and close timeouts) run when a read returns: set a
//! read timeout on the socket to wake up for them. A read that times out
//! runs the timers and returns the timeout error; call `read` again to keep
//! waiting.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use wscore::close::CloseCode;
use wscore::connection::{
    Closed, Config, Connection, Event, Message, ProtocolError, SendError, State,
};
use wscore::handshake::client::{ClientRequest, ResponseError};
use wscore::handshake::server::ServerHandshake;
pub use wscore::handshake::server::{Accept, Decision, Reject, Request};
use wscore::handshake::{HttpError, Limits, Status};
use wscore::random::OsRng;

/// How much to read at a time: small enough that idle connections stay cheap.
const READ_SIZE: usize = 4096;

/// A WebSocket over a blocking stream.
pub struct WebSocket<S> {
    stream: S,
    conn: Connection,
    buf: BytesMut,
    start: Instant,
}

impl<S: Read + Write> WebSocket<S> {
    /// Accepts any valid WebSocket upgrade on `stream`.
    pub fn accept(stream: S) -> Result<Self, Error> {
        Self::accept_with(stream, Config::new(), |_| Decision::Accept(Accept::new()))
    }

    /// Reads the request, lets `decide` look at it, and upgrades or answers.
    /// An invalid upgrade is answered with the reason and ends in
    /// [`Error::Handshake`].
    pub fn accept_with(
        mut stream: S,
        config: Config,
        decide: impl for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
    ) -> Result<Self, Error> {
        let start = Instant::now();
        let mut handshake = ServerHandshake::new(Limits::default());
        let mut received = Vec::with_capacity(1024);
        loop {
            read_more(&mut stream, &mut received)?;
            let request = match handshake.receive(&received) {
                Ok(Status::Partial) => continue,
                Ok(Status::Complete(request)) => request,
                Err(error) => {
                    stream.write_all(&error.response())?;
                    return Err(Error::Handshake(error.to_string()));
                }
            };
            let accept = match decide(&request) {
                Decision::Respond(response) => {
                    stream.write_all(&response.to_bytes())?;
                    return Err(Error::Responded(response.status()));
                }
                Decision::Accept(accept) => accept,
            };
            let accepted = match request.accept(&accept) {
                Ok(accepted) => accepted,
                Err(error) => {
                    stream.write_all(&error.response())?;
                    return Err(Error::Handshake(error.to_string()));
                }
            };
            let leftover = BytesMut::from(&received[accepted.header_len()..]);
            let (response, conn) = accepted.into_connection(config, start.elapsed());
            stream.write_all(&response)?;
            return Ok(Self::open(stream, conn, leftover, start));
        }
    }

    /// Runs the client handshake for `request` over `stream`.
    pub fn connect_with(
        mut stream: S,
        request: &ClientRequest<'_>,
        config: Config,
    ) -> Result<Self, Error> {
        let start = Instant::now();
        let (bytes, mut handshake) = request
            .build(&mut OsRng)
            .map_err(|e| Error::Handshake(e.to_string()))?;
        stream.write_all(&bytes)?;
        let mut received = Vec::with_capacity(1024);
        loop {
            read_more(&mut stream, &mut received)?;
            match handshake.receive(&received) {
                Ok(Status::Partial) => continue,
                Ok(Status::Complete(response)) => {
                    let leftover = BytesMut::from(&received[response.header_len()..]);
                    let conn = response.into_connection(config, start.elapsed(), Box::new(OsRng));
                    return Ok(Self::open(stream, conn, leftover, start));
                }
                Err(error) => return Err(Error::Refused(error)),
            }
        }
    }

    /// The connection after a handshake. Bytes that came with the end of
    /// the handshake are the peer's first frames: they are read now, since
    /// the peer may send nothing more.
    fn open(stream: S, mut conn: Connection, mut leftover: BytesMut, start: Instant) -> Self {
        // A violation is reported by `read` once the close frame is out.
        let _ = conn.receive(start.elapsed(), &mut leftover);
        Self {
            stream,
            conn,
            buf: leftover,
            start,
        }
    }

    /// The next event. After the close handshake completes (or the
    /// connection fails), returns [`Error::Closed`] with how it ended.
    pub fn read(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.conn.poll_event() {
                self.flush()?;
                return Ok(event);
            }
            self.flush()?;
            if let State::Closed(closed) = self.conn.state() {
                if self.conn.is_finished() {
                    return Err(match closed.error {
                        Some(error) => Error::Protocol(error),
                        None => Error::Closed(closed.clone()),
                    });
                }
            }
            if self.buf.capacity() == self.buf.len() {
                self.buf
                    .reserve(READ_SIZE.saturating_sub(self.buf.len()).max(1));
            }
            let mut chunk = [0; READ_SIZE];
            let want = (self.buf.capacity() - self.buf.len()).clamp(1, READ_SIZE);
            match self.stream.read(&mut chunk[..want]) {
                Ok(0) => self.conn.receive_eof(),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    let now = self.now();
                    // A violation is reported once the close frame is out.
                    let _ = self.conn.receive(now, &mut self.buf);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.conn.receive_eof();
                    return Err(Error::Io(e));
                }
            }
            let now = self.now();
            self.conn.handle_timeout(now);
        }
    }

    /// Sends a message and writes it out.
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        self.conn.send(message)?;
        self.flush()
    }

    /// Starts the close handshake; keep calling [`read`](Self::read) until
    /// it returns [`Error::Closed`].
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = self.now();
        self.conn.close(now, code, reason)?;
        self.flush()
    }

    /// The protocol state machine underneath.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    fn flush(&mut self) -> Result<(), Error> {
        loop {
            let pending = self.conn.transmit_bytes();
            if pending.is_empty() {
                return Ok(self.stream.flush()?);
            }
            let written = self.stream.write(pending)?;
            if written == 0 {
                return Err(Error::Io(io::ErrorKind::WriteZero.into()));
            }
            self.conn.advance_transmit(written);
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

impl WebSocket<TcpStream> {
    /// Connects to a `ws://` URL. `timeout` bounds the TCP connect and the
    /// handshake.
    pub fn connect(url: &str, timeout: Duration) -> Result<Self, Error> {
        let request = ClientRequest::from_url(url).map_err(|e| Error::Handshake(e.to_string()))?;
        if request.is_secure() {
            return Err(Error::Handshake(String::from(
                "wss:// needs TLS, which this adapter does not provide; use ws://",
            )));
        }
        let addr = (
            request.host().trim_start_matches('[').trim_end_matches(']'),
            request.port(),
        );
        let mut last = None;
        for addr in std::net::ToSocketAddrs::to_socket_addrs(&addr)? {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(timeout))?;
                    stream.set_nodelay(true)?;
                    let ws = Self::connect_with(stream, &request, Config::new())?;
                    ws.stream.set_read_timeout(None)?;
                    return Ok(ws);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(Error::Io(
            last.unwrap_or_else(|| io::ErrorKind::NotFound.into()),
        ))
    }
}

/// Reads at least one more byte into `received`, for the handshake.
fn read_more(stream: &mut impl Read, received: &mut Vec<u8>) -> Result<(), Error> {
    let mut chunk = [0; 1024];
    let n = stream.read(&mut chunk)?;
    if n == 0 {
        return Err(Error::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the peer closed the connection during the handshake",
        )));
    }
    received.extend_from_slice(&chunk[..n]);
    Ok(())
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
    /// The connection is closed.
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

impl From<HttpError> for Error {
    fn from(error: HttpError) -> Self {
        Self::Handshake(error.to_string())
    }
}
