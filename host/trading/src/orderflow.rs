//! Orders to IB and IB's events back: the queue drained through the pacer to the wire, and
//! statuses, executions, commissions, notices and positions into the store, the strategies
//! and the status.

use std::sync::Arc;
use std::time::Instant;

use ibapi::accounts::PositionUpdate;
use ibapi::orders::OrderUpdate;
use ibapi::subscriptions::SubscriptionItem;

use super::book;
use super::events::TradingEvent;
use super::trader::{SessionEvent, Trader};
use sandtrade_broker::codes::{self, NoticeClass};
use sandtrade_broker::wire;
use sandtrade_orders::{
    BrokerSnapshot, ExecutionOutcome, FillApplied, IbOrderId, IbStatus, SignalId, StateChange,
};
use sandtrade_runtime::bindings;

impl Trader {
    /// Takes as many queued orders as the pacer allows and writes them to IB, oldest first.
    /// Nothing is sent before the connection is reconciled, while IB ↔ TWS connectivity is
    /// down (1100), or while disconnected: orders wait in the durable queue.
    pub(super) async fn send_queued(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        if !self.conn.ib_connectivity {
            let queued = book::lock(&self.book).store.queued_len();
            if queued > 0 && self.held_reported != queued {
                self.held_reported = queued;
                self.emit(TradingEvent::OrdersHeld {
                    queued,
                    reason: "IB connectivity lost (1100)".into(),
                });
            }
            return;
        }
        self.held_reported = 0;
        let (client, client_id) = (Arc::clone(&session.client), session.client_id);
        let now = Instant::now();
        let taken = {
            let mut book = book::lock(&self.book);
            if !book.queued {
                return;
            }
            let queued = book.store.queued_len();
            if queued == 0 {
                book.queued = false;
                return;
            }
            let allowed = usize::try_from(self.pacer.available(now)).unwrap_or(usize::MAX);
            if allowed == 0 {
                self.pacer_wake = Some(self.pacer.next_free(now));
                return;
            }
            match book.store.take_next(client_id, allowed.min(queued)) {
                Ok(taken) => {
                    book.queued = book.store.queued_len() > 0;
                    taken
                }
                Err(e) => {
                    tracing::error!("cannot take orders from the queue: {e}");
                    return;
                }
            }
        };
        let account = self.config.ib.account.as_str();
        for (i, order) in taken.iter().enumerate() {
            self.pacer.record(now);
            let contract = wire::contract(&order.instrument);
            let ib_order = wire::order(order, account);
            match client
                .submit_order(order.ib.order_id, &contract, &ib_order)
                .await
            {
                Ok(()) => self.emit(TradingEvent::OrderSent {
                    id: order.signal_id.get(),
                    ib_order_id: order.ib.order_id,
                }),
                Err(e) => {
                    self.send_failed(&taken[i..], &e);
                    if is_connection_error(&e) {
                        self.lose_connection(format!("sending an order failed: {e}"))
                            .await;
                    }
                    return;
                }
            }
        }
        let book = book::lock(&self.book);
        if book.queued && self.pacer.available(Instant::now()) == 0 {
            self.pacer_wake = Some(self.pacer.next_free(Instant::now()));
        }
    }

    /// The send of `failed[0]` failed with `error`; the rest were never tried.
    fn send_failed(&mut self, failed: &[sandtrade_orders::OutgoingOrder], error: &ibapi::Error) {
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

    /// One event of the connected session.
    pub(super) async fn on_session_event(&mut self, event: SessionEvent) {
        match event {
            SessionEvent::Order(Some(Ok(SubscriptionItem::Data(update)))) => {
                self.on_order_update(update);
                self.send_queued().await;
            }
            SessionEvent::Order(Some(Ok(SubscriptionItem::Notice(notice)))) => {
                if notice.code == ibapi::SUBSCRIPTION_LAG_CODE {
                    // Order events were lost: only a fresh reconciliation can tell what happened.
                    self.lose_connection(format!("order events lost: {}", notice.message))
                        .await;
                } else {
                    self.on_notice(&notice).await;
                }
            }
            SessionEvent::Order(Some(Err(e))) => {
                self.lose_connection(format!("order event stream failed: {e}"))
                    .await;
            }
            SessionEvent::Order(None) => {
                self.lose_connection("the connection closed".into()).await;
            }
            SessionEvent::Notice(Some(notice)) => self.on_notice(&notice).await,
            SessionEvent::Notice(None) => {
                self.lose_connection("the connection closed (notice stream ended)".into())
                    .await;
            }
            SessionEvent::Position(Some(Ok(SubscriptionItem::Data(update)))) => {
                if let PositionUpdate::Position(p) = update
                    && p.account == self.config.ib.account
                {
                    self.broker_positions
                        .insert(p.contract.symbol.to_string(), p.position);
                }
            }
            SessionEvent::Position(Some(Ok(SubscriptionItem::Notice(_)))) => {}
            SessionEvent::Position(Some(Err(e))) => {
                self.lose_connection(format!("position stream failed: {e}"))
                    .await;
            }
            SessionEvent::Position(None) => {
                self.lose_connection("the connection closed (position stream ended)".into())
                    .await;
            }
            SessionEvent::Heartbeat(result) => {
                if let Some(why) = self.heartbeat_answered(result) {
                    self.lose_connection(why).await;
                }
            }
        }
    }

    /// An order event: statuses and fills into the store, fills to their strategy.
    fn on_order_update(&mut self, update: OrderUpdate) {
        match update {
            OrderUpdate::OpenOrder(data) => {
                let Some(status) = wire::status(&data.order_state.status) else {
                    tracing::warn!(
                        status = data.order_state.status.as_str(),
                        "unknown order status"
                    );
                    return;
                };
                let found = book::lock(&self.book)
                    .store
                    .order_by_ref(&data.order.order_ref);
                match found {
                    Ok(Some(order)) => {
                        self.apply_status(order.signal_id, status, data.order.perm_id);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!("order lookup failed: {e}"),
                }
            }
            OrderUpdate::OrderStatus(s) => {
                let Some(status) = wire::status(&s.status) else {
                    tracing::warn!(status = s.status.as_str(), "unknown order status");
                    return;
                };
                let client_id = match (s.client_id, &self.session) {
                    (0, Some(session)) => session.client_id,
                    (id, _) => id,
                };
                let found = book::lock(&self.book).store.signal_for_ib_order(IbOrderId {
                    client_id,
                    order_id: s.order_id,
                });
                if let Some(id) = found {
                    self.apply_status(id, status, s.perm_id);
                }
            }
            OrderUpdate::ExecutionData(data) => {
                let exec = match wire::execution(&data.execution, sandtrade_core::clock::unix_ms())
                {
                    Ok(exec) => exec,
                    Err(why) => {
                        tracing::error!("{why}; not recorded");
                        return;
                    }
                };
                let outcome = book::lock(&self.book).store.record_execution(&exec);
                match outcome {
                    Ok(ExecutionOutcome::Recorded(fill)) => self.on_fill(fill),
                    Ok(ExecutionOutcome::Duplicate { signal_id }) => {
                        tracing::debug!(exec_id = exec.exec_id, order = %signal_id, "repeated execution report ignored");
                    }
                    Ok(ExecutionOutcome::Corrected {
                        signal_id,
                        replaced,
                        filled_qty,
                        avg_price,
                    }) => tracing::warn!(
                        order = %signal_id,
                        exec_id = exec.exec_id,
                        replaced,
                        filled_qty,
                        avg_price,
                        "IB corrected an execution"
                    ),
                    Ok(ExecutionOutcome::Superseded { signal_id, by }) => {
                        tracing::info!(order = %signal_id, exec_id = exec.exec_id, by, "late original of a corrected execution");
                    }
                    Ok(ExecutionOutcome::NotOurs) => {}
                    Err(e) => {
                        tracing::error!(exec_id = exec.exec_id, "execution not recorded: {e}")
                    }
                }
            }
            OrderUpdate::CommissionReport(report) => {
                let report = wire::commission(&report);
                if let Err(e) = book::lock(&self.book).store.record_commission(&report) {
                    tracing::error!(exec_id = report.exec_id, "commission not recorded: {e}");
                }
            }
            OrderUpdate::OrderBound(_) => {}
        }
    }

    /// Records the executions of a reconciliation snapshot (before the store reconciles
    /// the rest) and delivers each new fill to its strategy. Returns how many were new.
    pub(super) fn apply_reconciled_executions(&mut self, snapshot: &BrokerSnapshot) -> usize {
        let mut new = 0;
        for exec in &snapshot.executions {
            let outcome = book::lock(&self.book).store.record_execution(exec);
            match outcome {
                Ok(ExecutionOutcome::Recorded(fill)) => {
                    new += 1;
                    self.on_fill(fill);
                }
                Ok(_) => {}
                // The store's reconcile reports the refused ones as issues.
                Err(e) => tracing::debug!(exec_id = exec.exec_id, "left to reconcile: {e}"),
            }
        }
        new
    }

    fn apply_status(&mut self, id: SignalId, status: IbStatus, perm_id: i64) {
        let result = book::lock(&self.book)
            .store
            .apply_status(id, status, Some(perm_id));
        match result {
            Ok(change) => self.state_changed(id, change),
            Err(e) => {
                tracing::error!(order = %id, status = status.as_str(), "status not recorded: {e}")
            }
        }
    }

    pub(super) fn state_changed(&self, id: SignalId, change: StateChange) {
        if change.changed() {
            self.emit(TradingEvent::OrderState {
                id: id.get(),
                from: change.from,
                to: change.to,
            });
        }
    }

    /// A new fill: `on-fill` to its strategy (in the strategy's own spelling of the symbol).
    fn on_fill(&mut self, fill: FillApplied) {
        if fill.overfilled {
            tracing::error!(
                order = %fill.signal_id,
                filled = fill.filled_qty,
                "IB executed more than the order's quantity"
            );
        }
        self.state_changed(fill.signal_id, fill.state);
        let symbol = self
            .fleet
            .desk_mut(&fill.strategy)
            .and_then(|desk| desk.declared_as(&fill.instrument.symbol).map(str::to_owned))
            .unwrap_or_else(|| fill.instrument.symbol.clone());
        let guest_fill = bindings::Fill {
            signal_id: fill.signal_id.get(),
            symbol,
            action: match fill.action {
                sandtrade_core::Action::OpenLong => bindings::Action::OpenLong,
                sandtrade_core::Action::AddLong => bindings::Action::AddLong,
                sandtrade_core::Action::CloseLong => bindings::Action::CloseLong,
                sandtrade_core::Action::ReduceLong => bindings::Action::ReduceLong,
            },
            quantity: fill.quantity,
            price: fill.price,
            time_ms: fill.time_ms,
        };
        let now = self.mono_ms();
        let delivered = self.fleet.on_fill(&fill.strategy, &guest_fill, now);
        if !delivered {
            tracing::warn!(
                strategy = fill.strategy,
                order = %fill.signal_id,
                "fill recorded, but the strategy is not running: on-fill not delivered"
            );
        }
        self.emit(TradingEvent::Fill {
            id: fill.signal_id.get(),
            strategy: fill.strategy.clone(),
            quantity: fill.quantity,
            price: fill.price,
            delivered,
        });
    }

    /// A notice from IB.
    pub(super) async fn on_notice(&mut self, notice: &ibapi::Notice) {
        let class = codes::classify(notice.code, &notice.message);
        match class {
            NoticeClass::ConnectivityLost => {
                tracing::warn!(
                    code = notice.code,
                    "{}: orders wait until it is restored",
                    notice.message
                );
                self.conn.ib_connectivity = false;
            }
            NoticeClass::RestoredDataLost => {
                tracing::warn!(
                    code = notice.code,
                    "{}: resubscribing market data",
                    notice.message
                );
                self.conn.ib_connectivity = true;
                self.resubscribe().await;
                self.send_queued().await;
            }
            NoticeClass::RestoredDataMaintained => {
                tracing::info!(code = notice.code, "{}", notice.message);
                self.conn.ib_connectivity = true;
                self.send_queued().await;
            }
            NoticeClass::FarmBroken { farm } => {
                tracing::warn!(code = notice.code, farm, "{}", notice.message);
                self.conn.farms.insert(farm, false);
            }
            NoticeClass::FarmOk { farm } => {
                let was_broken = self.conn.farms.insert(farm.clone(), true) == Some(false);
                if was_broken && notice.code == 2104 {
                    // A market data farm came back: subscriptions may have gone silent.
                    tracing::info!(farm, "market data farm restored: resubscribing");
                    self.resubscribe().await;
                }
            }
            NoticeClass::FarmIdle { farm } => {
                self.conn.farms.entry(farm).or_insert(true);
            }
            NoticeClass::Pacing => {
                tracing::error!(code = notice.code, "IB pacing: {}", notice.message);
            }
            NoticeClass::Order => {
                tracing::warn!(
                    code = notice.code,
                    order_id = notice.request_id,
                    "order notice: {}",
                    notice.message
                );
            }
            NoticeClass::ClientIdInUse | NoticeClass::NotConnected => {
                self.lose_connection(format!("IB {}: {}", notice.code, notice.message))
                    .await;
                return;
            }
            NoticeClass::Warning | NoticeClass::Other => {
                tracing::info!(code = notice.code, "IB: {}", notice.message);
                return;
            }
        }
        self.emit(TradingEvent::Notice {
            code: notice.code,
            message: notice.message.clone(),
        });
    }
}

/// Whether `error` means the connection is gone (so nothing was written, and the session must
/// be made again).
fn is_connection_error(error: &ibapi::Error) -> bool {
    error.is_connection_lost()
        || matches!(
            error,
            ibapi::Error::Io(_)
                | ibapi::Error::ConnectionFailed
                | ibapi::Error::ConnectionReset
                | ibapi::Error::Shutdown
        )
}
