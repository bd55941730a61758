//! What the broker does with the queue: take orders to send (durably `sending` *before* the
//! wire write), report IB's statuses, give back an order that never reached the wire, and
//! keep IB order ids moving forward only.

use super::OrderStoreError;
use super::ids::SignalId;
use super::order_ids;
use super::record::{OrderRecord, OutgoingOrder, StateChange};
use super::state::{IbStatus, OrderEvent, OrderState, transition};
use super::store::{OrderStore, now_ms, outgoing};

impl OrderStore {
    /// Takes up to `max` queued orders, oldest first, to send on the connection of
    /// `client_id`: each gets the next IB order id and is committed as `sending` before this
    /// returns. Send them in the returned order; an order that then fails *before* any byte
    /// is written goes back with [`return_unsent`](Self::return_unsent); one whose fate is
    /// unclear (the connection dropped mid-write) goes to [`mark_unknown`](Self::mark_unknown).
    ///
    /// # Errors
    ///
    /// [`OrderStoreError::NoOrderIdFloor`] before
    /// [`observe_next_valid_id`](Self::observe_next_valid_id) for `client_id`, or a failed
    /// write (nothing taken, memory unchanged).
    pub fn take_next(
        &mut self,
        client_id: i32,
        max: usize,
    ) -> Result<Vec<OutgoingOrder>, OrderStoreError> {
        let mut queued = self.working.queued().take(max).peekable();
        if queued.peek().is_none() {
            return Ok(Vec::new());
        }
        let mut run = self.ids.reserve(client_id)?;
        let now = now_ms();
        let mut taken: Vec<OrderRecord> = Vec::with_capacity(max.min(self.working.queued_len()));
        for order in queued {
            let mut order = order.clone();
            order.state = transition(order.state, OrderEvent::Take).map_err(|source| {
                OrderStoreError::Transition {
                    signal: order.signal_id,
                    source,
                }
            })?;
            order.ib = Some(run.take()?);
            order.sent_ms = Some(now);
            order.updated_ms = now;
            taken.push(order);
        }

        let tx = self.database.begin()?;
        for order in &taken {
            tx.update_order(order)?;
        }
        tx.raise_next_order_id(client_id, run.next())?;
        tx.commit()?;

        self.ids.finish(run);
        let outgoing: Vec<OutgoingOrder> = taken.iter().map(outgoing).collect();
        for order in taken {
            self.working.file(order, &mut self.ledger);
        }
        Ok(outgoing)
    }

    /// Gives back an order that was taken but provably never written to the wire (the send
    /// failed before writing: not connected, pacer shut, encoding failed). It is queued again
    /// and will get a new IB order id; the old one stays burned.
    ///
    /// Only the process that took the order can know this. After a crash, `sending` rows are
    /// resolved by [`reconcile`](Self::reconcile), never given back.
    ///
    /// # Errors
    ///
    /// The order is not `sending`, or the write failed.
    pub fn return_unsent(
        &mut self,
        signal: SignalId,
        why: &str,
    ) -> Result<StateChange, OrderStoreError> {
        self.change_order(signal, Some(OrderEvent::NotSent), |order, _| {
            order.ib = None;
            order.sent_ms = None;
            order.note = Some(format!("returned unsent: {why}"));
        })
    }

    /// Records that we no longer know whether IB has this order (the connection dropped while
    /// it was `sending`, or reconciliation found no trace). It is never re-sent automatically.
    ///
    /// # Errors
    ///
    /// The order is queued or terminal, or the write failed.
    pub fn mark_unknown(
        &mut self,
        signal: SignalId,
        why: &str,
    ) -> Result<StateChange, OrderStoreError> {
        self.change_order(signal, Some(OrderEvent::Lost), |order, _| {
            order.note = Some(format!("unknown: {why}"));
        })
    }

    /// An operator's decision that an `unknown` order never reached IB: it is queued again
    /// and will be sent with a new IB order id. If the operator is wrong, this duplicates the
    /// order at IB: the API must ask for confirmation.
    ///
    /// # Errors
    ///
    /// The order is not `unknown`, or the write failed.
    pub fn release_unknown(
        &mut self,
        signal: SignalId,
        operator_note: &str,
    ) -> Result<StateChange, OrderStoreError> {
        self.change_order(signal, Some(OrderEvent::Release), |order, _| {
            order.ib = None;
            order.sent_ms = None;
            order.note = Some(format!("released by operator: {operator_note}"));
        })
    }

    /// Applies an order status IB reported (`openOrder`, `orderStatus`, `completedOrder`),
    /// recording `permId` the first time it is known. A repeated or stale status changes
    /// nothing and writes nothing; `Filled` only records the status (executions fill).
    ///
    /// # Errors
    ///
    /// The order is not in this database, or the write failed.
    pub fn apply_status(
        &mut self,
        signal: SignalId,
        status: IbStatus,
        perm_id: Option<i64>,
    ) -> Result<StateChange, OrderStoreError> {
        self.change_order(signal, status.event(), |order, from| {
            // After the end, a status is stale: keep the one that went with the end.
            if !from.is_terminal() {
                order.ib_status = Some(status);
            }
            if order.perm_id.is_none() {
                order.perm_id = perm_id.filter(|id| *id != 0);
            }
        })
    }

    /// Raises the floor of IB order ids for `client_id` to `next_valid_id` (from IB's
    /// `nextValidId` on connect, or one past the highest id IB reported) and returns the id the
    /// next order will get. The floor never goes down, so a gateway restart that rolls
    /// `nextValidId` back cannot make us reuse an id.
    ///
    /// # Errors
    ///
    /// The write failed.
    pub fn observe_next_valid_id(
        &mut self,
        client_id: i32,
        next_valid_id: i32,
    ) -> Result<i32, OrderStoreError> {
        order_ids::observe_next_valid_id(&self.database, &mut self.ids, client_id, next_valid_id)
    }

    /// The id the next order sent on `client_id` will get, if known.
    pub fn next_order_id(&self, client_id: i32) -> Option<i32> {
        self.ids.next(client_id)
    }

    /// Moves one order by `event` (or keeps its state, for `None`), lets `edit` update its
    /// other columns (it is given the state before), and writes it if anything changed. The single-row UPDATE is its own
    /// transaction.
    pub(super) fn change_order(
        &mut self,
        signal: SignalId,
        event: Option<OrderEvent>,
        edit: impl FnOnce(&mut OrderRecord, OrderState),
    ) -> Result<StateChange, OrderStoreError> {
        let before = self
            .order(signal)?
            .ok_or(OrderStoreError::UnknownOrder(signal))?;
        let to = match event {
            Some(event) => transition(before.state, event)
                .map_err(|source| OrderStoreError::Transition { signal, source })?,
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
        self.database.update_order(&after)?;
        self.working.file(after, &mut self.ledger);
        Ok(change)
    }
}
