//! The same strategy in each language, side by side: the 10/30 moving-average crossover written
//! in Rust (`example-strategies/ma-crossover`), Python (`ma-crossover-py`) and TypeScript
//! (`ma-crossover-ts`), and, for reference, the same logic in backtrader and backtesting.py
//! running natively in CPython.
//!
//! `cargo bench -p sandtrade --bench languages`
//!
//! What it does, in order:
//!
//! 1. Builds the Python and TypeScript examples with `sandtrade build`'s code
//!    ([`sandtrade::build::build`], the repository's toolchain) into
//!    `target/bench-languages/<stem>-<hash of the sources>/`, once per change of their sources,
//!    the SDK or the WIT (their builds are not reproducible, so rebuilding every run would also
//!    recompile them: ~16 s of cranelift for a Python component). The Rust one is
//!    `cargo xtask guests`'s `ma_crossover.wasm`. Each with its sidecar (params and limits).
//! 2. Generates one bar file with `sandtrade_backtest::generate` (seed 1, as `sandtrade bars`
//!    writes it): 1,000,000 one-minute bars of AAPL and MSFT, interleaved, around the clock,
//!    `target/bench-languages/aapl-msft-1m-1000000.csv`.
//! 3. `backtest`: `sandtrade_backtest::run` in-process, with the spec `sandtrade backtest`
//!    makes (sidecar params, default limits made stricter by the sidecar's, default account,
//!    default fuel per call), on the whole file; bars/s of the replay as the CLI prints it
//!    (reading and parsing included: the reader runs on its own thread). Rust is the median
//!    of [`RUST_RUNS`] runs, Python and TypeScript one run each (tens of seconds). The three
//!    must produce the same fills, row for row.
//! 4. `on-bar`: one warm instance per language (its averages filled), each call timed on its
//!    own, fed a bar whose close never changes: both averages equal, so no crossing, no host
//!    call: the price of the call and of the strategy's bookkeeping. Languages take turns in
//!    rounds of [`ON_BAR_BATCH`] calls. Under the live engine (epoch deadlines) and the
//!    backtest's (fuel).
//! 5. `instantiate` and resident memory: in a fresh child process per language (this binary,
//!    re-run as `child instantiate ...`; [`CHILD_RUNS`] each), the compiled component from the
//!    compile cache on the live engine with the default `[sandbox]`, linked once (as the host
//!    links a build once for all its instances), each instance on a paper desk made before the
//!    clock starts; one instance started and kept (the first in a process maps the code and the pool's slot), then [`INSTANCES`]
//!    more, each `start` (instantiate + describe + init) timed, each then fed [`RSS_BARS`]
//!    bars; `VmRSS` before and after, divided by [`INSTANCES`].
//! 6. The reference points: `benches/languages/reference.py` in `target/bench-venv` (made
//!    with `python3 -m venv` and `requirements.txt` when missing): backtesting.py on the
//!    whole file, backtrader on its first [`BACKTRADER_ROWS`] bars (it runs at ~8,000 bars/s;
//!    the whole file would take two minutes); their rate is bars ÷ run time, CSV parsing
//!    excluded (timed apart).
//!
//! Then one table: bars/s, ratios, on-bar p50/p99, instantiate, RSS per instance.

use std::collections::BTreeMap;
use std::fs::File;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_kit::child::{run_child, samples_of};
use bench_kit::{Machine, Rss, Samples, Stopwatch, figure, per_second};
use sandtrade::build::{Toolchain, build};
use sandtrade_backtest::generate::{GenConfig, Length, write_csv};
use sandtrade_backtest::run::DEFAULT_FUEL_PER_CALL;
use sandtrade_backtest::{
    BacktestDesk, BacktestOutcome, BacktestSettings, BacktestSpec, SimConfig,
};
use sandtrade_core::LotTable;
use sandtrade_risk::Limits;
use sandtrade_runtime::{
    CompileCache, CpuBudget, PreparedStrategy, Runtime, SandboxConfig, compile::CompiledStrategy,
    compile_file, linker, sidecar,
};
use sandtrade_tests::guests;
use sandtrade_tests::paper::{aapl_bar, start_compiled};
use serde_json::Value;
use sha2::{Digest, Sha256};

const COMMAND: &str = "cargo bench -p sandtrade --bench languages";
/// Bars in the file.
const BARS: u64 = 1_000_000;
/// Runs of the Rust backtest (a third of a second each); the interpreters' run once.
const RUST_RUNS: usize = 5;
/// backtrader's slice of the file.
const BACKTRADER_ROWS: u64 = 100_000;
/// Timed `on-bar` calls per language and engine, in rounds of [`ON_BAR_BATCH`].
const ON_BAR_CALLS: usize = 20_000;
const ON_BAR_BATCH: usize = 1_000;
/// Calls before timing: the averages fill (30 bars) and the code warms.
const ON_BAR_WARMUP: usize = 1_000;
/// Instances started in each child process (besides the first).
const INSTANCES: usize = 20;
/// Bars each of them takes after starting (its averages fill).
const RSS_BARS: usize = 40;
/// Child processes per language.
const CHILD_RUNS: usize = 3;
/// The target for a Python strategy's start.
const TARGET_PYTHON_START_MS: f64 = 5.0;

/// One of the three strategies.
struct Lang {
    label: &'static str,
    /// The component, its sidecar beside it.
    wasm: PathBuf,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        return child(&args[1..]);
    }
    println!("strategies by language: the 10/30 SMA crossover in Rust, Python, TypeScript");
    println!("command: {COMMAND}");
    println!("machine: {}", Machine::now());
    println!();
    let started = Instant::now();

    let dir = target_dir().join("bench-languages");
    std::fs::create_dir_all(&dir).expect("target/bench-languages is writable");
    let langs = [
        Lang {
            label: "Rust",
            wasm: guests::wasm("ma-crossover"),
        },
        Lang {
            label: "Python",
            wasm: built("ma-crossover-py", &dir),
        },
        Lang {
            label: "TypeScript",
            wasm: built("ma-crossover-ts", &dir),
        },
    ];
    let bars = bar_file(&dir);
    let cache = CompileCache::new(dir.join("compile-cache")).expect("the cache directory");
    warm_compile_cache(&langs, &cache);

    let backtests = backtests(&langs, &bars, &cache);
    let on_bar = on_bar_costs(&langs, &cache);
    let starts = instantiate_costs(&langs, &dir.join("compile-cache"));
    let references = references(&bars);

    summary(&langs, &backtests, &on_bar, &starts, &references);
    println!(
        "whole run: {:.0} s; machine at the end: {}",
        started.elapsed().as_secs_f64(),
        Machine::now()
    );
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| xtask::workspace_root().join("target"))
}

// ---------------------------------------------------------------------------------------------
// 1. Building

/// `example-strategies/<project>` built by `sandtrade build`'s code into
/// `dir/<stem>-<hash>/<stem>.wasm` with its sidecar, unless that exists already.
fn built(project: &str, dir: &Path) -> PathBuf {
    let root = xtask::workspace_root();
    let source = root.join("example-strategies").join(project);
    let sdk = if source.join("strategy.py").exists() {
        root.join("guest-sdk-python/src")
    } else {
        root.join("guest-sdk-ts")
    };
    let mut hasher = Sha256::new();
    for tree in [&source, &sdk, &root.join("wit")] {
        hash_tree(tree, tree, &mut hasher);
    }
    let key: String = hasher.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem = project.replace('-', "_");
    let out_dir = dir.join(format!("{stem}-{key}"));
    let wasm = out_dir.join(format!("{stem}.wasm"));
    if wasm.exists() {
        println!(
            "{project}: built before from the same sources: {}",
            wasm.display()
        );
        return wasm;
    }
    std::fs::create_dir_all(&out_dir).expect("target/bench-languages is writable");
    println!("{project}: building with sandtrade::build (the tools' output follows on stderr)");
    let partial = out_dir.join(format!("{stem}.partial.wasm"));
    let made = build(&source, Some(&partial), &Toolchain::from_env())
        .unwrap_or_else(|e| panic!("sandtrade build {project}: {e:#}"));
    let sidecar = format!("{stem}.toml");
    std::fs::copy(source.join(&sidecar), out_dir.join(&sidecar)).expect("the sidecar copies");
    std::fs::rename(&partial, &wasm).expect("the component moves in");
    println!(
        "{project}: built {} ({:.1} MB) in {:.1} s",
        wasm.display(),
        made.bytes as f64 / 1e6,
        made.took.as_secs_f64()
    );
    wasm
}

/// Every file under `dir` (its path relative to `base`, then its bytes), in name order, leaving
/// out what builds and tests leave behind.
fn hash_tree(base: &Path, dir: &Path, hasher: &mut Sha256) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "__pycache__" || name == "node_modules" || name.ends_with(".wasm") {
            continue;
        }
        if path.is_dir() {
            hash_tree(base, &path, hasher);
        } else {
            let relative = path.strip_prefix(base).unwrap_or(&path);
            hasher.update(relative.to_string_lossy().as_bytes());
            hasher.update(std::fs::read(&path).expect("a readable source file"));
        }
    }
}

/// Compiles each component into the bench's cache on both engines, so that the timed parts
/// find compiled code (the first run compiles the interpreters: tens of seconds).
fn warm_compile_cache(langs: &[Lang], cache: &CompileCache) {
    for (name, budget) in engines() {
        let runtime = Runtime::new(SandboxConfig::default(), budget).expect("the engine starts");
        for lang in langs {
            let started = Instant::now();
            let compiled = compile_file(&runtime, Some(cache), &lang.wasm)
                .unwrap_or_else(|e| panic!("{}: {e}", lang.wasm.display()));
            let took = started.elapsed();
            if took > Duration::from_secs(1) {
                println!(
                    "{}: compiled for the {name} engine in {:.1} s (cached for later runs; {:?})",
                    lang.label,
                    took.as_secs_f64(),
                    compiled.origin
                );
            }
        }
    }
}

/// The two engines a strategy runs on.
fn engines() -> [(&'static str, CpuBudget); 2] {
    [
        ("live", CpuBudget::Deadline),
        (
            "backtest",
            CpuBudget::Fuel {
                per_call: DEFAULT_FUEL_PER_CALL,
            },
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// 2. The bar file

fn bar_file(dir: &Path) -> PathBuf {
    let path = dir.join(format!("aapl-msft-1m-{BARS}.csv"));
    if !path.exists() {
        let partial = path.with_extension("csv.partial");
        let config = GenConfig::new(&["AAPL", "MSFT"], Length::Bars(BARS), false);
        let file = File::create(&partial).expect("create the bar file");
        let rows = write_csv(&config, std::io::BufWriter::new(file)).expect("write bars");
        assert_eq!(rows, BARS);
        std::fs::rename(&partial, &path).expect("rename the bar file");
    }
    let size = std::fs::metadata(&path).expect("stat").len();
    println!(
        "bar file: {} ({BARS} bars of AAPL and MSFT, {:.1} MB)\n",
        path.display(),
        size as f64 / 1e6
    );
    path
}

// ---------------------------------------------------------------------------------------------
// 3. Backtests

/// One language's backtests.
struct Backtested {
    /// Replay bars/s, as `sandtrade backtest` prints it.
    rate: Samples,
    /// Bars/s if each thread had a CPU: 1e9 / the busiest thread's CPU ns per bar.
    cpu_rate: Samples,
    fills: usize,
    /// The faults of its (last) run: `(bar time, what)`.
    faults: Vec<(i64, String)>,
}

fn backtests(langs: &[Lang], bars: &Path, cache: &CompileCache) -> Vec<Backtested> {
    println!("backtest of {BARS} bars: Rust {RUST_RUNS} runs (after a warm-up), the others one");
    let mut trades: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for lang in langs {
        let spec = spec(&lang.wasm, bars);
        let runs = if lang.label == "Rust" { RUST_RUNS } else { 1 };
        if lang.label == "Rust" {
            black_box(backtest(&spec, cache));
        }
        let mut rate = Samples::new();
        let mut cpu_rate = Samples::new();
        let mut csv = String::new();
        let mut fills = 0;
        let mut faults = Vec::new();
        for _ in 0..runs {
            let watch = Stopwatch::start();
            let outcome = backtest(&spec, cache);
            let lap = watch.lap();
            rate.push(per_second(outcome.elapsed, outcome.report.bars));
            // The main thread replays; the rest of the process is the reader thread.
            let main = lap.thread_cpu.as_nanos() as f64;
            let reader = lap.process_cpu.saturating_sub(lap.thread_cpu).as_nanos() as f64;
            cpu_rate.push(1e9 * outcome.report.bars as f64 / main.max(reader));
            fills = outcome.report.fills.len();
            faults = outcome.faults;
            let mut out = Vec::new();
            outcome
                .report
                .write_trades_csv(&mut out)
                .expect("in memory");
            csv = String::from_utf8(out).expect("UTF-8");
        }
        println!(
            "  {:<10} {:>12} bars/s (replay, median of {runs}), {:>12} with a CPU per thread; \
             {fills} fills",
            lang.label,
            figure(rate.median()),
            figure(cpu_rate.median()),
        );
        if !faults.is_empty() {
            println!(
                "  {:<10} FAULTED {} times (each a restart with its account intact); the first: \
                 {} at bar time {}",
                lang.label,
                faults.len(),
                faults[0].1,
                faults[0].0
            );
        }
        trades.push(csv);
        results.push(Backtested {
            rate,
            cpu_rate,
            fills,
            faults,
        });
    }
    assert!(
        results[0].faults.is_empty(),
        "the Rust strategy faulted: {:?}",
        results[0].faults
    );
    for ((lang, csv), result) in langs.iter().zip(&trades).zip(&results).skip(1) {
        let differs = trades[0]
            .lines()
            .zip(csv.lines())
            .enumerate()
            .find(|(_, (want, got))| want != got)
            .map(|(line, (want, got))| {
                format!(
                    "at line {} of trades.csv:\n    Rust: {want}\n    {}: {got}",
                    line + 1,
                    lang.label
                )
            })
            .or_else(|| {
                (result.fills != results[0].fills).then(|| {
                    format!(
                        "in the count: {} fills, Rust {}",
                        result.fills, results[0].fills
                    )
                })
            });
        match differs {
            None => println!(
                "  {} made the same {} fills as Rust, row for row (trades.csv compared)",
                lang.label, result.fills
            ),
            // A strategy restarted after a fault has lost its averages: it may trade otherwise.
            Some(what) if !result.faults.is_empty() => println!(
                "  {} trades differently from Rust (after its faults) {what}",
                lang.label
            ),
            Some(what) => panic!("{} trades differently from Rust {what}", lang.label),
        }
    }
    println!();
    results
}

/// What `sandtrade backtest WASM --bars BARS` runs with no other flag.
fn spec(wasm: &Path, bars: &Path) -> BacktestSpec {
    let sidecar = sidecar::load_for(wasm)
        .expect("a valid sidecar")
        .expect("the example's sidecar beside it");
    let settings = BacktestSettings::default();
    BacktestSpec {
        strategy: wasm.to_owned(),
        bars: bars.to_owned(),
        params: sidecar.params,
        limits: settings.limits.stricter(&sidecar.limits),
        lots: settings.lots,
        sim: settings.sim,
        sandbox: settings.sandbox,
        fuel_per_call: DEFAULT_FUEL_PER_CALL,
    }
}

fn backtest(spec: &BacktestSpec, cache: &CompileCache) -> BacktestOutcome {
    let outcome = sandtrade_backtest::run(spec, Some(cache), &mut |_| {})
        .unwrap_or_else(|e| panic!("{}: {e}", spec.strategy.display()));
    assert_eq!(outcome.report.bars, BARS);
    outcome
}

// ---------------------------------------------------------------------------------------------
// 4. One on-bar call

/// Per language, per engine (live, backtest): each call's nanoseconds.
type OnBar = Vec<[Samples; 2]>;

fn on_bar_costs(langs: &[Lang], cache: &CompileCache) -> OnBar {
    let mut costs: OnBar = langs.iter().map(|_| Default::default()).collect();
    for (engine, (_, budget)) in engines().into_iter().enumerate() {
        let runtime = Runtime::new(SandboxConfig::default(), budget).expect("the engine starts");
        let mut bar = aapl_bar();
        let mut instances: Vec<_> = langs
            .iter()
            .map(|lang| {
                let compiled = compile(&runtime, cache, &lang.wasm);
                let mut instance = start_compiled(&runtime, compiled, &[]);
                for _ in 0..ON_BAR_WARMUP {
                    bar.start_ms += 60_000;
                    instance.on_bar(&bar).expect("a benign call");
                }
                instance
            })
            .collect();
        for _ in 0..ON_BAR_CALLS / ON_BAR_BATCH {
            for (instance, samples) in instances.iter_mut().zip(&mut costs) {
                for _ in 0..ON_BAR_BATCH {
                    bar.start_ms += 60_000;
                    let started = Instant::now();
                    let stats = instance.on_bar(&bar);
                    let took = started.elapsed();
                    stats.expect("a benign call");
                    samples[engine].push(took.as_nanos() as f64);
                }
            }
        }
        for instance in &instances {
            let gate = instance
                .desk()
                .gate()
                .expect("a started strategy's desk is bound");
            let counts = gate.counters().snapshot();
            assert_eq!(
                (counts.accepted, counts.total_rejected()),
                (0, 0),
                "a constant close crosses nothing"
            );
        }
    }
    let timer: Samples = (0..ON_BAR_CALLS)
        .map(|_| {
            let started = Instant::now();
            black_box(started.elapsed().as_nanos() as f64)
        })
        .collect();
    println!(
        "one on-bar call (no crossing), each of {ON_BAR_CALLS} calls timed, languages in turn by \
         {ON_BAR_BATCH}: ns, p50 / p99 (the clock's own cost, included: {:.0} ns)",
        timer.median()
    );
    for (lang, samples) in langs.iter().zip(&costs) {
        let [live, backtest] = samples.clone().map(|s| s.latency());
        println!(
            "  {:<10} live (deadline) {:>9} / {:>9}   backtest (fuel) {:>9} / {:>9}",
            lang.label,
            figure(live.p50),
            figure(live.p99),
            figure(backtest.p50),
            figure(backtest.p99)
        );
    }
    println!();
    costs
}

fn compile(runtime: &Runtime, cache: &CompileCache, wasm: &Path) -> CompiledStrategy {
    compile_file(runtime, Some(cache), wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
}

// ---------------------------------------------------------------------------------------------
// 5. Instantiate and resident memory, in child processes

/// Per language: each child's figures by key.
type Starts = Vec<Vec<BTreeMap<String, f64>>>;

fn instantiate_costs(langs: &[Lang], cache_dir: &Path) -> Starts {
    let cache_dir = cache_dir.to_str().expect("a UTF-8 path");
    let mut starts: Starts = langs.iter().map(|_| Vec::new()).collect();
    // Languages take turns, process by process.
    for _ in 0..CHILD_RUNS {
        for (lang, runs) in langs.iter().zip(&mut starts) {
            let wasm = lang.wasm.to_str().expect("a UTF-8 path");
            runs.push(run_child(&["instantiate", wasm, cache_dir]));
        }
    }
    println!(
        "start (instantiate + describe + init) on the live engine, default [sandbox]: median of \
         {INSTANCES} starts per process, median of {CHILD_RUNS} processes; resident memory: \
         VmRSS growth over those {INSTANCES} (each started and fed {RSS_BARS} bars) / \
         {INSTANCES}"
    );
    for (lang, runs) in langs.iter().zip(&starts) {
        let at = |key| samples_of(runs, key).median();
        println!(
            "  {:<10} start {:>8} µs (first in the process {:>8} µs)   RSS {:>8} KiB per instance \
             (anon {}, shmem {}, file {})",
            lang.label,
            figure(at("start_us")),
            figure(at("first_start_us")),
            figure(at("rss_kib")),
            figure(at("anon_kib")),
            figure(at("shmem_kib")),
            figure(at("file_kib")),
        );
    }
    println!();
    starts
}

fn child(args: &[String]) {
    let [what, wasm, cache_dir] = args else {
        panic!("child instantiate WASM CACHE_DIR, not {args:?}");
    };
    assert_eq!(what, "instantiate");
    let runtime =
        Runtime::new(SandboxConfig::default(), CpuBudget::Deadline).expect("the engine starts");
    let cache = CompileCache::new(cache_dir).expect("the cache directory");
    let compiled = Arc::new(compile(&runtime, &cache, Path::new(wasm)));
    // Linked once, as the host links a strategy once for all its instances.
    let linker = linker::strategy_linker::<BacktestDesk>(runtime.engine()).expect("the linker");
    let prepared = PreparedStrategy::new(&linker, compiled).expect("the component links");
    let start = || {
        // A paper desk, as `start_compiled` gives (made before the clock starts).
        let desk = BacktestDesk::new(LotTable::builtin(), Limits::default(), SimConfig::default());
        let started = Instant::now();
        let instance = match prepared.start(&runtime, "bench".into(), desk, &[]) {
            Ok(started) => started.instance,
            Err(failed) => panic!("{wasm} does not start: {}", failed.error),
        };
        (instance, started.elapsed())
    };
    let mut bar = aapl_bar();
    let mut feed = |instance: &mut sandtrade_runtime::StrategyInstance<BacktestDesk>| {
        for minute in 0..RSS_BARS {
            bar.start_ms += 60_000;
            // A slow sine: the averages cross now and then.
            bar.close = 185.0 + (minute as f64 / 7.0).sin();
            instance.desk_mut().set_now_ms(bar.start_ms);
            instance.on_bar(&bar).expect("a benign call");
        }
    };
    let (mut first, first_took) = start();
    feed(&mut first);
    let before = Rss::now().expect("/proc/self/status");
    let mut instances = Vec::with_capacity(INSTANCES);
    let mut took = Vec::with_capacity(INSTANCES);
    for _ in 0..INSTANCES {
        let (mut instance, elapsed) = start();
        feed(&mut instance);
        instances.push(instance);
        took.push(elapsed);
    }
    let after = Rss::now().expect("/proc/self/status");
    black_box((&first, &instances));
    let per = |a: u64, b: u64| (b as f64 - a as f64) / INSTANCES as f64;
    println!("first_start_us={}", bench_kit::micros(first_took));
    println!("start_us={}", Samples::micros(took).median());
    println!("rss_kib={}", per(before.total_kib, after.total_kib));
    println!("anon_kib={}", per(before.anon_kib, after.anon_kib));
    println!("shmem_kib={}", per(before.shmem_kib, after.shmem_kib));
    println!("file_kib={}", per(before.file_kib, after.file_kib));
}

// ---------------------------------------------------------------------------------------------
// 6. backtrader and backtesting.py

/// What `reference.py` printed for one engine.
struct Reference {
    label: String,
    bars: u64,
    load_s: f64,
    run_s: f64,
    fills: u64,
}

impl Reference {
    fn rate(&self) -> f64 {
        self.bars as f64 / self.run_s
    }
}

fn references(bars: &Path) -> Vec<Reference> {
    let python = reference_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/languages/reference.py");
    let bars = bars.to_str().expect("a UTF-8 path");
    let mut found = Vec::new();
    for (engine, rows) in [("backtesting", None), ("backtrader", Some(BACKTRADER_ROWS))] {
        let mut command = Command::new(&python);
        command.arg(&script).arg(bars).args(["--engine", engine]);
        if let Some(rows) = rows {
            command.args(["--rows", &rows.to_string()]);
        }
        let output = command
            .stderr(std::process::Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "reference.py {engine}: {stdout}");
        let line: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
        let number = |key: &str| {
            line[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key}: {line}"))
        };
        let version = line["version"].as_str().unwrap_or("?");
        let name = if engine == "backtesting" {
            "backtesting.py"
        } else {
            engine
        };
        found.push(Reference {
            label: format!("{name} {version}"),
            bars: number("bars") as u64,
            load_s: number("load_s"),
            run_s: number("run_s"),
            fills: number("fills") as u64,
        });
    }
    println!(
        "reference engines, natively in CPython ({}): strategy runs timed, CSV parsing apart",
        python_version(&python)
    );
    for reference in &found {
        println!(
            "  {:<22} {:>9} bars in {:>6.2} s: {:>9} bars/s (CSV parsed in {:.2} s before); \
             {} fills",
            reference.label,
            reference.bars,
            reference.run_s,
            figure(reference.rate()),
            reference.load_s,
            reference.fills
        );
    }
    println!();
    found
}

/// `target/bench-venv/bin/python`, made and filled from `requirements.txt` when it lacks the
/// engines.
fn reference_python() -> PathBuf {
    let venv = target_dir().join("bench-venv");
    let python = venv.join("bin/python");
    let has_engines = |python: &Path| {
        Command::new(python)
            .args(["-c", "import backtrader, backtesting"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has_engines(&python) {
        return python;
    }
    let requirements =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/languages/requirements.txt");
    println!(
        "{} lacks backtrader or backtesting.py: python3 -m venv {0}; {0}/bin/pip install -r {}",
        venv.display(),
        requirements.display()
    );
    let run = |command: &mut Command| {
        let status = command.status().expect("the command runs");
        assert!(status.success(), "{command:?}: {status}");
    };
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "-r"])
        .arg(&requirements));
    assert!(
        has_engines(&python),
        "{} still lacks them",
        python.display()
    );
    python
}

fn python_version(python: &Path) -> String {
    Command::new(python)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "Python ?".into())
}

// ---------------------------------------------------------------------------------------------
// The table

fn summary(
    langs: &[Lang],
    backtests: &[Backtested],
    on_bar: &OnBar,
    starts: &Starts,
    references: &[Reference],
) {
    let rust_rate = backtests[0].rate.median();
    let backtrader = references
        .iter()
        .find(|r| r.label.starts_with("backtrader"))
        .expect("backtrader ran");
    let backtrader_rate = backtrader.rate();
    println!(
        "summary: backtest bars/s over {BARS} bars (replay, parsing included on its own thread; \
         references: the strategy run, parsing excluded{}); on-bar on the live engine; start \
         and RSS per instance on the live engine",
        if backtrader.bars < BARS {
            format!(
                "; backtrader on the first {} bars",
                figure(backtrader.bars as f64)
            )
        } else {
            String::new()
        }
    );
    let header = [
        "language / engine",
        "bars/s",
        "vs Rust",
        "vs backtrader",
        "on-bar p50 ns",
        "on-bar p99 ns",
        "start µs",
        "RSS KiB/inst",
    ];
    let mut rows: Vec<[String; 8]> = Vec::new();
    for (((lang, backtest), on_bar), starts) in langs.iter().zip(backtests).zip(on_bar).zip(starts)
    {
        let rate = backtest.rate.median();
        let live = on_bar[0].latency();
        let faults = match backtest.faults.len() {
            0 => String::new(),
            n => format!(", {n} faults"),
        };
        rows.push([
            format!("{} (sandbox{faults})", lang.label),
            figure(rate),
            format!("{:.3}x", rate / rust_rate),
            format!("{:.2}x", rate / backtrader_rate),
            figure(live.p50),
            figure(live.p99),
            figure(samples_of(starts, "start_us").median()),
            figure(samples_of(starts, "rss_kib").median()),
        ]);
    }
    for reference in references {
        let rate = reference.rate();
        rows.push([
            format!("{} (CPython)", reference.label),
            figure(rate),
            format!("{:.3}x", rate / rust_rate),
            format!("{:.2}x", rate / backtrader_rate),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        let mut out = format!("  {:<w$}", cells[0], w = widths[0]);
        for (cell, width) in cells.iter().zip(&widths).skip(1) {
            out.push_str(&format!("  {cell:>width$}"));
        }
        println!("{out}");
    };
    line(&header);
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let python = &backtests[1];
    let python_start_ms = samples_of(&starts[1], "start_us").median() / 1e3;
    println!(
        "  (with a CPU per thread, the sandbox rows would be {})",
        langs
            .iter()
            .zip(backtests)
            .map(|(l, b)| format!("{} {}", l.label, figure(b.cpu_rate.median())))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "target: Python in the sandbox vs backtrader: {:.2}x; Python start {:.2} ms (target ≤ \
         {TARGET_PYTHON_START_MS} ms: {})",
        python.rate.median() / backtrader_rate,
        python_start_ms,
        if python_start_ms <= TARGET_PYTHON_START_MS {
            "meets"
        } else {
            "misses"
        }
    );
}
