//! Accepting a signal: the signal and its order are committed before the id is handed out.
//!
//! This is the hot path: one transaction of two cached INSERTs (three when the order is taken
//! for sending at once), one commit, then memory. Nothing here reads the file.

use sandtrade_core::Instrument;

use super::OrderStoreError;
use super::database::Database;
use super::ids::SignalId;
use super::ledger::Ledger;
use super::order_ids::{IdRun, OrderIds};
use super::record::{OrderRecord, OutgoingOrder, SignalRecord, now_ms};
use super::state::OrderState;
use super::working::WorkingSet;

/// Stores an accepted signal and its order, `queued`.
pub(super) fn accept(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    ids: &OrderIds,
    record: &SignalRecord<'_>,
    instrument: &Instrument,
) -> Result<SignalId, OrderStoreError> {
    let (orders, _) = insert(
        database,
        ids,
        std::slice::from_ref(record),
        instrument,
        None,
    )?;
    let signal = orders[0].signal_id;
    file_all(working, ledger, orders);
    Ok(signal)
}

/// Stores an accepted signal and its order, already taken for sending on `client_id`: `sending`
/// with the next IB order id, in the same transaction.
pub(super) fn accept_and_take(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    ids: &mut OrderIds,
    record: &SignalRecord<'_>,
    instrument: &Instrument,
    client_id: i32,
) -> Result<OutgoingOrder, OrderStoreError> {
    let (mut orders, run) = insert(
        database,
        ids,
        std::slice::from_ref(record),
        instrument,
        Some(client_id),
    )?;
    ids.finish(run.expect("an order taken for a clientId used one of its ids"));
    let order = orders.pop().expect("one order");
    let outgoing = order.outgoing();
    working.file(order, ledger);
    Ok(outgoing)
}

/// Stores an accepted bracket: its entry (`records[0]`) and its exits, each with its signal
/// and order, `queued`, in one transaction. Returns their signal ids, in `records`' order.
pub(super) fn accept_bracket(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    ids: &OrderIds,
    records: &[SignalRecord<'_>],
    instrument: &Instrument,
) -> Result<Vec<SignalId>, OrderStoreError> {
    let (orders, _) = insert(database, ids, records, instrument, None)?;
    let signals = orders.iter().map(|order| order.signal_id).collect();
    file_all(working, ledger, orders);
    Ok(signals)
}

/// Files committed orders, the entry of a bracket before its exits.
fn file_all(working: &mut WorkingSet, ledger: &mut Ledger, orders: Vec<OrderRecord>) {
    for order in orders {
        working.file(order, ledger);
    }
}

/// Commits the signals and their orders (`records[1..]`, if any, are exits of `records[0]`),
/// taken for `take_for`'s clientId if given. Returns the orders and the IB order id run they
/// used; memory is the caller's to update, now that the commit succeeded.
fn insert(
    database: &Database,
    ids: &OrderIds,
    records: &[SignalRecord<'_>],
    instrument: &Instrument,
    take_for: Option<i32>,
) -> Result<(Vec<OrderRecord>, Option<IdRun>), OrderStoreError> {
    if let Some(record) = records.iter().find(|record| record.quantity == 0) {
        return Err(OrderStoreError::InvalidOrder(format!(
            "{} {} has quantity 0",
            record.action, instrument.symbol
        )));
    }
    let mut run = take_for
        .map(|client_id| ids.reserve(client_id))
        .transpose()?;
    let now = now_ms();

    let tx = database.begin()?;
    let mut orders = Vec::with_capacity(records.len());
    for record in records {
        let ib = run.as_mut().map(|run| run.take()).transpose()?;
        let signal_id = tx.insert_accepted_signal(record)?;
        let order = OrderRecord {
            signal_id,
            client_order_id: ids.client_order_id(signal_id),
            strategy: record.strategy.to_owned(),
            wasm_hash: record.wasm_hash.to_owned(),
            instrument: instrument.clone(),
            action: record.action,
            quantity: record.quantity,
            order_type: record.order_type,
            timing: record.timing,
            state: if ib.is_some() {
                OrderState::Sending
            } else {
                OrderState::Queued
            },
            ib,
            perm_id: None,
            ib_status: None,
            filled_qty: 0,
            filled_notional: 0.0,
            avg_price: None,
            commission: 0.0,
            created_ms: now,
            sent_ms: ib.map(|_| now),
            updated_ms: now,
            note: None,
            cancel_requested_ms: None,
            modify_requested_ms: None,
            modify_prior: None,
            exit_of: orders.first().map(|entry: &OrderRecord| entry.signal_id),
        };
        tx.insert_order(&order)?;
        orders.push(order);
    }
    if let Some(run) = &run {
        tx.raise_next_order_id(run.client_id(), run.next())?;
    }
    tx.commit()?;
    Ok((orders, run))
}
