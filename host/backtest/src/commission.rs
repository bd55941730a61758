//! Commission schedules: what the simulator charges per fill.
//!
//! Defaults follow IBKR's fixed pricing closely enough for a backtest: US stocks USD 0.005 a
//! share, at least USD 1.00, at most 1% of the trade value; HK stocks 0.08% of the trade value,
//! at least HKD 18. Exchange, clearing and stamp-duty fees are not modelled separately: raise
//! the rate to include them.
//!
//! ```toml
//! [backtest.commissions.us]
//! kind = "per-share"
//! per_share = 0.005
//! minimum = 1.0
//! max_bps_of_value = 100.0
//!
//! [backtest.commissions.hk]
//! kind = "of-value"
//! bps = 8.0
//! minimum = 18.0
//! ```

use serde::Deserialize;

use sandtrade_core::Market;

/// How one fill is charged, in the instrument's currency.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Commission {
    /// `per_share × quantity`, at least `minimum`, at most `max_bps_of_value` basis points of
    /// the trade value (the cap wins over the minimum, as at IBKR).
    PerShare {
        /// Charge per share.
        per_share: f64,
        /// Least charged per fill.
        minimum: f64,
        /// Most charged, in basis points (1/100 %) of `quantity × price`.
        max_bps_of_value: f64,
    },
    /// `bps` basis points of the trade value, at least `minimum`.
    OfValue {
        /// Charge in basis points (1/100 %) of `quantity × price`.
        bps: f64,
        /// Least charged per fill.
        minimum: f64,
    },
}

impl Commission {
    /// Free: for tests and frictionless runs.
    pub const ZERO: Self = Self::OfValue {
        bps: 0.0,
        minimum: 0.0,
    };

    /// The charge for `quantity` shares at `price`.
    pub fn cost(&self, quantity: u32, price: f64) -> f64 {
        let value = f64::from(quantity) * price;
        match *self {
            Self::PerShare {
                per_share,
                minimum,
                max_bps_of_value,
            } => (per_share * f64::from(quantity))
                .max(minimum)
                .min(value * max_bps_of_value / 10_000.0),
            Self::OfValue { bps, minimum } => (value * bps / 10_000.0).max(minimum),
        }
    }

    fn problems(&self, market: &str, out: &mut Vec<String>) {
        let fields: &[(&str, f64)] = match self {
            Self::PerShare {
                per_share,
                minimum,
                max_bps_of_value,
            } => &[
                ("per_share", *per_share),
                ("minimum", *minimum),
                ("max_bps_of_value", *max_bps_of_value),
            ],
            Self::OfValue { bps, minimum } => &[("bps", *bps), ("minimum", *minimum)],
        };
        for (name, value) in fields {
            if !(value.is_finite() && *value >= 0.0) {
                out.push(format!(
                    "commissions.{market}.{name} = {value} (must be a finite number >= 0)"
                ));
            }
        }
    }
}

/// The commission of each market.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommissionSchedule {
    /// US stocks (USD).
    pub us: Commission,
    /// HK stocks (HKD).
    pub hk: Commission,
}

impl Default for CommissionSchedule {
    /// IBKR-like fixed pricing, see the module docs.
    fn default() -> Self {
        Self {
            us: Commission::PerShare {
                per_share: 0.005,
                minimum: 1.0,
                max_bps_of_value: 100.0,
            },
            hk: Commission::OfValue {
                bps: 8.0,
                minimum: 18.0,
            },
        }
    }
}

impl CommissionSchedule {
    /// No commissions anywhere.
    pub const ZERO: Self = Self {
        us: Commission::ZERO,
        hk: Commission::ZERO,
    };

    /// The commission for `market`.
    pub const fn for_market(&self, market: Market) -> &Commission {
        match market {
            Market::UsStock => &self.us,
            Market::HkStock => &self.hk,
        }
    }

    /// Every negative or non-finite field, as `commissions.us.minimum = -1 (…)`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.us.problems("us", &mut out);
        self.hk.problems("hk", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_per_share_with_minimum_and_cap() {
        let us = CommissionSchedule::default().us;
        assert_eq!(us.cost(100, 185.0), 1.0, "0.50 is below the minimum");
        assert_eq!(us.cost(1000, 185.0), 5.0);
        assert_eq!(us.cost(10, 5.0), 0.5, "the 1% cap wins over the minimum");
    }

    #[test]
    fn hk_percentage_with_minimum() {
        let hk = CommissionSchedule::default().hk;
        assert_eq!(hk.cost(100, 400.0), 32.0);
        assert_eq!(hk.cost(100, 100.0), 18.0);
    }

    #[test]
    fn toml_schedule() {
        let s: CommissionSchedule = toml::from_str(
            "[us]\nkind = \"per-share\"\nper_share = 0.01\nminimum = 2\nmax_bps_of_value = 50\n\
             [hk]\nkind = \"of-value\"\nbps = 10\nminimum = 0\n",
        )
        .unwrap();
        assert_eq!(
            s.us,
            Commission::PerShare {
                per_share: 0.01,
                minimum: 2.0,
                max_bps_of_value: 50.0
            }
        );
        assert_eq!(s.hk.cost(1000, 10.0), 10.0);
        let partial: CommissionSchedule =
            toml::from_str("[hk]\nkind = \"of-value\"\nbps = 3\nminimum = 1\n").unwrap();
        assert_eq!(partial.us, CommissionSchedule::default().us);
        assert!(toml::from_str::<CommissionSchedule>("[hk]\nkind = \"flat\"\n").is_err());
    }

    #[test]
    fn problems_name_the_field() {
        let s = CommissionSchedule {
            us: Commission::PerShare {
                per_share: -0.01,
                minimum: 1.0,
                max_bps_of_value: f64::NAN,
            },
            hk: Commission::ZERO,
        };
        assert_eq!(
            s.problems(),
            [
                "commissions.us.per_share = -0.01 (must be a finite number >= 0)",
                "commissions.us.max_bps_of_value = NaN (must be a finite number >= 0)",
            ]
        );
    }
}
