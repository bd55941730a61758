//! Streaming technical indicators: feed one value per bar with `update`, which returns `None`
//! until the indicator has seen enough values (it is "warmed up"), then the current value.
//! `value()` returns the last value without feeding anything. All are O(1) per update
//! (amortized for the rolling extremes) and allocate only their window at construction.
//!
//! Feed finite numbers. What a NaN does, if one slips in:
//! - [`Sma`]: the average is NaN while the NaN is in the window, and correct again once it left;
//! - [`Ema`]: every later value is NaN until [`Ema::reset`];
//! - [`Rsi`]: the price change into and out of a NaN counts as no change;
//! - [`RollingHigh`], [`RollingLow`]: a NaN takes its slot in the window but is never the
//!   extreme; a window holding only NaNs has no value (`None`).
//!
//! ```
//! use sandtrade_guest::indicators::{RollingHigh, Sma};
//!
//! let mut sma = Sma::new(3);
//! assert_eq!(sma.update(1.0), None);
//! assert_eq!(sma.update(2.0), None);
//! assert_eq!(sma.update(3.0), Some(2.0));
//!
//! // A breakout compares the close with the high of the *previous* bars: read, then update.
//! let mut high = RollingHigh::new(20);
//! # let (bar_high, bar_close) = (10.0, 10.0);
//! let breakout = high.value().is_some_and(|h| bar_close > h);
//! high.update(bar_high);
//! # assert!(!breakout);
//! ```

use std::collections::VecDeque;

fn check_period(period: usize, what: &str) {
    assert!(period > 0, "{what}: period must be at least 1");
}

/// Simple moving average of the last `period` values.
///
/// Kept as a running sum, re-added from the window every `period` updates so that rounding
/// errors cannot pile up over a long backtest (and a NaN leaves the sum with the window).
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
    window: VecDeque<f64>,
    sum: f64,
    /// Values dropped from the window since the sum was last re-added from scratch.
    slides: usize,
}

impl Sma {
    /// An SMA over `period` values. Panics if `period` is 0.
    pub fn new(period: usize) -> Self {
        check_period(period, "Sma");
        Sma {
            period,
            window: VecDeque::with_capacity(period + 1),
            sum: 0.0,
            slides: 0,
        }
    }

    /// Feeds `x`; the average of the last `period` values once `period` values were fed.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push_back(x);
        if self.window.len() <= self.period {
            self.sum += x;
            return self.value();
        }
        let old = self
            .window
            .pop_front()
            .expect("the window held period + 1 values");
        self.slides += 1;
        if self.slides >= self.period || !old.is_finite() {
            self.sum = self.window.iter().sum();
            self.slides = 0;
        } else {
            self.sum += x - old;
        }
        self.value()
    }

    /// The current average, `None` until warmed up.
    pub fn value(&self) -> Option<f64> {
        self.is_ready().then(|| self.sum / self.period as f64)
    }

    /// Whether `period` values have been fed.
    pub fn is_ready(&self) -> bool {
        self.window.len() == self.period
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.slides = 0;
    }
}

/// Exponential moving average with `alpha = 2 / (period + 1)`, seeded with the simple
/// average of the first `period` values (the usual charting convention).
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    /// An EMA over `period` values. Panics if `period` is 0.
    pub fn new(period: usize) -> Self {
        check_period(period, "Ema");
        Ema {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    /// Feeds `x`; the EMA once `period` values were fed.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        match self.value {
            Some(prev) => self.value = Some(prev + self.alpha * (x - prev)),
            None => {
                self.seen += 1;
                self.seed_sum += x;
                if self.seen == self.period {
                    self.value = Some(self.seed_sum / self.period as f64);
                }
            }
        }
        self.value
    }

    /// The current EMA, `None` until warmed up.
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// Whether `period` values have been fed.
    pub fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        *self = Ema::new(self.period);
    }
}

/// Relative strength index with Wilder's smoothing, from 0 to 100.
///
/// The first value needs `period + 1` prices (`period` changes, simple-averaged); after that
/// the average gain and loss are smoothed as `avg = (avg * (period - 1) + change) / period`.
/// With no losses in the window the RSI is 100; with neither gains nor losses it is 50.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
    value: Option<f64>,
}

impl Rsi {
    /// An RSI over `period` changes (14 is the classic). Panics if `period` is 0.
    pub fn new(period: usize) -> Self {
        check_period(period, "Rsi");
        Rsi {
            period,
            prev: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
            value: None,
        }
    }

    /// Feeds a price; the RSI once `period + 1` prices were fed.
    pub fn update(&mut self, price: f64) -> Option<f64> {
        let prev = self.prev.replace(price)?;
        let change = price - prev;
        let (gain, loss) = (change.max(0.0), (-change).max(0.0));
        let n = self.period as f64;
        if self.changes < self.period {
            self.changes += 1;
            self.avg_gain += gain / n;
            self.avg_loss += loss / n;
            if self.changes < self.period {
                return None;
            }
        } else {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        }
        let rsi = if self.avg_loss == 0.0 {
            if self.avg_gain == 0.0 { 50.0 } else { 100.0 }
        } else {
            100.0 - 100.0 / (1.0 + self.avg_gain / self.avg_loss)
        };
        self.value = Some(rsi);
        self.value
    }

    /// The current RSI, `None` until warmed up.
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// Whether `period + 1` prices have been fed.
    pub fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        *self = Rsi::new(self.period);
    }
}

/// The extreme of a sliding window, kept in a monotonic deque: O(1) amortized per update.
#[derive(Debug, Clone)]
struct RollingExtreme {
    window: usize,
    count: u64,
    /// (index, value) of the candidates, most extreme first: a new value evicts every older
    /// value it beats, so the front is the extreme of the window.
    deque: VecDeque<(u64, f64)>,
}

impl RollingExtreme {
    fn new(window: usize, what: &str) -> Self {
        check_period(window, what);
        RollingExtreme {
            window,
            count: 0,
            deque: VecDeque::with_capacity(window + 1),
        }
    }

    /// `keeps(old, new)`: whether `old` stays in front of `new` (is at least as extreme).
    fn update(&mut self, x: f64, keeps: fn(f64, f64) -> bool) -> Option<f64> {
        // A NaN compares false with everything: pushed, it would evict the real extreme.
        // It takes its slot (the count) but never enters the deque.
        if !x.is_nan() {
            while self.deque.back().is_some_and(|&(_, old)| !keeps(old, x)) {
                self.deque.pop_back();
            }
            self.deque.push_back((self.count, x));
        }
        self.count += 1;
        let oldest_kept = self.count.saturating_sub(self.window as u64);
        while self.deque.front().is_some_and(|&(i, _)| i < oldest_kept) {
            self.deque.pop_front();
        }
        self.value()
    }

    fn value(&self) -> Option<f64> {
        if self.count >= self.window as u64 {
            self.deque.front().map(|&(_, v)| v)
        } else {
            None
        }
    }

    fn reset(&mut self) {
        self.count = 0;
        self.deque.clear();
    }
}

/// The highest of the last `window` values.
#[derive(Debug, Clone)]
pub struct RollingHigh(RollingExtreme);

impl RollingHigh {
    /// A rolling maximum over `window` values. Panics if `window` is 0.
    pub fn new(window: usize) -> Self {
        RollingHigh(RollingExtreme::new(window, "RollingHigh"))
    }

    /// Feeds `x`; the maximum of the last `window` values once `window` values were fed.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x, |old, new| old > new)
    }

    /// The current maximum, `None` until warmed up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }

    /// Whether `window` values have been fed.
    pub fn is_ready(&self) -> bool {
        self.0.value().is_some()
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.0.window
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.0.reset()
    }
}

/// The lowest of the last `window` values.
#[derive(Debug, Clone)]
pub struct RollingLow(RollingExtreme);

impl RollingLow {
    /// A rolling minimum over `window` values. Panics if `window` is 0.
    pub fn new(window: usize) -> Self {
        RollingLow(RollingExtreme::new(window, "RollingLow"))
    }

    /// Feeds `x`; the minimum of the last `window` values once `window` values were fed.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x, |old, new| old < new)
    }

    /// The current minimum, `None` until warmed up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }

    /// Whether `window` values have been fed.
    pub fn is_ready(&self) -> bool {
        self.0.value().is_some()
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.0.window
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.0.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// A deterministic pseudo-random walk (xorshift), no dependencies.
    fn walk(n: usize) -> Vec<f64> {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut price = 100.0;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                price += (s % 2001) as f64 / 1000.0 - 1.0;
                price
            })
            .collect()
    }

    #[test]
    fn sma_known_values() {
        let mut sma = Sma::new(3);
        let out = feed(&[1.0, 2.0, 3.0, 4.0, 5.0, 9.0], |x| sma.update(x));
        assert_eq!(
            out,
            [None, None, Some(2.0), Some(3.0), Some(4.0), Some(6.0)]
        );
        assert_eq!(sma.value(), Some(6.0));
        assert!(sma.is_ready());
        sma.reset();
        assert_eq!(sma.value(), None);
    }

    #[test]
    fn sma_matches_brute_force() {
        let xs = walk(500);
        let mut sma = Sma::new(7);
        for (i, &x) in xs.iter().enumerate() {
            let got = sma.update(x);
            if i + 1 < 7 {
                assert_eq!(got, None);
            } else {
                let want = xs[i + 1 - 7..=i].iter().sum::<f64>() / 7.0;
                assert!(close(got.unwrap(), want, 1e-9), "at {i}: {got:?} vs {want}");
            }
        }
    }

    /// Feeds `xs` one by one; the outputs.
    fn feed(xs: &[f64], mut update: impl FnMut(f64) -> Option<f64>) -> Vec<Option<f64>> {
        xs.iter().map(|&x| update(x)).collect()
    }

    /// Rounds to cents, as published reference tables are.
    fn cents(x: f64) -> f64 {
        (x * 100.0).round() / 100.0
    }

    #[test]
    fn ema_worked_example_to_the_cent() {
        // The 10-period EMA worked example from StockCharts ("Moving Averages - Simple and
        // Exponential"). Its table says 23.54 for the 14th value: it rounds intermediate
        // values; unrounded the value is 23.5335..., 23.53 to the cent.
        let prices = [
            22.27, 22.19, 22.08, 22.17, 22.18, 22.13, 22.23, 22.43, 22.24, 22.29, 22.15, 22.39,
            22.38, 22.61, 23.36, 24.05, 23.75, 23.83, 23.95, 23.63, 23.82, 23.87, 23.65, 23.19,
            23.10, 23.33, 22.68, 23.10, 22.40, 22.17,
        ];
        let want = [
            22.22, 22.21, 22.24, 22.27, 22.33, 22.52, 22.80, 22.97, 23.13, 23.28, 23.34, 23.43,
            23.51, 23.53, 23.47, 23.40, 23.39, 23.26, 23.23, 23.08, 22.92,
        ];
        let mut ema = Ema::new(10);
        let out = feed(&prices, |p| ema.update(p));
        assert_eq!(out[..9], [None; 9]);
        let got: Vec<f64> = out[9..]
            .iter()
            .map(|v| cents(v.expect("warmed up")))
            .collect();
        assert_eq!(got, want);
        assert_eq!(out[22], Some(23.533519922826255));
    }

    #[test]
    fn ema_small_exact() {
        let mut ema = Ema::new(3); // alpha 0.5, seeded with mean(1, 2, 3) = 2
        let out = feed(&[1.0, 2.0, 3.0, 4.0, 6.0], |x| ema.update(x));
        assert_eq!(out, [None, None, Some(2.0), Some(3.0), Some(4.5)]);
        ema.reset();
        assert!(!ema.is_ready());
    }

    #[test]
    fn rsi_wilder_worked_example_to_the_cent() {
        // The 14-period worked example from Wilder / StockCharts ("Relative Strength Index").
        let prices = [
            44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433,
            46.0826, 45.8931, 46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116,
            46.2222, 45.6439, 46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288,
            44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314,
        ];
        let want = [
            70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42,
            39.99, 41.46, 41.87, 45.46, 37.30, 33.08, 37.77,
        ];
        let mut rsi = Rsi::new(14);
        let out = feed(&prices, |p| rsi.update(p));
        assert_eq!(out[..14], [None; 14], "needs 15 prices");
        let got: Vec<f64> = out[14..]
            .iter()
            .map(|v| cents(v.expect("warmed up")))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn rsi_wilder_smoothing_exact() {
        // Changes +2, -1 (the seed: avg gain 1, avg loss 0.5, RS 2), then +2 (gain 1.5,
        // loss 0.25, RS 6), then 0 (gain 0.75, loss 0.125, RS 6).
        let mut rsi = Rsi::new(2);
        let out = feed(&[10.0, 12.0, 11.0, 13.0, 13.0], |x| rsi.update(x));
        let rsi_of = |rs: f64| 100.0 - 100.0 / (1.0 + rs);
        assert_eq!(
            out,
            [
                None,
                None,
                Some(rsi_of(2.0)),
                Some(rsi_of(6.0)),
                Some(rsi_of(6.0))
            ]
        );
        assert_eq!(rsi_of(2.0), 100.0 - 100.0 / 3.0);
    }

    #[test]
    fn rsi_edges() {
        let mut up = Rsi::new(3);
        let out = feed(&[1.0, 2.0, 3.0, 4.0, 5.0], |x| up.update(x));
        assert_eq!(out, [None, None, None, Some(100.0), Some(100.0)]);
        let mut down = Rsi::new(2);
        assert_eq!(down.update(5.0), None);
        assert_eq!(down.update(4.0), None);
        assert_eq!(down.update(3.0), Some(0.0));
        let mut flat = Rsi::new(2);
        [7.0, 7.0, 7.0].iter().for_each(|&x| {
            flat.update(x);
        });
        assert_eq!(flat.value(), Some(50.0));
        // period 1: gain 2, loss 0 -> 100; then loss 1 -> avg gain 0, avg loss 1 -> 0.
        let mut one = Rsi::new(1);
        assert_eq!(one.update(1.0), None);
        assert_eq!(one.update(3.0), Some(100.0));
        assert_eq!(one.update(2.0), Some(0.0));
    }

    #[test]
    fn rolling_extremes_known_values() {
        let mut hi = RollingHigh::new(3);
        let mut lo = RollingLow::new(3);
        let xs = [5.0, 1.0, 3.0, 2.0, 4.0, 4.0, 0.0, 6.0];
        let his = feed(&xs, |x| hi.update(x));
        let los = feed(&xs, |x| lo.update(x));
        assert_eq!(
            his,
            [
                None,
                None,
                Some(5.0),
                Some(3.0),
                Some(4.0),
                Some(4.0),
                Some(4.0),
                Some(6.0)
            ]
        );
        assert_eq!(
            los,
            [
                None,
                None,
                Some(1.0),
                Some(1.0),
                Some(2.0),
                Some(2.0),
                Some(0.0),
                Some(0.0)
            ]
        );
        assert_eq!(hi.window(), 3);
        hi.reset();
        assert_eq!(hi.value(), None);
    }

    #[test]
    fn rolling_extremes_match_brute_force() {
        let xs = walk(2_000);
        for window in [1, 2, 5, 64] {
            let mut hi = RollingHigh::new(window);
            let mut lo = RollingLow::new(window);
            for (i, &x) in xs.iter().enumerate() {
                let (h, l) = (hi.update(x), lo.update(x));
                if i + 1 < window {
                    assert_eq!((h, l), (None, None));
                    continue;
                }
                let w = &xs[i + 1 - window..=i];
                assert_eq!(h, Some(w.iter().cloned().fold(f64::MIN, f64::max)));
                assert_eq!(l, Some(w.iter().cloned().fold(f64::MAX, f64::min)));
            }
        }
    }

    #[test]
    fn rolling_deque_stays_bounded() {
        // Monotonically decreasing input is the worst case for a rolling max deque.
        let mut hi = RollingHigh::new(10);
        for i in 0..10_000 {
            hi.update(-(i as f64));
            assert!(hi.0.deque.len() <= 10);
        }
        assert_eq!(hi.value(), Some(-9_990.0));
    }

    #[test]
    fn sma_recovers_once_a_nan_left_the_window() {
        let mut sma = Sma::new(2);
        let out = feed(&[1.0, f64::NAN, 3.0, 5.0, 7.0], |x| sma.update(x));
        assert_eq!(out[0], None);
        assert!(out[1].unwrap().is_nan() && out[2].unwrap().is_nan());
        assert_eq!(out[3..], [Some(4.0), Some(6.0)]);
    }

    #[test]
    fn sma_running_sum_is_re_added_every_period() {
        // 10 values warm it up; each of the next 1,000,000 slides the window, and every 10th
        // re-adds the sum from the window: after the last one it is the fresh sum, bit for bit.
        let xs = walk(1_000_010);
        let mut sma = Sma::new(10);
        let mut last = None;
        for &x in &xs {
            last = sma.update(x);
        }
        assert_eq!(sma.slides, 0);
        let fresh = xs[xs.len() - 10..].iter().sum::<f64>() / 10.0;
        assert_eq!(last, Some(fresh));
    }

    #[test]
    fn rsi_treats_a_nan_price_as_no_change() {
        let mut with_nan = Rsi::new(2);
        let mut flat = Rsi::new(2);
        let a = feed(&[10.0, 12.0, f64::NAN, 9.0], |x| with_nan.update(x));
        let b = feed(&[10.0, 12.0, 12.0, 12.0], |x| flat.update(x));
        assert_eq!(a, b);
        assert_eq!(a[3], Some(100.0));
    }

    #[test]
    fn rolling_extremes_skip_nan() {
        let mut hi = RollingHigh::new(3);
        let mut lo = RollingLow::new(3);
        let xs = [10.0, f64::NAN, 5.0, f64::NAN, f64::NAN, f64::NAN, 2.0];
        let his = feed(&xs, |x| hi.update(x));
        let los = feed(&xs, |x| lo.update(x));
        assert_eq!(
            his,
            [
                None,
                None,
                Some(10.0),
                Some(5.0),
                Some(5.0),
                None,
                Some(2.0)
            ]
        );
        assert_eq!(
            los,
            [None, None, Some(5.0), Some(5.0), Some(5.0), None, Some(2.0)]
        );
    }

    #[test]
    #[should_panic(expected = "period must be at least 1")]
    fn zero_period_panics() {
        let _ = Sma::new(0);
    }
}
