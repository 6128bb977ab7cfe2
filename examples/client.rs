//! A command-line WebSocket client: sends each message (or each line of
//! standard input), prints what comes back.
//!
//! ```text
//! cargo run --release --example client -- ws://127.0.0.1:9001/ hello world
//! echo hi | cargo run --release --example client -- ws://127.0.0.1:9001/ --timeout 5
//! cargo run --release --example client -- wss://localhost:9001/ --ca ca.pem hello
//! cargo run --release --example client -- wss://localhost:9001/ --ca ca.pem --http2 hello
//! ```
//!
//! `wss://` trusts the web's root certificates, and with `--ca FILE` the
//! CA certificates in that PEM file too (a private CA, a self-signed
//! server). `--http2` opens the WebSocket over HTTP/2 (an extended CONNECT,
//! RFC 8441) instead of HTTP/1.1, `--http3` over HTTP/3 (RFC 9220, QUIC on
//! the same port number over UDP).
//!
//! When the server closes (even in the packet that carries its `101`), the
//! client answers the close, prints the code and reason on standard error
//! and exits 0: a close handshake is a normal end. On failure it exits
//! with status 1 and one line on standard error that names the cause: the
//! status the server answered instead of upgrading, a certificate
//! that is not trusted or not for that host, a plain-text server on a
//! `wss://` URL, a server without HTTP/2 WebSockets, a wrong
//! `Sec-WebSocket-Accept`, a refused connection, a server that accepted
//! the connection but never answered, a protocol error by the server
//! (after sending it the close frame), or the timeout.

use std::io;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use wscore::connection::{Closed, Config, Initiator, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore::handshake::Limits;
use wscore_tokio::{tls, Error, WebSocketStream};

struct Args {
    url: String,
    messages: Vec<String>,
    timeout: Duration,
    /// A PEM file of CA certificates to trust besides the web's roots.
    ca: Option<String>,
    http2: bool,
    http3: bool,
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("client: {usage}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(message) = runtime.block_on(run(&args)) {
        eprintln!("client: {message}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Args, String> {
    const USAGE: &str = "usage: client ws[s]://HOST:PORT/PATH [--timeout SECS] [--ca FILE] \
                         [--http2 | --http3] [MESSAGE ...]";
    let mut args = Args {
        url: String::new(),
        messages: Vec::new(),
        timeout: Duration::from_secs(10),
        ca: None,
        http2: false,
        http3: false,
    };
    let mut url = None;
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--timeout" => {
                let secs: f64 = argv.next().and_then(|s| s.parse().ok()).ok_or(USAGE)?;
                args.timeout = Duration::try_from_secs_f64(secs).map_err(|_| USAGE)?;
            }
            "--ca" => args.ca = Some(argv.next().ok_or(USAGE)?),
            "--http2" => args.http2 = true,
            "--http3" => args.http3 = true,
            _ if url.is_none() => url = Some(arg),
            _ => args.messages.push(arg),
        }
    }
    args.url = url.ok_or(USAGE)?;
    Ok(args)
}

async fn run(args: &Args) -> Result<(), String> {
    let trust = match &args.ca {
        None => tls::client_config(),
        Some(file) => std::fs::read(file)
            .map_err(|e| format!("cannot read --ca {file}: {e}"))
            .and_then(|pem| {
                tls::client_config_with_ca(&pem).map_err(|e| format!("--ca {file}: {e}"))
            })?,
    };
    let describe = |error: Error| describe(&args.url, args.timeout, &error);
    // Offers compression, as browsers do; the server may decline. The
    // timeout bounds connecting (TCP, TLS) and the handshake.
    let request = ClientRequest::from_url(&args.url)
        .map_err(|error| describe(error.into()))?
        .deflate(DeflateConfig::new())
        .limits(Limits::new().timeout(Some(args.timeout)));
    if args.http2 {
        let ws = wscore_tokio::connect_h2(&request, Config::new(), trust).await;
        talk(ws.map_err(describe)?, args).await
    } else if args.http3 {
        let ws = wscore_tokio::connect_h3(&request, Config::new(), trust).await;
        talk(ws.map_err(describe)?, args).await
    } else {
        let ws = wscore_tokio::connect_tls(&request, Config::new(), trust).await;
        talk(ws.map_err(describe)?, args).await
    }
}

/// Sends each message and prints its reply, then closes.
async fn talk<S>(mut ws: WebSocketStream<S>, args: &Args) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut given = args.messages.iter().cloned();
    loop {
        let message = match args.messages.is_empty() {
            true => stdin.next_line().await.map_err(|e| e.to_string())?,
            false => given.next(),
        };
        let Some(message) = message else { break };
        // Refused once the server has closed: its close is read below.
        if ws.send(Message::text(message)).await.is_err() {
            break;
        }
        if let Some(closed) = print_reply(&mut ws, args.timeout).await? {
            return ended(&closed, true);
        }
    }
    let _ = ws.close().await;
    let end = tokio::time::timeout(args.timeout, async {
        while let Some(next) = ws.next().await {
            next.map_err(|error| describe(&args.url, args.timeout, &error))?;
        }
        Ok::<_, String>(())
    });
    end.await.map_err(|_| {
        format!(
            "the server did not complete the close within {} s",
            args.timeout.as_secs_f64()
        )
    })??;
    let closed = ws.connection().closed().ok_or("no end reported")?;
    ended(closed, closed.initiator == Initiator::Peer)
}

/// Reads until one message comes back, and prints it; or the end, if the
/// server closed first.
async fn print_reply<S>(
    ws: &mut WebSocketStream<S>,
    timeout: Duration,
) -> Result<Option<Closed>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let next = tokio::time::timeout(timeout, ws.next())
            .await
            .map_err(|_| format!("no reply within {} s", timeout.as_secs_f64()))?;
        match next {
            Some(Ok(Message::Text(text))) => {
                println!("{text}");
                return Ok(None);
            }
            Some(Ok(Message::Binary(data))) => {
                println!(
                    "<{} bytes: {:02x?}>",
                    data.len(),
                    &data[..data.len().min(32)]
                );
                return Ok(None);
            }
            Some(Ok(_)) => {}
            None => return Ok(ws.connection().closed().cloned()),
            Some(Err(error)) => return Err(error.to_string()),
        }
    }
}

/// A close handshake is a normal end, whoever started it: the server's
/// code and reason go to standard error. Any other end is a failure.
fn ended(closed: &Closed, by_server: bool) -> Result<(), String> {
    if !closed.clean {
        return Err(closed.to_string());
    }
    if by_server {
        eprintln!("client: {closed}");
    }
    Ok(())
}

/// One line that names the cause.
fn describe(url: &str, timeout: Duration, error: &Error) -> String {
    match error {
        Error::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            format!("cannot connect to {url}: connection refused (is the server running, on that port?)")
        }
        Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => {
            format!(
                "timed out after {} s connecting to {url}",
                timeout.as_secs_f64()
            )
        }
        Error::Io(_) => format!("cannot connect to {url}: {error}"),
        other => other.to_string(),
    }
}
