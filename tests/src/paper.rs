//! Several strategies trading at once on paper: a real [`Fleet`], each strategy on its own
//! [`BacktestDesk`] (the live risk rules in front of a simulated account), fed a sample bar
//! file in time order.
//!
//! Per bar, for every running strategy that trades its symbol, [`PaperFleet::bar`] does what
//! the backtest's replay does for one: moves the desk's clock to the bar, opens the bar in the
//! account (orders decided earlier fill there) and hands the fills to `on-fill`; then the
//! fleet delivers the bar (`on-bar`) to every subscriber; then the accounts mark the close.
//! The supervisor's clock is the bar's time too, so backoffs and quarantines are driven by the
//! data, never by waiting; [`PaperFleet::restart_due`] moves it explicitly.
//!
//! ```no_run
//! use sandtrade_tests::{guests, paper};
//!
//! let mut fleet = paper::PaperFleet::new(paper::live_runtime().clone());
//! fleet.install_with_sidecar("ma", &guests::wasm("ma-crossover")).expect("starts");
//! fleet.feed(&paper::sample_bars(paper::US_BARS));
//! assert!(!fleet.trades("ma").is_empty());
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sandtrade_backtest::{BacktestDesk, BarReader, BarRow, Fill, SimConfig, SymbolTable};
use sandtrade_core::{Bar, Instrument, LotTable};
use sandtrade_risk::Limits;
use sandtrade_runtime::bindings;
use sandtrade_runtime::compile::CompiledStrategy;
use sandtrade_runtime::fleet::{InstallError, Installed, StrategyStatus};
use sandtrade_runtime::sidecar::{self, Sidecar};
use sandtrade_runtime::{
    BarEvent, CompileCache, CpuBudget, Fleet, PreparedStrategy, Runtime, SandboxConfig,
    StrategyInstance, compile_file, linker,
};

/// AAPL and MSFT, one-minute bars over three sessions (2,340 bars).
pub const US_BARS: &str = "us-aapl-msft-1m.csv";
/// 0700.HK, one-minute bars over three sessions (990 bars).
pub const HK_BARS: &str = "hk-0700-1m.csv";

/// The per-call CPU deadline of [`live_runtime`]: short, so that tests whose guest spins are
/// quick, and still ~1,000 times what a well-behaved call takes.
pub const CALL_DEADLINE_MS: u64 = 100;

/// The sandbox of the tests: live settings (epoch deadlines), scaled down. Room for 64
/// instances in the pool: every test of a binary shares it, a few strategies (plus a spare for
/// a swap) each.
pub fn test_sandbox() -> SandboxConfig {
    SandboxConfig {
        memory_mib: 16,
        stack_kib: 512,
        call_deadline_ms: CALL_DEADLINE_MS,
        init_deadline_ms: 1_000,
        epoch_tick_ms: 5,
        max_instances: 64,
        max_interpreter_instances: 8,
        max_strikes: 3,
        strike_window_s: 600,
        log_bytes_per_call: 16 * 1024,
        max_wasm_mib: 48,
    }
}

/// One runtime per test process, as live trading has one per host: [`test_sandbox`] with
/// wall-clock deadlines.
pub fn live_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::new(test_sandbox(), CpuBudget::Deadline).expect("the test engine starts")
    })
}

/// One runtime per test process with the backtest's CPU budget: [`test_sandbox`] with a
/// deterministic instruction budget per call (the backtest's default) instead of deadlines, for
/// tests whose outcome must not depend on how fast the host is.
pub fn replay_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let budget = CpuBudget::Fuel {
            per_call: sandtrade_backtest::run::DEFAULT_FUEL_PER_CALL,
        };
        Runtime::new(test_sandbox(), budget).expect("the test engine starts")
    })
}

/// A compile cache shared by every test process, `target/test-compile-cache`: entries are
/// keyed by the wasm's hash and the engine's, so a stale one is never used, and only the first
/// test to load a component compiles it.
pub fn shared_cache() -> &'static CompileCache {
    static CACHE: OnceLock<CompileCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = xtask::workspace_root().join("target/test-compile-cache");
        CompileCache::new(&dir).expect("target/ is writable")
    })
}

/// The path of a sample bar file in `data/bars/`.
pub fn sample_path(file: &str) -> PathBuf {
    xtask::workspace_root().join("data/bars").join(file)
}

/// One bar of a sample file, with its instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleBar {
    /// The contract.
    pub instrument: Arc<Instrument>,
    /// The bar.
    pub bar: Bar,
}

/// Every bar of the sample file `file` (see [`US_BARS`], [`HK_BARS`]), in file order.
pub fn sample_bars(file: &str) -> Vec<SampleBar> {
    bars_of(&sample_path(file))
}

/// Every bar of the bar file at `path` (of AAPL, MSFT and 0700.HK), in file order.
pub fn bars_of(path: &Path) -> Vec<SampleBar> {
    let table = SymbolTable::from_symbols(&["AAPL", "MSFT", "0700.HK"]).expect("known symbols");
    let input = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (bars, _) = BarReader::new(input, table.clone())
        .read_all()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bars.into_iter()
        .map(|row| SampleBar {
            instrument: table[row.symbol].clone(),
            bar: row.bar,
        })
        .collect()
}

/// The trades strategy `wasm` (with its sidecar) makes over `bars` when it runs alone: the
/// baseline a strategy sharing a fleet with others must match exactly.
pub fn trades_alone(wasm: &Path, bars: &[SampleBar]) -> Vec<Fill> {
    let mut fleet = PaperFleet::new(live_runtime().clone());
    fleet
        .install_with_sidecar("alone", wasm)
        .unwrap_or_else(|e| panic!("{} starts: {e}", wasm.display()));
    fleet.feed(bars);
    fleet.trades("alone")
}

/// A lone instance of the component at `wasm` (no fleet), started with `params` on a paper
/// desk whose clock is at the start of [`aapl_bar`]: to call directly and see exactly what
/// the runtime reports.
pub fn start_alone(
    runtime: &Runtime,
    wasm: &Path,
    params: &[(&str, &str)],
) -> StrategyInstance<BacktestDesk> {
    let compiled =
        compile_file(runtime, Some(shared_cache()), wasm).unwrap_or_else(|e| panic!("{e}"));
    start_compiled(runtime, compiled, params)
}

/// [`start_alone`] for a component already compiled.
pub fn start_compiled(
    runtime: &Runtime,
    compiled: CompiledStrategy,
    params: &[(&str, &str)],
) -> StrategyInstance<BacktestDesk> {
    let linker =
        linker::strategy_linker::<BacktestDesk>(runtime.engine()).expect("the linker builds");
    let prepared =
        PreparedStrategy::new(&linker, Arc::new(compiled)).unwrap_or_else(|e| panic!("{e}"));
    let desk = BacktestDesk::new(LotTable::builtin(), Limits::default(), SimConfig::default());
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut started = prepared
        .start(runtime, "alone".into(), desk, &params)
        .unwrap_or_else(|failed| panic!("{}", failed.error));
    started.instance.desk_mut().set_now_ms(aapl_bar().start_ms);
    started.instance
}

/// An AAPL bar as a strategy receives it: 2024-01-02 09:30 New York.
pub fn aapl_bar() -> bindings::Bar {
    bindings::Bar {
        symbol: "AAPL".into(),
        market: bindings::Market::UsStock,
        start_ms: 1_704_205_800_000,
        open: 185.0,
        high: 186.0,
        low: 184.0,
        close: 185.5,
        volume: 1_000.0,
        source: bindings::DataSource::Live,
    }
}

/// A fleet of strategies on paper desks. See the module docs.
pub struct PaperFleet {
    fleet: Fleet<BacktestDesk>,
    /// The supervisor's clock: the last bar's time, or what `restart_due` was given.
    now_ms: i64,
}

impl std::fmt::Debug for PaperFleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperFleet")
            .field("fleet", &self.fleet)
            .field("now_ms", &self.now_ms)
            .finish()
    }
}

impl PaperFleet {
    /// An empty fleet on `runtime`. Each strategy gets a desk with the built-in lot table,
    /// its sidecar's limits and the default simulated account.
    pub fn new(runtime: Runtime) -> Self {
        let make_desk = Box::new(|spec: &sandtrade_runtime::DeskSpec| {
            BacktestDesk::new(
                LotTable::builtin(),
                spec.sidecar.limits.clone(),
                SimConfig::default(),
            )
        });
        Self {
            fleet: Fleet::new(runtime, make_desk).expect("the linker builds"),
            now_ms: 0,
        }
    }

    /// The fleet.
    pub fn fleet(&self) -> &Fleet<BacktestDesk> {
        &self.fleet
    }

    /// The fleet, to apply directory changes or enable/disable strategies.
    pub fn fleet_mut(&mut self) -> &mut Fleet<BacktestDesk> {
        &mut self.fleet
    }

    /// Installs the component at `wasm` as strategy `name` with `params` and no limits of its
    /// own.
    ///
    /// # Errors
    ///
    /// The fleet's [`InstallError`] (a load error included).
    pub fn install(
        &mut self,
        name: &str,
        wasm: &Path,
        params: &[(&str, &str)],
    ) -> Result<Installed, InstallError> {
        let sidecar = Sidecar {
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            limits: Limits::default(),
        };
        self.install_sidecar(name, wasm, sidecar)
    }

    /// Installs the component at `wasm` as strategy `name` with the sidecar beside it (the
    /// example strategies ship one).
    ///
    /// # Errors
    ///
    /// As [`install`](Self::install).
    pub fn install_with_sidecar(
        &mut self,
        name: &str,
        wasm: &Path,
    ) -> Result<Installed, InstallError> {
        let sidecar = sidecar::load_for(wasm)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
        self.install_sidecar(name, wasm, sidecar)
    }

    fn install_sidecar(
        &mut self,
        name: &str,
        wasm: &Path,
        sidecar: Sidecar,
    ) -> Result<Installed, InstallError> {
        let compiled = compile_file(self.fleet.runtime(), Some(shared_cache()), wasm)?;
        self.fleet.install(name.into(), Arc::new(compiled), sidecar)
    }

    /// One bar for every strategy: fills, `on-fill`, `on-bar`, marks (see the module docs).
    pub fn bar(&mut self, sample: &SampleBar) {
        self.bars_together(std::slice::from_ref(sample));
    }

    /// Bars of several contracts that arrive together, as live trading delivers them: each
    /// opens in the accounts (fills, `on-fill`), then the fleet gives every strategy the ones it
    /// declared in one `on-bars` call ([`Fleet::on_bars`]; one bar is an `on-bar` call), then
    /// the accounts mark their closes. The bars are of one time, at most one per contract.
    pub fn bars_together(&mut self, samples: &[SampleBar]) {
        let Some(first) = samples.first() else {
            return;
        };
        let start_ms = first.bar.start_ms;
        self.now_ms = start_ms;
        let names: Vec<Arc<str>> = self.fleet.names().cloned().collect();
        for name in &names {
            let Some(desk) = self.fleet.desk_mut(name) else {
                continue;
            };
            desk.set_now_ms(start_ms);
            let fills: Vec<bindings::Fill> = samples
                .iter()
                .flat_map(|s| open_in(desk, &s.instrument, &s.bar))
                .collect();
            for fill in fills {
                self.fleet.on_fill(name, &fill, start_ms);
            }
        }
        let events: Vec<BarEvent<'_>> = samples
            .iter()
            .map(|s| BarEvent {
                instrument: &s.instrument,
                bar_seconds: 60,
                bar: s.bar,
                source: bindings::DataSource::Live,
            })
            .collect();
        self.fleet.on_bars(&events, start_ms);
        for name in &names {
            let Some(desk) = self.fleet.desk_mut(name) else {
                continue;
            };
            for sample in samples {
                if let Some(own) = own_bar(desk, &sample.instrument, &sample.bar) {
                    desk.sim_mut()
                        .expect("a running strategy's desk is bound")
                        .mark(&own);
                }
            }
        }
    }

    /// Every bar of `bars`, in order, one at a time.
    pub fn feed(&mut self, bars: &[SampleBar]) {
        for bar in bars {
            self.bar(bar);
        }
    }

    /// Every bar of `bars`, in order, those of one time (consecutive in the file) together:
    /// see [`bars_together`](Self::bars_together).
    pub fn feed_together(&mut self, bars: &[SampleBar]) {
        for group in bars.chunk_by(|a, b| a.bar.start_ms == b.bar.start_ms) {
            self.bars_together(group);
        }
    }

    /// Moves the supervisor's clock to `now_ms` and restarts the strategies whose backoff has
    /// expired by then.
    pub fn restart_due(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.fleet.restart_due(now_ms);
    }

    /// The supervisor's clock.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Strategy `name`'s status. Panics if it is not installed.
    pub fn status(&self, name: &str) -> StrategyStatus {
        self.fleet
            .status_of(name)
            .unwrap_or_else(|| panic!("strategy `{name}` is not installed"))
    }

    /// The fills of running strategy `name`'s account so far. Panics if it is not running.
    pub fn trades(&mut self, name: &str) -> Vec<Fill> {
        self.desk(name)
            .sim()
            .expect("a running strategy's desk is bound")
            .trades()
            .to_vec()
    }

    /// Running strategy `name`'s desk. Panics if it is not running.
    pub fn desk(&mut self, name: &str) -> &mut BacktestDesk {
        self.fleet
            .desk_mut(name)
            .unwrap_or_else(|| panic!("strategy `{name}` is not running"))
    }
}

/// `bar` as `desk`'s own account numbers its instrument, if the strategy declared it.
fn own_bar(desk: &BacktestDesk, instrument: &Instrument, bar: &Bar) -> Option<BarRow> {
    let id = desk.sim()?.table().id(instrument)?;
    Some(BarRow {
        symbol: id,
        bar: *bar,
    })
}

/// Opens `bar` in `desk`'s account: the fills it causes, as the strategy's `on-fill` sees them.
fn open_in(desk: &mut BacktestDesk, instrument: &Instrument, bar: &Bar) -> Vec<bindings::Fill> {
    let Some(own) = own_bar(desk, instrument, bar) else {
        return Vec::new();
    };
    let spelling = desk
        .gate()
        .and_then(|gate| gate.declared_as(instrument))
        .unwrap_or(&instrument.symbol)
        .to_owned();
    let sim = desk.sim_mut().expect("a desk with an account is bound");
    sim.open(&own)
        .iter()
        .map(|fill| bindings::Fill {
            signal_id: fill.signal_id,
            symbol: spelling.clone(),
            action: fill.action.into(),
            quantity: fill.quantity,
            price: fill.price,
            time_ms: fill.time_ms,
        })
        .collect()
}
