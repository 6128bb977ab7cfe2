//! A connection's timers, each deadline computed in one place for both
//! `poll_timeout` and `handle_timeout`.

use core::time::Duration;

use super::Config;

/// When the peer was last heard from and our last ping went out, and the
/// deadline for the peer's answer to our close.
pub(super) struct Timers {
    last_heard: Duration,
    last_ping: Duration,
    close: Option<Duration>,
}

impl Timers {
    pub(super) fn new(now: Duration) -> Self {
        Self {
            last_heard: now,
            last_ping: now,
            close: None,
        }
    }

    /// Bytes arrived at `now`.
    pub(super) fn heard(&mut self, now: Duration) {
        self.last_heard = now;
    }

    /// A keepalive ping went out at `now`.
    pub(super) fn pinged(&mut self, now: Duration) {
        self.last_ping = now;
    }

    /// Our close frame went out at `now`.
    pub(super) fn closing(&mut self, now: Duration, config: &Config) {
        self.close = config.close_timeout.map(|timeout| now + timeout);
    }

    /// When an open connection that has heard nothing is closed.
    pub(super) fn idle(&self, config: &Config) -> Option<Duration> {
        config.idle_timeout.map(|timeout| self.last_heard + timeout)
    }

    /// When an open connection that has heard nothing sends a ping.
    pub(super) fn keepalive(&self, config: &Config) -> Option<Duration> {
        config
            .keepalive
            .map(|interval| self.last_heard.max(self.last_ping) + interval)
    }

    /// When a closing connection stops waiting for the peer's close.
    pub(super) fn close(&self) -> Option<Duration> {
        self.close
    }
}
