//! The receive path: frames split off the read buffer, text validated,
//! messages put together.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};

use super::{Config, Event, ProtocolError, Utf8Bytes};
use crate::extensions::Decoder;
use crate::frame::reader::FrameReader;
use crate::frame::{FrameHeader, FrameRules, HeaderStatus, Opcode};
use crate::utf8::Utf8Validator;

/// Payload is unmasked and validated in blocks of this size, small enough to
/// stay in the core's cache between the two passes.
const BLOCK: usize = 16 << 10;

/// What reading made of the bytes so far. Messages go straight into the
/// event queue rather than through the return value (4% of a small
/// message's time).
pub(super) enum Step {
    /// Nothing more until more bytes arrive.
    Blocked,
    /// A frame (or a streaming piece) taken; any message it completed is
    /// queued.
    Progress,
    /// A control frame, for the state machine to act on.
    Control(Opcode, Bytes),
}

/// The data message whose frames are arriving.
enum InMessage {
    /// Between messages.
    None,
    /// Frames being put together: a fragmented message, or one an
    /// extension encoded.
    Assembling {
        text: bool,
        encoded: bool,
        data: Vec<u8>,
    },
    /// Streaming mode: each piece handed out as it arrives.
    Streaming { text: bool, encoded: bool },
}

impl InMessage {
    /// Whether the payload as received is text to validate: an encoded
    /// message is validated as it is decoded.
    fn raw_text(&self) -> bool {
        match *self {
            Self::Assembling { text, encoded, .. } | Self::Streaming { text, encoded } => {
                text && !encoded
            }
            Self::None => false,
        }
    }
}

/// The receiving side of a connection.
pub(super) struct Incoming {
    reader: FrameReader,
    /// The header of a frame whose payload is still arriving.
    header: FrameHeader,
    /// How many bytes at the front of the read buffer are the current
    /// frame's header: 0 once a streaming piece has been split off.
    header_len: usize,
    /// Payload bytes after the header, unmasked (and, for text, validated)
    /// in place but not yet split off.
    ready: usize,
    message: InMessage,
    utf8: Utf8Validator,
    decoder: Decoder,
}

impl Incoming {
    pub(super) fn new(rules: FrameRules, decoder: Decoder) -> Self {
        Self {
            reader: FrameReader::new(rules.extension_rsv(decoder.rsv())),
            header: FrameHeader::new(Opcode::Continuation, 0),
            header_len: 0,
            ready: 0,
            message: InMessage::None,
            utf8: Utf8Validator::new(),
            decoder,
        }
    }

    /// Drops a message in progress: nothing more will be read.
    pub(super) fn discard(&mut self) {
        self.message = InMessage::None;
    }

    /// Reads one frame, or as much of it as has arrived.
    #[inline]
    pub(super) fn read(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        events: &mut VecDeque<Event>,
    ) -> Result<Step, ProtocolError> {
        // The header is stored only when its frame is left unfinished: a
        // frame that arrives whole (most small ones) uses the one it just
        // decoded. Storing it and reading it back cost small messages 5%.
        let header = if self.reader.remaining() == 0 {
            let HeaderStatus::Complete { header, len } = FrameHeader::decode(buf)? else {
                return Ok(Step::Blocked);
            };
            self.reader.start(header)?;
            if is_whole(&header, config) {
                check_size(0, &header, config)?;
            } else {
                self.begin(&header, config)?;
            }
            self.header_len = len;
            header
        } else {
            self.header
        };
        let whole = is_whole(&header, config);
        let held = self.header_len + self.ready;
        let fresh_len = self.reader.take(buf.len().saturating_sub(held));
        if fresh_len > 0 {
            // Unmask (and validate text) as bytes arrive: invalid text is
            // refused at once, not when its frame ends. Block by block, so
            // that validation reads bytes unmasking just left in cache.
            let text = match whole {
                true => header.opcode == Opcode::Text,
                false => !header.opcode.is_control() && self.message.raw_text(),
            };
            let fresh = buf.get_mut(held..held + fresh_len).unwrap_or_default();
            for block in fresh.chunks_mut(BLOCK) {
                self.reader.unmask(block);
                if text {
                    self.utf8.feed(block)?;
                }
            }
            self.ready += fresh_len;
        }
        let done = self.reader.remaining() == 0;
        // Streaming hands out what has arrived of a data frame.
        let piece = config.streaming && !header.opcode.is_control() && self.ready > 0;
        if !(done || piece) {
            // A frame larger than the buffer: room for all of it at once,
            // rather than regrowing (and copying) read by read. Only address
            // space: pages become memory as the peer's bytes arrive.
            // (A length that does not fit in memory, possible only on 32-bit
            // targets with a frame limit above 4 GiB, is left to grow.)
            let rest = usize::try_from(self.reader.remaining()).unwrap_or(usize::MAX);
            let frame_len = (self.header_len + self.ready).saturating_add(rest);
            if frame_len > buf.capacity() && frame_len < isize::MAX as usize {
                buf.reserve(frame_len - buf.len());
            }
            self.header = header;
            return Ok(Step::Blocked);
        }
        // One split for header and payload; dropping the header from the
        // frozen `Bytes` is a pointer bump, from `BytesMut` it is not.
        let mut payload = buf.split_to(self.header_len + self.ready).freeze();
        payload.advance(self.header_len);
        self.header_len = 0;
        self.ready = 0;
        if !done {
            // Streaming: the rest of the frame follows.
            self.header = header;
        }
        match header.opcode {
            opcode if whole => self.deliver(opcode == Opcode::Text, payload, events),
            opcode if opcode.is_control() => Ok(Step::Control(opcode, payload)),
            _ => self.data(&header, payload, done, config.max_message_size, events),
        }
    }

    /// The rules a header must pass before any of its payload is accepted,
    /// and the message it starts or continues.
    fn begin(&mut self, header: &FrameHeader, config: &Config) -> Result<(), ProtocolError> {
        let encoded = Decoder::encoded(header)?;
        let text = match header.opcode {
            Opcode::Text => true,
            Opcode::Binary => false,
            // The reader's sequencing guarantees a message in progress.
            Opcode::Continuation => return self.check_assembled(header, config),
            _ => return Ok(()),
        };
        self.message = if config.streaming {
            InMessage::Streaming { text, encoded }
        } else {
            InMessage::Assembling {
                text,
                encoded,
                data: Vec::new(),
            }
        };
        self.check_assembled(header, config)
    }

    /// The message size limit for a frame of a message being assembled.
    /// An encoded message's limit applies to it decoded, as it decodes; a
    /// streamed message has none.
    fn check_assembled(&self, header: &FrameHeader, config: &Config) -> Result<(), ProtocolError> {
        match &self.message {
            InMessage::Assembling {
                encoded: false,
                data,
                ..
            } => check_size(data.len(), header, config),
            _ => Ok(()),
        }
    }

    /// A data frame, or in streaming mode a piece of one (`done` when it
    /// ends the frame).
    fn data(
        &mut self,
        header: &FrameHeader,
        payload: Bytes,
        done: bool,
        max: usize,
        events: &mut VecDeque<Event>,
    ) -> Result<Step, ProtocolError> {
        match &mut self.message {
            InMessage::Assembling {
                text,
                encoded,
                data,
            } => {
                let text = *text;
                if *encoded {
                    decode(
                        &mut self.decoder,
                        &mut self.utf8,
                        &payload,
                        header.fin,
                        data,
                        text,
                        max,
                    )?;
                } else {
                    data.extend_from_slice(&payload);
                }
                if !header.fin {
                    return Ok(Step::Progress);
                }
                let data = core::mem::take(data);
                self.message = InMessage::None;
                self.deliver(text, Bytes::from(data), events)
            }
            InMessage::Streaming { text, encoded } => {
                let (text, encoded) = (*text, *encoded);
                let fin = done && header.fin;
                if fin {
                    self.message = InMessage::None;
                }
                let data = if encoded {
                    let mut decoded = Vec::new();
                    decode(
                        &mut self.decoder,
                        &mut self.utf8,
                        &payload,
                        fin,
                        &mut decoded,
                        text,
                        max,
                    )?;
                    if decoded.is_empty() && !fin {
                        // Nothing to hand out until more arrives.
                        return Ok(Step::Progress);
                    }
                    Bytes::from(decoded)
                } else {
                    payload
                };
                if text && fin {
                    self.utf8.finish()?;
                }
                events.push_back(Event::Fragment { text, data, fin });
                Ok(Step::Progress)
            }
            // The reader's sequencing lets no data frame come without a message.
            InMessage::None => Ok(Step::Progress),
        }
    }

    /// A whole message has arrived.
    #[inline]
    fn deliver(
        &mut self,
        text: bool,
        data: Bytes,
        events: &mut VecDeque<Event>,
    ) -> Result<Step, ProtocolError> {
        events.push_back(if text {
            self.utf8.finish()?;
            Event::Text(Utf8Bytes::validated(data))
        } else {
            Event::Binary(data)
        });
        Ok(Step::Progress)
    }
}

/// Whether a frame is a whole message as it stands: final, not encoded,
/// not streamed. Most are, and skip the bookkeeping of a message in
/// progress.
#[inline]
fn is_whole(header: &FrameHeader, config: &Config) -> bool {
    header.fin
        && matches!(header.opcode, Opcode::Text | Opcode::Binary)
        && header.rsv.is_empty()
        && !config.streaming
}

/// The message size limit, checked on a frame's header: `assembled` bytes
/// so far, and this frame's.
#[inline]
fn check_size(
    assembled: usize,
    header: &FrameHeader,
    config: &Config,
) -> Result<(), ProtocolError> {
    let len = assembled as u64 + header.payload_len;
    if len > config.max_message_size as u64 {
        return Err(ProtocolError::MessageTooBig {
            len,
            max: config.max_message_size,
        });
    }
    Ok(())
}

/// Decodes a piece of an encoded message onto `out`, validating text as it
/// comes; `last` when it ends the message.
fn decode(
    decoder: &mut Decoder,
    utf8: &mut Utf8Validator,
    input: &[u8],
    last: bool,
    out: &mut Vec<u8>,
    text: bool,
    max: usize,
) -> Result<(), ProtocolError> {
    let start = out.len();
    decoder.decode(input, last, out, max)?;
    if text {
        utf8.feed(out.get(start..).unwrap_or_default())?;
    }
    Ok(())
}
