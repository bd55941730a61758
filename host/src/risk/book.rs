//! What the validator needs to know about the account: the seam between `risk` and whoever
//! holds the positions (the backtest simulator, later the live order book).

use super::symbols::Instrument;

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

/// The account as the validator sees it, for one strategy.
///
/// Implemented by the backtest simulator ([`crate::backtest::Sim`]) and, later, by the live
/// order book. Both calls are on the hot path of every signal: they should not allocate.
pub trait Book {
    /// This strategy's exposure in `instrument` (all zero if it never traded it).
    fn exposure(&self, instrument: &Instrument) -> Exposure;

    /// The last known price of `instrument`, used to value market orders against notional
    /// limits. `None` if no price is known yet.
    fn reference_price(&self, instrument: &Instrument) -> Option<f64>;
}

#[cfg(test)]
mod tests {
    use super::*;

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
