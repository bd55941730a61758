//! The per-bar work of the `compute` test guest, in a plain crate so that the same Rust runs
//! natively too: the benchmark compares one against the other.
//!
//! [`Kernel::update`] recomputes the statistics of its whole window from scratch on every
//! bar, on purpose: O(window) floating-point work per bar (two passes), with sequential sums
//! that neither compiler may reorder or vectorize, so wasm and native do the same operations.
//!
//! ```
//! use compute_kernel::{Decision, Kernel};
//!
//! let mut kernel = Kernel::new(4);
//! let stats: Vec<_> = [1.0, 2.0, 3.0, 4.0].into_iter().map(|c| kernel.update(c)).collect();
//! let last = stats[3].expect("4 closes fill a window of 4");
//! assert_eq!((last.mean, last.slope), (2.5, 1.0));
//! assert_eq!(last.decide(false), Decision::Hold);
//! ```
#![warn(missing_docs)]

/// The statistics of one window of closes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Mean close.
    pub mean: f64,
    /// Population standard deviation of the closes.
    pub stdev: f64,
    /// How many standard deviations the newest close is from the mean (0 when flat).
    pub zscore: f64,
    /// Least-squares slope of close against bar index, per bar.
    pub slope: f64,
}

/// What the statistics say to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Buy: flat, the newest close is more than [`ENTRY_ZSCORE`] above the mean, on a rising
    /// trend.
    Buy,
    /// Sell: holding, and the newest close fell back below the mean.
    Sell,
    /// Nothing to do.
    Hold,
}

/// The window the `compute` guest uses unless its `window` param says otherwise: about 2 µs of
/// native work per bar on this project's machines, so the call boundary is a small part of it.
pub const DEFAULT_WINDOW: usize = 1024;

/// The z-score above which a flat strategy buys.
pub const ENTRY_ZSCORE: f64 = 2.0;

impl Stats {
    /// The decision for a strategy that is `holding` or flat.
    pub fn decide(&self, holding: bool) -> Decision {
        if !holding && self.zscore > ENTRY_ZSCORE && self.slope > 0.0 {
            Decision::Buy
        } else if holding && self.zscore < 0.0 {
            Decision::Sell
        } else {
            Decision::Hold
        }
    }
}

/// Rolling statistics of the last `window` closes.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// A ring of the last `window` closes; `next` is the oldest once full.
    ring: Vec<f64>,
    next: usize,
    filled: usize,
}

impl Kernel {
    /// A kernel over `window` closes. Panics if `window` is less than 2.
    pub fn new(window: usize) -> Self {
        assert!(window >= 2, "Kernel: window must be at least 2");
        Kernel {
            ring: vec![0.0; window],
            next: 0,
            filled: 0,
        }
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.len()
    }

    /// Feeds a close; the statistics of the last `window` closes once the window is full.
    pub fn update(&mut self, close: f64) -> Option<Stats> {
        let n = self.ring.len();
        self.ring[self.next] = close;
        self.next = (self.next + 1) % n;
        self.filled = (self.filled + 1).min(n);
        if self.filled < n {
            return None;
        }
        // Oldest first: the ring from `next` to the end, then from the start.
        let (newer, older) = self.ring.split_at(self.next);
        let closes = || older.iter().chain(newer);

        let count = n as f64;
        let mean = closes().sum::<f64>() / count;
        let x_mean = (count - 1.0) / 2.0;
        let (mut var_sum, mut cov_sum) = (0.0, 0.0);
        for (i, &y) in closes().enumerate() {
            let dy = y - mean;
            var_sum += dy * dy;
            cov_sum += (i as f64 - x_mean) * dy;
        }
        // Sum of (i - x_mean)^2 for i in 0..n.
        let x_var_sum = count * (count * count - 1.0) / 12.0;
        let stdev = (var_sum / count).sqrt();
        let zscore = if stdev > 0.0 {
            (close - mean) / stdev
        } else {
            0.0
        };
        Some(Stats {
            mean,
            stdev,
            zscore,
            slope: cov_sum / x_var_sum,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_statistics_of_small_windows() {
        let mut k = Kernel::new(4);
        let out: Vec<_> = [9.0, 1.0, 2.0, 3.0, 4.0]
            .into_iter()
            .map(|c| k.update(c))
            .collect();
        assert_eq!(out[..3], [None, None, None]);
        // [9, 1, 2, 3]: mean 3.75; deviations 5.25 -2.75 -1.75 -0.75; var 38.75/4.
        let first = out[3].expect("full");
        assert_eq!(first.mean, 3.75);
        assert_eq!(first.stdev, (38.75f64 / 4.0).sqrt());
        assert_eq!(first.zscore, (3.0 - 3.75) / first.stdev);
        // cov = -1.5*5.25 - 0.5*-2.75 + 0.5*-1.75 + 1.5*-0.75 = -8.5; x var sum = 5.
        assert_eq!(first.slope, -8.5 / 5.0);
        // The ring wrapped: [1, 2, 3, 4], a perfect line.
        let second = out[4].expect("full");
        assert_eq!((second.mean, second.slope), (2.5, 1.0));
        assert_eq!(second.stdev, 1.25f64.sqrt());
    }

    #[test]
    fn a_flat_window_has_zero_zscore_and_slope() {
        let mut k = Kernel::new(3);
        let stats = [5.0; 3]
            .into_iter()
            .filter_map(|c| k.update(c))
            .last()
            .expect("full");
        assert_eq!(
            stats,
            Stats {
                mean: 5.0,
                stdev: 0.0,
                zscore: 0.0,
                slope: 0.0
            }
        );
    }

    #[test]
    fn decisions() {
        let s = |zscore, slope| Stats {
            mean: 0.0,
            stdev: 1.0,
            zscore,
            slope,
        };
        assert_eq!(s(2.5, 0.1).decide(false), Decision::Buy);
        assert_eq!(s(2.5, -0.1).decide(false), Decision::Hold);
        assert_eq!(s(2.5, 0.1).decide(true), Decision::Hold);
        assert_eq!(s(-0.1, 0.1).decide(true), Decision::Sell);
        assert_eq!(s(-0.1, 0.1).decide(false), Decision::Hold);
    }
}
