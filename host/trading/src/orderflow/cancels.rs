//! Sending cancels to IB. A cancel is recorded in the store before it is sent (an operator's
//! through the API, a strategy's through its desk), so one that does not reach IB — asked while
//! disconnected, for an order IB has not acknowledged yet, or lost with a crash — is sent once
//! it can be: after the next reconciliation, or as soon as the order is working at IB.
//!
//! A strategy's cancel only records; the trading loop sends it ([`OrderFlow::send_due_cancels`])
//! before it drains the queue, so a queued order whose cancel was asked is never sent.

use std::sync::Arc;

use sandtrade_orders::{IbStatus, OrderState};

use super::OrderFlow;
use super::book;
use crate::connection::Connection;

impl OrderFlow {
    /// Settles the cancels strategies asked for since the last call: a queued order is
    /// cancelled here; a working one is sent its cancel at IB (once per connection); one
    /// whose fate IB has not told yet (`sending`, `unknown`) waits, and is looked at again
    /// after the next order event.
    pub(crate) async fn send_due_cancels(&mut self, connection: &mut Connection) {
        let (queued, working, waiting) = {
            let mut book = book::lock(&self.book);
            if !book.cancels_due {
                return;
            }
            let mut queued = Vec::new();
            let mut working = Vec::new();
            let mut waiting = false;
            for order in book.store.working_orders() {
                if order.cancel_requested_ms.is_none() {
                    continue;
                }
                match (order.state, order.ib) {
                    (OrderState::Queued, _) => queued.push(order.signal_id),
                    (OrderState::Submitted | OrderState::PartiallyFilled, Some(ib))
                        if !book.cancels_sent.contains(&order.signal_id) =>
                    {
                        working.push((order.signal_id, ib))
                    }
                    (OrderState::Sending | OrderState::Unknown, _) => waiting = true,
                    _ => {}
                }
            }
            // Sent below if connected; else they wait for the reconciliation, which sends
            // every recorded cancel.
            book.cancels_due = waiting;
            (queued, working, waiting)
        };
        for signal in queued {
            let change =
                book::lock(&self.book)
                    .store
                    .apply_status(signal, IbStatus::ApiCancelled, None);
            match change {
                Ok(change) => {
                    tracing::info!(order = %signal, "cancelled before it was sent");
                    self.state_changed(signal, change);
                }
                Err(e) => tracing::error!(order = %signal, "cancel not recorded: {e}"),
            }
        }
        if waiting {
            tracing::debug!("a cancel waits for IB to acknowledge its order");
        }
        self.send_cancels(connection, working).await;
    }

    /// Sends again every cancel recorded but not known to have reached IB (see
    /// [`OrderStore::request_cancel`](sandtrade_orders::OrderStore::request_cancel)): called
    /// once a connection is reconciled.
    pub(crate) async fn resend_cancels(&mut self, connection: &mut Connection) {
        let pending = {
            let mut book = book::lock(&self.book);
            book.cancels_sent.clear();
            book.store.cancels_to_send()
        };
        if !pending.is_empty() {
            tracing::info!(count = pending.len(), "sending the cancels recorded before");
        }
        self.send_cancels(connection, pending).await;
        // Cancels recorded for orders still being settled are looked at again after events.
        let mut book = book::lock(&self.book);
        book.cancels_due = book.has_unsent_cancels();
    }

    async fn send_cancels(
        &mut self,
        connection: &mut Connection,
        cancels: Vec<(sandtrade_orders::SignalId, sandtrade_orders::IbOrderId)>,
    ) {
        let Some((client, client_id)) = connection.client() else {
            return;
        };
        let client = Arc::clone(client);
        // The cancels were asked for in this turn's group: stored before they are sent.
        if !cancels.is_empty() && !self.commit_group() {
            return;
        }
        for (signal, ib) in cancels {
            if !super::placed_by(client_id, signal, ib, "cancel") {
                continue;
            }
            connection.pacer().acquire().await;
            match send_cancel(&client, signal.get(), ib.order_id).await {
                Ok(()) => {
                    tracing::info!(order = %signal, "cancel sent");
                    book::lock(&self.book).cancels_sent.insert(signal);
                }
                Err(why) => tracing::warn!(order = %signal, "{why}"),
            }
        }
    }
}

/// Sends IB a cancel of order `ib_order_id` (our order `id`). The outcome arrives as order
/// status, so the subscription is dropped at once.
pub(super) async fn send_cancel(
    client: &ibapi::Client,
    id: u64,
    ib_order_id: i32,
) -> Result<(), String> {
    client
        .cancel_order(ib_order_id, "")
        .await
        .map(drop)
        .map_err(|e| format!("the cancel of order {id} was not sent: {e}"))
}
