//! Encoding frames, and the queue of bytes waiting to be written.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use bytes::{Bytes, BytesMut};

use super::error::SendError;
use crate::frame::{FrameError, FrameHeader, Opcode};
use crate::mask::apply_mask;
use crate::random::Rng;
use crate::Role;

/// Headers (and short payloads) are written into one buffer and split off
/// it. Once the chunks split from it have been written and dropped, the
/// buffer is reused: encoding allocates nothing per message at steady state.
const ARENA_SIZE: usize = 16 << 10;

/// Server payloads up to this size are copied next to their header: one
/// chunk to write is cheaper than two for short messages.
const INLINE_PAYLOAD: usize = 256;

/// Mask keys are drawn from the randomness source in batches: one call per
/// 64 frames instead of one system call per frame.
const KEY_BATCH: usize = 256;

pub(crate) struct Outgoing {
    role: Role,
    rng: Box<dyn Rng + Send>,
    keys: [u8; KEY_BATCH],
    keys_used: usize,
    arena: BytesMut,
    queue: VecDeque<Bytes>,
    queued_bytes: usize,
    /// The answer to the latest ping, not yet handed out.
    pong: Option<Bytes>,
    frame_size: usize,
}

impl Outgoing {
    pub(crate) fn new(role: Role, rng: Box<dyn Rng + Send>, frame_size: usize) -> Self {
        Self {
            role,
            rng,
            keys: [0; KEY_BATCH],
            keys_used: KEY_BATCH,
            arena: BytesMut::new(),
            queue: VecDeque::new(),
            queued_bytes: 0,
            pong: None,
            frame_size,
        }
    }

    /// Queues a text or binary message, in frames of at most `frame_size`.
    pub(crate) fn message(&mut self, opcode: Opcode, payload: Bytes) -> Result<(), SendError> {
        if payload.len() <= self.frame_size {
            return self.frame(true, opcode, payload);
        }
        let mut offset = 0;
        let mut opcode = opcode;
        while offset < payload.len() {
            let end = (offset + self.frame_size).min(payload.len());
            self.frame(end == payload.len(), opcode, payload.slice(offset..end))?;
            opcode = Opcode::Continuation;
            offset = end;
        }
        Ok(())
    }

    /// Queues a ping, pong or close frame.
    pub(crate) fn control(&mut self, opcode: Opcode, payload: Bytes) -> Result<(), SendError> {
        self.frame(true, opcode, payload)
    }

    /// Sets the automatic answer to a ping, replacing an unsent earlier one.
    pub(crate) fn set_pong(&mut self, payload: Bytes) {
        if let Some(old) = self.pong.replace(payload) {
            self.queued_bytes -= old.len();
        }
        if let Some(new) = &self.pong {
            self.queued_bytes += new.len();
        }
    }

    /// Drops an unsent automatic pong: nothing may follow our close frame.
    pub(crate) fn cancel_pong(&mut self) {
        if let Some(old) = self.pong.take() {
            self.queued_bytes -= old.len();
        }
    }

    /// The next chunk to write. A pending pong goes first: control frames
    /// may be sent between the frames of a message.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        if let Some(pong) = self.pong.take() {
            self.queued_bytes -= pong.len();
            // A pong echoes a ping, which carried at most 125 bytes: only a
            // failing randomness source stops it, and then it is not sent.
            if let Ok((head, rest)) = self.encode(true, Opcode::Pong, pong) {
                self.queued_bytes += head.len() + rest.as_ref().map_or(0, Bytes::len);
                if let Some(rest) = rest {
                    self.queue.push_front(rest);
                }
                self.queue.push_front(head);
            }
        }
        let chunk = self.queue.pop_front()?;
        self.queued_bytes -= chunk.len();
        Some(chunk)
    }

    /// Bytes waiting to be written.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.pong.is_none()
    }

    fn frame(&mut self, fin: bool, opcode: Opcode, payload: Bytes) -> Result<(), SendError> {
        let (head, rest) = self.encode(fin, opcode, payload)?;
        self.push(head);
        if let Some(rest) = rest {
            self.push(rest);
        }
        Ok(())
    }

    /// Encodes one frame as one chunk, or as the header and the payload when
    /// the payload is large enough to be worth not copying.
    fn encode(
        &mut self,
        fin: bool,
        opcode: Opcode,
        payload: Bytes,
    ) -> Result<(Bytes, Option<Bytes>), SendError> {
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.fin = fin;
        if self.role == Role::Client {
            header.mask = Some(self.mask_key()?);
        }
        let encoded = header.encode().map_err(|error| match error {
            FrameError::ControlFrameTooLong { len, .. } => SendError::ControlTooLong(len as usize),
            // A fragmented control frame or a 2^63-byte payload cannot be
            // built through the public API.
            _ => SendError::ControlTooLong(payload.len()),
        })?;
        Ok(match header.mask {
            None if payload.len() <= INLINE_PAYLOAD => {
                (self.arena_chunk(&encoded, &payload, None), None)
            }
            None => (self.arena_chunk(&encoded, &[], None), Some(payload)),
            Some(key) => match payload.try_into_mut() {
                // Owned by us alone: mask in place, no copy.
                Ok(mut owned) if owned.len() > INLINE_PAYLOAD => {
                    apply_mask(&mut owned, key, 0);
                    (self.arena_chunk(&encoded, &[], None), Some(owned.freeze()))
                }
                Ok(owned) => (self.arena_chunk(&encoded, &owned, Some(key)), None),
                // Shared with the caller: masking must not touch its bytes.
                Err(shared) => (self.arena_chunk(&encoded, &shared, Some(key)), None),
            },
        })
    }

    /// Copies a header and a payload (masked with `key`) into the arena and
    /// splits them off as one chunk.
    fn arena_chunk(&mut self, header: &[u8], payload: &[u8], key: Option<[u8; 4]>) -> Bytes {
        let len = header.len() + payload.len();
        if self.arena.capacity() < len {
            self.arena.reserve(len.max(ARENA_SIZE));
        }
        self.arena.extend_from_slice(header);
        self.arena.extend_from_slice(payload);
        if let Some(key) = key {
            if let Some(copied) = self.arena.get_mut(header.len()..) {
                apply_mask(copied, key, 0);
            }
        }
        self.arena.split().freeze()
    }

    fn push(&mut self, chunk: Bytes) {
        self.queued_bytes += chunk.len();
        self.queue.push_back(chunk);
    }

    fn mask_key(&mut self) -> Result<[u8; 4], SendError> {
        if self.keys_used + 4 > KEY_BATCH {
            self.rng.fill(&mut self.keys)?;
            self.keys_used = 0;
        }
        let mut key = [0; 4];
        if let Some(fresh) = self.keys.get(self.keys_used..self.keys_used + 4) {
            key.copy_from_slice(fresh);
        }
        self.keys_used += 4;
        Ok(key)
    }
}
