//! Prices: a seeded random walk (or a CSV replay) per contract, the bars it makes, and
//! synthetic history before the simulation started.

use std::collections::VecDeque;
use std::path::Path;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use super::clock::BAR_SECONDS;
use super::contracts::{ContractBook, ContractIdx, round_to_tick};
use crate::config::{ContractSpec, MarketConfig, PriceSource};
use crate::error::ConfigError;
use crate::messages::BarView;

/// How many completed five-second bars each contract keeps (one day).
const BAR_MEMORY: usize = 17_280;

/// One row of a replay CSV: a five-second bar.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct ReplayRow {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

#[derive(Debug, serde::Deserialize)]
struct ReplayRecord {
    #[allow(dead_code, reason = "documented CSV column; rows replay in file order")]
    time: String,
    symbol: String,
    #[serde(flatten)]
    row: ReplayRow,
}

/// A bar being built from ticks.
#[derive(Debug, Clone, Copy, Default)]
struct BarBuilder {
    start: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    notional: f64,
    count: i32,
}

impl BarBuilder {
    fn add(&mut self, start: i64, price: f64, size: f64) {
        if self.count == 0 {
            *self = BarBuilder {
                start,
                open: price,
                high: price,
                low: price,
                ..Default::default()
            };
        }
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume += size;
        self.notional += price * size;
        self.count += 1;
    }

    fn finish(&mut self) -> Option<BarView> {
        if self.count == 0 {
            return None;
        }
        let wap = if self.volume > 0.0 {
            self.notional / self.volume
        } else {
            self.close
        };
        let bar = BarView {
            time: self.start,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            wap: (wap * 1e4).round() / 1e4,
            count: self.count,
        };
        *self = BarBuilder::default();
        Some(bar)
    }
}

/// The market state of one contract.
#[derive(Debug)]
pub struct Instrument {
    rng: ChaCha8Rng,
    mid: f64,
    /// Last trade price (on the tick ladder).
    pub last: f64,
    /// Size of the last trade.
    pub last_size: f64,
    /// Volume since the simulation started.
    pub volume: f64,
    /// Session high.
    pub high: f64,
    /// Session low.
    pub low: f64,
    /// Price the simulation started at (reported as the previous close).
    pub prev_close: f64,
    building: BarBuilder,
    bars: VecDeque<BarView>,
    replay: Option<VecDeque<ReplayRow>>,
    lot: f64,
}

impl Instrument {
    fn new(spec: &ContractSpec, seed: u64, replay: Option<VecDeque<ReplayRow>>) -> Self {
        let start = replay
            .as_ref()
            .and_then(|r| r.front())
            .map_or(spec.start_price, |row| row.open);
        let last = round_to_tick(start, spec.tick_size(start));
        Self {
            rng: ChaCha8Rng::seed_from_u64(
                seed ^ (spec.con_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
            mid: start,
            last,
            last_size: 0.0,
            volume: 0.0,
            high: last,
            low: last,
            prev_close: last,
            building: BarBuilder::default(),
            bars: VecDeque::new(),
            replay,
            lot: if spec.lot_size > 1 {
                spec.lot_size as f64
            } else {
                100.0
            },
        }
    }

    /// Best bid: one tick under the last price.
    pub fn bid(&self, spec: &ContractSpec) -> f64 {
        round_to_tick(
            self.last - spec.tick_size(self.last),
            spec.tick_size(self.last),
        )
    }

    /// Best ask: one tick over the last price.
    pub fn ask(&self, spec: &ContractSpec) -> f64 {
        round_to_tick(
            self.last + spec.tick_size(self.last),
            spec.tick_size(self.last),
        )
    }

    /// Completed five-second bars, oldest first.
    #[cfg(test)]
    pub fn bars(&self) -> &VecDeque<BarView> {
        &self.bars
    }

    /// One trade during second `second` (epoch s): the price moves, the bar grows.
    fn trade(&mut self, spec: &ContractSpec, volatility_bps: f64, second: i64) {
        let (price, size) = match self.replay.as_mut() {
            Some(rows) => match rows.front().copied() {
                Some(row) => {
                    let k = second.rem_euclid(BAR_SECONDS);
                    let price = [row.open, row.high, row.low, row.close, row.close][k as usize];
                    if k == BAR_SECONDS - 1 {
                        rows.pop_front();
                    }
                    (price, row.volume / BAR_SECONDS as f64)
                }
                // Replay exhausted: the price stays where the file left it, nothing trades.
                None => return,
            },
            None => {
                // Uniform step with unit variance, scaled to the configured volatility.
                let z = (self.rng.random::<f64>() - 0.5) * 12f64.sqrt();
                self.mid *= 1.0 + volatility_bps / 10_000.0 * z;
                let lots: u32 = self.rng.random_range(1..=10);
                (self.mid, self.lot * f64::from(lots))
            }
        };
        self.last = round_to_tick(price, spec.tick_size(price));
        self.last_size = size;
        self.volume += size;
        self.high = self.high.max(self.last);
        self.low = self.low.min(self.last);
        let bar_start = second - second.rem_euclid(BAR_SECONDS);
        self.building.add(bar_start, self.last, size);
    }

    /// Ends the bar in progress, if anything traded in it.
    fn close_bar(&mut self) -> Option<BarView> {
        let bar = self.building.finish()?;
        if self.bars.len() == BAR_MEMORY {
            self.bars.pop_front();
        }
        self.bars.push_back(bar);
        Some(bar)
    }

    /// Moves the price to `price` (tests and operators), as one trade of one lot.
    fn set_price(&mut self, spec: &ContractSpec, price: f64) {
        self.mid = price;
        self.last = round_to_tick(price, spec.tick_size(price));
        self.high = self.high.max(self.last);
        self.low = self.low.min(self.last);
    }
}

/// Every contract's market.
#[derive(Debug)]
pub struct Market {
    instruments: Vec<Instrument>,
    seed: u64,
    volatility_bps: f64,
}

impl Market {
    /// Starts every contract at its configured price (or the replay file's first open).
    pub fn new(config: &MarketConfig, book: &ContractBook) -> Result<Self, ConfigError> {
        let mut replays = match &config.source {
            PriceSource::RandomWalk => None,
            PriceSource::Replay(path) => Some(load_replay(path, book)?),
        };
        let instruments = book
            .all()
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let replay = replays
                    .as_mut()
                    .map(|r: &mut Vec<VecDeque<ReplayRow>>| std::mem::take(&mut r[i]));
                Instrument::new(spec, config.seed, replay)
            })
            .collect();
        Ok(Self {
            instruments,
            seed: config.seed,
            volatility_bps: config.volatility_bps,
        })
    }

    /// The market of one contract.
    pub fn get(&self, idx: ContractIdx) -> &Instrument {
        &self.instruments[idx]
    }

    /// One trade for contract `idx` during second `second`.
    pub fn trade(&mut self, book: &ContractBook, idx: ContractIdx, second: i64) {
        self.instruments[idx].trade(book.spec(idx), self.volatility_bps, second);
    }

    /// Ends contract `idx`'s bar in progress.
    pub fn close_bar(&mut self, idx: ContractIdx) -> Option<BarView> {
        self.instruments[idx].close_bar()
    }

    /// Sets contract `idx`'s price.
    pub fn set_price(&mut self, book: &ContractBook, idx: ContractIdx, price: f64) {
        self.instruments[idx].set_price(book.spec(idx), price);
    }

    /// The recorded five-second bars from `start` on, merged into one bar (the bar in
    /// progress of a keepUpToDate subscription).
    pub fn bar_since(&self, idx: ContractIdx, start: i64) -> Option<BarView> {
        let mut builder = BarBuilder::default();
        for bar in self.instruments[idx]
            .bars
            .iter()
            .skip_while(|b| b.time < start)
        {
            builder.merge(start, bar);
        }
        builder.finish()
    }

    /// Bars of `bar_secs` seconds for contract `idx` covering `[end - duration, end)`:
    /// aggregated from the recorded five-second bars since `sim_start`, synthesized (a
    /// deterministic walk back from the start price) before it.
    pub fn history(
        &self,
        book: &ContractBook,
        idx: ContractIdx,
        sim_start: i64,
        end: i64,
        duration_secs: i64,
        bar_secs: i64,
    ) -> Vec<BarView> {
        let spec = book.spec(idx);
        let end = end - end.rem_euclid(bar_secs);
        let first = end - duration_secs.max(bar_secs);
        let first = first - first.rem_euclid(bar_secs);
        let mut out = Vec::new();
        // Synthetic part: bar k (counted back from the one that ends at the start boundary).
        let boundary = sim_start - sim_start.rem_euclid(bar_secs);
        if first < boundary {
            let wanted = ((boundary - first) / bar_secs) as usize;
            let mut synthetic =
                synthesize_back(spec, self.seed, bar_secs, wanted, self.volatility_bps);
            synthetic.reverse();
            let skip = ((boundary - end).max(0) / bar_secs) as usize;
            let keep = synthetic.len().saturating_sub(skip);
            for (k, mut bar) in synthetic.into_iter().take(keep).enumerate() {
                bar.time = first + k as i64 * bar_secs;
                out.push(bar);
            }
        }
        // Recorded part.
        let mut builder = BarBuilder::default();
        for bar in self.instruments[idx]
            .bars
            .iter()
            .filter(|b| b.time >= first.max(boundary) && b.time < end)
        {
            let start = bar.time - bar.time.rem_euclid(bar_secs);
            if builder.count > 0 && builder.start != start {
                out.extend(builder.finish());
            }
            builder.merge(start, bar);
        }
        out.extend(builder.finish());
        out
    }
}

impl BarBuilder {
    fn merge(&mut self, start: i64, bar: &BarView) {
        if self.count == 0 {
            *self = BarBuilder {
                start,
                open: bar.open,
                high: bar.high,
                low: bar.low,
                ..Default::default()
            };
        }
        self.high = self.high.max(bar.high);
        self.low = self.low.min(bar.low);
        self.close = bar.close;
        self.volume += bar.volume;
        self.notional += bar.wap * bar.volume;
        self.count += bar.count;
    }
}

/// `count` synthetic bars walking back from the start price: element 0 is the bar just before
/// the simulation started. Seeded by (seed, conId, bar size), so a request is reproducible.
fn synthesize_back(
    spec: &ContractSpec,
    seed: u64,
    bar_secs: i64,
    count: usize,
    vol_bps: f64,
) -> Vec<BarView> {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ (spec.con_id as u64).rotate_left(17) ^ bar_secs as u64);
    let step_vol = vol_bps / 10_000.0 * (bar_secs as f64).sqrt();
    let lot = if spec.lot_size > 1 {
        spec.lot_size as f64
    } else {
        100.0
    };
    let mut close = spec.start_price;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let z = (rng.random::<f64>() - 0.5) * 12f64.sqrt();
        let open = close / (1.0 + step_vol * z);
        let wiggle = rng.random::<f64>() * step_vol * 0.5;
        let tick = |p: f64| round_to_tick(p, spec.tick_size(p));
        let (o, c) = (tick(open), tick(close));
        let high = tick(o.max(c) * (1.0 + wiggle));
        let low = tick(o.min(c) * (1.0 - wiggle));
        let trades = bar_secs.clamp(1, 100_000) as i32;
        let volume = lot * f64::from(rng.random_range(1..=10u32)) * trades as f64;
        out.push(BarView {
            time: 0,
            open: o,
            high,
            low,
            close: c,
            volume,
            wap: round_to_tick((o + c) / 2.0, spec.tick_size(c)),
            count: trades,
        });
        close = open;
    }
    out
}

fn load_replay(path: &Path, book: &ContractBook) -> Result<Vec<VecDeque<ReplayRow>>, ConfigError> {
    let fail = |message: String| ConfigError::Replay {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
    let mut per_contract = vec![VecDeque::new(); book.all().len()];
    for (line, record) in reader.deserialize::<ReplayRecord>().enumerate() {
        let record = record.map_err(|e| fail(format!("row {}: {e}", line + 2)))?;
        let idx = book.by_symbol(&record.symbol).ok_or_else(|| {
            fail(format!(
                "row {}: symbol {:?} is not in the contract table",
                line + 2,
                record.symbol
            ))
        })?;
        let r = record.row;
        if !(r.low <= r.open.min(r.close) && r.high >= r.open.max(r.close) && r.low > 0.0) {
            return Err(fail(format!(
                "row {}: prices must satisfy 0 < low <= open,close <= high",
                line + 2
            )));
        }
        per_contract[idx].push_back(r);
    }
    Ok(per_contract)
}

/// Parses IB's `durationStr` (`1800 S`, `1 D`, `2 W`, `1 M`, `1 Y`) into seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let (n, unit) = text.trim().split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_secs = match unit.trim().to_ascii_uppercase().as_str() {
        "S" => 1,
        "D" => 86_400,
        "W" => 7 * 86_400,
        "M" => 30 * 86_400,
        "Y" => 365 * 86_400,
        _ => return None,
    };
    Some(n * unit_secs)
}

/// Parses IB's `barSizeSetting` (`5 secs`, `1 min`, `5 mins`, `1 hour`, `1 day`) into seconds.
pub fn parse_bar_size(text: &str) -> Option<i64> {
    let (n, unit) = text.trim().split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_secs = match unit.trim().trim_end_matches('s') {
        "sec" => 1,
        "min" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => 30 * 86_400,
        _ => return None,
    };
    Some(n * unit_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ib_durations_and_bar_sizes() {
        assert_eq!(parse_duration("1800 S"), Some(1800));
        assert_eq!(parse_duration("1 D"), Some(86_400));
        assert_eq!(parse_duration("2 W"), Some(1_209_600));
        assert_eq!(parse_duration("0 D"), None);
        assert_eq!(parse_bar_size("5 secs"), Some(5));
        assert_eq!(parse_bar_size("1 min"), Some(60));
        assert_eq!(parse_bar_size("15 mins"), Some(900));
        assert_eq!(parse_bar_size("1 hour"), Some(3600));
        assert_eq!(parse_bar_size("1 day"), Some(86_400));
        assert_eq!(parse_bar_size("1 fortnight"), None);
    }

    #[test]
    fn same_seed_same_walk() {
        let book = ContractBook::new(ContractSpec::builtin());
        let config = MarketConfig::default();
        let mut a = Market::new(&config, &book).expect("market");
        let mut b = Market::new(&config, &book).expect("market");
        for second in 0..50 {
            a.trade(&book, 0, second);
            b.trade(&book, 0, second);
        }
        assert_eq!(a.get(0).last, b.get(0).last);
        assert_ne!(a.get(0).last, 190.0, "the walk moved");
    }

    #[test]
    fn five_trades_make_one_bar_with_ohlc_of_the_trades() {
        let book = ContractBook::new(ContractSpec::builtin());
        let mut m = Market::new(&MarketConfig::default(), &book).expect("market");
        let mut prices = Vec::new();
        for second in 100..105 {
            m.trade(&book, 0, second);
            prices.push(m.get(0).last);
        }
        let bar = m.close_bar(0).expect("bar");
        assert_eq!(bar.time, 100);
        assert_eq!(bar.open, prices[0]);
        assert_eq!(bar.close, prices[4]);
        assert_eq!(bar.high, prices.iter().cloned().fold(f64::MIN, f64::max));
        assert_eq!(bar.count, 5);
        assert_eq!(m.close_bar(0), None);
    }

    #[test]
    fn replay_follows_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bars.csv");
        std::fs::write(&path, "time,symbol,open,high,low,close,volume\n1,AAPL,100,101,99,100.5,500\n2,AAPL,100.5,100.5,100,100.25,250\n")
            .expect("write");
        let book = ContractBook::new(ContractSpec::builtin());
        let config = MarketConfig {
            source: PriceSource::Replay(path),
            ..Default::default()
        };
        let mut m = Market::new(&config, &book).expect("market");
        let aapl = book.by_symbol("AAPL").expect("AAPL");
        for second in 0..10 {
            m.trade(&book, aapl, second);
            if second % 5 == 4 {
                m.close_bar(aapl);
            }
        }
        let bars: Vec<_> = m
            .get(aapl)
            .bars()
            .iter()
            .map(|b| (b.open, b.high, b.low, b.close, b.volume))
            .collect();
        assert_eq!(
            bars,
            vec![
                (100.0, 101.0, 99.0, 100.5, 500.0),
                (100.5, 100.5, 100.0, 100.25, 250.0)
            ]
        );
    }

    #[test]
    fn history_mixes_synthetic_and_recorded_bars_on_the_bar_grid() {
        let book = ContractBook::new(ContractSpec::builtin());
        let mut m = Market::new(&MarketConfig::default(), &book).expect("market");
        let start = 1_000_000_000 - 1_000_000_000 % 60;
        for second in start..start + 60 {
            m.trade(&book, 0, second);
            if (second + 1) % 5 == 0 {
                m.close_bar(0);
            }
        }
        let bars = m.history(&book, 0, start, start + 60, 600, 60);
        assert_eq!(bars.len(), 10);
        assert!(bars.windows(2).all(|w| w[1].time - w[0].time == 60));
        assert_eq!(bars.last().map(|b| b.time), Some(start));
        assert_eq!(bars.last().map(|b| b.count), Some(60));
        let again = m.history(&book, 0, start, start + 60, 600, 60);
        assert_eq!(bars, again);
    }
}
