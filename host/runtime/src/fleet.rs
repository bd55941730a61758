//! Every loaded strategy, and what happens to each: install, hot swap, bars and fills in,
//! faults, restarts, quarantine, removal.
//!
//! A `Fleet` is owned by one thread (the strategy worker); every change — a new file, a
//! replaced file, a removed one — arrives between two bars, so a swap never interrupts a call.
//! One strategy's trap costs that strategy a strike and nothing else: the bar goes on to the
//! others, and the strategy restarts after a backoff or is quarantined.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::Linker;

mod report;

use super::bar_batch::BarBatch;
use super::bindings;
use super::compile::{CompiledStrategy, LoadError};
use super::engine::Runtime;
use super::host::{CallStats, Desk, StrategyState};
use super::instance::{GuestFault, PreparedStrategy, StartError, StrategyInstance};
use super::linker::strategy_linker;
use super::metadata::StrategyMetadata;
use super::sidecar::Sidecar;
use super::supervisor::{Health, Supervisor};
use super::watch::DirChange;
use sandtrade_core::Market;
use sandtrade_core::{Bar, Instrument};

/// The most bars one `on-bars` call of a warm-up or backfill carries. A call has one deadline
/// (the live per-call budget), so a batch must stay far inside what one bar may take times
/// the batch; 16 is also where the backtest's batches measured best.
pub const MAX_BATCH_BARS: usize = 16;

pub use report::{StrategyCounters, StrategyStatus};

/// What the desk factory is told about a strategy it makes a desk for.
#[derive(Debug, Clone)]
pub struct DeskSpec {
    /// The strategy's name in the host (its file name without `.wasm`).
    pub name: Arc<str>,
    /// SHA-256 of the wasm that runs.
    pub wasm_sha256: String,
    /// Its sidecar (parameters and limits).
    pub sidecar: Sidecar,
}

/// Makes the desk of a newly installed strategy.
pub type DeskFactory<D> = Box<dyn FnMut(&DeskSpec) -> D + Send>;

/// One bar of one instrument, as market data or a replay delivers it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarEvent<'a> {
    /// The instrument.
    pub instrument: &'a Instrument,
    /// The bar size in seconds: goes to the strategies that asked for this size.
    pub bar_seconds: u32,
    /// The bar.
    pub bar: Bar,
    /// Where its prices came from.
    pub source: bindings::DataSource,
}

/// Why a strategy could not be installed. The running version, if any, stays.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The file is not a loadable strategy.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// It loaded but did not start.
    #[error("{name}: {error}")]
    Start {
        /// The strategy.
        name: Arc<str>,
        /// What failed.
        error: StartError,
    },
}

/// What [`Fleet::install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// A new strategy started.
    New,
    /// The same build with the same sidecar is already installed; nothing was restarted.
    Unchanged,
    /// A running strategy was replaced by the new build.
    Replaced {
        /// SHA-256 of the build it replaced.
        previous_sha256: String,
    },
}

struct Slot<D: 'static> {
    name: Arc<str>,
    prepared: PreparedStrategy<D>,
    sidecar: Sidecar,
    metadata: StrategyMetadata,
    /// `None` while backing off, quarantined or disabled.
    instance: Option<StrategyInstance<D>>,
    /// The desk of a dead instance, kept for its restart.
    idle_desk: Option<D>,
    supervisor: Supervisor,
    enabled: bool,
    /// Bars held back from [`Fleet::on_bar`] (live trading warms a new strategy up with
    /// history first, through [`Fleet::on_bars_for`]).
    held: bool,
    last_error: Option<String>,
    counters: StrategyCounters,
    /// One reusable bar per declared symbol, already carrying the strategy's own spelling.
    bars: Vec<bindings::Bar>,
    /// The `on-bars` batch, reused from one call to the next (its buffers and symbols).
    batch: BarBatch,
}

/// A strategy that wants bars of one contract.
struct Subscriber {
    market: Market,
    bar_seconds: u32,
    strategy: Arc<str>,
    /// Index into the strategy's `bars`.
    index: usize,
}

/// Every loaded strategy.
pub struct Fleet<D: Desk> {
    runtime: Runtime,
    linker: Linker<StrategyState<D>>,
    make_desk: DeskFactory<D>,
    slots: BTreeMap<Arc<str>, Slot<D>>,
    /// Subscribers by IB contract symbol (looked up without allocating on every bar).
    subscriptions: HashMap<String, Vec<Subscriber>>,
    /// The last load failure of each strategy file, until it loads.
    load_errors: BTreeMap<Arc<str>, String>,
}

impl<D: Desk> fmt::Debug for Fleet<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("strategies", &self.slots.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<D: Desk> Fleet<D> {
    /// An empty fleet on `runtime`; `make_desk` makes each strategy's desk.
    ///
    /// # Errors
    ///
    /// If the linker cannot be built (a bug).
    pub fn new(runtime: Runtime, make_desk: DeskFactory<D>) -> anyhow::Result<Self> {
        let linker = strategy_linker::<D>(runtime.engine())?;
        Ok(Self {
            runtime,
            linker,
            make_desk,
            slots: BTreeMap::new(),
            subscriptions: HashMap::new(),
            load_errors: BTreeMap::new(),
        })
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Names of the installed strategies.
    pub fn names(&self) -> impl Iterator<Item = &Arc<str>> {
        self.slots.keys()
    }

    /// Installs `compiled` as the strategy `name`, or replaces the running `name` with it.
    ///
    /// The new build is started (instantiated, described, initialized) before the old one is
    /// dropped; if it fails to start, the old one keeps running and the error says why.
    ///
    /// # Errors
    ///
    /// An [`InstallError`]; nothing changed.
    pub fn install(
        &mut self,
        name: Arc<str>,
        compiled: Arc<CompiledStrategy>,
        sidecar: Sidecar,
    ) -> Result<Installed, InstallError> {
        if let Some(slot) = self.slots.get(&name)
            && slot.prepared.compiled().wasm_sha256 == compiled.wasm_sha256
            && slot.sidecar == sidecar
        {
            // E.g. a bad file was replaced by the build that was running all along.
            return Ok(Installed::Unchanged);
        }
        let prepared = PreparedStrategy::new(&self.linker, compiled.clone())?;
        let spec = DeskSpec {
            name: name.clone(),
            wasm_sha256: compiled.wasm_sha256.clone(),
            sidecar: sidecar.clone(),
        };
        let desk = (self.make_desk)(&spec);
        let started = prepared
            .start(&self.runtime, name.clone(), desk, &sidecar.params)
            .map_err(|failed| InstallError::Start {
                name: name.clone(),
                error: failed.error,
            })?;
        let bars = started
            .metadata
            .symbols
            .iter()
            .zip(&started.metadata.instruments)
            .map(|(symbol, instrument)| {
                bindings::Bar::blank(symbol, instrument.market, bindings::DataSource::Live)
            })
            .collect();
        let sandbox = self.runtime.sandbox();
        let slot = Slot {
            name: name.clone(),
            prepared,
            sidecar,
            metadata: started.metadata,
            instance: Some(started.instance),
            idle_desk: None,
            supervisor: Supervisor::new(sandbox.max_strikes, sandbox.strike_window_s as i64 * 1000),
            enabled: true,
            held: false,
            last_error: None,
            counters: StrategyCounters::default(),
            bars,
            batch: BarBatch::new(),
        };
        let outcome = match self.slots.insert(name, slot) {
            None => Installed::New,
            Some(old) => Installed::Replaced {
                previous_sha256: old.prepared.compiled().wasm_sha256.clone(),
            },
        };
        self.rebuild_subscriptions();
        Ok(outcome)
    }

    /// Applies a change of the strategies directory, logging what happened.
    pub fn apply(&mut self, change: DirChange) {
        match change {
            DirChange::Upsert {
                name,
                compiled,
                sidecar,
            } => {
                let sha = compiled.wasm_sha256.clone();
                match self.install(name.clone(), compiled, sidecar) {
                    Ok(outcome) => {
                        self.load_errors.remove(&name);
                        let metadata = self.slots.get(&name).map(|s| s.metadata.to_string());
                        match outcome {
                            Installed::New => tracing::info!(
                                strategy = &*name,
                                sha256 = &sha[..12],
                                "started: {}",
                                metadata.unwrap_or_default()
                            ),
                            Installed::Unchanged => {}
                            Installed::Replaced { previous_sha256 } => tracing::info!(
                                strategy = &*name,
                                sha256 = &sha[..12],
                                previous = &previous_sha256[..12],
                                "replaced: {}",
                                metadata.unwrap_or_default()
                            ),
                        }
                    }
                    Err(e) => self.refused(name, e.to_string()),
                }
            }
            DirChange::Refused { name, error } => self.refused(name, error),
            DirChange::Removed { name } => {
                self.load_errors.remove(&name);
                if self.remove(&name) {
                    tracing::info!(strategy = &*name, "stopped: its file was removed");
                }
            }
        }
    }

    fn refused(&mut self, name: Arc<str>, error: String) {
        match self.slots.get(&name) {
            Some(running) => tracing::error!(
                strategy = &*name,
                "new version refused, version {} keeps running: {error}",
                &running.prepared.compiled().wasm_sha256[..12]
            ),
            None => tracing::error!(strategy = &*name, "not loaded: {error}"),
        }
        self.load_errors.insert(name, error);
    }

    /// Strategy files that did not load, with why (a running version of the same name, if
    /// any, still runs).
    pub fn load_errors(&self) -> &BTreeMap<Arc<str>, String> {
        &self.load_errors
    }

    /// Stops and forgets the strategy `name`. Returns whether it was installed.
    pub fn remove(&mut self, name: &str) -> bool {
        let removed = self.slots.remove(name).is_some();
        if removed {
            self.rebuild_subscriptions();
        }
        removed
    }

    /// Stops `name` without forgetting it. Returns whether it is installed.
    pub fn disable(&mut self, name: &str) -> bool {
        let Some(slot) = self.slots.get_mut(name) else {
            return false;
        };
        slot.enabled = false;
        if let Some(instance) = slot.instance.take() {
            slot.idle_desk = Some(instance.into_desk());
        }
        true
    }

    /// Starts `name` again (also out of quarantine), with a fresh instance.
    ///
    /// # Errors
    ///
    /// A [`StartError`] if the fresh instance does not start; it stays stopped.
    pub fn enable(&mut self, name: &str, now_ms: i64) -> Result<bool, StartError> {
        let Some(slot) = self.slots.get_mut(name) else {
            return Ok(false);
        };
        slot.enabled = true;
        slot.supervisor.reset();
        if slot.instance.is_none() {
            restart(&self.runtime, &mut *self.make_desk, slot, now_ms)?;
        }
        Ok(true)
    }

    /// Delivers `bar` to every running strategy that declared its instrument and bar size
    /// (and is not [held](Self::hold_bars)). `now_ms` is the supervisor's clock (monotonic
    /// when trading, replay time in a backtest).
    pub fn on_bar(&mut self, bar: &BarEvent<'_>, now_ms: i64) {
        for subscriber in subscribers_of(&self.subscriptions, bar) {
            let Some(slot) = self.slots.get_mut(&subscriber.strategy) else {
                continue;
            };
            if !slot.held {
                deliver_bar(slot, subscriber.index, bar, now_ms);
            }
        }
    }

    /// Delivers `bars`, due at once (live bars of several contracts that arrived together), to
    /// every running strategy that is not [held](Self::hold_bars): each strategy gets the ones
    /// it declared, in their order, in `on-bars` calls as [`on_bars_for`](Self::on_bars_for)
    /// makes them. One bar is an `on-bar` call, as in [`on_bar`](Self::on_bar). The
    /// strategies are called one after the other (the first to want any of the bars first),
    /// so the signals of one strategy keep their order; those of two strategies may interleave
    /// differently than bar by bar.
    pub fn on_bars(&mut self, bars: &[BarEvent<'_>], now_ms: i64) {
        if let [bar] = bars {
            return self.on_bar(bar, now_ms);
        }
        // In the order they first want a bar; the set keeps a fleet of many subscribers of the
        // same contracts from comparing every name with every other.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut wanting: Vec<Arc<str>> = Vec::new();
        for bar in bars {
            for subscriber in subscribers_of(&self.subscriptions, bar) {
                if seen.insert(&subscriber.strategy) {
                    wanting.push(subscriber.strategy.clone());
                }
            }
        }
        for name in wanting {
            if let Some(slot) = self.slots.get_mut(&name)
                && !slot.held
            {
                deliver_batched(slot, bars, now_ms);
            }
        }
    }

    /// Delivers `bars`, in time order, to the strategy `name` only, held or not (a warm-up or
    /// a backfill: history, then the live bars held back meanwhile), as `on-bar` calls would
    /// one by one, but in `on-bars` calls of up to [`MAX_BATCH_BARS`] bars of one source:
    /// one call instead of one per bar, and the same bars, the same
    /// order, the same faults. A call the strategy ends early (a signal of its was accepted)
    /// is followed by one with the rest. Bars of another size or instrument are skipped.
    /// Returns how many were delivered (fewer if the strategy faulted on the way: like one by
    /// one, the rest are not delivered to a dead instance).
    pub fn on_bars_for(&mut self, name: &str, bars: &[BarEvent<'_>], now_ms: i64) -> usize {
        match self.slots.get_mut(name) {
            Some(slot) => deliver_batched(slot, bars, now_ms),
            None => 0,
        }
    }

    /// Holds (`true`) or releases the live bars of `name` in [`on_bar`](Self::on_bar).
    /// Returns whether it is installed.
    pub fn hold_bars(&mut self, name: &str, held: bool) -> bool {
        self.slots
            .get_mut(name)
            .map(|slot| slot.held = held)
            .is_some()
    }

    /// What `name` declared, if it is installed.
    pub fn metadata(&self, name: &str) -> Option<&StrategyMetadata> {
        self.slots.get(name).map(|slot| &slot.metadata)
    }

    /// Delivers `fill` to the strategy `name`, if it is running. Returns whether it was.
    pub fn on_fill(&mut self, name: &str, fill: &bindings::Fill, now_ms: i64) -> bool {
        let Some(slot) = self.slots.get_mut(name) else {
            return false;
        };
        let Some(instance) = slot.instance.as_mut() else {
            return false;
        };
        let started = Instant::now();
        let result = instance.on_fill(fill);
        slot.counters.fills += 1;
        record_call(slot, result, started, now_ms);
        true
    }

    /// Restarts the strategies whose backoff has expired at `now_ms`.
    pub fn restart_due(&mut self, now_ms: i64) {
        for slot in self.slots.values_mut() {
            if slot.enabled
                && slot.supervisor.restart_due(now_ms)
                && let Err(e) = restart(&self.runtime, &mut *self.make_desk, slot, now_ms)
            {
                tracing::warn!(strategy = &*slot.name, error = %e, "restart failed");
            }
        }
    }

    /// The desk of a running strategy.
    pub fn desk_mut(&mut self, name: &str) -> Option<&mut D> {
        self.slots
            .get_mut(name)?
            .instance
            .as_mut()
            .map(StrategyInstance::desk_mut)
    }

    /// Every strategy's status, by name.
    pub fn status(&self) -> Vec<StrategyStatus> {
        self.slots.values().map(status_of).collect()
    }

    /// One strategy's status.
    pub fn status_of(&self, name: &str) -> Option<StrategyStatus> {
        self.slots.get(name).map(status_of)
    }

    fn rebuild_subscriptions(&mut self) {
        self.subscriptions.clear();
        for (name, slot) in &self.slots {
            for (index, instrument) in slot.metadata.instruments.iter().enumerate() {
                self.subscriptions
                    .entry(instrument.symbol.clone())
                    .or_default()
                    .push(Subscriber {
                        market: instrument.market,
                        bar_seconds: slot.metadata.bar_seconds,
                        strategy: name.clone(),
                        index,
                    });
            }
        }
    }
}

/// The strategies that declared `bar`'s instrument and bar size.
fn subscribers_of<'s>(
    subscriptions: &'s HashMap<String, Vec<Subscriber>>,
    bar: &BarEvent<'_>,
) -> impl Iterator<Item = &'s Subscriber> {
    let market = bar.instrument.market;
    let bar_seconds = bar.bar_seconds;
    subscriptions
        .get(bar.instrument.symbol.as_str())
        .into_iter()
        .flatten()
        .filter(move |s| s.market == market && s.bar_seconds == bar_seconds)
}

/// Delivers the bars of `bars` that `slot` declared (its instruments, its bar size) in
/// `on-bars` calls of up to [`MAX_BATCH_BARS`] bars of one source; a call the strategy ends
/// early is followed by one with the rest. Returns how many were delivered (fewer if it
/// faulted on the way).
fn deliver_batched<D: Desk>(slot: &mut Slot<D>, bars: &[BarEvent<'_>], now_ms: i64) -> usize {
    let instruments = &slot.metadata.instruments;
    // The bars it declared, each with the index of its instrument (and of its reusable bar).
    let mine: Vec<(usize, &BarEvent<'_>)> = bars
        .iter()
        .filter(|bar| bar.bar_seconds == slot.metadata.bar_seconds)
        .filter_map(|bar| {
            let index = instruments.iter().position(|i| i == bar.instrument)?;
            Some((index, bar))
        })
        .collect();
    let mut delivered = 0;
    while delivered < mine.len() {
        let Some(instance) = slot.instance.as_mut() else {
            break;
        };
        // Up to MAX_BATCH_BARS bars, all of one source (history, then the live bars held).
        let batch = &mut slot.batch;
        batch.clear();
        for &(index, bar) in mine[delivered..].iter().take(MAX_BATCH_BARS) {
            let guest_bar = &mut slot.bars[index];
            fill_guest_bar(guest_bar, bar);
            if !batch.fits(guest_bar) {
                break;
            }
            batch.push(guest_bar);
        }
        let started = Instant::now();
        let result = instance.on_bars(batch);
        slot.counters.bar_calls += 1;
        let result = result.map(|(consumed, stats)| {
            delivered += consumed;
            slot.counters.bars += consumed as u64;
            stats
        });
        record_call(slot, result, started, now_ms);
    }
    delivered
}

/// Calls the slot's `on-bar` with `bar` in its declared symbol `index`; whether it ran.
fn deliver_bar<D: Desk>(slot: &mut Slot<D>, index: usize, bar: &BarEvent<'_>, now_ms: i64) -> bool {
    let Some(instance) = slot.instance.as_mut() else {
        return false;
    };
    let guest_bar = &mut slot.bars[index];
    fill_guest_bar(guest_bar, bar);
    let started = Instant::now();
    let result = instance.on_bar(guest_bar);
    slot.counters.bars += 1;
    slot.counters.bar_calls += 1;
    record_call(slot, result, started, now_ms);
    true
}

/// Writes `bar`'s prices, start and source into the strategy's bar of its instrument (whose
/// symbol, in the strategy's spelling, is already there).
fn fill_guest_bar(guest_bar: &mut bindings::Bar, bar: &BarEvent<'_>) {
    guest_bar.set(
        bar.bar.start_ms,
        [
            bar.bar.open,
            bar.bar.high,
            bar.bar.low,
            bar.bar.close,
            bar.bar.volume,
        ],
    );
    guest_bar.source = bar.source;
}

/// Accounts for one guest call; on a fault, drops the dead instance and asks the supervisor.
fn record_call<D: Desk>(
    slot: &mut Slot<D>,
    result: Result<CallStats, GuestFault>,
    started: Instant,
    now_ms: i64,
) {
    slot.counters.count_call_time(started.elapsed());
    match result {
        Ok(stats) => {
            slot.counters.count_signals(stats);
            slot.supervisor.on_success();
        }
        Err(fault) => {
            *slot.counters.faults.entry(fault.kind.label()).or_default() += 1;
            let what = fault.kind.to_string();
            if let Some(instance) = slot.instance.take() {
                // The signals it emitted before the fault were validated and counted by its
                // desk; count them here too.
                slot.counters.count_signals(instance.last_call());
                slot.idle_desk = Some(instance.into_desk());
            }
            match slot.supervisor.on_fault(now_ms, &what) {
                Health::Quarantined { reason } => {
                    tracing::error!(strategy = &*slot.name, "quarantined: {reason}")
                }
                Health::BackingOff { until_ms } => tracing::warn!(
                    strategy = &*slot.name,
                    restart_in_ms = until_ms - now_ms,
                    "{fault}; restarting after a backoff"
                ),
                Health::Running => {}
            }
            slot.last_error = Some(what);
        }
    }
}

fn restart<D: Desk>(
    runtime: &Runtime,
    make_desk: &mut (dyn FnMut(&DeskSpec) -> D + Send),
    slot: &mut Slot<D>,
    now_ms: i64,
) -> Result<(), StartError> {
    let desk = slot.idle_desk.take().unwrap_or_else(|| {
        make_desk(&DeskSpec {
            name: slot.name.clone(),
            wasm_sha256: slot.prepared.compiled().wasm_sha256.clone(),
            sidecar: slot.sidecar.clone(),
        })
    });
    match slot
        .prepared
        .start(runtime, slot.name.clone(), desk, &slot.sidecar.params)
    {
        Ok(started) => {
            slot.instance = Some(started.instance);
            slot.supervisor.on_restarted();
            slot.counters.restarts += 1;
            tracing::info!(strategy = &*slot.name, "restarted");
            Ok(())
        }
        Err(failed) => {
            slot.idle_desk = Some(failed.desk);
            let what = failed.error.to_string();
            slot.supervisor.on_fault(now_ms, &what);
            slot.last_error = Some(what);
            Err(failed.error)
        }
    }
}

fn status_of<D: Desk>(slot: &Slot<D>) -> StrategyStatus {
    let state = match (slot.enabled, slot.supervisor.health()) {
        (false, _) => "disabled",
        (true, Health::Running) => "running",
        (true, Health::BackingOff { .. }) => "backing-off",
        (true, Health::Quarantined { .. }) => "quarantined",
    };
    let last_error = match slot.supervisor.health() {
        Health::Quarantined { reason } => Some(reason.clone()),
        _ => slot.last_error.clone(),
    };
    let compiled = slot.prepared.compiled();
    StrategyStatus {
        name: slot.name.to_string(),
        file: compiled.path.display().to_string(),
        wasm_sha256: compiled.wasm_sha256.clone(),
        metadata: slot.metadata.clone(),
        state,
        last_error,
        strikes: slot.supervisor.strikes(),
        counters: slot.counters.clone(),
    }
}
