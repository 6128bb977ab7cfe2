//! Extensions negotiated in the handshake (RFC 6455 §9).
//!
//! One is built in: [`deflate`], permessage-deflate (RFC 7692), with the
//! `deflate` feature.

#[cfg(feature = "deflate")]
pub mod deflate;

/// What a handshake agreed to, for its connection to apply
/// (`Connection::agreed`): an extension is a codec the connection calls,
/// never the other way round.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Agreed {
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<(deflate::DeflateParams, deflate::DeflateConfig)>,
}
