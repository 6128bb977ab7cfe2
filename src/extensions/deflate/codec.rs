//! Compressing and inflating messages (RFC 7692 §7.2), with zlib-rs.
//!
//! zlib-rs was chosen by measurement: compressing and inflating 1 KiB and
//! 64 KiB of JSON it is 1.6-1.9x faster than miniz_oxide, and unlike
//! miniz_oxide it compresses with any window from 2^9 to 2^15 bytes, which
//! `server_max_window_bits` and `client_max_window_bits` require. It is pure
//! Rust; its allocator hooks need `std`, so the `deflate` feature does too.

use alloc::boxed::Box;
use alloc::vec::Vec;
use zlib_rs::{Deflate, DeflateFlush, Inflate, InflateFlush, Status};

use super::pool;
use super::{DeflateConfig, DeflateParams, MAX_WINDOW_BITS};
use crate::extensions::CompressionError;
use crate::Role;

/// What a sync flush ends with, left off each message by the sender and put
/// back by the receiver (§7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The first piece of output room an inflated frame gets, per compressed byte;
/// doubled as often as it fills. Text compresses about 4:1.
const INFLATE_RATIO: usize = 4;

/// The smallest output room worth a call into zlib.
const MIN_ROOM: usize = 1024;

/// Output room for the tail, whose block is empty.
const TAIL_ROOM: usize = 64;

/// What a compressor is made with; two with the same settings and no
/// context takeover compress a message to the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    level: u8,
    window_bits: u8,
    mem_level: u8,
}

impl Settings {
    pub(super) fn deflate(self) -> Box<Deflate> {
        Box::new(Deflate::new_with_config(zlib_rs::DeflateConfig {
            level: i32::from(self.level),
            // Negative: raw DEFLATE, no zlib header.
            window_bits: -i32::from(self.window_bits),
            mem_level: i32::from(self.mem_level),
            ..zlib_rs::DeflateConfig::default()
        }))
    }
}

/// Our side's compressor.
pub(crate) struct Compressor {
    /// With context takeover, created for the first compressed message;
    /// boxed so that a connection that never compresses stays small.
    /// Without, borrowed from the thread's pool for each message instead.
    stream: Option<Box<Deflate>>,
    settings: Settings,
    no_context_takeover: bool,
    threshold: usize,
}

impl Compressor {
    pub(crate) fn new(role: Role, params: &DeflateParams, config: &DeflateConfig) -> Self {
        let (no_context_takeover, window_bits) = params.sender(role);
        Self {
            stream: None,
            settings: Settings {
                level: config.level,
                // zlib compresses raw DEFLATE with 2^9 bytes at least; see MIN_WINDOW_BITS.
                window_bits: window_bits.max(9),
                mem_level: config.mem_level,
            },
            no_context_takeover,
            threshold: config.threshold,
        }
    }

    /// What makes this compressor's output for a message the same as
    /// another's: its settings, if it starts every message with an empty
    /// window (no context takeover); `None` when its output depends on the
    /// messages before.
    pub(crate) fn shareable(&self) -> Option<Settings> {
        self.no_context_takeover.then_some(self.settings)
    }

    /// Whether a message of `len` bytes is long enough to compress.
    pub(crate) fn worth(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// The message compressed, without the flush's tail; `None` if it is too
    /// short to be worth it, or if zlib failed (then it goes uncompressed,
    /// and a fresh compressor takes the next message).
    pub(crate) fn compress(&mut self, message: &[u8]) -> Option<Vec<u8>> {
        if message.len() < self.threshold {
            return None;
        }
        let settings = self.settings;
        let mut out = if self.no_context_takeover {
            let mut stream = pool::take_deflate(settings);
            // A compressor that failed is not given back.
            let out = sync_flush(&mut stream, message)?;
            pool::give_deflate(settings, stream);
            out
        } else {
            let stream = self.stream.get_or_insert_with(|| settings.deflate());
            let Some(out) = sync_flush(stream, message) else {
                self.stream = None;
                return None;
            };
            out
        };
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // zlib writes nothing for an empty message right after a flush;
            // a receiver needs a block, and the empty one is a 0x00 byte
            // before the tail (RFC 7692 §7.2.3.6).
            out.push(0);
        }
        Some(out)
    }
}

/// Compresses `input` and flushes to a byte boundary.
fn sync_flush(stream: &mut Deflate, mut input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        let start = out.len();
        let room = (out.capacity() - start).max(64);
        out.resize(start + room, 0);
        let (read, written) = (stream.total_in(), stream.total_out());
        let status = stream.compress(
            input,
            out.get_mut(start..).unwrap_or_default(),
            DeflateFlush::SyncFlush,
        );
        let consumed = (stream.total_in() - read) as usize;
        let produced = (stream.total_out() - written) as usize;
        out.truncate(start + produced);
        input = input.get(consumed..).unwrap_or_default();
        status.ok()?;
        // Room left over: the flush is complete.
        if input.is_empty() && produced < room {
            return Some(out);
        }
        out.reserve(out.len());
    }
}

/// The peer's messages' inflater.
pub(crate) struct Decompressor {
    /// Created for the first compressed message, boxed like the
    /// compressor's; for a peer without context takeover, borrowed from
    /// the thread's pool for each message instead.
    stream: Option<Box<Inflate>>,
    params: DeflateParams,
    role: Role,
    /// Bytes inflated so far of the message in progress.
    inflated: usize,
    /// Whether the message in progress has had any compressed bytes.
    fed: bool,
}

impl Decompressor {
    pub(crate) fn new(role: Role, params: DeflateParams) -> Self {
        Self {
            stream: None,
            params,
            role,
            inflated: 0,
            fed: false,
        }
    }

    /// Inflates the next piece of a compressed message, appending to `out`;
    /// `last` when it ends the message. The message may inflate to `max`
    /// bytes; `out` never grows beyond one byte more.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), CompressionError> {
        // Whatever window the peer uses, 2^15 bytes hold it; one size means
        // `reset` (which restores the default) keeps the same window.
        let pooled = self.params.sender(self.role.peer()).0;
        let stream = self.stream.get_or_insert_with(|| match pooled {
            true => pool::take_inflate(),
            false => Box::new(Inflate::new(false, MAX_WINDOW_BITS)),
        });
        // A message with no compressed bytes at all is empty. The tail alone
        // is not an empty block but the start of one, which would swallow
        // the next message: leave the inflater alone.
        self.fed |= !input.is_empty();
        let tail: &[u8] = if last && self.fed { &TAIL } else { &[] };
        let first_room = input.len().saturating_mul(INFLATE_RATIO).max(MIN_ROOM);
        // The tail is an empty block: it yields only output zlib held back.
        for (mut piece, mut room_hint) in [(input, first_room), (tail, TAIL_ROOM)] {
            // zlib may hold output back for want of room, even with no input left.
            let mut full = false;
            while !piece.is_empty() || full {
                // One byte past the limit is how a bomb is told from a
                // message that fits exactly.
                let allowed = max.saturating_sub(self.inflated).saturating_add(1);
                let room = room_hint.min(allowed);
                let start = out.len();
                out.reserve_exact(room);
                out.resize(start + room, 0);
                let (read, written) = (stream.total_in(), stream.total_out());
                let result = stream.decompress(
                    piece,
                    out.get_mut(start..).unwrap_or_default(),
                    InflateFlush::SyncFlush,
                );
                let consumed = (stream.total_in() - read) as usize;
                let produced = (stream.total_out() - written) as usize;
                out.truncate(start + produced);
                self.inflated += produced;
                piece = piece.get(consumed..).unwrap_or_default();
                if self.inflated > max {
                    return Err(CompressionError::TooBig { max });
                }
                full = produced == room;
                if full {
                    room_hint = room_hint.saturating_mul(2);
                }
                match result {
                    // A final block ends the stream; whatever follows starts
                    // a new one, with an empty window.
                    Ok(Status::StreamEnd) => stream.reset(false),
                    Ok(Status::Ok | Status::BufError) if consumed > 0 || produced > 0 => {}
                    // Nothing more to give.
                    Ok(_) if piece.is_empty() => break,
                    Ok(_) => return Err(CompressionError::Corrupt("the data makes no progress")),
                    Err(_) => {
                        let why = stream.error_message().unwrap_or("invalid data");
                        return Err(CompressionError::Corrupt(why));
                    }
                }
            }
        }
        if last {
            self.inflated = 0;
            self.fed = false;
            // The peer starts each message with an empty window: the
            // inflater goes back to the pool, reset.
            if let Some(stream) = self.stream.take_if(|_| pooled) {
                pool::give_inflate(stream);
            }
        }
        Ok(())
    }
}
