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

use super::bars::{BarError, BarFeed, BarRow};
use super::desk::BacktestDesk;
use super::fill::Fill;
use super::report::Report;
use super::sim::SimConfig;
use sandtrade_core::LotTable;
use sandtrade_risk::Limits;
use sandtrade_runtime::bindings;
use sandtrade_runtime::supervisor::{Health, Supervisor};
use sandtrade_runtime::{
    CompileCache, CpuBudget, Failed, LoadError, PreparedStrategy, Runtime, SandboxConfig,
    StartError, StrategyInstance, StrategyMetadata, compile_file, linker,
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
    /// Wall-clock time of the replay (after loading).
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

/// Runs `spec`; `progress` is called every [`PROGRESS_EVERY`] bars with the bars done.
///
/// # Errors
///
/// A [`BacktestError`]; a strategy fault is not an error (it is in the outcome).
pub fn run(
    spec: &BacktestSpec,
    cache: Option<&CompileCache>,
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
    let name: Arc<str> = sandtrade_runtime::strategy_name(&spec.strategy).into();
    let desk = BacktestDesk::new(spec.lots.clone(), spec.limits.clone(), spec.sim.clone());
    let started = prepared
        .start(&runtime, name.clone(), desk, &spec.params)
        .map_err(|failed| BacktestError::Start {
            path: spec.strategy.clone(),
            error: failed.error,
        })?;
    let metadata = started.metadata;
    let mut replay = Replay::new(name, Strategy::Up(started.instance), runtime.sandbox());
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
    let mut done = 0u64;
    for bar in feed.by_ref() {
        let bar = bar.map_err(bars_error)?;
        replay.bar(&bar, &prepared, &runtime, &spec.params);
        done += 1;
        if done.is_multiple_of(PROGRESS_EVERY) {
            progress(done);
        }
    }
    progress(done);
    let elapsed = started_at.elapsed();
    let skipped = feed.stats().map(|s| s.skipped.clone()).unwrap_or_default();
    if done == 0 {
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
        elapsed,
    })
}

/// Bars between two progress calls.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// The strategy, running or down after a fault (its desk, with the account, survives).
enum Strategy {
    Up(StrategyInstance<BacktestDesk>),
    Down(Box<BacktestDesk>),
    /// Only inside a transition from one state to the other.
    Moving,
}

const MOVING: &str = "the strategy is between states only inside a transition";

impl Strategy {
    fn desk_mut(&mut self) -> &mut BacktestDesk {
        match self {
            Self::Up(instance) => instance.desk_mut(),
            Self::Down(desk) => desk,
            Self::Moving => unreachable!("{MOVING}"),
        }
    }

    fn desk(&self) -> &BacktestDesk {
        match self {
            Self::Up(instance) => instance.desk(),
            Self::Down(desk) => desk,
            Self::Moving => unreachable!("{MOVING}"),
        }
    }

    fn into_desk(self) -> BacktestDesk {
        match self {
            Self::Up(instance) => instance.into_desk(),
            Self::Down(desk) => *desk,
            Self::Moving => unreachable!("{MOVING}"),
        }
    }
}

/// The replay loop's state.
struct Replay {
    name: Arc<str>,
    strategy: Strategy,
    supervisor: Supervisor,
    faults: Vec<(i64, String)>,
    /// One reusable guest bar per instrument (by `SymbolId`), in the strategy's spelling.
    guest_bars: Vec<bindings::Bar>,
    /// The declared spelling per instrument, for fills.
    spellings: Vec<String>,
    /// Fills of the current bar, copied out of the account so the strategy can be called.
    fills: Vec<Fill>,
}

impl Replay {
    fn new(name: Arc<str>, strategy: Strategy, sandbox: &SandboxConfig) -> Self {
        let sim = strategy.desk().sim().expect("bound");
        let gate = strategy.desk().gate().expect("bound");
        let spellings: Vec<String> = sim
            .table()
            .iter()
            .map(|(_, instrument)| {
                gate.declared_as(instrument)
                    .unwrap_or(&instrument.symbol)
                    .to_owned()
            })
            .collect();
        let guest_bars = sim
            .table()
            .iter()
            .zip(&spellings)
            .map(|((_, instrument), spelling)| {
                bindings::Bar::blank(spelling, instrument.market, bindings::DataSource::Replay)
            })
            .collect();
        Self {
            name,
            strategy,
            supervisor: Supervisor::new(
                sandbox.max_strikes,
                i64::try_from(sandbox.strike_window_s).unwrap_or(i64::MAX / 1000) * 1000,
            ),
            faults: Vec::new(),
            guest_bars,
            spellings,
            fills: Vec::new(),
        }
    }

    fn desk(&self) -> &BacktestDesk {
        self.strategy.desk()
    }

    /// One bar: restart if due, fills at its open, `on-fill`s, `on-bar`, then valuation.
    fn bar(
        &mut self,
        row: &BarRow,
        prepared: &PreparedStrategy<BacktestDesk>,
        runtime: &Runtime,
        params: &[(String, String)],
    ) {
        if self.supervisor.restart_due(row.bar.start_ms) {
            self.restart(row.bar.start_ms, prepared, runtime, params);
        }
        let desk = self.strategy.desk_mut();
        desk.set_now_ms(row.bar.start_ms);
        let sim = desk.sim_mut().expect("bound");
        self.fills.clear();
        self.fills.extend_from_slice(sim.open(row));
        if let Strategy::Up(instance) = &mut self.strategy {
            let mut result = Ok(());
            for fill in &self.fills {
                let guest_fill = bindings::Fill {
                    signal_id: fill.signal_id,
                    symbol: self.spellings[fill.symbol.index()].clone(),
                    action: fill.action.into(),
                    quantity: fill.quantity,
                    price: fill.price,
                    time_ms: fill.time_ms,
                };
                result = instance.on_fill(&guest_fill).map(drop);
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                let guest_bar = &mut self.guest_bars[row.symbol.index()];
                guest_bar.set(
                    row.bar.start_ms,
                    [
                        row.bar.open,
                        row.bar.high,
                        row.bar.low,
                        row.bar.close,
                        row.bar.volume,
                    ],
                );
                result = instance.on_bar(guest_bar).map(drop);
            }
            if let Err(fault) = result {
                self.fault(row.bar.start_ms, fault.to_string());
            }
        }
        self.strategy.desk_mut().sim_mut().expect("bound").mark(row);
    }

    fn fault(&mut self, now_ms: i64, what: String) {
        tracing::warn!(time_ms = now_ms, "{what}");
        self.supervisor.on_fault(now_ms, &what);
        self.faults.push((now_ms, what));
        if let Strategy::Up(_) = self.strategy {
            let up = std::mem::replace(&mut self.strategy, Strategy::Moving);
            self.strategy = Strategy::Down(Box::new(up.into_desk()));
        }
    }

    fn restart(
        &mut self,
        now_ms: i64,
        prepared: &PreparedStrategy<BacktestDesk>,
        runtime: &Runtime,
        params: &[(String, String)],
    ) {
        let Strategy::Down(_) = &self.strategy else {
            return;
        };
        let desk = std::mem::replace(&mut self.strategy, Strategy::Moving).into_desk();
        match prepared.start(runtime, self.name.clone(), desk, params) {
            Ok(started) => {
                self.supervisor.on_restarted();
                self.strategy = Strategy::Up(started.instance);
            }
            Err(Failed { error, desk }) => {
                self.strategy = Strategy::Down(Box::new(desk));
                self.fault(now_ms, error.to_string());
            }
        }
    }
}

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
