//! A command-line WebSocket client: sends each message (or each line of
//! standard input), prints what comes back.
//!
//! ```text
//! cargo run --release --example client -- ws://127.0.0.1:9001/ hello world
//! echo hi | cargo run --release --example client -- ws://127.0.0.1:9001/ --timeout 5
//! cargo run --release --example client -- wss://localhost:9001/ --ca ca.pem hello
//! ```
//!
//! `wss://` trusts the web's root certificates, and with `--ca FILE` the
//! CA certificates in that PEM file too (a private CA, a self-signed
//! server).
//!
//! When the server closes (even in the packet that carries its `101`), the
//! client answers the close, prints the code and reason on standard error
//! and exits 0: a close handshake is a normal end. On failure it exits
//! with status 1 and one line on standard error that names the cause: the
//! status the server answered instead of upgrading, a wrong
//! `Sec-WebSocket-Accept`, a refused connection, a server that accepted
//! the connection but never answered, a protocol error by the server
//! (after sending it the close frame), or the timeout.

use std::io::{self, BufRead};
use std::time::Duration;

use wscore::close::CloseCode;
use wscore::connection::{Closed, Event, Initiator, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_blocking::{tls, Error, MaybeTlsStream, WebSocket};

struct Args {
    url: String,
    messages: Vec<String>,
    timeout: Duration,
    /// A PEM file of CA certificates to trust besides the web's roots.
    ca: Option<String>,
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("client: {usage}");
            std::process::exit(2);
        }
    };
    if let Err(message) = run(&args) {
        eprintln!("client: {message}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Args, String> {
    const USAGE: &str =
        "usage: client ws[s]://HOST:PORT/PATH [--timeout SECS] [--ca FILE] [MESSAGE ...]";
    let mut url = None;
    let mut messages = Vec::new();
    let mut timeout = Duration::from_secs(10);
    let mut ca = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--timeout" => {
                let secs: f64 = args.next().and_then(|s| s.parse().ok()).ok_or(USAGE)?;
                timeout = Duration::try_from_secs_f64(secs).map_err(|_| USAGE)?;
            }
            "--ca" => ca = Some(args.next().ok_or(USAGE)?),
            _ if url.is_none() => url = Some(arg),
            _ => messages.push(arg),
        }
    }
    Ok(Args {
        url: url.ok_or(USAGE)?,
        messages,
        timeout,
        ca,
    })
}

fn run(args: &Args) -> Result<(), String> {
    // Offers compression, as browsers do; the server may decline.
    let trust = match &args.ca {
        None => tls::client_config(),
        Some(file) => std::fs::read(file)
            .map_err(|e| format!("cannot read --ca {file}: {e}"))
            .and_then(|pem| {
                tls::client_config_with_ca(&pem).map_err(|e| format!("--ca {file}: {e}"))
            })?,
    };
    let mut ws = ClientRequest::from_url(&args.url)
        .map_err(Error::from)
        .and_then(|request| {
            let request = request.deflate(DeflateConfig::new());
            WebSocket::connect_tls(&request, args.timeout, trust)
        })
        .map_err(|error| describe(&args.url, args.timeout, &error))?;
    ws.get_ref()
        .tcp()
        .set_read_timeout(Some(args.timeout))
        .map_err(|e| e.to_string())?;
    let from_stdin;
    let messages: Box<dyn Iterator<Item = String>> = if args.messages.is_empty() {
        from_stdin = io::stdin().lock().lines().map_while(Result::ok);
        Box::new(from_stdin)
    } else {
        Box::new(args.messages.iter().cloned())
    };
    for message in messages {
        // Refused once the server has closed: its close is read below.
        if ws.send(Message::text(message)).is_err() {
            break;
        }
        if let Some(closed) = print_reply(&mut ws, args.timeout)? {
            return ended(&closed, true);
        }
    }
    let _ = ws.close(CloseCode::NORMAL, "");
    loop {
        match ws.read() {
            Ok(Event::Closed(_)) => {
                let closed = ws.connection().closed().cloned().ok_or("no end reported")?;
                let by_server = closed.initiator == Initiator::Peer;
                return ended(&closed, by_server);
            }
            Ok(_) => {}
            Err(error) => return Err(describe(&args.url, args.timeout, &error)),
        }
    }
}

/// Reads until one message comes back, and prints it; or the end, if the
/// server closed first.
fn print_reply(
    ws: &mut WebSocket<MaybeTlsStream>,
    timeout: Duration,
) -> Result<Option<Closed>, String> {
    loop {
        match ws.read() {
            Ok(Event::Text(text)) => {
                println!("{text}");
                return Ok(None);
            }
            Ok(Event::Binary(data)) => {
                println!(
                    "<{} bytes: {:02x?}>",
                    data.len(),
                    &data[..data.len().min(32)]
                );
                return Ok(None);
            }
            Ok(Event::Closed(_)) => return Ok(ws.connection().closed().cloned()),
            Ok(_) => {}
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("no reply within {} s", timeout.as_secs_f64()));
            }
            Err(error) => return Err(error.to_string()),
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
        Error::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            format!(
                "timed out after {} s connecting to {url}",
                timeout.as_secs_f64()
            )
        }
        Error::Io(e) => format!("cannot connect to {url}: {e}"),
        other => other.to_string(),
    }
}
