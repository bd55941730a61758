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

use crate::risk::types::{Market, Side};

/// A strategy's position in one symbol.
///
/// Quantity is signed so that a drift (a sell fill larger than the recorded holding, e.g. after
/// a buy was missed) shows as a negative position instead of being hidden.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    /// Shares held (negative only on drift).
    pub quantity: i64,
    /// Average cost of the shares held; 0 when flat.
    pub avg_cost: f64,
    /// P&L realized by sells against the average cost, before commissions.
    pub realized_pnl: f64,
    /// Commissions paid on this position's fills.
    pub commissions: f64,
}

impl Position {
    /// Applies one fill: a buy adds at its price to the average cost; a sell realizes
    /// `(price − avg_cost) × shares`. A fill that crosses zero closes the old side and opens
    /// the rest at the fill's price.
    pub fn apply_fill(&mut self, side: Side, quantity: u32, price: f64) {
        let signed = match side {
            Side::Buy => i64::from(quantity),
            Side::Sell => -i64::from(quantity),
        };
        let before = self.quantity;
        let after = before + signed;
        if before == 0 || before.signum() == signed.signum() {
            let held = before.unsigned_abs() as f64;
            self.avg_cost =
                (self.avg_cost * held + price * f64::from(quantity)) / after.unsigned_abs() as f64;
        } else {
            let closed = before.unsigned_abs().min(u64::from(quantity)) as f64;
            let direction = before.signum() as f64;
            self.realized_pnl += (price - self.avg_cost) * closed * direction;
            if after == 0 {
                self.avg_cost = 0.0;
            } else if after.signum() != before.signum() {
                self.avg_cost = price;
            }
        }
        self.quantity = after;
    }
}

/// What risk needs to know about one symbol: `held − pending_sells` is what may be sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exposure {
    /// Shares held.
    pub held: i64,
    /// Shares that working buy orders may still buy.
    pub pending_buys: i64,
    /// Shares that working sell orders may still sell.
    pub pending_sells: i64,
}

impl Exposure {
    /// Shares a new sell may take without going short: `held − pending_sells`.
    pub const fn sellable(&self) -> i64 {
        self.held - self.pending_sells
    }
}

/// One strategy's line for one symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LedgerEntry {
    pub(super) market: Market,
    pub(super) position: Position,
    pub(super) pending_buys: i64,
    pub(super) pending_sells: i64,
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
        Exposure {
            held: self.position.quantity,
            pending_buys: self.pending_buys,
            pending_sells: self.pending_sells,
        }
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
        self.lines
            .values()
            .filter_map(|symbols| symbols.get(symbol))
            .fold(Exposure::default(), |sum, line| Exposure {
                held: sum.held + line.position.quantity,
                pending_buys: sum.pending_buys + line.pending_buys,
                pending_sells: sum.pending_sells + line.pending_sells,
            })
    }

    /// A line's position, flat if the strategy never traded the symbol.
    pub(super) fn position(&self, strategy: &str, symbol: &str) -> Position {
        self.get(strategy, symbol)
            .map(|line| line.position)
            .unwrap_or_default()
    }

    pub(super) fn get(&self, strategy: &str, symbol: &str) -> Option<&LedgerEntry> {
        self.lines.get(strategy)?.get(symbol)
    }

    pub(super) fn entry(
        &mut self,
        strategy: &str,
        symbol: &str,
        market: Market,
    ) -> &mut LedgerEntry {
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

    fn pos(fills: &[(Side, u32, f64)]) -> Position {
        let mut p = Position::default();
        for (side, qty, price) in fills {
            p.apply_fill(*side, *qty, *price);
        }
        p
    }

    #[test]
    fn buys_average_their_cost() {
        let p = pos(&[(Side::Buy, 100, 10.0), (Side::Buy, 300, 14.0)]);
        assert_eq!(p.quantity, 400);
        assert_eq!(p.avg_cost, 13.0);
        assert_eq!(p.realized_pnl, 0.0);
    }

    #[test]
    fn sells_realize_against_average_cost_and_keep_it() {
        let p = pos(&[(Side::Buy, 400, 13.0), (Side::Sell, 100, 15.5)]);
        assert_eq!(p.quantity, 300);
        assert_eq!(p.avg_cost, 13.0);
        assert_eq!(p.realized_pnl, 250.0);
    }

    #[test]
    fn closing_flat_resets_cost() {
        let p = pos(&[(Side::Buy, 200, 10.0), (Side::Sell, 200, 9.0)]);
        assert_eq!(
            p,
            Position {
                quantity: 0,
                avg_cost: 0.0,
                realized_pnl: -200.0,
                commissions: 0.0
            }
        );
    }

    #[test]
    fn a_sell_beyond_the_holding_shows_as_negative_drift() {
        let p = pos(&[(Side::Buy, 100, 10.0), (Side::Sell, 150, 12.0)]);
        assert_eq!(p.quantity, -50);
        assert_eq!(p.avg_cost, 12.0);
        assert_eq!(p.realized_pnl, 200.0);
        // Buying back the drift realizes against the short's cost and flattens.
        let mut q = p;
        q.apply_fill(Side::Buy, 50, 11.0);
        assert_eq!(q.quantity, 0);
        assert_eq!(q.avg_cost, 0.0);
        assert_eq!(q.realized_pnl, 250.0);
    }

    #[test]
    fn exposure_sums_strategies_for_the_account() {
        let mut ledger = Ledger::default();
        ledger.entry("a", "AAPL", Market::UsStock).position.quantity = 100;
        ledger.add_pending("a", "AAPL", Market::UsStock, Side::Sell, 30);
        ledger.entry("b", "AAPL", Market::UsStock).position.quantity = 50;
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
}
