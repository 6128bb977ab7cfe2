//! Extensions negotiated in the handshake (RFC 6455 §9).
//!
//! One is built in: [`deflate`], permessage-deflate (RFC 7692), with the
//! `deflate` feature.

#[cfg(feature = "deflate")]
pub mod deflate;
