//! WebSocket for tokio, built on the wscore protocol core: a
//! [`WebSocketStream`] is a `Stream` of received messages and a `Sink` of
//! messages to send.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use wscore::connection::Message;
//!
//! # async fn run() -> Result<(), wscore_tokio::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let (stream, _) = listener.accept().await?;
//! let mut ws = wscore_tokio::accept(stream).await?;
//! while let Some(message) = ws.next().await {
//!     match message? {
//!         message @ (Message::Text(_) | Message::Binary(_)) => ws.send(message).await?,
//!         _ => {} // pings are answered for you
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - Receiving: text, binary, ping and pong messages; pongs and the reply to
//!   the peer's close are written while reading. The stream ends (`None`)
//!   after a clean close handshake; it yields an error for a protocol
//!   violation (after sending the close frame) or a transport failure.
//! - Cancel safety: `next()` is cancel-safe (in `select!` too). Everything
//!   read is kept in the stream between polls, so a dropped `next()` loses
//!   nothing.
//! - Sending: `poll_ready` waits while the bytes waiting to be written are
//!   above the connection's high-water mark, which is how backpressure
//!   reaches the sender. Writes gather pending chunks into one vectored write.
//! - Timers: keepalive pings and the idle and close timeouts run off tokio's
//!   timer while the stream is polled.
//! - Splitting: `futures_util::StreamExt::split` gives a read half and a
//!   write half that two tasks can own.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use wscore::close::CloseCode;
use wscore::connection::{
    Closed, Config, Connection, Event, Message, ProtocolError, SendError, State,
};
use wscore::handshake::client::{ClientRequest, ResponseError};
use wscore::handshake::server::ServerHandshake;
pub use wscore::handshake::server::{Accept, Decision, Reject, Request};
use wscore::handshake::{Limits, Status};
use wscore::random::OsRng;

/// How much to read at a time, and the most read buffer an idle connection keeps.
const READ_SIZE: usize = 4096;

/// The most chunks gathered into one vectored write.
const MAX_IOVECS: usize = 64;

/// A WebSocket over an async stream.
pub struct WebSocketStream<S> {
    stream: S,
    conn: Connection,
    read_buf: BytesMut,
    start: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

/// Accepts any valid WebSocket upgrade on `stream`.
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
) -> Result<WebSocketStream<S>, Error> {
    accept_with(stream, Config::new(), |_| Decision::Accept(Accept::new())).await
}

/// Reads the request, lets `decide` look at it, and upgrades or answers.
pub async fn accept_with<S, F>(
    mut stream: S,
    config: Config,
    decide: F,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
{
    let start = Instant::now();
    let mut handshake = ServerHandshake::new(Limits::default());
    let mut received = Vec::with_capacity(1024);
    loop {
        read_more(&mut stream, &mut received).await?;
        let request = match handshake.receive(&received) {
            Ok(Status::Partial) => continue,
            Ok(Status::Complete(request)) => request,
            Err(error) => {
                stream.write_all(&error.response()).await?;
                return Err(Error::Handshake(error.to_string()));
            }
        };
        let accept = match decide(&request) {
            Decision::Respond(response) => {
                stream.write_all(&response.to_bytes()).await?;
                return Err(Error::Responded(response.status()));
            }
            Decision::Accept(accept) => accept,
        };
        let accepted = match request.accept(&accept) {
            Ok(accepted) => accepted,
            Err(error) => {
                stream.write_all(&error.response()).await?;
                return Err(Error::Handshake(error.to_string()));
            }
        };
        let leftover = BytesMut::from(&received[accepted.header_len()..]);
        let (response, conn) = accepted.into_connection(config, start.elapsed());
        stream.write_all(&response).await?;
        return Ok(WebSocketStream::open(stream, conn, leftover, start));
    }
}

/// Connects to a `ws://` URL over TCP.
pub async fn connect(url: &str) -> Result<WebSocketStream<TcpStream>, Error> {
    let request = ClientRequest::from_url(url).map_err(|e| Error::Handshake(e.to_string()))?;
    if request.is_secure() {
        return Err(Error::Handshake(String::from(
            "wss:// needs TLS: connect a TLS stream yourself and use connect_with",
        )));
    }
    let host = request.host().trim_start_matches('[').trim_end_matches(']');
    let stream = TcpStream::connect((host, request.port())).await?;
    stream.set_nodelay(true)?;
    connect_with(stream, &request, Config::new()).await
}

/// Runs the client handshake for `request` over a stream you connected
/// (TLS, a proxy tunnel, a Unix socket...).
pub async fn connect_with<S>(
    mut stream: S,
    request: &ClientRequest<'_>,
    config: Config,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = Instant::now();
    let (bytes, mut handshake) = request
        .build(&mut OsRng)
        .map_err(|e| Error::Handshake(e.to_string()))?;
    stream.write_all(&bytes).await?;
    let mut received = Vec::with_capacity(1024);
    loop {
        read_more(&mut stream, &mut received).await?;
        match handshake.receive(&received) {
            Ok(Status::Partial) => continue,
            Ok(Status::Complete(response)) => {
                let leftover = BytesMut::from(&received[response.header_len()..]);
                let conn = response.into_connection(config, start.elapsed(), Box::new(OsRng));
                return Ok(WebSocketStream::open(stream, conn, leftover, start));
            }
            Err(error) => return Err(Error::Refused(error)),
        }
    }
}

async fn read_more<S: AsyncRead + Unpin>(
    stream: &mut S,
    received: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut chunk = [0; 1024];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(Error::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the peer closed the connection during the handshake",
        )));
    }
    received.extend_from_slice(&chunk[..n]);
    Ok(())
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// The connection after a handshake; bytes that came with the end of
    /// the handshake are the peer's first frames and are read now.
    fn open(stream: S, mut conn: Connection, mut leftover: BytesMut, start: Instant) -> Self {
        // A violation is reported by the stream once the close frame is out.
        let _ = conn.receive(start.elapsed(), &mut leftover);
        Self {
            stream,
            conn,
            read_buf: leftover,
            start,
            timer: None,
        }
    }

    /// Starts the close handshake with a code and reason (`SinkExt::close`
    /// sends 1000 with no reason); keep reading
    /// until the stream ends to see it complete.
    pub async fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = self.now();
        self.conn.close(now, code, reason)?;
        poll_fn(|cx| self.poll_write_pending(cx)).await
    }

    /// The protocol state machine underneath.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Writes what the connection has queued, gathering chunks into
    /// vectored writes.
    fn poll_write_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            let written = {
                let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                let mut count = 0;
                for (slot, chunk) in slices.iter_mut().zip(self.conn.transmit_chunks()) {
                    *slot = IoSlice::new(chunk);
                    count += 1;
                }
                if count == 0 {
                    return Pin::new(&mut self.stream).poll_flush(cx).map_err(Error::Io);
                }
                ready!(Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..count]))?
            };
            if written == 0 {
                return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())));
            }
            self.conn.advance_transmit(written);
        }
    }

    /// Arms the timer for the connection's next deadline and runs the
    /// timers when it fires.
    fn poll_timers(&mut self, cx: &mut Context<'_>) {
        loop {
            let Some(deadline) = self.conn.poll_timeout() else {
                self.timer = None;
                return;
            };
            let at = self.start + deadline;
            match &mut self.timer {
                Some(timer) if timer.deadline() == at => {}
                Some(timer) => timer.as_mut().reset(at),
                None => self.timer = Some(Box::pin(tokio::time::sleep_until(at))),
            }
            let Some(timer) = &mut self.timer else { return };
            if timer.as_mut().poll(cx).is_pending() {
                return;
            }
            let now = self.now();
            self.conn.handle_timeout(now);
        }
    }

    /// Reads once into the buffer and hands the bytes to the connection.
    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.read_buf.capacity() == self.read_buf.len() {
            self.read_buf
                .reserve(READ_SIZE.saturating_sub(self.read_buf.len()).max(1));
        }
        let n = ready!(tokio_util::io::poll_read_buf(
            Pin::new(&mut self.stream),
            cx,
            &mut self.read_buf
        ))?;
        if n == 0 {
            self.conn.receive_eof();
        } else {
            let now = self.now();
            // A violation is reported once its close frame is written.
            let _ = self.conn.receive(now, &mut self.read_buf);
        }
        if self.read_buf.is_empty() && self.read_buf.capacity() > READ_SIZE {
            // A buffer grown for a large frame is not kept; a small one is
            // reused, so an idle connection holds at most READ_SIZE.
            self.read_buf = BytesMut::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.conn.poll_event() {
                Some(Event::Text(text)) => return Poll::Ready(Some(Ok(Message::Text(text)))),
                Some(Event::Binary(data)) => return Poll::Ready(Some(Ok(Message::Binary(data)))),
                Some(Event::Fragment { data, .. }) => {
                    return Poll::Ready(Some(Ok(Message::Binary(data))))
                }
                Some(Event::Ping(data)) => return Poll::Ready(Some(Ok(Message::Ping(data)))),
                Some(Event::Pong(data)) => return Poll::Ready(Some(Ok(Message::Pong(data)))),
                Some(Event::Close(_)) => continue,
                None => {}
            }
            // Pongs and close replies go out while reading; a slow writer
            // does not stop reading.
            if let Poll::Ready(Err(error)) = this.poll_write_pending(cx) {
                return Poll::Ready(Some(Err(error)));
            }
            if this.conn.is_finished() {
                return Poll::Ready(match this.conn.state() {
                    State::Closed(Closed {
                        error: Some(error), ..
                    }) => Some(Err(Error::Protocol(*error))),
                    State::Closed(Closed { clean: false, .. }) => {
                        Some(Err(Error::Closed(closed(&this.conn))))
                    }
                    _ => None,
                });
            }
            this.poll_timers(cx);
            if let Err(error) = ready!(this.poll_read_once(cx)) {
                return Poll::Ready(Some(Err(error)));
            }
        }
    }
}

fn closed(conn: &Connection) -> Closed {
    match conn.state() {
        State::Closed(closed) => closed.clone(),
        _ => Closed {
            initiator: wscore::connection::Initiator::Peer,
            code: CloseCode::ABNORMAL,
            reason: String::new(),
            clean: false,
            error: None,
        },
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.conn.is_write_buffer_full() {
            ready!(this.poll_write_pending(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Ok(self.get_mut().conn.send(message)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_pending(cx)
    }

    /// Sends a normal close (1000) and writes it out. Keep reading the
    /// stream to see the peer's reply.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let now = this.now();
        this.conn.close(now, CloseCode::NORMAL, "")?;
        this.poll_write_pending(cx)
    }
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
    /// The connection ended without a clean close handshake.
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
