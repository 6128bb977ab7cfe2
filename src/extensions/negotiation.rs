//! The handshakes' side of the seam: what a client offers, what a server
//! accepts, and what each agreed, one code path for both handshakes.

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "deflate")]
use super::deflate::{self, DeflateConfig};
use super::{Agreed, NegotiationError};
use crate::handshake::Extension;

/// The built-in extensions an application asked a handshake for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Builtin {
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<DeflateConfig>,
}

impl Builtin {
    /// The client's offers, as `Sec-WebSocket-Extensions` values.
    pub(crate) fn offers(&self) -> Vec<String> {
        #[cfg(feature = "deflate")]
        if let Some(config) = &self.deflate {
            return alloc::vec![deflate::offer(config)];
        }
        Vec::new()
    }

    /// The server's answer to the client's offers: what it agrees to, and
    /// the values its response carries.
    pub(crate) fn accept<'b>(
        &self,
        offers: impl Iterator<Item = Extension<'b>>,
    ) -> (Agreed, Vec<String>) {
        #[cfg(feature = "deflate")]
        if let Some(config) = self.deflate {
            if let Some((params, response)) = deflate::accept_offers(offers, &config) {
                let agreed = Agreed {
                    deflate: Some((params, config)),
                };
                return (agreed, alloc::vec![response]);
            }
            return (Agreed::default(), Vec::new());
        }
        let _ = offers;
        (Agreed::default(), Vec::new())
    }

    /// The client's check of one extension in the server's response,
    /// recorded in `agreed`: `Ok(false)` if it is none of these.
    pub(crate) fn agree(
        &self,
        response: &Extension<'_>,
        agreed: &mut Agreed,
    ) -> Result<bool, NegotiationError> {
        #[cfg(feature = "deflate")]
        if let Some(config) = self
            .deflate
            .filter(|_| response.name().eq_ignore_ascii_case(deflate::NAME))
        {
            if agreed.deflate.is_some() {
                return Err(NegotiationError::Repeated);
            }
            let params = deflate::check_response(response, &config)?;
            agreed.deflate = Some((params, config));
            return Ok(true);
        }
        let _ = (response, agreed);
        Ok(false)
    }
}
