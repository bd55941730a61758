//! A validator, a strategy gate with every limit set, and a simulator with a price for each
//! instrument: the setup under which every rule runs on the accept path.
//!
//! Shared by `tests/risk_alloc.rs` and `benches/risk.rs` (each includes it with `#[path]`).

use sandtrade::backtest::{Bar, Sim, SimConfig, SymbolTable};
use sandtrade::risk::{Limits, LotTable, StrategyGate, TradingSwitch, Validator};

/// Every limit set, loose enough that the signals used here pass; 60 signals a minute.
pub fn every_limit() -> Limits {
    Limits {
        max_position_shares: Some(10_000),
        max_position_notional: Some(1e7),
        max_order_shares: Some(5_000),
        max_order_notional: Some(1e6),
        max_signals_per_minute: Some(60),
    }
}

/// A gate declaring `symbols` under [`every_limit`], and a simulator that has seen one bar of
/// each at 100 (at `time_ms`), so market orders can be valued.
pub fn priced_world(symbols: &[&str], time_ms: i64) -> (Validator, StrategyGate, Sim) {
    let gate =
        StrategyGate::new("priced", symbols, &every_limit()).expect("valid symbols and limits");
    let table = SymbolTable::new(gate.instruments().iter().cloned());
    let mut sim =
        Sim::new(&SimConfig::default(), table.clone()).expect("default settings are valid");
    for (symbol, _) in table.iter() {
        let bar = Bar {
            symbol,
            time_ms,
            open: 100.0,
            high: 100.0,
            low: 100.0,
            close: 100.0,
            volume: 1.0,
        };
        sim.open(&bar);
        sim.mark(&bar);
    }
    (
        Validator::new(LotTable::builtin(), TradingSwitch::new()),
        gate,
        sim,
    )
}
