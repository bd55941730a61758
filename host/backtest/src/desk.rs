//! The desk of a backtest: a strategy's signals go through the live risk rules into the
//! simulated account, on the replay clock.
//!
//! Inside an `on-bars` call the strategy moves through several bars without returning, telling
//! the desk which one it is on (`handling-bar`) before it asks anything. The desk then answers
//! as it would have on that bar delivered alone: the clock is the bar's start, and every symbol's
//! reference price is the close of its latest bar up to that one. Those are all a bar changes
//! when no order rests on its symbol, which is when the replay puts it in a batch.

use sandtrade_core::{BracketIds, BracketRequest, LotTable, OrderChange, SignalRequest};
use sandtrade_core::{RejectCode, Rejection};
use sandtrade_risk::{Limits, StrategyGate, TradingSwitch, Validator, WorkingTerms};
use sandtrade_runtime::{
    CancelRefusal, Cancelled, Desk, Holding, Modified, ModifyRefusal, StrategyMetadata,
    WorkingOrder, WorkingState,
};

use super::bars::BarRow;
use super::instruments::{SymbolId, SymbolTable};
use super::sim::{Sim, SimConfig};

/// A strategy's desk in a backtest. Unbound (no gate, no account) until the strategy has
/// described itself; then [`Desk::bind`] builds both from its declared symbols.
#[derive(Debug)]
pub struct BacktestDesk {
    validator: Validator,
    limits: Limits,
    sim_config: SimConfig,
    bound: Option<Bound>,
    now_ms: i64,
    batch: Batch,
}

/// The bars of the `on-bars` call in progress (none outside one), and where the strategy is.
#[derive(Debug, Default)]
struct Batch {
    bars: Vec<BatchBar>,
    /// The bar the desk answers as of.
    at: usize,
    /// For each bar after the first up to `at`, the reference price its symbol had before it:
    /// moving back through the batch restores them.
    replaced: Vec<Option<f64>>,
    /// The bar on which the call's first signal was accepted.
    accepted_at: Option<usize>,
    /// The furthest bar the strategy moved to.
    furthest: usize,
}

/// What the desk needs of a bar of the batch.
#[derive(Debug, Clone, Copy)]
struct BatchBar {
    start_ms: i64,
    symbol: SymbolId,
    close: f64,
}

#[derive(Debug)]
struct Bound {
    gate: StrategyGate,
    sim: Sim,
}

impl BacktestDesk {
    /// A desk with the board `lots` and the effective `limits` (global ∧ the strategy's own),
    /// for a simulated account configured by `sim_config`.
    pub fn new(lots: LotTable, limits: Limits, sim_config: SimConfig) -> Self {
        Self {
            validator: Validator::new(lots, TradingSwitch::new()),
            limits,
            sim_config,
            bound: None,
            now_ms: 0,
            batch: Batch::default(),
        }
    }

    /// An `on-bars` call of `rows` begins. The clock and the account must be as of the first
    /// row (the replay has opened it); the strategy's `handling-bar` moves them to later rows.
    pub fn begin_batch(&mut self, rows: &[BarRow]) {
        let batch = &mut self.batch;
        batch.bars.clear();
        batch.bars.extend(rows.iter().map(|row| BatchBar {
            start_ms: row.bar.start_ms,
            symbol: row.symbol,
            close: row.bar.close,
        }));
        batch.at = 0;
        batch.replaced.clear();
        batch.accepted_at = None;
        batch.furthest = 0;
    }

    /// The `on-bars` call returned having handled the first `consumed` bars: the clock and
    /// the reference prices are left as of the last of them, as if each had been opened in
    /// turn. Returns whether the call kept to its contract: if a signal was accepted, it
    /// stopped after that bar, neither consuming nor moving to a later one (whose bar would
    /// have opened with the order resting, and possibly filled it, first).
    pub fn end_batch(&mut self, consumed: usize) -> bool {
        let batch = &self.batch;
        let kept = batch
            .accepted_at
            .is_none_or(|at| consumed <= at + 1 && batch.furthest <= at);
        if let Some(last) = consumed.checked_sub(1) {
            self.move_to(last);
        }
        self.batch.bars.clear();
        kept
    }

    /// Moves the batch's cursor to bar `index` (forward: each bar passed sets its symbol's
    /// reference price; back: restores what those bars replaced), and the clock to its start.
    fn move_to(&mut self, index: usize) {
        let Some(sim) = self.bound.as_mut().map(|b| &mut b.sim) else {
            return;
        };
        let batch = &mut self.batch;
        if index >= batch.bars.len() {
            return;
        }
        while batch.at < index {
            batch.at += 1;
            let bar = batch.bars[batch.at];
            batch.replaced.push(sim.reference(bar.symbol));
            sim.set_reference(bar.symbol, Some(bar.close));
        }
        while batch.at > index {
            let bar = batch.bars[batch.at];
            let before = batch.replaced.pop().expect("one per bar passed");
            sim.set_reference(bar.symbol, before);
            batch.at -= 1;
        }
        batch.furthest = batch.furthest.max(index);
        self.now_ms = batch.bars[index].start_ms;
    }

    /// Sets the replay clock: `now-ms`, rate limits and order times follow it.
    pub fn set_now_ms(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
    }

    /// The simulated account, once bound.
    pub fn sim(&self) -> Option<&Sim> {
        self.bound.as_ref().map(|b| &b.sim)
    }

    /// The simulated account, once bound.
    pub fn sim_mut(&mut self) -> Option<&mut Sim> {
        self.bound.as_mut().map(|b| &mut b.sim)
    }

    /// The strategy's gate, once bound.
    pub fn gate(&self) -> Option<&StrategyGate> {
        self.bound.as_ref().map(|b| &b.gate)
    }

    /// Gives up the account (for its report) and the gate (for its counters).
    pub fn into_parts(self) -> Option<(Sim, StrategyGate)> {
        self.bound.map(|b| (b.sim, b.gate))
    }

    /// A signal was accepted: inside a batch, the call must stop after this bar, so that its
    /// orders fill before the strategy sees the next one (`end_batch` checks).
    fn accepted(&mut self) {
        if !self.batch.bars.is_empty() {
            self.batch.accepted_at.get_or_insert(self.batch.at);
        }
    }
}

impl Desk for BacktestDesk {
    fn emit(&mut self, signal: SignalRequest) -> Result<u64, Rejection> {
        let Some(Bound { gate, sim }) = self.bound.as_mut() else {
            return Err(Rejection::new(
                RejectCode::Unavailable,
                "signals are accepted from init on, not before describe",
            ));
        };
        let order = self.validator.check(gate, &signal, &*sim, self.now_ms)?;
        let accepted = sim.submit(&order, self.now_ms).map_err(|e| {
            // The validator passed it, so the account must take it: a mismatch is a host bug,
            // reported as a host fault, not held against the strategy.
            self.validator
                .record_rejection(gate, RejectCode::Unavailable);
            Rejection::new(RejectCode::Unavailable, format!("simulator refused: {e}"))
        })?;
        self.accepted();
        Ok(accepted)
    }

    /// Validated as one signal (the live rules), then queued: the entry and its exits take
    /// consecutive ids; the exits wait for the entry to fill (see [`Sim::submit_bracket`]).
    fn emit_bracket(&mut self, bracket: BracketRequest) -> Result<BracketIds, Rejection> {
        let Some(Bound { gate, sim }) = self.bound.as_mut() else {
            return Err(Rejection::new(
                RejectCode::Unavailable,
                "signals are accepted from init on, not before describe",
            ));
        };
        let validated = self
            .validator
            .check_bracket(gate, &bracket, &*sim, self.now_ms)?;
        let ids = sim.submit_bracket(&validated, self.now_ms).map_err(|e| {
            // As for `emit`: a host bug, not the strategy's fault.
            self.validator
                .record_rejection(gate, RejectCode::Unavailable);
            Rejection::new(RejectCode::Unavailable, format!("simulator refused: {e}"))
        })?;
        self.accepted();
        Ok(ids)
    }

    fn position(&mut self, symbol: &str) -> Option<Holding> {
        let Bound { gate, sim } = self.bound.as_ref()?;
        let instrument = gate.resolve(symbol).ok()?;
        let id = sim.table().id(instrument)?;
        let position = sim.position(id)?;
        Some(Holding {
            symbol: symbol.to_owned(),
            quantity: position.quantity,
            avg_cost: position.avg_cost,
        })
    }

    fn working_orders(&mut self) -> Vec<WorkingOrder> {
        let Some(Bound { gate, sim }) = self.bound.as_ref() else {
            return Vec::new();
        };
        let mut orders: Vec<WorkingOrder> = sim
            .working_orders()
            .filter_map(|(id, order)| {
                let instrument = sim.table().get(id)?;
                Some(WorkingOrder {
                    signal_id: order.id,
                    symbol: gate.declared_as(instrument)?.to_owned(),
                    action: order.action,
                    quantity: order.quantity,
                    // The simulated broker fills an order whole.
                    filled: 0,
                    order_type: order.order_type,
                    timing: order.timing,
                    state: WorkingState::Working,
                    exit_of: order.exit_of,
                })
            })
            .collect();
        orders.sort_by_key(|order| order.signal_id);
        orders
    }

    fn cancel(&mut self, signal_id: u64) -> Result<Cancelled, CancelRefusal> {
        let sim = &mut self.bound.as_mut().ok_or(CancelRefusal::UnknownOrder)?.sim;
        sim.cancel(signal_id).map(|()| Cancelled::Requested)
    }

    /// Validated as a new order in its place (the live rules), then applied at once: the
    /// simulated broker confirms a modify before the next bar, as it does a cancel.
    fn modify(&mut self, signal_id: u64, change: OrderChange) -> Result<Modified, ModifyRefusal> {
        let Bound { gate, sim } = self.bound.as_mut().ok_or(ModifyRefusal::UnknownOrder)?;
        let Some((symbol, order)) = sim.resting(signal_id) else {
            return Err(if sim.knows(signal_id) {
                ModifyRefusal::AlreadyEnded
            } else {
                ModifyRefusal::UnknownOrder
            });
        };
        let instrument = sim
            .table()
            .get(symbol)
            .cloned()
            .ok_or(ModifyRefusal::UnknownOrder)?;
        let working = WorkingTerms {
            instrument: &instrument,
            action: order.action,
            quantity: order.quantity,
            // The simulated broker fills an order whole.
            filled: 0,
            order_type: order.order_type,
            timing: order.timing,
            // An exit keeps its entry's quantity: only its prices may change.
            bracket_exit: order.exit_of.is_some(),
        };
        let validated = self
            .validator
            .check_change(gate, &working, &change, &*sim, self.now_ms)
            .map_err(ModifyRefusal::Refused)?;
        sim.modify(signal_id, validated.quantity, validated.order_type)
            .map_err(|_| ModifyRefusal::Unavailable)?;
        Ok(Modified::Requested)
    }

    fn now_ms(&mut self) -> i64 {
        self.now_ms
    }

    fn handling_bar(&mut self, index: usize) {
        // Outside a batch there are no bars, and past its end it does nothing (the WIT's rule).
        self.move_to(index);
    }

    fn bind(&mut self, metadata: &StrategyMetadata) -> Result<(), String> {
        if self.bound.is_some() {
            // A restart after a fault: the account and the gate (its rate window) carry on.
            return Ok(());
        }
        let gate = StrategyGate::new(&metadata.name, &metadata.symbols, &self.limits)
            .map_err(|e| e.to_string())?;
        let table = SymbolTable::new(gate.instruments().iter().cloned());
        let sim = Sim::new(&self.sim_config, table).map_err(|e| e.to_string())?;
        self.bound = Some(Bound { gate, sim });
        Ok(())
    }
}

#[cfg(test)]
mod bracket_tests;

#[cfg(test)]
mod tests {
    use sandtrade_core::{Action, Bar, OrderType, RejectCode, Timing};

    use super::*;

    const T0: i64 = 1_704_205_800_000;
    const MIN: i64 = 60_000;

    /// A desk bound to a strategy trading AAPL and MSFT, positions of AAPL worth at most
    /// USD 1,000, no slippage.
    fn desk() -> BacktestDesk {
        let limits = Limits {
            max_position_notional: Some(1_000.0),
            ..Limits::default()
        };
        let sim = SimConfig {
            slippage_bps: 0.0,
            ..SimConfig::default()
        };
        let mut desk = BacktestDesk::new(LotTable::builtin(), limits, sim);
        let symbols = ["AAPL", "MSFT"];
        desk.bind(&StrategyMetadata {
            name: "test".into(),
            version: "1".into(),
            symbols: symbols.map(String::from).to_vec(),
            instruments: symbols
                .iter()
                .map(|s| sandtrade_core::normalize(s).unwrap())
                .collect(),
            bar_seconds: 60,
        })
        .unwrap();
        desk
    }

    fn id(desk: &BacktestDesk, symbol: &str) -> SymbolId {
        let sim = desk.sim().unwrap();
        sim.table()
            .id(&sandtrade_core::normalize(symbol).unwrap())
            .unwrap()
    }

    fn row(desk: &BacktestDesk, symbol: &str, minute: i64, close: f64) -> BarRow {
        BarRow {
            symbol: id(desk, symbol),
            bar: Bar {
                start_ms: T0 + minute * MIN,
                open: close,
                high: close,
                low: close,
                close,
                volume: 1.0,
            },
        }
    }

    /// A market buy of 10 AAPL: accepted at a close up to 100, refused above it.
    fn buy_ten(desk: &mut BacktestDesk) -> Result<u64, RejectCode> {
        desk.emit(SignalRequest {
            action: Action::OpenLong,
            symbol: "AAPL".into(),
            quantity: 10,
            order_type: OrderType::Market,
            timing: Timing::DAY,
            reason: String::new(),
        })
        .map_err(|rejection| rejection.code)
    }

    /// Moving through a batch, the clock is the bar's and every reference price the close of
    /// its symbol's latest bar so far; moving back restores them; past the end nothing moves.
    #[test]
    fn handling_a_bar_of_a_batch_answers_as_of_that_bar() {
        let mut desk = desk();
        let rows = [
            row(&desk, "AAPL", 0, 90.0),
            row(&desk, "MSFT", 0, 300.0),
            row(&desk, "AAPL", 1, 110.0),
            row(&desk, "MSFT", 1, 310.0),
        ];
        let (aapl, msft) = (id(&desk, "AAPL"), id(&desk, "MSFT"));
        desk.set_now_ms(rows[0].bar.start_ms);
        desk.sim_mut().unwrap().open(&rows[0]);
        desk.begin_batch(&rows);
        let prices = |desk: &BacktestDesk| {
            let sim = desk.sim().unwrap();
            (sim.reference(aapl), sim.reference(msft))
        };
        assert_eq!(prices(&desk), (Some(90.0), None));

        desk.handling_bar(2);
        assert_eq!(desk.now_ms(), T0 + MIN);
        assert_eq!(prices(&desk), (Some(110.0), Some(300.0)));
        assert_eq!(buy_ten(&mut desk), Err(RejectCode::PositionLimit));

        desk.handling_bar(1);
        assert_eq!(desk.now_ms(), T0);
        assert_eq!(prices(&desk), (Some(90.0), Some(300.0)));
        desk.handling_bar(9);
        assert_eq!(
            (desk.now_ms(), prices(&desk)),
            (T0, (Some(90.0), Some(300.0)))
        );

        desk.handling_bar(0);
        assert_eq!(prices(&desk), (Some(90.0), None));
        assert_eq!(buy_ten(&mut desk), Ok(1));
        desk.handling_bar(3);
        assert_eq!(prices(&desk), (Some(110.0), Some(310.0)));

        // It moved past the accepted signal's bar: a call that did so broke its contract.
        assert!(!desk.end_batch(1));
        assert_eq!((desk.now_ms(), prices(&desk)), (T0, (Some(90.0), None)));
        let order = desk.working_orders().remove(0);
        assert_eq!(order.signal_id, 1);

        // Outside a batch it does nothing.
        desk.handling_bar(2);
        assert_eq!((desk.now_ms(), prices(&desk)), (T0, (Some(90.0), None)));
    }

    /// A call ends as of its last consumed bar, and keeps its contract if it accepted nothing,
    /// or stopped after the bar of its accepted signal.
    #[test]
    fn a_batch_ends_as_of_its_last_consumed_bar() {
        let mut desk = desk();
        let rows = [
            row(&desk, "AAPL", 0, 90.0),
            row(&desk, "MSFT", 0, 300.0),
            row(&desk, "AAPL", 1, 95.0),
        ];
        desk.set_now_ms(rows[0].bar.start_ms);
        desk.sim_mut().unwrap().open(&rows[0]);
        desk.begin_batch(&rows);
        assert!(desk.end_batch(3));
        assert_eq!(desk.now_ms(), T0 + MIN);
        let sim = desk.sim().unwrap();
        assert_eq!(sim.reference(id(&desk, "AAPL")), Some(95.0));
        assert_eq!(sim.reference(id(&desk, "MSFT")), Some(300.0));

        desk.begin_batch(&rows);
        desk.handling_bar(1);
        assert_eq!(buy_ten(&mut desk), Ok(1));
        assert!(desk.end_batch(2));
    }
}
