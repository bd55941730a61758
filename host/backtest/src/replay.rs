//! The replay loop: the bars of a file into the strategy and the simulated account, in time
//! order, several bars to a call where that cannot change anything the strategy sees.
//!
//! One bar at a time, a bar is: a restart of the strategy if one is due; the desk's clock set to
//! the bar's start; the bar opened in the account ([`Sim::open`]: orders resting on its symbol
//! fill or expire, and its close becomes the symbol's reference price); `on-fill` for each
//! fill; `on-bar`; the bar marked ([`Sim::mark`]: the position valued at its close, equity,
//! drawdown, curve).
//!
//! A run of bars goes to the strategy in one `on-bars` call instead when delivering them one by
//! one would show it nothing different:
//!
//! - The first bar is opened as above; every later bar of the batch is of a symbol on which no
//!   order rests (an exit of a bracket rests from its acceptance, waiting for its entry or
//!   working), so opening it would fill or expire nothing and only set a reference price.
//!   The desk sets those as the strategy moves through the batch (`handling-bar`), so that its
//!   clock, prices, position and working orders answer as of the bar it is on. An accepted
//!   signal ends the batch (the SDKs stop after its bar; the replay checks it), so its order is
//!   filled, at the next bar of its symbol, before the strategy sees that bar.
//! - The strategy is up: no restart can fall due inside a batch.
//! - The component has no clock but `now-ms`: a WASI clock (the inert profile's) would read the
//!   time of the last bar the SDK told the desk of, not the one the strategy is on. Those
//!   components (Python, TypeScript) get one bar per call.
//! - The whole batch gets one call's fuel, not one per bar, so a batch that completes had no
//!   bar that would have run out of fuel alone. Batches are sized to use a small share of it at
//!   the rate of the strategy's recent bars, so that they rarely run out.
//! - Batches end at every multiple of [`PROGRESS_EVERY`] bars, where progress is reported.
//!
//! The consumed bars are then marked in file order: nothing filled between them, so each
//! records the equity it would have.
//!
//! A fault inside a batch of several bars (a trap, fuel, memory, or a batch that went on past
//! its accepted signal) cannot be placed: the instance is gone, and which bar it was on, or
//! whether that bar alone would have faulted at all, is unknown. The replay then stops with
//! [`Ended::BatchFault`], and the run starts over from the first bar (everything is
//! deterministic), delivering bars one at a time from that batch's first bar on.

use std::sync::Arc;

use super::bars::{BarError, BarFeed, BarRow};
use super::desk::BacktestDesk;
use super::fill::Fill;
use super::run::PROGRESS_EVERY;
#[cfg(doc)]
use super::sim::Sim;
use sandtrade_runtime::bindings;
use sandtrade_runtime::supervisor::Supervisor;
use sandtrade_runtime::{
    BarBatch, CompiledStrategy, Failed, PreparedStrategy, Runtime, SandboxConfig, StrategyInstance,
};

/// The most bars in one `on-bars` call. A bar sent costs little to copy (its numbers go into
/// the guest in one copy per column, ~15 ns a bar) and nothing in the guest if a signal ends
/// the call before it; the call itself costs ~700 ns (the call, and an allocation in the guest
/// per list it carries). A batch ends at the strategy's first accepted signal, and the bars
/// after it are sent again in the next call, so a strategy that trades often is best served by
/// short calls and one that rarely trades by long ones: the replay starts at
/// [`FIRST_BATCH_BARS`], doubles the length after a call that consumed all its bars, up to
/// this, and halves it after one that a signal cut short.
pub const MAX_BATCH_BARS: usize = 256;

/// The length of the first `on-bars` call, and the shortest the halving goes (see
/// [`MAX_BATCH_BARS`]).
pub const FIRST_BATCH_BARS: usize = 16;

/// A batch is sized to use at most this share of one call's fuel at its bars' recent rate,
/// leaving the rest for a bar that costs far more than the ones before it.
const BATCH_FUEL_SHARE: u64 = 8;

/// Whether `compiled` can be given several bars per call without changing what it sees: it
/// reads no clock but `now-ms` (see the module docs).
pub fn can_batch(compiled: &CompiledStrategy) -> bool {
    !compiled
        .imports
        .iter()
        .any(|import| import.starts_with("wasi:clocks/"))
}

/// Which bars of a file may go in batches, and which are replayed without the log.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Bars from this one on (0-based, in file order) go one per call; `u64::MAX` batches all.
    pub singly_from: u64,
    /// Bars before this one run without the log: a run started over has already logged them.
    pub quiet_before: u64,
}

/// How a replay ended.
#[derive(Debug)]
pub enum Ended {
    /// Every bar of the file was replayed: this many.
    AllBars(u64),
    /// A fault inside the batch starting at this bar: the run must start over (module docs).
    BatchFault {
        /// The batch's first bar, 0-based in file order.
        first_bar: u64,
    },
}

/// The strategy, running or down after a fault (its desk, with the account, survives).
pub enum Strategy {
    /// Running.
    Up(StrategyInstance<BacktestDesk>),
    /// Down after a fault: restarting after a backoff, or quarantined.
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

    /// Gives the desk back, with the account and the gate.
    pub fn into_desk(self) -> BacktestDesk {
        match self {
            Self::Up(instance) => instance.into_desk(),
            Self::Down(desk) => *desk,
            Self::Moving => unreachable!("{MOVING}"),
        }
    }
}

/// What restarting the strategy takes.
#[derive(Clone, Copy)]
pub struct Restarts<'a> {
    /// The linked component.
    pub prepared: &'a PreparedStrategy<BacktestDesk>,
    /// The engine.
    pub runtime: &'a Runtime,
    /// The parameters for `init`.
    pub params: &'a [(String, String)],
}

/// The replay loop's state.
pub struct Replay<'a> {
    name: Arc<str>,
    /// The strategy, up or down.
    pub strategy: Strategy,
    /// Its faults so far, and what follows them.
    pub supervisor: Supervisor,
    /// Each fault: `(bar time, what happened)`.
    pub faults: Vec<(i64, String)>,
    /// The `on-bar` and `on-bars` calls made.
    pub bar_calls: u64,
    restarts: Restarts<'a>,
    plan: Plan,
    /// Fuel per call, and the most a recent bar used (decaying): sizes the batches.
    fuel_per_call: Option<u64>,
    fuel_per_bar: Option<u64>,
    /// The most bars the next batch may hold: between [`FIRST_BATCH_BARS`] and
    /// [`MAX_BATCH_BARS`], as the strategy's recent calls went.
    batch_bars: usize,
    /// One reusable guest bar per instrument (by `SymbolId`), in the strategy's spelling.
    guest_bars: Vec<bindings::Bar>,
    /// The bars of a batch, reused from one batch to the next.
    batch: BarBatch,
    /// The declared spelling per instrument, for fills.
    spellings: Vec<String>,
    /// Fills of the current bar, copied out of the account so the strategy can be called.
    fills: Vec<Fill>,
}

impl<'a> Replay<'a> {
    /// A replay of `strategy` (started, its desk bound), batching bars as `plan` allows.
    pub fn new(name: Arc<str>, strategy: Strategy, restarts: Restarts<'a>, plan: Plan) -> Self {
        let sandbox: &SandboxConfig = restarts.runtime.sandbox();
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
        let fuel_per_call = match restarts.runtime.budget() {
            sandtrade_runtime::CpuBudget::Fuel { per_call } => Some(per_call),
            sandtrade_runtime::CpuBudget::Deadline => None,
        };
        Self {
            name,
            strategy,
            supervisor: Supervisor::new(
                sandbox.max_strikes,
                i64::try_from(sandbox.strike_window_s).unwrap_or(i64::MAX / 1000) * 1000,
            ),
            faults: Vec::new(),
            bar_calls: 0,
            restarts,
            plan,
            fuel_per_call,
            fuel_per_bar: None,
            batch_bars: FIRST_BATCH_BARS,
            guest_bars,
            batch: BarBatch::new(),
            spellings,
            fills: Vec::new(),
        }
    }

    /// The strategy's desk (with the account).
    pub fn desk(&self) -> &BacktestDesk {
        self.strategy.desk()
    }

    /// Replays every bar of `feed`; `progress` is called every [`PROGRESS_EVERY`] bars with the
    /// bars done.
    ///
    /// # Errors
    ///
    /// The first bad row of the file, once the bars before it are replayed.
    pub fn run(
        &mut self,
        feed: &mut BarFeed,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Ended, BarError> {
        let quiet = tracing::Dispatch::none();
        let mut ahead = Lookahead::new(feed);
        let mut done = 0u64;
        loop {
            ahead.fill(MAX_BATCH_BARS)?;
            let waiting = ahead.waiting();
            if waiting.is_empty() {
                return Ok(Ended::AllBars(done));
            }
            let step = if done < self.plan.quiet_before {
                tracing::dispatcher::with_default(&quiet, || self.step(waiting, done))
            } else {
                self.step(waiting, done)
            };
            let Some(consumed) = step else {
                return Ok(Ended::BatchFault { first_bar: done });
            };
            ahead.consume(consumed);
            done += consumed as u64;
            if done.is_multiple_of(PROGRESS_EVERY) {
                progress(done);
            }
        }
    }

    /// Replays the first of `waiting` (bar `index` of the file), and the bars after it that can
    /// go in the same call. Returns how many it replayed, or `None` after a fault inside a batch.
    fn step(&mut self, waiting: &[BarRow], index: u64) -> Option<usize> {
        let first = &waiting[0];
        self.open(first);
        let batch = self.batch_len(waiting, index);
        let consumed = if batch > 1 {
            self.deliver_batch(&waiting[..batch])?
        } else {
            self.deliver_one(first);
            1
        };
        let sim = self.strategy.desk_mut().sim_mut().expect("bound");
        for row in &waiting[..consumed] {
            sim.mark(row);
        }
        Some(consumed)
    }

    /// Restarts the strategy if due, sets the clock to `row`, opens it in the account and
    /// delivers its fills.
    fn open(&mut self, row: &BarRow) {
        if self.supervisor.restart_due(row.bar.start_ms) {
            self.restart(row.bar.start_ms);
        }
        let desk = self.strategy.desk_mut();
        desk.set_now_ms(row.bar.start_ms);
        let sim = desk.sim_mut().expect("bound");
        self.fills.clear();
        self.fills.extend_from_slice(sim.open(row));
        let Strategy::Up(instance) = &mut self.strategy else {
            return;
        };
        let delivered = self.fills.iter().try_for_each(|fill| {
            let guest_fill = bindings::Fill {
                signal_id: fill.signal_id,
                symbol: self.spellings[fill.symbol.index()].clone(),
                action: fill.action.into(),
                quantity: fill.quantity,
                price: fill.price,
                time_ms: fill.time_ms,
            };
            instance.on_fill(&guest_fill).map(drop)
        });
        if let Err(fault) = delivered {
            self.fault(row.bar.start_ms, fault.to_string());
        }
    }

    /// How many of `waiting` (the first opened, bar `index` of the file) go in one call.
    fn batch_len(&self, waiting: &[BarRow], index: u64) -> usize {
        let Strategy::Up(instance) = &self.strategy else {
            return 1;
        };
        let sim = instance.desk().sim().expect("bound");
        let until_progress = PROGRESS_EVERY - index % PROGRESS_EVERY;
        let until_singly = self.plan.singly_from.saturating_sub(index);
        let most = [
            until_progress,
            until_singly,
            self.fuel_cap(),
            self.batch_bars as u64,
        ]
        .into_iter()
        .min()
        .map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX))
        .min(waiting.len());
        if most <= 1 {
            return 1;
        }
        // A bar whose symbol has an order resting would fill or expire it when it opens: it
        // must start a call of its own, after the strategy has seen what happened.
        1 + waiting[1..most]
            .iter()
            .take_while(|row| !sim.has_orders(row.symbol))
            .count()
    }

    /// The most bars a batch may have for its fuel: unknown until a bar has been measured.
    fn fuel_cap(&self) -> u64 {
        match (self.fuel_per_call, self.fuel_per_bar) {
            (Some(per_call), Some(per_bar)) => {
                (per_call / BATCH_FUEL_SHARE / per_bar.max(1)).min(MAX_BATCH_BARS as u64)
            }
            (Some(_), None) => 1,
            (None, _) => MAX_BATCH_BARS as u64,
        }
    }

    /// Takes what the last call used into the fuel rate per bar: the most of the recent calls,
    /// an eighth of the excess forgotten per call, so that one expensive bar does not keep the
    /// batches small for the rest of the run.
    fn measure(&mut self, bars: usize) {
        let Strategy::Up(instance) = &self.strategy else {
            return;
        };
        let Some(used) = instance.last_call_fuel() else {
            return;
        };
        let rate = used.div_ceil(bars.max(1) as u64);
        let decayed = self.fuel_per_bar.map_or(0, |before| before - before / 8);
        self.fuel_per_bar = Some(rate.max(decayed));
    }

    /// `on-bar` for `row`, as the strategy alone would see it.
    fn deliver_one(&mut self, row: &BarRow) {
        let Strategy::Up(instance) = &mut self.strategy else {
            return;
        };
        let guest_bar = &mut self.guest_bars[row.symbol.index()];
        guest_bar.set(row.bar.start_ms, prices(row));
        self.bar_calls += 1;
        match instance.on_bar(guest_bar) {
            Ok(_) => self.measure(1),
            Err(fault) => self.fault(row.bar.start_ms, fault.to_string()),
        }
    }

    /// `on-bars` for `rows` (the first opened, none of the others on a symbol with an order
    /// resting). Returns how many the strategy consumed, or `None` after a fault.
    fn deliver_batch(&mut self, rows: &[BarRow]) -> Option<usize> {
        let Strategy::Up(instance) = &mut self.strategy else {
            unreachable!("only a running strategy gets batches");
        };
        fill_batch(&mut self.batch, &mut self.guest_bars, rows);
        instance.desk_mut().begin_batch(rows);
        self.bar_calls += 1;
        let result = instance.on_bars(&self.batch);
        let consumed = match result {
            Ok((consumed, _)) => consumed,
            Err(fault) => {
                // The instance is gone and the attempt is abandoned with it (module docs).
                tracing::debug!(
                    bars = rows.len(),
                    "{fault}: inside a batch; replaying bar by bar from its first bar"
                );
                return None;
            }
        };
        if !instance.desk_mut().end_batch(consumed) {
            // It went on past the bar of an accepted signal, without the fill it would have
            // seen first: what it did after that bar cannot stand.
            tracing::debug!(
                bars = rows.len(),
                "strategy `{}`: on-bars went on past an accepted signal; replaying bar by bar",
                self.name
            );
            return None;
        }
        self.measure(consumed);
        self.batch_bars = if consumed == rows.len() {
            (self.batch_bars * 2).min(MAX_BATCH_BARS)
        } else {
            (self.batch_bars / 2).max(FIRST_BATCH_BARS)
        };
        Some(consumed)
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

    fn restart(&mut self, now_ms: i64) {
        let Strategy::Down(_) = &self.strategy else {
            return;
        };
        let desk = std::mem::replace(&mut self.strategy, Strategy::Moving).into_desk();
        let Restarts {
            prepared,
            runtime,
            params,
        } = self.restarts;
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

/// A row's prices as a guest bar takes them.
fn prices(row: &BarRow) -> [f64; 5] {
    let bar = &row.bar;
    [bar.open, bar.high, bar.low, bar.close, bar.volume]
}

/// Makes `batch` the bars of `rows`, through each instrument's guest bar in `guest_bars`:
/// after the first batches, making one allocates nothing.
fn fill_batch(batch: &mut BarBatch, guest_bars: &mut [bindings::Bar], rows: &[BarRow]) {
    batch.clear();
    for row in rows {
        let bar = &mut guest_bars[row.symbol.index()];
        bar.set(row.bar.start_ms, prices(row));
        batch.push(bar);
    }
}

/// How many batches' worth of rows the replay reads ahead at a time.
const READ_AHEAD: usize = 4;

/// The bars read ahead of the replay: a batch is made of those already read.
struct Lookahead<'f> {
    feed: &'f mut BarFeed,
    rows: Vec<BarRow>,
    /// The first row not yet replayed.
    head: usize,
    /// A bad row, reported once the rows before it are replayed.
    error: Option<BarError>,
    ended: bool,
}

impl<'f> Lookahead<'f> {
    fn new(feed: &'f mut BarFeed) -> Self {
        Self {
            feed,
            rows: Vec::with_capacity(READ_AHEAD * MAX_BATCH_BARS),
            head: 0,
            error: None,
            ended: false,
        }
    }

    /// Makes at least `n` rows wait, unless the file has no more good rows. It reads `n` times
    /// more than asked when it reads, so that moving the waiting rows to the front of the buffer
    /// is rare.
    ///
    /// # Errors
    ///
    /// A bad row, once no row before it waits.
    fn fill(&mut self, n: usize) -> Result<(), BarError> {
        if self.rows.len() - self.head < n && !self.ended {
            self.rows.drain(..self.head);
            self.head = 0;
            while self.rows.len() < READ_AHEAD * n {
                match self.feed.next() {
                    Some(Ok(row)) => self.rows.push(row),
                    Some(Err(error)) => {
                        self.error = Some(error);
                        self.ended = true;
                        break;
                    }
                    None => {
                        self.ended = true;
                        break;
                    }
                }
            }
        }
        match self.error.take() {
            Some(error) if self.head == self.rows.len() => Err(error),
            error => {
                self.error = error;
                Ok(())
            }
        }
    }

    /// The rows read and not yet replayed, in file order.
    fn waiting(&self) -> &[BarRow] {
        &self.rows[self.head..]
    }

    /// The first `n` waiting rows are replayed.
    fn consume(&mut self, n: usize) {
        self.head += n;
    }
}
