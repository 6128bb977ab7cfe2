//! Extensions negotiated in the handshake (RFC 6455 §9).
//!
//! One is built in: [`deflate`], permessage-deflate (RFC 7692), with the
//! `deflate` feature.
//!
//! A connection sees extensions through one seam: an encoder every
//! message it sends passes through, a decoder every message it receives
//! passes through, and the RSV bits they own. Without an agreed extension
//! (or without the feature) both pass messages through untouched, and the
//! frame rules refuse every RSV bit.

#[cfg(feature = "alloc")]
mod codec;
#[cfg(feature = "deflate")]
pub mod deflate;
mod error;
#[cfg(feature = "alloc")]
mod negotiation;

#[cfg(feature = "alloc")]
pub use codec::Agreed;
#[cfg(feature = "alloc")]
pub(crate) use codec::{Decoder, Encoder, SharedEncoding};
pub use error::CompressionError;
#[cfg(feature = "alloc")]
pub use error::NegotiationError;
#[cfg(feature = "alloc")]
pub(crate) use negotiation::Builtin;
