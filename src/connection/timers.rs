//! A connection's timers, each deadline computed in one place for both
//! `poll_timeout` and `handle_timeout`.

use bytes::Bytes;
use core::time::Duration;

use super::{Closed, Config, Connection, Initiator, State};
use crate::close::CloseCode;
use crate::frame::Opcode;

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

impl Connection {
    /// When to call [`handle_timeout`](Self::handle_timeout) next, if any
    /// timer is running.
    pub fn poll_timeout(&self) -> Option<Duration> {
        match self.state {
            State::Open => {
                let keepalive = self.timers.keepalive(&self.config);
                [keepalive, self.timers.idle(&self.config)]
                    .into_iter()
                    .flatten()
                    .min()
            }
            State::CloseSent(_) => self.timers.close(),
            State::CloseReceived(_) | State::Closed(_) => None,
        }
    }

    /// Acts on the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        let due = |deadline: Option<Duration>| deadline.is_some_and(|at| now >= at);
        match self.state {
            State::Open => {
                if due(self.timers.idle(&self.config)) {
                    let timeout = self.config.idle_timeout.unwrap_or_default();
                    let reason = alloc::format!(
                        "idle timeout: nothing heard for {} s",
                        timeout.as_secs_f32()
                    );
                    let _ = self.close(now, CloseCode::GOING_AWAY, &reason);
                } else if due(self.timers.keepalive(&self.config)) {
                    self.timers.pinged(now);
                    // An empty ping always encodes; only a failing
                    // randomness source could stop it, and then the idle
                    // timeout still ends a dead connection.
                    let _ = self.outgoing.control(Opcode::Ping, Bytes::new());
                }
            }
            State::CloseSent(ref sent) if due(self.timers.close()) => {
                let reason = alloc::format!(
                    "the peer did not answer our close frame ({}) in time",
                    sent.code
                );
                self.end(Closed::abnormal(Initiator::Local, reason));
            }
            State::CloseSent(_) | State::CloseReceived(_) | State::Closed(_) => {}
        }
    }
}
