//! Orders to IB and IB's events back: the durable queue drained through the pacer to the
//! wire, statuses, executions, commissions and positions into the store, fills to their
//! strategies, drift, and what operators do to orders (submit, cancel, release).
//!
//! ```text
//! desks, manual orders ─► book (store: queued) ─► send_queued ─► pacer ─► placeOrder ─► IB
//! IB ─ statuses, executions, commissions ─► store ─► fills ─► strategy on-fill
//! IB ─ positions ─► BrokerPositions ─► drift against the ledger (may halt)
//! ```

pub(crate) mod book;
mod cancels;
pub(crate) mod desk;
mod drift;
mod group;
pub(crate) mod modify;
pub(crate) mod operator;
mod positions;
mod refusals;
mod sending;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ibapi::orders::OrderUpdate;
use sandtrade_broker::{codes, wire};
use sandtrade_core::{Action, Rejection};
use sandtrade_orders::{
    BrokerSnapshot, ExecutionOutcome, FillApplied, IbOrderId, IbStatus, NoticeOutcome,
    OrderStoreError, Settlement, SignalId, StateChange,
};
use sandtrade_risk::{Limits, TradingSwitch, Validator};
use sandtrade_runtime::bindings;

use self::book::SharedBook;
use self::operator::Operator;
use self::positions::BrokerPositions;
use crate::config::{PositionsConfig, QueueConfig};
use crate::connection::Connection;
use crate::events::{Events, TradingEvent};
use crate::handle::{
    CancelOutcome, CommandError, ManualAccepted, ManualChange, ManualOrder, ManualRefusal,
    ModifyOutcome,
};
use crate::status::{
    LedgerLine, OrderCounts, OrderView, PositionsView, ReconcileSummary, UnknownOrder,
};
use crate::strategies::Strategies;

/// The order flow and what it owns: the book (the order store), the broker's positions,
/// what operators do to orders.
#[derive(Debug)]
pub(crate) struct OrderFlow {
    book: SharedBook,
    positions: BrokerPositions,
    operator: Operator,
    events: Events,
    /// When the pacer frees a slot for an order that waits.
    pacer_wake: Option<Instant>,
    /// The queue length last reported as held (1100, a halt), so it is reported once per
    /// change.
    held_reported: usize,
    /// The halt switch: while halted, nothing leaves the queue.
    switch: TradingSwitch,
    /// A market order queued longer than this is cancelled, not sent.
    market_order_max_age: Duration,
    last_reconcile: Option<ReconcileSummary>,
    /// Why the store lost a group of writes, if it did (see `group.rs`).
    lost: Option<String>,
}

impl OrderFlow {
    /// The order flow of `book`: manual orders under the global `limits`, drift as
    /// `positions` says, stale market orders as `queue` says.
    pub(crate) fn new(
        book: SharedBook,
        validator: Validator,
        limits: Limits,
        (positions, queue): (&PositionsConfig, &QueueConfig),
        events: Events,
    ) -> Self {
        Self {
            switch: validator.switch().clone(),
            market_order_max_age: queue.market_order_max_age,
            positions: BrokerPositions::new(positions, validator.switch().clone(), events.clone()),
            operator: Operator::new(book.clone(), validator, limits, events.clone()),
            book,
            events,
            pacer_wake: None,
            held_reported: 0,
            last_reconcile: None,
            lost: None,
        }
    }

    /// When an order that waits for the pacer may go.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.pacer_wake
    }

    /// Whether orders wait for a pacer slot that is free at `now` (and forgets the wait).
    pub(crate) fn take_pacer_due(&mut self, now: Instant) -> bool {
        let due = self.pacer_wake.is_some_and(|at| at <= now);
        if due {
            self.pacer_wake = None;
        }
        due
    }

    /// An order event of the session connected as `client_id`: statuses and fills into the
    /// store, fills to their strategy.
    pub(crate) fn on_order_update(
        &mut self,
        update: OrderUpdate,
        client_id: i32,
        strategies: &mut Strategies,
    ) {
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
                        self.acknowledge_modify(&order, &data.order);
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
                if let Some(id) = self.own_order_of_status(&s, client_id) {
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
                    Ok(ExecutionOutcome::Recorded(fill)) => self.on_fill(fill, strategies),
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
                let report = match wire::commission(&report) {
                    Ok(report) => report,
                    Err(why) => {
                        tracing::error!("{why}; not recorded");
                        return;
                    }
                };
                if let Err(e) = book::lock(&self.book).store.record_commission(&report) {
                    tracing::error!(exec_id = report.exec_id, "commission not recorded: {e}");
                }
            }
            OrderUpdate::OrderBound(_) => {}
        }
    }

    /// An error notice about request `order_id` of the session connected as `client_id`: if
    /// it names one of our working orders and IB documents the code as ending it (refusals such
    /// as 201 or 110 that no `Inactive` status may follow, or 202), the order is ended now,
    /// rejected or cancelled with IB's code and text, and its pending shares are freed — unless
    /// it refuses a change IB has not applied yet, which only brings the order's earlier terms
    /// back. Anything else changes nothing (the loop logs every notice).
    pub(crate) fn on_order_notice(&mut self, order_id: i32, client_id: i32, code: i32, text: &str) {
        let Some(end) = codes::ends_order(code) else {
            return;
        };
        let mut book = book::lock(&self.book);
        let Some(id) = book.store.signal_for_ib_order(IbOrderId {
            client_id,
            order_id,
        }) else {
            return;
        };
        let result = book.store.end_by_notice(id, end, code, text);
        if let Ok(NoticeOutcome::ChangeRefused) = result {
            // A later change of the order is a new one to send.
            book.modifies_sent.remove(&id);
        }
        drop(book);
        match result {
            Ok(NoticeOutcome::Ended(change)) => {
                if change.changed() {
                    tracing::warn!(order = %id, code, "IB ended the order: {text}");
                }
                self.state_changed(id, change);
            }
            Ok(NoticeOutcome::ChangeRefused) => {
                tracing::warn!(order = %id, code, "IB refused the change of the order: {text}");
            }
            Err(e) => tracing::error!(order = %id, code, "order notice not recorded: {e}"),
        }
    }

    /// A position update of the account `account`.
    pub(crate) fn on_position(&mut self, account: &str, update: ibapi::accounts::PositionUpdate) {
        if let ibapi::accounts::PositionUpdate::Position(p) = update
            && let Some((symbol, shares)) = wire::stock_position(&p, account)
        {
            self.positions.update(symbol, shares);
        }
    }

    /// The order an `orderStatus` is about, if it is one of ours. IB leaves the client id out
    /// (0) of statuses of the session's own orders. A status naming another client id is
    /// ours only if its permanent id is the one IB gave our order (an order sent in an earlier
    /// session under a fallback client id); otherwise it is another program's order that
    /// happens to share the client id and order id, and applying it would corrupt ours. A
    /// permanent id that contradicts the one recorded is never applied either.
    fn own_order_of_status(
        &self,
        s: &ibapi::orders::OrderStatus,
        client_id: i32,
    ) -> Option<SignalId> {
        let session_own = s.client_id == 0 || s.client_id == client_id;
        let key = IbOrderId {
            client_id: if s.client_id == 0 {
                client_id
            } else {
                s.client_id
            },
            order_id: s.order_id,
        };
        let book = book::lock(&self.book);
        let id = book.store.signal_for_ib_order(key)?;
        let recorded = book.store.order(id).ok().flatten().and_then(|o| o.perm_id);
        let ours = match (recorded, s.perm_id) {
            (Some(recorded), reported) if reported != 0 => recorded == reported,
            (_, _) => session_own,
        };
        if !ours {
            tracing::warn!(
                order = %id,
                client_id = s.client_id,
                ib_order_id = s.order_id,
                perm_id = s.perm_id,
                "a status for client {} order {} is not our order's (permanent id {recorded:?}); ignored",
                s.client_id,
                s.order_id
            );
        }
        ours.then_some(id)
    }

    /// Reconciles the store with what IB reported at connect, before anything is sent:
    /// executions first, one by one, so that a fill made while we were away reaches its
    /// strategy's on-fill like any other (`reconcile` then finds them recorded); then every
    /// order IB may know. Adopts IB's positions.
    ///
    /// # Errors
    ///
    /// The store could not record the outcome; the connection must not be used.
    pub(crate) fn reconcile(
        &mut self,
        snapshot: &BrokerSnapshot,
        broker_positions: BTreeMap<String, f64>,
        client_id: i32,
        strategies: &mut Strategies,
    ) -> Result<(), OrderStoreError> {
        let fills_found = self.apply_reconciled_executions(snapshot, strategies);
        let report = book::lock(&self.book).store.reconcile(snapshot)?;
        let issues: Vec<String> = report.issues.iter().map(ToString::to_string).collect();
        for issue in &issues {
            tracing::warn!("reconciliation: {issue}");
        }
        let new_fills = fills_found + report.new_fills;
        tracing::info!(
            client_id,
            next_order_id = report.next_order_id,
            new_fills,
            changed = report.changed.len(),
            issues = issues.len(),
            "connected and reconciled"
        );
        for (id, change) in &report.changed {
            self.events.emit(TradingEvent::OrderState {
                id: id.get(),
                from: change.from,
                to: change.to,
            });
        }
        self.last_reconcile = Some(ReconcileSummary {
            at_ms: sandtrade_core::clock::unix_ms(),
            new_fills,
            changed: report.changed.len(),
            issues,
        });
        self.events.emit(TradingEvent::Reconciled {
            new_fills,
            changed: report.changed.len(),
            issues: report.issues.len(),
        });
        self.positions.reset(broker_positions);
        // Reconciliation may have settled orders: re-arm the queue flag from the store.
        let mut book = book::lock(&self.book);
        book.queued = book.store.queued_len() > 0;
        Ok(())
    }

    /// Records the executions of a reconciliation snapshot and delivers each new fill to its
    /// strategy. Returns how many were new.
    fn apply_reconciled_executions(
        &mut self,
        snapshot: &BrokerSnapshot,
        strategies: &mut Strategies,
    ) -> usize {
        let mut new = 0;
        for exec in &snapshot.executions {
            let outcome = book::lock(&self.book).store.record_execution(exec);
            match outcome {
                Ok(ExecutionOutcome::Recorded(fill)) => {
                    new += 1;
                    self.on_fill(fill, strategies);
                }
                Ok(_) => {}
                // The store's reconcile reports the refused ones as issues.
                Err(e) => tracing::debug!(exec_id = exec.exec_id, "left to reconcile: {e}"),
            }
        }
        new
    }

    /// The connection is gone: nothing waits for the pacer, the broker's picture is stale.
    pub(crate) fn on_disconnect(&mut self) {
        self.pacer_wake = None;
        // The next session reconciles, then sends every recorded cancel and modify again.
        let mut book = book::lock(&self.book);
        book.cancels_sent.clear();
        book.modifies_sent.clear();
        drop(book);
        self.positions.forget();
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

    fn state_changed(&self, id: SignalId, change: StateChange) {
        state_changed(&self.events, id, change);
    }

    /// A new fill: `on-fill` to its strategy (in the strategy's own spelling of the symbol).
    fn on_fill(&mut self, fill: FillApplied, strategies: &mut Strategies) {
        if fill.overfilled {
            tracing::error!(
                order = %fill.signal_id,
                filled = fill.filled_qty,
                "IB executed more than the order's quantity"
            );
        }
        self.state_changed(fill.signal_id, fill.state);
        let symbol = strategies
            .declared_as(&fill.strategy, &fill.instrument.symbol)
            .unwrap_or_else(|| fill.instrument.symbol.clone());
        let guest_fill = bindings::Fill {
            signal_id: fill.signal_id.get(),
            symbol,
            action: match fill.action {
                Action::OpenLong => bindings::Action::OpenLong,
                Action::AddLong => bindings::Action::AddLong,
                Action::CloseLong => bindings::Action::CloseLong,
                Action::ReduceLong => bindings::Action::ReduceLong,
            },
            quantity: fill.quantity,
            price: fill.price,
            time_ms: fill.time_ms,
        };
        let delivered = strategies.on_fill(&fill.strategy, &guest_fill);
        if !delivered {
            tracing::warn!(
                strategy = fill.strategy,
                order = %fill.signal_id,
                "fill recorded, but the strategy is not running: on-fill not delivered"
            );
        }
        self.events.emit(TradingEvent::Fill {
            id: fill.signal_id.get(),
            strategy: fill.strategy.clone(),
            quantity: fill.quantity,
            price: fill.price,
            delivered,
        });
    }

    /// A manual order: the same validation as a strategy's signal, then the durable queue.
    pub(crate) fn submit(&mut self, order: &ManualOrder) -> Result<ManualAccepted, ManualRefusal> {
        self.operator.submit(order)
    }

    /// Cancels an order: a queued one here, a working one at IB (through `connection`).
    pub(crate) async fn cancel(
        &mut self,
        id: u64,
        connection: &mut Connection,
    ) -> Result<CancelOutcome, CommandError> {
        self.operator.cancel(id, connection).await
    }

    /// An operator's change of a working order.
    pub(crate) fn modify(
        &mut self,
        id: u64,
        change: &ManualChange,
        connected: bool,
    ) -> Result<Result<ModifyOutcome, Rejection>, CommandError> {
        self.operator.modify(id, change, connected)
    }

    /// An operator's settlement of an `unknown` order.
    pub(crate) fn settle_unknown(
        &mut self,
        id: u64,
        settlement: Settlement,
        reason: &str,
    ) -> Result<OrderView, CommandError> {
        self.operator.settle_unknown(id, settlement, reason)?;
        self.order(id)
    }

    /// Compares the broker's positions with the strategies' ledger (housekeeping).
    pub(crate) fn check_drift(&mut self, now: Instant) {
        let ledger = {
            let book = book::lock(&self.book);
            let mut sums: BTreeMap<String, i64> = BTreeMap::new();
            for (_, symbol, _, position) in book.store.positions() {
                *sums.entry(symbol.to_owned()).or_default() += position.quantity;
            }
            sums
        };
        self.positions.check(&ledger, now);
    }

    /// Every working order, oldest first.
    pub(crate) fn orders(&self) -> Vec<OrderView> {
        book::lock(&self.book)
            .store
            .working_orders()
            .into_iter()
            .map(OrderView::from)
            .collect()
    }

    /// One order, finished or not.
    pub(crate) fn order(&self, id: u64) -> Result<OrderView, CommandError> {
        match book::lock(&self.book).store.order(SignalId::from_u64(id)) {
            Ok(Some(order)) => Ok(OrderView::from(&order)),
            Ok(None) => Err(CommandError::NotFound(format!("order {id}"))),
            Err(e) => Err(CommandError::Refused(e.to_string())),
        }
    }

    /// The queue and the working orders by state.
    pub(crate) fn counts(&self) -> OrderCounts {
        let book = book::lock(&self.book);
        let mut counts = OrderCounts {
            queued: book.store.queued_len(),
            working: BTreeMap::new(),
            unknown: Vec::new(),
        };
        for order in book.store.working_orders() {
            *counts
                .working
                .entry(order.state.as_str().to_owned())
                .or_default() += 1;
            if order.state == sandtrade_orders::OrderState::Unknown {
                counts.unknown.push(UnknownOrder {
                    id: order.signal_id.get(),
                    strategy: order.strategy.clone(),
                    symbol: order.instrument.symbol.clone(),
                    since_ms: order.updated_ms,
                    note: order.note.clone(),
                });
            }
        }
        counts
    }

    /// What `strategy` holds and has pending in `symbol`.
    pub(crate) fn exposure(&self, strategy: &str, symbol: &str) -> sandtrade_core::Exposure {
        book::lock(&self.book).store.exposure(strategy, symbol)
    }

    /// The broker's positions, each strategy's ledger, drift.
    pub(crate) fn positions(&self) -> PositionsView {
        let book = book::lock(&self.book);
        let mut strategies: BTreeMap<String, BTreeMap<String, LedgerLine>> = BTreeMap::new();
        for (strategy, symbol, _, p) in book.store.positions() {
            strategies.entry(strategy.to_owned()).or_default().insert(
                symbol.to_owned(),
                LedgerLine {
                    quantity: p.quantity,
                    avg_cost: p.avg_cost,
                    realized_pnl: p.realized_pnl,
                    commissions: p.commissions,
                },
            );
        }
        PositionsView {
            broker_known: self.positions.known(),
            broker: self.positions.shares().clone(),
            strategies,
            drift: self.positions.drift().to_vec(),
        }
    }

    /// The drift found by the last check.
    pub(crate) fn drift(&self) -> &[crate::status::Drift] {
        self.positions.drift()
    }

    /// The last reconciliation.
    pub(crate) fn last_reconcile(&self) -> Option<&ReconcileSummary> {
        self.last_reconcile.as_ref()
    }

    /// Writes what is still in the write-ahead log into the database (the loop is stopping).
    pub(crate) fn checkpoint(&self) {
        if let Err(e) = book::lock(&self.book).store.checkpoint() {
            tracing::warn!("final checkpoint of the order database failed: {e}");
        }
    }
}

/// Whether the session connected as `client_id` may cancel or change `signal`, which IB knows
/// as `ib`: only the client id that placed an order can. Logs why not (the request stays
/// recorded, for a session of that client id).
fn placed_by(client_id: i32, signal: SignalId, ib: IbOrderId, what: &str) -> bool {
    if ib.client_id == client_id {
        return true;
    }
    tracing::warn!(
        order = %signal,
        placed_by = ib.client_id,
        connected_as = client_id,
        "a {what} is pending for an order of another client id: only it can send it"
    );
    false
}

/// Reports an order's change of state, if it changed.
fn state_changed(events: &Events, id: SignalId, change: StateChange) {
    if change.changed() {
        events.emit(TradingEvent::OrderState {
            id: id.get(),
            from: change.from,
            to: change.to,
        });
    }
}

#[cfg(test)]
mod tests;
