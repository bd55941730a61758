//! Equity over time in one currency: drawdown tracked exactly, the curve kept at a bounded size.

/// Most points kept for the picture; past this, neighbours are merged (see [`EquityCurve`]).
pub const MAX_CURVE_POINTS: usize = 2048;

/// Equity samples, at most [`MAX_CURVE_POINTS`] whatever the length of the run.
///
/// A point stands for a bucket of consecutive bar times and holds the equity at the bucket's
/// last time. Buckets start one bar time wide; whenever the curve is full, each pair of
/// neighbouring buckets becomes one (keeping the later point) and new buckets are twice as wide.
/// The last point is always the latest equity. Deterministic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityCurve {
    points: Vec<(i64, f64)>,
    /// Bar times per bucket (a power of two).
    bucket: u64,
    /// Bar times in the current (last) bucket.
    in_bucket: u64,
}

impl EquityCurve {
    /// An empty curve.
    pub fn new() -> Self {
        Self {
            points: Vec::new(),
            bucket: 1,
            in_bucket: 0,
        }
    }

    /// Records `equity` at `time_ms` (non-decreasing). A second value at the same time replaces
    /// the first.
    pub fn record(&mut self, time_ms: i64, equity: f64) {
        if let Some(last) = self.points.last_mut() {
            if last.0 == time_ms {
                last.1 = equity;
                return;
            }
            if self.in_bucket < self.bucket {
                *last = (time_ms, equity);
                self.in_bucket += 1;
                return;
            }
        }
        if self.points.len() == MAX_CURVE_POINTS {
            self.merge_pairs();
        }
        self.points.push((time_ms, equity));
        self.in_bucket = 1;
    }

    fn merge_pairs(&mut self) {
        let merged: Vec<(i64, f64)> = self
            .points
            .chunks(2)
            .map(|pair| pair[pair.len() - 1])
            .collect();
        self.points = merged;
        self.bucket *= 2;
    }

    /// The points, `(time_ms, equity)`, in time order.
    pub fn points(&self) -> &[(i64, f64)] {
        &self.points
    }
}

/// Peak and worst drawdown of an equity series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawdown {
    /// Highest equity seen (starting from the initial cash).
    pub peak: f64,
    /// Largest fall from a peak, in the currency.
    pub max: f64,
    /// Largest fall from a peak as a fraction of that peak (0.05 = 5%); 0 while the peak is not
    /// positive.
    pub max_fraction: f64,
}

impl Drawdown {
    /// Starting at `initial` equity.
    pub const fn new(initial: f64) -> Self {
        Self {
            peak: initial,
            max: 0.0,
            max_fraction: 0.0,
        }
    }

    /// Takes in the next equity value.
    pub fn record(&mut self, equity: f64) {
        self.peak = self.peak.max(equity);
        let fall = self.peak - equity;
        self.max = self.max.max(fall);
        if self.peak > 0.0 {
            self.max_fraction = self.max_fraction.max(fall / self.peak);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_from_the_highest_peak() {
        let mut d = Drawdown::new(100.0);
        for e in [110.0, 99.0, 120.0, 108.0, 125.0] {
            d.record(e);
        }
        assert_eq!(
            d,
            Drawdown {
                peak: 125.0,
                max: 12.0,
                max_fraction: 0.1
            }
        );
    }

    #[test]
    fn a_loss_from_the_start_counts() {
        let mut d = Drawdown::new(1000.0);
        d.record(750.0);
        assert_eq!((d.max, d.max_fraction), (250.0, 0.25));
    }

    #[test]
    fn same_time_replaces() {
        let mut c = EquityCurve::new();
        c.record(1, 10.0);
        c.record(1, 11.0);
        c.record(2, 12.0);
        assert_eq!(c.points(), [(1, 11.0), (2, 12.0)]);
    }

    #[test]
    fn long_runs_are_merged_and_keep_the_last_point() {
        let mut c = EquityCurve::new();
        let n = MAX_CURVE_POINTS as i64 * 3 + 5;
        for t in 0..n {
            c.record(t, t as f64);
        }
        let p = c.points();
        assert!(
            p.len() <= MAX_CURVE_POINTS && p.len() > MAX_CURVE_POINTS / 2,
            "{}",
            p.len()
        );
        assert_eq!(p.last(), Some(&(n - 1, (n - 1) as f64)));
        // Buckets are 4 bar times wide now: points at 3, 7, 11, …
        assert_eq!(&p[..3], [(3, 3.0), (7, 7.0), (11, 11.0)]);
        assert!(p.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
