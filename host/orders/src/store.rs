//! [`OrderStore`]: the facade over the store's parts, each the one owner of its state.
//!
//! | part | owns |
//! |---|---|
//! | [`Database`] (`database.rs`) | the file, its connection, every statement on its tables |
//! | [`WorkingSet`] (`working.rs`) | the working orders in memory and the queue |
//! | [`Ledger`] (`ledger.rs`) | each strategy's positions and pending shares |
//! | [`OrderIds`] (`order_ids.rs`) | the session tag and the next IB order id per clientId |
//!
//! An operation lives in the file of its concern (`accept.rs`, `queue.rs`, `fills.rs`,
//! `reconcile.rs`, `order_ids.rs`) and works through the parts' methods; each method here only
//! hands it the parts it needs.
//!
//! Every write is one transaction; memory changes only after the commit succeeded, so a failed
//! write leaves both as they were. A group ([`OrderStore::group`]) makes the operations until
//! [`OrderStore::commit_group`] one transaction: each still changes memory as it succeeds (a
//! failed one leaves both as they were), and a group that cannot be committed has memory
//! rebuilt from the file, as at open. Reads on the hot path (exposure, the queue, working orders)
//! come from memory; the database is read at open and for finished orders.

use std::path::Path;

use sandtrade_core::{Exposure, Instrument, Market, OrderType, Position, Rejection, Side};

use super::database::Database;
use super::ids::{SessionTag, SignalId};
use super::ledger::Ledger;
use super::order_ids::{self, OrderIds};
use super::queue::{NoticeEnd, NoticeOutcome, Settlement};
use super::reconcile::{BrokerSnapshot, ReconcileReport};
use super::record::{
    CommissionOutcome, CommissionReport, Execution, ExecutionOutcome, FillRecord, IbOrderId,
    OrderRecord, OutgoingOrder, SignalRecord, StateChange,
};
use super::schema::Synchronous;
use super::state::{IbStatus, OrderState};
use super::working::WorkingSet;
use super::writer_lock::WriterLock;
use super::{OrderStoreError, accept, fills, lookup, queue, reconcile};

/// How to open the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreConfig {
    /// `PRAGMA synchronous`: what a commit survives. See `docs/orders.md`.
    pub synchronous: Synchronous,
}

/// The durable order store. One owner (the thread that runs the hot path) holds it; it is
/// `Send`, not `Sync`: share it behind a `Mutex` if more than one thread must write.
#[derive(Debug)]
pub struct OrderStore {
    database: Database,
    working: WorkingSet,
    ledger: Ledger,
    ids: OrderIds,
    /// Keeps a second writer out; dropped last, after the database is closed.
    _lock: WriterLock,
}

impl OrderStore {
    /// Opens (creating if needed) the order database at `path`, migrates it, and loads the
    /// working orders, the ledger and the order-id floors into memory.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is not a usable SQLite database, WAL cannot be enabled,
    /// the schema is newer than this build, or a stored value is invalid.
    pub fn open(path: impl AsRef<Path>, config: StoreConfig) -> Result<Self, OrderStoreError> {
        // Opened first so that a path SQLite cannot use is reported as SQLite sees it; the
        // lock is taken before anything is read into memory or written.
        let database = Database::open(path.as_ref(), config.synchronous)?;
        let lock = WriterLock::acquire(path.as_ref())?;
        let tag = SessionTag::random()?;
        let (working, ledger) = load(&database)?;
        let ids = OrderIds::new(tag, database.next_order_ids()?);
        Ok(Self {
            database,
            working,
            ledger,
            ids,
            _lock: lock,
        })
    }

    /// Makes the operations from now until [`commit_group`](Self::commit_group) one
    /// transaction, so that they cost one commit: the signals a bar brings, and taking their
    /// orders for sending. Their memory changes at once; nothing of them is durable until the
    /// group is committed, so nothing of them may leave the process before that (the caller's
    /// rule: commit, then write to IB or answer anyone).
    pub fn group(&mut self) {
        self.database.want_group();
    }

    /// Commits the operations since [`group`](Self::group), if any wrote, and ends the group.
    ///
    /// # Errors
    ///
    /// [`OrderStoreError::GroupLost`]: the commit failed (an I/O error, a full disk) and none
    /// of the group's operations is stored. Memory is rebuilt from the file first, so the
    /// store stays as the file says; orders taken in the group must not be sent. Should the
    /// file not even be readable, the error says so too.
    pub fn commit_group(&mut self) -> Result<(), OrderStoreError> {
        let Err(lost) = self.database.commit_group() else {
            return Ok(());
        };
        match load(&self.database) {
            Ok((working, ledger)) => {
                self.working = working;
                self.ledger = ledger;
                Err(lost)
            }
            Err(reload) => Err(OrderStoreError::GroupLost(format!(
                "{lost}; reading the file back failed too: {reload}"
            ))),
        }
    }

    /// Records an accepted signal and its order, `queued`, in one transaction. When this
    /// returns `Ok`, both rows are committed (in a group: when the group is), and the id may
    /// be handed to the strategy.
    ///
    /// `record.quantity` must be the order's quantity as risk resolved it (non-zero).
    ///
    /// # Errors
    ///
    /// A zero quantity ([`OrderStoreError::InvalidOrder`]) or a failed write; nothing is
    /// stored and memory is unchanged. The runtime answers `unavailable`.
    pub fn accept(
        &mut self,
        record: &SignalRecord<'_>,
        instrument: &Instrument,
    ) -> Result<SignalId, OrderStoreError> {
        accept::accept(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            &self.ids,
            record,
            instrument,
        )
    }

    /// Like [`accept`](Self::accept), but the order is taken for sending in the same
    /// transaction: it is stored `sending` with the next IB order id of `client_id`. This saves
    /// the hot path a second commit when the broker can send at once.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept), and [`OrderStoreError::NoOrderIdFloor`] before
    /// [`observe_next_valid_id`](Self::observe_next_valid_id) was called for `client_id`.
    pub fn accept_and_take(
        &mut self,
        record: &SignalRecord<'_>,
        instrument: &Instrument,
        client_id: i32,
    ) -> Result<OutgoingOrder, OrderStoreError> {
        accept::accept_and_take(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            &mut self.ids,
            record,
            instrument,
            client_id,
        )
    }

    /// Stores an accepted bracket: `entry` and its `exits` (each a sell of the entry's
    /// quantity), with their signals and orders, `queued`, in one transaction. They are taken
    /// for sending together ([`take_next`](Self::take_next) never splits a bracket). Returns
    /// the signal ids of the entry and of each exit, in `exits`' order.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept): nothing is stored and memory is unchanged.
    pub fn accept_bracket(
        &mut self,
        entry: &SignalRecord<'_>,
        exits: &[SignalRecord<'_>],
        instrument: &Instrument,
    ) -> Result<(SignalId, Vec<SignalId>), OrderStoreError> {
        let records: Vec<SignalRecord<'_>> = std::iter::once(entry).chain(exits).cloned().collect();
        let mut ids = accept::accept_bracket(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            &self.ids,
            &records,
            instrument,
        )?;
        let entry = ids.remove(0);
        Ok((entry, ids))
    }

    /// Records a refused signal with its code and message. Not on the hot path's promise: the
    /// refusal is returned to the strategy whether or not this write succeeds.
    ///
    /// # Errors
    ///
    /// The write failed; nothing is stored.
    pub fn record_rejection(
        &mut self,
        record: &SignalRecord<'_>,
        rejection: &Rejection,
    ) -> Result<SignalId, OrderStoreError> {
        self.database.insert_rejected_signal(record, rejection)
    }

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
        queue::take_next(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            &mut self.ids,
            client_id,
            max,
        )
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
        queue::return_unsent(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            why,
        )
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
        queue::mark_unknown(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            why,
        )
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
        queue::release_unknown(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            operator_note,
        )
    }

    /// Cancels every queued market order accepted before `cutoff_ms` (ms since the epoch),
    /// with `why` in its note: it waited too long (a disconnect, a halt) to be sent at a
    /// market that has moved on. Limit orders keep waiting. Returns the orders cancelled.
    ///
    /// # Errors
    ///
    /// A write failed; the orders cancelled before it stay cancelled.
    pub fn expire_stale(
        &mut self,
        cutoff_ms: i64,
        why: &str,
    ) -> Result<Vec<(SignalId, StateChange)>, OrderStoreError> {
        queue::expire_stale(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            cutoff_ms,
            why,
        )
    }

    /// Settles an `unknown` order (one reconciliation could not settle) as an operator
    /// decided after checking IB: [`Settlement::Cancelled`] ends it, [`Settlement::Requeued`]
    /// queues it again. The operator's `reason` is kept in the order's note.
    ///
    /// # Errors
    ///
    /// The order does not exist ([`OrderStoreError::UnknownOrder`]), is not `unknown`
    /// ([`OrderStoreError::NotUnknown`]), or the write failed.
    pub fn settle_unknown(
        &mut self,
        signal: SignalId,
        settlement: Settlement,
        reason: &str,
    ) -> Result<StateChange, OrderStoreError> {
        queue::settle_unknown(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            settlement,
            reason,
        )
    }

    /// Records, durably, that `signal` is to be cancelled at IB, before the cancel is sent:
    /// a cancel that does not reach IB (no connection, or the host stops first) is found by
    /// [`cancels_to_send`](Self::cancels_to_send) after the next reconciliation.
    ///
    /// # Errors
    ///
    /// The order is not in this database, or the write failed.
    pub fn request_cancel(&mut self, signal: SignalId) -> Result<StateChange, OrderStoreError> {
        queue::request_cancel(&self.database, &mut self.working, &mut self.ledger, signal)
    }

    /// Changes working order `signal` to `quantity` shares (filled ones included) on
    /// `order_type` terms, durably. The caller has validated the change as a new order; a
    /// queued order goes out with the new terms, one that may be at IB has the change
    /// recorded as requested (see [`modifies_to_send`](Self::modifies_to_send)).
    ///
    /// # Errors
    ///
    /// The order is not in this database, or the write failed.
    pub fn modify(
        &mut self,
        signal: SignalId,
        quantity: u32,
        order_type: OrderType,
    ) -> Result<StateChange, OrderStoreError> {
        queue::modify(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            quantity,
            order_type,
        )
    }

    /// IB has reported the modified terms of `signal`: the modify is done.
    ///
    /// # Errors
    ///
    /// The order is not in this database, or the write failed.
    pub fn modify_acknowledged(
        &mut self,
        signal: SignalId,
    ) -> Result<StateChange, OrderStoreError> {
        queue::modify_acknowledged(&self.database, &mut self.working, &mut self.ledger, signal)
    }

    /// The working orders at IB with a modify IB has not acknowledged: each to send again, as
    /// a `placeOrder` of its IB order id with its current terms (sending the same terms twice
    /// changes nothing at IB).
    pub fn modifies_to_send(&self) -> Vec<OutgoingOrder> {
        self.working
            .oldest_first()
            .into_iter()
            .filter(|o| o.modify_requested_ms.is_some() && o.cancel_requested_ms.is_none())
            .filter(|o| matches!(o.state, OrderState::Submitted | OrderState::PartiallyFilled))
            .filter(|o| o.ib.is_some())
            .map(|o| self.outgoing(o))
            .collect()
    }

    /// A working order as it goes to IB again (a change): an exit of a bracket names its
    /// entry's `orderId` as its parent, as when it was first sent.
    fn outgoing(&self, order: &OrderRecord) -> OutgoingOrder {
        let mut outgoing = order.outgoing();
        if let Some(entry) = order.exit_of {
            let from_file;
            let entry = match self.working.get(entry) {
                Some(entry) => Some(entry),
                None => {
                    from_file = self.database.order(entry).ok().flatten();
                    from_file.as_ref()
                }
            };
            outgoing.parent = entry
                .and_then(|entry| entry.ib)
                .filter(|ib| Some(ib.client_id) == order.ib.map(|ib| ib.client_id))
                .map(|ib| ib.order_id);
        }
        outgoing
    }

    /// The working orders at IB whose cancel was asked for: what to cancel (again) once the
    /// connection is reconciled. Cancelling twice is harmless; IB answers the second with a
    /// notice.
    pub fn cancels_to_send(&self) -> Vec<(SignalId, IbOrderId)> {
        self.working
            .oldest_first()
            .into_iter()
            .filter(|o| o.cancel_requested_ms.is_some())
            .filter(|o| matches!(o.state, OrderState::Submitted | OrderState::PartiallyFilled))
            .filter_map(|o| o.ib.map(|ib| (o.signal_id, ib)))
            .collect()
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
        queue::apply_status(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            status,
            perm_id,
        )
    }

    /// Ends an order IB answered with an order-ending error notice (201 without a following
    /// `Inactive`, 110, 202, ...): rejected or cancelled as `end` says, with IB's `code` and
    /// `text` in its note; its pending shares are freed. A notice about an order that already
    /// ended changes nothing. A refusal about an order IB works with a change pending refuses
    /// the change instead: the order's earlier terms come back
    /// ([`NoticeOutcome::ChangeRefused`]).
    ///
    /// # Errors
    ///
    /// The order is not in this database, or the write failed.
    pub fn end_by_notice(
        &mut self,
        signal: SignalId,
        end: NoticeEnd,
        code: i32,
        text: &str,
    ) -> Result<NoticeOutcome, OrderStoreError> {
        queue::end_by_notice(
            &self.database,
            &mut self.working,
            &mut self.ledger,
            signal,
            end,
            code,
            text,
        )
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

    /// Records one execution (live `execDetails` or a `reqExecutions` answer) for the order
    /// its `orderRef` (or, failing that, its `permId`) names: the fill, the order's totals and
    /// state, and the strategy's position, in one transaction.
    ///
    /// # Errors
    ///
    /// A zero quantity, a side that contradicts the order (nothing is stored: the caller
    /// alerts), or a failed write (nothing stored, memory unchanged).
    pub fn record_execution(
        &mut self,
        exec: &Execution,
    ) -> Result<ExecutionOutcome, OrderStoreError> {
        fills::record_execution(&self.database, &mut self.working, &mut self.ledger, exec)
    }

    /// Records one commission report and joins it to its fill by exec id, whichever of the
    /// two arrived first.
    ///
    /// # Errors
    ///
    /// The write failed (nothing stored, memory unchanged).
    pub fn record_commission(
        &mut self,
        report: &CommissionReport,
    ) -> Result<CommissionOutcome, OrderStoreError> {
        fills::record_commission(&self.database, &mut self.working, &mut self.ledger, report)
    }

    /// The orders that may be at IB (`sending`, `submitted`, `partially-filled`, `unknown`),
    /// oldest first: what reconciliation asks IB about. From memory.
    pub fn orders_to_reconcile(&self) -> Vec<&OrderRecord> {
        self.working.may_be_at_ib()
    }

    /// Applies a complete [`BrokerSnapshot`] (see the [module docs](super::reconcile) for the
    /// invariants).
    ///
    /// # Errors
    ///
    /// A write failed. What was applied before it stays applied (each step is its own
    /// transaction and every step is idempotent), so the caller retries with a fresh snapshot.
    pub fn reconcile(
        &mut self,
        snapshot: &BrokerSnapshot,
    ) -> Result<ReconcileReport, OrderStoreError> {
        reconcile::apply(self, snapshot)
    }

    /// This strategy's exposure in `symbol` (an IB contract symbol, e.g. `AAPL`, `700`).
    /// From memory: no database read.
    pub fn exposure(&self, strategy: &str, symbol: &str) -> Exposure {
        self.ledger.exposure(strategy, symbol)
    }

    /// The whole account's exposure in `symbol`, summed over strategies. From memory.
    pub fn account_exposure(&self, symbol: &str) -> Exposure {
        self.ledger.account_exposure(symbol)
    }

    /// The value of every position held and every buy working in `market` over every
    /// strategy: shares held at `price_of` their symbol (their average cost while no price is
    /// known), shares still to buy at their limit price, or a market order's at `price_of`.
    /// From memory; it walks every ledger line and working order.
    pub fn account_gross(&self, market: Market, price_of: impl Fn(&str) -> Option<f64>) -> f64 {
        let held = self.ledger.account_held_value(market, &price_of);
        let buying: f64 = self
            .working
            .oldest_first()
            .into_iter()
            .filter(|o| o.instrument.market == market && o.action.side() == Side::Buy)
            .map(|o| {
                let remaining = (i64::from(o.quantity) - o.filled_qty).max(0) as f64;
                let price = o
                    .order_type
                    .expected_price()
                    .or_else(|| price_of(&o.instrument.symbol));
                remaining * price.unwrap_or(0.0)
            })
            .sum();
        held + buying
    }

    /// This strategy's position in `symbol`, if it ever traded it. From memory.
    pub fn position(&self, strategy: &str, symbol: &str) -> Option<Position> {
        self.ledger.line_position(strategy, symbol)
    }

    /// Every ledger line that has traded: `(strategy, symbol, market, position)`, in no
    /// particular order. From memory.
    pub fn positions(&self) -> impl Iterator<Item = (&str, &str, Market, Position)> {
        self.ledger.positions()
    }

    /// Every order not yet filled, cancelled or rejected, oldest first. From memory.
    pub fn working_orders(&self) -> Vec<&OrderRecord> {
        self.working.oldest_first()
    }

    /// How many orders wait in the queue.
    pub fn queued_len(&self) -> usize {
        self.working.queued_len()
    }

    /// One order: from memory if it is working, else from the database.
    ///
    /// # Errors
    ///
    /// The read failed or the row holds an invalid value.
    pub fn order(&self, signal: SignalId) -> Result<Option<OrderRecord>, OrderStoreError> {
        lookup::order(&self.database, &self.working, signal)
    }

    /// The order for an `orderRef`, if it is one of this database's (see [`super::ids`]).
    ///
    /// # Errors
    ///
    /// As [`order`](Self::order).
    pub fn order_by_ref(&self, order_ref: &str) -> Result<Option<OrderRecord>, OrderStoreError> {
        lookup::order_by_ref(&self.database, &self.working, order_ref)
    }

    /// The working order IB knows by this `orderId` on this clientId (`orderStatus` carries
    /// no `orderRef`). From memory.
    pub fn signal_for_ib_order(&self, ib: IbOrderId) -> Option<SignalId> {
        self.working.with_ib_order(ib)
    }

    /// The fills of one order, in arrival order, with their commissions where known; fills
    /// replaced by a correction are included, marked `replaced_by`.
    ///
    /// # Errors
    ///
    /// The read failed.
    pub fn fills(&self, signal: SignalId) -> Result<Vec<FillRecord>, OrderStoreError> {
        self.database.fills(signal)
    }

    /// This session's random tag: the middle of the client order ids of orders accepted since
    /// this store was opened.
    pub fn session_tag(&self) -> &SessionTag {
        self.ids.session_tag()
    }

    /// The `synchronous` setting in force.
    pub fn synchronous(&self) -> Synchronous {
        self.database.synchronous()
    }

    /// Copies the WAL into the main database file now, without blocking writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`). A background thread already does this whenever the
    /// WAL passes 1000 pages; this is for a quiet moment (e.g. before a backup).
    ///
    /// # Errors
    ///
    /// The checkpoint failed.
    pub fn checkpoint(&self) -> Result<(), OrderStoreError> {
        self.database.checkpoint()
    }
}

/// The working orders and the ledger as the file holds them.
fn load(database: &Database) -> Result<(WorkingSet, Ledger), OrderStoreError> {
    let mut ledger = Ledger::default();
    for (strategy, symbol, market, position) in database.positions()? {
        ledger.set_position(&strategy, &symbol, market, position);
    }
    let mut working = WorkingSet::default();
    for order in database.unfinished_orders()? {
        working.file(order, &mut ledger);
    }
    Ok((working, ledger))
}
