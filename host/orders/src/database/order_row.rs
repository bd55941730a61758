//! The `orders` row and the text columns of the store's tables, to and from their records.
//!
//! Every enum is stored as the kebab-case name it has in the WIT and the API; a value this
//! build does not write is [`OrderStoreError::Corrupt`], never guessed at.

use rusqlite::Row;
use sandtrade_core::{Action, Market, OrderType};

use crate::OrderStoreError;
use crate::ids::SignalId;
use crate::record::{IbOrderId, OrderRecord};
use crate::state::IbStatus;

/// The columns [`read`] expects, in its order.
pub(super) const ORDER_COLUMNS: &str = "signal_id, client_order_id, strategy, wasm_hash, symbol, \
    market, action, quantity, order_type, limit_price, state, ib_client_id, ib_order_id, perm_id, \
    ib_status, filled_qty, filled_notional, avg_price, commission, created_ms, sent_ms, \
    updated_ms, note";

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
    order_type: String,
    limit_price: Option<f64>,
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
        order_type: row.get(8)?,
        limit_price: row.get(9)?,
        state: row.get(10)?,
        ib_client_id: row.get(11)?,
        ib_order_id: row.get(12)?,
        perm_id: row.get(13)?,
        ib_status: row.get(14)?,
        filled_qty: row.get(15)?,
        filled_notional: row.get(16)?,
        avg_price: row.get(17)?,
        commission: row.get(18)?,
        created_ms: row.get(19)?,
        sent_ms: row.get(20)?,
        updated_ms: row.get(21)?,
        note: row.get(22)?,
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
        let order_type = match (self.order_type.as_str(), self.limit_price) {
            ("market", None) => OrderType::Market,
            ("limit", Some(price)) => OrderType::Limit(price),
            _ => return Err(corrupt("order type", &self.order_type)),
        };
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

/// The `order_type` and `limit_price` columns of an order type.
pub(super) fn order_type_columns(order_type: OrderType) -> (&'static str, Option<f64>) {
    match order_type {
        OrderType::Market => ("market", None),
        OrderType::Limit(price) => ("limit", Some(price)),
    }
}
