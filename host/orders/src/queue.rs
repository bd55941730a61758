//! What the broker does with the queue: take orders to send (durably `sending` *before* the
//! wire write), report IB's statuses and order-ending notices, give back an order that never
//! reached the wire, and mark or release an order whose fate is unknown.

use sandtrade_core::OrderType;

use super::OrderStoreError;
use super::database::Database;
use super::ids::SignalId;
use super::ledger::Ledger;
use super::lookup;
use super::order_ids::OrderIds;
use super::record::{OrderRecord, OutgoingOrder, PriorTerms, StateChange, now_ms};
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
    let mut queued = working.queued().peekable();
    if max == 0 || queued.peek().is_none() {
        return Ok(Vec::new());
    }
    let mut run = ids.reserve(client_id)?;
    let now = now_ms();
    let mut taken: Vec<OrderRecord> = Vec::with_capacity(max.min(working.queued_len()));
    for order in queued {
        // A bracket goes whole: its exits follow their entry in the queue.
        let with_entry = order
            .exit_of
            .is_some_and(|entry| taken.iter().any(|t| t.signal_id == entry));
        if taken.len() >= max && !with_entry {
            break;
        }
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
    let outgoing = wire_brackets(&taken, working);
    for order in taken {
        working.file(order, ledger);
    }
    Ok(outgoing)
}

/// The taken orders as they go to IB: an exit names its entry's `orderId` as its parent, and
/// every order of a bracket but its last waits for that one to transmit them all.
fn wire_brackets(taken: &[OrderRecord], working: &WorkingSet) -> Vec<OutgoingOrder> {
    let mut outgoing: Vec<OutgoingOrder> = taken.iter().map(OrderRecord::outgoing).collect();
    for (i, order) in taken.iter().enumerate() {
        let Some(entry) = order.exit_of else {
            continue;
        };
        // The entry taken with it; else one sent earlier and still working (an exit sent
        // again on its own, after an operator released it).
        let parent = taken
            .iter()
            .chain(working.get(entry))
            .find(|o| o.signal_id == entry)
            .and_then(|o| o.ib)
            .filter(|ib| ib.client_id == order.ib.map_or(0, |ib| ib.client_id));
        outgoing[i].parent = parent.map(|ib| ib.order_id);
        let held_back = outgoing[..i]
            .iter_mut()
            .zip(taken)
            .filter(|(_, o)| o.signal_id == entry || o.exit_of == Some(entry));
        for (earlier, _) in held_back {
            earlier.transmit = false;
        }
    }
    outgoing
}

/// Changes a working order's quantity and terms (already validated). A queued order is simply
/// sent with them; for one that may be at IB the change is also recorded as requested, to be
/// sent (again) until IB acknowledges it.
pub(super) fn modify(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    quantity: u32,
    order_type: OrderType,
) -> Result<StateChange, OrderStoreError> {
    change_order(database, working, ledger, signal, None, |order, state| {
        order.note = Some(bounded_note(format!(
            "modified: {} {} -> {quantity} {}",
            order.quantity,
            order.order_type.name(),
            order_type.name()
        )));
        if state != OrderState::Queued {
            order.modify_requested_ms = Some(now_ms());
            order.modify_prior.get_or_insert(PriorTerms {
                quantity: order.quantity,
                order_type: order.order_type,
            });
        }
        order.quantity = quantity;
        order.order_type = order_type;
    })
}

/// IB refused the pending change of `signal` (the order itself still works at IB on its
/// earlier terms): those come back, and nothing more is sent.
fn change_refused(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    why: &str,
) -> Result<StateChange, OrderStoreError> {
    change_order(database, working, ledger, signal, None, |order, _| {
        if let Some(prior) = order.modify_prior.take() {
            order.quantity = prior.quantity;
            order.order_type = prior.order_type;
        }
        order.modify_requested_ms = None;
        order.note = Some(bounded_note(format!("IB refused the change: {why}")));
    })
}

/// IB reported the terms of the last modify: nothing more to send.
pub(super) fn modify_acknowledged(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
) -> Result<StateChange, OrderStoreError> {
    change_order(database, working, ledger, signal, None, |order, _| {
        order.modify_requested_ms = None;
        order.modify_prior = None;
    })
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
            order.note = Some(bounded_note(format!("returned unsent: {why}")));
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
            order.note = Some(bounded_note(format!("unknown: {why}")));
        },
    )
}

/// Records that `signal` is to be cancelled at IB (the first request's time is kept).
pub(super) fn request_cancel(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
) -> Result<StateChange, OrderStoreError> {
    let change = change_order(database, working, ledger, signal, None, |order, _| {
        order.cancel_requested_ms.get_or_insert_with(now_ms);
    })?;
    // The unsent exits of a bracket go with their entry (once at IB, IB cancels them).
    let unsent: Vec<SignalId> = working
        .exits_of(signal)
        .filter(|exit| exit.state == OrderState::Queued)
        .map(|exit| exit.signal_id)
        .collect();
    for exit in unsent {
        change_order(database, working, ledger, exit, None, |order, _| {
            order.cancel_requested_ms.get_or_insert_with(now_ms);
        })?;
    }
    Ok(change)
}

/// Requeues an `unknown` order on an operator's word that it never reached IB.
pub(super) fn release_unknown(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    operator_note: &str,
) -> Result<StateChange, OrderStoreError> {
    let release = |order: &mut OrderRecord, _| {
        order.ib = None;
        order.sent_ms = None;
        order.note = Some(bounded_note(format!(
            "released by operator: {operator_note}"
        )));
    };
    let change = change_order(
        database,
        working,
        ledger,
        signal,
        Some(OrderEvent::Release),
        release,
    )?;
    // A bracket is sent whole: its exits that are as unknown as their entry go with it.
    let unknown: Vec<SignalId> = working
        .exits_of(signal)
        .filter(|exit| exit.state == OrderState::Unknown)
        .map(|exit| exit.signal_id)
        .collect();
    for exit in unknown {
        change_order(
            database,
            working,
            ledger,
            exit,
            Some(OrderEvent::Release),
            release,
        )?;
    }
    Ok(change)
}

/// How an order-scoped error notice from IB ends an order (see `sandtrade_broker::codes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeEnd {
    /// IB refused the order (201, 110, 200, 321, ...).
    Rejected,
    /// IB cancelled the order (202).
    Cancelled,
}

/// The longest note kept on an order: IB's texts and operators' reasons are cut to it, on a
/// character boundary.
pub const NOTE_MAX_BYTES: usize = 512;

/// `text` cut to [`NOTE_MAX_BYTES`] on a character boundary.
pub(super) fn bounded_note(text: String) -> String {
    match sandtrade_core::text::clip(&text, NOTE_MAX_BYTES) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(cut) => cut,
    }
}

/// Ends an order that IB answered with an order-ending error notice alone (no status follows
/// some of them): rejected or cancelled, IB's code and text kept in its note. A notice about
/// an order that already ended changes nothing.
pub(super) fn end_by_notice(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    end: NoticeEnd,
    code: i32,
    text: &str,
) -> Result<NoticeOutcome, OrderStoreError> {
    // A refusal about an order IB works with a change pending refuses the change: the order
    // itself still works at IB, on its earlier terms.
    let changing = working.get(signal).is_some_and(|order| {
        order.modify_requested_ms.is_some()
            && matches!(
                order.state,
                OrderState::Submitted | OrderState::PartiallyFilled
            )
    });
    if end == NoticeEnd::Rejected && changing {
        let why = format!("{code} {text}");
        change_refused(database, working, ledger, signal, &why)?;
        return Ok(NoticeOutcome::ChangeRefused);
    }
    let event = match end {
        NoticeEnd::Rejected => OrderEvent::Rejected,
        NoticeEnd::Cancelled => OrderEvent::Cancelled,
    };
    change_order(
        database,
        working,
        ledger,
        signal,
        Some(event),
        |order, from| {
            if !from.is_terminal() {
                order.note = Some(bounded_note(format!("IB {code}: {text}")));
            }
        },
    )
    .map(NoticeOutcome::Ended)
}

/// What an order-ending notice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// The order ended (or had already: the change says).
    Ended(StateChange),
    /// It refused the order's pending change, not the order: the earlier terms are back.
    ChangeRefused,
}

/// Cancels every queued market order accepted before `cutoff_ms` (ms since the epoch): it
/// waited through a disconnect or a halt, and the market it was meant for has moved on. Orders
/// with a price of their own (limits, stops, trailing stops, on-close orders) keep waiting:
/// their price or their auction still protects the strategy. `why` goes into each note.
/// Returns the orders cancelled, oldest first.
pub(super) fn expire_stale(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    cutoff_ms: i64,
    why: &str,
) -> Result<Vec<(SignalId, StateChange)>, OrderStoreError> {
    let stale: Vec<SignalId> = working
        .queued()
        .filter(|o| o.order_type == OrderType::Market && o.created_ms < cutoff_ms)
        .map(|o| o.signal_id)
        .collect();
    let mut expired = Vec::with_capacity(stale.len());
    for signal in stale {
        let change = change_order(
            database,
            working,
            ledger,
            signal,
            Some(OrderEvent::Cancelled),
            |order, _| order.note = Some(bounded_note(format!("expired unsent: {why}"))),
        )?;
        expired.push((signal, change));
    }
    Ok(expired)
}

/// What an operator decided about an `unknown` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// It is not working at IB (the operator checked TWS or IB's records): it ends
    /// `cancelled` and its pending shares are freed. An execution IB reports for it later is
    /// still recorded (a fill always counts).
    Cancelled,
    /// It never reached IB: it is queued again and will be sent with a new IB order id. If the
    /// operator is wrong, IB gets it twice.
    Requeued,
}

/// Settles an `unknown` order as an operator decided, keeping the operator's `reason` in its
/// note.
pub(super) fn settle_unknown(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    signal: SignalId,
    settlement: Settlement,
    reason: &str,
) -> Result<StateChange, OrderStoreError> {
    let order =
        lookup::order(database, working, signal)?.ok_or(OrderStoreError::UnknownOrder(signal))?;
    if order.state != OrderState::Unknown {
        return Err(OrderStoreError::NotUnknown {
            signal,
            state: order.state,
        });
    }
    match settlement {
        Settlement::Requeued => release_unknown(database, working, ledger, signal, reason),
        Settlement::Cancelled => change_order(
            database,
            working,
            ledger,
            signal,
            Some(OrderEvent::Cancelled),
            |order, _| {
                order.note = Some(bounded_note(format!(
                    "settled cancelled by operator: {reason}"
                )));
            },
        ),
    }
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
    let ended = after.state.is_terminal().then_some(after.signal_id);
    working.file(after, ledger);
    if let Some(entry) = ended {
        cancel_unsent_exits(database, working, ledger, entry)?;
    }
    Ok(change)
}

/// An entry that ended before it was sent takes its exits with it: they were to go to IB
/// with it, and IB would refuse a child whose parent it never had.
fn cancel_unsent_exits(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    entry: SignalId,
) -> Result<(), OrderStoreError> {
    let unsent: Vec<SignalId> = working
        .exits_of(entry)
        .filter(|exit| exit.state == OrderState::Queued)
        .map(|exit| exit.signal_id)
        .collect();
    for exit in unsent {
        change_order(
            database,
            working,
            ledger,
            exit,
            Some(OrderEvent::Cancelled),
            |order, _| {
                order.note = Some(bounded_note(format!(
                    "cancelled unsent: its bracket's entry {entry} ended before it was sent"
                )));
            },
        )?;
    }
    Ok(())
}
