//! What the hyper and axum examples share beyond `common`: their one
//! argument, and what they do with the result of `wscore_tokio::upgrade`.

use std::net::SocketAddr;

use wscore_tokio::{Error, Upgrading};

/// Echoes on the WebSocket once it opens, in a task of its own; logs why
/// there is none (unless the request was simply answered, e.g. the page).
pub fn spawn_echo(websocket: Result<Upgrading, Error>, peer: SocketAddr) {
    match websocket {
        Ok(websocket) => {
            tokio::spawn(async move {
                match websocket.await {
                    Ok(ws) => super::common::echo(ws, peer).await,
                    Err(error) => println!("{peer}: not opened: {error}"),
                }
            });
        }
        Err(Error::Responded(_)) => {}
        Err(error) => println!("{peer}: not opened: {error}"),
    }
}

/// `--addr HOST:PORT` (127.0.0.1:9001 by default), the only argument of
/// the hyper and axum examples.
pub fn addr_argument(name: &str) -> SocketAddr {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next(), args.next()) {
        (None, ..) => "127.0.0.1:9001".to_owned(),
        (Some("--addr"), Some(addr), None) => addr,
        _ => {
            eprintln!("usage: {name} [--addr HOST:PORT]");
            std::process::exit(2);
        }
    };
    addr.parse().unwrap_or_else(|_| {
        eprintln!("{name}: {addr:?} is not an address like 127.0.0.1:9001");
        std::process::exit(2);
    })
}
