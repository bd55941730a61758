//! What the runtime benchmarks share: the two engines (live deadlines, backtest fuel), a desk
//! that takes every signal, and starting a real guest component on them.
//!
//! The desk accepts everything and keeps nothing, on purpose: these benchmarks measure the
//! wasm boundary and the runtime, and the risk rules have their own benchmark
//! (`cargo bench -p sandtrade-risk --bench risk`). The backtest benchmark uses the real
//! `BacktestDesk` through `sandtrade_backtest::run`.

#![allow(dead_code)] // Each bench binary uses a different part.

use std::path::Path;
use std::sync::Arc;

use sandtrade_core::{
    BracketIds, BracketRequest, Instrument, OrderChange, Rejection, SignalRequest,
};
use sandtrade_runtime::bindings::{Bar, DataSource, Market};
use sandtrade_runtime::{
    BarEvent, CancelRefusal, Cancelled, CpuBudget, Desk, Holding, Modified, ModifyRefusal,
    PreparedStrategy, Runtime, SandboxConfig, StrategyInstance, WorkingOrder, compile_file, linker,
};

/// 2024-01-02T14:30:00Z: the time of the first bar the benches make.
pub const START_MS: i64 = 1_704_205_800_000;

/// Takes every signal and gives it the next id; holds nothing.
#[derive(Debug, Default)]
pub struct AcceptAll {
    /// Signals taken so far.
    pub emitted: u64,
}

impl Desk for AcceptAll {
    fn emit(&mut self, _signal: SignalRequest) -> Result<u64, Rejection> {
        self.emitted += 1;
        Ok(self.emitted)
    }

    fn emit_bracket(&mut self, bracket: BracketRequest) -> Result<BracketIds, Rejection> {
        let ids = BracketIds::from_entry(self.emitted + 1, &bracket.exits);
        self.emitted = ids.stop_loss.or(ids.take_profit).unwrap_or(ids.entry);
        Ok(ids)
    }

    fn position(&mut self, _symbol: &str) -> Option<Holding> {
        None
    }

    fn working_orders(&mut self) -> Vec<WorkingOrder> {
        Vec::new()
    }

    /// It keeps no orders: every id is one it never had.
    fn cancel(&mut self, _signal_id: u64) -> Result<Cancelled, CancelRefusal> {
        Err(CancelRefusal::UnknownOrder)
    }

    fn modify(&mut self, _signal_id: u64, _change: OrderChange) -> Result<Modified, ModifyRefusal> {
        Err(ModifyRefusal::UnknownOrder)
    }

    fn now_ms(&mut self) -> i64 {
        0
    }
}

/// The two CPU budgets a strategy call runs under, with the names the printouts use.
pub const BUDGETS: [(&str, CpuBudget); 2] = [
    ("deadline (live)", CpuBudget::Deadline),
    (
        "fuel (backtest)",
        CpuBudget::Fuel {
            per_call: sandtrade_backtest::run::DEFAULT_FUEL_PER_CALL,
        },
    ),
];

/// A runtime with the default sandbox (what `sandtrade` runs with) and `budget`.
pub fn runtime(budget: CpuBudget) -> Runtime {
    Runtime::new(SandboxConfig::default(), budget).expect("the engine starts")
}

/// The component at `wasm`, compiled (no cache) and linked against an [`AcceptAll`] desk.
pub fn prepare(runtime: &Runtime, wasm: &Path) -> PreparedStrategy<AcceptAll> {
    let compiled = compile_file(runtime, None, wasm).expect("the guest compiles");
    let linker = linker::strategy_linker::<AcceptAll>(runtime.engine()).expect("the linker");
    PreparedStrategy::new(&linker, Arc::new(compiled)).expect("the guest links")
}

/// A started instance (instantiated, described, initialized with `params`).
pub fn start(
    runtime: &Runtime,
    prepared: &PreparedStrategy<AcceptAll>,
    params: &[(&str, &str)],
) -> StrategyInstance<AcceptAll> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let name = prepared
        .compiled()
        .path
        .file_stem()
        .map_or("guest".into(), |s| s.to_string_lossy().into_owned());
    match prepared.start(runtime, name.into(), AcceptAll::default(), &params) {
        Ok(started) => started.instance,
        Err(failed) => panic!("the guest does not start: {}", failed.error),
    }
}

/// A one-minute US bar of `symbol` at `start_ms` whose prices are all `close`, as a guest
/// receives it.
pub fn guest_bar(symbol: &str, start_ms: i64, close: f64) -> Bar {
    Bar {
        symbol: symbol.to_owned(),
        market: Market::UsStock,
        start_ms,
        open: close,
        high: close,
        low: close,
        close,
        volume: 100.0,
        source: DataSource::Live,
    }
}

/// The same bar as market data hands it to a `Fleet`.
pub fn bar_event(instrument: &Instrument, start_ms: i64, close: f64) -> BarEvent<'_> {
    BarEvent {
        instrument,
        bar_seconds: 60,
        bar: sandtrade_core::Bar {
            start_ms,
            open: close,
            high: close,
            low: close,
            close,
            volume: 100.0,
        },
        source: sandtrade_runtime::bindings::DataSource::Live,
    }
}

/// Prints the header every benchmark starts with: what, the command, the machine's state.
pub fn header(what: &str, command: &str) {
    println!("{what}");
    println!("command: {command}");
    println!("machine: {}", bench_kit::Machine::now());
    println!();
}
