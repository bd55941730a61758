//! Limits over the whole account, across every ledger: `[account]` in the host config.
//!
//! ```toml
//! [account]
//! max_symbol_shares = 5000          # one symbol, every ledger: held + pending buys, after the order
//! max_symbol_notional = 500000.0    # the same, valued in the symbol's currency
//! max_gross_notional_usd = 1000000.0 # every US stock, every ledger, in USD
//! max_gross_notional_hkd = 5000000.0 # every HK stock, every ledger, in HKD
//! max_daily_loss = 5000.0           # the day's P&L (IB's daily P&L) below -5000: halt
//! max_drawdown = 8000.0             # the day's P&L 8000 below its high of the day: halt
//! ```
//!
//! Per-ledger `[limits]` bound what one strategy holds; two strategies (or an operator's
//! manual ledger) trading the same symbol can each stay within theirs and together hold twice
//! as much. The caps here count every ledger. Like `[limits]` they bound buys only (a sell can
//! only reduce risk), every field is optional, and a missing one means no limit.
//!
//! The loss limits are not checked per signal: the trading loop watches the account's P&L as
//! IB reports it and halts trading when one is passed (`sandtrade-trading`'s loss guard).
//! Amounts are in the account's base currency, as IB reports P&L.

use std::fmt;

use serde::Deserialize;

use sandtrade_core::{Exposure, Instrument, Market, RejectCode, Rejection};

/// `[account]`: all optional, see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountLimits {
    /// Most shares of one symbol held plus being bought over every ledger, after the order.
    pub max_symbol_shares: Option<u32>,
    /// Most value of one symbol held plus being bought over every ledger, after the order.
    pub max_symbol_notional: Option<f64>,
    /// Most value of every US stock held plus being bought, over every ledger, in USD.
    pub max_gross_notional_usd: Option<f64>,
    /// Most value of every HK stock held plus being bought, over every ledger, in HKD.
    pub max_gross_notional_hkd: Option<f64>,
    /// The day's loss (IB's daily P&L below zero) at which trading halts.
    pub max_daily_loss: Option<f64>,
    /// How far the day's P&L may fall below its high of the day before trading halts.
    pub max_drawdown: Option<f64>,
}

/// Invalid `[account]` values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct AccountLimitsError(Vec<String>);

impl fmt::Display for AccountLimitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid [account]: {}", self.0.join("; "))
    }
}

impl AccountLimits {
    /// Checks the values: amounts finite and not negative; the loss limits above zero (a loss
    /// limit of 0 would halt at the first cent of loss).
    ///
    /// # Errors
    ///
    /// Every offending field at once.
    pub fn validate(&self) -> Result<(), AccountLimitsError> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("max_symbol_notional", self.max_symbol_notional),
            ("max_gross_notional_usd", self.max_gross_notional_usd),
            ("max_gross_notional_hkd", self.max_gross_notional_hkd),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                problems.push(format!("{field} = {v} (must be a finite number >= 0)"));
            }
        }
        for (field, value) in [
            ("max_daily_loss", self.max_daily_loss),
            ("max_drawdown", self.max_drawdown),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                problems.push(format!("{field} = {v} (must be a finite number > 0)"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AccountLimitsError(problems))
        }
    }

    /// Whether a cap needs a price to value a market order.
    pub fn needs_price(&self) -> bool {
        self.max_symbol_notional.is_some()
            || self.max_gross_notional(Market::UsStock).is_some()
            || self.max_gross_notional(Market::HkStock).is_some()
    }

    /// The gross cap of `market`'s currency.
    pub fn max_gross_notional(&self, market: Market) -> Option<f64> {
        match market {
            Market::UsStock => self.max_gross_notional_usd,
            Market::HkStock => self.max_gross_notional_hkd,
        }
    }

    /// Checks a buy of `quantity` `instrument` at `price` against the account-wide caps, given
    /// the account's exposure in it over every ledger (`account`) and the value of every
    /// position and buy of its market (`gross`); a cap whose input is unknown (no price, a
    /// book that does not know the account) is not checked.
    ///
    /// # Errors
    ///
    /// `position-limit`, saying which cap and the numbers.
    pub fn check_buy(
        &self,
        instrument: &Instrument,
        quantity: u32,
        price: Option<f64>,
        account: Option<Exposure>,
        gross: Option<f64>,
    ) -> Result<(), Rejection> {
        let refuse = |message: String| Err(Rejection::new(RejectCode::PositionLimit, message));
        if let Some(account) = account {
            let after = account.held_with_pending_buys() + u64::from(quantity);
            if let Some(max) = self.max_symbol_shares
                && after > u64::from(max)
            {
                return refuse(format!(
                    "buy of {quantity} {instrument} would make the account's {instrument} {after} \
                     shares held and being bought over every ledger > [account] \
                     max_symbol_shares {max}"
                ));
            }
            if let (Some(max), Some(price)) = (self.max_symbol_notional, price) {
                // u64 → f64 is exact below 2^53 shares.
                let notional = after as f64 * price;
                if notional > max {
                    let ccy = instrument.currency;
                    return refuse(format!(
                        "buy of {quantity} {instrument} would make the account's {instrument} \
                         {after} shares × {price} = {notional:.2} {ccy} > [account] \
                         max_symbol_notional {max:.2} {ccy}"
                    ));
                }
            }
        }
        if let (Some(max), Some(gross), Some(price)) =
            (self.max_gross_notional(instrument.market), gross, price)
        {
            let after = gross + f64::from(quantity) * price;
            if after > max {
                let ccy = instrument.currency;
                let field = match instrument.market {
                    Market::UsStock => "max_gross_notional_usd",
                    Market::HkStock => "max_gross_notional_hkd",
                };
                return refuse(format!(
                    "buy of {quantity} {instrument} at {price} would make the account's gross \
                     {ccy} exposure {gross:.2} + {:.2} = {after:.2} {ccy} > [account] {field} \
                     {max:.2} {ccy}",
                    f64::from(quantity) * price
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_core::normalize;

    fn exposure(held: i64, buying: i64) -> Option<Exposure> {
        Some(Exposure::from_signed(held, buying, 0))
    }

    #[test]
    fn caps_count_every_ledger() {
        let aapl = normalize("AAPL").unwrap();
        let caps = AccountLimits {
            max_symbol_shares: Some(100),
            max_symbol_notional: Some(15_000.0),
            max_gross_notional_usd: Some(50_000.0),
            ..AccountLimits::default()
        };
        assert!(
            caps.check_buy(&aapl, 10, Some(100.0), exposure(60, 30), Some(0.0))
                .is_ok()
        );
        let shares = caps
            .check_buy(&aapl, 11, Some(100.0), exposure(60, 30), Some(0.0))
            .unwrap_err();
        assert_eq!(shares.code, RejectCode::PositionLimit);
        assert_eq!(
            shares.message,
            "buy of 11 AAPL would make the account's AAPL 101 shares held and being bought over \
             every ledger > [account] max_symbol_shares 100"
        );
        let notional = caps
            .check_buy(&aapl, 10, Some(200.0), exposure(60, 30), Some(0.0))
            .unwrap_err();
        assert!(
            notional
                .message
                .contains("max_symbol_notional 15000.00 USD"),
            "{notional:?}"
        );
        let gross = caps
            .check_buy(&aapl, 10, Some(100.0), exposure(0, 0), Some(49_500.0))
            .unwrap_err();
        assert_eq!(
            gross.message,
            "buy of 10 AAPL at 100 would make the account's gross USD exposure 49500.00 + \
             1000.00 = 50500.00 USD > [account] max_gross_notional_usd 50000.00 USD"
        );
    }

    #[test]
    fn unknown_inputs_are_not_checked_and_other_currencies_are_apart() {
        let tencent = normalize("0700.HK").unwrap();
        let caps = AccountLimits {
            max_symbol_shares: Some(100),
            max_gross_notional_usd: Some(1.0),
            ..AccountLimits::default()
        };
        assert!(
            caps.check_buy(&tencent, 1_000, Some(300.0), None, Some(1e9))
                .is_ok()
        );
    }

    #[test]
    fn bad_values_are_all_reported() {
        let bad = AccountLimits {
            max_symbol_notional: Some(f64::NAN),
            max_daily_loss: Some(0.0),
            max_drawdown: Some(-1.0),
            ..AccountLimits::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "invalid [account]: max_symbol_notional = NaN (must be a finite number >= 0); \
             max_daily_loss = 0 (must be a finite number > 0); max_drawdown = -1 (must be a \
             finite number > 0)"
        );
    }
}
