//! What a connection accepts, how it sends, and its timers.

use core::time::Duration;

/// Limits, sending behaviour and timers of a [`Connection`](super::Connection).
///
/// ```
/// use std::time::Duration;
/// use wscore::connection::Config;
///
/// let config = Config::new()
///     .max_message_size(1 << 20)
///     .keepalive(Some(Duration::from_secs(20)))
///     .idle_timeout(Some(Duration::from_secs(60)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) max_frame_size: u64,
    pub(crate) max_message_size: usize,
    pub(crate) streaming: bool,
    pub(crate) send_frame_size: usize,
    pub(crate) transmit_high_water: usize,
    pub(crate) auto_pong: bool,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) close_timeout: Option<Duration>,
}

impl Config {
    /// The defaults:
    ///
    /// | setting | default |
    /// | --- | --- |
    /// | [`max_frame_size`](Self::max_frame_size) | 16 MiB |
    /// | [`max_message_size`](Self::max_message_size) | 64 MiB |
    /// | [`streaming`](Self::streaming) | off |
    /// | [`send_frame_size`](Self::send_frame_size) | 16 MiB |
    /// | [`transmit_high_water`](Self::transmit_high_water) | 1 MiB |
    /// | [`auto_pong`](Self::auto_pong) | on |
    /// | [`keepalive`](Self::keepalive) | off |
    /// | [`idle_timeout`](Self::idle_timeout) | off |
    /// | [`close_timeout`](Self::close_timeout) | 10 s |
    pub const fn new() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            streaming: false,
            send_frame_size: 16 << 20,
            transmit_high_water: 1 << 20,
            auto_pong: true,
            keepalive: None,
            idle_timeout: None,
            close_timeout: Some(Duration::from_secs(10)),
        }
    }

    /// The largest frame payload accepted, checked on the header before any
    /// payload is buffered (1009 when exceeded).
    pub const fn max_frame_size(mut self, bytes: u64) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// The largest message accepted, fragments added up (1009 when
    /// exceeded). Not applied in streaming mode, where nothing is assembled.
    pub const fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Streaming mode: data arrives as [`Event::Fragment`](super::Event::Fragment)s
    /// as soon as bytes do, instead of whole messages.
    pub const fn streaming(mut self, on: bool) -> Self {
        self.streaming = on;
        self
    }

    /// Outgoing messages longer than this are sent as several frames.
    pub const fn send_frame_size(mut self, bytes: usize) -> Self {
        self.send_frame_size = if bytes == 0 { 1 } else { bytes };
        self
    }

    /// How many bytes may wait to be written before
    /// [`Connection::is_transmit_full`](super::Connection::is_transmit_full)
    /// tells the application to stop sending.
    pub const fn transmit_high_water(mut self, bytes: usize) -> Self {
        self.transmit_high_water = bytes;
        self
    }

    /// Whether pings are answered automatically. Each ping is answered; if
    /// more than 32 answers wait to be written, the newest replaces the last
    /// waiting one (answering the latest is enough, RFC 6455 §5.5.3).
    pub const fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Sends a ping after this long without hearing from the peer.
    pub const fn keepalive(mut self, interval: Option<Duration>) -> Self {
        self.keepalive = interval;
        self
    }

    /// Closes with 1001 after this long without hearing from the peer.
    pub const fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How long to wait for the peer's reply to our close frame before
    /// giving up on it (closed with 1006).
    pub const fn close_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.close_timeout = timeout;
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}
