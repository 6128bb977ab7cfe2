//! Upgrading a request that hyper (or axum, on hyper) has already parsed
//! (feature `hyper`): the same decisions and answers as
//! [`accept_with`](crate::accept_with), with an `http::Request` in and an
//! `http::Response` out; over HTTP/1.1 (`Upgrade`) and over HTTP/2 (an
//! extended `CONNECT`, RFC 8441) alike.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use wscore::connection::{Config, Connection};
use wscore::handshake::http::{head, response};
use wscore::handshake::server::{Decision, Request};
use wscore_adapter::{Accepting, Error};

use crate::WebSocketStream;

/// The WebSocket over a hyper connection once hyper has switched it.
pub type HyperWebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Answers `request` as [`accept_with`](crate::accept_with) would: `decide`
/// looks at it (as [`Request`], the same view) and upgrades or answers it;
/// a request that is not a valid upgrade, or whose upgrade a proxy
/// stripped, gets its `4xx` with the reason. Returns the response for
/// hyper to send and, when it is the `101`, the WebSocket that opens once
/// hyper has sent it; otherwise why not. Spawn the WebSocket's task and
/// return the response.
///
/// For hyper's HTTP/1.1 server, serve the connection `with_upgrades()`;
/// for its HTTP/2 server, `enable_connect_protocol()`, which advertises
/// SETTINGS_ENABLE_CONNECT_PROTOCOL so that browsers open WebSockets with
/// an extended `CONNECT`, answered `200` here. Every request on an HTTP/2
/// connection goes through the same `decide`: a plain `GET` is
/// `RequestKind::Http`.
///
/// ```no_run
/// use futures_util::{SinkExt, StreamExt};
/// use wscore::connection::Config;
/// use wscore_tokio::{Accept, Decision, Request};
///
/// async fn handle(
///     mut request: http::Request<hyper::body::Incoming>,
/// ) -> http::Response<http_body_util::Full<bytes::Bytes>> {
///     let decide = |_: &Request<'_>| Decision::Accept(Accept::new());
///     let (response, websocket) = wscore_tokio::upgrade(&mut request, Config::new(), decide);
///     if let Ok(websocket) = websocket {
///         tokio::spawn(async move {
///             let Ok(mut ws) = websocket.await else { return };
///             while let Some(Ok(message)) = ws.next().await {
///                 let _ = ws.send(message).await;
///             }
///         });
///     }
///     response
/// }
/// ```
pub fn upgrade<B, F>(
    request: &mut http::Request<B>,
    config: Config,
    decide: F,
) -> (http::Response<Full<Bytes>>, Result<Upgrading, Error>)
where
    F: for<'r> FnOnce(&Request<'r>) -> Decision<'static>,
{
    let answer = Accepting::whole(&head(request), over_http2(request), config, decide);
    let response = response(&answer.response, request.version()).map(Full::new);
    let upgrading = answer.result.map(|(connection, _)| Upgrading {
        on_upgrade: hyper::upgrade::on(request),
        connection: Some(connection),
    });
    (response, upgrading)
}

/// Over HTTP/2, the request's `:protocol` (an extended `CONNECT`'s, if
/// it has one); `None` over HTTP/1.1.
#[cfg(feature = "http2")]
fn over_http2<B>(request: &http::Request<B>) -> Option<Option<&str>> {
    let protocol = request.extensions().get::<hyper::ext::Protocol>();
    (request.version() >= http::Version::HTTP_2).then(|| protocol.map(hyper::ext::Protocol::as_str))
}

/// Without the `http2` feature, every request is read as HTTP/1.1's.
#[cfg(not(feature = "http2"))]
fn over_http2<B>(_: &http::Request<B>) -> Option<Option<&str>> {
    None
}

/// The WebSocket to be, once hyper has sent the `101` and handed over the
/// connection.
#[must_use = "the WebSocket opens only when awaited"]
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    connection: Option<Connection>,
}

impl Future for Upgrading {
    type Output = Result<HyperWebSocket, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let upgraded = ready!(Pin::new(&mut self.on_upgrade).poll(cx));
        let upgraded = upgraded.map_err(|error| {
            Error::Io(io::Error::other(format!(
                "hyper did not hand over the connection: {error}"
            )))
        })?;
        let connection = self.connection.take().expect("polled after completion");
        Poll::Ready(Ok(WebSocketStream::from_connection(
            TokioIo::new(upgraded),
            connection,
        )))
    }
}
