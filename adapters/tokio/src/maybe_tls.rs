//! The stream [`connect`](crate::connect) opens: TCP for `ws://`, TLS over
//! TCP for `wss://` (feature `rustls`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use wscore::handshake::client::ClientRequest;
use wscore_adapter::{address, Error};

/// A client's stream: plain TCP or TLS.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`.
    #[cfg(feature = "rustls")]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl MaybeTlsStream {
    /// The TCP stream underneath, e.g. for its addresses.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(tcp) => tcp,
            #[cfg(feature = "rustls")]
            Self::Rustls(tls) => tls.get_ref().0,
        }
    }
}

/// How a client sets up TLS for `wss://`: with the web's roots unless
/// given a configuration.
#[derive(Default)]
pub(crate) struct Tls(
    #[cfg(feature = "rustls")] pub(crate) Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
);

impl Tls {
    #[cfg(feature = "rustls")]
    async fn handshake(
        self,
        request: &ClientRequest<'_>,
        tcp: TcpStream,
    ) -> Result<MaybeTlsStream, Error> {
        use wscore_adapter::tls::{client_config, server_name, TlsError};
        let (host, _) = address(request);
        let connector = tokio_rustls::TlsConnector::from(self.0.unwrap_or_else(client_config));
        match connector.connect(server_name(host)?, tcp).await {
            Ok(tls) => Ok(MaybeTlsStream::Rustls(Box::new(tls))),
            Err(cause) => Err(TlsError::Handshake {
                server: host.to_owned(),
                cause,
            }
            .into()),
        }
    }

    #[cfg(not(feature = "rustls"))]
    async fn handshake(self, _: &ClientRequest<'_>, _: TcpStream) -> Result<MaybeTlsStream, Error> {
        Err(wscore_adapter::HandshakeError::TlsUnsupported.into())
    }
}

/// Connects to the request's host and port, with TLS for `wss://`, within
/// the request's handshake timeout.
pub(crate) async fn open(request: &ClientRequest<'_>, tls: Tls) -> Result<MaybeTlsStream, Error> {
    let steps = async {
        let tcp = TcpStream::connect(address(request)).await?;
        tcp.set_nodelay(true)?;
        if request.is_secure() {
            tls.handshake(request, tcp).await
        } else {
            Ok(MaybeTlsStream::Plain(tcp))
        }
    };
    let (host, port) = address(request);
    crate::within(request, format!("connecting to {host}:{port}"), steps).await
}

/// Forwards to the stream inside.
macro_rules! either {
    ($self:ident, $stream:ident => $call:expr) => {
        match $self.get_mut() {
            MaybeTlsStream::Plain($stream) => $call,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls($stream) => $call,
        }
    };
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        either!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        either!(self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        either!(self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "rustls")]
            Self::Rustls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}
