//! The desk of a backtest: a strategy's signals go through the live risk rules into the
//! simulated account, on the replay clock.

use sandtrade_core::{LotTable, SignalRequest};
use sandtrade_core::{RejectCode, Rejection};
use sandtrade_risk::{Limits, StrategyGate, TradingSwitch, Validator};
use sandtrade_runtime::{
    CancelRefusal, Cancelled, Desk, Holding, StrategyMetadata, WorkingOrder, WorkingState,
};

use super::instruments::SymbolTable;
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
        }
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
        sim.submit(&order, self.now_ms).map_err(|e| {
            // The validator passed it, so the account must take it: a mismatch is a host bug,
            // reported as a host fault, not held against the strategy.
            self.validator
                .record_rejection(gate, RejectCode::Unavailable);
            Rejection::new(RejectCode::Unavailable, format!("simulator refused: {e}"))
        })
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

    fn now_ms(&mut self) -> i64 {
        self.now_ms
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
