//! A sans-IO WebSocket (RFC 6455) protocol core.
//!
//! wscore never touches a socket, a clock or a random number generator: bytes
//! go in, events and bytes to send come out, and runtimes build the IO around
//! it. Every protocol violation is a typed error carrying the close code to
//! send; nothing a peer sends can make it panic.
//!
//! The layers, bottom up:
//!
//! - [`mask`]: XOR masking at SIMD speed, the one module that may bypass the
//!   compiler's memory checks (for SIMD loads and stores; the only other
//!   `unsafe` is `connection::Utf8Bytes::as_str`, a `&str` view of text
//!   validated once);
//! - [`frame`]: frame headers, the RFC 6455 §5 rules, and a streaming decoder
//!   that never allocates;
//! - [`utf8`]: streaming UTF-8 validation that fails at the first bad byte;
//! - [`close`]: close status codes and close frame payloads;
//! - [`handshake`]: the HTTP/1.1 Upgrade, client and server;
//! - [`connection`] (needs `alloc`): the state machine of an open WebSocket;
//! - [`extensions`]: permessage-deflate (RFC 7692), with the `deflate` feature.
//!
//! # Features
//!
//! - `std` (default): run-time CPU feature detection for masking. Implies `alloc`.
//! - `alloc`: the parts that need an allocator.
//! - `simd` (default): explicit SSE2/AVX2 masking; off leaves portable code only.
//! - `deflate` (default): permessage-deflate compression. Implies `std`.
//!
//! With `default-features = false` the crate builds for targets with neither
//! `std` nor an allocator.
#![no_std]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod close;
#[cfg(feature = "alloc")]
pub mod connection;
pub mod extensions;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod random;
pub mod utf8;

// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Which end of the connection an endpoint is. The rules differ: clients mask
/// every frame they send, servers never do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that opened the connection.
    Client,
    /// The endpoint that accepted it.
    Server,
}

impl Role {
    /// The other end's role.
    pub const fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}
