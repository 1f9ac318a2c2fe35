//! How many distinct maintainers must sign: a count of at least 1, by type.

use std::num::NonZeroU32;

/// The least number of distinct maintainers whose valid signatures make an image quorate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(NonZeroU32);

impl Threshold {
    /// Two: no artifact is trusted until at least two independent maintainers vouch for it.
    pub const DEFAULT: Threshold = match NonZeroU32::new(2) {
        Some(n) => Threshold(n),
        None => unreachable!(),
    };

    /// `n` maintainers; None for 0, which no quorum can mean.
    pub const fn new(n: u32) -> Option<Threshold> {
        match NonZeroU32::new(n) {
            Some(n) => Some(Threshold(n)),
            None => None,
        }
    }

    /// The count.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl Default for Threshold {
    fn default() -> Threshold {
        Threshold::DEFAULT
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_no_threshold() {
        assert_eq!(Threshold::new(0), None);
        assert_eq!(Threshold::new(3).map(Threshold::get), Some(3));
        assert_eq!(Threshold::DEFAULT.get(), 2);
    }
}
