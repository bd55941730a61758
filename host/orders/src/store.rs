//! [`OrderStore`]: the SQLite file plus its in-memory mirror of working orders and the ledger.
//!
//! Every write is one transaction; memory changes only after the commit succeeded, so a failed
//! write leaves both as they were. Reads on the hot path (exposure, the queue, working orders)
//! come from memory; the database is read at open and for finished orders.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Row, params};

use sandtrade_core::Instrument;
use sandtrade_core::{Action, Market, OrderType, Rejection};

use super::OrderStoreError;
use super::checkpoint::Checkpointer;
use super::ids::{SessionTag, SignalId, parse_client_order_id};
use super::ledger::Ledger;
use super::record::{FillRecord, IbOrderId, OrderRecord, OutgoingOrder, SignalRecord};
use super::schema::{self, Synchronous};
use super::state::{IbStatus, OrderState};
use super::tx::WriteTx;
use sandtrade_core::{Exposure, Position};

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
    pub(super) conn: Connection,
    pub(super) tag: SessionTag,
    synchronous: Synchronous,
    /// Every non-terminal order, by id.
    pub(super) working: HashMap<SignalId, OrderRecord>,
    /// The queued ones among them, oldest first.
    pub(super) queue: BTreeSet<SignalId>,
    pub(super) ledger: Ledger,
    /// Next IB order id per clientId, never lowered.
    pub(super) next_order_ids: HashMap<i32, i32>,
    checkpointer: Checkpointer,
}

impl Drop for OrderStore {
    fn drop(&mut self) {
        self.checkpointer.stop(&mut self.conn);
    }
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
        let path = path.as_ref();
        let mut conn = Connection::open(path)?;
        schema::configure(&conn, config.synchronous)?;
        schema::migrate(&mut conn)?;
        let tag = SessionTag::random()?;
        let checkpointer = Checkpointer::start(path, config.synchronous, &mut conn)?;
        let mut store = Self {
            conn,
            tag,
            synchronous: config.synchronous,
            working: HashMap::new(),
            queue: BTreeSet::new(),
            ledger: Ledger::default(),
            next_order_ids: HashMap::new(),
            checkpointer,
        };
        store.load()?;
        Ok(store)
    }

    fn load(&mut self) -> Result<(), OrderStoreError> {
        let positions = {
            let mut stmt = self.conn.prepare(
                "SELECT strategy, symbol, market, quantity, avg_cost, realized_pnl, commissions
                 FROM positions",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    Position {
                        quantity: row.get(3)?,
                        avg_cost: row.get(4)?,
                        realized_pnl: row.get(5)?,
                        commissions: row.get(6)?,
                    },
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for (strategy, symbol, market, position) in positions {
            let market = parse_market(&market)?;
            self.ledger
                .set_position(&strategy, &symbol, market, position);
        }

        let working = {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders
                 WHERE state NOT IN ('filled', 'cancelled', 'rejected') ORDER BY signal_id"
            ))?;
            let rows = stmt.query_map([], raw_order)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for raw in working {
            let order = raw.into_record()?;
            self.remember(0, order);
        }

        let mut stmt = self
            .conn
            .prepare("SELECT client_id, next_order_id FROM ib_order_ids")?;
        let ids = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        for id in ids {
            let (client_id, next) = id?;
            self.next_order_ids.insert(client_id, next);
        }
        Ok(())
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
        let ib = take_for
            .map(|client_id| self.reserve_order_id(client_id))
            .transpose()?;
        let next_order_id = ib
            .map(|ib| {
                ib.order_id
                    .checked_add(1)
                    .ok_or(OrderStoreError::OrderIdsExhausted(ib.client_id))
            })
            .transpose()?;
        let now = now_ms();
        let (order_type, limit_price) = order_type_columns(record.order_type);
        let state = if ib.is_some() {
            OrderState::Sending
        } else {
            OrderState::Queued
        };

        let tx = WriteTx::begin(&self.conn)?;
        let signal_id = insert_signal(&tx, record, None)?;
        let id = signal_id.row();
        let client_order_id = self.tag.client_order_id(signal_id);
        tx.prepare_cached(INSERT_ORDER)?.execute(params![
            id,
            client_order_id,
            record.strategy,
            record.wasm_hash,
            instrument.symbol,
            instrument.market.as_str(),
            record.action.as_str(),
            record.quantity,
            order_type,
            limit_price,
            state.as_str(),
            ib.map(|ib| ib.client_id),
            ib.map(|ib| ib.order_id),
            now,
            ib.map(|_| now),
        ])?;
        if let (Some(ib), Some(next)) = (ib, next_order_id) {
            save_next_order_id(&tx, ib.client_id, next)?;
        }
        tx.commit()?;

        let order = OrderRecord {
            signal_id,
            client_order_id,
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
        let taken = ib.zip(next_order_id).map(|(ib, next)| {
            self.next_order_ids.insert(ib.client_id, next);
            outgoing(&order)
        });
        self.remember(0, order);
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
        insert_signal(&self.conn, record, Some(rejection))
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
        let mut orders: Vec<&OrderRecord> = self.working.values().collect();
        orders.sort_by_key(|order| order.signal_id);
        orders
    }

    /// How many orders wait in the queue.
    pub fn queued_len(&self) -> usize {
        self.queue.len()
    }

    /// One order: from memory if it is working, else from the database.
    ///
    /// # Errors
    ///
    /// The read failed or the row holds an invalid value.
    pub fn order(&self, signal: SignalId) -> Result<Option<OrderRecord>, OrderStoreError> {
        load_order(&self.conn, &self.working, signal)
    }

    /// The order for an `orderRef`, if it is one of this database's (see [`super::ids`]).
    ///
    /// # Errors
    ///
    /// As [`order`](Self::order).
    pub fn order_by_ref(&self, order_ref: &str) -> Result<Option<OrderRecord>, OrderStoreError> {
        let Some(signal) = parse_client_order_id(order_ref) else {
            return Ok(None);
        };
        // Same id, other text: another database's order, or one from history this file lost.
        Ok(self
            .order(signal)?
            .filter(|order| order.client_order_id == order_ref))
    }

    /// The working order IB knows by this `orderId` on this clientId (`orderStatus` carries
    /// no `orderRef`). From memory.
    pub fn signal_for_ib_order(&self, ib: IbOrderId) -> Option<SignalId> {
        self.working
            .values()
            .find(|order| order.ib == Some(ib))
            .map(|order| order.signal_id)
    }

    /// The fills of one order, in arrival order, with their commissions where known; fills
    /// replaced by a correction are included, marked `replaced_by`.
    ///
    /// # Errors
    ///
    /// The read failed.
    pub fn fills(&self, signal: SignalId) -> Result<Vec<FillRecord>, OrderStoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.exec_id, f.quantity, f.price, f.time_ms, c.commission, f.replaced_by
             FROM fills f LEFT JOIN commissions c ON c.exec_id = f.exec_id
             WHERE f.signal_id = ?1 ORDER BY f.seq",
        )?;
        let rows = stmt.query_map([signal.row()], |row| {
            Ok(FillRecord {
                exec_id: row.get(0)?,
                signal_id: signal,
                quantity: row.get(1)?,
                price: row.get(2)?,
                time_ms: row.get(3)?,
                commission: row.get(4)?,
                replaced_by: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// This session's random tag: the middle of the client order ids of orders accepted since
    /// this store was opened.
    pub fn session_tag(&self) -> &SessionTag {
        &self.tag
    }

    /// The `synchronous` setting in force.
    pub fn synchronous(&self) -> Synchronous {
        self.synchronous
    }

    /// Copies the WAL into the main database file now, without blocking writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`). A background thread already does this whenever the
    /// WAL passes 1000 pages; this is for a quiet moment (e.g. before a backup).
    ///
    /// # Errors
    ///
    /// The checkpoint failed.
    pub fn checkpoint(&self) -> Result<(), OrderStoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The one place memory follows a committed change: the order's pending shares move the
    /// ledger by the difference from `pending_before`, and the queue and working set follow
    /// its state.
    pub(super) fn remember(&mut self, pending_before: i64, order: OrderRecord) {
        self.ledger.add_pending(
            &order.strategy,
            &order.instrument.symbol,
            order.instrument.market,
            order.side(),
            order.pending() - pending_before,
        );
        if order.state == OrderState::Queued {
            self.queue.insert(order.signal_id);
        } else {
            self.queue.remove(&order.signal_id);
        }
        if order.state.is_terminal() {
            self.working.remove(&order.signal_id);
        } else {
            self.working.insert(order.signal_id, order);
        }
    }

    /// The next IB order id for `client_id` (not yet persisted: the caller writes
    /// `id + 1` in its transaction and then updates memory).
    pub(super) fn reserve_order_id(&self, client_id: i32) -> Result<IbOrderId, OrderStoreError> {
        let order_id = *self
            .next_order_ids
            .get(&client_id)
            .ok_or(OrderStoreError::NoOrderIdFloor(client_id))?;
        Ok(IbOrderId {
            client_id,
            order_id,
        })
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

/// Inserts a signal with its verdict: accepted (`None`) or this rejection.
fn insert_signal(
    conn: &Connection,
    record: &SignalRecord<'_>,
    rejection: Option<&Rejection>,
) -> Result<SignalId, OrderStoreError> {
    let (order_type, limit_price) = order_type_columns(record.order_type);
    let id = conn.prepare_cached(INSERT_SIGNAL)?.insert(params![
        record.time_ms,
        record.strategy,
        record.wasm_hash,
        record.symbol,
        record.action.as_str(),
        record.quantity,
        order_type,
        limit_price,
        record.reason,
        if rejection.is_some() {
            "rejected"
        } else {
            "accepted"
        },
        rejection.map(|r| r.code.as_str()),
        rejection.map(|r| r.message.as_str()),
    ])?;
    Ok(SignalId::from_row(id))
}

/// One order: the working copy from memory, else the row.
pub(super) fn load_order(
    conn: &Connection,
    working: &HashMap<SignalId, OrderRecord>,
    signal: SignalId,
) -> Result<Option<OrderRecord>, OrderStoreError> {
    if let Some(order) = working.get(&signal) {
        return Ok(Some(order.clone()));
    }
    let raw = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE signal_id = ?1"
        ))?
        .query_row([signal.row()], raw_order)
        .optional()?;
    raw.map(RawOrder::into_record).transpose()
}

/// Raises the stored next order id of `client_id` to at least `next` (never lowers it).
pub(super) fn save_next_order_id(
    conn: &Connection,
    client_id: i32,
    next: i32,
) -> Result<(), OrderStoreError> {
    conn.prepare_cached(
        "INSERT INTO ib_order_ids (client_id, next_order_id) VALUES (?1, ?2)
         ON CONFLICT (client_id) DO UPDATE SET next_order_id = max(next_order_id, excluded.next_order_id)",
    )?
    .execute(params![client_id, next])?;
    Ok(())
}

/// Writes every mutable column of an order.
pub(super) fn save_order(conn: &Connection, order: &OrderRecord) -> Result<(), OrderStoreError> {
    let changed = conn.prepare_cached(UPDATE_ORDER)?.execute(params![
        order.signal_id.row(),
        order.state.as_str(),
        order.ib.map(|ib| ib.client_id),
        order.ib.map(|ib| ib.order_id),
        order.perm_id,
        order.ib_status.map(IbStatus::as_str),
        order.filled_qty,
        order.filled_notional,
        order.avg_price,
        order.commission,
        order.sent_ms,
        order.updated_ms,
        order.note,
    ])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(OrderStoreError::UnknownOrder(order.signal_id))
    }
}

/// Writes one ledger line.
pub(super) fn save_position(
    conn: &Connection,
    strategy: &str,
    instrument: &Instrument,
    position: &Position,
    now: i64,
) -> Result<(), OrderStoreError> {
    conn.prepare_cached(
        "INSERT INTO positions
             (strategy, symbol, market, quantity, avg_cost, realized_pnl, commissions, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (strategy, symbol) DO UPDATE SET
             quantity = excluded.quantity, avg_cost = excluded.avg_cost,
             realized_pnl = excluded.realized_pnl, commissions = excluded.commissions,
             updated_ms = excluded.updated_ms",
    )?
    .execute(params![
        strategy,
        instrument.symbol,
        instrument.market.as_str(),
        position.quantity,
        position.avg_cost,
        position.realized_pnl,
        position.commissions,
        now,
    ])?;
    Ok(())
}

const INSERT_SIGNAL: &str = "INSERT INTO signals
    (time_ms, strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, reason,
     verdict, reject_code, reject_message)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

const INSERT_ORDER: &str = "INSERT INTO orders
    (signal_id, client_order_id, strategy, wasm_hash, symbol, market, action, quantity,
     order_type, limit_price, state, ib_client_id, ib_order_id, created_ms, sent_ms, updated_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?14)";

const UPDATE_ORDER: &str = "UPDATE orders SET
    state = ?2, ib_client_id = ?3, ib_order_id = ?4, perm_id = ?5, ib_status = ?6,
    filled_qty = ?7, filled_notional = ?8, avg_price = ?9, commission = ?10, sent_ms = ?11,
    updated_ms = ?12, note = ?13
    WHERE signal_id = ?1";

pub(super) const ORDER_COLUMNS: &str = "signal_id, client_order_id, strategy, wasm_hash, symbol, \
    market, action, quantity, order_type, limit_price, state, ib_client_id, ib_order_id, perm_id, \
    ib_status, filled_qty, filled_notional, avg_price, commission, created_ms, sent_ms, \
    updated_ms, note";

/// An `orders` row as read, before its text columns are checked.
pub(super) struct RawOrder {
    signal_id: i64,
    client_order_id: String,
    strategy: String,
    wasm_hash: String,
    symbol: String,
    market: String,
    action: String,
    quantity: u32,
    order_type: String,
    limit_price: Option<f64>,
    state: String,
    ib_client_id: Option<i32>,
    ib_order_id: Option<i32>,
    perm_id: Option<i64>,
    ib_status: Option<String>,
    filled_qty: i64,
    filled_notional: f64,
    avg_price: Option<f64>,
    commission: f64,
    created_ms: i64,
    sent_ms: Option<i64>,
    updated_ms: i64,
    note: Option<String>,
}

/// Reads a row selected with [`ORDER_COLUMNS`].
pub(super) fn raw_order(row: &Row<'_>) -> rusqlite::Result<RawOrder> {
    Ok(RawOrder {
        signal_id: row.get(0)?,
        client_order_id: row.get(1)?,
        strategy: row.get(2)?,
        wasm_hash: row.get(3)?,
        symbol: row.get(4)?,
        market: row.get(5)?,
        action: row.get(6)?,
        quantity: row.get(7)?,
        order_type: row.get(8)?,
        limit_price: row.get(9)?,
        state: row.get(10)?,
        ib_client_id: row.get(11)?,
        ib_order_id: row.get(12)?,
        perm_id: row.get(13)?,
        ib_status: row.get(14)?,
        filled_qty: row.get(15)?,
        filled_notional: row.get(16)?,
        avg_price: row.get(17)?,
        commission: row.get(18)?,
        created_ms: row.get(19)?,
        sent_ms: row.get(20)?,
        updated_ms: row.get(21)?,
        note: row.get(22)?,
    })
}

impl RawOrder {
    pub(super) fn into_record(self) -> Result<OrderRecord, OrderStoreError> {
        let corrupt = |what: &str, value: &str| {
            OrderStoreError::Corrupt(format!("order {}: {what} {value:?}", self.signal_id))
        };
        let instrument =
            sandtrade_core::normalize(&self.symbol).map_err(|_| corrupt("symbol", &self.symbol))?;
        if instrument.market.as_str() != self.market {
            return Err(corrupt("market", &self.market));
        }
        let action = Action::ALL
            .into_iter()
            .find(|a| a.as_str() == self.action)
            .ok_or_else(|| corrupt("action", &self.action))?;
        let order_type = match (self.order_type.as_str(), self.limit_price) {
            ("market", None) => OrderType::Market,
            ("limit", Some(price)) => OrderType::Limit(price),
            _ => return Err(corrupt("order type", &self.order_type)),
        };
        let state = self
            .state
            .parse()
            .map_err(|_| corrupt("state", &self.state))?;
        let ib = match (self.ib_client_id, self.ib_order_id) {
            (Some(client_id), Some(order_id)) => Some(IbOrderId {
                client_id,
                order_id,
            }),
            _ => None,
        };
        let ib_status = match &self.ib_status {
            Some(text) => Some(IbStatus::parse(text).ok_or_else(|| corrupt("IB status", text))?),
            None => None,
        };
        Ok(OrderRecord {
            signal_id: SignalId::from_row(self.signal_id),
            client_order_id: self.client_order_id,
            strategy: self.strategy,
            wasm_hash: self.wasm_hash,
            instrument,
            action,
            quantity: self.quantity,
            order_type,
            state,
            ib,
            perm_id: self.perm_id,
            ib_status,
            filled_qty: self.filled_qty,
            filled_notional: self.filled_notional,
            avg_price: self.avg_price,
            commission: self.commission,
            created_ms: self.created_ms,
            sent_ms: self.sent_ms,
            updated_ms: self.updated_ms,
            note: self.note,
        })
    }
}

fn parse_market(text: &str) -> Result<Market, OrderStoreError> {
    match text {
        "us-stock" => Ok(Market::UsStock),
        "hk-stock" => Ok(Market::HkStock),
        other => Err(OrderStoreError::Corrupt(format!("market {other:?}"))),
    }
}

fn order_type_columns(order_type: OrderType) -> (&'static str, Option<f64>) {
    match order_type {
        OrderType::Market => ("market", None),
        OrderType::Limit(price) => ("limit", Some(price)),
    }
}
