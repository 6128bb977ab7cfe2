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
use wscore::connection::{Config, Connection, Event, Message};
use wscore::handshake::client::ClientRequest;
use wscore::handshake::server::ServerHandshake;
pub use wscore::handshake::server::{Accept, Decision, Reject, Request};
use wscore::handshake::{Limits, Status};
use wscore::random::OsRng;
pub use wscore_adapter::Error;

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
        let parsed = match handshake.receive(&received) {
            Ok(Status::Partial) => continue,
            Ok(Status::Complete(request)) => Ok(request),
            Err(error) => Err(error),
        };
        let answer = wscore_adapter::answer(parsed, &received, decide, config, start.elapsed());
        stream.write_all(&answer.response).await?;
        let (conn, read_buf) = answer.result?;
        return Ok(WebSocketStream::new(stream, conn, read_buf, start));
    }
}

/// Connects to a `ws://` URL over TCP.
pub async fn connect(url: &str) -> Result<WebSocketStream<TcpStream>, Error> {
    let request = ClientRequest::from_url(url)?;
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
        let status = handshake.receive(&received);
        if let Some((conn, read_buf)) =
            wscore_adapter::open_client(status, &received, config, start.elapsed())?
        {
            return Ok(WebSocketStream::new(stream, conn, read_buf, start));
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
        return Err(wscore_adapter::eof_during_handshake());
    }
    received.extend_from_slice(&chunk[..n]);
    Ok(())
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    fn new(stream: S, conn: Connection, read_buf: BytesMut, start: Instant) -> Self {
        Self {
            stream,
            conn,
            read_buf,
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

    /// Sends a message uncompressed even though permessage-deflate is
    /// agreed, and writes it out: for secrets sent on a connection that
    /// also carries attacker-influenced data compressed (see
    /// [`Connection::send_uncompressed`]).
    pub async fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        poll_fn(|cx| Pin::new(&mut *self).poll_ready(cx)).await?;
        self.conn.send_uncompressed(message)?;
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
                let mut chunks = self.conn.transmit_chunks();
                let Some(first) = chunks.next() else {
                    return Pin::new(&mut self.stream).poll_flush(cx).map_err(Error::Io);
                };
                let stream = Pin::new(&mut self.stream);
                match chunks.next() {
                    // One chunk, the common case (small messages gather in
                    // one): a plain write, without building an iovec array.
                    None => ready!(stream.poll_write(cx, first))?,
                    Some(second) => {
                        let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                        let mut count = 0;
                        let all = [first, second].into_iter().chain(chunks);
                        for (slot, chunk) in slices.iter_mut().zip(all) {
                            *slot = IoSlice::new(chunk);
                            count += 1;
                        }
                        ready!(stream.poll_write_vectored(cx, &slices[..count]))?
                    }
                }
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
                return Poll::Ready(wscore_adapter::end(&this.conn).err().map(Err));
            }
            this.poll_timers(cx);
            if let Err(error) = ready!(this.poll_read_once(cx)) {
                return Poll::Ready(Some(Err(error)));
            }
        }
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
