//! What the broker does with the queue: take orders to send (durably `sending` *before* the
//! wire write), report IB's statuses, give back an order that never reached the wire, and
//! mark or release an order whose fate is unknown.

use super::OrderStoreError;
use super::database::Database;
use super::ids::SignalId;
use super::ledger::Ledger;
use super::lookup;
use super::order_ids::OrderIds;
use super::record::{OrderRecord, OutgoingOrder, StateChange, now_ms};
use super::state::{IbStatus, OrderEvent, OrderState, transition};
use super::working::WorkingSet;

/// Takes up to `max` queued orders, oldest first, for sending on `client_id`: each gets the
/// next IB order id, and all are committed `sending` (with the clientId's new next id) in one
/// transaction before memory follows.
pub(super) fn take_next(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    ids: &mut OrderIds,
    client_id: i32,
    max: usize,
) -> Result<Vec<OutgoingOrder>, OrderStoreError> {
    let mut queued = working.queued().take(max).peekable();
    if queued.peek().is_none() {
        return Ok(Vec::new());
    }
    let mut run = ids.reserve(client_id)?;
    let now = now_ms();
    let mut taken: Vec<OrderRecord> = Vec::with_capacity(max.min(working.queued_len()));
    for order in queued {
        let mut order = order.clone();
        order.state = transition(order.state, OrderEvent::Take).map_err(|source| {
            OrderStoreError::Transition {
                signal: order.signal_id,
                error: source,
            }
        })?;
        order.ib = Some(run.take()?);
        order.sent_ms = Some(now);
        order.updated_ms = now;
        taken.push(order);
    }

    let tx = database.begin()?;
    for order in &taken {
        tx.update_order(order)?;
    }
    tx.raise_next_order_id(client_id, run.next())?;
    tx.commit()?;

    ids.finish(run);
    let outgoing: Vec<OutgoingOrder> = taken.iter().map(OrderRecord::outgoing).collect();
    for order in taken {
        working.file(order, ledger);
    }
    Ok(outgoing)
}

/// Requeues a `sending` order that provably never reached the wire; its IB order id stays
/// burned.
pub(super) fn return_unsent(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    why: &str,
) -> Result<StateChange, OrderStoreError> {
    change_order(
        database,
        working,
        ledger,
        signal,
        Some(OrderEvent::NotSent),
        |order, _| {
            order.ib = None;
            order.sent_ms = None;
            order.note = Some(format!("returned unsent: {why}"));
        },
    )
}

/// Marks an order that may be at IB as `unknown`.
pub(super) fn mark_unknown(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    why: &str,
) -> Result<StateChange, OrderStoreError> {
    change_order(
        database,
        working,
        ledger,
        signal,
        Some(OrderEvent::Lost),
        |order, _| {
            order.note = Some(format!("unknown: {why}"));
        },
    )
}

/// Requeues an `unknown` order on an operator's word that it never reached IB.
pub(super) fn release_unknown(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    operator_note: &str,
) -> Result<StateChange, OrderStoreError> {
    change_order(
        database,
        working,
        ledger,
        signal,
        Some(OrderEvent::Release),
        |order, _| {
            order.ib = None;
            order.sent_ms = None;
            order.note = Some(format!("released by operator: {operator_note}"));
        },
    )
}

/// Applies a status IB reported, recording `permId` the first time it is known.
pub(super) fn apply_status(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    status: IbStatus,
    perm_id: Option<i64>,
) -> Result<StateChange, OrderStoreError> {
    change_order(
        database,
        working,
        ledger,
        signal,
        status.event(),
        |order, from| {
            // After the end, a status is stale: keep the one that went with the end.
            if !from.is_terminal() {
                order.ib_status = Some(status);
            }
            if order.perm_id.is_none() {
                order.perm_id = perm_id.filter(|id| *id != 0);
            }
        },
    )
}

/// Moves one order by `event` (or keeps its state, for `None`), lets `edit` update its other
/// columns (it is given the state before), and writes it if anything changed. The single-row
/// UPDATE is its own transaction.
fn change_order(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    event: Option<OrderEvent>,
    edit: impl FnOnce(&mut OrderRecord, OrderState),
) -> Result<StateChange, OrderStoreError> {
    let before =
        lookup::order(database, working, signal)?.ok_or(OrderStoreError::UnknownOrder(signal))?;
    let to = match event {
        Some(event) => transition(before.state, event)
            .map_err(|error| OrderStoreError::Transition { signal, error })?,
        None => before.state,
    };
    let change = StateChange {
        from: before.state,
        to,
    };
    let mut after = before.clone();
    after.state = to;
    edit(&mut after, before.state);
    if after == before {
        return Ok(change);
    }
    after.updated_ms = now_ms();
    database.update_order(&after)?;
    working.file(after, ledger);
    Ok(change)
}
