//! The seam between a connection and its extensions: what the handshake
//! agreed, the sending half, the receiving half. A connection calls these
//! on every message whatever was agreed; with nothing agreed they are
//! no-ops the compiler sees through.

use alloc::vec::Vec;
use bytes::Bytes;

#[cfg(feature = "deflate")]
use super::deflate::{Compressor, Decompressor, DeflateConfig, DeflateParams};
use super::CompressionError;
use crate::frame::{FrameHeader, Opcode, Rsv};
use crate::Role;

/// The extensions a handshake agreed to, which its connection applies
/// ([`Connection::agreed`](crate::connection::Connection::agreed)). For a
/// connection whose handshake happened elsewhere, build one (with the
/// `deflate` feature, [`Agreed::with_deflate`]) and hand it to
/// [`Connection::set_agreed`](crate::connection::Connection::set_agreed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Agreed {
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<(DeflateParams, DeflateConfig)>,
}

impl Agreed {
    /// The two halves for an endpoint playing `role`.
    pub(crate) fn codecs(self, role: Role) -> (Encoder, Decoder) {
        #[cfg(feature = "deflate")]
        if let Some((params, config)) = self.deflate {
            let encoder = Encoder {
                deflate: Some(Compressor::new(role, &params, &config)),
            };
            let decoder = Decoder {
                deflate: Some(Decompressor::new(role, params)),
            };
            return (encoder, decoder);
        }
        let _ = role;
        (Encoder::default(), Decoder::default())
    }
}

/// The sending half: a message's payload as it goes on the wire.
#[derive(Default)]
pub(crate) struct Encoder {
    #[cfg(feature = "deflate")]
    deflate: Option<Compressor>,
}

/// One message's encoding, shared by every connection whose encoder would
/// produce the same bytes: permessage-deflate without context takeover, at
/// the same level and window. The first such connection compresses it; the
/// others queue the same bytes.
#[derive(Debug, Default)]
pub(crate) struct SharedEncoding {
    /// The settings it was compressed with, and the result (`None` if
    /// compressing failed: then it goes uncompressed).
    #[cfg(feature = "deflate")]
    deflate: std::sync::OnceLock<(super::deflate::Settings, Option<Bytes>)>,
}

impl Encoder {
    /// The message encoded, with the RSV bits that mark it on its first
    /// frame; `None` to send it as it is (nothing agreed, or too short to
    /// be worth it). A message sent to many connections comes with its
    /// `shared` encoding, used where this connection's would be the same.
    #[inline]
    pub(crate) fn encode(
        &mut self,
        message: &[u8],
        shared: Option<&SharedEncoding>,
    ) -> Option<(Rsv, Bytes)> {
        #[cfg(feature = "deflate")]
        if let Some(compressor) = &mut self.deflate {
            let compressed = match (shared, compressor.shareable()) {
                (Some(shared), Some(settings)) if compressor.worth(message.len()) => {
                    let (made_with, compressed) = shared
                        .deflate
                        .get_or_init(|| (settings, compressor.compress(message).map(Bytes::from)));
                    match *made_with == settings {
                        true => compressed.clone(),
                        false => compressor.compress(message).map(Bytes::from),
                    }
                }
                // Its window carries earlier messages (or there is nothing
                // to share): its bytes are its own.
                _ => compressor.compress(message).map(Bytes::from),
            };
            return compressed.map(|out| (Rsv::RSV1, out));
        }
        let _ = (message, shared);
        None
    }
}

/// The receiving half: the peer's encoded messages back to what it sent.
#[derive(Default)]
pub(crate) struct Decoder {
    #[cfg(feature = "deflate")]
    deflate: Option<Decompressor>,
}

impl Decoder {
    /// The RSV bits the agreed extensions own: the frame rules let these
    /// through and refuse the rest.
    pub(crate) fn rsv(&self) -> Rsv {
        #[cfg(feature = "deflate")]
        if self.deflate.is_some() {
            return Rsv::RSV1;
        }
        Rsv::NONE
    }

    /// Whether the message a text or binary frame starts is encoded, from
    /// the bits the frame rules let through; an error for a continuation or
    /// control frame that carries them (RFC 7692 §6.1).
    #[inline]
    pub(crate) fn encoded(header: &FrameHeader) -> Result<bool, CompressionError> {
        if !header.rsv.contains(Rsv::RSV1) {
            return Ok(false);
        }
        match header.opcode {
            Opcode::Text | Opcode::Binary => Ok(true),
            Opcode::Continuation => Err(CompressionError::Continuation),
            opcode => Err(CompressionError::ControlFrame(opcode)),
        }
    }

    /// Decodes the next piece of an encoded message, appending to `out`;
    /// `last` when it ends the message. The message may grow to `max` bytes.
    /// (Only a message [`encoded`](Self::encoded) comes here, which takes an
    /// agreed extension.)
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), CompressionError> {
        #[cfg(feature = "deflate")]
        if let Some(inflater) = &mut self.deflate {
            return inflater.inflate(input, last, out, max);
        }
        let _ = (input, last, out, max);
        Ok(())
    }
}
