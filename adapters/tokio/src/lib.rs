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
//! - Receiving: text, binary, ping and pong messages (and in streaming mode
//!   [`Message::Fragment`]s, with their text flag and `fin`); pongs and the reply to
//!   the peer's close are written while reading. The stream ends (`None`)
//!   after a clean close handshake; it yields one error for any other end
//!   (a protocol violation, after sending the close frame; end of file
//!   without a close; a timeout; a transport failure), then ends.
//! - Closing: before the stream reports the end, everything queued (the
//!   close frame above all) is written, the write side is shut, and input
//!   is drained for up to [`LINGER`](wscore_adapter::LINGER), so that the
//!   peer reads the close frame and its reason instead of a reset.
//!   [`WebSocketStream::connection`] then says how it ended.
//! - Handshakes have a deadline ([`Limits::timeout`], 10 s by default): a
//!   client that sends nothing or trickles its request gets `408` and is
//!   dropped; a server that never answers fails `connect` with an error
//!   that says so. Input that can never be HTTP (a TLS handshake, the
//!   HTTP/2 preface) is answered `400` naming it at once.
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
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::io::{poll_read_buf, poll_write_buf};
use wscore::close::CloseCode;
use wscore::connection::{Config, Connection, Event, Message, Prepared};
use wscore::handshake::client::ClientRequest;
pub use wscore::handshake::server::{Accept, Decision, Origins, Request, RequestKind, Response};
pub use wscore::handshake::Limits;
use wscore_adapter::{Accepting, Connecting, HANDSHAKE_READ, LINGER, LINGER_BYTES};
pub use wscore_adapter::{Error, HandshakeError, Http2Error, Http3Error};

mod maybe_tls;
pub use maybe_tls::MaybeTlsStream;

#[cfg(feature = "http2")]
mod h2;
#[cfg(feature = "http2")]
pub use h2::{connect_h2, H2Stream, Http2Connection};
#[cfg(feature = "http3")]
mod h3;
#[cfg(feature = "http3")]
pub use h3::{connect_h3, serve_h3, H3Stream, ALPN as H3_ALPN};
#[cfg(feature = "hyper")]
mod upgrade;
#[cfg(feature = "hyper")]
pub use upgrade::{upgrade, HyperWebSocket, Upgrading};

/// TLS configurations and errors (feature `rustls`).
#[cfg(feature = "rustls")]
pub use wscore_adapter::tls;

/// How much to read at a time.
const READ_SIZE: usize = 4096;

/// A WebSocket over an async stream.
pub struct WebSocketStream<S> {
    stream: S,
    conn: Connection,
    read_buf: BytesMut,
    start: Instant,
    timer: Option<Pin<Box<Sleep>>>,
    /// Once the connection has ended: the closing steps, and the error to
    /// report after them.
    ending: Option<Ending>,
}

/// The steps after a connection's end, so that the peer receives the close
/// frame and its reason rather than a reset.
struct Ending {
    /// Whether everything queued (the close frame, a last pong) is written.
    flushed: bool,
    linger: Linger,
    /// Reported once every step is done; `None` after a clean close.
    report: Option<Error>,
}

/// Closing a socket gracefully: shut the write side (TCP: FIN after the
/// last bytes), then read and discard until the peer's end of file, for at
/// most [`LINGER`] and [`LINGER_BYTES`]. A socket closed with unread input
/// answers with a reset, which may make the peer discard what it has not
/// read yet: the close frame, or a handshake's refusal.
struct Linger {
    step: Step,
    /// Bounds each waiting step.
    timer: Pin<Box<Sleep>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Shutting the write side.
    Shutdown,
    /// Reading and discarding until the peer's end of file.
    Drain { drained: usize },
    /// Done.
    Done,
}

impl Linger {
    fn new() -> Self {
        Self {
            step: Step::Shutdown,
            timer: Box::pin(tokio::time::sleep(LINGER)),
        }
    }

    /// Runs the steps; errors end them early, since the socket is being
    /// closed either way.
    fn poll<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        loop {
            let expired = self.timer.as_mut().poll(cx).is_ready();
            self.step = match self.step {
                Step::Done => return Poll::Ready(()),
                _ if expired => Step::Done,
                Step::Shutdown => {
                    let _ = ready!(Pin::new(&mut *stream).poll_shutdown(cx));
                    self.timer.as_mut().reset(Instant::now() + LINGER);
                    Step::Drain { drained: 0 }
                }
                Step::Drain { drained } => {
                    let mut scratch = [0; 4096];
                    let mut buf = ReadBuf::new(&mut scratch);
                    match ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf)) {
                        Ok(()) if !buf.filled().is_empty() && drained < LINGER_BYTES => {
                            Step::Drain {
                                drained: drained + buf.filled().len(),
                            }
                        }
                        _ => Step::Done,
                    }
                }
            };
        }
    }
}

/// Accepts any valid WebSocket upgrade on `stream` from pages of this
/// host (or non-browser clients).
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
) -> Result<WebSocketStream<S>, Error> {
    let accept = |_: &Request<'_>| Decision::Accept(Accept::new());
    accept_with(stream, Config::new(), Limits::default(), accept).await
}

/// Reads the request within `limits` (size, deadline), lets `decide` look
/// at it, and upgrades or answers. A request that is not HTTP, too large
/// or too slow gets its `400`/`431`/`408`; one whose upgrade was stripped
/// by a proxy gets `426` before `decide` is asked.
pub async fn accept_with<S, F>(
    mut stream: S,
    config: Config,
    limits: Limits,
    decide: F,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
{
    let start = Instant::now();
    let mut handshake = Accepting::new(config, limits, decide, Duration::ZERO);
    let mut chunk = [0; HANDSHAKE_READ];
    let answer = loop {
        let read = read_until(&mut stream, &mut chunk, start, handshake.deadline()).await?;
        let now = start.elapsed();
        let answer = match read {
            None => handshake.check_deadline(now),
            Some(0) => return Err(handshake.eof()),
            Some(n) => handshake.received(&chunk[..n], now),
        };
        if let Some(answer) = answer {
            break answer;
        }
    };
    // A refused client may not read its answer: bound the write too.
    let write = stream.write_all(&answer.response);
    tokio::time::timeout(LINGER, write)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    match answer.result {
        Ok((conn, read_buf)) => Ok(WebSocketStream::new(stream, conn, read_buf, start)),
        Err(error) => {
            // The refusal is read, not reset away with unread input.
            let mut linger = Linger::new();
            poll_fn(|cx| linger.poll(&mut stream, cx)).await;
            Err(error)
        }
    }
}

/// One read for a handshake: the count (0 at end of file), or `None` once
/// the deadline (after `start`) has passed.
async fn read_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    chunk: &mut [u8],
    start: Instant,
    deadline: Option<Duration>,
) -> Result<Option<usize>, Error> {
    let read = stream.read(chunk);
    let read = match deadline {
        Some(deadline) => match tokio::time::timeout_at(start + deadline, read).await {
            Ok(read) => read,
            Err(_elapsed) => return Ok(None),
        },
        None => read.await,
    };
    Ok(Some(read?))
}

/// Connects to a `ws://` URL over TCP, or a `wss://` URL over TLS
/// (feature `rustls`; the web's root certificates). Connecting (TCP and
/// TLS) and the handshake each have 10 s.
///
/// ```no_run
/// # async fn run() -> Result<(), wscore_tokio::Error> {
/// let ws = wscore_tokio::connect("wss://example.com/socket").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<WebSocketStream<MaybeTlsStream>, Error> {
    let request = ClientRequest::from_url(url)?;
    let stream = maybe_tls::open(&request, maybe_tls::Tls::default()).await?;
    connect_with(stream, &request, Config::new()).await
}

/// Connects to the request's URL (from [`ClientRequest::from_url`], with
/// the subprotocols, extensions and headers to offer) and runs its
/// handshake; `wss://` with `tls` (e.g. [`tls::client_config_with_ca`] to
/// trust a private CA). The request's [`Limits::timeout`] bounds
/// connecting (TCP and TLS), then the handshake.
///
/// ```no_run
/// use wscore::connection::Config;
/// use wscore::handshake::client::ClientRequest;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let tls = wscore_tokio::tls::client_config_with_ca(&std::fs::read("ca.pem")?)?;
/// let request = ClientRequest::from_url("wss://localhost:9001/")?;
/// let ws = wscore_tokio::connect_tls(&request, Config::new(), tls).await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "rustls")]
pub async fn connect_tls(
    request: &ClientRequest<'_>,
    config: Config,
    tls: std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
) -> Result<WebSocketStream<MaybeTlsStream>, Error> {
    let stream = maybe_tls::open(request, maybe_tls::Tls(Some(tls))).await?;
    connect_with(stream, request, config).await
}

/// `steps` within the request's handshake timeout ([`Limits::timeout`]);
/// past it, an error saying that `what` took longer.
pub(crate) async fn within<T>(
    request: &ClientRequest<'_>,
    what: impl std::fmt::Display,
    steps: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match request.timeout() {
        Some(timeout) => tokio::time::timeout(timeout, steps).await.map_err(|_| {
            Error::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{what} took more than {timeout:?}"),
            ))
        })?,
        None => steps.await,
    }
}

/// Runs the client handshake for `request` over a stream you connected
/// (TLS, a proxy tunnel, a Unix socket...). The server must answer within
/// the request's [`Limits::timeout`].
pub async fn connect_with<S>(
    mut stream: S,
    request: &ClientRequest<'_>,
    config: Config,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = Instant::now();
    let (bytes, mut handshake) = Connecting::new(request, config, Duration::ZERO)?;
    stream.write_all(&bytes).await?;
    let mut chunk = [0; HANDSHAKE_READ];
    loop {
        let read = read_until(&mut stream, &mut chunk, start, handshake.deadline()).await?;
        let now = start.elapsed();
        let opened = match read {
            None => handshake.check_deadline(now).map(|()| None),
            Some(0) => return Err(handshake.eof()),
            Some(n) => handshake.received(&chunk[..n], now),
        };
        if let Some((conn, read_buf)) = opened? {
            return Ok(WebSocketStream::new(stream, conn, read_buf, start));
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    fn new(stream: S, conn: Connection, read_buf: BytesMut, start: Instant) -> Self {
        Self {
            stream,
            conn,
            read_buf,
            start,
            timer: None,
            ending: None,
        }
    }

    /// A WebSocket over `stream` whose handshake was done elsewhere: by
    /// another HTTP server (see [`upgrade`](crate::upgrade) for hyper), or
    /// with the core's handshake types directly. The connection's clock
    /// starts now: create it with `now` = `Duration::ZERO`.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use wscore::connection::Config;
    /// use wscore::handshake::server::Accepted;
    /// use wscore_tokio::WebSocketStream;
    ///
    /// # async fn run(stream: tokio::net::TcpStream, accepted: Accepted) {
    /// // ... the 101 sent on `stream` ...
    /// let (_response, connection) = accepted.into_connection(Config::new(), Duration::ZERO);
    /// let ws = WebSocketStream::from_connection(stream, connection);
    /// # }
    /// ```
    pub fn from_connection(stream: S, connection: Connection) -> Self {
        Self::new(stream, connection, BytesMut::new(), Instant::now())
    }

    /// Sends a message prepared for many connections (see [`Prepared`]) and
    /// writes it out, waiting like `SinkExt::send` while the bytes waiting
    /// are above the high-water mark.
    pub async fn send_prepared(&mut self, prepared: &Prepared) -> Result<(), Error> {
        poll_fn(|cx| Pin::new(&mut *self).poll_ready(cx)).await?;
        self.conn.send_prepared(prepared)?;
        poll_fn(|cx| self.poll_write_pending(cx)).await
    }

    /// Starts the close handshake with a code and reason (`SinkExt::close`
    /// sends 1000 with no reason); keep reading
    /// until the stream ends to see it complete.
    pub async fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = self.now();
        self.conn.close(now, code, reason)?;
        poll_fn(|cx| self.poll_write_pending(cx)).await
    }

    /// Whether the messages sent from now on may be compressed (see
    /// [`Connection::set_compression`]): off around a secret sent on a
    /// connection that also carries attacker-influenced data compressed.
    /// Messages already sent are not affected.
    pub fn set_compression(&mut self, on: bool) {
        self.conn.set_compression(on);
    }

    /// The protocol state machine underneath; once the stream has ended,
    /// its state says how (`State::Closed`).
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

    /// Writes what the connection has queued.
    fn poll_write_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        write_pending(&mut self.stream, &mut self.conn, cx)
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
    ///
    /// A connection holds no read buffer between bursts: once everything
    /// read is handed over the buffer is let go, and the next read waits
    /// on the stack, so that an idle connection costs no buffer at all
    /// (its bytes are copied once, into a buffer sized for them).
    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let n = if self.read_buf.capacity() == 0 {
            // Uninitialised: zeroing 4 KiB on every poll would cost more
            // than the copy.
            let mut first = [std::mem::MaybeUninit::uninit(); READ_SIZE];
            let mut first = ReadBuf::uninit(&mut first);
            ready!(Pin::new(&mut self.stream).poll_read(cx, &mut first))?;
            self.read_buf.extend_from_slice(first.filled());
            first.filled().len()
        } else {
            if self.read_buf.capacity() == self.read_buf.len() {
                self.read_buf
                    .reserve(READ_SIZE.saturating_sub(self.read_buf.len()).max(1));
            }
            ready!(poll_read_buf(
                Pin::new(&mut self.stream),
                cx,
                &mut self.read_buf
            ))?
        };
        if n == 0 {
            self.conn.receive_eof();
        } else {
            let now = self.now();
            self.conn.receive(now, &mut self.read_buf);
        }
        if self.read_buf.is_empty() {
            self.read_buf = BytesMut::new();
        }
        Poll::Ready(Ok(()))
    }
}

/// Sends one prepared message to many streams at once, without waiting
/// for any of them: each queues it (sharing its payload, and its
/// compression where the settings match; see [`Prepared`]) and writes what
/// its socket takes now; the rest goes out as that stream is next polled
/// (read, sent to or flushed). A stream whose peer has not kept up, its
/// bytes waiting already above the high-water mark, is skipped with
/// [`Error::Lagging`], so that one slow reader neither holds up the others
/// nor grows its queue without bound; a closed one gets its error. The
/// results are in the streams' order.
///
/// ```no_run
/// use wscore::connection::Prepared;
/// use wscore_tokio::{broadcast, WebSocketStream};
///
/// # fn room(members: &mut Vec<WebSocketStream<tokio::net::TcpStream>>) {
/// let results = broadcast(members.iter_mut(), &Prepared::text("hello, room"));
/// // Drop the members that cannot keep up.
/// let mut results = results.into_iter();
/// members.retain(|_| results.next().is_some_and(|result| result.is_ok()));
/// # }
/// ```
pub fn broadcast<'a, S, I>(streams: I, prepared: &Prepared) -> Vec<Result<(), Error>>
where
    S: AsyncRead + AsyncWrite + Unpin + 'a,
    I: IntoIterator<Item = &'a mut WebSocketStream<S>>,
{
    let mut cx = Context::from_waker(std::task::Waker::noop());
    streams
        .into_iter()
        .map(|ws| {
            if ws.conn.is_transmit_full() {
                return Err(Error::Lagging {
                    waiting: ws.conn.transmit_len(),
                });
            }
            ws.conn.send_prepared(prepared)?;
            // What the socket takes now; a socket that takes nothing more
            // is written when its stream is next polled, which registers
            // the real waker.
            match ws.poll_write_pending(&mut cx) {
                Poll::Ready(Err(error)) => Err(error),
                _ => Ok(()),
            }
        })
        .collect()
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// The connection is over: start the closing steps, then report.
    fn end(&mut self, report: Option<Error>) {
        if self.ending.is_none() {
            self.read_buf = BytesMut::new();
            self.timer = None;
            self.ending = Some(Ending {
                flushed: false,
                linger: Linger::new(),
                report,
            });
        }
    }
}

/// Writes what is still queued, within the linger time, then closes the
/// socket gracefully.
fn poll_ending<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut Connection,
    ending: &mut Ending,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if !ending.flushed {
        let expired = ending.linger.timer.as_mut().poll(cx).is_ready();
        match write_pending(stream, conn, cx) {
            Poll::Pending if !expired => return Poll::Pending,
            Poll::Ready(Err(_)) => ending.linger.step = Step::Done,
            _ => {}
        }
        ending.flushed = true;
    }
    ending.linger.poll(stream, cx)
}

/// Writes what `conn` has queued to `stream`, gathering chunks into
/// vectored writes.
fn write_pending<S: AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut Connection,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    let mut transmit = conn.transmit();
    while transmit.has_remaining() {
        let written = ready!(poll_write_buf(Pin::new(&mut *stream), cx, &mut transmit))?;
        if written == 0 {
            return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())));
        }
    }
    Pin::new(&mut *stream).poll_flush(cx).map_err(Error::Io)
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(ending) = &mut this.ending {
                ready!(poll_ending(&mut this.stream, &mut this.conn, ending, cx));
                return Poll::Ready(ending.report.take().map(Err));
            }
            match this.conn.poll_event() {
                Some(Event::Text(text)) => return Poll::Ready(Some(Ok(Message::Text(text)))),
                Some(Event::Binary(data)) => return Poll::Ready(Some(Ok(Message::Binary(data)))),
                Some(Event::Fragment { text, data, fin }) => {
                    return Poll::Ready(Some(Ok(Message::Fragment { text, data, fin })))
                }
                Some(Event::Ping(data)) => {
                    // The pong goes out before anything the application
                    // sends after seeing the ping (data queued later would
                    // otherwise be written first). A write that cannot go
                    // now is finished on the next poll; an error shows there.
                    let _ = this.poll_write_pending(cx);
                    return Poll::Ready(Some(Ok(Message::Ping(data))));
                }
                Some(Event::Pong(data)) => return Poll::Ready(Some(Ok(Message::Pong(data)))),
                Some(Event::Closed(_)) => {
                    let report = this.conn.closed().and_then(wscore_adapter::end);
                    this.end(report);
                    continue;
                }
                None => {}
            }
            // Pongs and close replies go out while reading; a slow writer
            // does not stop reading.
            if let Poll::Ready(Err(error)) = this.poll_write_pending(cx) {
                this.conn.receive_eof();
                this.end(Some(error));
                continue;
            }
            this.poll_timers(cx);
            match this.poll_read_once(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => {
                    this.conn.receive_eof();
                    this.end(Some(error));
                }
                Poll::Pending => {
                    // Waiting for the peer with nothing to write: an idle
                    // connection holds no encoding buffer either.
                    if this.conn.transmit_len() == 0 {
                        this.conn.release_idle_memory();
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.conn.is_transmit_full() {
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
