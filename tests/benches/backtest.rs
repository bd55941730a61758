//! `backtest` throughput: 1,000,000 one-minute AAPL bars through the 10/30 moving-average
//! crossover (`ma-crossover` with its sidecar), parsing included, side by side with a native
//! Rust loop doing the same crossover on the same file, the bar reader alone, and the backtest
//! loop taken apart.
//!
//! `cargo bench -p sandtrade-tests --bench backtest [-- NAME...]`
//!
//! NAMEs pick rows by a part of their label (e.g. `-- backtest::run` to profile only that with
//! `perf record`); without any, every row runs. The bar file is generated once, with
//! `sandtrade_backtest::generate` (the same seeded walk as `sandtrade bars`), into
//! `target/bench-data/`; it is in the page cache after the warm-up. Each row is the median of
//! [`RUNS`] runs, the rows taking turns run by run.
//!
//! The main figure is wall-clock bars per second, what the target is about. Rows with a reader
//! thread use two CPUs, and on a loaded machine the wall clock also counts waiting for one, so
//! a second table gives CPU time per bar: of the main thread (the strategy's side) and of the
//! whole process (reader thread included). On an idle 2-CPU machine the wall-clock rate of a
//! `BarFeed` row approaches the slower of its two threads, which a third table gives.
//!
//! Rows:
//! - `backtest::run`: the real thing in-process (engine, compile from the cache, the replay
//!   with fuel, the live risk rules, the simulated account), timed by the outcome's replay time
//!   (as `sandtrade backtest` prints it) and end to end; once delivering bars in `on-bars`
//!   batches (the default) and once one `on-bar` call per bar (`Delivery::OneBarAtATime`), with
//!   the ratio of the two printed after the tables (the runs must trade the same fills);
//! - `native crossover, csv crate`: the reference, one thread: the `csv` crate, `time`'s
//!   RFC 3339 parser, std's float parser and the SDK's own `Sma` compiled natively;
//! - `native crossover on BarFeed`: the same native crossover on our reader;
//! - `BarFeed` / `BarReader`: our reader alone, on its own thread / on this one;
//! - `BarFeed + Sim`: the backtest loop without the strategy;
//! - `BarFeed + Sim + empty guest`: with the `empty` guest called per bar under fuel, with the
//!   bar's symbol `AAPL` or empty: what the symbol string costs in the loop; and given the bars
//!   in `on-bars` calls of [`FIRST_BATCH_BARS`] (the backtest's shortest batch) and of
//!   [`MAX_BATCH_BARS`] (its longest): what a call per bar costs, and what a bar in a call costs.
//!
//! Then, as a user runs it (`-- process` for only this): the whole `sandtrade backtest` process
//! (built in release by cargo first) against the reference as a whole process (this binary run
//! with `--native-process`, writing its crossings to a CSV file), wall clock, in turns, and
//! their ratio run by run.

mod support;

use std::collections::BTreeMap;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bench_kit::{Samples, Stopwatch, Table, Target, ns_per, per_second};
use sandtrade_backtest::generate::{GenConfig, Length, write_csv};
use sandtrade_backtest::{
    BacktestSpec, BarFeed, BarReader, Delivery, Sim, SimConfig, SymbolTable,
    run::{DEFAULT_FUEL_PER_CALL, FIRST_BATCH_BARS, MAX_BATCH_BARS},
};
use sandtrade_guest::indicators::Sma;
use sandtrade_runtime::{BarBatch, CompileCache, CpuBudget, SandboxConfig, sidecar};
use sandtrade_tests::guests;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const BARS: u64 = 1_000_000;
// A row's label names the backtest's longest batch.
const _: () = assert!(FIRST_BATCH_BARS == 16 && MAX_BATCH_BARS == 256);
const RUNS: usize = 5;
/// The throughput target, parsing included.
const TARGET_BARS_PER_S: f64 = 6_500_000.0;

/// Bars in the file that measures what a whole process costs besides its bars.
const FEW_BARS: u64 = 100;

/// The bar file, generated on first use: `target/bench-data/aapl-1m-1000000.csv`.
fn bar_file() -> PathBuf {
    bar_file_of(BARS)
}

/// A file of `bars` one-minute AAPL bars, generated on first use into `target/bench-data`.
fn bar_file_of(bars: u64) -> PathBuf {
    let dir = target_dir().join("bench-data");
    let path = dir.join(format!("aapl-1m-{bars}.csv"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("create target/bench-data");
        let partial = path.with_extension("csv.partial");
        let config = GenConfig::new(&["AAPL"], Length::Bars(bars), false);
        let file = File::create(&partial).expect("create the bar file");
        let rows = write_csv(&config, std::io::BufWriter::new(file)).expect("write bars");
        assert_eq!(rows, bars);
        std::fs::rename(&partial, &path).expect("rename the bar file");
    }
    path
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| xtask::workspace_root().join("target"))
}

fn aapl() -> SymbolTable {
    SymbolTable::from_symbols(&["AAPL"]).expect("a US ticker")
}

/// One replay of `ma-crossover` by `sandtrade_backtest::run`: (replay time, end to end).
struct Backtest {
    spec: BacktestSpec,
    cache: CompileCache,
}

impl Backtest {
    fn new(bars: &Path) -> Self {
        let strategy = guests::wasm("ma-crossover");
        let sidecar = sidecar::load_for(&strategy)
            .expect("the sidecar parses")
            .expect("ma-crossover ships a sidecar");
        assert!(
            sidecar.params.contains(&("fast".into(), "10".into()))
                && sidecar.params.contains(&("slow".into(), "30".into())),
            "the sidecar is the 10/30 crossover: {:?}",
            sidecar.params
        );
        let spec = BacktestSpec {
            strategy,
            bars: bars.to_owned(),
            params: sidecar.params,
            limits: sidecar.limits,
            lots: sandtrade_core::LotTable::builtin(),
            sim: SimConfig::default(),
            sandbox: SandboxConfig::default(),
            fuel_per_call: DEFAULT_FUEL_PER_CALL,
        };
        let cache = CompileCache::new(target_dir().join("bench-data").join("wasm-cache"))
            .expect("cache dir");
        Self { spec, cache }
    }

    /// One run delivering bars as `delivery` says: the replay time, the time end to end, and
    /// the outcome.
    fn run(&self, delivery: Delivery) -> (Duration, Duration, sandtrade_backtest::BacktestOutcome) {
        let started = Instant::now();
        let outcome =
            sandtrade_backtest::run_with(&self.spec, Some(&self.cache), delivery, &mut |_| {})
                .expect("runs");
        let total = started.elapsed();
        assert_eq!(
            outcome.metadata.name, "ma-crossover",
            "{}",
            outcome.metadata
        );
        assert!(outcome.faults.is_empty(), "{:?}", outcome.faults);
        assert_eq!(outcome.report.bars, BARS);
        (outcome.elapsed, total, outcome)
    }
}

/// The runs of `backtest::run` one way of delivering bars: their replay rates, and what the
/// last one traded and how many calls it made.
struct Deliveries {
    label: &'static str,
    delivery: Delivery,
    replay: Samples,
    fills: Vec<sandtrade_backtest::Fill>,
    calls: u64,
}

impl Deliveries {
    fn new(label: &'static str, delivery: Delivery) -> std::cell::RefCell<Self> {
        std::cell::RefCell::new(Self {
            label,
            delivery,
            replay: Samples::new(),
            fills: Vec::new(),
            calls: 0,
        })
    }

    /// One run of `backtest`; returns the bars.
    fn run(&mut self, backtest: &Backtest) -> u64 {
        let (replay_time, _total, outcome) = backtest.run(self.delivery);
        self.replay.push(per_second(replay_time, BARS));
        self.fills = outcome.report.fills;
        self.calls = outcome.bar_calls;
        BARS
    }
}

/// The 10/30 crossover of `ma-crossover`, natively, with the SDK's own `Sma`: counts the
/// crossings it would trade on.
struct NativeCrossover {
    averages: BTreeMap<String, (Sma, Sma, Option<bool>)>,
    crossings: u64,
    /// Whether the fast average went above the slow one at the last crossing.
    last_up: bool,
}

impl NativeCrossover {
    fn new() -> Self {
        let averages = [("AAPL".to_owned(), (Sma::new(10), Sma::new(30), None))].into();
        Self {
            averages,
            crossings: 0,
            last_up: false,
        }
    }

    /// Whether the averages crossed on this bar.
    fn on_bar(&mut self, symbol: &str, close: f64) -> bool {
        let Some((fast, slow, fast_above)) = self.averages.get_mut(symbol) else {
            return false;
        };
        let (fast, slow) = (fast.update(close), slow.update(close));
        let (Some(fast), Some(slow)) = (fast, slow) else {
            return false;
        };
        let above = fast > slow;
        let crossed = fast_above.replace(above).is_some_and(|was| was != above);
        if crossed {
            self.crossings += 1;
            self.last_up = above;
        }
        crossed
    }
}

/// The reference: a native loop over the file with the `csv` crate.
fn native_csv(path: &Path) -> u64 {
    native_csv_with(path, |_, _, _, _| {})
}

/// [`native_csv`], calling `on_crossing(time, symbol, up, close)` at each crossing.
fn native_csv_with(path: &Path, mut on_crossing: impl FnMut(&str, &str, bool, f64)) -> u64 {
    let file = BufReader::new(File::open(path).expect("open"));
    let mut reader = csv::ReaderBuilder::new().from_reader(file);
    let mut record = csv::ByteRecord::new();
    let mut strategy = NativeCrossover::new();
    let number = |b: &[u8]| -> f64 {
        std::str::from_utf8(b)
            .expect("utf-8")
            .parse()
            .expect("number")
    };
    let mut bars = 0;
    while reader.read_byte_record(&mut record).expect("valid csv") {
        let time = std::str::from_utf8(&record[0]).expect("utf-8");
        let time_ms = (OffsetDateTime::parse(time, &Rfc3339)
            .expect("RFC 3339 time")
            .unix_timestamp_nanos()
            / 1_000_000) as i64;
        let symbol = std::str::from_utf8(&record[1]).expect("utf-8");
        let (open, high, low, close, volume) = (
            number(&record[2]),
            number(&record[3]),
            number(&record[4]),
            number(&record[5]),
            number(&record[6]),
        );
        black_box((time_ms, open, high, low, volume));
        if strategy.on_bar(symbol, close) {
            on_crossing(time, symbol, strategy.last_up, close);
        }
        bars += 1;
    }
    black_box(strategy.crossings);
    bars
}

/// The same native crossover on our reader.
fn native_feed(path: &Path) -> u64 {
    let mut strategy = NativeCrossover::new();
    let mut bars = 0;
    for bar in BarFeed::open(path, aapl()).expect("open") {
        let bar = bar.expect("valid file");
        strategy.on_bar("AAPL", black_box(bar).bar.close);
        bars += 1;
    }
    black_box(strategy.crossings);
    bars
}

fn feed_alone(path: &Path) -> u64 {
    let mut bars = 0;
    for bar in BarFeed::open(path, aapl()).expect("open") {
        black_box(bar.expect("valid file"));
        bars += 1;
    }
    bars
}

fn reader_alone(path: &Path) -> u64 {
    let mut reader = BarReader::new(File::open(path).expect("open"), aapl());
    let mut batch = Vec::with_capacity(4096);
    let mut bars = 0;
    loop {
        batch.clear();
        let more = reader.read_batch(&mut batch, 4096).expect("valid file");
        bars += batch.len() as u64;
        black_box(&batch);
        if !more {
            return bars;
        }
    }
}

/// The replay loop without the strategy: feed, fills at the open, mark at the close.
fn feed_and_sim(path: &Path) -> u64 {
    let mut sim = Sim::new(&SimConfig::default(), aapl()).expect("valid config");
    let mut bars = 0;
    for bar in BarFeed::open(path, aapl()).expect("open") {
        let bar = bar.expect("valid file");
        black_box(sim.open(&bar));
        sim.mark(&bar);
        bars += 1;
    }
    bars
}

/// The replay loop with the `empty` guest called per bar under fuel, its bar carrying `symbol`.
struct EmptyGuestLoop {
    runtime: sandtrade_runtime::Runtime,
    prepared: sandtrade_runtime::PreparedStrategy<support::AcceptAll>,
}

impl EmptyGuestLoop {
    fn new() -> Self {
        let runtime = support::runtime(CpuBudget::Fuel {
            per_call: DEFAULT_FUEL_PER_CALL,
        });
        let prepared = support::prepare(&runtime, &guests::wasm("empty"));
        Self { runtime, prepared }
    }

    fn run(&self, path: &Path, symbol: &str) -> u64 {
        self.run_batched(path, symbol, 1)
    }

    /// As [`Self::run`], the bars in `on-bars` calls of `batch` bars (one `on-bar` call each
    /// when `batch` is 1).
    fn run_batched(&self, path: &Path, symbol: &str, batch: usize) -> u64 {
        let mut instance = support::start(&self.runtime, &self.prepared, &[]);
        let mut sim = Sim::new(&SimConfig::default(), aapl()).expect("valid config");
        let mut guest_bars = vec![support::guest_bar(symbol, 0, 0.0); batch];
        let mut on_bars = BarBatch::new();
        let mut rows = Vec::with_capacity(batch);
        let mut bars = 0;
        let mut feed = BarFeed::open(path, aapl()).expect("open");
        loop {
            rows.clear();
            rows.extend(
                feed.by_ref()
                    .take(batch)
                    .map(|bar| bar.expect("valid file")),
            );
            if rows.is_empty() {
                return bars;
            }
            for (row, guest_bar) in rows.iter().zip(&mut guest_bars) {
                black_box(sim.open(row));
                guest_bar.start_ms = row.bar.start_ms;
                guest_bar.open = row.bar.open;
                guest_bar.high = row.bar.high;
                guest_bar.low = row.bar.low;
                guest_bar.close = row.bar.close;
                guest_bar.volume = row.bar.volume;
            }
            if batch == 1 {
                instance.on_bar(&guest_bars[0]).expect("a benign call");
            } else {
                on_bars.clear();
                for guest_bar in &guest_bars[..rows.len()] {
                    on_bars.push(guest_bar);
                }
                let (consumed, _) = instance.on_bars(&on_bars).expect("a benign call");
                assert_eq!(consumed, rows.len(), "the empty guest emits nothing");
            }
            for row in &rows {
                sim.mark(row);
            }
            bars += rows.len() as u64;
        }
    }
}

/// A row: its label, how one run goes (returning the bars read), and its samples.
struct Row<'a> {
    label: &'static str,
    run: Box<dyn FnMut() -> u64 + 'a>,
    target: Target,
    /// Wall-clock bars/s.
    rate: Samples,
    /// CPU ns per bar: this thread, the process.
    thread_ns: Samples,
    process_ns: Samples,
}

impl<'a> Row<'a> {
    fn new(label: &'static str, target: Target, run: impl FnMut() -> u64 + 'a) -> Self {
        Self {
            label,
            run: Box::new(run),
            target,
            rate: Samples::new(),
            thread_ns: Samples::new(),
            process_ns: Samples::new(),
        }
    }
}

/// The reference as a process, what `--native-process BARS OUT` runs: [`native_csv`], writing
/// each crossing to `OUT/trades.csv` as the backtest writes its trades.
fn native_process(bars: &Path, out: &Path) {
    std::fs::create_dir_all(out).expect("create the output directory");
    let file = File::create(out.join("trades.csv")).expect("create trades.csv");
    let mut trades = std::io::BufWriter::new(file);
    writeln!(trades, "time,symbol,side,price").expect("write");
    native_csv_with(bars, |time, symbol, up, close| {
        let side = if up { "buy" } else { "sell" };
        writeln!(trades, "{time},{symbol},{side},{close:.4}").expect("write");
    });
    trades.flush().expect("write trades.csv");
}

/// `sandtrade`, built in release by cargo (as `cargo xtask demo` does; a no-op when it is fresh).
fn sandtrade_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "sandtrade",
            "--bin",
            "sandtrade",
        ])
        .current_dir(xtask::workspace_root())
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "cargo could not build sandtrade: {status}"
    );
    target_dir().join("release").join("sandtrade")
}

/// As a user runs it: the whole `sandtrade backtest` process (start, compile-cache load,
/// replay, writing `trades.csv` and `equity.svg`) against the reference as a whole process,
/// wall clock, run by run in turns; prints both and their ratio.
fn processes(bars: &Path) {
    let sandtrade = sandtrade_binary();
    let strategy = guests::wasm("ma-crossover");
    let dir = target_dir().join("bench-data").join("processes");
    let cache = dir.join("wasm-cache");
    let bench = std::env::current_exe().expect("the bench's own path");
    let run = |command: &mut Command| -> Duration {
        let started = Instant::now();
        let output = command.output().expect("start the process");
        let took = started.elapsed();
        assert!(
            output.status.success(),
            "{command:?}: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        took
    };
    let native_run = |bars: &Path| {
        run(Command::new(&bench)
            .arg("--native-process")
            .arg(bars)
            .arg(dir.join("native")))
    };
    let cli_run = |bars: &Path| {
        run(Command::new(&sandtrade)
            .args(["backtest", "--quiet", "--bars"])
            .arg(bars)
            .arg("--out")
            .arg(dir.join("sandtrade"))
            .arg("--cache-dir")
            .arg(&cache)
            .arg(&strategy))
    };
    let few = bar_file_of(FEW_BARS);
    let mut native = Samples::new();
    let mut cli = Samples::new();
    let mut ratios = Samples::new();
    let (mut native_fixed, mut cli_fixed) = (Samples::new(), Samples::new());
    // Round 0 warms up (and fills the compile cache, as a user's first run does).
    for round in 0..=RUNS {
        let native_took = native_run(bars);
        let cli_took = cli_run(bars);
        // What a process costs besides its bars: the same on a file of a hundred.
        let native_few = native_run(&few);
        let cli_few = cli_run(&few);
        if round > 0 {
            native.push(per_second(native_took, BARS));
            cli.push(per_second(cli_took, BARS));
            ratios.push(native_took.as_secs_f64() / cli_took.as_secs_f64());
            native_fixed.push(native_few.as_secs_f64() * 1e3);
            cli_fixed.push(cli_few.as_secs_f64() * 1e3);
        }
    }
    let mut table = Table::new(
        format!("as a user runs it: whole processes, wall clock, median of {RUNS} runs, in turns"),
        "bars/s",
        Target::AtLeast(TARGET_BARS_PER_S),
    );
    table.extra_column("ms/run");
    let ms = |rates: &Samples| -> Samples {
        rates
            .values()
            .iter()
            .map(|r| BARS as f64 / r * 1e3)
            .collect()
    };
    table.row_with_extra(
        "native reference process (csv crate, writes its crossings)",
        &native,
        Target::None,
        Some(&ms(&native)),
    );
    table.row_with_extra(
        "sandtrade backtest process (ma-crossover, trades.csv, equity.svg)",
        &cli,
        Target::AtLeast(TARGET_BARS_PER_S),
        Some(&ms(&cli)),
    );
    table.print();
    println!(
        "sandtrade backtest vs the native reference, whole processes: {:.2}x (median of {} runs; \
         [{:.2}x, {:.2}x] p25-p75; above 1 the backtest is faster)",
        ratios.median(),
        ratios.len(),
        ratios.quantile(0.25),
        ratios.quantile(0.75),
    );
    if cli.median() < TARGET_BARS_PER_S {
        print_process_limits(&native, &cli, &native_fixed, &cli_fixed);
    }
}

/// Where a backtest process that misses the target loses its time, from this run: the
/// machine (the reference's own rate), and the process's fixed costs (a run over a file of
/// [`FEW_BARS`]), without which its rate is the replay's.
fn print_process_limits(
    native: &Samples,
    cli: &Samples,
    native_fixed: &Samples,
    cli_fixed: &Samples,
) {
    let ms = |rate: f64| BARS as f64 / rate * 1e3;
    let (cli_ms, fixed_ms) = (ms(cli.median()), cli_fixed.median());
    println!(
        "what limits it: of the backtest process's {cli_ms:.1} ms, {fixed_ms:.1} ms are fixed \
         (start, engine, compile cache, the output files: the same process on {FEW_BARS} bars; \
         the native reference's {:.1} ms); without them it runs {} bars/s",
        native_fixed.median(),
        bench_kit::figure(BARS as f64 / (cli_ms - fixed_ms) * 1e3)
    );
    if native.median() < TARGET_BARS_PER_S {
        println!(
            "and this machine: the native reference process itself ran {} bars/s in this run, \
             below the target",
            bench_kit::figure(native.median())
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, bars, out] = &args[..]
        && flag == "--native-process"
    {
        native_process(Path::new(bars), Path::new(out));
        return;
    }
    support::header(
        "backtest throughput, 1,000,000 one-minute bars, 10/30 SMA crossover",
        "cargo bench -p sandtrade-tests --bench backtest",
    );
    let path = bar_file();
    let size = std::fs::metadata(&path).expect("stat").len();
    println!(
        "bar file: {} ({:.1} MB)\n",
        path.display(),
        size as f64 / 1e6
    );
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();

    let backtest = Backtest::new(&path);
    let empty_loop = EmptyGuestLoop::new();
    let batches = Deliveries::new(
        "backtest::run, ma-crossover, on-bars batches",
        Delivery::Batches,
    );
    let one_by_one = Deliveries::new(
        "backtest::run, ma-crossover, one on-bar per bar",
        Delivery::OneBarAtATime,
    );
    let mut rows = vec![
        Row::new(
            "native crossover, csv crate (the reference)",
            Target::None,
            || native_csv(&path),
        ),
        Row::new(
            "backtest::run, ma-crossover, on-bars batches (end to end, incl. load)",
            Target::AtLeast(TARGET_BARS_PER_S),
            || batches.borrow_mut().run(&backtest),
        ),
        Row::new(
            "backtest::run, ma-crossover, one on-bar per bar (end to end, incl. load)",
            Target::AtLeast(TARGET_BARS_PER_S),
            || one_by_one.borrow_mut().run(&backtest),
        ),
        Row::new("native crossover on BarFeed", Target::None, || {
            native_feed(&path)
        }),
        Row::new(
            "BarFeed alone (reader thread + channel)",
            Target::None,
            || feed_alone(&path),
        ),
        Row::new("BarReader alone (this thread)", Target::None, || {
            reader_alone(&path)
        }),
        Row::new("BarFeed + Sim (no strategy)", Target::None, || {
            feed_and_sim(&path)
        }),
        Row::new(
            "BarFeed + Sim + empty guest, symbol \"AAPL\"",
            Target::None,
            || empty_loop.run(&path, "AAPL"),
        ),
        Row::new(
            "BarFeed + Sim + empty guest, symbol \"\"",
            Target::None,
            || empty_loop.run(&path, ""),
        ),
        Row::new(
            "BarFeed + Sim + empty guest, \"AAPL\", on-bars of 16",
            Target::None,
            || empty_loop.run_batched(&path, "AAPL", FIRST_BATCH_BARS),
        ),
        Row::new(
            "BarFeed + Sim + empty guest, \"AAPL\", on-bars of 256",
            Target::None,
            || empty_loop.run_batched(&path, "AAPL", MAX_BATCH_BARS),
        ),
    ];
    rows.retain(|row| filters.is_empty() || filters.iter().any(|f| row.label.contains(f)));

    for round in 0..=RUNS {
        for row in &mut rows {
            let watch = Stopwatch::start();
            let bars = (row.run)();
            let lap = watch.lap();
            assert_eq!(bars, BARS, "{}", row.label);
            if round > 0 {
                // Round 0 warms up.
                row.rate.push(per_second(lap.wall, bars));
                row.thread_ns.push(ns_per(lap.thread_cpu, bars));
                row.process_ns.push(ns_per(lap.process_cpu, bars));
            }
        }
        if round == 0 {
            // The warm-up's.
            batches.borrow_mut().replay = Samples::new();
            one_by_one.borrow_mut().replay = Samples::new();
        }
    }

    let mut table = Table::new(
        format!("wall-clock throughput: median of {RUNS} runs, rows interleaved"),
        "bars/s",
        Target::AtLeast(TARGET_BARS_PER_S),
    );
    table.extra_column("wall ns/bar");
    for row in &rows {
        let ns: Samples = row.rate.values().iter().map(|rate| 1e9 / rate).collect();
        table.row_with_extra(row.label, &row.rate, row.target, Some(&ns));
        for deliveries in [&batches, &one_by_one] {
            let deliveries = deliveries.borrow();
            if row.label.starts_with(deliveries.label) && !deliveries.replay.is_empty() {
                // What `sandtrade backtest` prints: the replay alone, after loading.
                let replay = &deliveries.replay;
                let ns: Samples = replay.values().iter().map(|rate| 1e9 / rate).collect();
                table.row_with_extra(
                    format!("{} (replay only, as the CLI prints)", deliveries.label),
                    replay,
                    Target::AtLeast(TARGET_BARS_PER_S),
                    Some(&ns),
                );
            }
        }
    }
    table.print();

    let mut cpu = Table::new(
        format!("CPU time per bar: median of {RUNS} runs (same runs)"),
        "ns/bar",
        Target::None,
    );
    cpu.extra_column("all threads ns/bar");
    for row in &rows {
        cpu.row_with_extra(
            format!("{} — main thread", row.label),
            &row.thread_ns,
            Target::None,
            Some(&row.process_ns),
        );
    }
    cpu.print();

    // Each run's rate if each of its threads had a CPU to itself: the busiest thread's CPU
    // time per bar decides (the main thread, or the reader: the rest of the process).
    let mut idle = Table::new(
        format!(
            "throughput with a CPU per thread: 1e9 / (CPU ns/bar of the busiest thread), median \
             of {RUNS} runs (what an idle 2-CPU machine would approach)"
        ),
        "bars/s",
        Target::AtLeast(TARGET_BARS_PER_S),
    );
    for row in &rows {
        let rates: Samples = row
            .thread_ns
            .values()
            .iter()
            .zip(row.process_ns.values())
            .map(|(&main, &all)| 1e9 / main.max(all - main))
            .collect();
        idle.row_with_target(row.label, &rates, row.target);
    }
    idle.print();
    compare_deliveries(&batches.borrow(), &one_by_one.borrow());
    if filters.is_empty() || filters.iter().any(|f| "process".contains(f.as_str())) {
        println!();
        processes(&path);
    }
}

/// Batches against one call per bar, from the runs of both (interleaved): the ratio of their
/// replay rates, run by run; and they must have traded the same fills.
fn compare_deliveries(batches: &Deliveries, one_by_one: &Deliveries) {
    for deliveries in [batches, one_by_one] {
        if !deliveries.fills.is_empty() {
            println!(
                "{}: {} fills per run, {} strategy calls for {BARS} bars",
                deliveries.label,
                deliveries.fills.len(),
                deliveries.calls
            );
        }
    }
    if batches.replay.is_empty() || one_by_one.replay.is_empty() {
        return;
    }
    assert_eq!(
        batches.fills, one_by_one.fills,
        "batches and one call per bar must trade the same fills"
    );
    let ratios: Samples = batches
        .replay
        .values()
        .iter()
        .zip(one_by_one.replay.values())
        .map(|(batched, single)| batched / single)
        .collect();
    println!(
        "on-bars batches vs one on-bar per bar (replay only): {:.2}x (median of {} runs; \
         [{:.2}x, {:.2}x] p25-p75); {} vs {} bars/s",
        ratios.median(),
        ratios.len(),
        ratios.quantile(0.25),
        ratios.quantile(0.75),
        bench_kit::figure(batches.replay.median()),
        bench_kit::figure(one_by_one.replay.median()),
    );
}
