//! What the validator needs to know about the account: the seam between risk and whoever
//! holds the positions (the backtest simulator, or the live order book).

use sandtrade_core::{Exposure, Instrument, Market};

/// The account as the validator sees it, for one strategy.
///
/// Implemented by the backtest simulator and by the live order book. Both calls are on the
/// hot path of every signal: they should not allocate.
pub trait Book {
    /// This strategy's exposure in `instrument` (all zero if it never traded it).
    fn exposure(&self, instrument: &Instrument) -> Exposure;

    /// The last known price of `instrument`, used to value market orders against notional
    /// limits. `None` if no price is known yet.
    fn reference_price(&self, instrument: &Instrument) -> Option<f64>;

    /// The whole account's exposure in `instrument`, over every ledger, for the `[account]`
    /// caps. `None` (the default) where the book knows one ledger only (a backtest).
    fn account_exposure(&self, instrument: &Instrument) -> Option<Exposure> {
        let _ = instrument;
        None
    }

    /// The value of every position held and every buy working in `market`, over every
    /// ledger, in the market's currency, for the `[account]` gross caps. `None` (the default)
    /// where the book knows one ledger only.
    fn account_gross_notional(&self, market: Market) -> Option<f64> {
        let _ = market;
        None
    }
}

/// A book seen as if one working order were not there: how a change of that order is
/// validated, as a new order in its place. Its remaining shares leave the pending side they
/// count on (and, for a buy, its value leaves the account's gross), so the changed order is
/// not counted twice.
pub struct WithoutOrder<'a> {
    book: &'a dyn Book,
    instrument: &'a Instrument,
    side: sandtrade_core::Side,
    remaining: u32,
    /// The remaining shares' value at the order's own price (or the reference price).
    notional: f64,
}

impl<'a> WithoutOrder<'a> {
    /// `book` without the `remaining` unfilled shares of a `side` order in `instrument`,
    /// worth `notional`.
    pub fn new(
        book: &'a dyn Book,
        instrument: &'a Instrument,
        side: sandtrade_core::Side,
        remaining: u32,
        notional: f64,
    ) -> Self {
        Self {
            book,
            instrument,
            side,
            remaining,
            notional,
        }
    }

    fn less(&self, instrument: &Instrument, mut exposure: Exposure) -> Exposure {
        if instrument == self.instrument {
            match self.side {
                sandtrade_core::Side::Buy => {
                    exposure.pending_buys = exposure.pending_buys.saturating_sub(self.remaining)
                }
                sandtrade_core::Side::Sell => {
                    exposure.pending_sells = exposure.pending_sells.saturating_sub(self.remaining)
                }
            }
        }
        exposure
    }
}

impl Book for WithoutOrder<'_> {
    fn exposure(&self, instrument: &Instrument) -> Exposure {
        self.less(instrument, self.book.exposure(instrument))
    }

    fn reference_price(&self, instrument: &Instrument) -> Option<f64> {
        self.book.reference_price(instrument)
    }

    fn account_exposure(&self, instrument: &Instrument) -> Option<Exposure> {
        self.book
            .account_exposure(instrument)
            .map(|exposure| self.less(instrument, exposure))
    }

    fn account_gross_notional(&self, market: Market) -> Option<f64> {
        let gross = self.book.account_gross_notional(market)?;
        let own = self.instrument.market == market && self.side == sandtrade_core::Side::Buy;
        Some(if own {
            (gross - self.notional).max(0.0)
        } else {
            gross
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Exposure);

    impl Book for Fixed {
        fn exposure(&self, _: &Instrument) -> Exposure {
            self.0
        }
        fn reference_price(&self, _: &Instrument) -> Option<f64> {
            Some(10.0)
        }
        fn account_gross_notional(&self, _: Market) -> Option<f64> {
            Some(5_000.0)
        }
    }

    #[test]
    fn the_order_being_changed_leaves_its_own_side_only() {
        let aapl = sandtrade_core::normalize("AAPL").unwrap();
        let msft = sandtrade_core::normalize("MSFT").unwrap();
        let book = Fixed(Exposure {
            held: 100,
            pending_buys: 30,
            pending_sells: 60,
        });
        let sell = WithoutOrder::new(&book, &aapl, sandtrade_core::Side::Sell, 40, 400.0);
        assert_eq!(
            sell.exposure(&aapl),
            Exposure {
                held: 100,
                pending_buys: 30,
                pending_sells: 20
            }
        );
        assert_eq!(sell.exposure(&msft).pending_sells, 60, "another symbol");
        assert_eq!(sell.account_gross_notional(Market::UsStock), Some(5_000.0));
        let buy = WithoutOrder::new(&book, &aapl, sandtrade_core::Side::Buy, 30, 300.0);
        assert_eq!(buy.exposure(&aapl).pending_buys, 0);
        assert_eq!(buy.account_gross_notional(Market::UsStock), Some(4_700.0));
        assert_eq!(buy.account_gross_notional(Market::HkStock), Some(5_000.0));
    }
}
