//! Bars: IB's five-second real-time bars (and historical bars) aggregated to the size each
//! strategy asked for.
//!
//! A bar of `N` seconds covers `[k·N, (k+1)·N)` seconds since the epoch, as IB aligns its own
//! bars (a one-minute bar starts on the minute). The aggregator emits a bar **as soon as the
//! source bar that ends its bucket arrives** (no waiting for the next bucket: that would add a
//! whole source bar of latency), or, if that one never comes (data paused), when the first
//! bar of a later bucket arrives.
//!
//! A bucket is only emitted if the aggregator saw its first source bar: after a subscription
//! starts mid-bucket, the partial bucket is dropped rather than handed to a strategy as if it
//! were a whole bar. Source bars older than the current bucket are ignored.

use sandtrade_core::Bar;

/// IB's real-time bars are five seconds long.
pub const REALTIME_BAR_SECONDS: u32 = 5;

/// Aggregates aligned source bars into bars of one size.
#[derive(Debug, Clone)]
pub struct Aggregator {
    bucket_ms: i64,
    current: Option<Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    bar: Bar,
    /// Whether the first source bar of the bucket was seen.
    whole_start: bool,
}

impl Aggregator {
    /// An aggregator to bars of `bar_seconds` (at least 1).
    pub fn new(bar_seconds: u32) -> Self {
        Self {
            bucket_ms: i64::from(bar_seconds.max(1)) * 1000,
            current: None,
        }
    }

    /// The size it aggregates to, in seconds.
    pub fn bar_seconds(&self) -> u32 {
        u32::try_from(self.bucket_ms / 1000).unwrap_or(u32::MAX)
    }

    /// Feeds one source bar of `source_seconds`; returns the bars it completes (at most two:
    /// a bucket left without its last bar, and the one this bar completes).
    pub fn push(&mut self, bar: Bar, source_seconds: u32) -> impl Iterator<Item = Bar> {
        let mut done = [None, None];
        let start = bar.start_ms.div_euclid(self.bucket_ms) * self.bucket_ms;
        match &mut self.current {
            Some(bucket) if start < bucket.bar.start_ms => return done.into_iter().flatten(),
            Some(bucket) if start == bucket.bar.start_ms => {
                let b = &mut bucket.bar;
                b.high = b.high.max(bar.high);
                b.low = b.low.min(bar.low);
                b.close = bar.close;
                b.volume += bar.volume;
            }
            current => {
                // A later bucket: the one before ended without its last source bar.
                if let Some(old) = current.take().filter(|b| b.whole_start) {
                    done[0] = Some(old.bar);
                }
                *current = Some(Bucket {
                    bar: Bar {
                        start_ms: start,
                        ..bar
                    },
                    whole_start: bar.start_ms == start,
                });
            }
        }
        let end = start + self.bucket_ms;
        if bar.start_ms + i64::from(source_seconds) * 1000 >= end
            && let Some(bucket) = self.current.take()
            && bucket.whole_start
        {
            done[1] = Some(bucket.bar);
        }
        done.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five(start_s: i64, close: f64) -> Bar {
        Bar {
            start_ms: start_s * 1000,
            open: close,
            high: close + 1.0,
            low: close - 1.0,
            close,
            volume: 10.0,
        }
    }

    fn feed(agg: &mut Aggregator, bars: &[Bar]) -> Vec<Bar> {
        bars.iter()
            .flat_map(|b| agg.push(*b, 5).collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn five_second_bars_pass_through_at_once() {
        let mut agg = Aggregator::new(5);
        assert_eq!(feed(&mut agg, &[five(100, 1.0)]), [five(100, 1.0)]);
        assert_eq!(feed(&mut agg, &[five(105, 2.0)]), [five(105, 2.0)]);
    }

    #[test]
    fn a_minute_is_emitted_with_its_last_five_seconds() {
        let mut agg = Aggregator::new(60);
        let bars: Vec<Bar> = (0..12)
            .map(|i| five(120 + i * 5, 10.0 + i as f64))
            .collect();
        assert_eq!(feed(&mut agg, &bars[..11]), []);
        assert_eq!(
            feed(&mut agg, &bars[11..]),
            [Bar {
                start_ms: 120_000,
                open: 10.0,
                high: 22.0,
                low: 9.0,
                close: 21.0,
                volume: 120.0
            }]
        );
    }

    #[test]
    fn a_partial_first_bucket_is_dropped() {
        let mut agg = Aggregator::new(60);
        // Subscribed at 0:50: 0:50 and 0:55 belong to a minute whose start was not seen.
        assert_eq!(feed(&mut agg, &[five(50, 1.0), five(55, 1.0)]), []);
        let minute: Vec<Bar> = (0..12).map(|i| five(60 + i * 5, 2.0)).collect();
        let out = feed(&mut agg, &minute);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].start_ms, 60_000);
    }

    #[test]
    fn a_bucket_missing_its_end_is_emitted_when_the_next_begins() {
        let mut agg = Aggregator::new(15);
        assert_eq!(feed(&mut agg, &[five(0, 1.0), five(5, 2.0)]), []);
        // 0:10 never came (market data paused); 0:15 starts the next bucket.
        let out = feed(&mut agg, &[five(15, 3.0)]);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].start_ms, out[0].close, out[0].volume),
            (0, 2.0, 20.0)
        );
        assert_eq!(feed(&mut agg, &[five(20, 4.0), five(25, 5.0)]).len(), 1);
    }

    #[test]
    fn old_bars_are_ignored_and_larger_sources_work() {
        let mut agg = Aggregator::new(120);
        assert_eq!(agg.push(five(0, 1.0), 60).count(), 0);
        let out: Vec<Bar> = agg.push(five(60, 2.0), 60).collect();
        assert_eq!(out.len(), 1);
        assert_eq!(agg.push(five(30, 9.0), 60).count(), 0);
        assert_eq!(agg.bar_seconds(), 120);
    }
}
