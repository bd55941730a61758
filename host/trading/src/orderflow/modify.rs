//! Changing a working order's quantity or prices, for a strategy (its desk) and an operator
//! (the API) alike: validated as a new order in its place would be, written into the order's
//! row before anything is sent, then sent as a `placeOrder` of the same IB order id — again
//! after every reconciliation until IB reports the new terms.

use std::sync::Arc;

use sandtrade_broker::wire;
use sandtrade_core::{OrderChange, clock};
use sandtrade_orders::{OrderRecord, OrderState, OutgoingOrder};
use sandtrade_risk::{StrategyGate, Validator, WorkingTerms};
use sandtrade_runtime::{Modified, ModifyRefusal};

use super::OrderFlow;
use super::book::{self, LiveBook};
use crate::connection::Connection;

/// Validates `change` of `order` (a strategy's own, or any for an operator) under `gate` and
/// records it: a queued order is simply sent with the new terms; one that may be at IB gets
/// the change marked as requested and the loop told to send it.
///
/// # Errors
///
/// Why nothing changed: the order ended, IB has not acknowledged it or its last change or
/// cancel yet (`Pending`), the new terms break a rule, or the write failed.
pub(crate) fn apply(
    book: &mut LiveBook,
    validator: &Validator,
    gate: &mut StrategyGate,
    order: &OrderRecord,
    change: &OrderChange,
) -> Result<Modified, ModifyRefusal> {
    if order.state.is_terminal() {
        return Err(ModifyRefusal::AlreadyEnded);
    }
    let pending = order.cancel_requested_ms.is_some()
        || order.modify_requested_ms.is_some()
        || matches!(order.state, OrderState::Sending | OrderState::Unknown);
    if pending {
        return Err(ModifyRefusal::Pending);
    }
    let filled = u32::try_from(order.filled_qty.max(0)).unwrap_or(u32::MAX);
    let working = WorkingTerms {
        instrument: &order.instrument,
        action: order.action,
        quantity: order.quantity,
        filled,
        order_type: order.order_type,
        timing: order.timing,
        bracket_exit: order.exit_of.is_some(),
    };
    let now = clock::unix_ms();
    let validated = validator
        .check_change(
            gate,
            &working,
            change,
            &book.for_strategy(&order.strategy),
            now,
        )
        .map_err(ModifyRefusal::Refused)?;
    let order_type = book.on_tick(&order.instrument, validated.side, validated.order_type);
    let quantity = filled + validated.quantity;
    if let Err(e) = book.store.modify(order.signal_id, quantity, order_type) {
        tracing::error!(order = %order.signal_id, "modify not recorded: {e}");
        return Err(ModifyRefusal::Unavailable);
    }
    tracing::info!(
        order = %order.signal_id,
        strategy = order.strategy,
        quantity,
        %order_type,
        "order modified"
    );
    if order.state == OrderState::Queued {
        return Ok(Modified::BeforeSending);
    }
    book.modifies_due = true;
    Ok(Modified::Requested)
}

impl OrderFlow {
    /// Sends the modifies recorded since the last call, once per connection each. Those of
    /// orders not working at IB yet wait for the next call (after the next order event).
    pub(crate) async fn send_due_modifies(&mut self, connection: &mut Connection) {
        let due = {
            let mut book = book::lock(&self.book);
            if !book.modifies_due {
                return;
            }
            book.modifies_due = false;
            let sent = &book.modifies_sent;
            book.store
                .modifies_to_send()
                .into_iter()
                .filter(|order| !sent.contains(&order.signal_id))
                .collect::<Vec<_>>()
        };
        self.send_modifies(connection, due).await;
    }

    /// Sends every modify IB has not acknowledged: called once a connection is reconciled.
    pub(crate) async fn resend_modifies(&mut self, connection: &mut Connection) {
        let due = {
            let mut book = book::lock(&self.book);
            book.modifies_sent.clear();
            book.modifies_due = false;
            book.store.modifies_to_send()
        };
        if !due.is_empty() {
            tracing::info!(count = due.len(), "sending the modifies recorded before");
        }
        self.send_modifies(connection, due).await;
    }

    async fn send_modifies(&mut self, connection: &mut Connection, due: Vec<OutgoingOrder>) {
        let Some((client, client_id)) = connection.client() else {
            // Sent after the next reconciliation.
            return;
        };
        let client = Arc::clone(client);
        let account = connection.ib().account.clone();
        // The changes were made in this turn's group: stored before they are sent.
        if !due.is_empty() && !self.commit_group() {
            return;
        }
        for order in due {
            if !super::placed_by(client_id, order.signal_id, order.ib, "modify") {
                continue;
            }
            connection.pacer().acquire().await;
            let contract = wire::contract(&order.instrument);
            let ib_order = wire::order(&order, &account);
            match client
                .submit_order(order.ib.order_id, &contract, &ib_order)
                .await
            {
                Ok(()) => {
                    tracing::info!(order = %order.signal_id, "modify sent");
                    book::lock(&self.book).modifies_sent.insert(order.signal_id);
                }
                Err(e) => tracing::warn!(order = %order.signal_id, "modify not sent: {e}"),
            }
        }
    }

    /// IB's `openOrder` of our `order`: if it carries the terms of a modify we asked for, IB
    /// has applied it.
    pub(crate) fn acknowledge_modify(
        &mut self,
        order: &OrderRecord,
        theirs: &ibapi::orders::Order,
    ) {
        if order.modify_requested_ms.is_none() {
            return;
        }
        let Some(outgoing) = order.as_outgoing() else {
            return;
        };
        let ours = wire::order(&outgoing, &theirs.account);
        let same = ours.total_quantity == theirs.total_quantity
            && ours.limit_price == theirs.limit_price
            && ours.aux_price == theirs.aux_price
            && ours.trailing_percent == theirs.trailing_percent;
        if !same {
            return;
        }
        let mut book = book::lock(&self.book);
        // A later change of the same order is a new one to send.
        book.modifies_sent.remove(&order.signal_id);
        let acknowledged = book.store.modify_acknowledged(order.signal_id);
        if let Err(e) = acknowledged {
            tracing::error!(order = %order.signal_id, "modify acknowledgement not recorded: {e}");
        }
    }
}
