//! The per-strategy ledger: positions from each strategy's own fills, and the shares its
//! working orders may still buy or sell.
//!
//! Invariants (checked by the store's property tests):
//!
//! - a position is the running result of [`Position::apply_fill`] over the strategy's distinct
//!   fills for the symbol, in arrival order;
//! - `pending_buys` / `pending_sells` are the sums of [`OrderRecord::pending`] over the
//!   strategy's non-terminal buy / sell orders for the symbol;
//! - the in-memory ledger equals the one rebuilt from the database at open.
//!
//! The broker's positions are the truth for the account; this ledger attributes them to
//! strategies and is what drift is measured against.
//!
//! [`OrderRecord::pending`]: super::OrderRecord::pending

use std::collections::HashMap;

use sandtrade_core::{Exposure, Market, Position, Side};

/// One strategy's line for one symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LedgerEntry {
    market: Market,
    position: Position,
    pending_buys: i64,
    pending_sells: i64,
}

impl LedgerEntry {
    fn new(market: Market) -> Self {
        Self {
            market,
            position: Position::default(),
            pending_buys: 0,
            pending_sells: 0,
        }
    }

    fn exposure(&self) -> Exposure {
        Exposure::from_signed(
            self.position.quantity,
            self.pending_buys,
            self.pending_sells,
        )
    }
}

/// The in-memory ledger: strategy → symbol → line. Nested maps so a lookup by `&str` pair
/// allocates nothing (the accept path consults it for every signal).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Ledger {
    lines: HashMap<String, HashMap<String, LedgerEntry>>,
}

impl Ledger {
    pub(super) fn exposure(&self, strategy: &str, symbol: &str) -> Exposure {
        self.get(strategy, symbol)
            .map(LedgerEntry::exposure)
            .unwrap_or_default()
    }

    /// The account-wide exposure: the sum over strategies.
    pub(super) fn account_exposure(&self, symbol: &str) -> Exposure {
        let (held, pending_buys, pending_sells) = self
            .lines
            .values()
            .filter_map(|symbols| symbols.get(symbol))
            .fold((0, 0, 0), |(held, buys, sells), line| {
                (
                    held + line.position.quantity,
                    buys + line.pending_buys,
                    sells + line.pending_sells,
                )
            });
        Exposure::from_signed(held, pending_buys, pending_sells)
    }

    /// The value of every position held in `market`, over every strategy: each symbol at
    /// `price_of` it, or at its average cost while no price is known.
    pub(super) fn account_held_value(
        &self,
        market: Market,
        price_of: impl Fn(&str) -> Option<f64>,
    ) -> f64 {
        self.lines
            .values()
            .flat_map(|symbols| symbols.iter())
            .filter(|(_, line)| line.market == market && line.position.quantity > 0)
            .map(|(symbol, line)| {
                let price = price_of(symbol).unwrap_or(line.position.avg_cost);
                line.position.quantity as f64 * price
            })
            .sum()
    }

    /// A line's position, flat if the strategy never traded the symbol.
    pub(super) fn position(&self, strategy: &str, symbol: &str) -> Position {
        self.line_position(strategy, symbol).unwrap_or_default()
    }

    /// A line's position; `None` if the ledger has no line for the pair (neither a fill nor a
    /// working order yet).
    pub(super) fn line_position(&self, strategy: &str, symbol: &str) -> Option<Position> {
        self.get(strategy, symbol).map(|line| line.position)
    }

    /// Sets a line's position (read at open, or after a committed fill or commission).
    pub(super) fn set_position(
        &mut self,
        strategy: &str,
        symbol: &str,
        market: Market,
        position: Position,
    ) {
        self.entry(strategy, symbol, market).position = position;
    }

    fn get(&self, strategy: &str, symbol: &str) -> Option<&LedgerEntry> {
        self.lines.get(strategy)?.get(symbol)
    }

    fn entry(&mut self, strategy: &str, symbol: &str, market: Market) -> &mut LedgerEntry {
        // Look up by reference first: allocating the keys only for a new line.
        if !self.lines.contains_key(strategy) {
            self.lines.insert(strategy.to_owned(), HashMap::new());
        }
        let symbols = self.lines.get_mut(strategy).expect("inserted above");
        if !symbols.contains_key(symbol) {
            symbols.insert(symbol.to_owned(), LedgerEntry::new(market));
        }
        symbols.get_mut(symbol).expect("inserted above")
    }

    /// Adds `delta` shares to the pending side of a line.
    pub(super) fn add_pending(
        &mut self,
        strategy: &str,
        symbol: &str,
        market: Market,
        side: Side,
        delta: i64,
    ) {
        if delta == 0 {
            return;
        }
        let line = self.entry(strategy, symbol, market);
        match side {
            Side::Buy => line.pending_buys += delta,
            Side::Sell => line.pending_sells += delta,
        }
    }

    /// Every line that has traded, with its position: `(strategy, symbol, market, position)`.
    /// Lines with only pending orders are left out (they have no position yet).
    pub(super) fn positions(&self) -> impl Iterator<Item = (&str, &str, Market, Position)> {
        self.lines.iter().flat_map(|(strategy, symbols)| {
            symbols
                .iter()
                .filter(|(_, line)| line.position != Position::default())
                .map(move |(symbol, line)| {
                    (
                        strategy.as_str(),
                        symbol.as_str(),
                        line.market,
                        line.position,
                    )
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(quantity: i64) -> Position {
        Position {
            quantity,
            ..Position::default()
        }
    }

    #[test]
    fn exposure_sums_strategies_for_the_account() {
        let mut ledger = Ledger::default();
        ledger.set_position("a", "AAPL", Market::UsStock, held(100));
        ledger.add_pending("a", "AAPL", Market::UsStock, Side::Sell, 30);
        ledger.set_position("b", "AAPL", Market::UsStock, held(50));
        ledger.add_pending("b", "AAPL", Market::UsStock, Side::Buy, 20);
        assert_eq!(
            ledger.exposure("a", "AAPL"),
            Exposure {
                held: 100,
                pending_buys: 0,
                pending_sells: 30
            }
        );
        assert_eq!(ledger.exposure("a", "AAPL").sellable(), 70);
        assert_eq!(
            ledger.account_exposure("AAPL"),
            Exposure {
                held: 150,
                pending_buys: 20,
                pending_sells: 30
            }
        );
        assert_eq!(ledger.exposure("c", "AAPL"), Exposure::default());
    }

    #[test]
    fn pending_moves_by_deltas_and_a_zero_delta_opens_no_line() {
        let mut ledger = Ledger::default();
        ledger.add_pending("a", "700", Market::HkStock, Side::Buy, 0);
        assert_eq!(ledger.line_position("a", "700"), None);
        ledger.add_pending("a", "700", Market::HkStock, Side::Buy, 400);
        ledger.add_pending("a", "700", Market::HkStock, Side::Buy, -150);
        assert_eq!(ledger.exposure("a", "700").pending_buys, 250);
        assert_eq!(
            ledger.line_position("a", "700"),
            Some(Position::default()),
            "a line with only pending shares has a flat position"
        );
    }

    #[test]
    fn positions_lists_only_lines_that_traded() {
        let mut ledger = Ledger::default();
        ledger.add_pending("a", "AAPL", Market::UsStock, Side::Buy, 10);
        ledger.set_position("b", "700", Market::HkStock, held(200));
        let listed: Vec<_> = ledger.positions().collect();
        assert_eq!(listed, [("b", "700", Market::HkStock, held(200))]);
        assert_eq!(ledger.position("a", "AAPL"), Position::default());
        assert_eq!(ledger.position("b", "700"), held(200));
    }
}
