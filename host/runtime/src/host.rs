//! What a strategy's imports do: the state behind one `Store`, and the `sandtrade:strategy/host`
//! functions implemented on it.
//!
//! The runtime does not decide what a signal becomes. It converts the guest's values into the
//! host's own types and hands them to a [`Desk`]: the backtest simulator in a backtest, the
//! risk check and durable order queue when trading. A refused signal is an ordinary `Err` the
//! guest sees, never a trap: a strategy is not punished for a rejection or for a host fault.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings;
use super::metadata::StrategyMetadata;
use super::output::{GuestOutput, Stream};
use sandtrade_core::{
    Action, BracketIds, BracketRequest, OrderChange, OrderType, RejectCode, Rejection,
    SignalRequest, Timing,
};

/// A strategy's own position in one symbol, as `position` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    /// The symbol as the strategy asked for it.
    pub symbol: String,
    /// Shares held.
    pub quantity: u32,
    /// Average cost per share.
    pub avg_cost: f64,
}

/// One of the strategy's orders that has not ended, as `working-orders` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingOrder {
    /// The id `emit` returned for its signal.
    pub signal_id: u64,
    /// The symbol as the strategy declared it.
    pub symbol: String,
    /// What its signal asked for.
    pub action: Action,
    /// Shares ordered.
    pub quantity: u32,
    /// Shares filled so far.
    pub filled: u32,
    /// As it was sent (prices on the tick).
    pub order_type: OrderType,
    /// Its time in force and session.
    pub timing: Timing,
    /// Where it stands.
    pub state: WorkingState,
    /// For an exit of a bracket: the signal id of its entry.
    pub exit_of: Option<u64>,
}

/// Where a working order stands (the WIT's `order-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkingState {
    /// Stored, not yet sent.
    Queued,
    /// Sent, not yet acknowledged.
    Sending,
    /// Working at IB, possibly partly filled.
    Working,
    /// A cancel was asked and not yet confirmed.
    Cancelling,
    /// Being reconciled with IB after a reconnect or restart.
    Unknown,
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The order had not left the host: it is cancelled.
    BeforeSending,
    /// The cancel is recorded, and sent to IB now or once connected and reconciled.
    Requested,
}

/// Why a cancel did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelRefusal {
    /// The strategy has no order with that signal id.
    UnknownOrder,
    /// The order has already ended.
    AlreadyEnded,
    /// A host fault: the cancel could not be recorded.
    Unavailable,
}

/// What a modify did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modified {
    /// The order had not left the host: it will be sent with the new terms.
    BeforeSending,
    /// The change is recorded, and sent to IB now or once connected and reconciled.
    Requested,
}

/// Why a modify did nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum ModifyRefusal {
    /// The strategy has no order with that signal id.
    UnknownOrder,
    /// The order has already ended.
    AlreadyEnded,
    /// IB has not acknowledged the order, an earlier change or a cancel yet: try again later.
    Pending,
    /// The new terms break a rule, as a signal with them would.
    Refused(Rejection),
    /// A host fault: the change could not be recorded.
    Unavailable,
}

/// Where a strategy's signals go, and what it may know about its account: one per strategy
/// instance, owned by its `Store`.
pub trait Desk: Send + 'static {
    /// Validates `signal` and, if it is accepted, makes it durable and returns its id.
    ///
    /// A host-side fault (the durable write failed) must be `Err` with
    /// [`RejectCode::Unavailable`], never a panic.
    fn emit(&mut self, signal: SignalRequest) -> Result<u64, Rejection>;

    /// Validates a bracket (its entry and exits together) and, if it is accepted, makes its
    /// orders durable together and returns their ids. Faults as for [`emit`](Self::emit).
    fn emit_bracket(&mut self, bracket: BracketRequest) -> Result<BracketIds, Rejection>;

    /// This strategy's own position in `symbol`, if it holds any.
    fn position(&mut self, symbol: &str) -> Option<Holding>;

    /// This strategy's orders that have not ended, oldest first.
    fn working_orders(&mut self) -> Vec<WorkingOrder>;

    /// Cancels the order of this strategy's signal `signal_id`, durably: the request is
    /// recorded before it is sent.
    ///
    /// # Errors
    ///
    /// Why nothing was cancelled: not this strategy's order, already ended, or a host fault.
    fn cancel(&mut self, signal_id: u64) -> Result<Cancelled, CancelRefusal>;

    /// Changes the quantity or prices of this strategy's working order `signal_id`, validated
    /// as a new order in its place would be, and durably: recorded before it is sent.
    ///
    /// # Errors
    ///
    /// Why nothing changed.
    fn modify(&mut self, signal_id: u64, change: OrderChange) -> Result<Modified, ModifyRefusal>;

    /// The host clock in milliseconds since the Unix epoch (replay time in a backtest).
    fn now_ms(&mut self) -> i64;

    /// Inside an `on-bars` call: the strategy is handling bar `index` of the batch, so the
    /// calls that follow answer as of that bar. The default ignores it: only a desk whose
    /// answers depend on the bar (a backtest's replay clock and prices) needs it.
    fn handling_bar(&mut self, index: usize) {
        let _ = index;
    }

    /// Called once per instance, after `describe` and before `init`: what the strategy
    /// declared (its symbols, for the `not-subscribed` check). The default ignores it.
    ///
    /// # Errors
    ///
    /// Why the desk cannot serve this strategy (e.g. its limits are invalid); it does not
    /// start.
    fn bind(&mut self, metadata: &StrategyMetadata) -> Result<(), String> {
        let _ = metadata;
        Ok(())
    }
}

/// Rejections logged per call; the rest are only counted (a guest can call `emit` a million
/// times in one bar, and the log must not pay for that).
const REJECTIONS_LOGGED_PER_CALL: u32 = 5;

/// The data of one strategy instance's `Store`.
pub struct StrategyState<D> {
    name: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
    output: GuestOutput,
    desk: D,
    call: CallStats,
    /// Set once `init` has returned: signals emitted before (from `init`) are refused, at
    /// install, hot swap and restart alike — a strategy trades from its first bar, never on
    /// what it computed before seeing one.
    started: bool,
    /// The inert profile's monotonic clock: its origin and last reading.
    monotonic: super::inert_clocks::MonotonicState,
}

/// What the current (or last) call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// `emit` calls.
    pub emits: u32,
    /// Of those, refused.
    pub rejections: u32,
}

impl CallStats {
    /// `emit` calls that were accepted.
    pub fn accepted(self) -> u32 {
        self.emits - self.rejections
    }
}

impl<D: Desk> StrategyState<D> {
    /// State for the strategy `name`, whose signals go to `desk`.
    ///
    /// Its WASI context grants nothing: no environment, arguments or preopened directories,
    /// stdin closed, stdout/stderr into the host log, randomness from a deterministic seed of the
    /// name (so a backtest that uses a `HashMap` is the same every run). Clocks, files and
    /// sockets reach nothing (see [`super::sandbox`]).
    pub fn new(name: Arc<str>, desk: D, memory_bytes: usize, log_bytes_per_call: usize) -> Self {
        let output = GuestOutput::new(name.clone(), log_bytes_per_call);
        let seed = seed_of(&name);
        let wasi = WasiCtxBuilder::new()
            .stdout(output.stream(Stream::Stdout))
            .stderr(output.stream(Stream::Stderr))
            .secure_random(StdRng::seed_from_u64(seed))
            .insecure_random(StdRng::seed_from_u64(seed.rotate_left(17)))
            .insecure_random_seed(u128::from(seed))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            name,
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap::new(memory_bytes),
            output,
            desk,
            call: CallStats::default(),
            started: false,
            monotonic: Default::default(),
        }
    }
}

impl<D> StrategyState<D> {
    /// The strategy's name.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The desk its signals go to.
    pub fn desk(&self) -> &D {
        &self.desk
    }

    /// `init` has returned: from now on, signals go to the desk.
    pub fn mark_started(&mut self) {
        self.started = true;
    }

    /// The inert profile's clocks over this state (see [`super::inert_clocks`]).
    pub(super) fn clocks(&mut self) -> super::inert_clocks::ClockView<'_, D> {
        super::inert_clocks::ClockView {
            desk: &mut self.desk,
            table: &mut self.table,
            monotonic: &mut self.monotonic,
        }
    }

    /// The desk its signals go to.
    pub fn desk_mut(&mut self) -> &mut D {
        &mut self.desk
    }

    /// Gives the desk back when the instance is dropped (after a trap, to restart with it).
    pub fn into_desk(self) -> D {
        self.desk
    }

    /// Its output (stdout, stderr, log).
    pub fn output(&self) -> &GuestOutput {
        &self.output
    }

    /// The memory limiter.
    pub(super) fn memory_mut(&mut self) -> &mut MemoryCap {
        &mut self.memory
    }

    /// Whether a memory grow was refused since the last call began.
    pub(super) fn memory_refused(&self) -> bool {
        self.memory.refused
    }

    /// What the last call did.
    pub fn last_call(&self) -> CallStats {
        self.call
    }

    /// Resets per-call counters; called before every guest call.
    pub(super) fn begin_call(&mut self) {
        self.call = CallStats::default();
        self.memory.refused = false;
        self.output.begin_call();
    }

    /// Reports what the call did; called after every guest call.
    pub(super) fn end_call(&mut self) {
        if self.call.rejections > REJECTIONS_LOGGED_PER_CALL {
            tracing::warn!(
                strategy = &*self.name,
                refused = self.call.rejections,
                emitted = self.call.emits,
                "{} more refused signals in this call were not logged",
                self.call.rejections - REJECTIONS_LOGGED_PER_CALL
            );
        }
        self.output.end_call();
    }
}

/// A stable 64-bit seed from a strategy name (FNV-1a: stable across releases, unlike
/// `DefaultHasher`).
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl<D: Send> WasiView for StrategyState<D> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl<D: Desk> StrategyState<D> {
    /// `emit` for either version: counts the call, refuses signals from `init`, logs the
    /// first refusals of a call.
    fn emit_request(&mut self, request: SignalRequest) -> Result<u64, Rejection> {
        self.trade(|desk| desk.emit(request))
    }

    /// `emit-bracket`, as `emit`.
    fn emit_bracket_request(&mut self, request: BracketRequest) -> Result<BracketIds, Rejection> {
        self.trade(|desk| desk.emit_bracket(request))
    }

    /// Asks the desk to trade once `started`; counts the call and logs its first refusals.
    fn trade<T>(
        &mut self,
        ask: impl FnOnce(&mut D) -> Result<T, Rejection>,
    ) -> Result<T, Rejection> {
        self.call.emits = self.call.emits.saturating_add(1);
        let verdict = if self.started {
            ask(&mut self.desk)
        } else {
            Err(Rejection::new(
                RejectCode::Unavailable,
                "signals are not taken from init: a strategy trades from its first bar",
            ))
        };
        if let Err(rejection) = &verdict {
            self.call.rejections = self.call.rejections.saturating_add(1);
            if self.call.rejections <= REJECTIONS_LOGGED_PER_CALL {
                tracing::info!(
                    strategy = &*self.name,
                    code = rejection.code.as_str(),
                    "signal refused: {}",
                    rejection.message
                );
            }
        }
        verdict
    }
}

impl<D: Desk> bindings::v0_2::sandtrade::strategy::types::Host for StrategyState<D> {}

impl<D: Desk> bindings::v0_2::sandtrade::strategy::host::Host for StrategyState<D> {
    fn emit(&mut self, signal: bindings::Signal) -> Result<u64, bindings::Rejection> {
        self.emit_request(signal.into()).map_err(Into::into)
    }

    fn emit_bracket(
        &mut self,
        entry: bindings::Signal,
        exits: bindings::Exits,
    ) -> Result<bindings::BracketIds, bindings::Rejection> {
        let request = BracketRequest {
            entry: entry.into(),
            exits: exits.into(),
        };
        self.emit_bracket_request(request)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn working_orders(&mut self) -> Vec<bindings::WorkingOrder> {
        self.desk
            .working_orders()
            .into_iter()
            .map(Into::into)
            .collect()
    }

    fn cancel(
        &mut self,
        signal_id: u64,
    ) -> Result<bindings::CancelOutcome, bindings::CancelRefusal> {
        let outcome = self.desk.cancel(signal_id);
        tracing::info!(
            strategy = &*self.name,
            signal = signal_id,
            ?outcome,
            "cancel asked"
        );
        outcome.map(Into::into).map_err(Into::into)
    }

    fn modify(
        &mut self,
        signal_id: u64,
        change: bindings::OrderChange,
    ) -> Result<bindings::ModifyOutcome, bindings::ModifyRefusal> {
        let change = OrderChange {
            quantity: change.quantity,
            order_type: change.order_type.map(Into::into),
        };
        let outcome = self.desk.modify(signal_id, change);
        tracing::info!(
            strategy = &*self.name,
            signal = signal_id,
            ?outcome,
            "modify asked"
        );
        outcome.map(Into::into).map_err(Into::into)
    }

    fn position(&mut self, symbol: String) -> Option<bindings::Position> {
        self.desk.position(&symbol).map(Into::into)
    }

    fn log(&mut self, level: bindings::Level, message: String) {
        self.output.log(level.into(), &message);
    }

    fn now_ms(&mut self) -> i64 {
        self.desk.now_ms()
    }

    fn log_level(&mut self) -> bindings::Level {
        most_detailed_strategy_level()
    }

    fn handling_bar(&mut self, index: u32) {
        self.desk
            .handling_bar(usize::try_from(index).unwrap_or(usize::MAX));
    }
}

/// A component built against 0.1.0: the same functions over the older types.
mod v0_1 {
    use super::{Desk, StrategyState, most_detailed_strategy_level};
    use crate::bindings::v0_1::sandtrade::strategy::{host, types};

    impl<D: Desk> types::Host for StrategyState<D> {}

    impl<D: Desk> host::Host for StrategyState<D> {
        fn emit(&mut self, signal: types::Signal) -> Result<u64, types::Rejection> {
            self.emit_request(signal.into()).map_err(Into::into)
        }

        fn position(&mut self, symbol: String) -> Option<types::Position> {
            self.desk.position(&symbol).map(|h| types::Position {
                symbol: h.symbol,
                quantity: h.quantity,
                avg_cost: h.avg_cost,
            })
        }

        fn log(&mut self, level: types::Level, message: String) {
            self.output.log(level.into(), &message);
        }

        fn now_ms(&mut self) -> i64 {
            self.desk.now_ms()
        }

        fn log_level(&mut self) -> types::Level {
            most_detailed_strategy_level().into()
        }
    }
}

/// The most detailed level at which the host's `tracing` subscriber keeps strategy lines.
fn most_detailed_strategy_level() -> bindings::Level {
    if tracing::enabled!(target: "strategy", tracing::Level::DEBUG) {
        bindings::Level::Debug
    } else if tracing::enabled!(target: "strategy", tracing::Level::INFO) {
        bindings::Level::Info
    } else if tracing::enabled!(target: "strategy", tracing::Level::WARN) {
        bindings::Level::Warn
    } else {
        bindings::Level::Error
    }
}

/// Caps a strategy's memory and remembers a refusal, so that the trap that follows (Rust's
/// allocator aborts when memory cannot grow) is reported as "out of memory", not as a
/// mysterious `unreachable`.
#[derive(Debug)]
pub(super) struct MemoryCap {
    max_bytes: usize,
    refused: bool,
}

impl MemoryCap {
    fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            refused: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_bytes && maximum.is_none_or(|max| desired <= max);
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a strategy has no reason for more than this.
        const MAX_TABLE_ELEMENTS: usize = 100_000;
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        // A Rust component instantiates a main module plus a few shims.
        16
    }

    fn tables(&self) -> usize {
        16
    }

    fn memories(&self) -> usize {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_cap_refuses_and_remembers() {
        let mut cap = MemoryCap::new(1 << 20);
        assert!(cap.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!cap.refused);
        assert!(!cap.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert!(cap.refused);
    }

    #[test]
    fn seed_is_stable() {
        // FNV-1a test vector: "a" -> 0xaf63dc4c8601ec8c.
        assert_eq!(seed_of("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
