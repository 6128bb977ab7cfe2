//! A streaming frame decoder over caller-owned buffers, for receivers
//! without an allocator.

use super::reader::FrameReader;
use super::{FrameError, FrameHeader, FrameRules, HeaderStatus, MAX_HEADER_LEN};

/// One step of [`FrameDecoder::decode`].
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A frame header, checked against the rules. If its payload is not
    /// empty, [`Item::Payload`] chunks follow until one has `last` set.
    Header(FrameHeader),
    /// A piece of the current frame's payload, already unmasked in place.
    Payload {
        /// The bytes, borrowed from the input buffer.
        data: &'a mut [u8],
        /// Whether this chunk completes the frame.
        last: bool,
    },
}

/// A streaming frame decoder that never allocates and never copies payload.
///
/// Feed it the bytes as they arrive, in pieces of any size. It takes from the
/// front of the input slice what it has used, and hands back headers and
/// payload chunks unmasked in place inside the caller's buffer. Up to 13
/// bytes of a header split across reads are kept inside the decoder, so the
/// caller never has to keep anything it has given.
///
/// It also enforces message sequencing (RFC 6455 §5.4): a continuation frame
/// needs a fragmented message in progress, and a new text or binary message
/// must wait until the current one is finished. Control frames may come in
/// between fragments.
///
/// After an error the decoder returns the same error on every call.
///
/// ```
/// use wscore::frame::{FrameDecoder, FrameRules, Item, Opcode};
/// use wscore::Role;
///
/// let mut decoder = FrameDecoder::new(FrameRules::new(Role::Server));
/// // A masked "Hello" arriving in two reads, split inside the header.
/// let mut first = [0x81, 0x85, 0x37, 0xfa];
/// let mut second = [0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
///
/// let mut input = &mut first[..];
/// assert_eq!(decoder.decode(&mut input)?, None);
/// assert!(input.is_empty());
///
/// let mut input = &mut second[..];
/// let Some(Item::Header(header)) = decoder.decode(&mut input)? else { panic!() };
/// assert_eq!((header.opcode, header.payload_len), (Opcode::Text, 5));
/// let Some(Item::Payload { data, last: true }) = decoder.decode(&mut input)? else { panic!() };
/// assert_eq!(data, b"Hello");
/// # Ok::<(), wscore::frame::FrameError>(())
/// ```
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    reader: FrameReader,
    /// The first bytes of a header split across inputs.
    stash: [u8; MAX_HEADER_LEN],
    stashed: usize,
    failed: Option<FrameError>,
}

impl FrameDecoder {
    /// A decoder that enforces `rules`.
    pub const fn new(rules: FrameRules) -> Self {
        Self {
            reader: FrameReader::new(rules),
            stash: [0; MAX_HEADER_LEN],
            stashed: 0,
            failed: None,
        }
    }

    /// The rules in force.
    pub const fn rules(&self) -> &FrameRules {
        self.reader.rules()
    }

    /// Changes the rules, e.g. to allow RSV1 once permessage-deflate is agreed.
    /// They apply from the next header on.
    pub fn set_rules(&mut self, rules: FrameRules) {
        self.reader.set_rules(rules);
    }

    /// Whether the decoder sits between frames, holding no partial header.
    pub const fn is_at_frame_boundary(&self) -> bool {
        self.stashed == 0 && self.reader.remaining() == 0
    }

    /// Decodes the next item from the front of `input`, advancing `input`
    /// past every byte used. `Ok(None)` means `input` is used up.
    pub fn decode<'a>(&mut self, input: &mut &'a mut [u8]) -> Result<Option<Item<'a>>, FrameError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.reader.remaining() > 0 {
            if input.is_empty() {
                return Ok(None);
            }
            let data = take_front(input, self.reader.take(input.len()));
            let last = self.reader.unmask(data);
            return Ok(Some(Item::Payload { data, last }));
        }
        let started = match read_header(&mut self.stash, &mut self.stashed, input) {
            Ok(Some(header)) => self.reader.start(header).map(|()| header),
            Ok(None) => return Ok(None),
            Err(error) => Err(error),
        };
        match started {
            Ok(header) => Ok(Some(Item::Header(header))),
            Err(error) => {
                self.failed = Some(error);
                Err(error)
            }
        }
    }
}

/// Reads a header, straight from `input` when it holds a whole one, else
/// through `stash`, taking from `input` no byte beyond the header's end.
fn read_header(
    stash: &mut [u8; MAX_HEADER_LEN],
    stashed: &mut usize,
    input: &mut &mut [u8],
) -> Result<Option<FrameHeader>, FrameError> {
    if *stashed == 0 {
        if let HeaderStatus::Complete { header, len } = FrameHeader::decode(input)? {
            take_front(input, len);
            return Ok(Some(header));
        }
    }
    loop {
        let (have, free) = stash.split_at_mut(*stashed);
        match FrameHeader::decode(have)? {
            HeaderStatus::Complete { header, .. } => {
                *stashed = 0;
                return Ok(Some(header));
            }
            HeaderStatus::Partial { .. } if input.is_empty() => return Ok(None),
            HeaderStatus::Partial { needed } => {
                let len = (needed - have.len()).min(input.len());
                let (target, _) = free.split_at_mut(len);
                target.copy_from_slice(take_front(input, len));
                *stashed += len;
            }
        }
    }
}

/// Splits the first `len` bytes off `input`; `len` never exceeds its length.
fn take_front<'a>(input: &mut &'a mut [u8], len: usize) -> &'a mut [u8] {
    let (front, rest) = core::mem::take(input).split_at_mut(len);
    *input = rest;
    front
}
