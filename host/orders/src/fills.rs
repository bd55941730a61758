//! Executions and commissions: the only way an order fills and the ledger moves.
//!
//! Invariants:
//!
//! - a fill is stored once per exec id; a repeated report is a no-op that says so;
//! - an order's `filled_qty` / `filled_notional` are the sums over its stored fills, updated in
//!   the transaction that stores the fill, so they can never count a fill twice;
//! - a commission is stored once per exec id and added to its order and ledger line exactly
//!   once: by the commission when its fill is already stored, else by the fill when it comes;
//! - a correction (same exec id stem, later suffix) replaces the fill it corrects, whichever
//!   arrives first: only the latest execution of a stem counts, and only its commission.

use sandtrade_core::Position;

use super::OrderStoreError;
use super::database::{Database, StoredFill, Tx};
use super::ledger::Ledger;
use super::lookup;
use super::record::{
    CommissionOutcome, CommissionReport, Execution, ExecutionOutcome, FillApplied, OrderRecord,
    StateChange, now_ms,
};
use super::state::{OrderEvent, transition};
use super::working::WorkingSet;

/// Records one execution for the order its `orderRef` (or, failing that, its `permId`) names:
/// the fill, the order's totals and state, and the strategy's position, in one transaction.
pub(super) fn record_execution(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    exec: &Execution,
) -> Result<ExecutionOutcome, OrderStoreError> {
    let Some(before) = order_for_execution(database, working, exec)? else {
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
    let tx = database.begin()?;
    let stem = exec_stem(&exec.exec_id);
    if !tx.insert_fill(exec, stem, signal, now)? {
        return Ok(ExecutionOutcome::Duplicate {
            signal_id: tx.fill_owner(&exec.exec_id)?,
        });
    }
    if let Some((earlier, quantity, price)) = tx.counted_sibling(stem, &exec.exec_id)? {
        if !is_later_exec_id(&exec.exec_id, &earlier) {
            tx.mark_replaced(&exec.exec_id, &earlier)?;
            tx.commit()?;
            return Ok(ExecutionOutcome::Superseded {
                signal_id: signal,
                by: earlier,
            });
        }
        let replaced = Replaced {
            exec_id: earlier,
            quantity,
            price,
        };
        let (after, position) = correct(&tx, ledger, &before, exec, &replaced)?;
        tx.commit()?;
        let outcome = ExecutionOutcome::Corrected {
            signal_id: signal,
            replaced: replaced.exec_id,
            filled_qty: after.filled_qty,
            avg_price: after.avg_price,
        };
        remember(working, ledger, after, position);
        return Ok(outcome);
    }
    let commission = tx.commission_of(&exec.exec_id)?.unwrap_or(0.0);

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
        .map_err(|error| OrderStoreError::Transition { signal, error })?;
    after.updated_ms = now;

    let mut position = ledger.position(&after.strategy, &after.instrument.symbol);
    position.apply_fill(exec.side, exec.quantity, exec.price);
    position.commissions += commission;
    tx.update_order_and_position(&after, &position)?;
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
    remember(working, ledger, after, position);
    Ok(ExecutionOutcome::Recorded(applied))
}

/// Records one commission report and joins it to its fill by exec id, whichever of the two
/// arrived first.
pub(super) fn record_commission(
    database: &Database,
    working: &mut WorkingSet,
    ledger: &mut Ledger,
    report: &CommissionReport,
) -> Result<CommissionOutcome, OrderStoreError> {
    let now = now_ms();
    let tx = database.begin()?;
    if !tx.insert_commission(report, now)? {
        return Ok(CommissionOutcome::Duplicate);
    }
    let signal = match tx.stored_fill(&report.exec_id)? {
        None => {
            tx.commit()?;
            return Ok(CommissionOutcome::AwaitingExecution);
        }
        Some(StoredFill::Replaced) => {
            tx.commit()?;
            return Ok(CommissionOutcome::ForReplacedExecution);
        }
        Some(StoredFill::Counts(signal)) => signal,
    };
    let before =
        lookup::order(database, working, signal)?.ok_or(OrderStoreError::UnknownOrder(signal))?;
    let mut after = before.clone();
    after.commission += report.commission;
    after.updated_ms = now;
    let mut position = ledger.position(&after.strategy, &after.instrument.symbol);
    position.commissions += report.commission;
    tx.update_order_and_position(&after, &position)?;
    tx.commit()?;
    remember(working, ledger, after, position);
    Ok(CommissionOutcome::Applied { signal_id: signal })
}

/// The order an execution belongs to: by `orderRef` if it is ours, else by `permId`
/// (IB echoes `orderRef`; `permId` covers a report without it).
fn order_for_execution(
    database: &Database,
    working: &WorkingSet,
    exec: &Execution,
) -> Result<Option<OrderRecord>, OrderStoreError> {
    if let Some(order) = lookup::order_by_ref(database, working, &exec.order_ref)? {
        return Ok(Some(order));
    }
    let Some(perm_id) = exec.perm_id.filter(|id| *id != 0) else {
        return Ok(None);
    };
    match database.order_with_perm_id(perm_id)? {
        Some(signal) => lookup::order(database, working, signal),
        None => Ok(None),
    }
}

/// Memory after a committed fill or commission: the order's line gets its new position, then
/// the order is filed.
fn remember(working: &mut WorkingSet, ledger: &mut Ledger, order: OrderRecord, position: Position) {
    let instrument = &order.instrument;
    ledger.set_position(
        &order.strategy,
        &instrument.symbol,
        instrument.market,
        position,
    );
    working.file(order, ledger);
}

/// The fill a correction replaces.
struct Replaced {
    exec_id: String,
    quantity: u32,
    price: f64,
}

/// The order and the strategy's line once the correction `exec` (already inserted in `tx`)
/// replaces `replaced`: the order's totals move by the difference, its commission swaps the
/// old fill's for the new one's, and the line is recomputed from the strategy's counted fills
/// in execution-time order. Both are written in `tx`.
fn correct(
    tx: &Tx<'_>,
    ledger: &Ledger,
    before: &OrderRecord,
    exec: &Execution,
    replaced: &Replaced,
) -> Result<(OrderRecord, Position), OrderStoreError> {
    let signal = before.signal_id;
    tx.mark_replaced(&replaced.exec_id, &exec.exec_id)?;
    let old_commission = tx.commission_of(&replaced.exec_id)?.unwrap_or(0.0);
    let new_commission = tx.commission_of(&exec.exec_id)?.unwrap_or(0.0);

    let mut after = before.clone();
    after.filled_qty += i64::from(exec.quantity) - i64::from(replaced.quantity);
    after.filled_notional +=
        f64::from(exec.quantity) * exec.price - f64::from(replaced.quantity) * replaced.price;
    after.avg_price =
        (after.filled_qty > 0).then(|| after.filled_notional / after.filled_qty as f64);
    after.commission += new_commission - old_commission;
    if after.filled_qty >= i64::from(after.quantity) {
        after.state = transition(before.state, OrderEvent::Fill { complete: true })
            .map_err(|error| OrderStoreError::Transition { signal, error })?;
    }
    after.updated_ms = now_ms();

    let mut position = tx.replay_position(&after.strategy, &after.instrument.symbol)?;
    position.commissions = ledger
        .position(&after.strategy, &after.instrument.symbol)
        .commissions
        + new_commission
        - old_commission;
    tx.update_order_and_position(&after, &position)?;
    Ok((after, position))
}

/// The part of an exec id before its last `.`: a correction keeps it and bumps the suffix
/// (`0000e0d5.65a8b2c1.01.01` → `….01.02`). An id without a `.` is its own stem.
fn exec_stem(exec_id: &str) -> &str {
    exec_id.rsplit_once('.').map_or(exec_id, |(stem, _)| stem)
}

/// Whether `a`'s suffix comes after `b`'s (same stem): longer is later, else by text, which for
/// IB's fixed-width digit suffixes is numeric order.
fn is_later_exec_id(a: &str, b: &str) -> bool {
    let suffix = |id: &str| {
        id.rsplit_once('.')
            .map_or("", |(_, suffix)| suffix)
            .to_owned()
    };
    let (sa, sb) = (suffix(a), suffix(b));
    (sa.len(), sa) > (sb.len(), sb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_keep_the_stem_and_bump_the_suffix() {
        assert_eq!(exec_stem("0000e0d5.65a8b2c1.01.01"), "0000e0d5.65a8b2c1.01");
        assert_eq!(exec_stem("e7"), "e7");
        assert!(is_later_exec_id("a.01.02", "a.01.01"));
        assert!(is_later_exec_id("a.01.10", "a.01.09"));
        assert!(is_later_exec_id("a.01.100", "a.01.99"));
        assert!(!is_later_exec_id("a.01.01", "a.01.02"));
    }
}
