//! What a receiver accepts beyond the rules every frame obeys: its role's
//! masking, the RSV bits its extensions own, its size limit, and the order
//! of a message's frames.

use super::{FrameError, FrameHeader, Opcode, Rsv};
use crate::Role;

/// What one endpoint accepts from its peer, beyond the rules every frame obeys.
///
/// ```
/// use wscore::frame::{FrameRules, Rsv};
/// use wscore::Role;
///
/// // A server that negotiated permessage-deflate and takes frames up to 1 MiB.
/// let rules = FrameRules::new(Role::Server)
///     .extension_rsv(Rsv::RSV1)
///     .max_frame_size(1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRules {
    role: Role,
    extension_rsv: Rsv,
    max_frame_size: u64,
}

impl FrameRules {
    /// The default limit on one frame's payload: 16 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: u64 = 16 << 20;

    /// The rules for frames received by an endpoint playing `role`: a server
    /// requires masked frames, a client requires unmasked ones. No RSV bits
    /// are allowed and frames are limited to [`Self::DEFAULT_MAX_FRAME_SIZE`].
    pub const fn new(role: Role) -> Self {
        Self {
            role,
            extension_rsv: Rsv::NONE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
        }
    }

    /// Allows the RSV bits that a negotiated extension owns.
    pub const fn extension_rsv(mut self, rsv: Rsv) -> Self {
        self.extension_rsv = rsv;
        self
    }

    /// Limits a frame's payload length. Checked on the header alone, before
    /// any payload byte is accepted.
    pub const fn max_frame_size(mut self, max: u64) -> Self {
        self.max_frame_size = max;
        self
    }

    /// The role of the receiving endpoint.
    pub const fn role(&self) -> Role {
        self.role
    }

    /// Checks a decoded header against these rules.
    pub fn check(&self, header: &FrameHeader) -> Result<(), FrameError> {
        let stray = header.rsv.without(self.extension_rsv);
        if !stray.is_empty() {
            return Err(FrameError::ReservedBitsSet(stray));
        }
        match (self.role, header.mask) {
            (Role::Server, None) => return Err(FrameError::UnmaskedClientFrame),
            (Role::Client, Some(_)) => return Err(FrameError::MaskedServerFrame),
            _ => {}
        }
        if header.payload_len > self.max_frame_size {
            return Err(FrameError::FrameTooLarge {
                len: header.payload_len,
                max: self.max_frame_size,
            });
        }
        Ok(())
    }
}

/// Message sequencing (RFC 6455 §5.4): a continuation frame needs a
/// fragmented message in progress, and a new text or binary message must wait
/// until the current one is finished. Control frames may come in between.
///
/// ```
/// use wscore::frame::{FrameError, FrameHeader, Opcode, Sequencer};
///
/// let mut sequencer = Sequencer::new();
/// let continuation = FrameHeader::new(Opcode::Continuation, 0);
/// assert_eq!(sequencer.check(&continuation), Err(FrameError::UnexpectedContinuation));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sequencer {
    /// A text or binary message has started and its final frame not yet arrived.
    in_message: bool,
}

impl Sequencer {
    /// Between messages.
    pub const fn new() -> Self {
        Self { in_message: false }
    }

    /// Checks that `header` may come next, and records it.
    pub fn check(&mut self, header: &FrameHeader) -> Result<(), FrameError> {
        match (header.opcode, self.in_message) {
            (Opcode::Continuation, false) => Err(FrameError::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, true) => {
                Err(FrameError::MessageInProgress(header.opcode))
            }
            (opcode, _) if opcode.is_control() => Ok(()),
            _ => {
                self.in_message = !header.fin;
                Ok(())
            }
        }
    }

    /// Whether a fragmented message is in progress.
    pub const fn in_message(&self) -> bool {
        self.in_message
    }
}
