//! How an order is priced and how long it works: the order types a strategy or an operator
//! may ask for, and their time in force.
//!
//! These are IB's own order types, held at the venue: a stop rests at IB and protects the
//! position even when the host, its machine or its network is down. Every price is in the
//! instrument's currency; the risk layer refuses any that is not a finite positive number.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How an order is priced.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderType {
    /// At the market (IB `MKT`).
    Market,
    /// At this limit price or better (IB `LMT`).
    Limit(f64),
    /// A market order once the last price touches the trigger: at or below it for a sell, at
    /// or above it for a buy (IB `STP`, the trigger in `auxPrice`).
    Stop(f64),
    /// A limit order at `limit` once the last price touches `trigger` (IB `STP LMT`).
    StopLimit {
        /// The price that arms the order.
        trigger: f64,
        /// The limit it then rests at.
        limit: f64,
    },
    /// A stop whose trigger follows the market by `trail`: up behind a rising price for a
    /// sell, down ahead of a falling one for a buy, never back (IB `TRAIL`). With
    /// `limit_offset` it becomes a limit order `limit_offset` beyond the trigger once
    /// triggered (IB `TRAIL LIMIT`).
    TrailingStop {
        /// How far the trigger stays from the best price seen.
        trail: Trail,
        /// For a trailing stop-limit: the limit's distance from the trigger, in price.
        limit_offset: Option<f64>,
    },
    /// A market order executed in the closing auction (IB `MOC`).
    MarketOnClose,
    /// A limit order executed in the closing auction at this limit or better (IB `LOC`).
    LimitOnClose(f64),
}

/// A trailing stop's distance from the best price seen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trail {
    /// A fixed distance in price (IB `auxPrice`).
    Amount(f64),
    /// A percentage of the best price, between 0 and 100 (IB `trailingPercent`).
    Percent(f64),
}

/// Which of an order's numbers a value is: how a refusal names it, which values it may take,
/// and whether it sits on the price tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceField {
    /// A limit price.
    Limit,
    /// A stop's trigger.
    Stop,
    /// A trailing stop's distance in price.
    TrailAmount,
    /// A trailing stop's distance in percent.
    TrailPercent,
    /// A trailing stop-limit's limit offset.
    LimitOffset,
}

impl PriceField {
    /// As a refusal names it: `limit price`, `stop price`, `trailing amount`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Self::Limit => "limit price",
            Self::Stop => "stop price",
            Self::TrailAmount => "trailing amount",
            Self::TrailPercent => "trailing percent",
            Self::LimitOffset => "limit offset",
        }
    }

    /// Whether `value` is one this field may hold: finite and > 0; a limit offset may be 0, a
    /// percent is below 100.
    pub fn accepts(self, value: f64) -> bool {
        value.is_finite()
            && match self {
                Self::LimitOffset => value >= 0.0,
                Self::TrailPercent => value > 0.0 && value < 100.0,
                Self::Limit | Self::Stop | Self::TrailAmount => value > 0.0,
            }
    }

    /// The rule [`accepts`](Self::accepts) applies, in words.
    pub const fn rule(self) -> &'static str {
        match self {
            Self::LimitOffset => "a finite number >= 0",
            Self::TrailPercent => "a finite number > 0 and < 100",
            Self::Limit | Self::Stop | Self::TrailAmount => "a finite number > 0",
        }
    }

    /// Whether the value is a price the exchange quotes, so must sit on the contract's tick
    /// (limits and stops); the trailing distances are not.
    pub const fn is_on_tick(self) -> bool {
        matches!(self, Self::Limit | Self::Stop)
    }
}

impl OrderType {
    /// The kebab-case name (`market`, `stop-limit`, …), as stored and shown.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Market => "market",
            Self::Limit(_) => "limit",
            Self::Stop(_) => "stop",
            Self::StopLimit { .. } => "stop-limit",
            Self::TrailingStop { .. } => "trailing-stop",
            Self::MarketOnClose => "market-on-close",
            Self::LimitOnClose(_) => "limit-on-close",
        }
    }

    /// The limit price, for the types that carry one.
    pub const fn limit_price(self) -> Option<f64> {
        match self {
            Self::Limit(price) | Self::LimitOnClose(price) => Some(price),
            Self::StopLimit { limit, .. } => Some(limit),
            Self::Market | Self::Stop(_) | Self::TrailingStop { .. } | Self::MarketOnClose => None,
        }
    }

    /// The trigger price, for stops and stop-limits (a trailing stop's trigger moves, and IB
    /// computes its first one).
    pub const fn trigger_price(self) -> Option<f64> {
        match self {
            Self::Stop(trigger) | Self::StopLimit { trigger, .. } => Some(trigger),
            _ => None,
        }
    }

    /// A trailing stop's distance in price, if it trails by an amount.
    pub const fn trail_amount(self) -> Option<f64> {
        match self {
            Self::TrailingStop {
                trail: Trail::Amount(amount),
                ..
            } => Some(amount),
            _ => None,
        }
    }

    /// A trailing stop's distance in percent, if it trails by a percentage.
    pub const fn trail_percent(self) -> Option<f64> {
        match self {
            Self::TrailingStop {
                trail: Trail::Percent(percent),
                ..
            } => Some(percent),
            _ => None,
        }
    }

    /// A trailing stop-limit's limit offset.
    pub const fn limit_offset(self) -> Option<f64> {
        match self {
            Self::TrailingStop { limit_offset, .. } => limit_offset,
            _ => None,
        }
    }

    /// The price the order is expected to trade near, where the order itself says: its limit,
    /// else its trigger. `None` for the types priced by the market (market, trailing stop,
    /// market-on-close), which the risk layer values at the last known price.
    pub const fn expected_price(self) -> Option<f64> {
        match (self.limit_price(), self.trigger_price()) {
            (Some(limit), _) => Some(limit),
            (None, trigger) => trigger,
        }
    }

    /// Whether the order waits for a trigger before it can trade (stops and trailing stops):
    /// such an order may rest for days, and is the one a strategy uses to protect a position.
    pub const fn is_triggered(self) -> bool {
        matches!(
            self,
            Self::Stop(_) | Self::StopLimit { .. } | Self::TrailingStop { .. }
        )
    }

    /// Whether the order trades only in the closing auction.
    pub const fn is_on_close(self) -> bool {
        matches!(self, Self::MarketOnClose | Self::LimitOnClose(_))
    }

    /// Every number the order carries, with which field it is. The risk layer checks each
    /// with [`PriceField::accepts`]. Does not allocate: it runs on every signal.
    pub fn prices(self) -> impl Iterator<Item = (PriceField, f64)> {
        let pair = match self {
            Self::Market | Self::MarketOnClose => [None, None],
            Self::Limit(limit) | Self::LimitOnClose(limit) => {
                [Some((PriceField::Limit, limit)), None]
            }
            Self::Stop(trigger) => [Some((PriceField::Stop, trigger)), None],
            Self::StopLimit { trigger, limit } => [
                Some((PriceField::Stop, trigger)),
                Some((PriceField::Limit, limit)),
            ],
            Self::TrailingStop {
                trail,
                limit_offset,
            } => [
                Some(match trail {
                    Trail::Amount(amount) => (PriceField::TrailAmount, amount),
                    Trail::Percent(percent) => (PriceField::TrailPercent, percent),
                }),
                limit_offset.map(|offset| (PriceField::LimitOffset, offset)),
            ],
        };
        pair.into_iter().flatten()
    }

    /// This order type with each number passed through `map` (given its field), e.g. to put
    /// the prices on the contract's tick.
    #[must_use]
    pub fn map_prices(self, mut map: impl FnMut(PriceField, f64) -> f64) -> Self {
        match self {
            Self::Market | Self::MarketOnClose => self,
            Self::Limit(limit) => Self::Limit(map(PriceField::Limit, limit)),
            Self::LimitOnClose(limit) => Self::LimitOnClose(map(PriceField::Limit, limit)),
            Self::Stop(trigger) => Self::Stop(map(PriceField::Stop, trigger)),
            Self::StopLimit { trigger, limit } => Self::StopLimit {
                trigger: map(PriceField::Stop, trigger),
                limit: map(PriceField::Limit, limit),
            },
            Self::TrailingStop {
                trail,
                limit_offset,
            } => Self::TrailingStop {
                trail: match trail {
                    Trail::Amount(amount) => Trail::Amount(map(PriceField::TrailAmount, amount)),
                    Trail::Percent(percent) => {
                        Trail::Percent(map(PriceField::TrailPercent, percent))
                    }
                },
                limit_offset: limit_offset.map(|offset| map(PriceField::LimitOffset, offset)),
            },
        }
    }
}

/// A change of a working order: a new total quantity (filled shares included), new terms of
/// the same type, or both. What is `None` stays.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrderChange {
    /// The new quantity: shares ordered in all, more than those already filled.
    pub quantity: Option<u32>,
    /// The same order type with new numbers (see [`OrderType::same_kind`]).
    pub order_type: Option<OrderType>,
}

/// New numbers for some of a working order's prices, by field: how an operator modifies an
/// order without restating it (see [`OrderType::reprice`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriceChange {
    /// A new limit price.
    pub limit: Option<f64>,
    /// A new stop trigger.
    pub stop: Option<f64>,
    /// A new trailing amount.
    pub trail_amount: Option<f64>,
    /// A new trailing percent.
    pub trail_percent: Option<f64>,
    /// A new limit offset.
    pub limit_offset: Option<f64>,
}

impl PriceChange {
    /// The new value of `field`, if one is given.
    pub const fn get(&self, field: PriceField) -> Option<f64> {
        match field {
            PriceField::Limit => self.limit,
            PriceField::Stop => self.stop,
            PriceField::TrailAmount => self.trail_amount,
            PriceField::TrailPercent => self.trail_percent,
            PriceField::LimitOffset => self.limit_offset,
        }
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl OrderType {
    /// Whether `other` is this order type with other numbers: the same type, trailing by
    /// the same kind of distance, with or without a limit offset alike. A modify may change
    /// an order's numbers, never its type (IB refuses that too).
    pub fn same_kind(self, other: Self) -> bool {
        self.name() == other.name()
            && self
                .prices()
                .map(|(f, _)| f)
                .eq(other.prices().map(|(f, _)| f))
    }

    /// This order type with the numbers `change` gives.
    ///
    /// # Errors
    ///
    /// A field this type does not carry, in words: `a stop order has no limit price`.
    pub fn reprice(self, change: &PriceChange) -> Result<Self, String> {
        const FIELDS: [PriceField; 5] = [
            PriceField::Limit,
            PriceField::Stop,
            PriceField::TrailAmount,
            PriceField::TrailPercent,
            PriceField::LimitOffset,
        ];
        for field in FIELDS {
            if change.get(field).is_some() && !self.prices().any(|(f, _)| f == field) {
                return Err(format!("a {} order has no {}", self.name(), field.name()));
            }
        }
        Ok(self.map_prices(|field, old| change.get(field).unwrap_or(old)))
    }
}

impl fmt::Display for OrderType {
    /// `market`, `limit 101.5`, `stop 95`, `stop-limit 95/94.5`, `trailing-stop 2%`,
    /// `trailing-stop 1.5 limit-offset 0.1`, `market-on-close`, `limit-on-close 101`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Market | Self::MarketOnClose => f.write_str(self.name()),
            Self::Limit(price) | Self::LimitOnClose(price) | Self::Stop(price) => {
                write!(f, "{} {price}", self.name())
            }
            Self::StopLimit { trigger, limit } => write!(f, "stop-limit {trigger}/{limit}"),
            Self::TrailingStop {
                trail,
                limit_offset,
            } => {
                match trail {
                    Trail::Amount(amount) => write!(f, "trailing-stop {amount}")?,
                    Trail::Percent(percent) => write!(f, "trailing-stop {percent}%")?,
                }
                match limit_offset {
                    Some(offset) => write!(f, " limit-offset {offset}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// How long an order works before IB cancels what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeInForce {
    /// Until the end of the trading day (IB `DAY`).
    #[default]
    Day,
    /// Until cancelled: it survives the end of the day and a gateway restart (IB `GTC`).
    Gtc,
    /// What can execute at once does; the rest is cancelled (IB `IOC`).
    Ioc,
    /// Only in the opening auction (IB `OPG`).
    Opg,
}

impl TimeInForce {
    /// Every value, in WIT order.
    pub const ALL: [Self; 4] = [Self::Day, Self::Gtc, Self::Ioc, Self::Opg];

    /// The lower-case name (`day`, `gtc`, `ioc`, `opg`), as stored, shown and accepted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Gtc => "gtc",
            Self::Ioc => "ioc",
            Self::Opg => "opg",
        }
    }

    /// The value named `name`, in any case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|tif| tif.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for TimeInForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When an order works: its time in force, and whether it may trigger and fill outside
/// regular trading hours. The default is what every order was before these existed: a day
/// order, regular hours only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Timing {
    /// How long the order works.
    pub tif: TimeInForce,
    /// Whether it may trigger and fill in the pre- and after-market sessions (IB
    /// `outsideRth`).
    pub outside_rth: bool,
}

impl Timing {
    /// A day order in regular hours.
    pub const DAY: Self = Self {
        tif: TimeInForce::Day,
        outside_rth: false,
    };
}

impl fmt::Display for Timing {
    /// `day`, `gtc outside-rth`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tif.as_str())?;
        if self.outside_rth {
            f.write_str(" outside-rth")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_display_read_like_an_order_ticket() {
        let shown: Vec<String> = [
            OrderType::Market,
            OrderType::Limit(101.5),
            OrderType::Stop(95.0),
            OrderType::StopLimit {
                trigger: 95.0,
                limit: 94.5,
            },
            OrderType::TrailingStop {
                trail: Trail::Percent(2.0),
                limit_offset: None,
            },
            OrderType::TrailingStop {
                trail: Trail::Amount(1.5),
                limit_offset: Some(0.1),
            },
            OrderType::MarketOnClose,
            OrderType::LimitOnClose(101.0),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            shown,
            [
                "market",
                "limit 101.5",
                "stop 95",
                "stop-limit 95/94.5",
                "trailing-stop 2%",
                "trailing-stop 1.5 limit-offset 0.1",
                "market-on-close",
                "limit-on-close 101",
            ]
        );
    }

    #[test]
    fn expected_price_is_the_limit_else_the_trigger() {
        let stop_limit = OrderType::StopLimit {
            trigger: 95.0,
            limit: 94.5,
        };
        assert_eq!(stop_limit.expected_price(), Some(94.5));
        assert_eq!(OrderType::Stop(95.0).expected_price(), Some(95.0));
        assert_eq!(OrderType::Market.expected_price(), None);
        assert_eq!(OrderType::MarketOnClose.expected_price(), None);
        assert!(stop_limit.is_triggered());
        assert!(!OrderType::Limit(1.0).is_triggered());
    }

    #[test]
    fn map_prices_rounds_prices_but_not_a_percent() {
        let trailing = OrderType::TrailingStop {
            trail: Trail::Percent(2.345),
            limit_offset: Some(0.123),
        };
        let rounded = trailing.map_prices(|field, p| match field {
            PriceField::TrailPercent => p,
            _ => (p * 100.0).round() / 100.0,
        });
        assert_eq!(
            rounded,
            OrderType::TrailingStop {
                trail: Trail::Percent(2.345),
                limit_offset: Some(0.12),
            }
        );
        let names: Vec<&str> = OrderType::StopLimit {
            trigger: 1.0,
            limit: 2.0,
        }
        .prices()
        .map(|(field, _)| field.name())
        .collect();
        assert_eq!(names, ["stop price", "limit price"]);
    }

    #[test]
    fn time_in_force_parses_any_case_and_defaults_to_day() {
        assert_eq!(TimeInForce::parse("GTC"), Some(TimeInForce::Gtc));
        assert_eq!(TimeInForce::parse("opg"), Some(TimeInForce::Opg));
        assert_eq!(TimeInForce::parse("gtd"), None);
        assert_eq!(Timing::default(), Timing::DAY);
        let gtc = Timing {
            tif: TimeInForce::Gtc,
            outside_rth: true,
        };
        assert_eq!(gtc.to_string(), "gtc outside-rth");
    }
}

#[cfg(test)]
mod change_tests {
    use super::*;

    #[test]
    fn a_reprice_changes_the_numbers_given_and_refuses_ones_the_type_lacks() {
        let stop_limit = OrderType::StopLimit {
            trigger: 9.5,
            limit: 9.4,
        };
        let raised = stop_limit
            .reprice(&PriceChange {
                stop: Some(9.8),
                ..PriceChange::default()
            })
            .unwrap();
        assert_eq!(
            raised,
            OrderType::StopLimit {
                trigger: 9.8,
                limit: 9.4
            }
        );
        assert!(raised.same_kind(stop_limit));
        assert_eq!(
            OrderType::Stop(9.5).reprice(&PriceChange {
                limit: Some(9.0),
                ..PriceChange::default()
            }),
            Err("a stop order has no limit price".to_owned())
        );
        let by_amount = OrderType::TrailingStop {
            trail: Trail::Amount(1.0),
            limit_offset: None,
        };
        let by_percent = OrderType::TrailingStop {
            trail: Trail::Percent(1.0),
            limit_offset: None,
        };
        assert!(!by_amount.same_kind(by_percent));
        assert!(!OrderType::Stop(1.0).same_kind(OrderType::Limit(1.0)));
        assert_eq!(
            by_amount.reprice(&PriceChange {
                trail_percent: Some(2.0),
                ..PriceChange::default()
            }),
            Err("a trailing-stop order has no trailing percent".to_owned())
        );
    }
}
