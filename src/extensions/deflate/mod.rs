//! permessage-deflate (RFC 7692): each message compressed with DEFLATE.
//!
//! Browsers offer it on every connection. A client offers it with
//! [`ClientRequest::deflate`](crate::handshake::client::ClientRequest::deflate),
//! a server agrees with [`Accept::deflate`](crate::handshake::server::Accept::deflate);
//! both take a [`DeflateConfig`]. The [`DeflateParams`] agreed are then
//! visible on both sides, and the connection compresses each message of at
//! least [`threshold`](DeflateConfig::threshold) bytes and inflates the
//! peer's compressed messages.
//!
//! Inflating is where a peer could make a few bytes cost gigabytes: a
//! compressed message is inflated only up to the connection's
//! [`max_message_size`](crate::connection::Config::max_message_size), and
//! fails with close code 1009 one byte beyond it, having never held more.
//!
//! ```
//! use wscore::extensions::deflate::DeflateConfig;
//! use wscore::handshake::server::{Accept, ServerHandshake};
//! use wscore::handshake::{Limits, Status};
//!
//! let request = b"GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\
//!     Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
//! let mut handshake = ServerHandshake::new(Limits::new(), core::time::Duration::ZERO);
//! let Status::Complete(request) = handshake.receive(request)? else { unreachable!() };
//! let accepted = request.accept(&Accept::new().deflate(DeflateConfig::new()))?;
//! assert_eq!(accepted.deflate().unwrap().client_max_window_bits, 15);
//! let response = std::str::from_utf8(accepted.response())?;
//! assert!(response.contains("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory
//!
//! Compression state is created with a connection's first compressed
//! message, not before: an idle connection costs no more with the extension
//! than without. After that, what a connection keeps depends on what was
//! agreed and on [`DeflateConfig::context`] (`tests/deflate_memory.rs`
//! checks each case):
//!
//! | | kept between messages |
//! | --- | --- |
//! | our side with context takeover, [`Context::Recent`]`(n)` (the default, n = 4 KiB) | the last min(n, 2^window) bytes it compressed; each message borrows a compressor from the thread, primed with them |
//! | our side with context takeover, [`Context::Compressor`] | its compressor: about 131 KiB + 4 × 2^window + 7 × 2^(mem_level+6) bytes, 371 KiB with a 32 KiB window and [`mem_level`](DeflateConfig::mem_level) 8, 161 KiB with a 4 KiB window and level 5 (zlib-rs's hash table alone is 128 KiB) |
//! | our side without (`server_no_context_takeover` for a server, which it may impose on itself; `client_no_context_takeover` for a client) | nothing: each message borrows a compressor from the thread |
//! | a peer with context takeover | an inflater, 46 KiB |
//! | a peer without | nothing: each message borrows an inflater from the thread |
//!
//! So by default a connection that compresses and inflates keeps about
//! 50 KiB for it, and one that also asks its peer for no context takeover
//! keeps 4 KiB. A thread keeps at most four idle compressors and four idle
//! inflaters to lend.
//!
//! The compressor is lent because it is large (zlib-rs's is 134 KiB or more
//! at any setting) and what the peer's inflater holds of the past is only
//! bytes. On JSON and prose of 128 B to 64 KiB (`benches/deflate.rs`),
//! priming a fresh compressor with the last 4 KiB makes 0.4-9 % more bytes
//! than a compressor kept with its whole 32 KiB window, and from 1 KiB up
//! takes 0.5-1.05× as long. Small messages pay for the lending (clearing
//! zlib-rs's 128 KiB hash table, reading the 4 KiB): an echo of 128-byte
//! messages takes 4-5× as long as with [`Context::Compressor`], the choice
//! for a connection that sends many small messages and can afford the
//! memory.

mod codec;
mod negotiation;
mod pool;

pub use super::CompressionError;
pub use super::NegotiationError;
pub(crate) use codec::{Compressor, Decompressor, Settings};
pub(crate) use negotiation::{accept_offers, check_response, offer};

/// The extension's name in `Sec-WebSocket-Extensions`.
pub const NAME: &str = "permessage-deflate";

/// The largest LZ77 window, 2^15 bytes, and what applies when none is negotiated.
pub const MAX_WINDOW_BITS: u8 = 15;

/// The smallest window a peer may ask for. zlib cannot compress raw DEFLATE
/// with 2^8 bytes, so 9 is used instead: its compressor never reaches back
/// more than 250 bytes, which a 2^8-byte window holds.
pub const MIN_WINDOW_BITS: u8 = 8;

/// What to offer (client) or accept (server), and how to compress.
///
/// The parameters carry their RFC 7692 §7 names, from the server's point of
/// view or the client's whichever the role: `server_*` limits what the server
/// compresses with, `client_*` what the client compresses with.
///
/// ```
/// use wscore::extensions::deflate::DeflateConfig;
///
/// // A server that keeps no compression state between messages, and
/// // compresses only messages of 1 KiB or more.
/// let config = DeflateConfig::new().server_no_context_takeover(true).threshold(1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateConfig {
    pub(crate) level: u8,
    pub(crate) mem_level: u8,
    pub(crate) threshold: usize,
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) server_max_window_bits: Option<u8>,
    pub(crate) client_max_window_bits: Option<u8>,
    pub(crate) context: Context,
}

/// What our side keeps between messages to compress each against the ones
/// before it, when context takeover was agreed for it (see the
/// [module docs](self#memory) for what each costs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The last `n` bytes compressed (at most the window, 2^window_bits):
    /// each message borrows a compressor from the thread and primes it with
    /// them, so back-references reach `n` bytes into earlier messages.
    Recent(usize),
    /// A compressor of its own for the connection's lifetime: references
    /// reach the whole window, the fastest for small messages, and
    /// 134-371 KiB per connection.
    Compressor,
}

/// How many bytes of earlier messages [`Context::Recent`] keeps by default.
pub const DEFAULT_RECENT: usize = 4 << 10;

impl DeflateConfig {
    /// Compression level 6, messages of 64 bytes or more compressed, context
    /// kept between messages (the last 4 KiB sent, [`Context::Recent`]),
    /// full 32 KiB windows: what browsers agree to.
    pub const fn new() -> Self {
        Self {
            level: 6,
            mem_level: 8,
            threshold: 64,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
            context: Context::Recent(DEFAULT_RECENT),
        }
    }

    /// The zlib compression level, 0 (stored, no compression) to 9
    /// (smallest, slowest); larger values mean 9.
    pub const fn level(mut self, level: u8) -> Self {
        self.level = if level > 9 { 9 } else { level };
        self
    }

    /// zlib's memory level for our compressor, 1 to 9 (8 by default; values
    /// outside are clamped). With a window of 2^w bytes and level m, a
    /// compressor holds about 131 KiB + 4 × 2^w + 7 × 2^(m+6) bytes: 371 KiB
    /// at 15/8, 273 KiB at 15/5, 161 KiB at 12/5 (our window is set with
    /// [`server_max_window_bits`](Self::server_max_window_bits) on a server,
    /// [`client_max_window_bits`](Self::client_max_window_bits) on a
    /// client). Lower levels compress a little less well; unless the context
    /// is kept in a [`Context::Compressor`] the compressor is lent per
    /// message and this matters less.
    pub const fn mem_level(mut self, level: u8) -> Self {
        self.mem_level = match level {
            0 => 1,
            10.. => 9,
            level => level,
        };
        self
    }

    /// What our side keeps between messages when context takeover was
    /// agreed for it: [`Context::Recent`]`(4 KiB)` by default.
    ///
    /// ```
    /// use wscore::extensions::deflate::{Context, DeflateConfig};
    ///
    /// // References up to 16 KiB back, 16 KiB per connection.
    /// let config = DeflateConfig::new().context(Context::Recent(16 << 10));
    /// // Many small messages, memory to spare: a compressor per connection.
    /// let fast = DeflateConfig::new().context(Context::Compressor);
    /// ```
    pub const fn context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// Messages shorter than this are sent uncompressed: for a few bytes,
    /// compressing costs more time than it saves on the wire.
    pub const fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The server starts every message with an empty window. A client asks
    /// for it (and fails the handshake if refused); a server imposes it on
    /// itself.
    pub const fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// The client starts every message with an empty window. A client
    /// offers it and does so; a server asks it of the client.
    pub const fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// The largest window the server compresses with, 2^bits bytes, bits
    /// clamped to 8..=15. A client asks for it (and fails the handshake if
    /// the server does not agree); a server imposes it on itself.
    pub const fn server_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.server_max_window_bits = clamp_bits(bits);
        self
    }

    /// The largest window the client compresses with, 2^bits bytes, bits
    /// clamped to 8..=15. A client offers it and keeps to it; a server asks
    /// it of clients that offer to be limited.
    pub const fn client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.client_max_window_bits = clamp_bits(bits);
        self
    }
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self::new()
    }
}

const fn clamp_bits(bits: Option<u8>) -> Option<u8> {
    match bits {
        Some(bits) if bits < MIN_WINDOW_BITS => Some(MIN_WINDOW_BITS),
        Some(bits) if bits > MAX_WINDOW_BITS => Some(MAX_WINDOW_BITS),
        bits => bits,
    }
}

/// What the handshake agreed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server starts every message with an empty window.
    pub server_no_context_takeover: bool,
    /// The client starts every message with an empty window.
    pub client_no_context_takeover: bool,
    /// The server's largest window, 2^n bytes, 8..=15.
    pub server_max_window_bits: u8,
    /// The client's largest window, 2^n bytes, 8..=15.
    pub client_max_window_bits: u8,
}

impl DeflateParams {
    /// Whether the endpoint in `role` resets its window after each message,
    /// and the window bits it compresses with.
    pub(crate) fn sender(&self, role: crate::Role) -> (bool, u8) {
        match role {
            crate::Role::Server => (self.server_no_context_takeover, self.server_max_window_bits),
            crate::Role::Client => (self.client_no_context_takeover, self.client_max_window_bits),
        }
    }
}

impl super::Agreed {
    /// permessage-deflate with the parameters a handshake agreed and the
    /// configuration to compress with: for a connection whose handshake
    /// happened elsewhere (see
    /// [`Connection::set_agreed`](crate::connection::Connection::set_agreed)).
    pub fn with_deflate(params: DeflateParams, config: DeflateConfig) -> Self {
        Self {
            deflate: Some((params, config)),
        }
    }

    /// The permessage-deflate parameters agreed, if any.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref().map(|(params, _)| params)
    }
}

impl crate::handshake::client::ClientRequest<'_> {
    /// Offers permessage-deflate as `config` says. If the server agrees, the
    /// connection compresses and inflates messages itself; a response that
    /// breaks RFC 7692's rules fails the handshake.
    pub fn deflate(mut self, config: DeflateConfig) -> Self {
        self.builtin.deflate = Some(config);
        self
    }
}

impl crate::handshake::client::Accepted<'_> {
    /// The permessage-deflate parameters agreed, if any.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.agreed.deflate()
    }
}

impl crate::handshake::server::Accept<'_> {
    /// Agrees to permessage-deflate if the client offers it in a form
    /// `config` can accept: the first such offer is taken, the others
    /// declined (RFC 7692 §5). The connection then compresses and inflates
    /// messages itself.
    pub fn deflate(mut self, config: DeflateConfig) -> Self {
        self.builtin.deflate = Some(config);
        self
    }
}

impl crate::handshake::server::Accepted {
    /// The permessage-deflate parameters agreed, if any.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.agreed.deflate()
    }
}
