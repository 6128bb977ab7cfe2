//! wscore-tokio over loopback TCP: messages both ways, ping/pong and close,
//! a client we did not write, cancel-safe reads, split halves, keepalive,
//! compression, and a message kept out of it.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use wscore::connection::{Config, Message, Prepared};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_tokio::{broadcast, Accept, Decision, Error, Limits, WebSocketStream};

async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    (listener, url)
}

/// Echoes every text and binary message until the stream ends.
async fn echo(mut ws: WebSocketStream<TcpStream>) {
    while let Some(message) = ws.next().await {
        match message {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                ws.send(message).await.unwrap()
            }
            Ok(_) => {}
            Err(error) => panic!("echo server: {error}"),
        }
    }
}

async fn echo_server(listener: TcpListener) {
    let (stream, _) = listener.accept().await.unwrap();
    echo(wscore_tokio::accept(stream).await.unwrap()).await;
}

#[tokio::test]
async fn messages_pings_and_a_clean_close() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(echo_server(listener));
    let mut ws = wscore_tokio::connect(&url).await.unwrap();
    let big = Bytes::from(vec![7u8; 1 << 20]);
    for message in [
        Message::text("hello"),
        Message::binary(big.clone()),
        Message::text(""),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    ws.send(Message::ping(Bytes::from_static(b"tokio")))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::pong(Bytes::from_static(b"tokio"))
    );
    ws.close().await.unwrap();
    assert!(
        ws.next().await.is_none(),
        "the stream ends after a clean close"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn tungstenite_client_against_the_tokio_server() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(echo_server(listener));
    tokio::task::spawn_blocking(move || {
        let (mut ws, _) = tungstenite::connect(url).unwrap();
        ws.send(tungstenite::Message::text("from tungstenite"))
            .unwrap();
        assert_eq!(
            ws.read().unwrap(),
            tungstenite::Message::text("from tungstenite")
        );
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
    })
    .await
    .unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn reads_are_cancel_safe() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = wscore_tokio::accept(stream).await.unwrap();
        for i in 0..50u32 {
            ws.send(Message::text(i.to_string())).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        ws.close().await.unwrap();
        while ws.next().await.is_some() {}
    });
    let mut ws = wscore_tokio::connect(&url).await.unwrap();
    let mut got = Vec::new();
    loop {
        // A read raced against a short timer: the timer often wins, and the
        // dropped read must lose nothing.
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => got.push(text.as_str().parse::<u32>().unwrap()),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("{error}"),
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_micros(300)) => {}
        }
    }
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    server.await.unwrap();
}

#[tokio::test]
async fn split_halves_work_from_two_tasks() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(echo_server(listener));
    let (mut write, mut read) = wscore_tokio::connect(&url).await.unwrap().split();
    let writer = tokio::spawn(async move {
        for i in 0..100u32 {
            write.send(Message::text(i.to_string())).await.unwrap();
        }
        write
    });
    for i in 0..100u32 {
        assert_eq!(
            read.next().await.unwrap().unwrap(),
            Message::text(i.to_string())
        );
    }
    let mut write = writer.await.unwrap();
    write.close().await.unwrap();
    assert!(read.next().await.is_none());
    server.await.unwrap();
}

#[tokio::test]
async fn keepalive_pings_come_from_the_timer() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let config = Config::new().keepalive(Some(Duration::from_millis(50)));
        let decide = |_: &wscore_tokio::Request<'_>| Decision::Accept(Accept::new());
        echo(
            wscore_tokio::accept_with(stream, config, Limits::default(), decide)
                .await
                .unwrap(),
        )
        .await;
    });
    let mut ws = wscore_tokio::connect(&url).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert_eq!(first.unwrap().unwrap(), Message::ping(Bytes::new()));
    ws.close().await.unwrap();
    while ws.next().await.is_some() {}
    server.await.unwrap();
}

#[tokio::test]
async fn a_peer_that_stops_reading_pushes_back_on_the_sender() {
    let (listener, url) = listener().await;
    let client = tokio::spawn(async move {
        let ws = wscore_tokio::connect(&url).await.unwrap();
        // Connected, then never reads.
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(ws);
    });
    let (stream, _) = listener.accept().await.unwrap();
    let high_water = 256 << 10;
    let config = Config::new().transmit_high_water(high_water);
    let decide = |_: &wscore_tokio::Request<'_>| Decision::Accept(Accept::new());
    let mut ws = wscore_tokio::accept_with(stream, config, Limits::default(), decide)
        .await
        .unwrap();
    let message = Message::binary(Bytes::from(vec![1u8; 1 << 20]));
    let mut sent = 0;
    let sending = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            ws.feed(message.clone()).await.unwrap();
            sent += 1;
        }
    })
    .await;
    assert!(
        sending.is_err(),
        "sending must wait for a peer that does not read"
    );
    // What waits in memory is bounded: the socket buffers took some, the
    // rest is at most the high-water mark plus the message that crossed it.
    let buffered = ws.connection().transmit_len();
    assert!(
        buffered <= high_water + (1 << 20) + 16,
        "{buffered} bytes buffered after {sent} messages"
    );
    assert!(
        sent < 100,
        "{sent} messages accepted without the peer reading"
    );
    client.abort();
}

/// Echoes one connection, agreeing to permessage-deflate.
async fn deflate_echo_server(listener: TcpListener) {
    let (stream, _) = listener.accept().await.unwrap();
    let accept = |_: &wscore_tokio::Request<'_>| {
        Decision::Accept(Accept::new().deflate(DeflateConfig::new()))
    };
    let ws = wscore_tokio::accept_with(stream, Config::new(), Limits::default(), accept)
        .await
        .unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    echo(ws).await;
}

/// A client over `stream` that offers permessage-deflate, and got it.
async fn deflate_client<S>(url: &str, stream: S) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = ClientRequest::from_url(url)
        .unwrap()
        .deflate(DeflateConfig::new());
    let ws = wscore_tokio::connect_with(stream, &request, Config::new())
        .await
        .unwrap();
    assert!(ws.connection().agreed().deflate().is_some());
    ws
}

async fn connect_tcp(url: &str) -> TcpStream {
    TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches('/'))
        .await
        .unwrap()
}

#[tokio::test]
async fn compressed_both_ways_when_agreed() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(deflate_echo_server(listener));
    let mut ws = deflate_client(&url, connect_tcp(&url).await).await;
    let text: String = (0..5000).map(|i| format!("{{\"n\":{i}}},")).collect();
    for message in [
        Message::text(text.clone()),
        Message::text("short"),
        Message::binary(vec![0u8; 100_000]),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    server.await.unwrap();
}

/// A stream that counts the bytes written through it.
struct Counted {
    stream: TcpStream,
    written: usize,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.stream).poll_write(cx, buf))?;
        self.written += written;
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.stream).poll_write_vectored(cx, bufs))?;
        self.written += written;
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn uncompressed_messages_leave_compression_out() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(deflate_echo_server(listener));
    let stream = Counted {
        stream: connect_tcp(&url).await,
        written: 0,
    };
    let mut ws = deflate_client(&url, stream).await;
    let text: String = (0..20_000)
        .map(|i| format!("{{\"n\":{}}},", i % 10))
        .collect();
    let message = Message::text(text.clone());
    let mut sizes = Vec::new();
    // Compressed, uncompressed, and compressed again: the context the
    // uncompressed message stepped around still works.
    for uncompressed in [false, true, false] {
        let before = ws.get_ref().written;
        ws.set_compression(!uncompressed);
        ws.send(message.clone()).await.unwrap();
        sizes.push(ws.get_ref().written - before);
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    println!("{} bytes of text written as {sizes:?} bytes", text.len());
    assert!(
        sizes[0] < text.len() / 10 && sizes[2] < text.len() / 10,
        "{sizes:?}"
    );
    assert!(sizes[1] > text.len(), "{sizes:?}");
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    server.await.unwrap();
}

#[tokio::test]
async fn streamed_pieces_keep_their_text_flag_and_fin_both_ways() {
    let (listener, url) = listener().await;
    // A streaming server echoes each piece as it arrives, as a piece.
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let decide = |_: &wscore_tokio::Request<'_>| Decision::Accept(Accept::new());
        let config = Config::new().streaming(true);
        let mut ws = wscore_tokio::accept_with(stream, config, Limits::default(), decide)
            .await
            .unwrap();
        let mut seen = Vec::new();
        while let Some(message) = ws.next().await {
            if let Message::Fragment { text, fin, .. } = &message.as_ref().unwrap() {
                seen.push((*text, *fin));
                ws.send(message.unwrap()).await.unwrap();
            }
        }
        seen
    });
    let mut ws = wscore_tokio::connect(&url).await.unwrap();
    for (data, fin) in [("κό", false), ("σμε", true)] {
        let piece = Message::Fragment {
            text: true,
            data: Bytes::from(data),
            fin,
        };
        ws.send(piece).await.unwrap();
    }
    // The client does not stream: the echoed pieces come back as one text.
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("κόσμε"));
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    assert_eq!(server.await.unwrap(), [(true, false), (true, true)]);
}

#[tokio::test]
async fn a_broadcast_reaches_the_readers_and_skips_a_lagging_one() {
    const COUNT: usize = 300;
    let (listener, url) = listener().await;
    let payload = Bytes::from(vec![b'x'; 64 << 10]);
    // Two readers that read everything, and one that never reads.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let mut ws = wscore_tokio::connect(&url).await.unwrap();
                let mut bytes = 0;
                for _ in 0..COUNT {
                    match ws.next().await.unwrap().unwrap() {
                        Message::Binary(data) => bytes += data.len(),
                        other => panic!("{other:?}"),
                    }
                }
                bytes
            })
        })
        .collect();
    let mut streams = Vec::new();
    for _ in 0..2 {
        let (stream, _) = listener.accept().await.unwrap();
        streams.push(wscore_tokio::accept(stream).await.unwrap());
    }
    let lagging = tokio::spawn({
        let url = url.clone();
        async move { wscore_tokio::connect(&url).await }
    });
    let (stream, _) = listener.accept().await.unwrap();
    streams.push(wscore_tokio::accept(stream).await.unwrap());
    // Connected, and from now on never read.
    let lagging = lagging.await.unwrap().unwrap();

    let prepared = Prepared::binary(payload.clone());
    let mut skipped = [0; 3];
    for _ in 0..COUNT {
        let results = broadcast(streams.iter_mut(), &prepared);
        for (count, result) in skipped.iter_mut().zip(&results) {
            match result {
                Ok(()) => {}
                Err(Error::Lagging { waiting }) => {
                    assert!(*waiting >= 1 << 20, "{waiting}");
                    *count += 1;
                }
                Err(error) => panic!("{error}"),
            }
        }
        // The readers' bytes go out as their streams are flushed; the
        // broadcaster never waits on the one that does not read.
        for ws in &mut streams[..2] {
            tokio::time::timeout(Duration::from_secs(10), ws.flush())
                .await
                .unwrap()
                .unwrap();
        }
    }
    assert_eq!(skipped[..2], [0, 0], "the readers got every message");
    assert!(skipped[2] > COUNT / 2, "skipped {} of {COUNT}", skipped[2]);
    for reader in readers {
        assert_eq!(reader.await.unwrap(), COUNT * payload.len());
    }
    drop(lagging);
}
