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
//! 2. writes everything [`transmit`](Connection::transmit) holds (a
//!    `bytes::Buf`), or takes it as owned chunks with
//!    [`poll_transmit`](Connection::poll_transmit);
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

mod closing;
mod config;
mod error;
mod incoming;
mod message;
mod outgoing;
mod prepared;
mod state;
mod timers;
mod transmit;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::{Bytes, BytesMut};
use core::time::Duration;

pub use config::Config;
pub use error::{ProtocolError, SendError};
pub use message::{CloseFrame, Event, Message, MessageRef, Utf8Bytes};
pub use prepared::Prepared;
pub use state::{Closed, Initiator, State};
pub use transmit::Transmit;

use crate::close::CloseCode;
use crate::extensions::Agreed;
use crate::frame::{FrameRules, Opcode};
use crate::random::Rng;
use crate::Role;
use incoming::{Incoming, Step};
use outgoing::Outgoing;
use timers::Timers;

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
    /// The extensions in force.
    agreed: Agreed,
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
        Self::open(role, config, now, Some(rng), Agreed::default())
    }

    /// A connection with what its handshake agreed turned on. A server
    /// never masks, so it needs no `rng`; a client without one cannot send.
    pub(crate) fn open(
        role: Role,
        config: Config,
        now: Duration,
        rng: Option<Box<dyn Rng + Send>>,
        agreed: Agreed,
    ) -> Self {
        let rules = FrameRules::new(role).max_frame_size(config.max_frame_size);
        let (encoder, decoder) = Agreed::default().codecs(role);
        let mut connection = Self {
            role,
            config,
            state: State::Open,
            incoming: Incoming::new(rules, decoder),
            events: VecDeque::new(),
            outgoing: Outgoing::new(role, rng, config.send_frame_size, encoder),
            timers: Timers::new(now),
            pending_error: None,
            agreed: Agreed::default(),
        };
        connection.set_agreed(agreed);
        connection
    }

    /// Turns on the extensions a handshake agreed. The handshakes'
    /// `into_connection` do it; this is for connections whose handshake
    /// happened elsewhere. Call it before any frame is sent or received.
    ///
    /// ```
    /// # #[cfg(feature = "deflate")] {
    /// use std::time::Duration;
    /// use wscore::connection::{Config, Connection};
    /// use wscore::extensions::deflate::{DeflateConfig, DeflateParams};
    /// use wscore::extensions::Agreed;
    /// use wscore::Role;
    ///
    /// let params = DeflateParams {
    ///     server_no_context_takeover: false,
    ///     client_no_context_takeover: false,
    ///     server_max_window_bits: 15,
    ///     client_max_window_bits: 15,
    /// };
    /// let mut conn = Connection::new(Role::Server, Config::new(), Duration::ZERO);
    /// conn.set_agreed(Agreed::with_deflate(params, DeflateConfig::new()));
    /// assert_eq!(conn.agreed().deflate(), Some(&params));
    /// # }
    /// ```
    pub fn set_agreed(&mut self, agreed: Agreed) {
        let (encoder, decoder) = agreed.codecs(self.role);
        let rules = FrameRules::new(self.role).max_frame_size(self.config.max_frame_size);
        self.incoming = Incoming::new(rules, decoder);
        self.outgoing.set_encoder(encoder);
        self.agreed = agreed;
    }

    /// The extensions in force (with the `deflate` feature,
    /// `agreed().deflate()` has the permessage-deflate parameters).
    pub fn agreed(&self) -> &Agreed {
        &self.agreed
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
            let error = match self.incoming.read(buf, &self.config, &mut self.events) {
                Ok(Step::Blocked) => return,
                Ok(Step::Progress) => continue,
                Ok(Step::Control(opcode, payload)) => match self.on_control(opcode, payload) {
                    Ok(()) => continue,
                    Err(error) => error,
                },
                Err(error) => error,
            };
            if self.events.is_empty() {
                self.fail(error);
            } else {
                self.pending_error = Some(error);
            }
            break;
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

    /// How the connection ended, once [`Event::Closed`] has been queued:
    /// who ended it, the code, the reason, whether the close handshake
    /// completed, and the peer's violation if that is what ended it.
    pub fn closed(&self) -> Option<&Closed> {
        match &self.state {
            State::CloseReceived(closed) | State::Closed(closed) => Some(closed),
            State::Open | State::CloseSent(_) => None,
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
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("events", &self.events.len())
            .field("transmit_len", &self.transmit_len())
            .field("agreed", &self.agreed)
            .finish_non_exhaustive()
    }
}
