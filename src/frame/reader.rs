//! The one frame state machine: every receiver in this crate, from
//! [`FrameDecoder`](super::FrameDecoder) on a device with one fixed buffer to
//! a [`Connection`](crate::connection::Connection), reads frames through it.

use super::{FrameError, FrameHeader, FrameRules, Sequencer};
use crate::mask::apply_mask;

/// Where a receiver is in the frame stream: it checks each header against
/// the rules and the message sequence, then unmasks the frame's payload in
/// place, in pieces of any size, as its bytes arrive.
///
/// It holds no bytes, and of a header only what unmasking needs: keeping a
/// header split across reads, the header itself and the payload are the
/// caller's business. The decoder stashes a split header and hands
/// payload out at once; the connection leaves both in its read buffer until
/// a frame is whole.
#[derive(Clone, Debug)]
pub(crate) struct FrameReader {
    rules: FrameRules,
    sequencer: Sequencer,
    /// The current frame's mask key.
    mask: Option<[u8; 4]>,
    /// Payload bytes of the current frame not yet unmasked.
    remaining: u64,
    /// Payload bytes unmasked so far, modulo 4: where the mask key resumes.
    phase: usize,
}

impl FrameReader {
    pub(crate) const fn new(rules: FrameRules) -> Self {
        Self {
            rules,
            sequencer: Sequencer::new(),
            mask: None,
            remaining: 0,
            phase: 0,
        }
    }

    pub(crate) const fn rules(&self) -> &FrameRules {
        &self.rules
    }

    pub(crate) fn set_rules(&mut self, rules: FrameRules) {
        self.rules = rules;
    }

    /// Checks a decoded header and starts its frame. The previous frame's
    /// payload must be done.
    #[inline]
    pub(crate) fn start(&mut self, header: FrameHeader) -> Result<(), FrameError> {
        debug_assert_eq!(self.remaining, 0, "a frame started inside another");
        self.rules.check(&header)?;
        self.sequencer.check(&header)?;
        self.mask = header.mask;
        self.remaining = header.payload_len;
        self.phase = 0;
        Ok(())
    }

    /// Payload bytes of the current frame still to come: 0 between frames.
    #[inline]
    pub(crate) const fn remaining(&self) -> u64 {
        self.remaining
    }

    /// How many of `available` payload bytes belong to the current frame.
    #[inline]
    pub(crate) fn take(&self, available: usize) -> usize {
        usize::try_from(self.remaining).map_or(available, |r| r.min(available))
    }

    /// Unmasks the next payload bytes in place; `data` holds at most
    /// [`remaining`](Self::remaining) bytes. Returns whether the frame is done.
    #[inline]
    pub(crate) fn unmask(&mut self, data: &mut [u8]) -> bool {
        if let Some(key) = self.mask {
            apply_mask(data, key, self.phase);
        }
        self.phase = (self.phase + data.len()) % 4;
        self.remaining -= data.len() as u64;
        self.remaining == 0
    }
}
