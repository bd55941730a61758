//! [`OrderStore`]: the SQLite file plus its in-memory mirror of working orders and the ledger.
//!
//! Every write is one transaction; memory changes only after the commit succeeded, so a failed
//! write leaves both as they were. Reads on the hot path (exposure, the queue, working orders)
//! come from memory; the database is read at open and for finished orders.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sandtrade_core::{Exposure, Instrument, Market, Position, Rejection};

use super::OrderStoreError;
use super::database::Database;
use super::ids::{SessionTag, SignalId};
use super::ledger::Ledger;
use super::lookup;
use super::order_ids::OrderIds;
use super::record::{FillRecord, IbOrderId, OrderRecord, OutgoingOrder, SignalRecord};
use super::schema::Synchronous;
use super::state::OrderState;
use super::working::WorkingSet;

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
    pub(super) database: Database,
    pub(super) working: WorkingSet,
    pub(super) ledger: Ledger,
    pub(super) ids: OrderIds,
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
        let database = Database::open(path.as_ref(), config.synchronous)?;
        let tag = SessionTag::random()?;
        let mut ledger = Ledger::default();
        for (strategy, symbol, market, position) in database.positions()? {
            ledger.set_position(&strategy, &symbol, market, position);
        }
        let mut working = WorkingSet::default();
        for order in database.unfinished_orders()? {
            working.file(order, &mut ledger);
        }
        let ids = OrderIds::new(tag, database.next_order_ids()?);
        Ok(Self {
            database,
            working,
            ledger,
            ids,
        })
    }

    /// Records an accepted signal and its order, `queued`, in one transaction. When this
    /// returns `Ok`, both rows are committed: the id may be handed to the strategy.
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
        Ok(self.insert_accepted(record, instrument, None)?.0)
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
        let (_, taken) = self.insert_accepted(record, instrument, Some(client_id))?;
        Ok(taken.expect("an order taken in the same transaction is outgoing"))
    }

    fn insert_accepted(
        &mut self,
        record: &SignalRecord<'_>,
        instrument: &Instrument,
        take_for: Option<i32>,
    ) -> Result<(SignalId, Option<OutgoingOrder>), OrderStoreError> {
        if record.quantity == 0 {
            return Err(OrderStoreError::InvalidOrder(format!(
                "{} {} has quantity 0",
                record.action, instrument.symbol
            )));
        }
        let mut run = take_for
            .map(|client_id| self.ids.reserve(client_id))
            .transpose()?;
        let ib = run.as_mut().map(|run| run.take()).transpose()?;
        let now = now_ms();
        let state = if ib.is_some() {
            OrderState::Sending
        } else {
            OrderState::Queued
        };

        let tx = self.database.begin()?;
        let signal_id = tx.insert_accepted_signal(record)?;
        let order = OrderRecord {
            signal_id,
            client_order_id: self.ids.client_order_id(signal_id),
            strategy: record.strategy.to_owned(),
            wasm_hash: record.wasm_hash.to_owned(),
            instrument: instrument.clone(),
            action: record.action,
            quantity: record.quantity,
            order_type: record.order_type,
            state,
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
        };
        tx.insert_order(&order)?;
        if let Some(run) = run {
            tx.raise_next_order_id(run.client_id(), run.next())?;
        }
        tx.commit()?;

        let taken = run.map(|run| {
            self.ids.finish(run);
            outgoing(&order)
        });
        self.working.file(order, &mut self.ledger);
        Ok((signal_id, taken))
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

    /// This strategy's exposure in `symbol` (an IB contract symbol, e.g. `AAPL`, `700`).
    /// From memory: no database read.
    pub fn exposure(&self, strategy: &str, symbol: &str) -> Exposure {
        self.ledger.exposure(strategy, symbol)
    }

    /// The whole account's exposure in `symbol`, summed over strategies. From memory.
    pub fn account_exposure(&self, symbol: &str) -> Exposure {
        self.ledger.account_exposure(symbol)
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

/// Milliseconds since the epoch, for row timestamps.
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(super) fn outgoing(order: &OrderRecord) -> OutgoingOrder {
    OutgoingOrder {
        signal_id: order.signal_id,
        client_order_id: order.client_order_id.clone(),
        ib: order.ib.expect("an order taken for sending has IB ids"),
        instrument: order.instrument.clone(),
        side: order.side(),
        quantity: order.quantity,
        order_type: order.order_type,
    }
}
