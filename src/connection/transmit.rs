//! The bytes waiting to be written, as a `bytes::Buf`.

use bytes::Buf;
#[cfg(feature = "std")]
use std::io::IoSlice;

use super::Connection;

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
