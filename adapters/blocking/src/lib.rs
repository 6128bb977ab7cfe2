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

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use wscore::close::CloseCode;
use wscore::connection::{Config, Connection, Event, Message};
use wscore::handshake::client::ClientRequest;
use wscore::handshake::server::ServerHandshake;
pub use wscore::handshake::server::{Accept, Decision, Reject, Request};
use wscore::handshake::{Limits, Status};
use wscore::random::OsRng;
pub use wscore_adapter::Error;

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
            let parsed = match handshake.receive(&received) {
                Ok(Status::Partial) => continue,
                Ok(Status::Complete(request)) => Ok(request),
                Err(error) => Err(error),
            };
            let answer = wscore_adapter::answer(parsed, &received, decide, config, start.elapsed());
            stream.write_all(&answer.response)?;
            let (conn, buf) = answer.result?;
            return Ok(Self {
                stream,
                conn,
                buf,
                start,
            });
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
            let status = handshake.receive(&received);
            if let Some((conn, buf)) =
                wscore_adapter::open_client(status, &received, config, start.elapsed())?
            {
                return Ok(Self {
                    stream,
                    conn,
                    buf,
                    start,
                });
            }
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
            if self.conn.is_finished() {
                return Err(
                    wscore_adapter::end(&self.conn).map_or_else(|error| error, Error::Closed)
                );
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

    /// Sends a message uncompressed even though permessage-deflate is
    /// agreed, and writes it out: for secrets sent on a connection that
    /// also carries attacker-influenced data compressed (see
    /// [`Connection::send_uncompressed`]).
    pub fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        self.conn.send_uncompressed(message)?;
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
        let request = ClientRequest::from_url(url)?;
        Self::connect_request(&request, timeout)
    }

    /// Connects to the host and port of `request` (from
    /// [`ClientRequest::from_url`], with the subprotocols, extensions and
    /// headers to offer) and runs its handshake. `timeout` bounds the TCP
    /// connect and the handshake.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use wscore::extensions::deflate::DeflateConfig;
    /// use wscore::handshake::client::ClientRequest;
    /// use wscore_blocking::WebSocket;
    ///
    /// let request = ClientRequest::from_url("ws://127.0.0.1:9001/")?.deflate(DeflateConfig::new());
    /// let ws = WebSocket::connect_request(&request, Duration::from_secs(5))?;
    /// println!("compression: {:?}", ws.connection().deflate());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_request(request: &ClientRequest<'_>, timeout: Duration) -> Result<Self, Error> {
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
                    let ws = Self::connect_with(stream, request, Config::new())?;
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
        return Err(wscore_adapter::eof_during_handshake());
    }
    received.extend_from_slice(&chunk[..n]);
    Ok(())
}
