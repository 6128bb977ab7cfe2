//! The handshake's part (RFC 7692 §5, §7.1): offers, responses, and the
//! rules each must follow.

use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt::Write;

use super::{DeflateConfig, DeflateParams, MAX_WINDOW_BITS, NAME};
use crate::extensions::NegotiationError;
use crate::handshake::Extension;

/// One offer's or response's parameters, each checked for form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// In an offer it may come without a value: `Some(None)`.
    client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    /// Reads the parameters of `extension`, an offer or (`response`) an answer.
    fn parse(extension: &Extension<'_>, response: bool) -> Result<Self, NegotiationError> {
        let mut params = Self::default();
        for (name, value) in extension.params() {
            let duplicate = match name.to_ascii_lowercase().as_str() {
                "server_no_context_takeover" => {
                    no_value(name, value)?;
                    core::mem::replace(&mut params.server_no_context_takeover, true)
                }
                "client_no_context_takeover" => {
                    no_value(name, value)?;
                    core::mem::replace(&mut params.client_no_context_takeover, true)
                }
                "server_max_window_bits" => {
                    let bits = window_bits(name, value)?;
                    params.server_max_window_bits.replace(bits).is_some()
                }
                "client_max_window_bits" => {
                    // Only an offer may leave the value out (§7.1.2.2).
                    let bits = match value {
                        None if !response => None,
                        _ => Some(window_bits(name, value)?),
                    };
                    params.client_max_window_bits.replace(bits).is_some()
                }
                _ => return Err(NegotiationError::UnknownParameter(name.to_owned())),
            };
            if duplicate {
                return Err(NegotiationError::DuplicateParameter(name.to_owned()));
            }
        }
        Ok(params)
    }

    /// What these parameters, as answered, agree to; 15 for a window not named.
    fn agreed(&self) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: self.server_no_context_takeover,
            client_no_context_takeover: self.client_no_context_takeover,
            server_max_window_bits: self.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
            client_max_window_bits: self
                .client_max_window_bits
                .flatten()
                .unwrap_or(MAX_WINDOW_BITS),
        }
    }

    /// Writes the extension with these parameters, as offered or answered.
    fn write(&self, out: &mut String) {
        out.push_str(NAME);
        if self.server_no_context_takeover {
            out.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            out.push_str("; client_no_context_takeover");
        }
        if let Some(bits) = self.server_max_window_bits {
            // Writing to a String cannot fail.
            let _ = write!(out, "; server_max_window_bits={bits}");
        }
        match self.client_max_window_bits {
            Some(Some(bits)) => {
                let _ = write!(out, "; client_max_window_bits={bits}");
            }
            Some(None) => out.push_str("; client_max_window_bits"),
            None => {}
        }
    }
}

fn no_value(name: &str, value: Option<&str>) -> Result<(), NegotiationError> {
    match value {
        None => Ok(()),
        Some(value) => Err(NegotiationError::InvalidValue {
            param: name.to_owned(),
            value: Some(value.to_owned()),
        }),
    }
}

/// A window size: a decimal 8 to 15, without leading zeros (§7.1.2).
fn window_bits(name: &str, value: Option<&str>) -> Result<u8, NegotiationError> {
    let bits = match value {
        Some(v @ ("8" | "9" | "10" | "11" | "12" | "13" | "14" | "15")) => v.parse().ok(),
        _ => None,
    };
    bits.ok_or_else(|| NegotiationError::InvalidValue {
        param: name.to_owned(),
        value: value.map(ToOwned::to_owned),
    })
}

/// The client's offer for `config`. It always offers
/// `client_max_window_bits`: this client compresses with any window the
/// server asks for.
pub(crate) fn offer(config: &DeflateConfig) -> String {
    let mut out = String::new();
    Params {
        server_no_context_takeover: config.server_no_context_takeover,
        client_no_context_takeover: config.client_no_context_takeover,
        server_max_window_bits: config.server_max_window_bits,
        client_max_window_bits: Some(config.client_max_window_bits),
    }
    .write(&mut out);
    out
}

/// The server's choice among the client's offers: the first it can accept,
/// with the response to send, or `None` if it declines them all.
pub(crate) fn accept_offers<'b>(
    offers: impl Iterator<Item = Extension<'b>>,
    config: &DeflateConfig,
) -> Option<(DeflateParams, String)> {
    offers
        .filter(|offer| offer.name().eq_ignore_ascii_case(NAME))
        .find_map(|offer| Params::parse(&offer, false).ok())
        .map(|offer| {
            let server_max_window_bits =
                min_bits(offer.server_max_window_bits, config.server_max_window_bits);
            // Only a client that offered client_max_window_bits may be
            // limited (§7.1.2.2); the response repeats a limit it set itself.
            let client_max_window_bits = offer
                .client_max_window_bits
                .and_then(|offered| min_bits(offered, config.client_max_window_bits));
            let response = Params {
                server_no_context_takeover: offer.server_no_context_takeover
                    || config.server_no_context_takeover,
                client_no_context_takeover: offer.client_no_context_takeover
                    || config.client_no_context_takeover,
                server_max_window_bits,
                client_max_window_bits: client_max_window_bits.map(Some),
            };
            let mut text = String::new();
            response.write(&mut text);
            (response.agreed(), text)
        })
}

/// Checks the server's response to our offer of `config` (§7.1): what it
/// agreed to, or why the client must fail the connection.
pub(crate) fn check_response(
    response: &Extension<'_>,
    config: &DeflateConfig,
) -> Result<DeflateParams, NegotiationError> {
    let mut params = Params::parse(response, true)?;
    if config.server_no_context_takeover && !params.server_no_context_takeover {
        return Err(NegotiationError::ContextTakeoverKept);
    }
    if let Some(offered) = config.server_max_window_bits {
        match params.server_max_window_bits {
            Some(got) if got <= offered => {}
            got => return Err(NegotiationError::ServerWindowTooLarge { offered, got }),
        }
    }
    if let (Some(offered), Some(Some(got))) =
        (config.client_max_window_bits, params.client_max_window_bits)
    {
        if got > offered {
            return Err(NegotiationError::ClientWindowTooLarge { offered, got });
        }
    }
    // The client's own choices hold whatever the server answered.
    params.client_no_context_takeover |= config.client_no_context_takeover;
    if params.client_max_window_bits.is_none() {
        params.client_max_window_bits = Some(config.client_max_window_bits);
    }
    Ok(params.agreed())
}

/// The smaller of two optional limits.
fn min_bits(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
