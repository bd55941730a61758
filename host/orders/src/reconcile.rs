//! Reconciliation: after every connect and reconnect, bring each order that may be at IB in
//! line with what IB reports for it.
//!
//! The broker gathers a complete [`BrokerSnapshot`] first (`nextValidId`, `reqAllOpenOrders`,
//! `reqCompletedOrders(apiOnly)`, `reqExecutions` with their commission reports, each read to
//! its end marker), *before* it sends anything new; then [`OrderStore::reconcile`] applies it.
//!
//! Invariants:
//!
//! - **No blind resend.** Reconciliation never puts an order back in the queue. An order with
//!   no trace at IB becomes (or stays) `unknown` and is reported; only the live process that
//!   saw a send fail before the wire ([`OrderStore::return_unsent`]) or an operator
//!   ([`OrderStore::release_unknown`]) can requeue it.
//! - **Executions first.** Every execution is applied (deduplicated by exec id) before any
//!   status, so an order's state is decided knowing all its fills; fills are never made up
//!   from a status.
//! - **Matched by permId, then orderRef.** IB's `orderId` is only unique per session and
//!   clientId and is used for nothing here but the id floor.
//! - **Ids only go up.** The floor becomes `max(stored, nextValidId, highest id IB reported + 1)`.
//! - Running it twice with the same snapshot changes nothing the second time.

use super::OrderStoreError;
use super::ids::{SignalId, parse_client_order_id};
use super::record::{
    CommissionReport, Execution, ExecutionOutcome, IbOrderId, OrderRecord, StateChange,
};
use super::state::{IbStatus, OrderState};
use super::store::OrderStore;

/// One order as IB reports it in `openOrder` or `completedOrder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbOrderReport {
    /// `Order.orderRef`.
    pub order_ref: String,
    /// The clientId and `orderId` it was placed with.
    pub ib: IbOrderId,
    /// `Order.permId` (0 if IB did not give one).
    pub perm_id: i64,
    /// `OrderState.status`.
    pub status: IbStatus,
}

/// Everything IB reported after a (re)connect, gathered to the end of each answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrokerSnapshot {
    /// The connection's clientId.
    pub client_id: i32,
    /// `nextValidId` as IB sent it on connect.
    pub next_valid_id: i32,
    /// Open orders (`reqAllOpenOrders`: every client's, so an order placed under a fallback
    /// clientId is found too).
    pub open_orders: Vec<IbOrderReport>,
    /// Filled, cancelled and inactive orders (`reqCompletedOrders`).
    pub completed_orders: Vec<IbOrderReport>,
    /// Executions (`reqExecutions`), any order, any number of times.
    pub executions: Vec<Execution>,
    /// The commission reports that came with them.
    pub commissions: Vec<CommissionReport>,
}

/// What reconciliation decided for one order, from its local record and IB's reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// IB has the order in this status: apply it (and record the permId).
    Status {
        /// IB's status for the order.
        status: IbStatus,
        /// IB's permId.
        perm_id: i64,
    },
    /// Executions already cover the order; IB agrees or says nothing. Nothing to do.
    Settled,
    /// IB says `Filled` but the executions we have do not cover the quantity. The order
    /// becomes `unknown` until executions for more days are requested; fills are never made up.
    FilledWithoutExecutions,
    /// IB has no trace of the order. It becomes (or stays) `unknown`; never resent.
    NoTrace,
}

/// Decides one order. Pure: `open` and `completed` are IB's reports for this order, if any.
/// An open report wins over a completed one (it is the newer truth).
pub fn decide(
    order: &OrderRecord,
    open: Option<&IbOrderReport>,
    completed: Option<&IbOrderReport>,
) -> Decision {
    let covered = order.filled_qty >= i64::from(order.quantity);
    match open.or(completed) {
        Some(report) if report.status == IbStatus::Filled => {
            if covered {
                Decision::Settled
            } else {
                Decision::FilledWithoutExecutions
            }
        }
        Some(report) => Decision::Status {
            status: report.status,
            perm_id: report.perm_id,
        },
        None if covered => Decision::Settled,
        None => Decision::NoTrace,
    }
}

/// Something reconciliation could not settle by itself: show it to the operator.
#[derive(Debug, Clone, PartialEq)]
pub enum ReconcileIssue {
    /// IB has no trace of this order; it is `unknown` and will not be resent automatically.
    NoTraceAtIb {
        /// The order.
        signal_id: SignalId,
        /// Its state before reconciliation.
        was: OrderState,
    },
    /// IB says filled, our executions do not cover it: request executions for more days.
    FilledWithoutExecutions {
        /// The order.
        signal_id: SignalId,
        /// Shares our executions cover.
        filled_qty: i64,
        /// Shares ordered.
        quantity: u32,
    },
    /// An execution was refused (e.g. its side contradicts the order).
    ExecutionRefused {
        /// IB's exec id.
        exec_id: String,
        /// Why.
        reason: String,
    },
    /// IB has an order open, in our `orderRef` form, that matches no order here: another
    /// database's, or one whose row was lost with the last commits before a power failure at
    /// `synchronous = normal`. Cancel or adopt it by hand; it is never attributed by guess.
    UnmatchedAtIb {
        /// IB's `orderRef`.
        order_ref: String,
        /// IB's status.
        ib_status: IbStatus,
    },
    /// IB has an order open with one of our `orderRef`s that the store holds as finished.
    OpenAtIbButFinishedHere {
        /// The order.
        signal_id: SignalId,
        /// Its local state.
        state: OrderState,
        /// IB's status.
        ib_status: IbStatus,
    },
}

impl std::fmt::Display for ReconcileIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoTraceAtIb { signal_id, was } => write!(
                f,
                "order {signal_id} was {was} and IB has no trace of it: it is unknown now, and \
                 is not sent again unless an operator releases it"
            ),
            Self::FilledWithoutExecutions {
                signal_id,
                filled_qty,
                quantity,
            } => write!(
                f,
                "IB reports order {signal_id} filled, but the executions recorded here cover \
                 {filled_qty} of its {quantity} shares: request the executions of more days"
            ),
            Self::ExecutionRefused { exec_id, reason } => {
                write!(f, "execution {exec_id} was not recorded: {reason}")
            }
            Self::UnmatchedAtIb {
                order_ref,
                ib_status,
            } => write!(
                f,
                "IB has an open order ({ib_status}) with orderRef {order_ref}, in this host's \
                 form, that matches no order here: cancel or adopt it by hand"
            ),
            Self::OpenAtIbButFinishedHere {
                signal_id,
                state,
                ib_status,
            } => write!(
                f,
                "order {signal_id} is {state} here, but IB has it open ({ib_status})"
            ),
        }
    }
}

/// What [`OrderStore::reconcile`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReconcileReport {
    /// The IB order id the next order on this clientId gets.
    pub next_order_id: i32,
    /// Executions recorded for the first time (corrections included).
    pub new_fills: usize,
    /// Executions already known, or replaced by a known correction.
    pub duplicate_fills: usize,
    /// Executions of orders that are not ours (manual orders, other hosts).
    pub foreign_fills: usize,
    /// State changes, in the order they happened (fills first): `(order, change)`.
    pub changed: Vec<(SignalId, StateChange)>,
    /// What needs an operator.
    pub issues: Vec<ReconcileIssue>,
}

/// Applies a complete [`BrokerSnapshot`] through the store's own operations (see the module
/// docs for the invariants): what [`OrderStore::reconcile`] does.
pub(super) fn apply(
    store: &mut OrderStore,
    snapshot: &BrokerSnapshot,
) -> Result<ReconcileReport, OrderStoreError> {
    let mut report = ReconcileReport::default();
    let highest_seen = snapshot
        .open_orders
        .iter()
        .chain(&snapshot.completed_orders)
        .filter(|o| o.ib.client_id == snapshot.client_id)
        .map(|o| o.ib.order_id.saturating_add(1))
        .max()
        .unwrap_or(i32::MIN);
    report.next_order_id = store
        .observe_next_valid_id(snapshot.client_id, snapshot.next_valid_id.max(highest_seen))?;

    for exec in &snapshot.executions {
        match store.record_execution(exec) {
            Ok(ExecutionOutcome::Recorded(fill)) => {
                report.new_fills += 1;
                if fill.state.changed() {
                    report.changed.push((fill.signal_id, fill.state));
                }
            }
            Ok(ExecutionOutcome::Corrected { .. }) => report.new_fills += 1,
            Ok(ExecutionOutcome::Duplicate { .. } | ExecutionOutcome::Superseded { .. }) => {
                report.duplicate_fills += 1;
            }
            Ok(ExecutionOutcome::NotOurs) => report.foreign_fills += 1,
            Err(OrderStoreError::InvalidExecution(reason)) => {
                report.issues.push(ReconcileIssue::ExecutionRefused {
                    exec_id: exec.exec_id.clone(),
                    reason,
                });
            }
            Err(other) => return Err(other),
        }
    }
    for commission in &snapshot.commissions {
        store.record_commission(commission)?;
    }

    let targets: Vec<OrderRecord> = store.orders_to_reconcile().into_iter().cloned().collect();
    for order in &targets {
        let open = find(&snapshot.open_orders, order);
        let completed = find(&snapshot.completed_orders, order);
        let signal = order.signal_id;
        let change = match decide(order, open, completed) {
            Decision::Status { status, perm_id } => {
                store.apply_status(signal, status, Some(perm_id))?
            }
            Decision::Settled => continue,
            Decision::FilledWithoutExecutions => {
                report.issues.push(ReconcileIssue::FilledWithoutExecutions {
                    signal_id: signal,
                    filled_qty: order.filled_qty,
                    quantity: order.quantity,
                });
                store.mark_unknown(signal, "IB reports Filled but executions do not cover it")?
            }
            Decision::NoTrace => {
                report.issues.push(ReconcileIssue::NoTraceAtIb {
                    signal_id: signal,
                    was: order.state,
                });
                store.mark_unknown(signal, "no trace at IB after a full reconciliation")?
            }
        };
        if change.changed() {
            report.changed.push((signal, change));
        }
    }

    for open in &snapshot.open_orders {
        if open.status == IbStatus::Filled || parse_client_order_id(&open.order_ref).is_none() {
            continue;
        }
        match store.order_by_ref(&open.order_ref)? {
            Some(order) if order.state.is_terminal() => {
                report.issues.push(ReconcileIssue::OpenAtIbButFinishedHere {
                    signal_id: order.signal_id,
                    state: order.state,
                    ib_status: open.status,
                });
            }
            Some(_) => {}
            None => report.issues.push(ReconcileIssue::UnmatchedAtIb {
                order_ref: open.order_ref.clone(),
                ib_status: open.status,
            }),
        }
    }
    Ok(report)
}

/// IB's report for `order`: by permId when both sides know it, else by orderRef.
fn find<'a>(reports: &'a [IbOrderReport], order: &OrderRecord) -> Option<&'a IbOrderReport> {
    let by_perm = order
        .perm_id
        .and_then(|perm| reports.iter().find(|r| r.perm_id != 0 && r.perm_id == perm));
    by_perm.or_else(|| {
        reports
            .iter()
            .find(|r| r.order_ref == order.client_order_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_core::normalize;
    use sandtrade_core::{Action, OrderType};

    fn order(state: OrderState, filled_qty: i64) -> OrderRecord {
        OrderRecord {
            signal_id: SignalId::from_row(7),
            client_order_id: "st-k3v9q2xa-7".into(),
            strategy: "s".into(),
            wasm_hash: "h".into(),
            instrument: normalize("AAPL").unwrap(),
            action: Action::OpenLong,
            quantity: 100,
            order_type: OrderType::Market,
            timing: sandtrade_core::Timing::DAY,
            state,
            ib: Some(IbOrderId {
                client_id: 1,
                order_id: 10,
            }),
            perm_id: None,
            ib_status: None,
            filled_qty,
            filled_notional: 0.0,
            avg_price: None,
            commission: 0.0,
            created_ms: 0,
            sent_ms: Some(0),
            updated_ms: 0,
            note: None,
            cancel_requested_ms: None,
            modify_requested_ms: None,
            modify_prior: None,
            exit_of: None,
        }
    }

    fn report(status: IbStatus) -> IbOrderReport {
        IbOrderReport {
            order_ref: "st-k3v9q2xa-7".into(),
            ib: IbOrderId {
                client_id: 1,
                order_id: 10,
            },
            perm_id: 555,
            status,
        }
    }

    #[test]
    fn open_order_wins_over_completed() {
        let open = report(IbStatus::Submitted);
        let done = report(IbStatus::Cancelled);
        assert_eq!(
            decide(&order(OrderState::Sending, 0), Some(&open), Some(&done)),
            Decision::Status {
                status: IbStatus::Submitted,
                perm_id: 555
            }
        );
        assert_eq!(
            decide(&order(OrderState::Unknown, 0), None, Some(&done)),
            Decision::Status {
                status: IbStatus::Cancelled,
                perm_id: 555
            }
        );
    }

    #[test]
    fn filled_status_is_never_turned_into_fills() {
        let filled = report(IbStatus::Filled);
        assert_eq!(
            decide(&order(OrderState::Submitted, 40), None, Some(&filled)),
            Decision::FilledWithoutExecutions
        );
        assert_eq!(
            decide(&order(OrderState::Filled, 100), None, Some(&filled)),
            Decision::Settled
        );
    }

    #[test]
    fn nothing_at_ib_is_no_trace_unless_fills_cover_it() {
        assert_eq!(
            decide(&order(OrderState::Sending, 0), None, None),
            Decision::NoTrace
        );
        assert_eq!(
            decide(&order(OrderState::PartiallyFilled, 60), None, None),
            Decision::NoTrace
        );
        assert_eq!(
            decide(&order(OrderState::Filled, 100), None, None),
            Decision::Settled
        );
    }

    #[test]
    fn matching_prefers_perm_id_over_order_ref() {
        let mut mine = order(OrderState::Submitted, 0);
        mine.perm_id = Some(555);
        let renamed = IbOrderReport {
            order_ref: "other".into(),
            ..report(IbStatus::Submitted)
        };
        let reports = [renamed.clone()];
        assert_eq!(find(&reports, &mine), Some(&renamed));
        mine.perm_id = Some(1);
        assert_eq!(find(&reports, &mine), None);
    }

    #[test]
    fn issues_read_as_sentences() {
        let no_trace = ReconcileIssue::NoTraceAtIb {
            signal_id: SignalId::from_row(7),
            was: OrderState::Sending,
        };
        assert_eq!(
            no_trace.to_string(),
            "order 7 was sending and IB has no trace of it: it is unknown now, and is not sent \
             again unless an operator releases it"
        );
        let finished = ReconcileIssue::OpenAtIbButFinishedHere {
            signal_id: SignalId::from_row(8),
            state: OrderState::Cancelled,
            ib_status: IbStatus::Submitted,
        };
        assert_eq!(
            finished.to_string(),
            "order 8 is cancelled here, but IB has it open (Submitted)"
        );
    }
}
