//! Draining the durable queue to IB: stale market orders expired, nothing sent while halted,
//! disconnected or cut off from IB (1100), then as many orders as the pacer allows, committed
//! `sending` (with the turn's other writes, see `group.rs`) before their wire writes; a failed
//! write settled by what it may have sent.

use std::sync::Arc;
use std::time::Instant;

use sandtrade_broker::wire;
use sandtrade_core::clock::DurationText;
use sandtrade_orders::{IbStatus, OutgoingOrder};
use sandtrade_risk::TradingState;

use super::OrderFlow;
use super::{book, group};
use crate::connection::Connection;
use crate::events::TradingEvent;

impl OrderFlow {
    /// Takes as many queued orders as the pacer allows and writes them to IB, oldest first.
    /// Nothing is sent before the connection is reconciled, while IB ↔ TWS connectivity is
    /// down (1100), while trading is halted, or while disconnected: orders wait in the durable
    /// queue (market orders at most their maximum age). Returns why the connection must be
    /// given up, if a write showed it is gone.
    pub(crate) async fn send_queued(&mut self, connection: &mut Connection) -> Option<String> {
        if !connection.is_up() {
            return None;
        }
        self.expire_stale();
        if let TradingState::Halted { reason } = self.switch.state() {
            self.hold(format!("trading is halted: {reason}"));
            return None;
        }
        if !connection.can_send() {
            self.hold("IB connectivity lost (1100)".into());
            return None;
        }
        self.held_reported = 0;
        let (client, client_id) = match connection.client() {
            Some((client, id)) => (Arc::clone(client), id),
            None => return None,
        };
        let now = Instant::now();
        let taken = {
            let mut book = book::lock(&self.book);
            if !book.queued {
                return None;
            }
            let queued = book.store.queued_len();
            if queued == 0 {
                book.queued = false;
                return None;
            }
            let allowed = usize::try_from(connection.pacer().available(now)).unwrap_or(usize::MAX);
            if allowed == 0 {
                self.pacer_wake = Some(connection.pacer().next_free(now));
                return None;
            }
            let taken = match book.store.take_next(client_id, allowed.min(queued)) {
                Ok(taken) => {
                    book.queued = book.store.queued_len() > 0;
                    taken
                }
                Err(e) => {
                    tracing::error!("cannot take orders from the queue: {e}");
                    return None;
                }
            };
            // The turn's one commit: the bar's signals and their taking, before any write.
            if !group::commit(&mut book, &mut self.lost) {
                return None;
            }
            taken
        };
        let account = connection.ib().account.clone();
        for (i, order) in taken.iter().enumerate() {
            connection.pacer().record(now);
            let contract = wire::contract(&order.instrument);
            let ib_order = wire::order(order, &account);
            match client
                .submit_order(order.ib.order_id, &contract, &ib_order)
                .await
            {
                Ok(()) => self.events.emit(TradingEvent::OrderSent {
                    id: order.signal_id.get(),
                    ib_order_id: order.ib.order_id,
                }),
                Err(e) => {
                    self.send_failed(&taken[i..], &e);
                    return is_connection_error(&e)
                        .then(|| format!("sending an order failed: {e}"));
                }
            }
        }
        let queued = book::lock(&self.book).queued;
        let now = Instant::now();
        if queued && connection.pacer().available(now) == 0 {
            self.pacer_wake = Some(connection.pacer().next_free(now));
        }
        None
    }

    /// Orders wait in the queue for `reason`: said once per change of the queue's length.
    fn hold(&mut self, reason: String) {
        let queued = book::lock(&self.book).store.queued_len();
        if queued > 0 && self.held_reported != queued {
            self.held_reported = queued;
            tracing::warn!(queued, "orders held in the queue: {reason}");
            self.events
                .emit(TradingEvent::OrdersHeld { queued, reason });
        }
    }

    /// Cancels the market orders that waited in the queue longer than their maximum age
    /// (housekeeping, and before anything is taken from the queue).
    pub(crate) fn expire_stale(&mut self) {
        let mut book = book::lock(&self.book);
        if book.store.queued_len() == 0 {
            return;
        }
        let max_age = self.market_order_max_age;
        let max_age_ms = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        let cutoff_ms = sandtrade_core::clock::unix_ms().saturating_sub(max_age_ms);
        let why = format!(
            "a market order queued longer than {} ([queue] market_order_max_age_ms) is not sent",
            DurationText(max_age)
        );
        let result = book.store.expire_stale(cutoff_ms, &why);
        book.queued = book.store.queued_len() > 0;
        // Said to listeners below: stored first.
        if matches!(&result, Ok(expired) if !expired.is_empty())
            && !group::commit(&mut book, &mut self.lost)
        {
            return;
        }
        drop(book);
        match result {
            Ok(expired) => {
                for (id, change) in expired {
                    tracing::warn!(order = %id, "{why}");
                    self.state_changed(id, change);
                }
            }
            Err(e) => tracing::error!("stale market orders not expired: {e}"),
        }
    }

    /// The send of `failed[0]` failed with `error`; the rest were never tried.
    fn send_failed(&mut self, failed: &[OutgoingOrder], error: &ibapi::Error) {
        let mut book = book::lock(&self.book);
        for (i, order) in failed.iter().enumerate() {
            let id = order.signal_id;
            let result = if i == 0 && matches!(error, ibapi::Error::Io(_)) {
                // The socket write itself failed: some bytes may have left. Never resent.
                book.store
                    .mark_unknown(id, &format!("the write to IB failed: {error}"))
                    .map(drop)
            } else if i == 0 && !is_connection_error(error) {
                // ibapi refused the order before writing it (e.g. an invalid field): it can
                // never be sent as it is.
                tracing::error!(order = %id, "ibapi refused the order: {error}");
                book.store
                    .apply_status(id, IbStatus::Inactive, None)
                    .map(drop)
            } else {
                book.store
                    .return_unsent(id, &format!("not written: {error}"))
                    .map(drop)
            };
            if let Err(e) = result {
                tracing::error!(order = %id, "cannot record the failed send: {e}");
            }
        }
        book.queued = book.store.queued_len() > 0;
    }
}

/// Whether `error` means the connection is gone (so nothing was written, and the session must
/// be made again).
pub(super) fn is_connection_error(error: &ibapi::Error) -> bool {
    error.is_connection_lost()
        || matches!(
            error,
            ibapi::Error::Io(_)
                | ibapi::Error::ConnectionFailed
                | ibapi::Error::ConnectionReset
                | ibapi::Error::Shutdown
        )
}
