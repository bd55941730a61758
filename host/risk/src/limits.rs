//! Size limits: `[limits]` in the host config (global) and in a strategy's sidecar toml.
//!
//! ```toml
//! [limits]
//! max_position_shares = 1000      # per symbol, after the order, counting pending buys
//! max_position_notional = 50000.0 # per symbol, in the symbol's currency
//! max_order_shares = 500
//! max_order_notional = 20000.0
//! max_signals_per_minute = 60     # see `rate`; 60 if neither file sets it
//! ```
//!
//! Every field is optional; a missing field means "no limit" (except the rate, which has a
//! default). When both the global config and the strategy set a field, **the stricter (smaller)
//! value wins**: a strategy can tighten the operator's limits, never loosen them
//! ([`Limits::stricter`]).
//!
//! Notionals are `quantity × price` in the instrument's own currency (USD for US stocks, HKD for
//! HK stocks), with no FX conversion. The price is the order's limit price, or for a market
//! order the book's reference (last) price; the whole position after the order is valued at that
//! same price.
//!
//! **Only buys are size-limited.** A sell can at most flatten the position (long-only, see
//! `long_only`), so it never adds risk, and refusing one could leave a strategy unable to get
//! out of a position it built under looser limits.

use std::fmt;

use serde::Deserialize;

use super::rate::MAX_SIGNALS_PER_MINUTE;
use sandtrade_core::Exposure;
use sandtrade_core::Instrument;
use sandtrade_core::{RejectCode, Rejection};

/// `[limits]`: all optional, see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most shares of one symbol held plus being bought, after the order.
    pub max_position_shares: Option<u32>,
    /// Most value of one symbol held plus being bought, after the order.
    pub max_position_notional: Option<f64>,
    /// Most shares in one buy order.
    pub max_order_shares: Option<u32>,
    /// Most value of one buy order.
    pub max_order_notional: Option<f64>,
    /// Most signals a strategy may emit in any 60 s of its clock (replay time in a backtest).
    pub max_signals_per_minute: Option<u32>,
}

impl Limits {
    /// Field by field, the stricter of `self` and `other`: the smaller value where both are
    /// set, the one that is set where only one is.
    #[must_use]
    pub fn stricter(&self, other: &Self) -> Self {
        fn min<T: PartialOrd + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(if b < a { b } else { a }),
                (a, b) => a.or(b),
            }
        }
        Self {
            max_position_shares: min(self.max_position_shares, other.max_position_shares),
            max_position_notional: min(self.max_position_notional, other.max_position_notional),
            max_order_shares: min(self.max_order_shares, other.max_order_shares),
            max_order_notional: min(self.max_order_notional, other.max_order_notional),
            max_signals_per_minute: min(self.max_signals_per_minute, other.max_signals_per_minute),
        }
    }

    /// Checks the values: notionals finite and not negative, the rate between 1 and
    /// [`MAX_SIGNALS_PER_MINUTE`]. Share limits of 0 are allowed (they forbid buying: a
    /// strategy winding down may still sell).
    ///
    /// # Errors
    ///
    /// Every offending field at once.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("max_position_notional", self.max_position_notional),
            ("max_order_notional", self.max_order_notional),
        ] {
            if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                problems.push(format!("{field} = {v} (must be a finite number >= 0)"));
            }
        }
        if let Some(rate) = self.max_signals_per_minute
            && !(1..=MAX_SIGNALS_PER_MINUTE).contains(&rate)
        {
            problems.push(format!(
                "max_signals_per_minute = {rate} (must be between 1 and {MAX_SIGNALS_PER_MINUTE}; \
                 to stop a strategy, halt trading or remove it)"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(LimitsError { problems })
        }
    }

    /// Whether any notional limit is set, i.e. whether a buy needs a price to be checked.
    pub const fn needs_price(&self) -> bool {
        self.max_order_notional.is_some() || self.max_position_notional.is_some()
    }
}

/// Every bad field of a `[limits]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LimitsError {
    /// One line per offending field: `name = value (what is required)`.
    pub problems: Vec<String>,
}

impl fmt::Display for LimitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid [limits]: {}", self.problems.join("; "))
    }
}

/// Per-order limits on a buy of `quantity` shares valued at `price`.
///
/// `price` may be `None` only if no notional limit is set ([`Limits::needs_price`]); the
/// validator refuses a buy it cannot value before calling this.
///
/// # Errors
///
/// `order-limit` with the quantity, the notional and the limit exceeded.
pub fn check_order(
    limits: &Limits,
    instrument: &Instrument,
    quantity: u32,
    price: Option<f64>,
) -> Result<(), Rejection> {
    if let Some(max) = limits.max_order_shares
        && quantity > max
    {
        return Err(Rejection::new(
            RejectCode::OrderLimit,
            format!("buy of {quantity} {instrument} exceeds max_order_shares {max}"),
        ));
    }
    if let (Some(max), Some(price)) = (limits.max_order_notional, price) {
        let notional = f64::from(quantity) * price;
        if notional > max {
            let ccy = instrument.currency;
            return Err(Rejection::new(
                RejectCode::OrderLimit,
                format!(
                    "buy of {quantity} {instrument} at {price} = {notional:.2} {ccy} exceeds \
                     max_order_notional {max:.2} {ccy}"
                ),
            ));
        }
    }
    Ok(())
}

/// Per-symbol position limits: `held + pending buys + quantity` shares, valued at `price`.
///
/// # Errors
///
/// `position-limit` with the position it would reach, its parts, and the limit exceeded.
pub fn check_position(
    limits: &Limits,
    instrument: &Instrument,
    exposure: Exposure,
    quantity: u32,
    price: Option<f64>,
) -> Result<(), Rejection> {
    let after = exposure.held_with_pending_buys() + u64::from(quantity);
    let parts = || {
        format!(
            "held {} + pending buys {} + {quantity} = {after}",
            exposure.held, exposure.pending_buys
        )
    };
    if let Some(max) = limits.max_position_shares
        && after > u64::from(max)
    {
        return Err(Rejection::new(
            RejectCode::PositionLimit,
            format!(
                "buy of {quantity} {instrument} would make the position {} > max_position_shares {max}",
                parts()
            ),
        ));
    }
    if let (Some(max), Some(price)) = (limits.max_position_notional, price) {
        // u64 → f64 is exact below 2^53 shares, far beyond any u32 sum.
        let notional = after as f64 * price;
        if notional > max {
            let ccy = instrument.currency;
            return Err(Rejection::new(
                RejectCode::PositionLimit,
                format!(
                    "buy of {quantity} {instrument} would make the position {} shares at {price} \
                     = {notional:.2} {ccy} > max_position_notional {max:.2} {ccy}",
                    parts()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use sandtrade_core::normalize;

    fn aapl() -> Instrument {
        normalize("AAPL").unwrap()
    }

    fn limits(toml_src: &str) -> Limits {
        toml::from_str(toml_src).unwrap()
    }

    #[test]
    fn toml_reads_every_field() {
        let l = limits(
            "max_position_shares = 1000\nmax_position_notional = 50000.0\nmax_order_shares = 500\n\
             max_order_notional = 20000\nmax_signals_per_minute = 30",
        );
        assert_eq!(
            l,
            Limits {
                max_position_shares: Some(1000),
                max_position_notional: Some(50_000.0),
                max_order_shares: Some(500),
                max_order_notional: Some(20_000.0),
                max_signals_per_minute: Some(30),
            }
        );
    }

    #[test]
    fn toml_rejects_a_misspelt_limit() {
        let err = toml::from_str::<Limits>("max_order_share = 5")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `max_order_share`"), "{err}");
    }

    #[test]
    fn stricter_takes_the_smaller_of_each_field() {
        let global = Limits {
            max_position_shares: Some(1000),
            max_order_notional: Some(10_000.0),
            max_signals_per_minute: Some(60),
            ..Limits::default()
        };
        let strategy = Limits {
            max_position_shares: Some(2000),
            max_order_shares: Some(100),
            max_order_notional: Some(5_000.0),
            ..Limits::default()
        };
        let expected = Limits {
            max_position_shares: Some(1000),
            max_position_notional: None,
            max_order_shares: Some(100),
            max_order_notional: Some(5_000.0),
            max_signals_per_minute: Some(60),
        };
        assert_eq!(global.stricter(&strategy), expected);
        assert_eq!(strategy.stricter(&global), expected);
    }

    #[test]
    fn validate_lists_every_bad_field() {
        let l = Limits {
            max_position_notional: Some(f64::NAN),
            max_order_notional: Some(-1.0),
            max_signals_per_minute: Some(0),
            max_position_shares: Some(0),
            ..Limits::default()
        };
        assert_eq!(
            l.validate().unwrap_err().to_string(),
            "invalid [limits]: max_position_notional = NaN (must be a finite number >= 0); \
             max_order_notional = -1 (must be a finite number >= 0); max_signals_per_minute = 0 \
             (must be between 1 and 6000; to stop a strategy, halt trading or remove it)"
        );
        assert_eq!(Limits::default().validate(), Ok(()));
    }

    #[test]
    fn order_shares_over_the_limit() {
        let l = Limits {
            max_order_shares: Some(100),
            ..Limits::default()
        };
        assert_eq!(check_order(&l, &aapl(), 100, None), Ok(()));
        assert_eq!(
            check_order(&l, &aapl(), 101, None),
            Err(Rejection::new(
                RejectCode::OrderLimit,
                "buy of 101 AAPL exceeds max_order_shares 100"
            ))
        );
    }

    #[test]
    fn order_notional_over_the_limit() {
        let l = Limits {
            max_order_notional: Some(10_000.0),
            ..Limits::default()
        };
        assert_eq!(check_order(&l, &aapl(), 50, Some(200.0)), Ok(()));
        assert_eq!(
            check_order(&l, &aapl(), 51, Some(200.0)),
            Err(Rejection::new(
                RejectCode::OrderLimit,
                "buy of 51 AAPL at 200 = 10200.00 USD exceeds max_order_notional 10000.00 USD"
            ))
        );
    }

    #[test]
    fn position_shares_count_held_and_pending_buys() {
        let l = Limits {
            max_position_shares: Some(200),
            ..Limits::default()
        };
        let e = Exposure {
            held: 100,
            pending_buys: 50,
            pending_sells: 100,
        };
        assert_eq!(check_position(&l, &aapl(), e, 50, None), Ok(()));
        assert_eq!(
            check_position(&l, &aapl(), e, 51, None),
            Err(Rejection::new(
                RejectCode::PositionLimit,
                "buy of 51 AAPL would make the position held 100 + pending buys 50 + 51 = 201 > \
                 max_position_shares 200"
            ))
        );
    }

    #[test]
    fn position_notional_in_the_instrument_currency() {
        let l = Limits {
            max_position_notional: Some(40_000.0),
            ..Limits::default()
        };
        let tencent = normalize("0700.HK").unwrap();
        let e = Exposure {
            held: 100,
            pending_buys: 0,
            pending_sells: 0,
        };
        assert_eq!(check_position(&l, &tencent, e, 0, Some(400.0)), Ok(()));
        assert_eq!(
            check_position(&l, &tencent, e, 100, Some(400.5)),
            Err(Rejection::new(
                RejectCode::PositionLimit,
                "buy of 100 700 would make the position held 100 + pending buys 0 + 100 = 200 \
                 shares at 400.5 = 80100.00 HKD > max_position_notional 40000.00 HKD"
            ))
        );
    }

    #[test]
    fn zero_share_limit_forbids_any_buy() {
        let l = Limits {
            max_position_shares: Some(0),
            ..Limits::default()
        };
        assert_eq!(
            check_position(&l, &aapl(), Exposure::default(), 1, None)
                .unwrap_err()
                .code,
            RejectCode::PositionLimit
        );
    }

    proptest! {
        #[test]
        fn stricter_is_commutative_and_never_looser(
            a in proptest::option::of(0u32..10_000), b in proptest::option::of(0u32..10_000),
            x in proptest::option::of(0.0f64..1e9), y in proptest::option::of(0.0f64..1e9),
        ) {
            let l1 = Limits { max_order_shares: a, max_order_notional: x, ..Limits::default() };
            let l2 = Limits { max_order_shares: b, max_order_notional: y, ..Limits::default() };
            let s = l1.stricter(&l2);
            prop_assert_eq!(&s, &l2.stricter(&l1));
            for (limit, combined) in [(a, s.max_order_shares), (b, s.max_order_shares)] {
                if let Some(limit) = limit { prop_assert!(combined.is_some_and(|c| c <= limit)); }
            }
            for (limit, combined) in [(x, s.max_order_notional), (y, s.max_order_notional)] {
                if let Some(limit) = limit { prop_assert!(combined.is_some_and(|c| c <= limit)); }
            }
        }
    }
}
