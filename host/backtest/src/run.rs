//! `sandtrade backtest`: one strategy component replayed over a bar file.
//!
//! Deterministic: the strategy's CPU is bounded by fuel (an instruction count), not time; its
//! clock (`now-ms`), rate limits and order times are the bars' times; its randomness is seeded
//! from its name. The same files give the same report on any machine.
//!
//! A fault (a trap, a panic, the fuel budget) costs the strategy its instance: it restarts
//! with a backoff on the replay clock, with its account intact, and is quarantined — no more
//! calls, bars still valued — after too many, exactly as in live trading.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bars::{BarError, BarFeed};
use super::desk::BacktestDesk;
use super::replay::{self, Ended, Plan, Replay, Restarts, Strategy};
use super::report::Report;
use super::sim::SimConfig;
use sandtrade_core::LotTable;
use sandtrade_risk::Limits;
use sandtrade_runtime::supervisor::Health;
use sandtrade_runtime::{
    CompileCache, CompiledStrategy, CpuBudget, LoadError, PreparedStrategy, Runtime, SandboxConfig,
    StartError, StrategyMetadata, compile_file, linker,
};

/// Fuel per call by default: a billion wasm instructions, about what the live deadline of
/// 100 ms allows. Far above a Rust strategy's call (an EMA crossover uses ~350 per bar), and
/// above what a language runtime occasionally needs in one call: SpiderMonkey's garbage
/// collection in a TypeScript strategy takes 100–150 million (~10 ms) every ~170,000 calls.
/// A runaway loop is still stopped within a fraction of a second.
pub const DEFAULT_FUEL_PER_CALL: u64 = 1_000_000_000;

/// What to backtest, and how.
#[derive(Debug, Clone)]
pub struct BacktestSpec {
    /// The strategy component.
    pub strategy: PathBuf,
    /// The bar file (see [`super::bars`]).
    pub bars: PathBuf,
    /// Parameters for `init` (the sidecar's, with any overrides).
    pub params: Vec<(String, String)>,
    /// Effective limits.
    pub limits: Limits,
    /// Board lots.
    pub lots: LotTable,
    /// The simulated account.
    pub sim: SimConfig,
    /// Sandbox limits (memory, stack; the call deadline does not apply: fuel does).
    pub sandbox: SandboxConfig,
    /// Fuel per strategy call.
    pub fuel_per_call: u64,
}

/// What a backtest produced.
#[derive(Debug)]
pub struct BacktestOutcome {
    /// What the strategy declared.
    pub metadata: StrategyMetadata,
    /// SHA-256 of the strategy component.
    pub wasm_sha256: String,
    /// The account's results.
    pub report: Report,
    /// Each fault, in order: `(bar time, what happened)`.
    pub faults: Vec<(i64, String)>,
    /// Why the strategy was quarantined, if it was.
    pub quarantined: Option<String>,
    /// Bars skipped because the strategy does not trade their symbol: `(symbol, bars)`.
    pub skipped: Vec<(String, u64)>,
    /// The calls that delivered bars to the strategy: an `on-bar` or an `on-bars` each,
    /// whatever the number of bars it carried.
    pub bar_calls: u64,
    /// Wall-clock time of the replay (after loading; both replays of a run started over after
    /// a fault inside a batch).
    pub elapsed: Duration,
}

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The engine could not be built.
    #[error("cannot start the wasm engine: {0:#}")]
    Engine(anyhow::Error),
    /// The strategy file is not loadable.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The strategy did not start.
    #[error("{path}: {error}")]
    Start {
        /// The strategy file.
        path: PathBuf,
        /// Why.
        error: StartError,
    },
    /// The bar file is unreadable or malformed.
    #[error("{path}: {error}")]
    Bars {
        /// The bar file.
        path: PathBuf,
        /// Where and what.
        error: BarError,
    },
    /// The bar file has no bar of any symbol the strategy trades.
    #[error(
        "{path}: no bars of {symbols} (the symbols the strategy declared); bars of other \
         symbols are skipped: {skipped}"
    )]
    NoBars {
        /// The bar file.
        path: PathBuf,
        /// The declared symbols.
        symbols: String,
        /// What the file had instead.
        skipped: String,
    },
}

/// How the bars reach the strategy. Both give the same trades, fills, equity and report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    /// Several consecutive bars in one `on-bars` call wherever delivering them one by one
    /// would show the strategy nothing different (`docs/backtest.md`, "Bars in batches").
    #[default]
    Batches,
    /// One `on-bar` call per bar: what batches are measured and checked against.
    OneBarAtATime,
}

/// Runs `spec`, delivering bars in batches; `progress` is called every [`PROGRESS_EVERY`]
/// bars with the bars done.
///
/// # Errors
///
/// A [`BacktestError`]; a strategy fault is not an error (it is in the outcome).
pub fn run(
    spec: &BacktestSpec,
    cache: Option<&CompileCache>,
    progress: &mut dyn FnMut(u64),
) -> Result<BacktestOutcome, BacktestError> {
    run_with(spec, cache, Delivery::Batches, progress)
}

/// [`run`], with the bars delivered as `delivery` says.
///
/// # Errors
///
/// A [`BacktestError`]; a strategy fault is not an error (it is in the outcome).
pub fn run_with(
    spec: &BacktestSpec,
    cache: Option<&CompileCache>,
    delivery: Delivery,
    progress: &mut dyn FnMut(u64),
) -> Result<BacktestOutcome, BacktestError> {
    let budget = CpuBudget::Fuel {
        per_call: spec.fuel_per_call,
    };
    // One strategy, one instance (plus a spare): whatever language it was written in.
    let sandbox = SandboxConfig {
        max_instances: 2,
        max_interpreter_instances: 2,
        ..spec.sandbox.clone()
    };
    let runtime = Runtime::new(sandbox, budget).map_err(BacktestError::Engine)?;
    let compiled = Arc::new(compile_file(&runtime, cache, &spec.strategy)?);
    let linker = linker::strategy_linker::<BacktestDesk>(runtime.engine())
        .map_err(|e| BacktestError::Engine(e.into()))?;
    let prepared = PreparedStrategy::new(&linker, compiled.clone())?;
    let restarts = Restarts {
        prepared: &prepared,
        runtime: &runtime,
        params: &spec.params,
    };
    let batches = delivery == Delivery::Batches && replay::can_batch(&compiled);
    let mut plan = Plan {
        singly_from: if batches { u64::MAX } else { 0 },
        quiet_before: 0,
    };
    // A run started over does not report progress back from where it was.
    let mut reported = 0;
    let mut progress = |done: u64| {
        if done >= reported {
            reported = done;
            progress(done);
        }
    };
    let mut elapsed = Duration::ZERO;
    loop {
        let (attempt, replay_time) = replay_file(spec, restarts, plan, &mut progress)?;
        elapsed += replay_time;
        match attempt {
            Attempt::Done(done) => return finish(spec, &compiled, *done, elapsed),
            Attempt::BatchFault { first_bar } => {
                // Deterministic: the bars before that batch replay as they did (and logged
                // already); from it on, one bar per call places every fault on its bar.
                plan = Plan {
                    singly_from: first_bar,
                    quiet_before: plan.quiet_before.max(first_bar),
                };
            }
        }
    }
}

/// How one replay of the file ended.
enum Attempt<'a> {
    /// Every bar replayed.
    Done(Box<Replayed<'a>>),
    /// A fault inside a batch: the run starts over (see [`super::replay`]).
    BatchFault { first_bar: u64 },
}

/// A replay of every bar, before its report.
struct Replayed<'a> {
    replay: Replay<'a>,
    metadata: StrategyMetadata,
    feed: BarFeed,
    bars: u64,
}

/// Starts the strategy and replays the file through it as `plan` allows. Returns how that
/// ended, and the time the replay took (after the start and the file's opening).
fn replay_file<'a>(
    spec: &BacktestSpec,
    restarts: Restarts<'a>,
    plan: Plan,
    progress: &mut dyn FnMut(u64),
) -> Result<(Attempt<'a>, Duration), BacktestError> {
    let name: Arc<str> = sandtrade_runtime::strategy_name(&spec.strategy).into();
    let desk = BacktestDesk::new(spec.lots.clone(), spec.limits.clone(), spec.sim.clone());
    let started = restarts
        .prepared
        .start(restarts.runtime, name.clone(), desk, &spec.params)
        .map_err(|failed| BacktestError::Start {
            path: spec.strategy.clone(),
            error: failed.error,
        })?;
    let mut replay = Replay::new(name, Strategy::Up(started.instance), restarts, plan);
    let table = replay
        .desk()
        .sim()
        .expect("a started strategy's desk is bound")
        .table()
        .clone();
    let bars_error = |source| BacktestError::Bars {
        path: spec.bars.clone(),
        error: source,
    };
    let mut feed = BarFeed::open(&spec.bars, table).map_err(bars_error)?;
    let started_at = Instant::now();
    let ended = replay.run(&mut feed, progress).map_err(bars_error)?;
    let attempt = match ended {
        Ended::AllBars(bars) => {
            progress(bars);
            Attempt::Done(Box::new(Replayed {
                replay,
                metadata: started.metadata,
                feed,
                bars,
            }))
        }
        Ended::BatchFault { first_bar } => Attempt::BatchFault { first_bar },
    };
    Ok((attempt, started_at.elapsed()))
}

/// The outcome of a replay of every bar.
fn finish(
    spec: &BacktestSpec,
    compiled: &CompiledStrategy,
    done: Replayed<'_>,
    elapsed: Duration,
) -> Result<BacktestOutcome, BacktestError> {
    let Replayed {
        mut replay,
        metadata,
        feed,
        bars,
    } = done;
    let skipped = feed.stats().map(|s| s.skipped.clone()).unwrap_or_default();
    if bars == 0 {
        let skipped = skipped
            .iter()
            .map(|(symbol, n)| format!("{symbol} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(BacktestError::NoBars {
            path: spec.bars.clone(),
            symbols: metadata.symbols.join(", "),
            skipped: if skipped.is_empty() {
                "none".into()
            } else {
                skipped
            },
        });
    }
    let quarantined = match replay.supervisor.health() {
        Health::Quarantined { reason } => Some(reason.clone()),
        _ => None,
    };
    let faults = std::mem::take(&mut replay.faults);
    let (sim, gate) = replay
        .strategy
        .into_desk()
        .into_parts()
        .expect("a started strategy's desk is bound");
    Ok(BacktestOutcome {
        metadata,
        wasm_sha256: compiled.wasm_sha256.clone(),
        report: sim.finish(gate.counters().snapshot()),
        faults,
        quarantined,
        skipped,
        bar_calls: replay.bar_calls,
        elapsed,
    })
}

/// Bars between two progress calls.
pub const PROGRESS_EVERY: u64 = 1 << 16;

pub use super::replay::{FIRST_BATCH_BARS, MAX_BATCH_BARS};

/// Writes the trades CSV and the equity SVG of `report` into `dir` (created if missing), as
/// `trades.csv` and `equity.svg`. Returns their paths.
///
/// # Errors
///
/// An I/O error, with the path.
pub fn write_outputs(report: &Report, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let trades = dir.join("trades.csv");
    let file =
        std::fs::File::create(&trades).with_context(|| format!("writing {}", trades.display()))?;
    report
        .write_trades_csv(file)
        .with_context(|| format!("writing {}", trades.display()))?;
    let svg = dir.join("equity.svg");
    std::fs::write(&svg, report.equity_svg())
        .with_context(|| format!("writing {}", svg.display()))?;
    Ok((trades, svg))
}
