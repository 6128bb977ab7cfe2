//! Comma-separated header lists (RFC 9110 §5.6.1) and the extension grammar
//! of `Sec-WebSocket-Extensions` (RFC 6455 §9.1).

/// The items of a list-valued header across all of its lines, trimmed, with
/// empty items skipped. Commas inside quoted strings do not split. Lines that
/// are not UTF-8 hold no valid tokens and are skipped.
pub(crate) fn list_items<'a, 'b: 'a>(
    headers: &'a [httparse::Header<'b>],
    name: &'a str,
) -> impl Iterator<Item = &'b str> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .filter_map(|h| core::str::from_utf8(h.value).ok())
        .flat_map(|line| Split::new(line, b','))
}

/// Whether a list-valued header contains `token`, ignoring ASCII case.
pub(crate) fn has_token(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    list_items(headers, name).any(|item| item.eq_ignore_ascii_case(token))
}

/// Splits at `separator` outside double quotes, trimming spaces and tabs and
/// skipping empty pieces.
#[derive(Clone, Debug)]
struct Split<'b> {
    rest: &'b str,
    separator: u8,
}

impl<'b> Split<'b> {
    fn new(text: &'b str, separator: u8) -> Self {
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
#[cfg(feature = "alloc")]
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn header<'b>(name: &'b str, value: &'b str) -> httparse::Header<'b> {
        httparse::Header {
            name,
            value: value.as_bytes(),
        }
    }

    #[test]
    fn list_spans_repeated_lines_and_ignores_case_and_spaces() {
        let headers = [
            header("Connection", "keep-alive, Upgrade"),
            header("Host", "x"),
            header("connection", " ,  close ,"),
        ];
        let items: Vec<_> = list_items(&headers, "CONNECTION").collect();
        assert_eq!(items, ["keep-alive", "Upgrade", "close"]);
        assert!(has_token(&headers, "connection", "upgrade"));
        assert!(!has_token(&headers, "connection", "websocket"));
    }

    #[test]
    fn quoted_commas_do_not_split() {
        let headers = [header("Sec-WebSocket-Extensions", r#"a; p="x,y\"z", b"#)];
        let items: Vec<_> = list_items(&headers, "sec-websocket-extensions").collect();
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

    #[cfg(feature = "alloc")]
    #[test]
    fn tokens() {
        assert!(is_token("chat.v2"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a\r\nb"));
        assert!(!is_token("a,b"));
    }
}
