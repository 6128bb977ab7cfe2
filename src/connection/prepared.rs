//! A message sent to many connections, encoded once.

use bytes::{Bytes, BytesMut};

use super::{Connection, SendError, State, Utf8Bytes};
use crate::extensions::SharedEncoding;
use crate::frame::{FrameHeader, Opcode};

/// A text or binary message to send on many connections: a chat room, a
/// feed, a broadcast. The payload is shared, never copied per connection
/// (above a few hundred bytes), and where permessage-deflate runs without
/// context takeover at the same level and window on every connection
/// (`server_no_context_takeover`, as a server may impose on itself), it is
/// compressed once, by the first connection that sends it, and the others
/// queue the same bytes.
///
/// A connection that compresses with context takeover compresses it again:
/// its output depends on the messages it sent before. A client masks every
/// frame with its own key, so a client's bytes are always its own; the
/// payload is still shared until it is masked.
///
/// Share it between tasks in an `Arc`: it is `Send + Sync`.
///
/// ```
/// use bytes::Buf;
/// use std::time::Duration;
/// use wscore::connection::{Config, Connection, Prepared};
/// use wscore::Role;
///
/// let news = Prepared::text("the same to everyone");
/// let mut readers: Vec<_> = (0..3)
///     .map(|_| Connection::new(Role::Server, Config::new(), Duration::ZERO))
///     .collect();
/// for reader in &mut readers {
///     reader.send_prepared(&news)?;
///     assert_eq!(&reader.transmit().chunk()[2..], b"the same to everyone");
/// }
/// # Ok::<(), wscore::connection::SendError>(())
/// ```
#[derive(Debug)]
pub struct Prepared {
    opcode: Opcode,
    /// The message as a server sends it uncompressed in one frame: header
    /// and payload, queued as they are.
    frame: Bytes,
    header_len: usize,
    shared: SharedEncoding,
}

impl Prepared {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::new(Opcode::Text, text.into().into_bytes())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::new(Opcode::Binary, data.into())
    }

    fn new(opcode: Opcode, payload: Bytes) -> Self {
        // A final text or binary frame of a length in memory: valid as it is.
        let header = FrameHeader::new(opcode, payload.len() as u64).write();
        let mut frame = BytesMut::with_capacity(header.len() + payload.len());
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&payload);
        Self {
            opcode,
            frame: frame.freeze(),
            header_len: header.len(),
            shared: SharedEncoding::default(),
        }
    }

    /// The message's length, before any compression.
    pub fn len(&self) -> usize {
        self.frame.len() - self.header_len
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Connection {
    /// Queues a prepared message: see [`Prepared`]. Like
    /// [`send`](Self::send), one frame, or several above
    /// [`Config::send_frame_size`](super::Config::send_frame_size).
    pub fn send_prepared(&mut self, prepared: &Prepared) -> Result<(), SendError> {
        if !matches!(self.state, State::Open) {
            return Err(SendError::Closed);
        }
        let payload = prepared.frame.slice(prepared.header_len..);
        self.outgoing
            .prepared(prepared.opcode, payload, &prepared.frame, &prepared.shared)
    }
}
