//! The one argument of the hyper and axum examples.

use std::net::SocketAddr;

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
