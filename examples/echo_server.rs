//! An echo server: every text and binary message comes back unchanged.
//! A plain `GET /` gets a page that opens a WebSocket back to this server,
//! so a person can try it in a browser.
//!
//! ```text
//! cargo run --release --example echo_server -- --addr 127.0.0.1:9001
//! cargo run --release --example echo_server -- --tls-cert cert.pem --tls-key key.pem
//! ```
//!
//! With `--tls-cert FILE --tls-key FILE` (PEM: the certificate chain and its
//! private key) it serves `https://` and `wss://` on the same address
//! instead, TLS through rustls; the TLS handshake has the same deadline as
//! the HTTP one, and a plain-text request on that port is told to use
//! `https://`. Over TLS it speaks HTTP/2 as well as HTTP/1.1 (ALPN), and
//! takes WebSockets over HTTP/2 (RFC 8441: it advertises
//! SETTINGS_ENABLE_CONNECT_PROTOCOL, so browsers send an extended CONNECT),
//! at most `--max-streams` (100) at once on one connection; their log lines
//! say `(HTTP/2)`. With `--h3` it also listens for HTTP/3 (RFC 9220) on the
//! same port number over UDP, says so to browsers with `Alt-Svc`, and logs
//! `(HTTP/3)`.
//!
//! Built on wscore-tokio, one task per connection, so that slow or silent
//! peers cost a few kilobytes each and never a thread:
//!
//! - a client has `--handshake-timeout` seconds (10) to send its request;
//!   a silent or trickling one gets `408` and is dropped, and bytes that are
//!   not HTTP (a TLS handshake, the HTTP/2 preface) get `400` naming them;
//! - beyond `--max-connections` (50,000) new sockets get `503` at once;
//! - a request whose upgrade a proxy stripped gets `426` naming the missing
//!   headers, never the page;
//! - pages from other sites may not open a WebSocket here (`403`), unless
//!   listed with `--allow-origin ORIGIN`;
//! - keepalive pings every 30 s, and a peer silent for 75 s is closed.
//!
//! permessage-deflate is agreed when the client offers it, as browsers do,
//! each connection keeping the last 4 KiB it compressed and an inflater
//! (about 50 KiB); `--deflate compressor` keeps a compressor per connection
//! instead (about 417 KiB, faster for small messages), `server-reset` or
//! `lean` trade compression against earlier messages for memory (46 KiB or
//! nothing kept), `--deflate off` declines it.
//! One log line when a connection opens, one when it ends (how, with the
//! code and reason or the error), one for each refused handshake.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use wscore::extensions::deflate::{Context, DeflateConfig};
use wscore_tokio::{tls, Accept, Decision, Error, Limits, Origins, Request, RequestKind, Response};

mod common;
use common::PAGE;

/// The ALPN name of HTTP/2.
const H2: &[u8] = b"h2";

struct Options {
    addr: SocketAddr,
    handshake_timeout: Duration,
    max_connections: usize,
    allowed_origins: &'static [&'static str],
    /// permessage-deflate as agreed with clients that offer it, or none.
    deflate: Option<DeflateConfig>,
    /// TLS for every connection, or none.
    tls: Option<TlsAcceptor>,
    /// The most WebSockets (HTTP/2 or HTTP/3 streams) at once on one
    /// connection.
    max_streams: u32,
    /// HTTP/3 on the same port number over UDP, or none.
    h3: Option<quinn::ServerConfig>,
}

fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("echo_server: {message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    if let Err(message) = runtime.block_on(run(options)) {
        eprintln!("echo_server: {message}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Options, String> {
    const USAGE: &str = "usage: echo_server [--addr HOST:PORT] [--handshake-timeout SECS] \
                         [--max-connections N] [--allow-origin ORIGIN]... \
                         [--deflate context|compressor|server-reset|lean|off] \
                         [--tls-cert FILE --tls-key FILE [--max-streams N] [--h3]]";
    let mut args = std::env::args().skip(1);
    let mut addr = String::from("127.0.0.1:9001");
    let mut options = Options {
        addr: ([127, 0, 0, 1], 9001).into(),
        handshake_timeout: Duration::from_secs(10),
        max_connections: 50_000,
        allowed_origins: &[],
        deflate: Some(DeflateConfig::new()),
        tls: None,
        max_streams: 100,
        h3: None,
    };
    let mut h3 = false;
    let mut origins = Vec::new();
    let (mut cert, mut key) = (None, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value; {USAGE}"));
        match arg.as_str() {
            "--addr" => addr = value()?,
            "--handshake-timeout" => {
                let secs: f64 = value()?.parse().map_err(|_| USAGE)?;
                options.handshake_timeout = Duration::try_from_secs_f64(secs).map_err(|_| USAGE)?;
            }
            "--max-connections" => options.max_connections = value()?.parse().map_err(|_| USAGE)?,
            "--allow-origin" => origins.push(&*value()?.leak()),
            // What a compressing connection keeps between messages (see
            // the extensions::deflate docs): the last 4 KiB it compressed and
            // its inflater (context), its own compressor and inflater
            // (compressor), its inflater only (server-reset), or nothing (lean).
            "--deflate" => {
                let config = DeflateConfig::new();
                options.deflate = match value()?.as_str() {
                    "context" => Some(config),
                    "compressor" => Some(config.context(Context::Compressor)),
                    "server-reset" => Some(config.server_no_context_takeover(true)),
                    "lean" => Some(
                        config
                            .server_no_context_takeover(true)
                            .client_no_context_takeover(true),
                    ),
                    "off" => None,
                    other => return Err(format!("--deflate {other:?}; {USAGE}")),
                }
            }
            "--tls-cert" => cert = Some(value()?),
            "--tls-key" => key = Some(value()?),
            "--max-streams" => options.max_streams = value()?.parse().map_err(|_| USAGE)?,
            "--h3" => h3 = true,
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    options.tls = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            let read =
                |file: &str| std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"));
            let config = tls::server_config(&read(&cert)?, &read(&key)?)
                .map_err(|e| format!("{cert} and {key}: {e}"))?;
            if h3 {
                options.h3 = Some(quic_config(&config, options.max_streams)?);
            }
            let mut config = (*config).clone();
            config.alpn_protocols = vec![H2.to_vec(), b"http/1.1".to_vec()];
            Some(TlsAcceptor::from(Arc::new(config)))
        }
        _ => return Err(format!("--tls-cert and --tls-key go together; {USAGE}")),
    };
    if h3 && options.h3.is_none() {
        return Err(format!("--h3 needs --tls-cert and --tls-key; {USAGE}"));
    }
    options.addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an address like 127.0.0.1:9001"))?;
    // Read once, kept for the life of the process.
    options.allowed_origins = origins.leak();
    Ok(options)
}

/// QUIC for HTTP/3 with the same certificate (ALPN h3), at most
/// `max_streams` requests (WebSockets) at once on one connection.
fn quic_config(
    tls: &tls::rustls::ServerConfig,
    max_streams: u32,
) -> Result<quinn::ServerConfig, String> {
    let mut tls = tls.clone();
    tls.alpn_protocols = vec![wscore_tokio::H3_ALPN.to_vec()];
    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| format!("the certificate cannot serve QUIC: {e}"))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    let transport = Arc::get_mut(&mut config.transport).expect("not shared yet");
    transport.max_concurrent_bidi_streams(max_streams.into());
    Ok(config)
}

async fn run(options: Options) -> Result<(), String> {
    let addr = options.addr;
    let listener = listen(addr).map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let (ws, http) = match options.tls {
        Some(_) => ("wss", "https"),
        None => ("ws", "http"),
    };
    println!("echo server on {ws}://{addr}/ — open {http}://{addr}/ in a browser to try it");
    let options = Arc::new(options);
    if let Some(quic) = options.h3.clone() {
        let endpoint = quinn::Endpoint::server(quic, addr)
            .map_err(|error| format!("cannot listen for HTTP/3 on {addr} (UDP): {error}"))?;
        println!("and HTTP/3 on {addr} (UDP)");
        tokio::spawn(serve_h3(endpoint, Arc::clone(&options)));
    }
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, most likely: wait for some to close.
                println!("cannot accept: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if open.fetch_add(1, Ordering::AcqRel) >= options.max_connections {
            open.fetch_sub(1, Ordering::AcqRel);
            // A TLS client cannot read a plain 503; it is simply dropped
            // rather than spend a TLS handshake on it.
            if options.tls.is_none() {
                tokio::spawn(turn_away(stream));
            }
            continue;
        }
        let open = Arc::clone(&open);
        let options = Arc::clone(&options);
        tokio::spawn(async move {
            serve(stream, peer, &options).await;
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// A listener with room for a burst of connections: with tokio's default
/// backlog (1,024) a burst larger than that has its handshakes dropped by
/// the kernel and retried seconds later, which looks like a hang to users.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(8192)
}

async fn turn_away(mut stream: TcpStream) {
    let response = Response::new(503)
        .body("too many connections; try again later")
        .to_bytes();
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&response)).await;
}

async fn serve(stream: TcpStream, peer: SocketAddr, options: &Options) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = &options.tls else {
        return serve_ws(stream, peer, options).await;
    };
    // Boxed: the TLS state is kilobytes, and inline it would make every
    // plain connection's task as large.
    let tls = Box::pin(async {
        match tls_handshake(stream, acceptor, options.handshake_timeout).await {
            Ok(stream) if stream.get_ref().1.alpn_protocol() == Some(H2) => {
                serve_h2(stream, peer, options).await
            }
            Ok(stream) => serve_ws(stream, peer, options).await,
            Err(error) => println!("{peer}: not opened: {error}"),
        }
    });
    tls.await
}

/// The server side of TLS, within the handshake deadline; a client that
/// sends plain HTTP is answered in plain HTTP, saying to use `https://`.
async fn tls_handshake(
    stream: TcpStream,
    acceptor: &TlsAcceptor,
    deadline: Duration,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>, String> {
    let steps = async {
        let mut first = [0; 1];
        // A TLS connection starts with a handshake record (22).
        if stream.peek(&mut first).await.map_err(|e| e.to_string())? == 1 && first[0] != 22 {
            let mut stream = stream;
            let response = Response::new(400)
                .body("this server speaks TLS on this port: use https:// or wss://")
                .to_bytes();
            let _ = stream.write_all(&response).await;
            return Err("plain text on the TLS port (answered 400: use https:// or wss://)".into());
        }
        acceptor
            .accept(stream)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))
    };
    tokio::time::timeout(deadline, steps)
        .await
        .map_err(|_| format!("no TLS handshake within {deadline:?}"))?
}

/// The page on `GET /`, 404 for other pages, and WebSockets from the
/// allowed origins, compressed as configured: over HTTP/1.1 and HTTP/2.
fn decide(
    options: &Options,
) -> impl Fn(&Request<'_>) -> Decision<'static> + Clone + Send + 'static {
    let origins = match options.allowed_origins {
        [] => Origins::SameHost,
        list => Origins::AllowList(list),
    };
    let deflate = options.deflate;
    // Browsers learn of HTTP/3 from the page's response.
    let alt_svc = options
        .h3
        .as_ref()
        .map(|_| format!("h3=\":{}\"", options.addr.port()));
    move |request: &Request<'_>| match (request.kind(), request.path()) {
        (RequestKind::Http, "/") => Decision::Respond(match &alt_svc {
            Some(alt_svc) => Response::html(PAGE).header("Alt-Svc", alt_svc),
            None => Response::html(PAGE),
        }),
        (RequestKind::Http, _) => Decision::Respond(Response::new(404).body("no such page")),
        _ => {
            let accept = Accept::new().origins(origins);
            Decision::Accept(match deflate {
                Some(config) => accept.deflate(config),
                None => accept,
            })
        }
    }
}

/// HTTP/3 connections: each one's requests answered by `decide` through
/// `wscore_tokio::serve_h3`.
async fn serve_h3(endpoint: quinn::Endpoint, options: Arc<Options>) {
    while let Some(incoming) = endpoint.accept().await {
        let options = Arc::clone(&options);
        tokio::spawn(async move {
            let peer = incoming.remote_address();
            let connection = match incoming.await {
                Ok(connection) => connection,
                Err(error) => return println!("{peer} (HTTP/3): not opened: {error}"),
            };
            let echo = move |ws| common::echo(ws, format!("{peer} (HTTP/3)"));
            let served =
                wscore_tokio::serve_h3(connection, common::config(), decide(&options), echo).await;
            if let Err(error) = served {
                println!("{peer} (HTTP/3): {error}");
            }
        });
    }
}

/// An HTTP/2 connection (ALPN h2): hyper's HTTP/2 server, advertising
/// extended CONNECT, every request answered by `decide` through
/// `wscore_tokio::upgrade`. Pings every 30 s close a connection whose peer
/// has gone; each WebSocket has its own keepalive and idle timeout.
async fn serve_h2(stream: TlsStream<TcpStream>, peer: SocketAddr, options: &Options) {
    let decide = decide(options);
    let service = service_fn(move |mut request| {
        let (response, websocket) =
            wscore_tokio::upgrade(&mut request, common::config(), decide.clone());
        common::spawn_echo(websocket, format!("{peer} (HTTP/2)"));
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let served = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .enable_connect_protocol()
        .max_concurrent_streams(options.max_streams)
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        println!("{peer} (HTTP/2): {error}");
    }
}

async fn serve_ws<S>(stream: S, peer: SocketAddr, options: &Options)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = Limits::new().timeout(Some(options.handshake_timeout));
    match wscore_tokio::accept_with(stream, common::config(), limits, decide(options)).await {
        Ok(ws) => common::echo(ws, peer).await,
        Err(Error::Responded(_)) => {}
        Err(error) => println!("{peer}: not opened: {error}"),
    }
}
