//! The Autobahn|Testsuite client driver: runs every case of a fuzzingserver,
//! echoing each message, then asks it to write the report.
//!
//! ```text
//! cargo run --release --example autobahn_client -- ws://127.0.0.1:9001 wscore
//! ```

use std::time::Duration;

use wscore::close::CloseCode;
use wscore::connection::{Event, Message};
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore_blocking::{Error, MaybeTlsStream, WebSocket};

const TIMEOUT: Duration = Duration::from_secs(60);

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(agent)) = (args.next(), args.next()) else {
        eprintln!("usage: autobahn_client URL AGENT   (e.g. ws://127.0.0.1:9001 wscore)");
        std::process::exit(2);
    };
    let url = url.trim_end_matches('/');
    if let Err(error) = run(url, &agent) {
        eprintln!("autobahn_client: {error}");
        std::process::exit(1);
    }
}

fn run(url: &str, agent: &str) -> Result<(), Error> {
    let mut ws = WebSocket::connect(&format!("{url}/getCaseCount"), TIMEOUT)?;
    let count: u32 = match ws.read()? {
        Event::Text(text) => text.as_str().parse().unwrap_or(0),
        _ => 0,
    };
    let _ = ws.close(CloseCode::NORMAL, "");
    drain(&mut ws);
    for case in 1..=count {
        // Offers permessage-deflate, for cases 12.* and 13.*; the other
        // cases' server declines it.
        let case_url = format!("{url}/runCase?case={case}&agent={agent}");
        let request = ClientRequest::from_url(&case_url)?.deflate(DeflateConfig::new());
        match WebSocket::connect_request(&request, TIMEOUT) {
            Ok(mut ws) => echo(&mut ws),
            Err(error) => eprintln!("case {case}: {error}"),
        }
    }
    let mut ws = WebSocket::connect(&format!("{url}/updateReports?agent={agent}"), TIMEOUT)?;
    let _ = ws.close(CloseCode::NORMAL, "");
    drain(&mut ws);
    println!("autobahn_client: ran {count} cases");
    Ok(())
}

/// Echoes every message until the connection ends.
fn echo(ws: &mut WebSocket<MaybeTlsStream>) {
    loop {
        let sent = match ws.read() {
            Ok(Event::Text(text)) => ws.send(Message::Text(text)),
            Ok(Event::Binary(data)) => ws.send(Message::Binary(data)),
            Ok(_) => Ok(()),
            Err(_) => return,
        };
        if sent.is_err() {
            drain(ws);
            return;
        }
    }
}

/// Reads until the close handshake completes or the transport ends.
fn drain(ws: &mut WebSocket<MaybeTlsStream>) {
    while ws.read().is_ok() {}
}
