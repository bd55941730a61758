//! The `orders` row and the text columns of the store's tables, to and from their records.
//!
//! Every enum is stored as the kebab-case name it has in the WIT and the API; a value this
//! build does not write is [`OrderStoreError::Corrupt`], never guessed at.

use rusqlite::Row;
use rusqlite::ToSql;
use sandtrade_core::{Action, Market, OrderType, TimeInForce, Timing, Trail};

use crate::OrderStoreError;
use crate::ids::SignalId;
use crate::record::{IbOrderId, OrderRecord};
use crate::state::IbStatus;

/// The columns [`read`] expects, in its order.
pub(super) const ORDER_COLUMNS: &str = "signal_id, client_order_id, strategy, wasm_hash, symbol, \
    market, action, quantity, order_type, limit_price, stop_price, trail_amount, trail_percent, \
    limit_offset, tif, outside_rth, state, ib_client_id, ib_order_id, perm_id, ib_status, \
    filled_qty, filled_notional, avg_price, commission, created_ms, sent_ms, updated_ms, note, \
    cancel_requested_ms, modify_requested_ms, modify_prior, exit_of";

/// An `orders` row as read, before its text columns are checked.
pub(super) struct OrderRow {
    signal_id: i64,
    client_order_id: String,
    strategy: String,
    wasm_hash: String,
    symbol: String,
    market: String,
    action: String,
    quantity: u32,
    terms: TermColumns,
    state: String,
    ib_client_id: Option<i32>,
    ib_order_id: Option<i32>,
    perm_id: Option<i64>,
    ib_status: Option<String>,
    filled_qty: i64,
    filled_notional: f64,
    avg_price: Option<f64>,
    commission: f64,
    created_ms: i64,
    sent_ms: Option<i64>,
    updated_ms: i64,
    note: Option<String>,
    cancel_requested_ms: Option<i64>,
    modify_requested_ms: Option<i64>,
    modify_prior: Option<String>,
    exit_of: Option<i64>,
}

/// Reads a row selected with [`ORDER_COLUMNS`]. Checking its values is
/// [`OrderRow::into_record`]'s job, outside the row callback, so a bad value is reported as
/// [`OrderStoreError::Corrupt`] rather than as a SQLite error.
pub(super) fn read(row: &Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        signal_id: row.get(0)?,
        client_order_id: row.get(1)?,
        strategy: row.get(2)?,
        wasm_hash: row.get(3)?,
        symbol: row.get(4)?,
        market: row.get(5)?,
        action: row.get(6)?,
        quantity: row.get(7)?,
        terms: TermColumns::read(row, 8)?,
        state: row.get(16)?,
        ib_client_id: row.get(17)?,
        ib_order_id: row.get(18)?,
        perm_id: row.get(19)?,
        ib_status: row.get(20)?,
        filled_qty: row.get(21)?,
        filled_notional: row.get(22)?,
        avg_price: row.get(23)?,
        commission: row.get(24)?,
        created_ms: row.get(25)?,
        sent_ms: row.get(26)?,
        updated_ms: row.get(27)?,
        note: row.get(28)?,
        cancel_requested_ms: row.get(29)?,
        modify_requested_ms: row.get(30)?,
        modify_prior: row.get(31)?,
        exit_of: row.get(32)?,
    })
}

impl OrderRow {
    /// The record, once every text column holds a value this build writes.
    pub(super) fn into_record(self) -> Result<OrderRecord, OrderStoreError> {
        let corrupt = |what: &str, value: &str| {
            OrderStoreError::Corrupt(format!("order {}: {what} {value:?}", self.signal_id))
        };
        let instrument =
            sandtrade_core::normalize(&self.symbol).map_err(|_| corrupt("symbol", &self.symbol))?;
        if instrument.market.as_str() != self.market {
            return Err(corrupt("market", &self.market));
        }
        let action = action(&self.action).ok_or_else(|| corrupt("action", &self.action))?;
        let (order_type, timing) = self
            .terms
            .decode()
            .ok_or_else(|| corrupt("order type", &self.terms.to_string()))?;
        let state = self
            .state
            .parse()
            .map_err(|_| corrupt("state", &self.state))?;
        let ib = match (self.ib_client_id, self.ib_order_id) {
            (Some(client_id), Some(order_id)) => Some(IbOrderId {
                client_id,
                order_id,
            }),
            _ => None,
        };
        let ib_status = match &self.ib_status {
            Some(text) => Some(IbStatus::parse(text).ok_or_else(|| corrupt("IB status", text))?),
            None => None,
        };
        Ok(OrderRecord {
            signal_id: SignalId::from_row(self.signal_id),
            client_order_id: self.client_order_id,
            strategy: self.strategy,
            wasm_hash: self.wasm_hash,
            instrument,
            action,
            quantity: self.quantity,
            order_type,
            timing,
            state,
            ib,
            perm_id: self.perm_id,
            ib_status,
            filled_qty: self.filled_qty,
            filled_notional: self.filled_notional,
            avg_price: self.avg_price,
            commission: self.commission,
            created_ms: self.created_ms,
            sent_ms: self.sent_ms,
            updated_ms: self.updated_ms,
            note: self.note,
            cancel_requested_ms: self.cancel_requested_ms,
            modify_requested_ms: self.modify_requested_ms,
            modify_prior: match &self.modify_prior {
                Some(text) => Some(
                    serde_json::from_str(text)
                        .map_err(|_| corrupt("terms before a change", text))?,
                ),
                None => None,
            },
            exit_of: self.exit_of.map(SignalId::from_row),
        })
    }
}

/// The action stored under this name, if it is one.
pub(super) fn action(text: &str) -> Option<Action> {
    Action::ALL.into_iter().find(|a| a.as_str() == text)
}

/// The market stored under this name.
pub(super) fn market(text: &str) -> Result<Market, OrderStoreError> {
    match text {
        "us-stock" => Ok(Market::UsStock),
        "hk-stock" => Ok(Market::HkStock),
        other => Err(OrderStoreError::Corrupt(format!("market {other:?}"))),
    }
}

/// The columns that say how an order is priced and how long it works, shared by `signals`
/// and `orders`: `order_type, limit_price, stop_price, trail_amount, trail_percent,
/// limit_offset, tif, outside_rth`, in that order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TermColumns {
    order_type: String,
    limit_price: Option<f64>,
    stop_price: Option<f64>,
    trail_amount: Option<f64>,
    trail_percent: Option<f64>,
    limit_offset: Option<f64>,
    tif: String,
    outside_rth: bool,
}

impl TermColumns {
    /// The columns of an order type and its timing.
    pub(super) fn of(order_type: OrderType, timing: Timing) -> Self {
        Self {
            order_type: order_type.name().to_owned(),
            limit_price: order_type.limit_price(),
            stop_price: order_type.trigger_price(),
            trail_amount: order_type.trail_amount(),
            trail_percent: order_type.trail_percent(),
            limit_offset: order_type.limit_offset(),
            tif: timing.tif.as_str().to_owned(),
            outside_rth: timing.outside_rth,
        }
    }

    /// The eight columns starting at `first`.
    pub(super) fn read(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            order_type: row.get(first)?,
            limit_price: row.get(first + 1)?,
            stop_price: row.get(first + 2)?,
            trail_amount: row.get(first + 3)?,
            trail_percent: row.get(first + 4)?,
            limit_offset: row.get(first + 5)?,
            tif: row.get(first + 6)?,
            outside_rth: row.get(first + 7)?,
        })
    }

    /// The values to bind, in column order.
    pub(super) fn values(&self) -> [&dyn ToSql; 8] {
        [
            &self.order_type,
            &self.limit_price,
            &self.stop_price,
            &self.trail_amount,
            &self.trail_percent,
            &self.limit_offset,
            &self.tif,
            &self.outside_rth,
        ]
    }

    /// The order type and timing these columns hold, if they hold one this build writes.
    pub(super) fn decode(&self) -> Option<(OrderType, Timing)> {
        let trail = match (self.trail_amount, self.trail_percent) {
            (Some(amount), None) => Some(Trail::Amount(amount)),
            (None, Some(percent)) => Some(Trail::Percent(percent)),
            (None, None) => None,
            (Some(_), Some(_)) => return None,
        };
        let order_type = match (
            self.order_type.as_str(),
            self.limit_price,
            self.stop_price,
            trail,
        ) {
            ("market", None, None, None) => OrderType::Market,
            ("limit", Some(limit), None, None) => OrderType::Limit(limit),
            ("stop", None, Some(trigger), None) => OrderType::Stop(trigger),
            ("stop-limit", Some(limit), Some(trigger), None) => {
                OrderType::StopLimit { trigger, limit }
            }
            ("trailing-stop", None, None, Some(trail)) => OrderType::TrailingStop {
                trail,
                limit_offset: self.limit_offset,
            },
            ("market-on-close", None, None, None) => OrderType::MarketOnClose,
            ("limit-on-close", Some(limit), None, None) => OrderType::LimitOnClose(limit),
            _ => return None,
        };
        if self.limit_offset.is_some() && !matches!(order_type, OrderType::TrailingStop { .. }) {
            return None;
        }
        let timing = Timing {
            tif: TimeInForce::parse(&self.tif)?,
            outside_rth: self.outside_rth,
        };
        Some((order_type, timing))
    }
}

impl std::fmt::Display for TermColumns {
    /// The raw columns, for a corruption report.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} limit={:?} stop={:?} trail={:?}/{:?}% offset={:?} tif={} outside_rth={}",
            self.order_type,
            self.limit_price,
            self.stop_price,
            self.trail_amount,
            self.trail_percent,
            self.limit_offset,
            self.tif,
            self.outside_rth
        )
    }
}
