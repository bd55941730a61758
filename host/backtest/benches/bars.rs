//! Bars per second of the bar reader, side by side with a `csv`-crate baseline, and of the
//! non-wasm part of a backtest loop (feed + simulator).
//!
//! `cargo bench -p sandtrade-backtest --bench bars`
//!
//! Input: 1,000,000 one-minute AAPL bars from the generator, RFC 3339 times (and the same with
//! epoch-ms times), in a temporary file (so in the page cache after the first pass). Each figure
//! is the median of 7 runs, after one warm-up.

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use bench_kit::{Samples, ns_per, per_second};
use sandtrade_backtest::generate::{GenConfig, Length, TimeFormat, write_csv};
use sandtrade_backtest::{BarFeed, BarReader, Sim, SimConfig, SymbolTable};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const BARS: u64 = 1_000_000;
const RUNS: usize = 7;

fn median_time(mut run: impl FnMut() -> u64) -> Duration {
    assert_eq!(run(), BARS, "warm-up read every bar");
    let seconds: Samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let n = run();
            let elapsed = start.elapsed();
            assert_eq!(n, BARS);
            elapsed.as_secs_f64()
        })
        .collect();
    Duration::from_secs_f64(seconds.median())
}

fn report(name: &str, time: Duration, baseline: Option<Duration>) -> Duration {
    let per_bar = ns_per(time, BARS);
    let rate = per_second(time, BARS) / 1e6;
    let ratio = baseline.map_or(String::new(), |b| {
        format!(
            "   {:.2}x the csv baseline",
            b.as_secs_f64() / time.as_secs_f64()
        )
    });
    println!("{name:<58} {rate:>6.2} M bars/s  {per_bar:>6.1} ns/bar{ratio}");
    time
}

fn table() -> SymbolTable {
    SymbolTable::from_symbols(&["AAPL"]).expect("valid")
}

/// Our reader in this thread.
fn reader(path: &Path) -> u64 {
    let mut reader = BarReader::new(File::open(path).expect("open"), table());
    let mut batch = Vec::with_capacity(4096);
    let mut n = 0;
    loop {
        batch.clear();
        let more = reader.read_batch(&mut batch, 4096).expect("valid file");
        n += batch.len() as u64;
        black_box(&batch);
        if !more {
            return n;
        }
    }
}

/// Our reader on its thread; this thread only takes the bars.
fn feed(path: &Path) -> u64 {
    let mut n = 0;
    for bar in BarFeed::open(path, table()).expect("open") {
        black_box(bar.expect("valid file"));
        n += 1;
    }
    n
}

/// Feed plus the simulator's per-bar work: what a backtest costs before the strategy call.
fn feed_and_sim(path: &Path) -> u64 {
    let mut sim = Sim::new(&SimConfig::default(), table()).expect("valid");
    let mut n = 0;
    for bar in BarFeed::open(path, table()).expect("open") {
        let bar = bar.expect("valid file");
        black_box(sim.open(&bar));
        sim.mark(&bar);
        n += 1;
    }
    n
}

/// Baseline: the `csv` crate (byte records, reused) with std float parsing and the `time`
/// crate's RFC 3339 parser, or an integer parse for epoch times.
fn csv_baseline(path: &Path) -> u64 {
    let mut reader =
        csv::ReaderBuilder::new().from_reader(BufReader::new(File::open(path).expect("open")));
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    let number = |b: &[u8]| {
        std::str::from_utf8(b)
            .expect("utf-8")
            .parse::<f64>()
            .expect("number")
    };
    while reader.read_byte_record(&mut record).expect("valid file") {
        let time = std::str::from_utf8(&record[0]).expect("utf-8");
        let ms = match time.parse::<i64>() {
            Ok(ms) => ms,
            Err(_) => {
                (OffsetDateTime::parse(time, &Rfc3339)
                    .expect("time")
                    .unix_timestamp_nanos()
                    / 1_000_000) as i64
            }
        };
        let symbol = &record[1];
        let prices = [
            number(&record[2]),
            number(&record[3]),
            number(&record[4]),
            number(&record[5]),
            number(&record[6]),
        ];
        black_box((ms, symbol, prices));
        n += 1;
    }
    n
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (format, label) in [
        (TimeFormat::Rfc3339, "RFC 3339 times"),
        (TimeFormat::EpochMs, "epoch-ms times"),
    ] {
        let path = dir.path().join("bars.csv");
        let config = GenConfig {
            time_format: format,
            ..GenConfig::new(&["AAPL"], Length::Bars(BARS), false)
        };
        write_csv(&config, File::create(&path).expect("create")).expect("write");
        let size = std::fs::metadata(&path).expect("stat").len();
        println!(
            "\n1,000,000 one-minute bars, {label}, {:.1} MB",
            size as f64 / 1e6
        );
        let baseline = report(
            "csv crate + std::parse + time::parse (baseline)",
            median_time(|| csv_baseline(&path)),
            None,
        );
        report(
            "BarReader, this thread",
            median_time(|| reader(&path)),
            Some(baseline),
        );
        report(
            "BarFeed, reader thread -> this thread",
            median_time(|| feed(&path)),
            Some(baseline),
        );
        report(
            "BarFeed + Sim::open/mark (a backtest minus the strategy)",
            median_time(|| feed_and_sim(&path)),
            Some(baseline),
        );
    }
}
