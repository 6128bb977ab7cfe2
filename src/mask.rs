//! Payload masking (RFC 6455 §5.3).
//!
//! Masking XORs every payload byte with one byte of a 4-byte key, cycling
//! through the key. The same operation masks and unmasks, so there is one
//! function, [`apply_mask`]. It runs on every byte a server receives and every
//! byte a client sends, which makes it the hottest loop in the crate.
//!
//! Three implementations exist, all producing identical bytes:
//!
//! - a portable one working on 64-bit words, always compiled;
//! - SSE2 (16-byte lanes), part of every x86_64 CPU;
//! - AVX2 (32-byte lanes), used when the CPU has it.
//!
//! With the `std` feature, AVX2 is detected at run time on the first call and
//! the answer is cached. Without `std` the choice is made at compile time from
//! the enabled target features (`-C target-feature=+avx2`). Turning off the
//! `simd` feature leaves only the portable code. `--cfg wscore_mask_sse2`
//! (in `RUSTFLAGS`) makes a `std` build take SSE2 whatever the CPU has: the
//! path of a CPU without AVX2, to measure and test on one with it
//! (`scripts/bench-cpu-path.py sse4.2`).
//!
//! This is the only module in the crate that contains `unsafe`, besides the
//! one unchecked `&str` view of validated text in `Utf8Bytes::as_str`.
// SIMD loads and stores and the masking copy into spare capacity: the
// crate denies `unsafe` everywhere else (lib.rs), this module opts in.
#![allow(unsafe_code)]

#[cfg(feature = "alloc")]
use core::mem::MaybeUninit;

/// XORs `buf` in place with `key`, starting `phase` bytes into the key.
///
/// `phase` is the number of payload bytes already masked before `buf`, so
/// that a payload arriving in several pieces can be unmasked piece by piece:
/// only its value modulo 4 matters.
///
/// Applying the same key and phase twice restores the original bytes.
///
/// ```
/// use wscore::mask::apply_mask;
///
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut payload = *b"Hello";
/// apply_mask(&mut payload, key, 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
///
/// // The same payload unmasked in two pieces: the second continues at phase 3.
/// let (first, second) = payload.split_at_mut(3);
/// apply_mask(first, key, 0);
/// apply_mask(second, key, 3);
/// assert_eq!(&payload, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    dispatch::xor(buf, rotate(key, phase))
}

/// Appends `src` to `buf`, masked with `key` from its first byte.
///
/// One pass that reads `src` and writes `buf`: appending first and masking
/// in place would read every appended byte back, right after writing it.
/// This is how a client's short messages reach its send buffer.
///
/// ```
/// use bytes::BytesMut;
/// use wscore::mask::extend_masked;
///
/// let mut buf = BytesMut::from(&b"\x81\x85\x37\xfa\x21\x3d"[..]);
/// extend_masked(&mut buf, b"Hello", [0x37, 0xfa, 0x21, 0x3d]);
/// assert_eq!(&buf[6..], [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// ```
#[cfg(feature = "alloc")]
#[inline]
pub fn extend_masked(buf: &mut bytes::BytesMut, src: &[u8], key: [u8; 4]) {
    extend_with(buf, src, key, copy_xor)
}

/// [`extend_masked`] with the copy loop given, so that each can be tested.
#[cfg(feature = "alloc")]
#[inline(always)]
fn extend_with(
    buf: &mut bytes::BytesMut,
    src: &[u8],
    key: [u8; 4],
    copy: fn(&mut [MaybeUninit<u8>], &[u8], [u8; 4]),
) {
    buf.reserve(src.len());
    let len = buf.len();
    if let Some(spare) = buf.spare_capacity_mut().get_mut(..src.len()) {
        copy(spare, src, key);
        // SAFETY: `reserve` made room for `src.len()` more bytes, and every
        // copy loop writes each byte of the `spare` it is given.
        unsafe { buf.set_len(len + src.len()) }
    }
}

/// The key as seen from `phase` bytes into it.
#[inline(always)]
fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    // As a little-endian word, key[0] is the low byte: starting one byte
    // later in the key is a rotation right by 8 bits.
    let bits = 8 * (phase % 4) as u32;
    u32::from_le_bytes(key).rotate_right(bits).to_le_bytes()
}

/// Splits the first `N` bytes off `buf` if it has that many, leaving `buf`
/// untouched if not.
#[inline(always)]
fn split_array<'a, T, const N: usize>(
    buf: &mut &'a mut [T],
) -> Option<(&'a mut [T; N], &'a mut [T])> {
    if buf.len() < N {
        return None;
    }
    core::mem::take(buf).split_first_chunk_mut::<N>()
}

/// The key twice over, to XOR eight bytes at a time.
#[inline(always)]
fn key_word(key: [u8; 4]) -> u64 {
    // Both halves alike, so the same in either byte order.
    let half = u64::from(u32::from_ne_bytes(key));
    half << 32 | half
}

/// The portable path: eight bytes at a time in a `u64`, then what is left
/// in one `u32` and single bytes. Every step is a multiple of four bytes
/// until the last, so the key phase never changes.
///
/// Splitting off fixed-size arrays rather than iterating `chunks_exact`
/// keeps this short for the lengths it mostly sees, the few bytes the
/// vector paths leave over: no division, no loop set-up.
#[inline(always)]
fn xor_words(mut buf: &mut [u8], key: [u8; 4]) {
    let word = key_word(key);
    while let Some((bytes, rest)) = split_array::<_, 8>(&mut buf) {
        *bytes = (u64::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
        buf = rest;
    }
    if let Some((bytes, rest)) = split_array::<_, 4>(&mut buf) {
        *bytes = (u32::from_ne_bytes(*bytes) ^ u32::from_ne_bytes(key)).to_ne_bytes();
        buf = rest;
    }
    for (byte, key) in buf.iter_mut().zip(key) {
        *byte ^= key;
    }
}

/// Writes `src` XOR `key` into `dst`, which is as long, a word at a time;
/// shaped like [`xor_words`], for the same reason.
#[cfg(feature = "alloc")]
#[inline(always)]
fn copy_xor_words(mut dst: &mut [MaybeUninit<u8>], mut src: &[u8], key: [u8; 4]) {
    let word = key_word(key);
    while let (Some((bytes, src_rest)), Some((out, dst_rest))) =
        (src.split_first_chunk::<8>(), split_array::<_, 8>(&mut dst))
    {
        *out = (u64::from_ne_bytes(*bytes) ^ word)
            .to_ne_bytes()
            .map(MaybeUninit::new);
        (dst, src) = (dst_rest, src_rest);
    }
    if let (Some((bytes, src_rest)), Some((out, dst_rest))) =
        (src.split_first_chunk::<4>(), split_array::<_, 4>(&mut dst))
    {
        *out = (u32::from_ne_bytes(*bytes) ^ u32::from_ne_bytes(key))
            .to_ne_bytes()
            .map(MaybeUninit::new);
        (dst, src) = (dst_rest, src_rest);
    }
    for ((out, byte), key) in dst.iter_mut().zip(src).zip(key) {
        out.write(byte ^ key);
    }
}

/// Writes `src` XOR `key` into `dst`, which is as long.
#[cfg(all(feature = "alloc", not(all(feature = "simd", target_arch = "x86_64"))))]
use copy_xor_words as copy_xor;

/// Writes `src` XOR `key` into `dst`, which is as long, in SSE2 lanes.
/// Unaligned loads and stores throughout: the copy is what costs, and SSE2,
/// part of every x86_64 CPU, needs no run-time check or call.
#[cfg(all(feature = "alloc", feature = "simd", target_arch = "x86_64"))]
#[inline(always)]
fn copy_xor(mut dst: &mut [MaybeUninit<u8>], mut src: &[u8], key: [u8; 4]) {
    use core::arch::x86_64::*;
    const LANE: usize = core::mem::size_of::<__m128i>();
    // SAFETY: SSE2 is part of the x86_64 baseline.
    let splat = unsafe { _mm_set1_epi32(i32::from_ne_bytes(key)) };
    while let (Some((bytes, src_rest)), Some((out, dst_rest))) = (
        src.split_first_chunk::<LANE>(),
        split_array::<_, LANE>(&mut dst),
    ) {
        // SAFETY: `bytes` and `out` are one lane long each, `out` exclusively
        // borrowed; unaligned loads and stores need no alignment, and any
        // bits may be stored into `MaybeUninit` bytes.
        unsafe {
            let lane = _mm_loadu_si128(bytes.as_ptr().cast());
            _mm_storeu_si128(out.as_mut_ptr().cast(), _mm_xor_si128(lane, splat));
        }
        (dst, src) = (dst_rest, src_rest);
    }
    // Lanes are multiples of 4 bytes: the rest starts at the same phase.
    copy_xor_words(dst, src, key);
}

/// Defines a function that XORs with one vector type.
///
/// Short buffers go to [`xor_short`]. Long ones first XOR the bytes up to an
/// aligned address, then whole aligned lanes, which keeps every store inside
/// one cache line and lets the loop unroll.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
macro_rules! lane_xor {
    ($(#[$attr:meta])* $name:ident, $lane:ty, $splat:ident, $xor:ident) => {
        $(#[$attr])*
        fn $name(buf: &mut [u8], key: [u8; 4]) {
            use core::arch::x86_64::*;
            if buf.len() < ALIGNED_FROM {
                return xor_short(buf, key);
            }
            // SAFETY: the lane type is plain integer data with no invalid
            // bit patterns, so viewing aligned bytes as lanes is sound.
            let (head, lanes, tail) = unsafe { buf.align_to_mut::<$lane>() };
            let key = xor_unaligned_head(head, key);
            let splat = $splat(i32::from_ne_bytes(key));
            for lane in lanes {
                *lane = $xor(*lane, splat);
            }
            // Shorter than a lane; it starts at the same phase as `lanes`.
            xor_words(tail, key);
        }
    };
}

/// XORs a short buffer in SSE2 lanes with unaligned loads and stores, then
/// words: a payload rarely starts aligned (it follows a 2-14 byte header),
/// and a byte-wise prologue would cost more than the whole payload. Inline,
/// as SSE2 is part of every x86_64 CPU: for the short messages that are
/// most messages, a call would cost as much as the masking.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
#[inline(always)]
fn xor_short(mut buf: &mut [u8], key: [u8; 4]) {
    use core::arch::x86_64::*;
    const LANE: usize = core::mem::size_of::<__m128i>();
    // SAFETY: SSE2 is part of the x86_64 baseline.
    let splat = unsafe { _mm_set1_epi32(i32::from_ne_bytes(key)) };
    while let Some((lane, rest)) = split_array::<_, LANE>(&mut buf) {
        let ptr = lane.as_mut_ptr().cast::<__m128i>();
        // SAFETY: `lane` is exactly one vector long and exclusively
        // borrowed; unaligned loads and stores need no alignment.
        unsafe { _mm_storeu_si128(ptr, _mm_xor_si128(_mm_loadu_si128(ptr), splat)) }
        buf = rest;
    }
    // Lanes are multiples of 4 bytes: the rest starts at the same phase.
    xor_words(buf, key)
}

/// Buffers at least this long are worth aligning before the vector loop.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
const ALIGNED_FROM: usize = 256;

/// XORs the bytes before the first aligned lane; returns the key from there on.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
#[inline(always)]
fn xor_unaligned_head(head: &mut [u8], key: [u8; 4]) -> [u8; 4] {
    xor_words(head, key);
    rotate(key, head.len())
}

#[cfg(all(feature = "simd", target_arch = "x86_64"))]
lane_xor!(
    /// SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
    #[target_feature(enable = "sse2")]
    xor_sse2, __m128i, _mm_set1_epi32, _mm_xor_si128
);

#[cfg(all(
    feature = "simd",
    target_arch = "x86_64",
    any(feature = "std", target_feature = "avx2")
))]
lane_xor!(
    /// Callers must ensure the CPU supports AVX2.
    #[target_feature(enable = "avx2")]
    xor_avx2, __m256i, _mm256_set1_epi32, _mm256_xor_si256
);

/// Picks the implementation once per process (with `std`) or once per build.
mod dispatch {
    /// Short payloads (chat messages, pings) are the common case: they take
    /// SSE2, which every x86_64 CPU has, inline and without looking up the
    /// CPU's level.
    #[cfg(all(feature = "simd", feature = "std", target_arch = "x86_64"))]
    const SHORT: usize = 128;

    #[cfg(all(feature = "simd", feature = "std", target_arch = "x86_64"))]
    #[inline(always)]
    pub(super) fn xor(buf: &mut [u8], key: [u8; 4]) {
        if buf.len() < SHORT {
            super::xor_short(buf, key)
        } else {
            xor_long(buf, key)
        }
    }

    #[cfg(all(feature = "simd", feature = "std", target_arch = "x86_64"))]
    fn xor_long(buf: &mut [u8], key: [u8; 4]) {
        use core::sync::atomic::{AtomicU8, Ordering};

        const UNKNOWN: u8 = 0;
        const SSE2: u8 = 1;
        const AVX2: u8 = 2;
        // A race on first use only makes two threads detect the same answer.
        static LEVEL: AtomicU8 = AtomicU8::new(UNKNOWN);

        let mut level = LEVEL.load(Ordering::Relaxed);
        if level == UNKNOWN {
            level = if !cfg!(wscore_mask_sse2) && std::is_x86_feature_detected!("avx2") {
                AVX2
            } else {
                SSE2
            };
            LEVEL.store(level, Ordering::Relaxed);
        }
        if level == AVX2 {
            // SAFETY: `level` is AVX2 only if the CPU reported AVX2 support.
            unsafe { super::xor_avx2(buf, key) }
        } else {
            // SAFETY: SSE2 is part of the x86_64 baseline.
            unsafe { super::xor_sse2(buf, key) }
        }
    }

    #[cfg(all(
        feature = "simd",
        not(feature = "std"),
        target_arch = "x86_64",
        target_feature = "avx2"
    ))]
    pub(super) fn xor(buf: &mut [u8], key: [u8; 4]) {
        // SAFETY: this build targets only CPUs with AVX2 (`target_feature = "avx2"`).
        unsafe { super::xor_avx2(buf, key) }
    }

    #[cfg(all(
        feature = "simd",
        not(feature = "std"),
        target_arch = "x86_64",
        not(target_feature = "avx2")
    ))]
    pub(super) fn xor(buf: &mut [u8], key: [u8; 4]) {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { super::xor_sse2(buf, key) }
    }

    #[cfg(not(all(feature = "simd", target_arch = "x86_64")))]
    pub(super) use super::xor_words as xor;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn reference(buf: &mut [u8], key: [u8; 4], phase: usize) {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte ^= key[(phase + i) % 4];
        }
    }

    /// Every implementation against the bytewise reference, at every length
    /// 0..=257, every phase and every start offset 0..=63 into a buffer.
    fn check_all(xor: impl Fn(&mut [u8], [u8; 4], usize)) {
        let key = [0x8d, 0x13, 0xf0, 0x5a];
        let original: Vec<u8> = (0..257 + 64).map(|i| (i * 7 + 3) as u8).collect();
        for offset in 0..=63 {
            for len in 0..=257 {
                for phase in 0..4 {
                    let mut expected = original.clone();
                    reference(&mut expected[offset..offset + len], key, phase);
                    let mut actual = original.clone();
                    xor(&mut actual[offset..offset + len], key, phase);
                    assert_eq!(actual, expected, "offset {offset} len {len} phase {phase}");
                }
            }
        }
    }

    #[test]
    fn public_entry_point_matches_reference() {
        check_all(apply_mask);
    }

    #[test]
    fn portable_path_matches_reference() {
        check_all(|buf, key, phase| xor_words(buf, rotate(key, phase)));
    }

    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    #[test]
    fn sse2_path_matches_reference() {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        check_all(|buf, key, phase| unsafe { xor_sse2(buf, rotate(key, phase)) });
    }

    #[cfg(all(
        feature = "simd",
        target_arch = "x86_64",
        any(feature = "std", target_feature = "avx2")
    ))]
    #[test]
    fn avx2_path_matches_reference() {
        if !std::is_x86_feature_detected!("avx2") {
            return;
        }
        // SAFETY: AVX2 support was just checked.
        check_all(|buf, key, phase| unsafe { xor_avx2(buf, rotate(key, phase)) });
    }

    /// A masking copy against the bytewise reference, at every length
    /// 0..=257, every source offset 0..=63 and every destination offset
    /// 0..=31 (both sides of each lane boundary), after bytes already there.
    #[cfg(feature = "alloc")]
    fn check_copy(extend: impl Fn(&mut bytes::BytesMut, &[u8], [u8; 4])) {
        let key = [0x8d, 0x13, 0xf0, 0x5a];
        let source: Vec<u8> = (0..257 + 64).map(|i| (i * 7 + 3) as u8).collect();
        let mut buf = bytes::BytesMut::new();
        for offset in 0..=63 {
            for before in 0..=31 {
                for len in 0..=257 {
                    let src = &source[offset..offset + len];
                    buf.clear();
                    buf.extend_from_slice(&source[..before]);
                    extend(&mut buf, src, key);
                    let mut expected = source[..before].to_vec();
                    expected.extend_from_slice(src);
                    reference(&mut expected[before..], key, 0);
                    assert_eq!(buf, expected, "offset {offset} before {before} len {len}");
                }
            }
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn extend_masked_matches_reference() {
        check_copy(extend_masked);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn portable_masking_copy_matches_reference() {
        check_copy(|buf, src, key| extend_with(buf, src, key, copy_xor_words));
    }

    #[test]
    fn large_phase_values_wrap() {
        let key = [1, 2, 3, 4];
        let mut a = [0u8; 100];
        let mut b = [0u8; 100];
        apply_mask(&mut a, key, 4 * 1_000_001 + 3);
        apply_mask(&mut b, key, 3);
        assert_eq!(a, b);
    }
}
