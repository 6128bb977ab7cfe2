//! Frames (RFC 6455 §5): header decoding and encoding, the validation rules,
//! and a streaming decoder over caller-owned buffers.
//!
//! This layer needs neither `std` nor an allocator. It is enough on its own
//! to speak WebSocket on a device that keeps one fixed buffer.
//!
//! # Strictness
//!
//! Everything RFC 6455 §5 says a receiver must reject is rejected, each with
//! its own [`FrameError`] variant and close code. One choice goes beyond the
//! letter of the RFC: a payload length that is not encoded in the minimal
//! number of bytes (say 5 in the 16-bit form) is rejected with
//! [`FrameError::NonMinimalLength`]. §5.2 requires senders to use the minimal
//! form, no browser or mainstream library does otherwise, and accepting it
//! would give the same frame several encodings, which is how
//! request-smuggling-style disagreements between implementations start.

mod decoder;
pub(crate) mod reader;
mod rules;

use core::fmt;
use core::ops::{BitOr, Deref};

use crate::close::CloseCode;
use crate::mask::apply_mask;

pub use decoder::{FrameDecoder, Item};
pub use rules::{FrameRules, Sequencer};

/// The longest possible frame header: 2 bytes, a 64-bit length, a mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: u64 = 125;

/// The largest payload length the 63-bit length field can express.
pub const MAX_PAYLOAD_LEN: u64 = i64::MAX as u64;

/// A frame's opcode (RFC 6455 §5.2). The reserved values 0x3–0x7 and 0xB–0xF
/// have no variant: a frame carrying one is rejected before it gets here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    /// 0x0: a further fragment of the message in progress.
    Continuation = 0x0,
    /// 0x1: the first frame of a text message.
    Text = 0x1,
    /// 0x2: the first frame of a binary message.
    Binary = 0x2,
    /// 0x8: close.
    Close = 0x8,
    /// 0x9: ping.
    Ping = 0x9,
    /// 0xA: pong.
    Pong = 0xA,
}

impl Opcode {
    /// The opcode for a 4-bit value, or `None` if the value is reserved.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    /// Close, ping and pong are control frames; the rest carry data.
    pub const fn is_control(self) -> bool {
        self as u8 & 0x8 != 0
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Continuation => "continuation",
            Self::Text => "text",
            Self::Binary => "binary",
            Self::Close => "close",
            Self::Ping => "ping",
            Self::Pong => "pong",
        })
    }
}

/// The three reserved bits of a frame header, which only a negotiated
/// extension may use (permessage-deflate uses RSV1).
///
/// ```
/// use wscore::frame::Rsv;
///
/// let bits = Rsv::RSV1 | Rsv::RSV3;
/// assert!(bits.contains(Rsv::RSV1));
/// assert!(!Rsv::RSV1.contains(bits));
/// assert_eq!(bits.to_string(), "RSV1+RSV3");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rsv(u8);

impl Rsv {
    /// No bits.
    pub const NONE: Self = Self(0);
    /// RSV1.
    pub const RSV1: Self = Self(0x40);
    /// RSV2.
    pub const RSV2: Self = Self(0x20);
    /// RSV3.
    pub const RSV3: Self = Self(0x10);

    /// The bits as they sit in the first header byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit set in `other` is also set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

impl BitOr for Rsv {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl fmt::Display for Rsv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Self::RSV1, "RSV1"),
            (Self::RSV2, "RSV2"),
            (Self::RSV3, "RSV3"),
        ];
        let mut sep = "";
        for (bit, name) in names {
            if self.contains(bit) {
                write!(f, "{sep}{name}")?;
                sep = "+";
            }
        }
        if self.is_empty() {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// A decoded or to-be-encoded frame header (RFC 6455 §5.2).
///
/// ```
/// use wscore::frame::{FrameHeader, HeaderStatus, Opcode};
///
/// // A masked "Hello" from a client (RFC 6455 §5.7).
/// let bytes = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// let HeaderStatus::Complete { header, len } = FrameHeader::decode(&bytes)? else {
///     unreachable!("the header is complete")
/// };
/// assert_eq!(len, 6);
/// assert_eq!(header.opcode, Opcode::Text);
/// assert_eq!(header.payload_len, 5);
/// assert_eq!(&*header.encode()?, &bytes[..6]);
/// # Ok::<(), wscore::frame::FrameError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// Set on the last frame of a message (always set on control frames).
    pub fin: bool,
    /// Bits reserved for extensions.
    pub rsv: Rsv,
    /// What the frame is.
    pub opcode: Opcode,
    /// The masking key: present on every client frame, absent on server frames.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes, at most [`MAX_PAYLOAD_LEN`].
    pub payload_len: u64,
}

/// The result of [`FrameHeader::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderStatus {
    /// A whole header, and how many bytes of the input it took.
    Complete {
        /// The header.
        header: FrameHeader,
        /// Its encoded length, 2 to [`MAX_HEADER_LEN`] bytes.
        len: usize,
    },
    /// The input ends inside a header that will be `needed` bytes long in
    /// total, as far as the bytes seen so far tell (at least 2).
    Partial {
        /// Total header length needed to make progress.
        needed: usize,
    },
}

impl FrameHeader {
    /// A final, unmasked frame header without RSV bits.
    pub const fn new(opcode: Opcode, payload_len: u64) -> Self {
        Self {
            fin: true,
            rsv: Rsv::NONE,
            opcode,
            mask: None,
            payload_len,
        }
    }

    /// Decodes a header from the start of `buf`.
    ///
    /// Checks what holds for every frame on every connection (reserved
    /// opcodes, control frame rules, the length encoding); what depends on the
    /// endpoint (masking, RSV bits, size limits) is [`FrameRules::check`].
    #[inline]
    pub fn decode(buf: &[u8]) -> Result<HeaderStatus, FrameError> {
        let [b0, b1, rest @ ..] = buf else {
            return Ok(HeaderStatus::Partial { needed: 2 });
        };
        let opcode = Opcode::from_u8(b0 & 0x0f).ok_or(FrameError::ReservedOpcode(b0 & 0x0f))?;
        let length_bytes = match b1 & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let masked = b1 & 0x80 != 0;
        let needed = 2 + length_bytes + if masked { 4 } else { 0 };
        if buf.len() < needed {
            return Ok(HeaderStatus::Partial { needed });
        }
        let (length, rest) = rest.split_at(length_bytes);
        let payload_len = match *length {
            [a, b] => u16::from_be_bytes([a, b]).into(),
            [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
            _ => u64::from(b1 & 0x7f),
        };
        let minimal = match length_bytes {
            2 => payload_len > 125,
            8 => payload_len > 0xffff,
            _ => true,
        };
        if !minimal {
            return Err(FrameError::NonMinimalLength(payload_len));
        }
        let mask = match (masked, rest) {
            (true, [a, b, c, d, ..]) => Some([*a, *b, *c, *d]),
            _ => None,
        };
        let header = Self {
            fin: b0 & 0x80 != 0,
            rsv: Rsv(b0 & 0x70),
            opcode,
            mask,
            payload_len,
        };
        header.check_structure()?;
        Ok(HeaderStatus::Complete {
            header,
            len: needed,
        })
    }

    /// How many bytes [`encode`](Self::encode) produces.
    pub const fn encoded_len(&self) -> usize {
        let length_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        2 + length_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Encodes the header, with the payload length in its minimal form.
    ///
    /// Refuses to produce a header that a strict receiver would reject for its
    /// structure: a fragmented or oversized control frame, or a length that
    /// does not fit in 63 bits.
    #[inline]
    pub fn encode(&self) -> Result<HeaderBytes, FrameError> {
        self.check_structure()?;
        Ok(self.write())
    }

    /// Encodes a header whose structure the caller knows to be valid: a
    /// final text or binary frame, whose length (that of something in
    /// memory) always fits in 63 bits.
    #[inline]
    pub(crate) fn write(&self) -> HeaderBytes {
        debug_assert_eq!(self.check_structure(), Ok(()));
        let mut buf = [0; MAX_HEADER_LEN];
        buf[0] = u8::from(self.fin) << 7 | self.rsv.0 | self.opcode as u8;
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut len = 2;
        match self.payload_len {
            short @ 0..=125 => buf[1] = mask_bit | short as u8,
            medium @ 126..=0xffff => {
                buf[1] = mask_bit | 126;
                buf[2..4].copy_from_slice(&(medium as u16).to_be_bytes());
                len = 4;
            }
            long => {
                buf[1] = mask_bit | 127;
                buf[2..10].copy_from_slice(&long.to_be_bytes());
                len = 10;
            }
        }
        if let Some(key) = self.mask {
            buf[len..len + 4].copy_from_slice(&key);
            len += 4;
        }
        HeaderBytes {
            buf,
            len: len as u8,
        }
    }

    /// Encodes a whole frame into `out`: this header, with `payload_len` set
    /// to `payload.len()`, then the payload, masked with the header's key if
    /// it has one. Returns the frame's length. For senders without an
    /// allocator; the payload is copied once.
    ///
    /// ```
    /// use wscore::frame::{EncodeError, FrameHeader, Opcode};
    ///
    /// let mut out = [0; 16];
    /// let len = FrameHeader::new(Opcode::Text, 0).encode_into(b"Hello", &mut out)?;
    /// assert_eq!(&out[..len], b"\x81\x05Hello");
    ///
    /// let too_small = FrameHeader::new(Opcode::Text, 0).encode_into(&[0; 200], &mut out);
    /// assert_eq!(too_small, Err(EncodeError::BufferTooSmall { needed: 204, len: 16 }));
    /// # Ok::<(), EncodeError>(())
    /// ```
    pub fn encode_into(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, EncodeError> {
        let header = Self {
            payload_len: payload.len() as u64,
            ..*self
        };
        let encoded = header.encode()?;
        let needed = encoded.len() + payload.len();
        let Some(frame) = out.get_mut(..needed) else {
            return Err(EncodeError::BufferTooSmall {
                needed,
                len: out.len(),
            });
        };
        let (head, body) = frame.split_at_mut(encoded.len());
        head.copy_from_slice(&encoded);
        body.copy_from_slice(payload);
        if let Some(key) = header.mask {
            apply_mask(body, key, 0);
        }
        Ok(needed)
    }

    /// The rules that hold for a header on its own, sent or received.
    fn check_structure(&self) -> Result<(), FrameError> {
        if self.payload_len > MAX_PAYLOAD_LEN {
            return Err(FrameError::LengthTopBitSet(self.payload_len));
        }
        if self.opcode.is_control() {
            if !self.fin {
                return Err(FrameError::FragmentedControlFrame(self.opcode));
            }
            if self.payload_len > MAX_CONTROL_PAYLOAD {
                return Err(FrameError::ControlFrameTooLong {
                    opcode: self.opcode,
                    len: self.payload_len,
                });
            }
        }
        Ok(())
    }
}

/// An encoded header: up to [`MAX_HEADER_LEN`] bytes on the stack.
#[derive(Clone, Copy)]
pub struct HeaderBytes {
    buf: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl HeaderBytes {
    /// The encoded bytes followed by unused ones, [`MAX_HEADER_LEN`] in all:
    /// a copy of constant length compiles to a few moves, where the exact
    /// length would call `memcpy`.
    #[cfg(feature = "alloc")]
    pub(crate) fn padded(&self) -> &[u8; MAX_HEADER_LEN] {
        &self.buf
    }
}

impl Deref for HeaderBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        let (bytes, _) = self.buf.split_at(usize::from(self.len));
        bytes
    }
}

impl AsRef<[u8]> for HeaderBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for HeaderBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A frame that breaks RFC 6455 §5 or the receiver's limits.
///
/// Each variant names the rule broken; [`close_code`](Self::close_code) is
/// the code to close the connection with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The opcode is one of the reserved values 0x3–0x7, 0xB–0xF.
    ReservedOpcode(u8),
    /// RSV bits are set that no negotiated extension owns.
    ReservedBitsSet(Rsv),
    /// A server received a frame without a mask.
    UnmaskedClientFrame,
    /// A client received a frame with a mask.
    MaskedServerFrame,
    /// A control frame without FIN.
    FragmentedControlFrame(Opcode),
    /// A control frame with more than 125 bytes of payload.
    ControlFrameTooLong {
        /// Close, ping or pong.
        opcode: Opcode,
        /// The payload length it declared.
        len: u64,
    },
    /// The 64-bit payload length has its most significant bit set.
    LengthTopBitSet(u64),
    /// The payload length is not in its shortest encoding.
    NonMinimalLength(u64),
    /// The frame's payload exceeds the receiver's limit.
    FrameTooLarge {
        /// The payload length it declared.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A continuation frame arrived with no fragmented message in progress.
    UnexpectedContinuation,
    /// A text or binary frame arrived while a fragmented message was still in progress.
    MessageInProgress(Opcode),
}

impl FrameError {
    /// The close code to send to the peer: 1009 for a size limit, 1002 for the rest.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::FrameTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x} (RFC 6455 §5.2)"),
            Self::ReservedBitsSet(rsv) => write!(
                f,
                "{rsv} bit set without a negotiated extension that defines it (RFC 6455 §5.2)"
            ),
            Self::UnmaskedClientFrame => f.write_str("client frame is not masked (RFC 6455 §5.1)"),
            Self::MaskedServerFrame => f.write_str("server frame is masked (RFC 6455 §5.1)"),
            Self::FragmentedControlFrame(op) => write!(
                f,
                "{op} frame is fragmented; control frames must have FIN set (RFC 6455 §5.5)"
            ),
            Self::ControlFrameTooLong { opcode, len } => write!(
                f,
                "{opcode} frame carries {len} bytes; control frames carry at most 125 (RFC 6455 §5.5)"
            ),
            Self::LengthTopBitSet(len) => write!(
                f,
                "payload length {len} does not fit in 63 bits; its most significant bit must be 0 (RFC 6455 §5.2)"
            ),
            Self::NonMinimalLength(len) => write!(
                f,
                "payload length {len} is not encoded in the minimal number of bytes (RFC 6455 §5.2)"
            ),
            Self::FrameTooLarge { len, max } => write!(
                f,
                "frame payload of {len} bytes exceeds the limit of {max} bytes"
            ),
            Self::UnexpectedContinuation => {
                f.write_str("continuation frame without a message in progress (RFC 6455 §5.4)")
            }
            Self::MessageInProgress(op) => write!(
                f,
                "{op} frame starts a new message while a fragmented message is in progress (RFC 6455 §5.4)"
            ),
        }
    }
}

impl core::error::Error for FrameError {}

/// Why [`FrameHeader::encode_into`] wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The header breaks a rule every frame obeys (a fragmented or
    /// oversized control frame).
    Frame(FrameError),
    /// The output buffer is shorter than the frame.
    BufferTooSmall {
        /// The frame's length: header and payload.
        needed: usize,
        /// The buffer's length.
        len: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(error) => write!(f, "cannot encode the frame: {error}"),
            Self::BufferTooSmall { needed, len } => write!(
                f,
                "the frame needs {needed} bytes but the buffer holds {len}"
            ),
        }
    }
}

impl core::error::Error for EncodeError {}

impl From<FrameError> for EncodeError {
    fn from(error: FrameError) -> Self {
        Self::Frame(error)
    }
}
