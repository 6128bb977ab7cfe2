//! WebSocket over any blocking `Read + Write` stream, built on the wscore
//! protocol core: the handshake, then messages in and out.
//!
//! ```no_run
//! use std::net::TcpListener;
//! use wscore_blocking::WebSocket;
//! use wscore::connection::{Event, Message};
//!
//! let listener = TcpListener::bind("127.0.0.1:9001")?;
//! let (stream, _) = listener.accept()?;
//! let mut ws = WebSocket::accept(stream)?;
//! loop {
//!     match ws.read()? {
//!         Event::Text(text) => ws.send(Message::Text(text))?,
//!         Event::Binary(data) => ws.send(Message::Binary(data))?,
//!         Event::Closed(_) => {
//!             // How: the code, the reason, the violation if any.
//!             println!("{:?}", ws.connection().closed());
//!             break;
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The last event is [`Event::Closed`]; `ws.connection().closed()` says how
//! the connection ended (a close handshake, a protocol error with its close
//! code, end of file, a timeout). Before `read` returns it, everything
//! queued (the close frame above all) is written and the transport is
//! closed gracefully (see [`Transport`]). Reading after it returns
//! [`Error::Closed`].
//!
//! Timers (keepalive, idle and close timeouts, the handshake deadline) run
//! when a read returns: set a read timeout on the socket to wake up for
//! them. A read that times out runs the timers and returns the timeout
//! error; call `read` again to keep waiting.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use wscore::close::CloseCode;
use wscore::connection::{Config, Connection, Event, Message};
use wscore::handshake::client::ClientRequest;
pub use wscore::handshake::server::{Accept, Decision, Origins, Request, RequestKind, Response};
pub use wscore::handshake::Limits;
use wscore_adapter::{Accepting, Connecting, HANDSHAKE_READ, LINGER, LINGER_BYTES};
pub use wscore_adapter::{Error, HandshakeError};

mod maybe_tls;
pub use maybe_tls::MaybeTlsStream;
use maybe_tls::Tls;

/// TLS configurations and errors (feature `rustls`).
#[cfg(feature = "rustls")]
pub use wscore_adapter::tls;

/// What a graceful close needs from a transport beyond `Read + Write`.
///
/// After the last frame, the adapter shuts the write side (TCP sends FIN
/// behind the close frame) and reads until the peer's end of file, for at
/// most [`LINGER`](wscore_adapter::LINGER), so that the peer reads the
/// close frame instead of a reset. A transport that cannot do this keeps
/// the default, and is simply dropped after the last write.
pub trait Transport: Read + Write {
    /// Shuts the write side and bounds each later read by `timeout`.
    /// Returns whether it did: only then is input drained.
    fn shutdown_write(&mut self, timeout: Duration) -> io::Result<bool> {
        let _ = timeout;
        Ok(false)
    }
}

impl Transport for TcpStream {
    fn shutdown_write(&mut self, timeout: Duration) -> io::Result<bool> {
        self.shutdown(Shutdown::Write)?;
        self.set_read_timeout(Some(timeout))?;
        Ok(true)
    }
}

#[cfg(unix)]
impl Transport for std::os::unix::net::UnixStream {
    fn shutdown_write(&mut self, timeout: Duration) -> io::Result<bool> {
        self.shutdown(Shutdown::Write)?;
        self.set_read_timeout(Some(timeout))?;
        Ok(true)
    }
}

/// How much to read at a time: small enough that idle connections stay cheap.
const READ_SIZE: usize = 4096;

/// A WebSocket over a blocking stream.
pub struct WebSocket<S> {
    stream: S,
    conn: Connection,
    buf: BytesMut,
    start: Instant,
}

impl<S: Transport> WebSocket<S> {
    /// Accepts any valid WebSocket upgrade on `stream` from pages of this
    /// host (or non-browser clients).
    pub fn accept(stream: S) -> Result<Self, Error> {
        let accept = |_: &Request<'_>| Decision::Accept(Accept::new());
        Self::accept_with(stream, Config::new(), Limits::default(), accept)
    }

    /// Reads the request within `limits`, lets `decide` look at it, and
    /// upgrades or answers. An invalid upgrade is answered with the reason
    /// and ends in [`Error::Handshake`]; one whose upgrade headers a proxy
    /// stripped gets `426` before `decide` is asked.
    ///
    /// The deadline ([`Limits::timeout`]) is checked after every read: give
    /// the socket a read timeout so that a silent client is noticed.
    pub fn accept_with(
        mut stream: S,
        config: Config,
        limits: Limits,
        decide: impl for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
    ) -> Result<Self, Error> {
        let start = Instant::now();
        let mut handshake = Accepting::new(config, limits, decide, Duration::ZERO);
        let mut chunk = [0; HANDSHAKE_READ];
        let answer = loop {
            let answer = match read_chunk(&mut stream, &mut chunk)? {
                Some(0) => return Err(handshake.eof()),
                Some(n) => handshake.received(&chunk[..n], start.elapsed()),
                None => handshake.check_deadline(start.elapsed()),
            };
            if let Some(answer) = answer {
                break answer;
            }
        };
        stream.write_all(&answer.response)?;
        match answer.result {
            Ok((conn, buf)) => Ok(Self::new(stream, conn, buf, start)),
            Err(error) => {
                // The refusal is read, not reset away with unread input.
                linger(&mut stream);
                Err(error)
            }
        }
    }

    /// Runs the client handshake for `request` over `stream`. The deadline
    /// ([`Limits::timeout`] of the request) is checked after every read.
    pub fn connect_with(
        mut stream: S,
        request: &ClientRequest<'_>,
        config: Config,
    ) -> Result<Self, Error> {
        let start = Instant::now();
        let (bytes, mut handshake) = Connecting::new(request, config, Duration::ZERO)?;
        stream.write_all(&bytes)?;
        let mut chunk = [0; HANDSHAKE_READ];
        loop {
            let opened = match read_chunk(&mut stream, &mut chunk)? {
                Some(0) => return Err(handshake.eof()),
                Some(n) => handshake.received(&chunk[..n], start.elapsed())?,
                None => handshake.check_deadline(start.elapsed()).map(|()| None)?,
            };
            if let Some((conn, buf)) = opened {
                return Ok(Self::new(stream, conn, buf, start));
            }
        }
    }

    fn new(stream: S, conn: Connection, buf: BytesMut, start: Instant) -> Self {
        Self {
            stream,
            conn,
            buf,
            start,
        }
    }

    /// The next event. The last is [`Event::Closed`], returned once
    /// everything queued is written and the transport closed; after it,
    /// [`Error::Closed`].
    pub fn read(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.next_event()? {
                return Ok(event);
            }
            // The end is the last event: decided and no event left means
            // it was handed out.
            if let Some(closed) = self.conn.closed() {
                return Err(Error::Closed(closed.clone()));
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
                    self.conn.receive(now, &mut self.buf);
                }
                Err(e) if is_timeout(&e) => {
                    let now = self.now();
                    self.conn.handle_timeout(now);
                    return match self.next_event()? {
                        Some(event) => Ok(event),
                        None => Err(Error::Io(e)),
                    };
                }
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

    /// The next event, with what it calls for written out; `None` once
    /// everything queued is written and no event waits.
    fn next_event(&mut self) -> Result<Option<Event>, Error> {
        let Some(event) = self.conn.poll_event() else {
            self.flush()?;
            return Ok(None);
        };
        match &event {
            Event::Closed(_) => self.close_transport(),
            _ => self.flush()?,
        }
        Ok(Some(event))
    }

    /// The connection is over: write what is queued (the close frame), then
    /// close the transport gracefully. Failures only cut it short.
    fn close_transport(&mut self) {
        self.buf = BytesMut::new();
        if self.flush().is_ok() {
            linger(&mut self.stream);
        }
    }

    /// Sends a message and writes it out.
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        self.conn.send(message)?;
        self.flush()
    }

    /// Whether the messages sent from now on may be compressed (see
    /// [`Connection::set_compression`]): off around a secret sent on a
    /// connection that also carries attacker-influenced data compressed.
    pub fn set_compression(&mut self, on: bool) {
        self.conn.set_compression(on);
    }

    /// Starts the close handshake; keep calling [`read`](Self::read) until
    /// it returns [`Event::Closed`].
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
        let mut transmit = self.conn.transmit();
        while transmit.has_remaining() {
            let written = self.stream.write(transmit.chunk())?;
            if written == 0 {
                return Err(Error::Io(io::ErrorKind::WriteZero.into()));
            }
            transmit.advance(written);
        }
        Ok(self.stream.flush()?)
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

impl WebSocket<MaybeTlsStream> {
    /// Connects to a `ws://` URL, or a `wss://` URL over TLS (feature
    /// `rustls`; the web's root certificates). `timeout` bounds the TCP
    /// connect and each read of the TLS and WebSocket handshakes.
    pub fn connect(url: &str, timeout: Duration) -> Result<Self, Error> {
        let request = ClientRequest::from_url(url)?;
        Self::connect_request(&request, timeout)
    }

    /// Connects to the host and port of `request` (from
    /// [`ClientRequest::from_url`], with the subprotocols, extensions and
    /// headers to offer) and runs its handshake. `timeout` bounds the TCP
    /// connect and each read of the handshakes; the request's
    /// [`Limits::timeout`] bounds the WebSocket handshake.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use wscore::extensions::deflate::DeflateConfig;
    /// use wscore::handshake::client::ClientRequest;
    /// use wscore_blocking::WebSocket;
    ///
    /// let request = ClientRequest::from_url("ws://127.0.0.1:9001/")?.deflate(DeflateConfig::new());
    /// let ws = WebSocket::connect_request(&request, Duration::from_secs(5))?;
    /// println!("compression: {:?}", ws.connection().agreed().deflate());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_request(request: &ClientRequest<'_>, timeout: Duration) -> Result<Self, Error> {
        Self::open(request, Tls::default(), timeout)
    }

    /// [`connect_request`](Self::connect_request) with `tls` for `wss://`,
    /// e.g. [`tls::client_config_with_ca`] to trust a private CA.
    #[cfg(feature = "rustls")]
    pub fn connect_tls(
        request: &ClientRequest<'_>,
        timeout: Duration,
        tls: std::sync::Arc<rustls::ClientConfig>,
    ) -> Result<Self, Error> {
        Self::open(request, Tls(Some(tls)), timeout)
    }

    fn open(request: &ClientRequest<'_>, tls: Tls, timeout: Duration) -> Result<Self, Error> {
        let stream = maybe_tls::open(request, tls, timeout)?;
        let ws = Self::connect_with(stream, request, Config::new())?;
        ws.stream.tcp().set_read_timeout(None)?;
        Ok(ws)
    }
}

/// Shuts the write side and drains input until the peer's end of file, for
/// at most [`LINGER`] and [`LINGER_BYTES`]: a socket closed with unread
/// input answers with a reset, which may make the peer discard what it has
/// not read yet (the close frame, or a handshake's refusal).
fn linger(stream: &mut impl Transport) {
    if !stream.shutdown_write(LINGER).unwrap_or(false) {
        return;
    }
    let until = Instant::now() + LINGER;
    let mut drained = 0;
    let mut scratch = [0; READ_SIZE];
    while drained < LINGER_BYTES && Instant::now() < until {
        match stream.read(&mut scratch) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// One read for a handshake: the bytes (empty at end of file), or `None`
/// when the read timed out and the deadline should be checked.
fn read_chunk(stream: &mut impl Read, chunk: &mut [u8]) -> Result<Option<usize>, Error> {
    loop {
        match stream.read(chunk) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if is_timeout(&e) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
