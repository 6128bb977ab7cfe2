//! An HTTP/3 request stream as a byte stream: the WebSocket's bytes travel
//! in DATA frames (RFC 9220 §3, RFC 9114 §7.2.1).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BytesMut};
use quinn::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;

use super::frame::{frame_header, write_varint, DATA};

/// The most payload one DATA frame carries.
const MAX_DATA: usize = 64 << 10;

/// An HTTP/3 stream as a byte stream: what a WebSocket over HTTP/3 runs
/// over. Reading takes the payload of DATA frames and skips any other
/// frame; writing puts what is written in DATA frames. Shutting down ends
/// our half of the stream (a QUIC FIN); a peer's reset is an error that
/// says so, with its code.
pub struct H3Stream {
    send: SendStream,
    recv: RecvStream,
    /// Received and not yet taken: frame headers and payload.
    received: BytesMut,
    /// What is left of the DATA frame being read.
    data_left: u64,
    /// What is left of another frame being skipped.
    skip_left: u64,
    /// The header of the DATA frame being written, and how much of it went.
    header: Vec<u8>,
    header_sent: usize,
    /// What is left of the DATA frame being written.
    frame_left: usize,
    /// Whatever must live as long as the stream (a client's connection).
    _keep: Box<dyn Send + Sync>,
}

impl H3Stream {
    pub(super) fn new(
        send: SendStream,
        recv: RecvStream,
        received: BytesMut,
        keep: Box<dyn Send + Sync>,
    ) -> Self {
        Self {
            send,
            recv,
            received,
            data_left: 0,
            skip_left: 0,
            header: Vec::with_capacity(16),
            header_sent: 0,
            frame_left: 0,
            _keep: keep,
        }
    }
}

fn stream_ended_in_frame() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the HTTP/3 stream ended inside a frame",
    )
}

impl AsyncRead for H3Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.data_left > 0 && !this.received.is_empty() {
                let n = (this.data_left as usize)
                    .min(this.received.len())
                    .min(out.remaining());
                out.put_slice(&this.received[..n]);
                this.received.advance(n);
                this.data_left -= n as u64;
                return Poll::Ready(Ok(()));
            }
            if this.skip_left > 0 && !this.received.is_empty() {
                let n = (this.skip_left as usize).min(this.received.len());
                this.received.advance(n);
                this.skip_left -= n as u64;
                continue;
            }
            if this.data_left == 0 && this.skip_left == 0 {
                if let Some((kind, len, header)) = frame_header(&this.received) {
                    this.received.advance(header);
                    match kind {
                        DATA => this.data_left = len,
                        // Trailers, and frames of unknown types, carry no bytes
                        // of the WebSocket.
                        _ => this.skip_left = len,
                    }
                    continue;
                }
            }
            this.received.reserve(8192);
            let read = ready!(poll_read_buf(
                Pin::new(&mut this.recv),
                cx,
                &mut this.received
            ))?;
            if read == 0 {
                let between_frames =
                    this.received.is_empty() && this.data_left == 0 && this.skip_left == 0;
                return Poll::Ready(match between_frames {
                    true => Ok(()),
                    false => Err(stream_ended_in_frame()),
                });
            }
        }
    }
}

impl AsyncWrite for H3Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.frame_left == 0 {
            // A new DATA frame for (up to 64 KiB of) these bytes: the
            // caller's next writes start with the ones not written yet.
            this.frame_left = buf.len().min(MAX_DATA);
            this.header.clear();
            write_varint(&mut this.header, DATA);
            write_varint(&mut this.header, this.frame_left as u64);
            this.header_sent = 0;
        }
        while this.header_sent < this.header.len() {
            let header = &this.header[this.header_sent..];
            this.header_sent += ready!(Pin::new(&mut this.send).poll_write(cx, header))?;
        }
        let n = this.frame_left.min(buf.len());
        let written = ready!(Pin::new(&mut this.send).poll_write(cx, &buf[..n]))?;
        this.frame_left -= written;
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().send).poll_flush(cx)
    }

    /// Ends our half of the stream (a QUIC FIN): TCP's FIN.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().send).poll_shutdown(cx)
    }
}
