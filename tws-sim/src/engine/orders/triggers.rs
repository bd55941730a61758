//! Order types and the protective ones' triggers: what an order's type and prices mean, and
//! when a stop or trailing stop turns into the market or limit order it protects with.
//!
//! IB holds a stop on its own servers until the last trade reaches the stop price (a "simulated"
//! stop), so such an order stays PreSubmitted until it triggers; from then on it works as a
//! market order (`STP`, `TRAIL`) or a limit order (`STP LMT`, `TRAIL LIMIT`).

use super::Kind;
use crate::engine::contracts::{on_tick, round_to_tick};
use crate::messages::{PlaceOrder, Side};

/// How far a trailing stop follows the price.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Distance {
    /// A fixed amount (`auxPrice`).
    Amount(f64),
    /// A percentage of the price (`trailingPercent`).
    Percent(f64),
}

impl Distance {
    fn at(self, price: f64) -> f64 {
        match self {
            Distance::Amount(amount) => amount,
            Distance::Percent(percent) => price * percent / 100.0,
        }
    }
}

/// A stop that has not triggered yet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Trigger {
    /// The stop price now: fixed for a stop, following the price for a trailing stop.
    pub(super) stop: f64,
    /// Set for a trailing stop.
    trail: Option<Distance>,
    /// A trailing limit order's limit is this far beyond the stop when it triggers.
    limit_offset: Option<f64>,
}

impl Trigger {
    /// A trailing stop, whose stop price openOrder reports as `trailStopPrice`.
    pub(super) fn trails(&self) -> bool {
        self.trail.is_some()
    }

    /// Moves a trailing stop after the price: a sell's stop only up, a buy's only down.
    pub(super) fn follow(&mut self, side: Side, last: f64, tick: impl Fn(f64) -> f64) {
        let Some(distance) = self.trail else {
            return;
        };
        let raw = match side {
            Side::Sell => last - distance.at(last),
            Side::Buy => last + distance.at(last),
        };
        let candidate = round_to_tick(raw, tick(raw));
        self.stop = match side {
            Side::Sell => self.stop.max(candidate),
            Side::Buy => self.stop.min(candidate),
        };
    }

    /// Whether the last trade reached the stop: at or below it for a sell, at or above for a buy.
    pub(super) fn fired(&self, side: Side, last: f64) -> bool {
        match side {
            Side::Sell => last <= self.stop + 1e-9,
            Side::Buy => last >= self.stop - 1e-9,
        }
    }

    /// What the order works as once triggered: a trailing limit order's limit comes from the
    /// stop it triggered at; every other type keeps the kind it was placed with.
    pub(super) fn working_kind(&self, side: Side, placed: Kind, tick: impl Fn(f64) -> f64) -> Kind {
        match self.limit_offset {
            Some(offset) => {
                let raw = match side {
                    Side::Sell => self.stop - offset,
                    Side::Buy => self.stop + offset,
                };
                Kind::Limit(round_to_tick(raw, tick(raw)))
            }
            None => placed,
        }
    }
}

/// Why an order's type or prices are refused.
pub(super) enum TermsError {
    /// A price off the contract's tick ladder (IB's 110).
    OffTick,
    /// Anything else, as a sentence (IB's 321).
    Invalid(String),
}

/// What an order is: the kind it works as, and the trigger it waits for first (if any).
pub(super) struct Terms {
    pub(super) order_type: &'static str,
    pub(super) kind: Kind,
    pub(super) trigger: Option<Trigger>,
}

/// Reads the order's type and prices. `last` is the contract's last price (a trailing stop
/// without `trailStopPrice` starts from it); `tick` gives the tick size at a price.
pub(super) fn terms(
    p: &PlaceOrder,
    side: Side,
    last: f64,
    tick: impl Fn(f64) -> f64,
) -> Result<Terms, TermsError> {
    let priced = |price: Option<f64>, what: &str| match price {
        Some(price) if price > 0.0 && price.is_finite() => {
            if on_tick(price, tick(price)) {
                Ok(price)
            } else {
                Err(TermsError::OffTick)
            }
        }
        _ => Err(TermsError::Invalid(format!(
            "a {} order needs a positive {what}",
            p.order_type.to_ascii_uppercase()
        ))),
    };
    let order_type = p.order_type.to_ascii_uppercase();
    let (order_type, kind, trigger) = match order_type.as_str() {
        "MKT" => ("MKT", Kind::Market, None),
        "LMT" => (
            "LMT",
            Kind::Limit(priced(p.limit_price, "limit price")?),
            None,
        ),
        // On close: a market or limit order matched once, at the close (see `tif.rs`).
        "MOC" => ("MOC", Kind::Market, None),
        "LOC" => (
            "LOC",
            Kind::Limit(priced(p.limit_price, "limit price")?),
            None,
        ),
        "STP" => (
            "STP",
            Kind::Market,
            Some(stop(priced(p.aux_price, "stop price (auxPrice)")?)),
        ),
        "STP LMT" => {
            let trigger = stop(priced(p.aux_price, "stop price (auxPrice)")?);
            let limit = priced(p.limit_price, "limit price")?;
            ("STP LMT", Kind::Limit(limit), Some(trigger))
        }
        "TRAIL" | "TRAIL LIMIT" => {
            let distance = match (p.aux_price, p.trailing_percent) {
                (Some(amount), None) if amount > 0.0 => Distance::Amount(amount),
                (None, Some(percent)) if percent > 0.0 && percent < 100.0 => {
                    Distance::Percent(percent)
                }
                _ => {
                    return Err(TermsError::Invalid(format!(
                        "a {order_type} order needs either a positive trailing amount (auxPrice) or a trailing percentage below 100, not both"
                    )));
                }
            };
            let limit_offset = if order_type == "TRAIL LIMIT" {
                match p.lmt_price_offset {
                    Some(offset) if offset >= 0.0 => Some(offset),
                    _ => {
                        return Err(TermsError::Invalid(
                            "a TRAIL LIMIT order needs a limit price offset (lmtPriceOffset) of 0 or more"
                                .to_string(),
                        ));
                    }
                }
            } else {
                None
            };
            let start = match p.trail_stop_price {
                Some(price) => priced(Some(price), "trailing stop price")?,
                None => {
                    let raw = match side {
                        Side::Sell => last - distance.at(last),
                        Side::Buy => last + distance.at(last),
                    };
                    round_to_tick(raw, tick(raw))
                }
            };
            let name = if limit_offset.is_some() {
                "TRAIL LIMIT"
            } else {
                "TRAIL"
            };
            let trigger = Trigger {
                stop: start,
                trail: Some(distance),
                limit_offset,
            };
            (name, Kind::Market, Some(trigger))
        }
        other => {
            return Err(TermsError::Invalid(format!(
                "order type {other:?} is not simulated (MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT, MOC and LOC are)"
            )));
        }
    };
    Ok(Terms {
        order_type,
        kind,
        trigger,
    })
}

fn stop(price: f64) -> Trigger {
    Trigger {
        stop: price,
        trail: None,
        limit_offset: None,
    }
}
