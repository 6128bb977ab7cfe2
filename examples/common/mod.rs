//! What the echo examples share: the page, the connection settings, the
//! echo loop with its log lines, and what they do with the result of
//! `wscore_tokio::upgrade`.

use std::fmt::Display;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use wscore::connection::{Config, Message, SendError, State};
use wscore_tokio::{Error, Upgrading, WebSocketStream};

/// A page that opens a WebSocket back to the server it came from.
pub const PAGE: &str = include_str!("../echo_page.html");

/// Messages up to 64 MiB, a keepalive ping every 30 s, and a peer silent
/// for 75 s closed.
pub fn config() -> Config {
    Config::new()
        .max_message_size(64 << 20)
        .keepalive(Some(Duration::from_secs(30)))
        .idle_timeout(Some(Duration::from_secs(75)))
}

/// Echoes every text and binary message until the connection ends; one
/// log line when it opens, one when it ends (how, or the error).
pub async fn echo<S>(mut ws: WebSocketStream<S>, peer: impl Display)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match ws.connection().agreed().deflate() {
        Some(params) => println!("{peer}: open, compressed ({params:?})"),
        None => println!("{peer}: open"),
    }
    while let Some(message) = ws.next().await {
        let echoed = match message {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => ws.send(message).await,
            Ok(_) => Ok(()),
            Err(error) => {
                println!("{peer}: {error}");
                return;
            }
        };
        match echoed {
            // The peer's close came in the same read as its message: no
            // echo after it, but the stream still completes the close.
            Ok(()) | Err(Error::Send(SendError::Closed)) => {}
            Err(error) => {
                println!("{peer}: {error}");
                return;
            }
        }
    }
    match ws.connection().state() {
        State::Closed(closed) => println!("{peer}: {closed}"),
        other => println!("{peer}: ended in {other:?}"),
    }
}

/// Echoes on the WebSocket once hyper has handed it over, in a task of its
/// own; logs why there is none (unless the request was simply answered,
/// e.g. the page).
pub fn spawn_echo(websocket: Result<Upgrading, Error>, peer: impl Display + Send + 'static) {
    match websocket {
        Ok(websocket) => {
            tokio::spawn(async move {
                match websocket.await {
                    Ok(ws) => echo(ws, peer).await,
                    Err(error) => println!("{peer}: not opened: {error}"),
                }
            });
        }
        Err(Error::Responded(_)) => {}
        Err(error) => println!("{peer}: not opened: {error}"),
    }
}
