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
mod message;
mod outgoing;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};
use core::time::Duration;

pub use config::Config;
pub use error::{ProtocolError, SendError};
pub use message::{CloseFrame, Event, Message, Utf8Bytes};

use crate::close::{encode_close_payload, parse_close_payload, CloseCode, MAX_REASON_LEN};
#[cfg(feature = "deflate")]
use crate::extensions::deflate::{
    CompressionError, Compressor, Decompressor, DeflateConfig, DeflateParams,
};
use crate::frame::{FrameHeader, FrameRules, HeaderStatus, Opcode, Sequencer};
use crate::mask::apply_mask;
use crate::random::Rng;
use crate::utf8::Utf8Validator;
use crate::Role;
use outgoing::Outgoing;

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

/// Payload is unmasked and validated in blocks of this size, small enough to
/// stay in the core's cache between the two passes.
const BLOCK: usize = 16 << 10;

/// The frame being received: its header is checked, its payload is still
/// arriving in the read buffer.
#[derive(Clone, Copy, Debug)]
struct Incoming {
    header: FrameHeader,
    header_len: usize,
    /// Payload bytes already unmasked (and, for text, validated) in place.
    ready: usize,
}

/// A fragmented or compressed message being put together.
#[derive(Debug)]
struct Assembly {
    text: bool,
    data: Vec<u8>,
}

/// An open WebSocket; see the [module docs](self).
pub struct Connection {
    role: Role,
    config: Config,
    rules: FrameRules,
    sequencer: Sequencer,
    state: State,
    incoming: Option<Incoming>,
    /// Whether the message in progress is text, in streaming mode.
    streaming_text: Option<bool>,
    assembly: Option<Assembly>,
    utf8: Utf8Validator,
    events: VecDeque<Event>,
    outgoing: Outgoing,
    last_heard: Duration,
    last_ping: Duration,
    close_deadline: Option<Duration>,
    /// A violation found behind events the application has not taken yet.
    pending_error: Option<ProtocolError>,
    /// The peer's compressed messages' inflater, once permessage-deflate is agreed.
    #[cfg(feature = "deflate")]
    inflater: Option<Decompressor>,
    /// Whether the message in progress is compressed.
    #[cfg(feature = "deflate")]
    compressed: bool,
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
        Self {
            role,
            config,
            rules: FrameRules::new(role).max_frame_size(config.max_frame_size),
            sequencer: Sequencer::new(),
            state: State::Open,
            incoming: None,
            streaming_text: None,
            assembly: None,
            utf8: Utf8Validator::new(),
            events: VecDeque::new(),
            outgoing: Outgoing::new(role, rng, config.send_frame_size),
            last_heard: now,
            last_ping: now,
            close_deadline: None,
            pending_error: None,
            #[cfg(feature = "deflate")]
            inflater: None,
            #[cfg(feature = "deflate")]
            compressed: false,
        }
    }

    /// A connection with what its handshake agreed turned on.
    #[cfg_attr(not(feature = "deflate"), allow(unused_variables))]
    pub(crate) fn agreed(
        role: Role,
        config: Config,
        now: Duration,
        rng: Box<dyn Rng + Send>,
        agreed: crate::extensions::Agreed,
    ) -> Self {
        #[allow(unused_mut)]
        let mut connection = Self::with_rng(role, config, now, rng);
        #[cfg(feature = "deflate")]
        if let Some((params, config)) = agreed.deflate {
            connection.enable_deflate(params, config);
        }
        connection
    }

    /// Turns on permessage-deflate with the parameters a handshake agreed.
    /// [`Accepted::into_connection`](crate::handshake::server::Accepted::into_connection)
    /// and [`Response::into_connection`](crate::handshake::client::Response::into_connection)
    /// do it; this is for connections whose handshake happened elsewhere.
    /// Call it before any frame is sent or received.
    #[cfg(feature = "deflate")]
    pub fn enable_deflate(&mut self, params: DeflateParams, config: DeflateConfig) {
        self.rules = self.rules.extension_rsv(crate::frame::Rsv::RSV1);
        self.inflater = Some(Decompressor::new(self.role, params));
        self.outgoing
            .enable_deflate(Compressor::new(self.role, &params, &config));
    }

    /// The permessage-deflate parameters in force, if any.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.inflater.as_ref().map(Decompressor::params)
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
            self.last_heard = now;
        }
        while self.accepts_input() && self.pending_error.is_none() {
            match self.read_frame(buf) {
                Ok(true) => {}
                Ok(false) => return,
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
            Message::Text(text) => self.outgoing.message(Opcode::Text, text.into_bytes()),
            Message::Binary(data) => self.outgoing.message(Opcode::Binary, data),
            Message::Ping(data) => self.outgoing.control(Opcode::Ping, data),
            Message::Pong(data) => self.outgoing.control(Opcode::Pong, data),
        }
    }

    /// Queues a message uncompressed even though permessage-deflate is
    /// agreed. Compression leaks through sizes what a message shares with
    /// earlier ones (the CRIME and BREACH attacks): send secrets this way
    /// when attacker-influenced data travels compressed on the same
    /// connection. The compression context is not touched.
    #[cfg(feature = "deflate")]
    pub fn send_uncompressed(&mut self, message: Message) -> Result<(), SendError> {
        let compressor = self.outgoing.take_compressor();
        let sent = self.send(message);
        if let Some(compressor) = compressor {
            self.outgoing.enable_deflate(compressor);
        }
        sent
    }

    /// Queues a text message, copying `text`: for short messages the
    /// cheapest way to send, with no [`Message`] or `Bytes` to build. Long
    /// ones are copied once, then sent as [`send`](Self::send) sends them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wscore::connection::{Config, Connection};
    /// use wscore::Role;
    ///
    /// let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    /// conn.send_text("hi")?;
    /// assert_eq!(conn.transmit_bytes(), b"\x81\x02hi");
    /// # Ok::<(), wscore::connection::SendError>(())
    /// ```
    #[inline]
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_slice(Opcode::Text, text.as_bytes())
    }

    /// Queues a binary message, copying `data`; see [`send_text`](Self::send_text).
    #[inline]
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_slice(Opcode::Binary, data)
    }

    #[inline]
    fn send_slice(&mut self, opcode: Opcode, data: &[u8]) -> Result<(), SendError> {
        if !matches!(self.state, State::Open) {
            return Err(SendError::Closed);
        }
        self.outgoing.message_slice(opcode, data)
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
        self.close_deadline = self.config.close_timeout.map(|timeout| now + timeout);
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

    /// The next bytes to write, without taking them: write what the
    /// transport accepts, then call [`advance_transmit`](Self::advance_transmit)
    /// with that count. Empty when nothing is waiting. Cheaper than
    /// [`poll_transmit`](Self::poll_transmit) for small messages: no chunk
    /// changes hands.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wscore::connection::{Config, Connection, Message};
    /// use wscore::Role;
    ///
    /// let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    /// conn.send(Message::text("hi"))?;
    /// let mut socket = Vec::new(); // any transport
    /// loop {
    ///     let pending = conn.transmit_bytes();
    ///     if pending.is_empty() {
    ///         break;
    ///     }
    ///     socket.extend_from_slice(pending); // a real write may take fewer bytes
    ///     let written = pending.len();
    ///     conn.advance_transmit(written);
    /// }
    /// assert_eq!(socket, b"\x81\x02hi");
    /// # Ok::<(), wscore::connection::SendError>(())
    /// ```
    #[inline]
    pub fn transmit_bytes(&mut self) -> &[u8] {
        self.outgoing.peek()
    }

    /// Every chunk waiting to be written, in order, without taking them: for
    /// a vectored write. Then [`advance_transmit`](Self::advance_transmit)
    /// by the number of bytes written, which may end inside a chunk.
    pub fn transmit_chunks(&mut self) -> impl Iterator<Item = &[u8]> {
        self.outgoing.chunks()
    }

    /// Marks `n` bytes from [`transmit_bytes`](Self::transmit_bytes) or
    /// [`transmit_chunks`](Self::transmit_chunks) as written.
    #[inline]
    pub fn advance_transmit(&mut self, n: usize) {
        self.outgoing.advance(n);
        self.after_transmit();
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
    pub fn buffered_amount(&self) -> usize {
        self.outgoing.queued_bytes()
    }

    /// Whether the bytes waiting to be written have reached the
    /// [high-water mark](Config::high_water_mark): stop sending until they
    /// drain.
    pub fn is_write_buffer_full(&self) -> bool {
        self.outgoing.queued_bytes() >= self.config.high_water_mark
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next, if any
    /// timer is running.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let open = self.state == State::Open;
        let keepalive = self
            .config
            .keepalive
            .filter(|_| open)
            .map(|interval| self.last_heard.max(self.last_ping) + interval);
        let idle = self
            .config
            .idle_timeout
            .filter(|_| open)
            .map(|timeout| self.last_heard + timeout);
        let close = self
            .close_deadline
            .filter(|_| matches!(self.state, State::CloseSent(_)));
        [keepalive, idle, close].into_iter().flatten().min()
    }

    /// Acts on the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        match self.state {
            State::Open => {
                if let Some(timeout) = self.config.idle_timeout {
                    if now >= self.last_heard + timeout {
                        let reason = alloc::format!(
                            "idle timeout: nothing heard for {} s",
                            timeout.as_secs_f32()
                        );
                        let _ = self.close(now, CloseCode::GOING_AWAY, &reason);
                        return;
                    }
                }
                if let Some(interval) = self.config.keepalive {
                    if now >= self.last_heard.max(self.last_ping) + interval {
                        self.last_ping = now;
                        // An empty ping always encodes; only a failing
                        // randomness source could stop it, and then the idle
                        // timeout still ends a dead connection.
                        let _ = self.outgoing.control(Opcode::Ping, Bytes::new());
                    }
                }
            }
            State::CloseSent(ref sent) => {
                if self.close_deadline.is_some_and(|deadline| now >= deadline) {
                    let reason = alloc::format!(
                        "the peer did not answer our close frame ({}) in time",
                        sent.code
                    );
                    self.end(Closed::abnormal(Initiator::Local, reason));
                }
            }
            State::CloseReceived(_) | State::Closed(_) => {}
        }
    }

    fn accepts_input(&self) -> bool {
        matches!(self.state, State::Open | State::CloseSent(_))
    }

    /// Reads one frame, or as much of it as has arrived. Returns whether it
    /// made progress that may let the next frame be read.
    fn read_frame(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        let mut incoming = match self.incoming {
            Some(incoming) => incoming,
            None => match FrameHeader::decode(buf)? {
                HeaderStatus::Partial { .. } => return Ok(false),
                HeaderStatus::Complete { header, len } => {
                    self.check_header(&header)?;
                    Incoming {
                        header,
                        header_len: len,
                        ready: 0,
                    }
                }
            },
        };
        let header = incoming.header;
        let payload_len = usize::try_from(header.payload_len).unwrap_or(usize::MAX);
        let arrived = buf
            .len()
            .saturating_sub(incoming.header_len)
            .min(payload_len);
        if arrived > incoming.ready {
            // Unmask (and validate text) as bytes arrive: invalid text is
            // refused at once, not when its frame ends. Block by block, so
            // that validation reads bytes unmasking just left in cache.
            let text = self.is_text(&header);
            let fresh = buf
                .get_mut(incoming.header_len + incoming.ready..incoming.header_len + arrived)
                .unwrap_or_default();
            let mut phase = incoming.ready;
            for block in fresh.chunks_mut(BLOCK) {
                if let Some(key) = header.mask {
                    apply_mask(block, key, phase);
                }
                if text {
                    self.utf8.feed(block)?;
                }
                phase += block.len();
            }
            incoming.ready = arrived;
        }
        let streaming = self.config.streaming && !header.opcode.is_control();
        if arrived < payload_len && !(streaming && arrived > 0) {
            // A frame larger than the buffer: room for all of it at once,
            // rather than regrowing (and copying) read by read. Only address
            // space: pages become memory as the peer's bytes arrive.
            // (A length that does not fit in memory, possible only on 32-bit
            // targets with a frame limit above 4 GiB, is left to grow.)
            let frame_len = incoming.header_len.saturating_add(payload_len);
            if frame_len > buf.capacity() && frame_len < isize::MAX as usize {
                buf.reserve(frame_len - buf.len());
            }
            self.incoming = Some(incoming);
            return Ok(false);
        }
        // One split for header and payload; dropping the header from the
        // frozen `Bytes` is a pointer bump, from `BytesMut` it is not.
        let mut payload = buf.split_to(incoming.header_len + arrived).freeze();
        payload.advance(incoming.header_len);
        if arrived < payload_len {
            // Streaming: hand out what has arrived; the rest follows, its
            // mask continuing where this piece stopped.
            incoming.header.payload_len -= arrived as u64;
            incoming.header.mask = header.mask.map(|key| {
                let mut key = key;
                key.rotate_left(arrived % 4);
                key
            });
            incoming.header_len = 0;
            incoming.ready = 0;
            self.incoming = Some(incoming);
            self.on_fragment(&header, payload, false)?;
            return Ok(true);
        }
        self.incoming = None;
        self.on_frame(header, payload)?;
        Ok(true)
    }

    /// The rules a header must pass before any of its payload is accepted.
    fn check_header(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        self.rules.check(header)?;
        self.sequencer.check(header)?;
        #[cfg(feature = "deflate")]
        {
            // The rules only let RSV1 through once permessage-deflate is agreed.
            let rsv1 = header.rsv.contains(crate::frame::Rsv::RSV1);
            match header.opcode {
                Opcode::Text | Opcode::Binary => self.compressed = rsv1,
                Opcode::Continuation if rsv1 => return Err(CompressionError::Continuation.into()),
                opcode if rsv1 => return Err(CompressionError::ControlFrame(opcode).into()),
                _ => {}
            }
        }
        // A compressed message's limit applies to it inflated, as it inflates.
        if !header.opcode.is_control() && !self.config.streaming && !self.is_compressed() {
            let assembled = self.assembly.as_ref().map_or(0, |a| a.data.len());
            let len = assembled as u64 + header.payload_len;
            if len > self.config.max_message_size as u64 {
                return Err(ProtocolError::MessageTooBig {
                    len,
                    max: self.config.max_message_size,
                });
            }
        }
        Ok(())
    }

    /// Whether the message in progress is compressed.
    fn is_compressed(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.compressed;
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// Whether a data frame's payload as received is text to validate: a
    /// compressed message is validated as it inflates.
    fn is_text(&self, header: &FrameHeader) -> bool {
        if self.is_compressed() {
            return false;
        }
        match header.opcode {
            Opcode::Text => true,
            Opcode::Continuation => {
                self.streaming_text.unwrap_or(false)
                    || self.assembly.as_ref().is_some_and(|a| a.text)
            }
            _ => false,
        }
    }

    fn on_frame(&mut self, header: FrameHeader, payload: Bytes) -> Result<(), ProtocolError> {
        match header.opcode {
            Opcode::Ping => {
                if self.config.auto_pong && self.state == State::Open {
                    self.outgoing.pong(payload.clone());
                }
                self.events.push_back(Event::Ping(payload));
            }
            Opcode::Pong => self.events.push_back(Event::Pong(payload)),
            Opcode::Close => self.on_close(&payload)?,
            _ if self.config.streaming => self.on_fragment(&header, payload, header.fin)?,
            Opcode::Text | Opcode::Binary if header.fin && !self.is_compressed() => {
                self.on_message(header.opcode == Opcode::Text, payload)?;
            }
            _ => self.assemble(&header, &payload)?,
        }
        Ok(())
    }

    /// A whole message has arrived.
    fn on_message(&mut self, text: bool, data: Bytes) -> Result<(), ProtocolError> {
        let event = if text {
            self.utf8.finish()?;
            Event::Text(Utf8Bytes::validated(data))
        } else {
            Event::Binary(data)
        };
        self.events.push_back(event);
        Ok(())
    }

    /// A frame of a fragmented or compressed message.
    fn assemble(&mut self, header: &FrameHeader, payload: &[u8]) -> Result<(), ProtocolError> {
        let mut assembly = self.assembly.take().unwrap_or(Assembly {
            text: header.opcode == Opcode::Text,
            data: Vec::new(),
        });
        if self.is_compressed() {
            self.inflate(payload, header.fin, &mut assembly.data, assembly.text)?;
        } else {
            assembly.data.extend_from_slice(payload);
        }
        if header.fin {
            self.on_message(assembly.text, Bytes::from(assembly.data))
        } else {
            self.assembly = Some(assembly);
            Ok(())
        }
    }

    /// Inflates a piece of a compressed message onto `out`, validating text
    /// as it comes; `last` when it ends the message. (Without the `deflate`
    /// feature no message is compressed, and this is never called.)
    #[cfg_attr(not(feature = "deflate"), allow(unused_variables, clippy::ptr_arg))]
    fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        text: bool,
    ) -> Result<(), ProtocolError> {
        let start = out.len();
        #[cfg(feature = "deflate")]
        if let Some(inflater) = &mut self.inflater {
            inflater.inflate(input, last, out, self.config.max_message_size)?;
        }
        if text {
            self.utf8.feed(out.get(start..).unwrap_or_default())?;
        }
        Ok(())
    }

    /// Streaming mode: hands a piece of a data frame to the application.
    fn on_fragment(
        &mut self,
        header: &FrameHeader,
        data: Bytes,
        frame_done: bool,
    ) -> Result<(), ProtocolError> {
        let text = match header.opcode {
            Opcode::Text => true,
            Opcode::Binary => false,
            _ => self.streaming_text.unwrap_or(false),
        };
        let fin = frame_done && header.fin;
        self.streaming_text = if fin { None } else { Some(text) };
        let data = if self.is_compressed() {
            let mut inflated = Vec::new();
            self.inflate(&data, fin, &mut inflated, text)?;
            if inflated.is_empty() && !fin {
                // Nothing to hand out until more arrives.
                return Ok(());
            }
            Bytes::from(inflated)
        } else {
            data
        };
        if text && fin {
            self.utf8.finish()?;
        }
        self.events.push_back(Event::Fragment { text, data, fin });
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
        self.incoming = None;
        self.assembly = None;
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
            .field("buffered_amount", &self.buffered_amount())
            .finish_non_exhaustive()
    }
}
