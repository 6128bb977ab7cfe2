//! WebSockets over HTTP/3 (RFC 9220, feature `http3`), on quinn: a server
//! that answers extended `CONNECT`s on a QUIC connection ([`serve_h3`]),
//! a client that opens one ([`connect_h3`]), and the stream each runs over
//! ([`H3Stream`]).
//!
//! The `h3` crate cannot carry WebSockets yet (it refuses `:protocol
//! websocket`, hyperium/h3#236), so this is HTTP/3 as far as a WebSocket
//! needs it, written here: the control streams and SETTINGS (advertising
//! SETTINGS_ENABLE_CONNECT_PROTOCOL, and a QPACK dynamic table of capacity
//! 0), QPACK with the static table and literals, and HEADERS and DATA
//! frames. The bootstrap itself is the core's, the same as over HTTP/2:
//! `ServerHandshake::receive_connect` and `ClientRequest::build_connect`.
//! As over HTTP/2 (RFC 9220 §3 defers to RFC 8441 §5): after the close
//! handshake each side ends its half of the stream (a QUIC FIN); a reset is
//! the abrupt end a TCP reset would be, reported with its code.

mod frame;
mod huffman;
mod qpack;
mod stream;

use qpack::Fields;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use quinn::{Connection, RecvStream, SendStream};
use tokio::sync::watch;
use tokio_rustls::rustls;
use wscore::connection::Config;
use wscore::handshake::client::ClientRequest;
use wscore::handshake::http::{connect_request, head};
use wscore::handshake::server::{Decision, Request};
use wscore_adapter::{address, opened, Accepting, Error, HandshakeError};

pub use stream::H3Stream;

use frame::{
    read_frame, settings, settings_frame, write_varint, CONTROL_STREAM, DATA,
    ENABLE_CONNECT_PROTOCOL, H3_STREAM_CREATION_ERROR, HEADERS, QPACK_BLOCKED_STREAMS,
    QPACK_DECODER_STREAM, QPACK_ENCODER_STREAM, QPACK_MAX_TABLE_CAPACITY, SETTINGS,
};

use crate::{within, WebSocketStream};

/// The ALPN name of HTTP/3.
pub const ALPN: &[u8] = b"h3";

/// Why an HTTP/3 stream or connection failed.
#[derive(Debug)]
pub(crate) enum H3Error {
    /// QUIC failed: the connection or the stream.
    Io(io::Error),
    /// The peer broke HTTP/3.
    Malformed(&'static str),
}

impl H3Error {
    fn io(error: impl Into<io::Error>) -> Self {
        Self::Io(error.into())
    }
}

impl fmt::Display for H3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(error) => error.fmt(f),
            Self::Malformed(what) => write!(f, "malformed HTTP/3: {what}"),
        }
    }
}

impl From<H3Error> for Error {
    fn from(error: H3Error) -> Self {
        HandshakeError::Http3(wscore_adapter::Http3Error::Failed(error.to_string())).into()
    }
}

/// The SETTINGS this side sends: no QPACK dynamic table, so none is needed
/// to read our peer; and as a server, extended CONNECT.
fn our_settings(server: bool) -> Vec<(u64, u64)> {
    let mut pairs = vec![(QPACK_MAX_TABLE_CAPACITY, 0), (QPACK_BLOCKED_STREAMS, 0)];
    if server {
        pairs.push((ENABLE_CONNECT_PROTOCOL, 1));
    }
    pairs
}

/// A connection's control streams: ours, which must stay open as long as
/// the connection (RFC 9114 §6.2.1), and the peer's SETTINGS once read.
struct Control {
    _send: SendStream,
    peer: watch::Receiver<Option<Vec<(u64, u64)>>>,
}

impl Control {
    /// Opens our control stream with our SETTINGS, and reads the peer's
    /// unidirectional streams from now on: its control stream for its
    /// SETTINGS, the rest (QPACK's, which a capacity of 0 leaves empty, and
    /// unknown types) read and dropped.
    async fn open(connection: &Connection, server: bool) -> Result<Self, H3Error> {
        let mut send = connection.open_uni().await.map_err(H3Error::io)?;
        let mut bytes = Vec::new();
        write_varint(&mut bytes, CONTROL_STREAM);
        bytes.extend_from_slice(&settings_frame(&our_settings(server)));
        send.write_all(&bytes).await.map_err(H3Error::io)?;
        let (tell, peer) = watch::channel(None);
        let connection = connection.clone();
        tokio::spawn(async move {
            while let Ok(recv) = connection.accept_uni().await {
                tokio::spawn(read_uni(recv, tell.clone()));
            }
        });
        Ok(Self { _send: send, peer })
    }

    /// The peer's SETTINGS, waiting for them.
    async fn peer_settings(&mut self) -> Result<Vec<(u64, u64)>, H3Error> {
        let settings =
            self.peer.wait_for(Option::is_some).await.map_err(|_| {
                H3Error::Malformed("the connection ended before the peer's SETTINGS")
            })?;
        Ok(settings.clone().unwrap_or_default())
    }
}

/// One of the peer's unidirectional streams.
async fn read_uni(mut recv: RecvStream, tell: watch::Sender<Option<Vec<(u64, u64)>>>) {
    let mut buf = BytesMut::new();
    // The stream type, a varint of at most 8 bytes.
    while frame::varint(&buf).is_none() {
        buf.reserve(8);
        match tokio::io::AsyncReadExt::read_buf(&mut recv, &mut buf).await {
            Ok(1..) => {}
            _ => return,
        }
    }
    let (kind, len) = frame::varint(&buf).unwrap_or_default();
    bytes::Buf::advance(&mut buf, len);
    match kind {
        CONTROL_STREAM => {}
        // QPACK's encoder and decoder streams must stay open for the life of
        // the connection (RFC 9204 §4.2); with a table of capacity 0 what
        // comes on them is nothing this side needs.
        QPACK_ENCODER_STREAM | QPACK_DECODER_STREAM => {
            let mut scratch = [0; 1024];
            while let Ok(Some(_)) = recv.read(&mut scratch).await {}
            return;
        }
        // Push streams (never asked for) and unknown types: reading is
        // aborted, as RFC 9114 §6.2 allows.
        _ => {
            let _ = recv.stop(H3_STREAM_CREATION_ERROR.into());
            return;
        }
    }
    if let Ok(Some((SETTINGS, payload))) = read_frame(&mut recv, &mut buf).await {
        let _ = tell.send(settings(&payload));
    }
    // The rest of the control stream (GOAWAY and the like) is read and dropped.
    while let Ok(Some(_)) = read_frame(&mut recv, &mut buf).await {}
}

/// Reads the HEADERS frame a request or response starts with.
async fn read_headers(recv: &mut RecvStream, received: &mut BytesMut) -> Result<Fields, H3Error> {
    match read_frame(recv, received).await? {
        Some((HEADERS, block)) => qpack::decode(&block).map_err(|_| H3Error::Malformed("QPACK")),
        _ => Err(H3Error::Malformed(
            "a request or response must start with HEADERS",
        )),
    }
}

/// The regular fields into `headers`, checked by the http crate (no CR, LF
/// or NUL, so none can forge a line of the HTTP/1.1 head the core reads)
/// and for HTTP/3's lower-case names (RFC 9114 §4.2); the pseudo-fields
/// handed to `pseudo`.
fn split_fields(
    fields: Fields,
    headers: &mut http::HeaderMap,
    mut pseudo: impl FnMut(&[u8], Vec<u8>),
) -> Result<(), H3Error> {
    for (name, value) in fields {
        if name.first() == Some(&b':') {
            pseudo(&name, value);
            continue;
        }
        if name.iter().any(u8::is_ascii_uppercase) {
            return Err(H3Error::Malformed("an upper-case field name"));
        }
        let name =
            http::HeaderName::from_bytes(&name).map_err(|_| H3Error::Malformed("a field name"))?;
        let value = http::HeaderValue::from_bytes(&value)
            .map_err(|_| H3Error::Malformed("a field value"))?;
        headers.append(name, value);
    }
    Ok(())
}

/// A request's fields as an `http::Request`, and its `:protocol`.
fn request_of(fields: Fields) -> Result<(http::Request<()>, Option<String>), H3Error> {
    let mut request = http::Request::new(());
    let (mut method, mut scheme, mut authority, mut path, mut protocol) =
        (None, None, None, None, None);
    split_fields(fields, request.headers_mut(), |name, value| {
        let value = String::from_utf8(value).ok();
        match name {
            b":method" => method = value,
            b":scheme" => scheme = value,
            b":authority" => authority = value,
            b":path" => path = value,
            b":protocol" => protocol = value,
            _ => {}
        }
    })?;
    *request.method_mut() = http::Method::from_bytes(method.unwrap_or_default().as_bytes())
        .map_err(|_| H3Error::Malformed(":method"))?;
    let mut uri = http::Uri::builder().path_and_query(path.unwrap_or_else(|| "/".into()));
    if let (Some(scheme), Some(authority)) = (scheme, authority) {
        uri = uri.scheme(scheme.as_str()).authority(authority);
    }
    *request.uri_mut() = uri
        .build()
        .map_err(|_| H3Error::Malformed(":path or :authority"))?;
    *request.version_mut() = http::Version::HTTP_3;
    Ok((request, protocol))
}

/// A response's fields as an `http::Response`.
fn response_of(fields: Fields) -> Result<http::Response<()>, H3Error> {
    let mut response = http::Response::new(());
    let mut status = None;
    split_fields(fields, response.headers_mut(), |name, value| {
        if name == b":status" {
            status = http::StatusCode::from_bytes(&value).ok();
        }
    })?;
    *response.status_mut() = status.ok_or(H3Error::Malformed(":status"))?;
    Ok(response)
}

/// The encoded fields of a request or response: its pseudo-fields, then
/// its headers.
fn fields_of(pseudo: &[(&str, &str)], headers: &http::HeaderMap) -> Vec<u8> {
    let pseudo = pseudo
        .iter()
        .map(|(name, value)| (name.as_bytes(), value.as_bytes()));
    let headers = headers
        .iter()
        .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()));
    qpack::encode(pseudo.chain(headers))
}

/// Answers the extended `CONNECT`s (and other requests) of one QUIC
/// connection, as [`accept_with`](crate::accept_with) answers bytes:
/// `decide` looks at each request (a plain `GET` is `RequestKind::Http`)
/// and upgrades or answers it; each WebSocket is given to `on_websocket`
/// in a task of its own. Returns when the connection ends. The most
/// requests at once is the endpoint's `max_concurrent_bidi_streams`.
///
/// ```no_run
/// use futures_util::{SinkExt, StreamExt};
/// use wscore::connection::Config;
/// use wscore_tokio::{Accept, Decision, Request};
///
/// # async fn run(endpoint: quinn::Endpoint) {
/// while let Some(incoming) = endpoint.accept().await {
///     tokio::spawn(async move {
///         let Ok(connection) = incoming.await else { return };
///         let decide = |_: &Request<'_>| Decision::Accept(Accept::new());
///         let _ = wscore_tokio::serve_h3(connection, Config::new(), decide, |mut ws| async move {
///             while let Some(Ok(message)) = ws.next().await {
///                 let _ = ws.send(message).await;
///             }
///         })
///         .await;
///     });
/// }
/// # }
/// ```
pub async fn serve_h3<F, H, Fut>(
    connection: Connection,
    config: Config,
    decide: F,
    on_websocket: H,
) -> Result<(), Error>
where
    F: Fn(&Request<'_>) -> Decision<'static> + Clone + Send + 'static,
    H: Fn(WebSocketStream<H3Stream>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let _control = Control::open(&connection, true).await?;
    loop {
        let (send, recv) = match connection.accept_bi().await {
            Ok(streams) => streams,
            Err(
                quinn::ConnectionError::ApplicationClosed(_)
                | quinn::ConnectionError::LocallyClosed,
            ) => return Ok(()),
            Err(error) => return Err(H3Error::io(error).into()),
        };
        let (decide, on_websocket) = (decide.clone(), on_websocket.clone());
        tokio::spawn(async move {
            if let Ok(Some(ws)) = answer(send, recv, config, decide).await {
                on_websocket(ws).await;
            }
        });
    }
}

/// Reads one request and answers it: the WebSocket, if it opened one.
async fn answer<F>(
    mut send: SendStream,
    mut recv: RecvStream,
    config: Config,
    decide: F,
) -> Result<Option<WebSocketStream<H3Stream>>, Error>
where
    F: Fn(&Request<'_>) -> Decision<'static>,
{
    let mut received = BytesMut::new();
    let (request, protocol) = request_of(read_headers(&mut recv, &mut received).await?)?;
    // Through the core's one parser, as over HTTP/1.1 and HTTP/2.
    let answer = Accepting::whole(&head(&request), Some(protocol.as_deref()), config, decide);
    let response = wscore::handshake::http::response(&answer.response, http::Version::HTTP_3);
    let block = fields_of(
        &[(":status", response.status().as_str())],
        response.headers(),
    );
    let mut bytes = frame::frame(HEADERS, &block);
    if !response.body().is_empty() {
        bytes.extend_from_slice(&frame::frame(DATA, response.body()));
    }
    send.write_all(&bytes).await.map_err(H3Error::io)?;
    match answer.result {
        Ok((connection, _)) => {
            let stream = H3Stream::new(send, recv, received, Box::new(()));
            Ok(Some(WebSocketStream::from_connection(stream, connection)))
        }
        Err(error) => {
            let _ = send.finish();
            Err(error)
        }
    }
}

/// Opens a WebSocket over HTTP/3 (RFC 9220): QUIC to the request's host and
/// port (UDP), TLS trusting `tls` with ALPN `h3`, our SETTINGS, the
/// server's (which must advertise SETTINGS_ENABLE_CONNECT_PROTOCOL), then
/// an extended `CONNECT` with `:protocol websocket`, checked as the
/// HTTP/1.1 handshake is. Bounded by the request's
/// [`Limits::timeout`](wscore::handshake::Limits).
///
/// ```no_run
/// use wscore::connection::Config;
/// use wscore::handshake::client::ClientRequest;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let request = ClientRequest::from_url("wss://example.com/chat")?;
/// let ws = wscore_tokio::connect_h3(&request, Config::new(), wscore_tokio::tls::client_config()).await?;
/// # Ok(()) }
/// ```
pub async fn connect_h3(
    request: &ClientRequest<'_>,
    config: Config,
    tls: Arc<rustls::ClientConfig>,
) -> Result<WebSocketStream<H3Stream>, Error> {
    let steps = async {
        let (host, port) = address(request);
        let addr = tokio::net::lookup_host((host, port))
            .await?
            .next()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
            })?;
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
            .map_err(|e| failed(format!("TLS 1.3 is needed for QUIC: {e}")))?;
        let bind: SocketAddr = match addr {
            SocketAddr::V4(_) => ([0, 0, 0, 0], 0).into(),
            SocketAddr::V6(_) => ([0u16; 8], 0).into(),
        };
        let endpoint = quinn::Endpoint::client(bind)?;
        let connection = endpoint
            .connect_with(quinn::ClientConfig::new(Arc::new(quic)), addr, host)
            .map_err(|e| failed(e.to_string()))?
            .await
            .map_err(|e| failed(format!("QUIC connection to {host}:{port} failed: {e}")))?;
        let mut control = Control::open(&connection, false).await?;
        let settings = control.peer_settings().await?;
        if !settings.contains(&(ENABLE_CONNECT_PROTOCOL, 1)) {
            return Err(
                HandshakeError::Http3(wscore_adapter::Http3Error::NoExtendedConnect).into(),
            );
        }
        let (connect, mut handshake) =
            connect_request(request, Duration::ZERO).map_err(HandshakeError::Build)?;
        let uri = connect.uri();
        let pseudo = [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", uri.scheme_str().unwrap_or("https")),
            (
                ":authority",
                uri.authority().map_or("", |authority| authority.as_str()),
            ),
            (
                ":path",
                uri.path_and_query().map_or("/", |target| target.as_str()),
            ),
        ];
        let (mut send, mut recv) = connection.open_bi().await.map_err(H3Error::io)?;
        let block = fields_of(&pseudo, connect.headers());
        send.write_all(&frame::frame(HEADERS, &block))
            .await
            .map_err(H3Error::io)?;
        let mut received = BytesMut::new();
        let response = response_of(read_headers(&mut recv, &mut received).await?)?;
        let ws_connection = opened(&mut handshake, &head(&response), config)?;
        // The QUIC endpoint and connection, and our control stream, live as
        // long as the WebSocket.
        let keep = Box::new((endpoint, connection, control));
        let stream = H3Stream::new(send, recv, received, keep);
        Ok(WebSocketStream::from_connection(stream, ws_connection))
    };
    within(request, "opening an HTTP/3 WebSocket", steps).await
}

fn failed(cause: String) -> Error {
    HandshakeError::Http3(wscore_adapter::Http3Error::Failed(cause)).into()
}
