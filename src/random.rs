//! Where randomness comes from: client mask keys (RFC 6455 §5.3 requires
//! them unpredictable) and `Sec-WebSocket-Key` nonces.
//!
//! wscore never reaches for randomness on its own: callers pass a [`Rng`].
//! With `std`, [`ThreadRng`] (the default for connections) draws from a
//! cryptographic generator per thread that the operating system keys, and
//! [`OsRng`] asks the operating system every time; an embedded build
//! supplies its hardware generator.

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

/// A ChaCha12 generator per thread, keyed from the operating system and
/// rekeyed after every 64 KiB of output: client mask keys at memory speed,
/// where asking the kernel for each batch of keys cost a third of the time
/// spent sending small messages. This is the design of rand's `ThreadRng`,
/// which tungstenite and fastwebsockets use, with two differences: a
/// failing OS generator is an error here, not a panic, and a forked child
/// rekeys within its first 4 KiB of output (1,024 mask keys), where rand's
/// shares its parent's stream until the next 64 KiB rekey.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadRng;

#[cfg(feature = "std")]
impl Rng for ThreadRng {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
        thread_generator::fill(dest)
    }
}

#[cfg(feature = "std")]
mod thread_generator {
    use super::RngUnavailable;
    use chacha20::rand_core::{Rng as _, SeedableRng};
    use chacha20::ChaCha12Rng;
    use std::cell::RefCell;

    /// Output between two keys from the operating system, as rand's
    /// `ThreadRng`: what a later compromise of the state reveals.
    const REKEY_AFTER: usize = 64 << 10;

    /// Output between two looks at the process id. Each look is a system
    /// call (the C library no longer caches the id): once per fill cost a
    /// tenth of a client's time sending 16-byte messages.
    const FORK_CHECK_AFTER: usize = 4 << 10;

    struct Generator {
        chacha: ChaCha12Rng,
        budget: usize,
        /// Output left before the process id is looked at again.
        unchecked: usize,
        /// The process that keyed it: a forked child rekeys rather than go
        /// on repeating its parent's keys.
        pid: u32,
    }

    std::thread_local! {
        static GENERATOR: RefCell<Option<Generator>> = const { RefCell::new(None) };
    }

    pub(super) fn fill(dest: &mut [u8]) -> Result<(), RngUnavailable> {
        // Unavailable while the thread is being torn down: the OS then.
        let filled = GENERATOR.try_with(|generator| {
            let mut generator = generator.try_borrow_mut().map_err(|_| RngUnavailable)?;
            let fresh = generator
                .as_mut()
                .is_some_and(|current| current.budget >= dest.len() && !current.forked(dest.len()));
            let generator = match &mut *generator {
                Some(current) if fresh => current,
                stale => stale.insert(keyed()?),
            };
            generator.chacha.fill_bytes(dest);
            generator.budget = generator.budget.saturating_sub(dest.len());
            Ok(())
        });
        filled.unwrap_or_else(|_| getrandom::fill(dest).map_err(|_| RngUnavailable))
    }

    fn keyed() -> Result<Generator, RngUnavailable> {
        let mut seed = [0; 32];
        getrandom::fill(&mut seed).map_err(|_| RngUnavailable)?;
        Ok(Generator {
            chacha: ChaCha12Rng::from_seed(seed),
            budget: REKEY_AFTER,
            unchecked: FORK_CHECK_AFTER,
            pid: std::process::id(),
        })
    }

    impl Generator {
        /// Whether this is a forked copy, as far as can be told before `len`
        /// more bytes are drawn.
        fn forked(&mut self, len: usize) -> bool {
            if let Some(unchecked) = self.unchecked.checked_sub(len) {
                self.unchecked = unchecked;
                return false;
            }
            self.unchecked = FORK_CHECK_AFTER;
            self.pid != std::process::id()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_forked_copy_is_noticed_within_the_check_interval() {
            let mut copy = keyed().unwrap();
            copy.pid = copy.pid.wrapping_add(1); // as if keyed by the parent
            let fills = (0..2 * FORK_CHECK_AFTER / 256).position(|_| copy.forked(256));
            assert_eq!(fills, Some(FORK_CHECK_AFTER / 256));
            let mut original = keyed().unwrap();
            assert!(!(0..2 * FORK_CHECK_AFTER / 256).any(|_| original.forked(256)));
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    fn draw(len: usize) -> std::vec::Vec<u8> {
        let mut bytes = std::vec![0; len];
        ThreadRng.fill(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn thread_rng_never_repeats_itself() {
        let (a, b) = (draw(32), draw(32));
        assert_ne!(a, b);
        assert_ne!(a, [0; 32]);
    }

    #[test]
    fn each_thread_has_its_own_key() {
        let here = draw(32);
        let there = std::thread::spawn(|| draw(32)).join().unwrap();
        assert_ne!(here, there);
    }

    #[test]
    fn fills_longer_than_the_rekey_interval() {
        // One draw past the budget rekeys first, then is filled whole.
        let long = draw(100 << 10);
        assert_ne!(long[..32], long[long.len() - 32..]);
        let ones = long
            .iter()
            .map(|byte| byte.count_ones() as usize)
            .sum::<usize>();
        let bits = long.len() * 8;
        assert!(
            ones.abs_diff(bits / 2) < bits / 100,
            "{ones} of {bits} bits set"
        );
    }
}
