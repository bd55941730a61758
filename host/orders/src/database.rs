//! The order database: the file's connection and every statement on its tables (`signals`,
//! `orders`, `fills`, `commissions`, `positions`, `ib_order_ids`), rows turned into records.
//!
//! The rest of the store never sees SQL. It reads through [`Database`] and writes through a
//! [`Tx`], one transaction per operation; the few operations that write a single row do it
//! through [`Database`] directly, as one autocommit statement, which is its own transaction.
//! While a group is wanted ([`Database::want_group`]), all of them share one transaction
//! instead, committed by [`Database::commit_group`].
//!
//! Every statement is prepared once and cached on the connection: on the accept path parsing
//! the SQL again would cost about as much as running it.

mod order_row;
mod tx;

use std::cell::Cell;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use sandtrade_core::{Market, Position, REASON_MAX_BYTES, Rejection, SYMBOL_MAX_BYTES, text};

use self::order_row::{ORDER_COLUMNS, OrderRow, TermColumns};
use self::tx::{Group, WriteTx};
use super::OrderStoreError;
use super::checkpoint::Checkpointer;
use super::ids::SignalId;
use super::record::{CommissionReport, Execution, FillRecord, OrderRecord, SignalRecord};
use super::schema::{self, Synchronous};
use super::state::IbStatus;

/// The open database file, with the thread that checkpoints its WAL.
#[derive(Debug)]
pub(super) struct Database {
    conn: Connection,
    synchronous: Synchronous,
    checkpointer: Checkpointer,
    /// Whether operations share one transaction now (see [`want_group`](Self::want_group)).
    group: Cell<Group>,
}

impl Drop for Database {
    fn drop(&mut self) {
        self.checkpointer.stop(&mut self.conn);
    }
}

/// Where a stored fill stands, for the commission report that names its exec id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StoredFill {
    /// The fill counts, on this order.
    Counts(SignalId),
    /// A correction replaced the fill: its commission no longer counts either.
    Replaced,
}

impl Database {
    /// Opens (creating if needed) the file at `path`, sets the connection up, brings the schema
    /// up to date and starts the checkpoint thread.
    pub(super) fn open(path: &Path, synchronous: Synchronous) -> Result<Self, OrderStoreError> {
        let mut conn = Connection::open(path).map_err(|e| {
            // rusqlite ends the message with the path; whoever reports this names it already.
            let reason = e.to_string();
            let path = format!(": {}", path.display());
            OrderStoreError::Open(reason.strip_suffix(&path).unwrap_or(&reason).to_owned())
        })?;
        schema::configure(&conn, synchronous)?;
        schema::migrate(&mut conn)?;
        let checkpointer = Checkpointer::start(path, synchronous, &mut conn)?;
        Ok(Self {
            conn,
            synchronous,
            checkpointer,
            group: Cell::new(Group::Off),
        })
    }

    /// The `synchronous` setting in force.
    pub(super) fn synchronous(&self) -> Synchronous {
        self.synchronous
    }

    /// A `PASSIVE` checkpoint now, on the writer's connection (it never blocks writers).
    pub(super) fn checkpoint(&self) -> Result<(), OrderStoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Starts a write operation: a transaction (`BEGIN IMMEDIATE`), or a savepoint of the
    /// group if one is wanted; it rolls back unless committed.
    pub(super) fn begin(&self) -> Result<Tx<'_>, OrderStoreError> {
        Ok(Tx {
            tx: WriteTx::begin(&self.conn, &self.group)?,
        })
    }

    /// From now on, operations share one transaction, opened by the first write and ended by
    /// [`commit_group`](Self::commit_group). Already wanted or open: nothing changes.
    pub(super) fn want_group(&self) {
        if self.group.get() == Group::Off {
            self.group.set(Group::Wanted);
        }
    }

    /// Commits the group's transaction, if a write opened one, and ends the group.
    ///
    /// # Errors
    ///
    /// [`OrderStoreError::GroupLost`] when the transaction could not be committed (it is rolled
    /// back) or SQLite had already rolled it back: none of its operations is in the file.
    pub(super) fn commit_group(&self) -> Result<(), OrderStoreError> {
        let group = self.group.replace(Group::Off);
        match group {
            Group::Off | Group::Wanted => Ok(()),
            Group::Lost => Err(OrderStoreError::GroupLost(
                "SQLite rolled the transaction back after a failed write".into(),
            )),
            Group::Open => {
                let committed = self
                    .conn
                    .prepare_cached("COMMIT")
                    .and_then(|mut commit| commit.execute([]));
                match committed {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        if !self.conn.is_autocommit() {
                            let _already_failing = self.conn.execute_batch("ROLLBACK");
                        }
                        Err(OrderStoreError::GroupLost(e.to_string()))
                    }
                }
            }
        }
    }

    /// Runs a single-statement write: in the group's transaction if one is wanted, else as its
    /// own (autocommit) transaction.
    fn write_one<T>(
        &self,
        write: impl FnOnce(&Connection) -> Result<T, OrderStoreError>,
    ) -> Result<T, OrderStoreError> {
        tx::join_group(&self.conn, &self.group)?;
        let result = write(&self.conn);
        if result.is_err() {
            tx::note_failed_statement(&self.conn, &self.group);
        }
        result
    }

    /// Every stored ledger line: `(strategy, symbol, market, position)`. Read at open.
    pub(super) fn positions(
        &self,
    ) -> Result<Vec<(String, String, Market, Position)>, OrderStoreError> {
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
        let rows = rows.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(strategy, symbol, market, position)| {
                Ok((strategy, symbol, order_row::market(&market)?, position))
            })
            .collect()
    }

    /// Every order not yet filled, cancelled or rejected, oldest first. Read at open.
    pub(super) fn unfinished_orders(&self) -> Result<Vec<OrderRecord>, OrderStoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders
             WHERE state NOT IN ('filled', 'cancelled', 'rejected') ORDER BY signal_id"
        ))?;
        let rows = stmt.query_map([], order_row::read)?;
        let rows = rows.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(OrderRow::into_record).collect()
    }

    /// The stored next IB order id of every clientId: `(client_id, next_order_id)`. Read at
    /// open.
    pub(super) fn next_order_ids(&self) -> Result<Vec<(i32, i32)>, OrderStoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT client_id, next_order_id FROM ib_order_ids")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One order's row, whatever its state (inside a [`Tx`], as that transaction left it).
    pub(super) fn order(&self, signal: SignalId) -> Result<Option<OrderRecord>, OrderStoreError> {
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE signal_id = ?1"
            ))?
            .query_row([signal.row()], order_row::read)
            .optional()?;
        row.map(OrderRow::into_record).transpose()
    }

    /// The order IB knows by this `permId`, if any.
    pub(super) fn order_with_perm_id(
        &self,
        perm_id: i64,
    ) -> Result<Option<SignalId>, OrderStoreError> {
        let id: Option<i64> = self
            .conn
            .prepare_cached("SELECT signal_id FROM orders WHERE perm_id = ?1")?
            .query_row([perm_id], |row| row.get(0))
            .optional()?;
        Ok(id.map(SignalId::from_row))
    }

    /// The fills of one order in arrival order, with their commissions where known.
    pub(super) fn fills(&self, signal: SignalId) -> Result<Vec<FillRecord>, OrderStoreError> {
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

    /// Stores a refused signal with its code and message, in a transaction of its own.
    pub(super) fn insert_rejected_signal(
        &self,
        record: &SignalRecord<'_>,
        rejection: &Rejection,
    ) -> Result<SignalId, OrderStoreError> {
        self.write_one(|conn| insert_signal(conn, record, Some(rejection)))
    }

    /// Writes every mutable column of an order, in a transaction of its own.
    pub(super) fn update_order(&self, order: &OrderRecord) -> Result<(), OrderStoreError> {
        self.write_one(|conn| update_order(conn, order))
    }

    /// Raises the stored next order id of `client_id` to at least `next`, in a transaction of
    /// its own.
    pub(super) fn raise_next_order_id(
        &self,
        client_id: i32,
        next: i32,
    ) -> Result<(), OrderStoreError> {
        self.write_one(|conn| raise_next_order_id(conn, client_id, next))
    }
}

/// An open write transaction: the statements one operation commits together. Dropped without
/// [`commit`](Self::commit), it rolls back. Reads through the [`Database`] it came from see
/// its writes (one connection).
pub(super) struct Tx<'d> {
    tx: WriteTx<'d>,
}

impl Tx<'_> {
    /// `COMMIT`: the operation is durable (as far as `synchronous` makes it).
    pub(super) fn commit(self) -> Result<(), OrderStoreError> {
        Ok(self.tx.commit()?)
    }

    /// Stores an accepted signal; its id is the row id.
    pub(super) fn insert_accepted_signal(
        &self,
        record: &SignalRecord<'_>,
    ) -> Result<SignalId, OrderStoreError> {
        insert_signal(&self.tx, record, None)
    }

    /// Stores a new order. What only IB and fills add later (permId, IB's status, fills,
    /// commission, a note) starts empty, and `updated_ms` is `created_ms`: the statement binds
    /// only what a new order has, as few values as the hot path can.
    pub(super) fn insert_order(&self, order: &OrderRecord) -> Result<(), OrderStoreError> {
        debug_assert!(
            order.perm_id.is_none()
                && order.ib_status.is_none()
                && order.filled_qty == 0
                && order.commission == 0.0
                && order.note.is_none()
                && order.updated_ms == order.created_ms,
            "a new order has nothing from IB yet: {order:?}"
        );
        let terms = TermColumns::of(order.order_type, order.timing);
        let [t1, t2, t3, t4, t5, t6, t7, t8] = terms.values();
        self.tx.prepare_cached(INSERT_ORDER)?.execute(params![
            order.signal_id.row(),
            order.client_order_id,
            order.strategy,
            order.wasm_hash,
            order.instrument.symbol,
            order.instrument.market.as_str(),
            order.action.as_str(),
            order.quantity,
            t1,
            t2,
            t3,
            t4,
            t5,
            t6,
            t7,
            t8,
            order.state.as_str(),
            order.ib.map(|ib| ib.client_id),
            order.ib.map(|ib| ib.order_id),
            order.created_ms,
            order.sent_ms,
            order.exit_of.map(SignalId::row),
        ])?;
        Ok(())
    }

    /// Writes every mutable column of an order.
    pub(super) fn update_order(&self, order: &OrderRecord) -> Result<(), OrderStoreError> {
        update_order(&self.tx, order)
    }

    /// Writes an order and its strategy's ledger line for the order's symbol.
    pub(super) fn update_order_and_position(
        &self,
        order: &OrderRecord,
        position: &Position,
    ) -> Result<(), OrderStoreError> {
        update_order(&self.tx, order)?;
        self.tx
            .prepare_cached(
                "INSERT INTO positions
                     (strategy, symbol, market, quantity, avg_cost, realized_pnl, commissions,
                      updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (strategy, symbol) DO UPDATE SET
                     quantity = excluded.quantity, avg_cost = excluded.avg_cost,
                     realized_pnl = excluded.realized_pnl, commissions = excluded.commissions,
                     updated_ms = excluded.updated_ms",
            )?
            .execute(params![
                order.strategy,
                order.instrument.symbol,
                order.instrument.market.as_str(),
                position.quantity,
                position.avg_cost,
                position.realized_pnl,
                position.commissions,
                order.updated_ms,
            ])?;
        Ok(())
    }

    /// Raises the stored next order id of `client_id` to at least `next`.
    pub(super) fn raise_next_order_id(
        &self,
        client_id: i32,
        next: i32,
    ) -> Result<(), OrderStoreError> {
        raise_next_order_id(&self.tx, client_id, next)
    }

    /// Stores an execution as a fill of `signal` under its exec id `stem`; `false` if its
    /// exec id is already stored (nothing written).
    pub(super) fn insert_fill(
        &self,
        exec: &Execution,
        stem: &str,
        signal: SignalId,
        received_ms: i64,
    ) -> Result<bool, OrderStoreError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO fills
                     (exec_id, exec_stem, signal_id, quantity, price, time_ms, perm_id, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (exec_id) DO NOTHING",
            )?
            .execute(params![
                exec.exec_id,
                stem,
                signal.row(),
                exec.quantity,
                exec.price,
                exec.time_ms,
                exec.perm_id,
                received_ms
            ])?;
        Ok(inserted == 1)
    }

    /// The order a stored fill belongs to.
    pub(super) fn fill_owner(&self, exec_id: &str) -> Result<SignalId, OrderStoreError> {
        let owner = self.tx.query_row(
            "SELECT signal_id FROM fills WHERE exec_id = ?1",
            [exec_id],
            |row| row.get(0),
        )?;
        Ok(SignalId::from_row(owner))
    }

    /// The fill of this exec id `stem` that still counts, other than `exec_id` itself:
    /// `(exec_id, quantity, price)`.
    pub(super) fn counted_sibling(
        &self,
        stem: &str,
        exec_id: &str,
    ) -> Result<Option<(String, u32, f64)>, OrderStoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT exec_id, quantity, price FROM fills
                 WHERE exec_stem = ?1 AND exec_id <> ?2 AND replaced_by IS NULL",
            )?
            .query_row(params![stem, exec_id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?)
    }

    /// Records that the fill `exec_id` no longer counts: the correction `by` replaces it.
    pub(super) fn mark_replaced(&self, exec_id: &str, by: &str) -> Result<(), OrderStoreError> {
        self.tx
            .prepare_cached("UPDATE fills SET replaced_by = ?2 WHERE exec_id = ?1")?
            .execute([exec_id, by])?;
        Ok(())
    }

    /// A strategy's line recomputed from its counted fills of `symbol`, in execution-time
    /// order (commissions left at zero for the caller).
    pub(super) fn replay_position(
        &self,
        strategy: &str,
        symbol: &str,
    ) -> Result<Position, OrderStoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT o.action, f.quantity, f.price
             FROM fills f JOIN orders o ON o.signal_id = f.signal_id
             WHERE o.strategy = ?1 AND o.symbol = ?2 AND f.replaced_by IS NULL
             ORDER BY f.time_ms, f.seq",
        )?;
        let fills = stmt.query_map([strategy, symbol], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, u32>(1)?,
                row.get::<_, f64>(2)?,
            ))
        })?;
        let mut position = Position::default();
        for fill in fills {
            let (action, quantity, price) = fill?;
            let action = order_row::action(&action)
                .ok_or_else(|| OrderStoreError::Corrupt(format!("action {action:?}")))?;
            position.apply_fill(action.side(), quantity, price);
        }
        Ok(position)
    }

    /// Stores a commission report; `false` if its exec id already has one (nothing written).
    pub(super) fn insert_commission(
        &self,
        report: &CommissionReport,
        received_ms: i64,
    ) -> Result<bool, OrderStoreError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO commissions (exec_id, commission, currency, realized_pnl, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (exec_id) DO NOTHING",
            )?
            .execute(params![
                report.exec_id,
                report.commission,
                report.currency,
                report.realized_pnl,
                received_ms
            ])?;
        Ok(inserted == 1)
    }

    /// The stored commission of an exec id, if its report arrived.
    pub(super) fn commission_of(&self, exec_id: &str) -> Result<Option<f64>, OrderStoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT commission FROM commissions WHERE exec_id = ?1")?
            .query_row([exec_id], |row| row.get(0))
            .optional()?)
    }

    /// The stored fill of an exec id, if its execution arrived.
    pub(super) fn stored_fill(&self, exec_id: &str) -> Result<Option<StoredFill>, OrderStoreError> {
        let fill: Option<(i64, Option<String>)> = self
            .tx
            .prepare_cached("SELECT signal_id, replaced_by FROM fills WHERE exec_id = ?1")?
            .query_row([exec_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        Ok(fill.map(|(signal, replaced_by)| match replaced_by {
            None => StoredFill::Counts(SignalId::from_row(signal)),
            Some(_) => StoredFill::Replaced,
        }))
    }
}

/// Inserts a signal with its verdict: accepted (`None`) or this rejection.
fn insert_signal(
    conn: &Connection,
    record: &SignalRecord<'_>,
    rejection: Option<&Rejection>,
) -> Result<SignalId, OrderStoreError> {
    let terms = TermColumns::of(record.order_type, record.timing);
    let [t1, t2, t3, t4, t5, t6, t7, t8] = terms.values();
    // The last guard on what a row may hold: a refused signal is stored as the strategy wrote
    // it, and risk refuses an oversized symbol or reason, so here they are cut, never kept
    // whole.
    let id = conn.prepare_cached(INSERT_SIGNAL)?.insert(params![
        record.time_ms,
        record.strategy,
        record.wasm_hash,
        text::clip(record.symbol, SYMBOL_MAX_BYTES),
        record.action.as_str(),
        record.quantity,
        t1,
        t2,
        t3,
        t4,
        t5,
        t6,
        t7,
        t8,
        text::clip(record.reason, REASON_MAX_BYTES),
        if rejection.is_some() {
            "rejected"
        } else {
            "accepted"
        },
        rejection.map(|r| r.code.as_str()),
        rejection.map(|r| text::clip(&r.message, REASON_MAX_BYTES)),
    ])?;
    Ok(SignalId::from_row(id))
}

/// Writes what may change in an order's life: its state and IB's facts, and its quantity and
/// terms (a modify changes them).
fn update_order(conn: &Connection, order: &OrderRecord) -> Result<(), OrderStoreError> {
    let terms = TermColumns::of(order.order_type, order.timing);
    let [
        order_type,
        limit,
        stop,
        trail_amount,
        trail_percent,
        offset,
        tif,
        outside_rth,
    ] = terms.values();
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
        order.cancel_requested_ms,
        order.quantity,
        order_type,
        limit,
        stop,
        trail_amount,
        trail_percent,
        offset,
        tif,
        outside_rth,
        order.modify_requested_ms,
        order
            .modify_prior
            .map(|prior| serde_json::to_string(&prior).expect("terms serialize")),
    ])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(OrderStoreError::UnknownOrder(order.signal_id))
    }
}

/// Never lowers the stored id: a `nextValidId` rolled back by a gateway restart must not make
/// an id be used twice.
fn raise_next_order_id(
    conn: &Connection,
    client_id: i32,
    next: i32,
) -> Result<(), OrderStoreError> {
    conn.prepare_cached(
        "INSERT INTO ib_order_ids (client_id, next_order_id) VALUES (?1, ?2)
         ON CONFLICT (client_id) DO UPDATE SET
             next_order_id = max(next_order_id, excluded.next_order_id)",
    )?
    .execute(params![client_id, next])?;
    Ok(())
}

const INSERT_SIGNAL: &str = "INSERT INTO signals
    (time_ms, strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, stop_price,
     trail_amount, trail_percent, limit_offset, tif, outside_rth, reason, verdict, reject_code,
     reject_message)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

const INSERT_ORDER: &str = "INSERT INTO orders
    (signal_id, client_order_id, strategy, wasm_hash, symbol, market, action, quantity,
     order_type, limit_price, stop_price, trail_amount, trail_percent, limit_offset, tif,
     outside_rth, state, ib_client_id, ib_order_id, created_ms, sent_ms, updated_ms, exit_of)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
     ?20, ?21, ?20, ?22)";

const UPDATE_ORDER: &str = "UPDATE orders SET
    state = ?2, ib_client_id = ?3, ib_order_id = ?4, perm_id = ?5, ib_status = ?6,
    filled_qty = ?7, filled_notional = ?8, avg_price = ?9, commission = ?10, sent_ms = ?11,
    updated_ms = ?12, note = ?13, cancel_requested_ms = ?14, quantity = ?15, order_type = ?16,
    limit_price = ?17, stop_price = ?18, trail_amount = ?19, trail_percent = ?20,
    limit_offset = ?21, tif = ?22, outside_rth = ?23, modify_requested_ms = ?24,
    modify_prior = ?25
    WHERE signal_id = ?1";

#[cfg(test)]
mod tests;
