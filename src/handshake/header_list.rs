//! Splitting list-valued headers (RFC 9110 §5.6.1), the extension grammar of
//! `Sec-WebSocket-Extensions` (RFC 6455 §9.1), and tokens.

/// Splits at `separator` outside double quotes, trimming spaces and tabs and
/// skipping empty pieces.
#[derive(Clone, Debug)]
pub(crate) struct Split<'b> {
    rest: &'b str,
    separator: u8,
}

impl<'b> Split<'b> {
    pub(crate) fn new(text: &'b str, separator: u8) -> Self {
        Self {
            rest: text,
            separator,
        }
    }
}

impl<'b> Iterator for Split<'b> {
    type Item = &'b str;

    fn next(&mut self) -> Option<&'b str> {
        while !self.rest.is_empty() {
            let mut quoted = false;
            let mut escaped = false;
            let end = self
                .rest
                .bytes()
                .position(|byte| {
                    match (escaped, quoted, byte) {
                        (true, ..) => escaped = false,
                        (false, true, b'\\') => escaped = true,
                        (false, _, b'"') => quoted = !quoted,
                        (false, false, b) if b == self.separator => return true,
                        _ => {}
                    }
                    false
                })
                .unwrap_or(self.rest.len());
            let (item, rest) = self.rest.split_at(end);
            // Skip the separator itself, a single ASCII byte.
            self.rest = rest.get(1..).unwrap_or("");
            let item = item.trim_matches([' ', '\t']);
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

/// One extension in a `Sec-WebSocket-Extensions` header: a name and its
/// parameters, e.g. `permessage-deflate; client_max_window_bits`.
///
/// ```
/// use wscore::handshake::Extension;
///
/// let offer = Extension::parse("permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\"");
/// assert_eq!(offer.name(), "permessage-deflate");
/// let params: Vec<_> = offer.params().collect();
/// assert_eq!(params, [("client_max_window_bits", None), ("server_max_window_bits", Some("10"))]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extension<'b> {
    name: &'b str,
    params: &'b str,
}

impl<'b> Extension<'b> {
    /// Reads one list item of the header.
    pub fn parse(item: &'b str) -> Self {
        let (name, params) = item.split_once(';').unwrap_or((item, ""));
        Self {
            name: name.trim_matches([' ', '\t']),
            params,
        }
    }

    /// The extension's name, e.g. `permessage-deflate`.
    pub fn name(&self) -> &'b str {
        self.name
    }

    /// The parameters in order, each a name and an optional value, with the
    /// quotes around a quoted value removed.
    pub fn params(&self) -> Params<'b> {
        Params(Split::new(self.params, b';'))
    }
}

/// The parameters of an [`Extension`].
#[derive(Clone, Debug)]
pub struct Params<'b>(Split<'b>);

impl<'b> Iterator for Params<'b> {
    type Item = (&'b str, Option<&'b str>);

    fn next(&mut self) -> Option<Self::Item> {
        let param = self.0.next()?;
        Some(match param.split_once('=') {
            None => (param, None),
            Some((name, value)) => {
                let value = value.trim_matches([' ', '\t']);
                let unquoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(value);
                (name.trim_matches([' ', '\t']), Some(unquoted))
            }
        })
    }
}

/// Whether `text` is an HTTP token (RFC 9110 §5.6.2): what header names,
/// subprotocols and extension names must be.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

/// Whether `b` may appear in an HTTP token (RFC 9110 §5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn split_trims_skips_empty_items_and_respects_quotes() {
        let items: Vec<_> = Split::new(" ,  close ,keep-alive, Upgrade", b',').collect();
        assert_eq!(items, ["close", "keep-alive", "Upgrade"]);
        let items: Vec<_> = Split::new(r#"a; p="x,y\"z", b"#, b',').collect();
        assert_eq!(items, [r#"a; p="x,y\"z""#, "b"]);
    }

    #[test]
    fn extension_params_parse() {
        let ext =
            Extension::parse(" x-webkit-deflate-frame ;no_context_takeover ; max = \"15\" ;; ");
        assert_eq!(ext.name(), "x-webkit-deflate-frame");
        let params: Vec<_> = ext.params().collect();
        assert_eq!(params, [("no_context_takeover", None), ("max", Some("15"))]);
        assert_eq!(Extension::parse("bare").params().count(), 0);
    }

    #[test]
    fn tokens() {
        assert!(is_token("chat.v2"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a\r\nb"));
        assert!(!is_token("a,b"));
    }
}
