//! Encoding frames, and the queue of bytes waiting to be written.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use bytes::{Buf, Bytes, BytesMut};

use super::error::SendError;
use crate::extensions::{Encoder, SharedEncoding};
use crate::frame::{FrameError, FrameHeader, HeaderBytes, Opcode, Rsv, MAX_HEADER_LEN};
use crate::mask::{apply_mask, extend_masked};
use crate::random::{Rng, RngUnavailable};
use crate::Role;

/// Headers and short payloads are written into one buffer, where they
/// accumulate until the application asks for bytes to write: many small
/// messages leave as one chunk, one write. Once the chunks split from it have
/// been written and dropped, the buffer is reused: encoding allocates
/// nothing per message at steady state.
const ARENA_SIZE: usize = 16 << 10;

/// The room an arena starts with after it was let go (or before any use):
/// enough for a pong, a close frame or a short message. An idle connection
/// that answers a ping, or a burst of closes across thousands of
/// connections, then costs this much each, not `ARENA_SIZE`; a connection
/// that keeps sending grows to `ARENA_SIZE` at its next reservation.
const FIRST_ARENA_SIZE: usize = 512;

/// Server payloads up to this size are copied next to their header: one
/// chunk to write is cheaper than two for short messages.
const INLINE_PAYLOAD: usize = 256;

/// At most this many pongs wait to be encoded. Beyond that the newest
/// replaces the last one: answering the latest ping is enough (RFC 6455
/// §5.5.3), and a peer that pings without reading cannot grow the queue.
const MAX_PENDING_PONGS: usize = 32;

/// Mask keys are drawn from the randomness source in batches: one call per
/// 64 frames instead of one system call per frame.
const KEY_BATCH: usize = 256;

pub(crate) struct Outgoing {
    role: Role,
    /// Mask keys' source: a client's; a server never masks.
    rng: Option<Box<dyn Rng + Send>>,
    keys: [u8; KEY_BATCH],
    keys_used: usize,
    /// Encoded bytes not yet handed out; they follow everything in `queue`.
    arena: BytesMut,
    /// How much of the front of `arena` has been written already. A cursor
    /// rather than `BytesMut::advance`: once everything is written the arena
    /// is cleared and refilled from its start, the common case of a writer
    /// that keeps up.
    arena_written: usize,
    /// Chunks sealed off the arena, and large payloads sent without copying.
    queue: VecDeque<Bytes>,
    queued_bytes: usize,
    /// Answers to pings, not yet encoded.
    pongs: VecDeque<Bytes>,
    frame_size: usize,
    encoder: Encoder,
    /// Whether messages may pass through the encoder.
    encode: bool,
    /// Whether a message sent in fragments has had pieces but not its last.
    fragmenting: bool,
}

impl Outgoing {
    pub(crate) fn new(
        role: Role,
        rng: Option<Box<dyn Rng + Send>>,
        frame_size: usize,
        encoder: Encoder,
    ) -> Self {
        Self {
            role,
            rng,
            keys: [0; KEY_BATCH],
            keys_used: KEY_BATCH,
            arena: BytesMut::new(),
            arena_written: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            pongs: VecDeque::new(),
            frame_size,
            encoder,
            encode: true,
            fragmenting: false,
        }
    }

    pub(crate) fn set_encoder(&mut self, encoder: Encoder) {
        self.encoder = encoder;
    }

    pub(crate) fn set_compression(&mut self, on: bool) {
        self.encode = on;
    }

    /// Queues a piece of a message as one frame.
    pub(crate) fn fragment(&mut self, text: bool, data: Bytes, fin: bool) -> Result<(), SendError> {
        let opcode = match (self.fragmenting, text) {
            (true, _) => Opcode::Continuation,
            (false, true) => Opcode::Text,
            (false, false) => Opcode::Binary,
        };
        self.frame(fin, opcode, Rsv::NONE, data)?;
        self.fragmenting = !fin;
        Ok(())
    }

    /// Queues a text or binary message, compressed if permessage-deflate
    /// was agreed and the message is long enough.
    pub(crate) fn message(&mut self, opcode: Opcode, payload: Bytes) -> Result<(), SendError> {
        if payload.len() <= INLINE_PAYLOAD {
            // Copied next to its header either way: only borrow it.
            return self.message_slice(opcode, &payload);
        }
        self.check_whole()?;
        if let Some((rsv, encoded)) = self.encode(&payload, None) {
            return self.fragments(opcode, rsv, encoded);
        }
        self.fragments(opcode, Rsv::NONE, payload)
    }

    /// Queues a message prepared for many connections: its payload shared,
    /// and its encoding too where this connection's would be the same.
    /// `frame` is the message as a server sends it uncompressed in one
    /// frame, queued as it is where that fits.
    pub(crate) fn prepared(
        &mut self,
        opcode: Opcode,
        payload: Bytes,
        frame: &Bytes,
        shared: &SharedEncoding,
    ) -> Result<(), SendError> {
        self.check_whole()?;
        match self.encode(&payload, Some(shared)) {
            Some((rsv, encoded)) => self.fragments(opcode, rsv, encoded),
            // Short frames are copied next to what precedes them, like any
            // short message: one chunk to write.
            None if self.role == Role::Server
                && frame.len() > INLINE_PAYLOAD
                && payload.len() <= self.frame_size =>
            {
                self.queued_bytes += frame.len();
                self.push_apart(frame.clone());
                Ok(())
            }
            None => self.fragments(opcode, Rsv::NONE, payload),
        }
    }

    /// Queues a text or binary message given as a slice: a short one is
    /// copied straight to the arena, a long one into a buffer of its own.
    #[inline]
    pub(crate) fn message_slice(&mut self, opcode: Opcode, data: &[u8]) -> Result<(), SendError> {
        self.check_whole()?;
        if let Some((rsv, encoded)) = self.encode(data, None) {
            return self.fragments(opcode, rsv, encoded);
        }
        if data.len() > INLINE_PAYLOAD || data.len() > self.frame_size {
            return self.fragments(opcode, Rsv::NONE, Bytes::copy_from_slice(data));
        }
        let (header, key) = self.header(true, opcode, Rsv::NONE, data.len())?;
        self.queued_bytes += header.len() + data.len();
        self.append(&header, data, key);
        Ok(())
    }

    /// A whole message may not interrupt one sent in fragments.
    #[inline]
    fn check_whole(&self) -> Result<(), SendError> {
        match self.fragmenting {
            true => Err(SendError::FragmentsUnfinished),
            false => Ok(()),
        }
    }

    /// The message as the agreed extensions encode it (through `shared`,
    /// for one sent to many connections), with the RSV bits that mark it on
    /// its first frame; `None` to send it as it is.
    #[inline]
    fn encode(&mut self, message: &[u8], shared: Option<&SharedEncoding>) -> Option<(Rsv, Bytes)> {
        if !self.encode {
            return None;
        }
        self.encoder.encode(message, shared)
    }

    /// Queues a message in frames of at most `frame_size`, `rsv` on the first.
    fn fragments(&mut self, opcode: Opcode, rsv: Rsv, payload: Bytes) -> Result<(), SendError> {
        if payload.len() <= self.frame_size {
            return self.frame(true, opcode, rsv, payload);
        }
        let mut offset = 0;
        let (mut opcode, mut rsv) = (opcode, rsv);
        while offset < payload.len() {
            let end = (offset + self.frame_size).min(payload.len());
            self.frame(
                end == payload.len(),
                opcode,
                rsv,
                payload.slice(offset..end),
            )?;
            (opcode, rsv) = (Opcode::Continuation, Rsv::NONE);
            offset = end;
        }
        Ok(())
    }

    /// Queues a ping, pong or close frame.
    pub(crate) fn control(&mut self, opcode: Opcode, payload: Bytes) -> Result<(), SendError> {
        self.frame(true, opcode, Rsv::NONE, payload)
    }

    /// Queues the automatic answer to a ping.
    pub(crate) fn pong(&mut self, payload: Bytes) {
        self.queued_bytes += payload.len();
        if self.pongs.len() >= MAX_PENDING_PONGS {
            if let Some(replaced) = self.pongs.pop_back() {
                self.queued_bytes -= replaced.len();
            }
        }
        self.pongs.push_back(payload);
    }

    /// Drops unsent automatic pongs: nothing may follow our close frame.
    pub(crate) fn cancel_pong(&mut self) {
        for pong in self.pongs.drain(..) {
            self.queued_bytes -= pong.len();
        }
    }

    /// The next chunk to write. Pending pongs are encoded now, behind what
    /// is already queued.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        self.encode_pong();
        let chunk = match self.queue.pop_front() {
            Some(chunk) => chunk,
            None if !self.unwritten_arena().is_empty() => self.take_arena().freeze(),
            None => return None,
        };
        self.queued_bytes -= chunk.len();
        Some(chunk)
    }

    /// Encodes the pongs waiting, behind what is already queued.
    #[inline]
    pub(crate) fn encode_pongs(&mut self) {
        if !self.pongs.is_empty() {
            self.encode_pong();
        }
    }

    /// The next bytes to write, left in place; pongs must be encoded first.
    #[inline]
    pub(crate) fn front(&self) -> &[u8] {
        match self.queue.front() {
            Some(chunk) => chunk,
            None => self.unwritten_arena(),
        }
    }

    fn unwritten_arena(&self) -> &[u8] {
        self.arena.get(self.arena_written..).unwrap_or_default()
    }

    /// The arena's bytes not yet written, split off it.
    fn take_arena(&mut self) -> BytesMut {
        self.drop_written();
        self.arena.split()
    }

    /// Drops the bytes already written from the front of the arena.
    fn drop_written(&mut self) {
        self.arena.advance(self.arena_written);
        self.arena_written = 0;
    }

    fn encode_pong(&mut self) {
        while let Some(pong) = self.pongs.pop_front() {
            self.queued_bytes -= pong.len();
            // A pong echoes a ping, which carried at most 125 bytes: only a
            // failing randomness source stops it, and then it is not sent.
            let _ = self.frame(true, Opcode::Pong, Rsv::NONE, pong);
        }
    }

    /// Lets go of the arena if nothing in it waits to be written: an idle
    /// connection then holds no encoding buffer, and its next message
    /// allocates one again.
    pub(crate) fn release_idle(&mut self) {
        if self.queue.is_empty() && self.unwritten_arena().is_empty() {
            self.arena = BytesMut::new();
            self.arena_written = 0;
        }
    }

    /// Every chunk waiting to be written, in order, left in place; pongs
    /// must be encoded first.
    #[cfg(feature = "std")]
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &[u8]> {
        let arena = Some(self.unwritten_arena()).filter(|arena| !arena.is_empty());
        self.queue.iter().map(|chunk| &chunk[..]).chain(arena)
    }

    /// Marks the first `n` bytes waiting to be written as written, across
    /// chunk boundaries.
    #[inline]
    pub(crate) fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let Some(chunk) = self.queue.front_mut() else {
                let taken = n.min(self.arena.len() - self.arena_written);
                self.arena_written += taken;
                self.queued_bytes -= taken;
                if self.arena_written == self.arena.len() {
                    self.arena.clear();
                    self.arena_written = 0;
                }
                return;
            };
            let taken = n.min(chunk.len());
            chunk.advance(taken);
            self.queued_bytes -= taken;
            n -= taken;
            if chunk.is_empty() {
                self.queue.pop_front();
            }
        }
    }

    /// Bytes waiting to be written.
    pub(crate) fn len(&self) -> usize {
        self.queued_bytes
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.unwritten_arena().is_empty() && self.pongs.is_empty()
    }

    /// Encodes a frame at the end of the arena; a large payload goes into
    /// the queue as it is, after the arena is sealed to keep the order.
    fn frame(
        &mut self,
        fin: bool,
        opcode: Opcode,
        rsv: Rsv,
        payload: Bytes,
    ) -> Result<(), SendError> {
        let (header, key) = self.header(fin, opcode, rsv, payload.len())?;
        self.queued_bytes += header.len() + payload.len();
        let long = payload.len() > INLINE_PAYLOAD;
        match key {
            None if long => self.append_apart(&header, payload),
            Some(key) if long => match payload.try_into_mut() {
                // Owned by us alone: mask in place, no copy.
                Ok(mut owned) => {
                    apply_mask(&mut owned, key, 0);
                    self.append_apart(&header, owned.freeze());
                }
                // Shared with the caller: masking must not touch its bytes.
                Err(shared) => self.append(&header, &shared, Some(key)),
            },
            // Short: copied next to its header, masked as it is copied.
            _ => self.append(&header, &payload, key),
        }
        Ok(())
    }

    /// The encoded header of a frame, and its mask key on the client side.
    #[inline]
    fn header(
        &mut self,
        fin: bool,
        opcode: Opcode,
        rsv: Rsv,
        len: usize,
    ) -> Result<(HeaderBytes, Option<[u8; 4]>), SendError> {
        let mut header = FrameHeader::new(opcode, len as u64);
        header.fin = fin;
        header.rsv = rsv;
        if self.role == Role::Client {
            header.mask = Some(self.mask_key()?);
        }
        let encoded = header.encode().map_err(|error| match error {
            FrameError::ControlFrameTooLong { len, .. } => SendError::ControlTooLong(len as usize),
            // A fragmented control frame or a 2^63-byte payload cannot be
            // built through the public API.
            _ => SendError::ControlTooLong(len),
        })?;
        Ok((encoded, header.mask))
    }

    /// Appends a header and a payload (masked with `key`) to the arena.
    #[inline]
    fn append(&mut self, header: &HeaderBytes, payload: &[u8], key: Option<[u8; 4]>) {
        // Room for the padded header: see below.
        let len = MAX_HEADER_LEN + payload.len();
        if self.arena.capacity() - self.arena.len() < len {
            // Drop what was written first, so a writer that never quite
            // catches up does not keep the arena growing.
            self.drop_written();
            let room = match self.arena.capacity() {
                0 => FIRST_ARENA_SIZE,
                _ => ARENA_SIZE,
            };
            self.arena.reserve(len.max(room));
        }
        let end = self.arena.len() + header.len();
        self.arena.extend_from_slice(header.padded());
        self.arena.truncate(end);
        match key {
            Some(key) => extend_masked(&mut self.arena, payload, key),
            None => self.arena.extend_from_slice(payload),
        }
    }

    /// Appends a header, then queues its payload as it is, after the arena
    /// is sealed to keep the order.
    fn append_apart(&mut self, header: &HeaderBytes, payload: Bytes) {
        self.append(header, &[], None);
        self.push_apart(payload);
    }

    /// Queues a chunk as it is, after the arena is sealed to keep the order.
    fn push_apart(&mut self, chunk: Bytes) {
        self.seal();
        self.queue.push_back(chunk);
    }

    /// Moves the arena's pending bytes into the queue as one chunk.
    fn seal(&mut self) {
        if !self.unwritten_arena().is_empty() {
            let unwritten = self.take_arena().freeze();
            self.queue.push_back(unwritten);
        }
    }

    #[inline]
    fn mask_key(&mut self) -> Result<[u8; 4], SendError> {
        if self.keys_used + 4 > KEY_BATCH {
            self.refill_keys()?;
        }
        let mut key = [0; 4];
        if let Some(fresh) = self.keys.get(self.keys_used..self.keys_used + 4) {
            key.copy_from_slice(fresh);
        }
        self.keys_used += 4;
        Ok(key)
    }

    #[cold]
    fn refill_keys(&mut self) -> Result<(), SendError> {
        self.rng
            .as_mut()
            .ok_or(RngUnavailable)?
            .fill(&mut self.keys)?;
        self.keys_used = 0;
        Ok(())
    }
}
