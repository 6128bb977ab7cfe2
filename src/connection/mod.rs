//! The state machine of an open WebSocket (RFC 6455 §5–§7).
//!
//! A [`Connection`] takes bytes read from the transport and gives back
//! [`Event`]s, takes messages to send and gives back bytes to write, and
//! keeps its timers as deadlines for the caller to wake it at. It never
//! reads a clock: every call that can start or check a timer takes `now`, a
//! monotonic time since any fixed origin.
//!
//! ```
//! use bytes::BytesMut;
//! use std::time::Duration;
//! use wscore::connection::{Config, Connection, Event, Message};
//! use wscore::Role;
//!
//! let now = Duration::ZERO;
//! let mut server = Connection::new(Role::Server, Config::new(), now);
//! let mut client = Connection::new(Role::Client, Config::new(), now);
//!
//! client.send(Message::text("hello"))?;
//! let mut wire = BytesMut::new();
//! while let Some(chunk) = client.poll_transmit() {
//!     wire.extend_from_slice(&chunk); // a real adapter writes to the socket
//! }
//! server.receive(now, &mut wire);
//! let Some(Event::Text(text)) = server.poll_event() else { panic!() };
//! assert_eq!(text.as_str(), "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # States
//!
//! ```text
//!            close() or idle timeout         peer's close frame
//!   Open ───────────────────────────▶ CloseSent ─────────────────▶ Closed (clean)
//!    │                                  │ close timeout or EOF ───▶ Closed (1006)
//!    │ peer's close frame
//!    ├───────────────────▶ CloseReceived ── reply handed out ──────▶ Closed (clean)
//!    │ protocol error, once earlier events are taken (close queued) ─▶ Closed (error)
//!    └ EOF ────────────────────────────────────────────────────────▶ Closed (1006)
//! ```
//!
//! - [`State::Open`]: messages flow both ways.
//! - [`State::CloseSent`]: we sent a close frame and wait for the peer's.
//!   Its messages are still delivered; nothing more can be sent.
//! - [`State::CloseReceived`]: the peer sent a close frame and our reply is
//!   queued. Anything the peer sends after its close is ignored.
//! - [`State::Closed`]: done. [`Closed`] tells who started it, the code, the
//!   reason, and whether both close frames were exchanged. A protocol error
//!   comes here without waiting for the peer's reply, its close frame
//!   queued: RFC 6455 §7.1.7 says to fail the connection, and the input
//!   after a bad frame cannot be trusted. Messages the peer sent before the
//!   bad frame are still delivered first, and may still be answered.
//!
//! # The end, as one event
//!
//! Every ending (a close handshake either side started, a protocol error,
//! end of file, the close timeout) comes out of
//! [`poll_event`](Connection::poll_event) once, as the last event:
//! [`Event::Closed`] with the close code, and [`Connection::closed`] has
//! the rest: who ended it, the reason, whether both close frames were
//! exchanged and, for a violation, the [`ProtocolError`]. It comes as soon
//! as the outcome is decided: when the peer's close frame arrives, our
//! reply is still queued.
//!
//! # Driving a connection
//!
//! After each input (`receive`, `receive_eof`, `handle_timeout`) and each
//! `send`, an adapter:
//!
//! 1. takes every event with [`poll_event`](Connection::poll_event);
//! 2. writes everything [`poll_transmit`](Connection::poll_transmit) (or
//!    [`transmit_bytes`](Connection::transmit_bytes)) hands out;
//! 3. arms a timer for [`poll_timeout`](Connection::poll_timeout).
//!
//! Once [`is_finished`](Connection::is_finished) (closed, and every byte
//! handed out), it closes the transport: the write side first, then it
//! reads and discards for a short while, so that the peer receives the
//! close frame rather than a reset (RFC 6455 §7.1.1: the server closes TCP
//! first; a socket closed with unread input sends RST).
//!
//! Every method may be called in every state: it does its job, does
//! nothing, or returns an error. None of them panics.

mod config;
mod error;
mod incoming;
mod message;
mod outgoing;
mod timers;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::{Buf, Bytes, BytesMut};
use core::time::Duration;
#[cfg(feature = "std")]
use std::io::IoSlice;

pub use config::Config;
pub use error::{ProtocolError, SendError};
pub use message::{CloseFrame, Event, Message, MessageRef, Utf8Bytes};

use crate::close::{encode_close_payload, parse_close_payload, CloseCode, MAX_REASON_LEN};
use crate::extensions::Agreed;
use crate::frame::{FrameRules, Opcode};
use crate::random::Rng;
use crate::Role;
use incoming::{Incoming, Step};
use outgoing::Outgoing;
use timers::Timers;

/// Where a connection is in its life; see the [module docs](self) for the
/// transitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent this close frame and wait for the peer's reply.
    CloseSent(CloseFrame),
    /// The peer sent a close frame; our reply is queued. How the
    /// connection ends is already decided.
    CloseReceived(Closed),
    /// The connection is over.
    Closed(Closed),
}

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    /// Who sent the first close frame (or failed the connection).
    pub initiator: Initiator,
    /// The code: the one in the first close frame, 1005 if it had none, or
    /// 1006 if the connection ended without a close handshake.
    pub code: CloseCode,
    /// The reason from the first close frame, or what went wrong.
    pub reason: String,
    /// Whether both sides exchanged close frames.
    pub clean: bool,
    /// The peer's protocol violation, if that is what ended it.
    pub error: Option<ProtocolError>,
}

impl Closed {
    /// An end without a close handshake (1006).
    fn abnormal(initiator: Initiator, reason: String) -> Self {
        Self {
            initiator,
            code: CloseCode::ABNORMAL,
            reason,
            clean: false,
            error: None,
        }
    }

    /// The peer started the close handshake with this code and reason, or
    /// with a close frame that had none (1005).
    fn by_peer(received: Option<(CloseCode, &str)>) -> Self {
        let (code, reason) = received.unwrap_or((CloseCode::NO_STATUS, ""));
        Self {
            initiator: Initiator::Peer,
            code,
            reason: String::from(reason),
            clean: true,
            error: None,
        }
    }
}

impl core::fmt::Display for Closed {
    /// One line for a log: how it ended and why.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let who = match (self.initiator, self.clean) {
            (_, false) if self.error.is_some() => "failed: the peer broke the protocol",
            (Initiator::Local, true) => "closed by us",
            (Initiator::Peer, true) => "closed by the peer",
            (_, false) => "ended without a close handshake",
        };
        write!(f, "{who}, code {}", self.code)?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

/// Which side started the end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    /// This endpoint: the application closed, a timeout expired, or the peer
    /// broke the protocol.
    Local,
    /// The peer sent a close frame, or the transport ended.
    Peer,
}

/// An open WebSocket; see the [module docs](self).
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    incoming: Incoming,
    events: VecDeque<Event>,
    outgoing: Outgoing,
    timers: Timers,
    /// A violation found behind events the application has not taken yet.
    pending_error: Option<ProtocolError>,
}

impl Connection {
    /// A connection for `role`, opened at `now`. A client masks with keys
    /// from [`ThreadRng`](crate::random::ThreadRng), a secure generator the
    /// operating system keys.
    #[cfg(feature = "std")]
    pub fn new(role: Role, config: Config, now: Duration) -> Self {
        Self::with_rng(role, config, now, Box::new(crate::random::ThreadRng))
    }

    /// A connection whose client mask keys come from `rng`.
    pub fn with_rng(role: Role, config: Config, now: Duration, rng: Box<dyn Rng + Send>) -> Self {
        let rules = FrameRules::new(role).max_frame_size(config.max_frame_size);
        let (encoder, decoder) = Agreed::default().codecs(role);
        Self {
            role,
            config,
            state: State::Open,
            incoming: Incoming::new(rules, decoder),
            events: VecDeque::new(),
            outgoing: Outgoing::new(role, rng, config.send_frame_size, encoder),
            timers: Timers::new(now),
            pending_error: None,
        }
    }

    /// A connection with what its handshake agreed turned on.
    pub(crate) fn agreed(
        role: Role,
        config: Config,
        now: Duration,
        rng: Box<dyn Rng + Send>,
        agreed: Agreed,
    ) -> Self {
        let mut connection = Self::with_rng(role, config, now, rng);
        connection.set_agreed(agreed);
        connection
    }

    /// Applies what a handshake agreed, before any frame is sent or
    /// received.
    pub(crate) fn set_agreed(&mut self, agreed: Agreed) {
        let (encoder, decoder) = agreed.codecs(self.role);
        let rules = FrameRules::new(self.role).max_frame_size(self.config.max_frame_size);
        self.incoming = Incoming::new(rules, decoder);
        self.outgoing.set_encoder(encoder);
    }

    /// The receiving half of the agreed extensions.
    pub(crate) fn decoder(&self) -> &crate::extensions::Decoder {
        self.incoming.decoder()
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether the connection is closed and everything queued has been
    /// handed out: time to close the transport.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Closed(_)) && self.outgoing.is_empty()
    }

    /// Takes bytes read from the transport. Whole frames are split off the
    /// front of `buf` without copying; an incomplete frame stays in it for
    /// the next call, with more bytes appended.
    ///
    /// On a protocol violation it reads no further. The messages that came
    /// before the violation are still delivered by
    /// [`poll_event`](Self::poll_event), and may still be answered: the
    /// connection fails (queues the close frame, moves to [`State::Closed`]
    /// and reports [`Event::Closed`] with the error) once they have been
    /// taken. Input after that is ignored.
    pub fn receive(&mut self, now: Duration, buf: &mut BytesMut) {
        if !buf.is_empty() {
            self.timers.heard(now);
        }
        while self.accepts_input() && self.pending_error.is_none() {
            let step = match self.incoming.read(buf, &self.config) {
                Ok(Step::Blocked) => return,
                Ok(Step::Progress) => Ok(()),
                Ok(Step::Deliver(event)) => {
                    self.events.push_back(event);
                    Ok(())
                }
                Ok(Step::Control(opcode, payload)) => self.on_control(opcode, payload),
                Err(error) => Err(error),
            };
            match step {
                Ok(()) => {}
                Err(error) => {
                    if self.events.is_empty() {
                        self.fail(error);
                    } else {
                        self.pending_error = Some(error);
                    }
                    break;
                }
            }
        }
        // After the peer's close frame, a violation, or once closed, input
        // is ignored.
        buf.clear();
    }

    /// The transport reached end of file. Without a completed close
    /// handshake the connection ends abnormally (1006).
    pub fn receive_eof(&mut self) {
        let initiator = match self.state {
            // A violation already read ends the connection, with its cause.
            _ if self.pending_error.is_some() => return,
            State::Open => Initiator::Peer,
            State::CloseSent(_) => Initiator::Local,
            State::CloseReceived(_) | State::Closed(_) => return,
        };
        self.outgoing.cancel_pong();
        self.end(Closed::abnormal(
            initiator,
            String::from("the peer closed the connection without a close handshake"),
        ));
    }

    /// The next event, in the order the peer caused them. The last one is
    /// [`Event::Closed`], once.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        let error = self.pending_error.take()?;
        self.fail(error);
        self.events.pop_front()
    }

    /// Queues a message. Text and binary messages longer than
    /// [`Config::send_frame_size`] go out as several frames.
    #[inline]
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        if !matches!(self.state, State::Open) {
            return Err(SendError::Closed);
        }
        match message {
            Message::Text(text) => {
                self.outgoing.check_whole()?;
                self.outgoing.message(Opcode::Text, text.into_bytes())
            }
            Message::Binary(data) => {
                self.outgoing.check_whole()?;
                self.outgoing.message(Opcode::Binary, data)
            }
            Message::Ping(data) => self.outgoing.control(Opcode::Ping, data),
            Message::Pong(data) => self.outgoing.control(Opcode::Pong, data),
            Message::Fragment { text, data, fin } => self.outgoing.fragment(text, data, fin),
        }
    }

    /// Queues a text or binary message from borrowed bytes, copying them
    /// as it frames them: for short messages the cheapest way to send, with
    /// no `Bytes` to build. Long ones are copied once, then sent as
    /// [`send`](Self::send) sends them.
    ///
    /// ```
    /// use bytes::Buf;
    /// use std::time::Duration;
    /// use wscore::connection::{Config, Connection, MessageRef};
    /// use wscore::Role;
    ///
    /// let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    /// conn.send_ref(MessageRef::Text("hi"))?;
    /// assert_eq!(conn.transmit().chunk(), b"\x81\x02hi");
    /// # Ok::<(), wscore::connection::SendError>(())
    /// ```
    #[inline]
    pub fn send_ref(&mut self, message: MessageRef<'_>) -> Result<(), SendError> {
        if !matches!(self.state, State::Open) {
            return Err(SendError::Closed);
        }
        self.outgoing.check_whole()?;
        match message {
            MessageRef::Text(text) => self.outgoing.message_slice(Opcode::Text, text.as_bytes()),
            MessageRef::Binary(data) => self.outgoing.message_slice(Opcode::Binary, data),
        }
    }

    /// Whether the messages sent from now on may be compressed, when
    /// permessage-deflate is agreed (on by default). Compression leaks
    /// through sizes what a message shares with earlier ones (the CRIME and
    /// BREACH attacks): turn it off around a secret when attacker-influenced
    /// data travels compressed on the same connection. The compression
    /// context is not touched.
    pub fn set_compression(&mut self, on: bool) {
        self.outgoing.set_compression(on);
    }

    /// Starts the close handshake with `code` and `reason`. Closing a
    /// connection that is already closing or closed does nothing.
    pub fn close(&mut self, now: Duration, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if self.state != State::Open {
            return Ok(());
        }
        self.send_close(Some((code, reason)))?;
        self.state = State::CloseSent(CloseFrame {
            code,
            reason: Utf8Bytes::from(String::from(reason)),
        });
        self.timers.closing(now, &self.config);
        Ok(())
    }

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

    /// Our reply to the peer's close is out: the end already reported
    /// becomes the state.
    fn close_handshake_done(&mut self) {
        if matches!(self.state, State::CloseReceived(_)) {
            self.state = match core::mem::replace(&mut self.state, State::Open) {
                State::CloseReceived(closed) => State::Closed(closed),
                other => other,
            };
        }
    }

    /// The connection is over: the state says so, and the last event
    /// reports it. Once only: a connection that already reported its end
    /// keeps it.
    fn end(&mut self, closed: Closed) {
        if self.closed().is_some() {
            return;
        }
        self.events.push_back(Event::Closed(closed.code));
        self.state = State::Closed(closed);
    }

    /// How the connection ended, once [`Event::Closed`] has been queued:
    /// who ended it, the code, the reason, whether the close handshake
    /// completed, and the peer's violation if that is what ended it.
    pub fn closed(&self) -> Option<&Closed> {
        match &self.state {
            State::CloseReceived(closed) | State::Closed(closed) => Some(closed),
            State::Open | State::CloseSent(_) => None,
        }
    }

    /// How many bytes are waiting to be written.
    pub fn transmit_len(&self) -> usize {
        self.outgoing.len()
    }

    /// Whether the bytes waiting to be written have reached
    /// [`Config::transmit_high_water`]: stop sending until they drain.
    pub fn is_transmit_full(&self) -> bool {
        self.outgoing.len() >= self.config.transmit_high_water
    }

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

    fn accepts_input(&self) -> bool {
        matches!(self.state, State::Open | State::CloseSent(_))
    }

    /// A control frame from the peer.
    fn on_control(&mut self, opcode: Opcode, payload: Bytes) -> Result<(), ProtocolError> {
        match opcode {
            Opcode::Ping => {
                if self.config.auto_pong && self.state == State::Open {
                    self.outgoing.pong(payload.clone());
                }
                self.events.push_back(Event::Ping(payload));
            }
            Opcode::Pong => self.events.push_back(Event::Pong(payload)),
            _ => self.on_close(&payload)?,
        }
        Ok(())
    }

    /// The peer's close frame: reply (or complete our own close) and report it.
    fn on_close(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        let received = parse_close_payload(payload)?;
        self.outgoing.cancel_pong();
        match &self.state {
            State::Open => {
                // Echo the code (RFC 6455 §5.5.1); the reason is ours to leave out.
                let reply = received.map(|(code, _)| (code, ""));
                let mut closed = Closed::by_peer(received);
                match self.send_close(reply) {
                    Ok(()) => {
                        // Reported now; closed for good once the reply is out.
                        self.events.push_back(Event::Closed(closed.code));
                        self.state = State::CloseReceived(closed);
                    }
                    // Without randomness a client cannot mask its reply: end
                    // here rather than leave the peer waiting for it.
                    Err(error) => {
                        closed.clean = false;
                        closed.reason = alloc::format!("{error}");
                        self.end(closed);
                    }
                }
            }
            State::CloseSent(sent) => {
                let closed = Closed {
                    initiator: Initiator::Local,
                    code: sent.code,
                    reason: String::from(sent.reason.as_str()),
                    clean: true,
                    error: None,
                };
                self.end(closed);
            }
            State::CloseReceived(_) | State::Closed(_) => {}
        }
        Ok(())
    }

    fn send_close(&mut self, close: Option<(CloseCode, &str)>) -> Result<(), SendError> {
        let mut payload = [0; 125];
        let len = match close {
            Some((code, reason)) => encode_close_payload(code, reason, &mut payload)?,
            None => 0,
        };
        self.outgoing.cancel_pong();
        self.outgoing.control(
            Opcode::Close,
            Bytes::copy_from_slice(payload.get(..len).unwrap_or_default()),
        )
    }

    /// Fails the connection: queue a close frame with the error's code and close.
    fn fail(&mut self, error: ProtocolError) {
        if self.closed().is_some() {
            return;
        }
        let reason = alloc::format!("{error}");
        if self.state == State::Open {
            // The reason tells the peer's developers what they broke. If even
            // this close frame cannot be sent, the transport closes anyway.
            let _ = self.send_close(Some((
                error.close_code(),
                truncate(&reason, MAX_REASON_LEN),
            )));
        }
        self.incoming.discard();
        self.end(Closed {
            initiator: Initiator::Local,
            code: error.close_code(),
            reason,
            clean: false,
            error: Some(error),
        });
    }
}

/// The longest prefix of `text` that fits in `max` bytes, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("events", &self.events.len())
            .field("transmit_len", &self.transmit_len())
            .field("extension_rsv", &self.decoder().rsv())
            .finish_non_exhaustive()
    }
}

/// The bytes a connection has waiting to be written; see
/// [`Connection::transmit`].
pub struct Transmit<'a> {
    conn: &'a mut Connection,
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
