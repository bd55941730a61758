//! Positions and exposure: the one average-cost and realized-P&L arithmetic, shared by the
//! live ledger and the backtest's simulated account, and what risk needs to know of a line.

use crate::signal::Side;

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
    /// the rest at the fill's price. Returns the P&L this fill realized (0 for a buy that adds).
    pub fn apply_fill(&mut self, side: Side, quantity: u32, price: f64) -> f64 {
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
            self.quantity = after;
            return 0.0;
        }
        let closed = before.unsigned_abs().min(u64::from(quantity)) as f64;
        let direction = before.signum() as f64;
        let realized = (price - self.avg_cost) * closed * direction;
        self.realized_pnl += realized;
        if after == 0 {
            self.avg_cost = 0.0;
        } else if after.signum() != before.signum() {
            self.avg_cost = price;
        }
        self.quantity = after;
        realized
    }
}

/// One strategy's exposure in one instrument, in shares.
///
/// Invariant kept by the validator (long-only): `pending_sells <= held`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Shares held now (filled).
    pub held: u32,
    /// Shares of buy orders accepted but not yet filled.
    pub pending_buys: u32,
    /// Shares of sell orders accepted but not yet filled.
    pub pending_sells: u32,
}

impl Exposure {
    /// The exposure of a ledger line kept in signed shares (a drift shows as a negative
    /// holding): risk counts shares that exist, so a negative holding can sell nothing.
    pub fn from_signed(held: i64, pending_buys: i64, pending_sells: i64) -> Self {
        let shares = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        Self {
            held: shares(held),
            pending_buys: shares(pending_buys),
            pending_sells: shares(pending_sells),
        }
    }

    /// Shares that may still be sold: `held - pending_sells` (0 if the book is inconsistent).
    pub const fn sellable(self) -> u32 {
        self.held.saturating_sub(self.pending_sells)
    }

    /// Whether nothing is held and nothing is being bought: the only state `open-long` accepts.
    pub const fn is_flat(self) -> bool {
        self.held == 0 && self.pending_buys == 0
    }

    /// Shares held once every pending buy has filled: what position limits look at.
    pub const fn held_with_pending_buys(self) -> u64 {
        self.held as u64 + self.pending_buys as u64
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
    fn sellable_is_held_minus_pending_sells() {
        let e = Exposure {
            held: 100,
            pending_buys: 50,
            pending_sells: 30,
        };
        assert_eq!(e.sellable(), 70);
        assert_eq!(
            Exposure {
                held: 10,
                pending_buys: 0,
                pending_sells: 20
            }
            .sellable(),
            0
        );
    }

    #[test]
    fn flat_means_nothing_held_and_nothing_bought() {
        assert!(Exposure::default().is_flat());
        assert!(
            !Exposure {
                held: 0,
                pending_buys: 1,
                pending_sells: 0
            }
            .is_flat()
        );
        assert!(
            !Exposure {
                held: 1,
                pending_buys: 0,
                pending_sells: 1
            }
            .is_flat()
        );
    }

    #[test]
    fn held_with_pending_buys_does_not_overflow() {
        let e = Exposure {
            held: u32::MAX,
            pending_buys: u32::MAX,
            pending_sells: 0,
        };
        assert_eq!(e.held_with_pending_buys(), 2 * u64::from(u32::MAX));
    }
}
