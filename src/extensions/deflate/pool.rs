//! Compression state lent between the connections of a thread.
//!
//! An endpoint that starts every message with an empty window (no context
//! takeover) needs its compressor only while it compresses one message, and
//! an inflater for such a peer only while one message arrives; between
//! messages neither holds anything worth keeping. So the connections of a
//! thread borrow them from here instead of keeping their own: a zlib-rs
//! compressor costs 134-371 KiB (its hash table alone is 128 KiB, whatever
//! the window), an inflater 46 KiB.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::cell::RefCell;
use zlib_rs::{Deflate, Inflate};

use super::codec::Settings;
use super::MAX_WINDOW_BITS;

/// At most this many of each wait per thread. A message is compressed in
/// one call, so a thread lends one compressor per setting at a time; an
/// inflater is kept for a whole message, and a task that moves to another
/// thread mid-message gives it back there: the bound keeps such strays from
/// piling up.
const MAX_IDLE: usize = 4;

// Boxed: a stream moves between a connection and the pool as the box the
// connection holds, never copied or allocated again.
std::thread_local! {
    static DEFLATE: RefCell<Vec<(Settings, Box<Deflate>)>> = const { RefCell::new(Vec::new()) };
    #[allow(clippy::vec_box)]
    static INFLATE: RefCell<Vec<Box<Inflate>>> = const { RefCell::new(Vec::new()) };
}

/// A compressor made with `settings`, reset.
pub(super) fn take_deflate(settings: Settings) -> Box<Deflate> {
    let idle = DEFLATE.with_borrow_mut(|idle| {
        let at = idle.iter().position(|(made, _)| *made == settings)?;
        Some(idle.swap_remove(at).1)
    });
    idle.unwrap_or_else(|| settings.deflate())
}

/// Gives back a compressor taken with `settings`.
pub(super) fn give_deflate(settings: Settings, mut stream: Box<Deflate>) {
    stream.reset();
    DEFLATE.with_borrow_mut(|idle| {
        if idle.len() < MAX_IDLE {
            idle.push((settings, stream));
        }
    });
}

/// An inflater with the largest window, reset.
pub(super) fn take_inflate() -> Box<Inflate> {
    INFLATE
        .with_borrow_mut(Vec::pop)
        .unwrap_or_else(|| Box::new(Inflate::new(false, MAX_WINDOW_BITS)))
}

/// Gives back an inflater.
pub(super) fn give_inflate(mut stream: Box<Inflate>) {
    stream.reset(false);
    INFLATE.with_borrow_mut(|idle| {
        if idle.len() < MAX_IDLE {
            idle.push(stream);
        }
    });
}
