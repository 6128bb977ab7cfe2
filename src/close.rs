//! Close status codes (RFC 6455 §7.4).

use core::fmt;

/// A close status code: one of the named constants or any other raw value.
///
/// Not every `u16` may appear on the wire: [`CloseCode::is_sendable`] tells
/// which codes an endpoint may put in a close frame and accept from its peer.
///
/// ```
/// use wscore::close::CloseCode;
///
/// assert_eq!(CloseCode::PROTOCOL_ERROR.as_u16(), 1002);
/// assert!(CloseCode::from(4000).is_sendable()); // private use
/// assert!(!CloseCode::ABNORMAL.is_sendable()); // local only, never on the wire
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present. Reported locally, never sent.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: the connection ended without a close frame. Reported locally, never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's data was inconsistent with its type (e.g. invalid UTF-8 text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a frame or message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1015: the TLS handshake failed. Reported locally, never sent.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The numeric value.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether this code may be sent in a close frame, and so accepted in one.
    ///
    /// Allowed: 1000–1003, 1007–1011 (defined by RFC 6455), 1012–1014 (registered
    /// with IANA since), 3000–3999 (registered by libraries and frameworks) and
    /// 4000–4999 (private use). Everything else is reserved or local-only.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::CloseCode;

    #[test]
    fn sendable_ranges_follow_rfc_and_iana_registry() {
        let sendable: [u16; 8] = [1000, 1001, 1002, 1003, 1007, 1011, 3000, 4999];
        for code in sendable {
            assert!(CloseCode::from(code).is_sendable(), "{code}");
        }
        let never: [u16; 10] = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535];
        for code in never {
            assert!(!CloseCode::from(code).is_sendable(), "{code}");
        }
    }
}
