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
use super::{Context, DeflateConfig, DeflateParams, MAX_WINDOW_BITS};
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
    kept: Kept,
    settings: Settings,
    threshold: usize,
}

/// What a compressor keeps between messages, by [`Context`].
enum Kept {
    /// The end of what was compressed so far, at most `keep` bytes (0 without
    /// context takeover), which the peer's inflater still holds in its
    /// window: each message borrows a compressor from the thread's pool and
    /// primes it with them. Messages sent uncompressed never reach that
    /// window and are not kept.
    Recent { bytes: Vec<u8>, keep: usize },
    /// A compressor of its own, created for the first compressed message;
    /// boxed so that a connection that never compresses stays small.
    Compressor(Option<Box<Deflate>>),
}

impl Compressor {
    pub(crate) fn new(role: Role, params: &DeflateParams, config: &DeflateConfig) -> Self {
        let (no_context_takeover, window_bits) = params.sender(role);
        // zlib compresses raw DEFLATE with 2^9 bytes at least; see MIN_WINDOW_BITS.
        let window_bits = window_bits.max(9);
        let recent = |keep| Kept::Recent {
            bytes: Vec::new(),
            keep,
        };
        let kept = match config.context {
            _ if no_context_takeover => recent(0),
            // The peer's window holds no more than 2^window_bits bytes.
            Context::Recent(n) => recent(n.min(1 << window_bits)),
            Context::Compressor => Kept::Compressor(None),
        };
        Self {
            kept,
            settings: Settings {
                level: config.level,
                window_bits,
                mem_level: config.mem_level,
            },
            threshold: config.threshold,
        }
    }

    /// What makes this compressor's output for a message the same as
    /// another's: its settings, if it starts every message with an empty
    /// window (no context takeover); `None` when its output depends on the
    /// messages before.
    pub(crate) fn shareable(&self) -> Option<Settings> {
        matches!(self.kept, Kept::Recent { keep: 0, .. }).then_some(self.settings)
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
        let mut out = match &mut self.kept {
            Kept::Recent { bytes, keep } => {
                let mut stream = pool::take_deflate(settings);
                // A compressor that failed is not given back.
                if !bytes.is_empty() {
                    stream.set_dictionary(bytes).ok()?;
                }
                let out = sync_flush(&mut stream, message)?;
                pool::give_deflate(settings, stream);
                remember(bytes, message, *keep);
                out
            }
            Kept::Compressor(kept) => {
                let stream = kept.get_or_insert_with(|| settings.deflate());
                let Some(out) = sync_flush(stream, message) else {
                    *kept = None;
                    return None;
                };
                out
            }
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

/// Keeps the last `keep` bytes of `recent` followed by `message`.
fn remember(recent: &mut Vec<u8>, message: &[u8], keep: usize) {
    let tail = &message[message.len().saturating_sub(keep)..];
    // At most `recent.len()`: `tail` is at most `keep` bytes.
    let excess = (recent.len() + tail.len()).saturating_sub(keep);
    recent.drain(..excess);
    if recent.capacity() < keep {
        // Exactly the context, not the doubling a push would allocate.
        recent.reserve_exact(keep - recent.len());
    }
    recent.extend_from_slice(tail);
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

#[cfg(test)]
mod tests {
    use super::super::MIN_WINDOW_BITS;
    use super::*;
    use alloc::{format, vec};

    fn params(bits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: bits,
            client_max_window_bits: bits,
        }
    }

    /// Text whose lines repeat at every distance up to 8 KiB.
    fn lines(count: usize, seed: usize) -> Vec<u8> {
        (0..count)
            .flat_map(|i| format!("line {} of the text\n", (i * 7 + seed) % 400).into_bytes())
            .collect()
    }

    #[test]
    fn remember_keeps_the_last_bytes() {
        let mut recent = Vec::new();
        remember(&mut recent, b"abc", 4);
        assert_eq!(recent, b"abc");
        remember(&mut recent, b"de", 4);
        assert_eq!(recent, b"bcde");
        remember(&mut recent, b"fghij", 4);
        assert_eq!(recent, b"ghij");
        remember(&mut recent, b"", 4);
        assert_eq!(recent, b"ghij");
        assert_eq!(recent.capacity(), 4);
        remember(&mut recent, b"xyz", 0);
        assert!(recent.is_empty());
    }

    /// Whatever context is kept, the peer's inflater, with exactly the
    /// window agreed and its own context carried from message to message,
    /// reads every message back: no reference reaches beyond the window.
    #[test]
    fn every_context_stays_within_the_window_agreed() {
        let messages: Vec<Vec<u8>> = (0..12).map(|seed| lines(100 + seed * 60, seed)).collect();
        for bits in MIN_WINDOW_BITS..=MAX_WINDOW_BITS {
            for context in [
                Context::Recent(0),
                Context::Recent(100),
                Context::Recent(4 << 10),
                Context::Recent(1 << 20),
                Context::Compressor,
            ] {
                let config = DeflateConfig::new().context(context);
                let mut compressor = Compressor::new(Role::Server, &params(bits), &config);
                let mut inflater = Inflate::new(false, bits);
                let (mut wire, mut raw) = (0, 0);
                for message in &messages {
                    let mut compressed = compressor.compress(message).unwrap();
                    wire += compressed.len();
                    compressed.extend_from_slice(&TAIL);
                    let mut out = vec![0; message.len() + 64];
                    inflater
                        .decompress(&compressed, &mut out, InflateFlush::SyncFlush)
                        .unwrap_or_else(|e| panic!("{bits} bits, {context:?}: {e:?}"));
                    out.truncate(inflater.total_out() as usize - raw);
                    raw += message.len();
                    assert_eq!(&out, message, "{bits} bits, {context:?}");
                }
                assert!(wire < raw / 3, "{bits} bits, {context:?}: {wire} of {raw}");
            }
        }
    }

    #[test]
    fn recent_context_is_capped_at_the_window_and_reused() {
        let config = DeflateConfig::new().context(Context::Recent(1 << 20));
        let mut compressor = Compressor::new(Role::Client, &params(12), &config);
        assert!(matches!(compressor.kept, Kept::Recent { keep, .. } if keep == 1 << 12));
        // 3 KiB of distinct lines: they compress only against each other.
        let message = lines(150, 1);
        let first = compressor.compress(&message).unwrap().len();
        // The same message again is a reference into the first.
        let again = compressor.compress(&message).unwrap().len();
        assert!(again < first / 4, "{again} against {first}");
        let both = [message.as_slice(), &message].concat();
        let Kept::Recent { bytes, .. } = &compressor.kept else {
            panic!("Context::Recent")
        };
        assert_eq!(*bytes, both[both.len() - (1 << 12)..]);
    }
}
