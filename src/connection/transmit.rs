//! Writing: the bytes waiting to be written, owned or seen as a
//! `bytes::Buf`, and how much is waiting.

use bytes::{Buf, Bytes};
#[cfg(feature = "std")]
use std::io::IoSlice;

use super::{Connection, State};

/// The bytes a connection has waiting to be written; see
/// [`Connection::transmit`].
pub struct Transmit<'a> {
    pub(super) conn: &'a mut Connection,
}

impl Buf for Transmit<'_> {
    #[inline]
    fn remaining(&self) -> usize {
        self.conn.outgoing.len()
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        self.conn.outgoing.front()
    }

    #[cfg(feature = "std")]
    fn chunks_vectored<'b>(&'b self, dst: &mut [IoSlice<'b>]) -> usize {
        let mut count = 0;
        for (slot, chunk) in dst.iter_mut().zip(self.conn.outgoing.chunks()) {
            *slot = IoSlice::new(chunk);
            count += 1;
        }
        count
    }

    #[inline]
    fn advance(&mut self, n: usize) {
        self.conn.outgoing.advance(n);
        self.conn.after_transmit();
    }
}

impl Connection {
    /// The next chunk of bytes to write, in order. Write every chunk, then
    /// call again; chunks may be gathered into one vectored write.
    #[inline]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        let chunk = self.outgoing.pop();
        self.after_transmit();
        chunk
    }

    /// The bytes waiting to be written, as a [`Buf`]: write from its
    /// [`chunk`](Buf::chunk) (or its `chunks_vectored`, for a vectored
    /// write), then [`advance`](Buf::advance) by what the transport took.
    /// Writers that take a `Buf` (tokio's `write_buf`) take it as it is.
    ///
    /// ```
    /// use bytes::Buf;
    /// use std::time::Duration;
    /// use wscore::connection::{Config, Connection, Message};
    /// use wscore::Role;
    ///
    /// let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    /// conn.send(Message::text("hi"))?;
    /// let mut socket = Vec::new(); // any transport
    /// let mut transmit = conn.transmit();
    /// while transmit.has_remaining() {
    ///     let pending = transmit.chunk();
    ///     socket.extend_from_slice(pending); // a real write may take fewer bytes
    ///     let written = pending.len();
    ///     transmit.advance(written);
    /// }
    /// assert_eq!(socket, b"\x81\x02hi");
    /// # Ok::<(), wscore::connection::SendError>(())
    /// ```
    #[inline]
    pub fn transmit(&mut self) -> Transmit<'_> {
        self.outgoing.encode_pongs();
        Transmit { conn: self }
    }

    /// Once our reply to the peer's close has been handed out, the close
    /// handshake is complete.
    #[inline]
    fn after_transmit(&mut self) {
        if matches!(self.state, State::CloseReceived(_)) && self.outgoing.is_empty() {
            self.close_handshake_done();
        }
    }

    /// Lets go of the buffer kept for encoding the next messages, if
    /// nothing waits to be written: call it when the connection goes idle
    /// (an adapter: when a read would wait and nothing is queued), so that
    /// an idle connection holds no such buffer. The next message sent
    /// allocates one again; at steady state, not calling it allocates
    /// nothing per message.
    pub fn release_idle_memory(&mut self) {
        self.outgoing.release_idle();
    }

    /// How many bytes are waiting to be written.
    pub fn transmit_len(&self) -> usize {
        self.outgoing.len()
    }

    /// Whether the bytes waiting to be written have reached
    /// [`Config::transmit_high_water`](super::Config::transmit_high_water):
    /// stop sending until they drain.
    pub fn is_transmit_full(&self) -> bool {
        self.outgoing.len() >= self.config.transmit_high_water
    }
}
