//! Where randomness comes from: client mask keys (RFC 6455 §5.3 requires
//! them unpredictable) and `Sec-WebSocket-Key` nonces.
//!
//! wscore never reaches for randomness on its own: callers pass a [`Rng`].
//! With `std`, [`OsRng`] reads the operating system's secure generator; an
//! embedded build supplies its hardware generator.

use core::fmt;

/// A source of random bytes.
///
/// ```
/// use wscore::random::{Rng, RngUnavailable};
///
/// /// A hardware generator on an embedded board.
/// struct Trng;
///
/// impl Rng for Trng {
///     fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
///         dest.iter_mut().for_each(|byte| *byte = 4); // read the peripheral here
///         Ok(())
///     }
/// }
/// ```
pub trait Rng {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable>;
}

impl<R: Rng + ?Sized> Rng for &mut R {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
        (**self).fill(dest)
    }
}

/// The randomness source failed to produce bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngUnavailable;

impl fmt::Display for RngUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the system's secure random number generator is unavailable")
    }
}

impl core::error::Error for RngUnavailable {}

/// The operating system's secure random number generator.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRng;

#[cfg(feature = "std")]
impl Rng for OsRng {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
        getrandom::fill(dest).map_err(|_| RngUnavailable)
    }
}
