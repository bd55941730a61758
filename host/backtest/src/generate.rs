//! Synthetic bars: a seeded random walk per symbol, written in the bar file format.
//!
//! Deterministic: the same [`GenConfig`] gives the same bytes on every machine. Each symbol has
//! its own generator seeded from the config's seed and the symbol, so adding a symbol does not
//! change the others. Only integer and basic float arithmetic is used (no `ln`/`cos`, whose
//! last bits differ between platforms): a step is a scaled Irwin–Hall sum of four uniforms.
//!
//! Prices sit on the market's tick grid: US stocks on cents, HK stocks on the HKEX spread table
//! ([`sehk_tick_thousandths`]). With `sessions`, bars cover regular hours on weekdays only, at
//! fixed UTC offsets (no daylight saving, no holidays): US 09:30–16:00 at UTC−5, HK 09:30–12:00 and
//! 13:00–16:00 at UTC+8. Times are written at the market's offset (`-05:00`, `+08:00`) or as
//! epoch milliseconds.

use std::io::{self, Write};

use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;

use super::bars::timestamp::format_time;

use sandtrade_core::ticks::sehk_tick_thousandths;
use sandtrade_core::{Market, Rejection};

/// 2024-01-02T00:00:00Z, a Tuesday: the default start.
pub const DEFAULT_START_MS: i64 = 1_704_153_600_000;
/// Standard deviation of one bar's return.
const BAR_VOLATILITY: f64 = 0.001;
/// √3: scales the Irwin–Hall sum of four uniforms (variance 1/3) to unit variance.
const SQRT_3: f64 = 1.732_050_807_568_877_2;
const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Every bar in this many calendar days from the start.
    Days(u32),
    /// This many rows in all (over all symbols).
    Bars(u64),
}

/// How times are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 at the market's UTC offset: `2024-01-02T09:30:00-05:00`.
    Rfc3339,
    /// Integer epoch milliseconds.
    EpochMs,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// Seed of the random walks.
    pub seed: u64,
    /// Symbols, written as given (any accepted form).
    pub symbols: Vec<String>,
    /// Time of the first bar considered, epoch ms.
    pub start_ms: i64,
    /// Bar length in whole minutes.
    pub bar_minutes: u32,
    /// How much.
    pub length: Length,
    /// Regular market hours on weekdays only (else around the clock).
    pub sessions: bool,
    /// How times are written.
    pub time_format: TimeFormat,
}

impl GenConfig {
    /// One-minute bars of `symbols` from [`DEFAULT_START_MS`], RFC 3339 times, seed 1.
    pub fn new(symbols: &[&str], length: Length, sessions: bool) -> Self {
        Self {
            seed: 1,
            symbols: symbols.iter().map(|s| (*s).to_owned()).collect(),
            start_ms: DEFAULT_START_MS,
            bar_minutes: 1,
            length,
            sessions,
            time_format: TimeFormat::Rfc3339,
        }
    }
}

/// Why bars could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A symbol does not normalize.
    #[error("cannot generate bars for {0}")]
    Symbol(Rejection),
    /// `bar_minutes` is 0 or the symbol list is empty.
    #[error("nothing to generate: need at least one symbol and a bar length of at least 1 minute")]
    Empty,
    /// Writing failed.
    #[error("cannot write bars: {0}")]
    Io(#[from] io::Error),
}

/// One row of a generated bar file before it is written: prices in exact thousandths of the
/// currency unit, on the market's tick grid, so the file says `185.12`, never `185.1199999`.
/// Reading the file back gives [`BarRow`](super::BarRow)s, each carrying a
/// [`Bar`](sandtrade_core::Bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedRow {
    /// Index into [`GenConfig::symbols`].
    pub symbol: usize,
    /// Start of the bar, epoch ms.
    pub time_ms: i64,
    /// Open, in thousandths.
    pub open: i64,
    /// High, in thousandths.
    pub high: i64,
    /// Low, in thousandths.
    pub low: i64,
    /// Close, in thousandths.
    pub close: i64,
    /// Shares.
    pub volume: u64,
}

/// The bars of `config`, in file order (by time, then by symbol as listed).
///
/// # Errors
///
/// A symbol that does not normalize, or nothing to generate.
pub fn generate(config: &GenConfig) -> Result<Generator, GenError> {
    if config.symbols.is_empty() || config.bar_minutes == 0 {
        return Err(GenError::Empty);
    }
    let walks = config
        .symbols
        .iter()
        .map(|s| Walk::new(config.seed, s))
        .collect::<Result<Vec<_>, _>>()?;
    let step_ms = i64::from(config.bar_minutes) * MS_PER_MINUTE;
    let end_ms = match config.length {
        Length::Days(days) => config.start_ms.saturating_add(i64::from(days) * MS_PER_DAY),
        Length::Bars(_) => i64::MAX,
    };
    let max_rows = match config.length {
        Length::Days(_) => u64::MAX,
        Length::Bars(n) => n,
    };
    Ok(Generator {
        walks,
        sessions: config.sessions,
        step_ms,
        time_ms: config.start_ms,
        next_symbol: 0,
        end_ms,
        rows_left: max_rows,
    })
}

/// Writes the bars of `config` as a bar file (header included). Returns the number of bars.
///
/// # Errors
///
/// As [`generate`], or a write error.
pub fn write_csv(config: &GenConfig, out: impl Write) -> Result<u64, GenError> {
    let mut out = io::BufWriter::new(out);
    writeln!(out, "{}", super::bars::HEADER)?;
    let generator = generate(config)?;
    let markets: Vec<Market> = generator.walks.iter().map(|w| w.market).collect();
    let mut rows = 0;
    for bar in generator {
        let market = markets[bar.symbol];
        let time = match config.time_format {
            TimeFormat::Rfc3339 => format_time(bar.time_ms, utc_offset_minutes(market)),
            TimeFormat::EpochMs => bar.time_ms.to_string(),
        };
        let decimals = if market == Market::HkStock && bar.low <= 500 {
            3
        } else {
            2
        };
        writeln!(
            out,
            "{time},{},{},{},{},{},{}",
            config.symbols[bar.symbol],
            Price(bar.open, decimals),
            Price(bar.high, decimals),
            Price(bar.low, decimals),
            Price(bar.close, decimals),
            bar.volume
        )?;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

/// A price in thousandths, written with 2 or 3 decimals.
struct Price(i64, u32);

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self(milli, decimals) = *self;
        let (units, frac) = (milli / 1000, milli % 1000);
        if decimals == 3 {
            write!(f, "{units}.{frac:03}")
        } else {
            write!(f, "{units}.{:02}", frac / 10)
        }
    }
}

/// The offset bars of `market` are written at: UTC−5 (US), UTC+8 (HK).
const fn utc_offset_minutes(market: Market) -> i32 {
    match market {
        Market::UsStock => -300,
        Market::HkStock => 480,
    }
}

/// Whether `market` trades in the minute starting at `time_ms`, with sessions on.
fn in_session(market: Market, time_ms: i64) -> bool {
    let local = time_ms + i64::from(utc_offset_minutes(market)) * MS_PER_MINUTE;
    let days = local.div_euclid(MS_PER_DAY);
    // 1970-01-01 was a Thursday: days % 7 == 2 is Saturday, 3 is Sunday.
    if matches!(days.rem_euclid(7), 2 | 3) {
        return false;
    }
    let minute = local.rem_euclid(MS_PER_DAY) / MS_PER_MINUTE;
    let hm = |h: i64, m: i64| h * 60 + m;
    match market {
        Market::UsStock => (hm(9, 30)..hm(16, 0)).contains(&minute),
        Market::HkStock => {
            (hm(9, 30)..hm(12, 0)).contains(&minute) || (hm(13, 0)..hm(16, 0)).contains(&minute)
        }
    }
}

/// Rounding direction onto the tick grid.
#[derive(Clone, Copy)]
enum Round {
    Nearest,
    Up,
    Down,
}

/// `price` (a currency amount) on the market's tick grid, in thousandths, at least one tick.
fn on_grid(market: Market, price: f64, round: Round) -> i64 {
    let snap = |milli: f64, tick: i64| {
        let ticks = milli / tick as f64;
        let ticks = match round {
            Round::Nearest => ticks.round(),
            Round::Up => ticks.ceil(),
            Round::Down => ticks.floor(),
        };
        (ticks as i64).max(1) * tick
    };
    let milli = price * 1000.0;
    match market {
        Market::UsStock => snap(milli, 10),
        Market::HkStock => {
            // Rounding may carry into the next band, whose tick is coarser: snap again there.
            let first = snap(milli, sehk_tick_thousandths(milli as i64));
            let tick = sehk_tick_thousandths(first);
            if first % tick == 0 {
                first
            } else {
                snap(first as f64, tick)
            }
        }
    }
}

/// One symbol's random walk.
#[derive(Debug)]
struct Walk {
    market: Market,
    rng: XorShiftRng,
    /// Last close, as a currency amount (off-grid: the walk keeps its own precision).
    price: f64,
}

impl Walk {
    fn new(seed: u64, raw: &str) -> Result<Self, GenError> {
        let instrument = sandtrade_core::normalize(raw).map_err(GenError::Symbol)?;
        let mut rng = XorShiftRng::seed_from_u64(seed ^ fnv1a(instrument.symbol.as_bytes()));
        // A start between 20 and 400 in the currency.
        let price = 20.0 + 380.0 * unit(&mut rng);
        Ok(Self {
            market: instrument.market,
            rng,
            price,
        })
    }

    fn step(&mut self, symbol: usize, time_ms: i64) -> GeneratedRow {
        let open = self.price;
        let close = (open * (1.0 + BAR_VOLATILITY * self.normal())).max(0.01);
        let wick_up = BAR_VOLATILITY * 0.5 * self.normal().abs();
        let wick_down = BAR_VOLATILITY * 0.5 * self.normal().abs();
        self.price = close;
        let (open, close) = (
            on_grid(self.market, open, Round::Nearest),
            on_grid(self.market, close, Round::Nearest),
        );
        let high_raw = open.max(close) as f64 / 1000.0 * (1.0 + wick_up);
        let low_raw = open.min(close) as f64 / 1000.0 * (1.0 - wick_down);
        let high = on_grid(self.market, high_raw, Round::Up).max(open.max(close));
        let low = on_grid(self.market, low_raw, Round::Down).min(open.min(close));
        let volume = 100 * (1 + (unit(&mut self.rng) * 200.0) as u64);
        GeneratedRow {
            symbol,
            time_ms,
            open,
            high,
            low,
            close,
            volume,
        }
    }

    /// Mean 0, variance 1, range ±2√3.
    fn normal(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| unit(&mut self.rng)).sum();
        (sum - 2.0) * SQRT_3
    }
}

/// Uniform in [0, 1) from the top 53 bits.
fn unit(rng: &mut XorShiftRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// FNV-1a: a fixed, documented hash, so seeds do not depend on std's randomized hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Iterator over generated bars, from [`generate`].
#[derive(Debug)]
pub struct Generator {
    walks: Vec<Walk>,
    sessions: bool,
    step_ms: i64,
    time_ms: i64,
    next_symbol: usize,
    end_ms: i64,
    rows_left: u64,
}

impl Iterator for Generator {
    type Item = GeneratedRow;

    fn next(&mut self) -> Option<GeneratedRow> {
        while self.rows_left > 0 && self.time_ms < self.end_ms {
            if self.next_symbol == self.walks.len() {
                self.next_symbol = 0;
                self.time_ms = self.time_ms.checked_add(self.step_ms)?;
                continue;
            }
            let symbol = self.next_symbol;
            self.next_symbol += 1;
            let walk = &mut self.walks[symbol];
            if self.sessions && !in_session(walk.market, self.time_ms) {
                continue;
            }
            self.rows_left -= 1;
            return Some(walk.step(symbol, self.time_ms));
        }
        None
    }
}

/// The sample files under `data/bars/`, as (file name, config). `cargo run -p
/// sandtrade-backtest --example sample_bars` writes them; a test checks the committed files match.
pub fn samples() -> Vec<(&'static str, GenConfig)> {
    let us = GenConfig {
        seed: 1,
        ..GenConfig::new(&["AAPL", "MSFT"], Length::Days(3), true)
    };
    let hk = GenConfig {
        seed: 2,
        ..GenConfig::new(&["0700.HK"], Length::Days(3), true)
    };
    vec![("us-aapl-msft-1m.csv", us), ("hk-0700-1m.csv", hk)]
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn csv(config: &GenConfig) -> String {
        let mut out = Vec::new();
        write_csv(config, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn first_rows_of_a_session_file() {
        let text = csv(&GenConfig::new(&["AAPL", "0700.HK"], Length::Bars(4), true));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], "time,symbol,open,high,low,close,volume");
        // HK opens first (01:30 UTC), one bar a minute.
        for (line, time) in lines[1..].iter().zip([
            "2024-01-02T09:30:00+08:00",
            "2024-01-02T09:31:00+08:00",
            "2024-01-02T09:32:00+08:00",
            "2024-01-02T09:33:00+08:00",
        ]) {
            assert!(line.starts_with(&format!("{time},0700.HK,")), "{line}");
        }
    }

    #[test]
    fn sessions_cover_regular_hours_on_weekdays() {
        // 2024-01-02 (Tue) .. 2024-01-08 (Mon): 5 weekdays, the weekend skipped.
        let bars: Vec<GeneratedRow> =
            generate(&GenConfig::new(&["AAPL", "5"], Length::Days(7), true))
                .unwrap()
                .collect();
        let us: Vec<i64> = bars
            .iter()
            .filter(|b| b.symbol == 0)
            .map(|b| b.time_ms)
            .collect();
        let hk: Vec<i64> = bars
            .iter()
            .filter(|b| b.symbol == 1)
            .map(|b| b.time_ms)
            .collect();
        assert_eq!((us.len(), hk.len()), (5 * 390, 5 * 330));
        assert_eq!(format_time(us[0], -300), "2024-01-02T09:30:00-05:00");
        assert_eq!(format_time(us[389], -300), "2024-01-02T15:59:00-05:00");
        assert_eq!(format_time(us[390], -300), "2024-01-03T09:30:00-05:00");
        assert_eq!(format_time(hk[149], 480), "2024-01-02T11:59:00+08:00");
        assert_eq!(format_time(hk[150], 480), "2024-01-02T13:00:00+08:00");
        assert_eq!(
            format_time(*hk.last().unwrap(), 480),
            "2024-01-08T15:59:00+08:00"
        );
        assert!(bars.windows(2).all(|w| w[0].time_ms <= w[1].time_ms));
    }

    #[test]
    fn around_the_clock_with_epoch_times() {
        let config = GenConfig {
            time_format: TimeFormat::EpochMs,
            ..GenConfig::new(&["MSFT", "AAPL"], Length::Bars(3), false)
        };
        let text = csv(&config);
        let times: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(times, ["1704153600000", "1704153600000", "1704153660000"]);
    }

    #[test]
    fn same_config_same_bytes_and_symbols_are_independent() {
        let one = generate(&GenConfig::new(&["AAPL"], Length::Bars(50), false)).unwrap();
        let two = generate(&GenConfig::new(&["AAPL", "MSFT"], Length::Bars(100), false)).unwrap();
        let apple_alone: Vec<_> = one
            .map(|b| (b.time_ms, b.open, b.high, b.low, b.close, b.volume))
            .collect();
        let apple_with_msft: Vec<_> = two
            .filter(|b| b.symbol == 0)
            .map(|b| (b.time_ms, b.open, b.high, b.low, b.close, b.volume))
            .collect();
        assert_eq!(apple_alone, apple_with_msft);
        let config = GenConfig::new(&["AAPL", "0700.HK"], Length::Bars(200), true);
        assert_eq!(csv(&config), csv(&config));
    }

    #[test]
    fn hk_ladder() {
        assert_eq!(
            [
                sehk_tick_thousandths(250),
                sehk_tick_thousandths(251),
                sehk_tick_thousandths(9_990),
                sehk_tick_thousandths(10_020),
                sehk_tick_thousandths(380_000),
                sehk_tick_thousandths(9_000_000)
            ],
            [1, 5, 10, 20, 200, 5_000]
        );
        // 99.98 rounds to 100.00, on the 0.05 grid; 100.04 would round up into the 0.10 band.
        assert_eq!(on_grid(Market::HkStock, 99.98, Round::Nearest), 100_000);
        assert_eq!(on_grid(Market::HkStock, 100.04, Round::Nearest), 100_000);
        assert_eq!(on_grid(Market::HkStock, 100.06, Round::Nearest), 100_100);
        assert_eq!(on_grid(Market::UsStock, 185.125, Round::Up), 185_130);
        assert_eq!(Price(185_120, 2).to_string(), "185.12");
        assert_eq!(Price(5_005, 3).to_string(), "5.005");
    }

    #[test]
    fn bad_configs_are_refused() {
        assert!(matches!(
            generate(&GenConfig::new(&["NOT!"], Length::Bars(1), false)),
            Err(GenError::Symbol(_))
        ));
        assert!(matches!(
            generate(&GenConfig::new(&[], Length::Bars(1), false)),
            Err(GenError::Empty)
        ));
    }

    proptest! {
        #[test]
        fn bars_are_consistent_and_on_the_grid(seed in any::<u64>()) {
            let config = GenConfig { seed, ..GenConfig::new(&["AAPL", "0700.HK", "5"], Length::Bars(300), false) };
            for bar in generate(&config).unwrap() {
                prop_assert!(bar.low > 0 && bar.low <= bar.open.min(bar.close) && bar.high >= bar.open.max(bar.close), "{:?}", bar);
                for p in [bar.open, bar.high, bar.low, bar.close] {
                    let tick = if bar.symbol == 0 { 10 } else { sehk_tick_thousandths(p) };
                    prop_assert_eq!(p % tick, 0, "{} not on the grid in {:?}", p, bar);
                }
            }
        }
    }
}

#[cfg(test)]
mod sample_files {
    use std::path::Path;

    use super::*;
    use crate::{BarReader, SymbolTable};

    /// The committed samples are exactly what the generator makes, and read back whole.
    #[test]
    fn committed_samples_match_the_generator() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/bars");
        for (name, config) in samples() {
            let committed = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut fresh = Vec::new();
            let rows = write_csv(&config, &mut fresh).unwrap();
            assert!(
                committed == fresh,
                "{name} differs from its generator: run `cargo run -p sandtrade-backtest --example sample_bars`"
            );
            assert!(
                committed.len() < 1 << 20,
                "{name} is {} bytes",
                committed.len()
            );
            let table = SymbolTable::from_symbols(&config.symbols).unwrap();
            let (bars, stats) = BarReader::new(committed.as_slice(), table)
                .read_all()
                .unwrap();
            assert_eq!(
                (bars.len() as u64, stats.skipped.len()),
                (rows, 0),
                "{name}"
            );
        }
    }
}
