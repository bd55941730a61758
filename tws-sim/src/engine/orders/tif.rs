//! Time in force: when an order stops working on its own.
//!
//! - `DAY` (the default): cancelled at the end of its trading day. With session hours on, that
//!   is its market's close (16:00 local in New York and Hong Kong; an order placed after the
//!   close belongs to the next weekday's session); without them, the end of the simulated
//!   trading day (00:00 UTC, where the day's P&L starts again).
//! - `GTC`: works until filled or cancelled, across days and restarts.
//! - `IOC`: fills what it can at once; the rest is cancelled.
//! - `OPG`: waits for its market's next opening, is matched once at the opening price, and
//!   whatever does not fill then is cancelled. Needs session hours: without them the market
//!   never opens.
//!
//! The on-close types (`MOC`, `LOC`; DAY only) are matched the same way once, in the last
//! second of their trading day, at the price the day closes at: a LOC order fills if that
//! price is at or better than its limit, and is cancelled otherwise.

use time::OffsetDateTime;

use super::triggers::Terms;
use crate::engine::contracts::ContractIdx;
use crate::engine::{Engine, clock};
use crate::messages::PlaceOrder;

/// When a new order stops working on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Lifetime {
    /// Cancelled once the clock reaches this (DAY).
    pub(super) expires_at: Option<OffsetDateTime>,
    /// Neither works nor fills before this; cancelled after its first match (OPG at the
    /// opening, MOC and LOC at the close).
    pub(super) auction_at: Option<OffsetDateTime>,
    /// Cancelled after its first match (IOC).
    pub(super) immediate: bool,
}

impl Engine {
    /// The order's time in force, checked against its type and the market's hours.
    pub(super) fn lifetime(
        &self,
        p: &PlaceOrder,
        contract: ContractIdx,
        terms: &Terms,
    ) -> Result<Lifetime, String> {
        let market = self.book.spec(contract).market;
        let hours = self.config.market.session_hours;
        let stop = terms.trigger.is_some();
        let on_close = matches!(terms.order_type, "MOC" | "LOC");
        let tif = if p.tif.is_empty() {
            "DAY"
        } else {
            p.tif.as_str()
        };
        let day_end = if hours {
            clock::day_close(market, self.now)
        } else {
            next_utc_midnight(self.now)
        };
        match tif.to_ascii_uppercase().as_str() {
            "DAY" if on_close => Ok(Lifetime {
                expires_at: Some(day_end),
                auction_at: Some(day_end - time::Duration::SECOND),
                ..Lifetime::default()
            }),
            _ if on_close => Err(format!(
                "a {} order is a DAY order, not {tif}",
                terms.order_type
            )),
            "DAY" => Ok(Lifetime {
                expires_at: Some(day_end),
                ..Lifetime::default()
            }),
            "GTC" => Ok(Lifetime::default()),
            "IOC" if !stop => Ok(Lifetime {
                immediate: true,
                ..Lifetime::default()
            }),
            "OPG" if !hours => Err(
                "OPG orders need session hours (--session-hours): without them the market never opens"
                    .to_string(),
            ),
            "OPG" if !stop => Ok(Lifetime {
                auction_at: Some(clock::next_open(market, self.now + time::Duration::SECOND)),
                ..Lifetime::default()
            }),
            "IOC" | "OPG" => Err(format!(
                "time in force {tif} is for market and limit orders only"
            )),
            other => Err(format!(
                "time in force {other:?} is not simulated (DAY, GTC, IOC and OPG are)"
            )),
        }
    }

    /// Cancels every working order whose trading day has ended.
    pub(super) fn expire_day_orders(&mut self) {
        let now = self.now;
        let expired: Vec<usize> = self
            .orders
            .working
            .iter()
            .copied()
            .filter(|&i| {
                self.orders.orders[i]
                    .lifetime
                    .expires_at
                    .is_some_and(|t| now >= t)
            })
            .collect();
        for idx in expired {
            if self.orders.orders[idx].status.is_working() {
                tracing::debug!(
                    order_id = self.orders.orders[idx].order_id,
                    "DAY order expired"
                );
                self.cancel(idx);
            }
        }
    }

    /// After an order's first chance to fill: an IOC order, or an OPG, MOC or LOC order at
    /// its opening or close, is cancelled for whatever did not fill.
    pub(super) fn end_of_first_chance(&mut self, idx: usize) {
        let o = &self.orders.orders[idx];
        let auctioned = o.lifetime.auction_at.is_some_and(|t| self.now >= t);
        if o.status.is_working() && (o.lifetime.immediate || auctioned) {
            self.cancel(idx);
        }
    }
}

/// 00:00 UTC after `at`: where the simulated trading day ends without session hours.
fn next_utc_midnight(at: OffsetDateTime) -> OffsetDateTime {
    let date = at.date().next_day().unwrap_or(at.date());
    date.midnight().assume_utc()
}
