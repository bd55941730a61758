//! A validator, a strategy gate with every limit set, and a book that knows a price for each
//! instrument and holds nothing: the setup under which every rule runs on the accept path.
//!
//! Shared by `tests/alloc.rs` and `benches/risk.rs` (each includes it with `#[path]`).

use sandtrade_core::{Exposure, Instrument, LotTable};
use sandtrade_risk::{Book, Limits, StrategyGate, TradingSwitch, Validator};

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

/// A flat account that has seen each of its instruments trade at one price. Looks
/// instruments up the way the backtest's symbol table does for a few of them: by scanning.
pub struct PricedBook {
    prices: Vec<(Instrument, f64)>,
}

impl Book for PricedBook {
    fn exposure(&self, _instrument: &Instrument) -> Exposure {
        Exposure::default()
    }

    fn reference_price(&self, instrument: &Instrument) -> Option<f64> {
        self.prices
            .iter()
            .find(|(i, _)| i == instrument)
            .map(|(_, price)| *price)
    }
}

/// A gate declaring `symbols` under [`every_limit`], and a book that has seen each of them
/// trade at 100.
pub fn priced_world(symbols: &[&str]) -> (Validator, StrategyGate, PricedBook) {
    let gate =
        StrategyGate::new("priced", symbols, &every_limit()).expect("valid symbols and limits");
    let prices = gate
        .instruments()
        .iter()
        .map(|i| (Instrument::clone(i), 100.0))
        .collect();
    (
        Validator::new(LotTable::builtin(), TradingSwitch::new()),
        gate,
        PricedBook { prices },
    )
}
