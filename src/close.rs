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

/// The longest close reason: a control frame carries 125 bytes, 2 of them the code.
pub const MAX_REASON_LEN: usize = 123;

/// Reads a received close frame's payload (RFC 6455 §5.5.1): empty, or a
/// code that may be sent followed by a UTF-8 reason.
///
/// ```
/// use wscore::close::{parse_close_payload, CloseCode};
///
/// assert_eq!(parse_close_payload(b"\x03\xe8bye"), Ok(Some((CloseCode::NORMAL, "bye"))));
/// assert_eq!(parse_close_payload(b""), Ok(None));
/// assert!(parse_close_payload(b"\x03\xed").is_err()); // 1005 is never sent
/// ```
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<(CloseCode, &str)>, ClosePayloadError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ClosePayloadError::OneByte),
        [high, low, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*high, *low]));
            if !code.is_sendable() {
                return Err(ClosePayloadError::InvalidCode(code));
            }
            let reason =
                core::str::from_utf8(reason).map_err(|_| ClosePayloadError::InvalidReason)?;
            Ok(Some((code, reason)))
        }
    }
}

/// Writes a close payload into `out`; returns its length.
///
/// Refuses what a strict receiver would reject: a code that may not be
/// sent, or a reason longer than [`MAX_REASON_LEN`] bytes.
pub fn encode_close_payload(
    code: CloseCode,
    reason: &str,
    out: &mut [u8; 125],
) -> Result<usize, ClosePayloadError> {
    if !code.is_sendable() {
        return Err(ClosePayloadError::InvalidCode(code));
    }
    let len = 2 + reason.len();
    let target = out
        .get_mut(..len)
        .ok_or(ClosePayloadError::ReasonTooLong(reason.len()))?;
    let (code_bytes, reason_bytes) = target.split_at_mut(2);
    code_bytes.copy_from_slice(&code.0.to_be_bytes());
    reason_bytes.copy_from_slice(reason.as_bytes());
    Ok(len)
}

/// A close frame payload that breaks RFC 6455 §5.5.1 or §7.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClosePayloadError {
    /// A 1-byte payload: half a code.
    OneByte,
    /// A code that may not be sent (reserved, local-only or out of range).
    InvalidCode(CloseCode),
    /// A reason that is not UTF-8.
    InvalidReason,
    /// A reason longer than 123 bytes (sending only).
    ReasonTooLong(usize),
}

impl ClosePayloadError {
    /// The code to close with: 1007 for a non-UTF-8 reason, 1002 otherwise.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidReason => CloseCode::INVALID_PAYLOAD,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ClosePayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OneByte => f.write_str("close frame payload of 1 byte; a code needs 2 (RFC 6455 §5.5.1)"),
            Self::InvalidCode(code) => write!(f, "close code {code} may not be sent (RFC 6455 §7.4)"),
            Self::InvalidReason => f.write_str("close reason is not valid UTF-8 (RFC 6455 §5.5.1)"),
            Self::ReasonTooLong(len) => write!(
                f,
                "close reason of {len} bytes exceeds the {MAX_REASON_LEN} that fit in a control frame"
            ),
        }
    }
}

impl core::error::Error for ClosePayloadError {}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn close_payload_rules() {
        assert_eq!(
            parse_close_payload(b"\x03"),
            Err(ClosePayloadError::OneByte)
        );
        assert_eq!(
            parse_close_payload(b"\x03\xe9\xff"),
            Err(ClosePayloadError::InvalidReason)
        );
        assert_eq!(
            ClosePayloadError::InvalidReason.close_code(),
            CloseCode::INVALID_PAYLOAD
        );
        assert_eq!(
            parse_close_payload(&[0x0b, 0xb8]),
            Ok(Some((CloseCode::from(3000), "")))
        );
        let mut out = [0; 125];
        assert_eq!(
            encode_close_payload(CloseCode::GOING_AWAY, "bye", &mut out),
            Ok(5)
        );
        assert_eq!(&out[..5], b"\x03\xe9bye");
        let long = "x".repeat(124);
        assert_eq!(
            encode_close_payload(CloseCode::NORMAL, &long, &mut out),
            Err(ClosePayloadError::ReasonTooLong(124))
        );
        assert_eq!(
            encode_close_payload(CloseCode::ABNORMAL, "", &mut out),
            Err(ClosePayloadError::InvalidCode(CloseCode::ABNORMAL))
        );
    }
}
