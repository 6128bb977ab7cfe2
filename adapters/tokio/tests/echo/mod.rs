//! What the HTTP/2 and HTTP/3 tests share: their servers' echo loop, which
//! reports how each WebSocket ended, and a sender flooding a peer that
//! does not read.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::UnboundedSender;
use wscore::connection::Message;
use wscore_tokio::WebSocketStream;

/// Echoes text and binary messages until the end, then sends `ended` the
/// error, or "clean"; or, unless `read`, never reads at all.
pub async fn echo<S>(mut ws: WebSocketStream<S>, read: bool, ended: UnboundedSender<String>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if !read {
        return std::future::pending().await;
    }
    while let Some(message) = ws.next().await {
        match message {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                let _ = ws.send(message).await;
            }
            Ok(_) => {}
            Err(error) => {
                let _ = ended.send(error.to_string());
                return;
            }
        }
    }
    let _ = ended.send("clean".into());
}

/// Sends 1 MiB messages on `ws` for 2 s to a peer that reads nothing, and
/// checks that fewer than `max_mib` went out: as many as the windows and
/// the send queue's high-water mark take, then the sender waits.
pub async fn assert_held_back<S>(mut ws: WebSocketStream<S>, max_mib: usize)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let chunk = Bytes::from(vec![0u8; 1 << 20]);
    let mut sent = 0;
    let flood = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            ws.send(Message::binary(chunk.clone())).await.unwrap();
            sent += 1;
        }
    })
    .await;
    assert!(flood.is_err(), "the sender was never held back");
    assert!(
        sent < max_mib,
        "{sent} MiB went out to a peer that reads nothing"
    );
}
