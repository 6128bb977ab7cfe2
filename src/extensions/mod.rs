//! Extensions negotiated in the handshake (RFC 6455 §9).
//!
//! One is built in: [`deflate`], permessage-deflate (RFC 7692), with the
//! `deflate` feature.

#[cfg(feature = "deflate")]
pub mod deflate;

/// What a handshake agreed to that its connection must apply.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Agreed {
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<(deflate::DeflateParams, deflate::DeflateConfig)>,
}

#[cfg(feature = "alloc")]
impl Agreed {
    /// Turns on in `connection` what was agreed.
    #[cfg_attr(not(feature = "deflate"), allow(unused_variables))]
    pub(crate) fn apply(self, connection: &mut crate::connection::Connection) {
        #[cfg(feature = "deflate")]
        if let Some((params, config)) = self.deflate {
            connection.enable_deflate(params, config);
        }
    }
}
