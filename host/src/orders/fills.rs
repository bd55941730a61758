//! Executions and commissions: the only way an order fills and the ledger moves.
//!
//! Invariants:
//!
//! - a fill is stored once per exec id; a repeated report is a no-op that says so;
//! - an order's `filled_qty` / `filled_notional` are the sums over its stored fills, updated in
//!   the transaction that stores the fill, so they can never count a fill twice;
//! - a commission is stored once per exec id and added to its order and ledger line exactly
//!   once: by the commission when its fill is already stored, else by the fill when it comes.
//!
//! Not handled yet: IB's execution *corrections* (same exec id stem, bumped suffix) are stored
//! as separate fills.

use rusqlite::{OptionalExtension, params};

use super::OrderStoreError;
use super::ids::SignalId;
use super::ledger::Position;
use super::record::{
    CommissionOutcome, CommissionReport, Execution, ExecutionOutcome, FillApplied, OrderRecord,
    StateChange,
};
use super::state::{OrderEvent, transition};
use super::store::{OrderStore, load_order, now_ms, save_order, save_position};
use super::tx::WriteTx;

impl OrderStore {
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
        let Some(before) = self.order_for_execution(exec)? else {
            return Ok(ExecutionOutcome::NotOurs);
        };
        let signal = before.signal_id;
        if exec.quantity == 0 {
            return Err(OrderStoreError::InvalidExecution(format!(
                "execution {} for order {signal} has quantity 0",
                exec.exec_id
            )));
        }
        if exec.side != before.side() {
            return Err(OrderStoreError::InvalidExecution(format!(
                "execution {} is a {} but order {signal} is a {}",
                exec.exec_id,
                exec.side,
                before.side()
            )));
        }
        let now = now_ms();
        let tx = WriteTx::begin(&self.conn)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO fills (exec_id, signal_id, quantity, price, time_ms, perm_id, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (exec_id) DO NOTHING",
            )?
            .execute(params![
                exec.exec_id,
                signal.row(),
                exec.quantity,
                exec.price,
                exec.time_ms,
                exec.perm_id,
                now
            ])?;
        if inserted == 0 {
            let owner: i64 = tx.query_row(
                "SELECT signal_id FROM fills WHERE exec_id = ?1",
                [&exec.exec_id],
                |row| row.get(0),
            )?;
            return Ok(ExecutionOutcome::Duplicate {
                signal_id: SignalId::from_row(owner),
            });
        }
        let commission = commission_of(&tx, &exec.exec_id)?.unwrap_or(0.0);

        let mut after = before.clone();
        after.filled_qty += i64::from(exec.quantity);
        after.filled_notional += f64::from(exec.quantity) * exec.price;
        after.avg_price = Some(after.filled_notional / after.filled_qty as f64);
        after.commission += commission;
        if after.perm_id.is_none() {
            after.perm_id = exec.perm_id.filter(|id| *id != 0);
        }
        let complete = after.filled_qty >= i64::from(after.quantity);
        after.state = transition(before.state, OrderEvent::Fill { complete })
            .map_err(|source| OrderStoreError::Transition { signal, source })?;
        after.updated_ms = now;

        let mut position = self
            .ledger
            .position(&after.strategy, &after.instrument.symbol);
        position.apply_fill(exec.side, exec.quantity, exec.price);
        position.commissions += commission;
        save_order_and_position(&tx, &after, &position)?;
        tx.commit()?;

        let applied = FillApplied {
            signal_id: signal,
            strategy: after.strategy.clone(),
            action: after.action,
            instrument: after.instrument.clone(),
            quantity: exec.quantity,
            price: exec.price,
            time_ms: exec.time_ms,
            state: StateChange {
                from: before.state,
                to: after.state,
            },
            filled_qty: after.filled_qty,
            avg_price: after.filled_notional / after.filled_qty as f64,
            overfilled: after.filled_qty > i64::from(after.quantity),
        };
        self.remember_with_position(before.pending(), after, position);
        Ok(ExecutionOutcome::Recorded(applied))
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
        let now = now_ms();
        let tx = WriteTx::begin(&self.conn)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO commissions (exec_id, commission, currency, realized_pnl, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (exec_id) DO NOTHING",
            )?
            .execute(params![
                report.exec_id,
                report.commission,
                report.currency,
                report.realized_pnl,
                now
            ])?;
        if inserted == 0 {
            return Ok(CommissionOutcome::Duplicate);
        }
        let owner: Option<i64> = tx
            .prepare_cached("SELECT signal_id FROM fills WHERE exec_id = ?1")?
            .query_row([&report.exec_id], |row| row.get(0))
            .optional()?;
        let Some(owner) = owner else {
            tx.commit()?;
            return Ok(CommissionOutcome::AwaitingExecution);
        };
        let signal = SignalId::from_row(owner);
        let before =
            load_order(&tx, &self.working, signal)?.ok_or(OrderStoreError::UnknownOrder(signal))?;
        let mut after = before.clone();
        after.commission += report.commission;
        after.updated_ms = now;
        let mut position = self
            .ledger
            .position(&after.strategy, &after.instrument.symbol);
        position.commissions += report.commission;
        save_order_and_position(&tx, &after, &position)?;
        tx.commit()?;
        self.remember_with_position(before.pending(), after, position);
        Ok(CommissionOutcome::Applied { signal_id: signal })
    }

    /// The order an execution belongs to: by `orderRef` if it is ours, else by `permId`
    /// (IB echoes `orderRef`; `permId` covers a report without it).
    fn order_for_execution(
        &self,
        exec: &Execution,
    ) -> Result<Option<OrderRecord>, OrderStoreError> {
        if let Some(order) = self.order_by_ref(&exec.order_ref)? {
            return Ok(Some(order));
        }
        let Some(perm_id) = exec.perm_id.filter(|id| *id != 0) else {
            return Ok(None);
        };
        let owner: Option<i64> = self
            .conn
            .prepare_cached("SELECT signal_id FROM orders WHERE perm_id = ?1")?
            .query_row([perm_id], |row| row.get(0))
            .optional()?;
        match owner {
            Some(id) => self.order(SignalId::from_row(id)),
            None => Ok(None),
        }
    }
}

fn commission_of(
    conn: &rusqlite::Connection,
    exec_id: &str,
) -> Result<Option<f64>, OrderStoreError> {
    Ok(conn
        .prepare_cached("SELECT commission FROM commissions WHERE exec_id = ?1")?
        .query_row([exec_id], |row| row.get(0))
        .optional()?)
}

/// Writes an order and its strategy's ledger line (in the caller's transaction).
fn save_order_and_position(
    conn: &rusqlite::Connection,
    order: &OrderRecord,
    position: &Position,
) -> Result<(), OrderStoreError> {
    save_order(conn, order)?;
    save_position(
        conn,
        &order.strategy,
        &order.instrument,
        position,
        order.updated_ms,
    )
}

impl OrderStore {
    /// Memory after a committed fill or commission: the order's line gets its new position,
    /// then the order itself is remembered.
    fn remember_with_position(
        &mut self,
        pending_before: i64,
        order: OrderRecord,
        position: Position,
    ) {
        let instrument = &order.instrument;
        self.ledger
            .entry(&order.strategy, &instrument.symbol, instrument.market)
            .position = position;
        self.remember(pending_before, order);
    }
}
