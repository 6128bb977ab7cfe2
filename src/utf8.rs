//! Streaming UTF-8 validation for text messages split across frames and reads.
//!
//! Each chunk is validated at SIMD speed by simdutf8 (on x86_64 with AVX-512,
//! AVX2 or SSE4.2, whichever the CPU has). A code point cut by a
//! chunk boundary (at most 3 bytes) is carried to the next chunk, and
//! validation fails as soon as a byte sequence can no longer become valid,
//! not when the message ends: a peer streaming invalid text is stopped at
//! the first bad byte (Autobahn 6.4.*).

use core::fmt;

/// Validates a text message chunk by chunk.
///
/// ```
/// use wscore::utf8::Utf8Validator;
///
/// let text = "grüße, 世界".as_bytes();
/// let mut validator = Utf8Validator::new();
/// for chunk in text.chunks(3) {
///     validator.feed(chunk)?; // code points cut anywhere
/// }
/// validator.finish()?;
///
/// // Fails at once: 0xF5 can never start a code point.
/// assert!(Utf8Validator::new().feed(b"ok \xF5").is_err());
/// # Ok::<(), wscore::utf8::InvalidUtf8>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8Validator {
    /// The start of a code point cut off at the end of the last chunk.
    partial: [u8; 4],
    partial_len: u8,
}

/// Text that is not UTF-8, or a message that ended inside a code point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidUtf8;

impl fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text message is not valid UTF-8 (RFC 6455 §8.1)")
    }
}

impl core::error::Error for InvalidUtf8 {}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Self {
        Self {
            partial: [0; 4],
            partial_len: 0,
        }
    }

    /// Validates the next chunk of the message.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), InvalidUtf8> {
        // Short text is mostly ASCII (JSON, chat), and below 64 bytes simdutf8
        // has no SIMD path anyway: a word-wise ASCII check settles it.
        if self.partial_len == 0 && chunk.len() < 64 && chunk.is_ascii() {
            return Ok(());
        }
        self.feed_simd(chunk)
    }

    fn feed_simd(&mut self, chunk: &[u8]) -> Result<(), InvalidUtf8> {
        let rest = self.complete_partial(chunk)?;
        // The fast validator on everything up to the last code point that may
        // be cut off; the slower one, which can tell "cut off" from
        // "invalid", only on those last 1-3 bytes.
        let (body, tail) = rest.split_at(rest.len() - cut_off_len(rest));
        simdutf8::basic::from_utf8(body).map_err(|_| InvalidUtf8)?;
        if tail.is_empty() {
            return Ok(());
        }
        match simdutf8::compat::from_utf8(tail) {
            Ok(_) => Ok(()),
            // `error_len() == None`: a code point that may still be completed.
            Err(error) if error.error_len().is_none() && error.valid_up_to() == 0 => {
                // At most 3 bytes, by construction of `cut_off_len`.
                let slot = self.partial.get_mut(..tail.len()).ok_or(InvalidUtf8)?;
                slot.copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Checks that the message did not end inside a code point, and resets
    /// the validator for the next message.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.partial_len == 0;
        *self = Self::new();
        if complete {
            Ok(())
        } else {
            Err(InvalidUtf8)
        }
    }

    /// Whether the message so far ends inside a code point.
    pub const fn is_inside_code_point(&self) -> bool {
        self.partial_len > 0
    }

    /// Completes a carried code point with bytes from the front of `chunk`;
    /// returns the rest of the chunk.
    fn complete_partial<'c>(&mut self, chunk: &'c [u8]) -> Result<&'c [u8], InvalidUtf8> {
        let have = usize::from(self.partial_len);
        if have == 0 {
            return Ok(chunk);
        }
        let width: usize = match self.partial[0] {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let take = width.saturating_sub(have).min(chunk.len());
        let (head, rest) = chunk.split_at(take);
        self.partial[have..have + take].copy_from_slice(head);
        let filled = have + take;
        match simdutf8::compat::from_utf8(&self.partial[..filled]) {
            Ok(_) => {
                self.partial_len = 0;
                Ok(rest)
            }
            Err(error) if error.error_len().is_none() => {
                // Still incomplete: the whole chunk went into the code point.
                self.partial_len = filled as u8;
                Ok(rest)
            }
            Err(_) => Err(InvalidUtf8),
        }
    }
}

/// How many bytes at the end of `bytes` start a code point that the
/// bytes do not finish: the lead byte and continuations after it (0 to 3).
fn cut_off_len(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let byte = bytes[bytes.len() - back];
        let width = match byte {
            0x80..=0xbf => continue,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xff => 4,
            _ => 1,
        };
        return if width > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn validate_in_chunks(bytes: &[u8], size: usize) -> Result<(), InvalidUtf8> {
        let mut validator = Utf8Validator::new();
        for chunk in bytes.chunks(size.max(1)) {
            validator.feed(chunk)?;
        }
        validator.finish()
    }

    #[test]
    fn agrees_with_std_for_every_chunk_size() {
        let samples: [&[u8]; 10] = [
            "κόσμε".as_bytes(),
            "𝄞 music, 世界, ü".as_bytes(),
            b"",
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", // surrogate
            b"\xf4\x90\x80\x80",                                               // above U+10FFFF
            b"\xc0\xaf",                                                       // overlong
            b"abc\xe2\x82",                                                    // ends inside
            b"\xff",
            b"\xe2\x82\xac\xe2\x82\xac",
            b"\xf0\x9f\x98\x80\xf0\x9f",
        ];
        for bytes in samples {
            let expected = core::str::from_utf8(bytes).is_ok();
            for size in 1..=bytes.len().max(1) {
                assert_eq!(
                    validate_in_chunks(bytes, size).is_ok(),
                    expected,
                    "{bytes:x?} in chunks of {size}"
                );
            }
        }
    }

    /// Text long enough for every SIMD path (AVX-512 takes 64 bytes at a
    /// time), ASCII and not, with up to two bytes overwritten.
    fn long_text() -> impl Strategy<Value = Vec<u8>> {
        let char = prop_oneof![3 => proptest::char::range(' ', '~'), 1 => any::<char>()];
        let text = vec(char, 0..700).prop_map(|chars| String::from_iter(chars).into_bytes());
        let corruption = vec((any::<Index>(), any::<u8>()), 0..=2);
        (text, corruption).prop_map(|(mut bytes, corruption)| {
            for (at, byte) in corruption {
                if !bytes.is_empty() {
                    let at = at.index(bytes.len());
                    bytes[at] = byte;
                }
            }
            bytes
        })
    }

    proptest! {
        #[test]
        fn agrees_with_std_on_long_text(bytes in long_text(), size in 1usize..300) {
            let expected = core::str::from_utf8(&bytes).is_ok();
            prop_assert_eq!(validate_in_chunks(&bytes, size).is_ok(), expected);
        }

        /// A prefix of valid text is never refused, wherever it is cut:
        /// the rest of the message may still complete it.
        #[test]
        fn accepts_every_prefix_of_valid_text(text in ".{0,300}", cut in any::<Index>(), size in 1usize..100) {
            let bytes = text.as_bytes();
            let prefix = &bytes[..cut.index(bytes.len() + 1)];
            let mut validator = Utf8Validator::new();
            for chunk in prefix.chunks(size) {
                prop_assert!(validator.feed(chunk).is_ok());
            }
        }
    }

    #[test]
    fn fails_at_the_first_impossible_byte() {
        // Autobahn 6.4.1: a valid prefix, then a code point above U+10FFFF:
        // invalid as soon as its second byte arrives, before the message ends.
        let mut validator = Utf8Validator::new();
        validator.feed("κόσμε".as_bytes()).unwrap();
        validator.feed(b"\xf4").unwrap();
        assert_eq!(validator.feed(b"\x90"), Err(InvalidUtf8));
    }

    #[test]
    fn finish_resets_for_the_next_message() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xe2\x82").unwrap();
        assert!(validator.is_inside_code_point());
        assert_eq!(validator.finish(), Err(InvalidUtf8));
        validator.feed(b"ok").unwrap();
        assert_eq!(validator.finish(), Ok(()));
    }
}
