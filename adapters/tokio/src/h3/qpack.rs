//! QPACK (RFC 9204) as far as a WebSocket's request and response need it:
//! this side advertises a dynamic table of capacity 0
//! (SETTINGS_QPACK_MAX_TABLE_CAPACITY), so a peer may use only the static
//! table and literals, which is all [`decode`] accepts; [`encode`] writes
//! literals with literal names, without Huffman coding, which any decoder
//! takes. No encoder or decoder stream is needed either way (§4.2).

use super::huffman;

/// The static table, RFC 9204 Appendix A: name and value by index.
const STATIC: [(&str, &str); 99] = [
    (":authority", ""),
    (":path", "/"),
    ("age", "0"),
    ("content-disposition", ""),
    ("content-length", "0"),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("referer", ""),
    ("set-cookie", ""),
    (":method", "CONNECT"),
    (":method", "DELETE"),
    (":method", "GET"),
    (":method", "HEAD"),
    (":method", "OPTIONS"),
    (":method", "POST"),
    (":method", "PUT"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "103"),
    (":status", "200"),
    (":status", "304"),
    (":status", "404"),
    (":status", "503"),
    ("accept", "*/*"),
    ("accept", "application/dns-message"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-ranges", "bytes"),
    ("access-control-allow-headers", "cache-control"),
    ("access-control-allow-headers", "content-type"),
    ("access-control-allow-origin", "*"),
    ("cache-control", "max-age=0"),
    ("cache-control", "max-age=2592000"),
    ("cache-control", "max-age=604800"),
    ("cache-control", "no-cache"),
    ("cache-control", "no-store"),
    ("cache-control", "public, max-age=31536000"),
    ("content-encoding", "br"),
    ("content-encoding", "gzip"),
    ("content-type", "application/dns-message"),
    ("content-type", "application/javascript"),
    ("content-type", "application/json"),
    ("content-type", "application/x-www-form-urlencoded"),
    ("content-type", "image/gif"),
    ("content-type", "image/jpeg"),
    ("content-type", "image/png"),
    ("content-type", "text/css"),
    ("content-type", "text/html; charset=utf-8"),
    ("content-type", "text/plain"),
    ("content-type", "text/plain;charset=utf-8"),
    ("range", "bytes=0-"),
    ("strict-transport-security", "max-age=31536000"),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains",
    ),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains; preload",
    ),
    ("vary", "accept-encoding"),
    ("vary", "origin"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
    (":status", "100"),
    (":status", "204"),
    (":status", "206"),
    (":status", "302"),
    (":status", "400"),
    (":status", "403"),
    (":status", "421"),
    (":status", "425"),
    (":status", "500"),
    ("accept-language", ""),
    ("access-control-allow-credentials", "FALSE"),
    ("access-control-allow-credentials", "TRUE"),
    ("access-control-allow-headers", "*"),
    ("access-control-allow-methods", "get"),
    ("access-control-allow-methods", "get, post, options"),
    ("access-control-allow-methods", "options"),
    ("access-control-expose-headers", "content-length"),
    ("access-control-request-headers", "content-type"),
    ("access-control-request-method", "get"),
    ("access-control-request-method", "post"),
    ("alt-svc", "clear"),
    ("authorization", ""),
    (
        "content-security-policy",
        "script-src 'none'; object-src 'none'; base-uri 'none'",
    ),
    ("early-data", "1"),
    ("expect-ct", ""),
    ("forwarded", ""),
    ("if-range", ""),
    ("origin", ""),
    ("purpose", "prefetch"),
    ("server", ""),
    ("timing-allow-origin", "*"),
    ("upgrade-insecure-requests", "1"),
    ("user-agent", ""),
    ("x-forwarded-for", ""),
    ("x-frame-options", "deny"),
    ("x-frame-options", "sameorigin"),
];

/// Why a field section cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum QpackError {
    /// It ends in the middle of a field line.
    Truncated,
    /// It refers to the dynamic table, which this side allows none of.
    Dynamic,
    /// A static index past the table, bad Huffman coding, or an integer
    /// too large.
    Invalid,
}

/// Reads an integer with an `n`-bit prefix (RFC 7541 §5.1) from the
/// first byte's low bits on: its value and the bytes it took.
fn integer(input: &[u8], n: u8) -> Result<(u64, usize), QpackError> {
    let first = *input.first().ok_or(QpackError::Truncated)?;
    let max = (1u64 << n) - 1;
    let mut value = u64::from(first) & max;
    if value < max {
        return Ok((value, 1));
    }
    for (i, &byte) in input.iter().enumerate().skip(1) {
        let shift = 7 * (i as u32 - 1);
        if shift > 56 {
            return Err(QpackError::Invalid);
        }
        value += u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(QpackError::Truncated)
}

/// Appends `value` with an `n`-bit prefix, the first byte's high bits
/// being `flags`.
fn write_integer(out: &mut Vec<u8>, flags: u8, n: u8, value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut rest = value - max;
    while rest >= 0x80 {
        out.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// Reads a string literal whose length has an `n`-bit prefix, the bit
/// above it saying whether it is Huffman-coded.
fn string(input: &[u8], n: u8) -> Result<(Vec<u8>, usize), QpackError> {
    let huffman = input.first().ok_or(QpackError::Truncated)? & (1 << n) != 0;
    let (len, start) = integer(input, n)?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| start.checked_add(len))
        .ok_or(QpackError::Invalid)?;
    let raw = input.get(start..end).ok_or(QpackError::Truncated)?;
    let text = match huffman {
        true => huffman::decode(raw).ok_or(QpackError::Invalid)?,
        false => raw.to_vec(),
    };
    Ok((text, end))
}

fn static_entry(index: u64) -> Result<(&'static str, &'static str), QpackError> {
    usize::try_from(index)
        .ok()
        .and_then(|index| STATIC.get(index))
        .copied()
        .ok_or(QpackError::Invalid)
}

/// Field lines: names and values.
pub(super) type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// The field lines of an encoded field section (a HEADERS frame's payload).
pub(super) fn decode(block: &[u8]) -> Result<Fields, QpackError> {
    // The prefix: Required Insert Count, then Base (with its sign bit).
    let (required, len) = integer(block, 8)?;
    if required != 0 {
        return Err(QpackError::Dynamic);
    }
    let (_, base) = integer(block.get(len..).ok_or(QpackError::Truncated)?, 7)?;
    let mut rest = &block[len + base..];
    let mut fields = Vec::new();
    while let Some(&first) = rest.first() {
        let used = if first & 0x80 != 0 {
            // Indexed field line: 1 T index(6).
            if first & 0x40 == 0 {
                return Err(QpackError::Dynamic);
            }
            let (index, used) = integer(rest, 6)?;
            let (name, value) = static_entry(index)?;
            fields.push((name.as_bytes().to_vec(), value.as_bytes().to_vec()));
            used
        } else if first & 0x40 != 0 {
            // Literal field line with name reference: 01 N T index(4), value.
            if first & 0x10 == 0 {
                return Err(QpackError::Dynamic);
            }
            let (index, used) = integer(rest, 4)?;
            let (name, _) = static_entry(index)?;
            let (value, end) = string(&rest[used..], 7)?;
            fields.push((name.as_bytes().to_vec(), value));
            used + end
        } else if first & 0x20 != 0 {
            // Literal field line with literal name: 001 N H len(3), value.
            let (name, used) = string(rest, 3)?;
            let (value, end) = string(&rest[used..], 7)?;
            fields.push((name, value));
            used + end
        } else {
            // The post-base forms refer to the dynamic table.
            return Err(QpackError::Dynamic);
        };
        rest = &rest[used..];
    }
    Ok(fields)
}

/// An encoded field section of `fields`: literal names and values, no
/// table, no Huffman coding.
pub(super) fn encode<'a>(fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Vec<u8> {
    // Required Insert Count 0, Base 0.
    let mut out = vec![0, 0];
    for (name, value) in fields {
        write_integer(&mut out, 0x20, 3, name.len());
        out.extend_from_slice(name);
        write_integer(&mut out, 0, 7, value.len());
        out.extend_from_slice(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(fields: &Fields) -> Vec<(&str, &str)> {
        fields
            .iter()
            .map(|(n, v)| {
                (
                    std::str::from_utf8(n).unwrap(),
                    std::str::from_utf8(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn what_is_encoded_decodes() {
        let long = "x".repeat(300);
        let fields: [(&[u8], &[u8]); 3] = [
            (b":method", b"CONNECT"),
            (b":protocol", b"websocket"),
            (b"sec-websocket-extensions", long.as_bytes()),
        ];
        let decoded = decode(&encode(fields)).unwrap();
        assert_eq!(
            pairs(&decoded),
            [
                (":method", "CONNECT"),
                (":protocol", "websocket"),
                ("sec-websocket-extensions", long.as_str())
            ]
        );
    }

    #[test]
    fn static_references_and_huffman() {
        // RFC 9204 B.1: ":path /index.html" with a static name reference
        // (index 1) and a literal value.
        let block = [
            0x00, 0x00, 0x51, 0x0b, b'/', b'i', b'n', b'd', b'e', b'x', b'.', b'h', b't', b'm',
            b'l',
        ];
        assert_eq!(pairs(&decode(&block).unwrap()), [(":path", "/index.html")]);
        // Indexed static: 15 is ":method CONNECT", 25 ":status 200"; then a
        // Huffman-coded value "no-cache" (RFC 7541 C.4.2) for "cache-control".
        let block = [
            0x00, 0x00, 0xcf, 0xd9, 0x5f, 0x15, 0x86, 0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf,
        ];
        assert_eq!(
            pairs(&decode(&block).unwrap()),
            [
                (":method", "CONNECT"),
                (":status", "200"),
                ("cache-control", "no-cache")
            ]
        );
    }

    #[test]
    fn the_dynamic_table_and_bad_input_are_refused() {
        assert_eq!(decode(&[0x02, 0x00]), Err(QpackError::Dynamic));
        assert_eq!(decode(&[0x00, 0x00, 0x80]), Err(QpackError::Dynamic));
        assert_eq!(decode(&[0x00, 0x00, 0xff, 0x30]), Err(QpackError::Invalid));
        assert_eq!(
            decode(&[0x00, 0x00, 0x51, 0x0b, b'/']),
            Err(QpackError::Truncated)
        );
        assert_eq!(decode(&[0x00]), Err(QpackError::Truncated));
    }
}
