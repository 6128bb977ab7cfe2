//! WebSockets over HTTP/2 (RFC 8441, feature `http2`): a client that opens
//! them with extended `CONNECT`s ([`connect_h2`], or many on one
//! [`Http2Connection`]), and the stream each runs over ([`H2Stream`]). Servers answer extended `CONNECT`s from hyper's
//! HTTP/2 server with [`upgrade`](crate::upgrade).
//!
//! The WebSocket's bytes are the HTTP/2 stream's DATA: frames and masking
//! are as over TCP (RFC 8441 §5). The ends map as RFC 8441 §5 says: after
//! the close handshake each side ends its half of the stream (END_STREAM,
//! where TCP would send FIN); a stream reset (RST_STREAM) is the abrupt end
//! a TCP reset would be, reported with its reason. HTTP/2 flow control is
//! the backpressure: a write waits for the peer's window, and the window
//! is given back only as the WebSocket reads.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls::ClientConfig;
use wscore::connection::Config;
use wscore::handshake::client::ClientRequest;
use wscore::handshake::http::{connect_request, head};
use wscore_adapter::{opened, Error, HandshakeError, Http2Error};

use crate::maybe_tls::{self, MaybeTlsStream, Tls};
use crate::{within, WebSocketStream};

/// The ALPN name of HTTP/2.
const H2: &[u8] = b"h2";

/// How much a server may send on one stream, and on the whole connection,
/// before the WebSocket reads it: hyper's defaults.
const STREAM_WINDOW: u32 = 2 << 20;
const CONNECTION_WINDOW: u32 = 5 << 20;

/// An HTTP/2 stream as a byte stream: what a WebSocket over HTTP/2 runs
/// over.
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// Received and not yet read.
    unread: Bytes,
}

impl H2Stream {
    /// The stream made of the two halves of an HTTP/2 request.
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        Self {
            send,
            recv,
            unread: Bytes::new(),
        }
    }
}

fn h2_error(error: h2::Error) -> io::Error {
    match error.reason() {
        Some(reason) if error.is_reset() => io::Error::new(
            io::ErrorKind::ConnectionReset,
            format!("the HTTP/2 stream was reset: {reason:?}"),
        ),
        _ => io::Error::other(error),
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.unread.is_empty() {
            match ready!(self.recv.poll_data(cx)) {
                // The end of the peer's half: end of file.
                None => return Poll::Ready(Ok(())),
                Some(Err(error)) => return Poll::Ready(Err(h2_error(error))),
                Some(Ok(data)) => {
                    // The window is given back as the data is taken, so
                    // that a WebSocket that stops reading stops the peer.
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    self.unread = data;
                }
            }
        }
        let n = self.unread.len().min(buf.remaining());
        buf.put_slice(&self.unread[..n]);
        self.unread.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.send.reserve_capacity(buf.len());
        loop {
            match ready!(self.send.poll_capacity(cx)) {
                None => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the HTTP/2 stream is closed",
                    )))
                }
                Some(Err(error)) => return Poll::Ready(Err(h2_error(error))),
                Some(Ok(0)) => {}
                Some(Ok(capacity)) => {
                    let n = capacity.min(buf.len());
                    let data = Bytes::copy_from_slice(&buf[..n]);
                    self.send.send_data(data, false).map_err(h2_error)?;
                    return Poll::Ready(Ok(n));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // h2 writes what was sent as the connection is driven.
        Poll::Ready(Ok(()))
    }

    /// Ends our half of the stream (END_STREAM): TCP's FIN.
    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.send.reserve_capacity(0);
        match self.send.send_data(Bytes::new(), true) {
            Ok(()) => Poll::Ready(Ok(())),
            // Already ended, or reset: nothing more to say either way.
            Err(_) => Poll::Ready(Ok(())),
        }
    }
}

/// An HTTP/2 connection to a server that takes WebSockets over it (RFC
/// 8441): open as many as its SETTINGS_MAX_CONCURRENT_STREAMS allows, each
/// its own stream, as a browser does. Cloning it shares the connection,
/// which closes once every clone and every WebSocket on it is dropped.
///
/// ```no_run
/// use wscore::connection::Config;
/// use wscore::handshake::client::ClientRequest;
/// use wscore_tokio::Http2Connection;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let request = ClientRequest::from_url("wss://example.com/chat")?;
/// let connection = Http2Connection::connect(&request, wscore_tokio::tls::client_config()).await?;
/// let first = connection.open(&request, Config::new()).await?;
/// let second = connection.open(&request, Config::new()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Http2Connection {
    send: h2::client::SendRequest<Bytes>,
}

impl Http2Connection {
    /// Connects to the request's host and port: TLS with ALPN `h2` for
    /// `wss://` (trusting `tls`), or HTTP/2 with prior knowledge for
    /// `ws://`; then waits for the server's SETTINGS (with a PING) to know
    /// that it takes extended `CONNECT`s. Bounded by the request's
    /// [`Limits::timeout`](wscore::handshake::Limits).
    ///
    /// A server that does not speak HTTP/2, or does not advertise
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL, gives an [`Http2Error`] saying so.
    pub async fn connect(
        request: &ClientRequest<'_>,
        tls: Arc<ClientConfig>,
    ) -> Result<Self, Error> {
        within(request, "opening an HTTP/2 WebSocket", async {
            // HTTP/1.1 too, so that a server without HTTP/2 still
            // completes TLS and can be named as such.
            let mut tls = (*tls).clone();
            tls.alpn_protocols = vec![H2.to_vec(), b"http/1.1".to_vec()];
            let io = maybe_tls::open(request, Tls(Some(Arc::new(tls)))).await?;
            if let MaybeTlsStream::Rustls(tls) = &io {
                if tls.get_ref().1.alpn_protocol() != Some(H2) {
                    return Err(HandshakeError::Http2(Http2Error::NotOffered).into());
                }
            }
            // hyper's windows: h2's default (64 KiB per connection) would
            // let 100 WebSockets on one connection receive one 16 KiB
            // message each per round trip between them.
            let (send, mut connection) = h2::client::Builder::new()
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .handshake(io)
                .await
                .map_err(failed)?;
            let mut ping_pong = connection.ping_pong().expect("taken once");
            tokio::spawn(async move {
                let _ = connection.await;
            });
            // The server's SETTINGS come before its answer to a PING: once
            // that is back, whether it takes extended CONNECTs is known.
            ping_pong.ping(h2::Ping::opaque()).await.map_err(failed)?;
            let send = send.ready().await.map_err(failed)?;
            if !send.is_extended_connect_protocol_enabled() {
                return Err(HandshakeError::Http2(Http2Error::NoExtendedConnect).into());
            }
            Ok(Self { send })
        })
        .await
    }

    /// Opens a WebSocket on a stream of its own with an extended `CONNECT`
    /// (`:protocol websocket`) for `request`'s path, checked as the
    /// HTTP/1.1 handshake is (subprotocol, extensions, a refusal named).
    /// Waits while the server's stream limit is reached. The response is
    /// bounded by the request's timeout.
    pub async fn open(
        &self,
        request: &ClientRequest<'_>,
        config: Config,
    ) -> Result<WebSocketStream<H2Stream>, Error> {
        within(request, "opening an HTTP/2 WebSocket", async {
            let (mut connect, mut handshake) =
                connect_request(request, Duration::ZERO).map_err(HandshakeError::Build)?;
            connect
                .extensions_mut()
                .insert(h2::ext::Protocol::from_static("websocket"));
            let mut send = self.send.clone().ready().await.map_err(failed)?;
            let (response, stream) = send.send_request(connect, false).map_err(failed)?;
            let response = response.await.map_err(failed)?;
            let connection = opened(&mut handshake, &head(&response), config)?;
            let stream = H2Stream::new(stream, response.into_body());
            Ok(WebSocketStream::from_connection(stream, connection))
        })
        .await
    }
}

/// Opens a WebSocket over an HTTP/2 connection of its own: see
/// [`Http2Connection`] to open several on one connection.
///
/// ```no_run
/// use wscore::connection::Config;
/// use wscore::handshake::client::ClientRequest;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let request = ClientRequest::from_url("wss://example.com/chat")?;
/// let ws = wscore_tokio::connect_h2(&request, Config::new(), wscore_tokio::tls::client_config()).await?;
/// # Ok(()) }
/// ```
pub async fn connect_h2(
    request: &ClientRequest<'_>,
    config: Config,
    tls: Arc<ClientConfig>,
) -> Result<WebSocketStream<H2Stream>, Error> {
    Http2Connection::connect(request, tls)
        .await?
        .open(request, config)
        .await
}

fn failed(error: h2::Error) -> Error {
    HandshakeError::Http2(Http2Error::Failed(error.to_string())).into()
}
