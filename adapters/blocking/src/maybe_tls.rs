//! The stream [`WebSocket::connect`](crate::WebSocket::connect) opens: TCP
//! for `ws://`, TLS over TCP for `wss://` (feature `rustls`).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use wscore::handshake::client::ClientRequest;
use wscore_adapter::{address, Error};

use crate::Transport;

/// A client's stream: plain TCP or TLS.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`.
    #[cfg(feature = "rustls")]
    Rustls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl MaybeTlsStream {
    /// The TCP stream underneath, e.g. to set its read timeout.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(tcp) => tcp,
            #[cfg(feature = "rustls")]
            Self::Rustls(tls) => tls.get_ref(),
        }
    }
}

/// How a client sets up TLS for `wss://`: with the web's roots unless
/// given a configuration.
#[derive(Default)]
pub(crate) struct Tls(
    #[cfg(feature = "rustls")] pub(crate) Option<std::sync::Arc<rustls::ClientConfig>>,
);

impl Tls {
    /// Runs the whole TLS handshake now, so that its failure is reported
    /// as such rather than by the first write.
    #[cfg(feature = "rustls")]
    fn handshake(
        self,
        request: &ClientRequest<'_>,
        mut tcp: TcpStream,
    ) -> Result<MaybeTlsStream, Error> {
        use wscore_adapter::tls::{client_config, server_name, TlsError};
        let (host, _) = address(request);
        let config = self.0.unwrap_or_else(client_config);
        let failed = |cause| TlsError::Handshake {
            server: host.to_owned(),
            cause,
        };
        let mut tls = rustls::ClientConnection::new(config, server_name(host)?)
            .map_err(|e| failed(io::Error::other(e)))?;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp).map_err(failed)?;
        }
        Ok(MaybeTlsStream::Rustls(Box::new(rustls::StreamOwned::new(
            tls, tcp,
        ))))
    }

    #[cfg(not(feature = "rustls"))]
    fn handshake(self, _: &ClientRequest<'_>, _: TcpStream) -> Result<MaybeTlsStream, Error> {
        Err(wscore_adapter::HandshakeError::TlsUnsupported.into())
    }
}

/// Connects to the request's host and port, with TLS for `wss://`;
/// `timeout` bounds the TCP connect and each read until the handshake is
/// done.
pub(crate) fn open(
    request: &ClientRequest<'_>,
    tls: Tls,
    timeout: Duration,
) -> Result<MaybeTlsStream, Error> {
    let mut last = None;
    for addr in std::net::ToSocketAddrs::to_socket_addrs(&address(request))? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(tcp) => {
                tcp.set_read_timeout(Some(timeout))?;
                tcp.set_nodelay(true)?;
                return if request.is_secure() {
                    tls.handshake(request, tcp)
                } else {
                    Ok(MaybeTlsStream::Plain(tcp))
                };
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Error::Io(
        last.unwrap_or_else(|| io::ErrorKind::NotFound.into()),
    ))
}

impl Read for MaybeTlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            #[cfg(feature = "rustls")]
            Self::Rustls(s) => s.read(buf),
        }
    }
}

impl Write for MaybeTlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            #[cfg(feature = "rustls")]
            Self::Rustls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            #[cfg(feature = "rustls")]
            Self::Rustls(s) => s.flush(),
        }
    }
}

impl Transport for MaybeTlsStream {
    fn shutdown_write(&mut self, timeout: Duration) -> io::Result<bool> {
        match self {
            Self::Plain(tcp) => tcp.shutdown_write(timeout),
            #[cfg(feature = "rustls")]
            Self::Rustls(tls) => tls.shutdown_write(timeout),
        }
    }
}

/// TLS over TCP, either side (a server accepts over
/// `rustls::StreamOwned<ServerConnection, TcpStream>`): TLS says it is done
/// writing (close_notify) before TCP's FIN.
#[cfg(feature = "rustls")]
impl<C, D> Transport for rustls::StreamOwned<C, TcpStream>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
{
    fn shutdown_write(&mut self, timeout: Duration) -> io::Result<bool> {
        self.conn.send_close_notify();
        self.flush()?;
        self.sock.shutdown_write(timeout)
    }
}
