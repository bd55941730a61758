//! Reconciliation after a crash or reconnect: each order settled by what IB reports.

use sandtrade_core::{Action, Side};
use sandtrade_orders::{
    BrokerSnapshot, IbOrderId, IbOrderReport, IbStatus, OrderState, OrderStore, ReconcileIssue,
    SignalId, StateChange,
};

use crate::{TempDb, accept, commission, exec, memory_image, signal};

const CLIENT: i32 = 3;

/// Four orders taken for sending, then the process "crashes" (the store is dropped).
fn four_sending_orders(db: &TempDb) -> (Vec<SignalId>, Vec<String>) {
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 100).unwrap();
    let ids: Vec<SignalId> = (0..4)
        .map(|_| accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 50)))
        .collect();
    let refs = store
        .take_next(CLIENT, 4)
        .unwrap()
        .into_iter()
        .map(|o| o.client_order_id)
        .collect();
    (ids, refs)
}

fn ib_report(order_ref: &str, order_id: i32, perm_id: i64, status: IbStatus) -> IbOrderReport {
    IbOrderReport {
        order_ref: order_ref.to_owned(),
        ib: IbOrderId {
            client_id: CLIENT,
            order_id,
        },
        perm_id,
        status,
    }
}

fn state(store: &OrderStore, id: SignalId) -> OrderState {
    store.order(id).unwrap().unwrap().state
}

#[test]
fn sending_rows_after_a_crash_are_settled_by_ib_and_never_requeued() {
    let db = TempDb::default();
    let (ids, refs) = four_sending_orders(&db);
    let mut store = db.open();
    assert_eq!(
        store
            .orders_to_reconcile()
            .iter()
            .map(|o| o.signal_id)
            .collect::<Vec<_>>(),
        ids
    );

    // IB: order 0 is open, order 1 was cancelled, order 2 filled (its executions came with the
    // snapshot, one of them twice), order 3 is nowhere. nextValidId rolled back to 1.
    let snapshot = BrokerSnapshot {
        client_id: CLIENT,
        next_valid_id: 1,
        open_orders: vec![ib_report(&refs[0], 100, 900, IbStatus::Submitted)],
        completed_orders: vec![
            ib_report(&refs[1], 101, 901, IbStatus::Cancelled),
            ib_report(&refs[2], 102, 902, IbStatus::Filled),
        ],
        executions: vec![
            exec("x-1", &refs[2], Side::Buy, 20, 10.0),
            exec("x-2", &refs[2], Side::Buy, 30, 11.0),
            exec("x-1", &refs[2], Side::Buy, 20, 10.0),
            exec("m-1", "someone-else", Side::Buy, 5, 1.0),
        ],
        commissions: vec![commission("x-1", 0.2), commission("x-2", 0.3)],
    };
    let report = store.reconcile(&snapshot).unwrap();

    assert_eq!(
        report.next_order_id, 104,
        "past the stored floor, not the rolled-back 1"
    );
    assert_eq!(
        (
            report.new_fills,
            report.duplicate_fills,
            report.foreign_fills
        ),
        (2, 1, 1)
    );
    assert_eq!(
        report.changed,
        [
            (
                ids[2],
                StateChange {
                    from: OrderState::Sending,
                    to: OrderState::PartiallyFilled
                }
            ),
            (
                ids[2],
                StateChange {
                    from: OrderState::PartiallyFilled,
                    to: OrderState::Filled
                }
            ),
            (
                ids[0],
                StateChange {
                    from: OrderState::Sending,
                    to: OrderState::Submitted
                }
            ),
            (
                ids[1],
                StateChange {
                    from: OrderState::Sending,
                    to: OrderState::Cancelled
                }
            ),
            (
                ids[3],
                StateChange {
                    from: OrderState::Sending,
                    to: OrderState::Unknown
                }
            ),
        ]
    );
    assert_eq!(
        report.issues,
        [ReconcileIssue::NoTraceAtIb {
            signal_id: ids[3],
            was: OrderState::Sending
        }]
    );

    assert_eq!(state(&store, ids[0]), OrderState::Submitted);
    assert_eq!(store.order(ids[0]).unwrap().unwrap().perm_id, Some(900));
    assert_eq!(state(&store, ids[1]), OrderState::Cancelled);
    let filled = store.order(ids[2]).unwrap().unwrap();
    assert_eq!(
        (filled.state, filled.filled_qty, filled.avg_price),
        (OrderState::Filled, 50, Some(10.6))
    );
    assert_eq!(filled.commission, 0.5);
    assert_eq!(state(&store, ids[3]), OrderState::Unknown);
    assert_eq!(store.queued_len(), 0, "nothing was requeued");
    assert_eq!(store.take_next(CLIENT, 10).unwrap(), []);
    // Pending: 0 (open, 50) + 3 (unknown, 50); held: 50 from order 2.
    let exposure = store.exposure("alpha", "AAPL");
    assert_eq!((exposure.held, exposure.pending_buys), (50, 100));

    // The same snapshot again changes nothing.
    let image = memory_image(&store);
    let again = store.reconcile(&snapshot).unwrap();
    assert_eq!((again.new_fills, again.duplicate_fills), (0, 3));
    assert_eq!(again.changed, []);
    assert_eq!(
        again.issues,
        [ReconcileIssue::NoTraceAtIb {
            signal_id: ids[3],
            was: OrderState::Unknown
        }]
    );
    assert_eq!(memory_image(&store), image);

    // A later reconcile that finds the lost order open resolves it.
    let found = BrokerSnapshot {
        client_id: CLIENT,
        next_valid_id: 104,
        open_orders: vec![
            ib_report(&refs[0], 100, 900, IbStatus::Submitted),
            ib_report(&refs[3], 103, 903, IbStatus::PreSubmitted),
        ],
        ..BrokerSnapshot::default()
    };
    let report = store.reconcile(&found).unwrap();
    assert_eq!(
        report.changed,
        [(
            ids[3],
            StateChange {
                from: OrderState::Unknown,
                to: OrderState::Submitted
            }
        )]
    );
    assert_eq!(report.issues, []);
}

#[test]
fn a_filled_status_without_executions_makes_unknown_never_a_made_up_fill() {
    let db = TempDb::default();
    let (ids, refs) = four_sending_orders(&db);
    let mut store = db.open();
    let snapshot = BrokerSnapshot {
        client_id: CLIENT,
        next_valid_id: 104,
        open_orders: refs
            .iter()
            .skip(1)
            .enumerate()
            .map(|(i, r)| ib_report(r, 101 + i as i32, 0, IbStatus::Submitted))
            .collect(),
        completed_orders: vec![ib_report(&refs[0], 100, 900, IbStatus::Filled)],
        executions: vec![exec("y-1", &refs[0], Side::Buy, 10, 10.0)],
        commissions: vec![],
    };
    let report = store.reconcile(&snapshot).unwrap();
    assert_eq!(
        report.issues,
        [ReconcileIssue::FilledWithoutExecutions {
            signal_id: ids[0],
            filled_qty: 10,
            quantity: 50
        }]
    );
    let order = store.order(ids[0]).unwrap().unwrap();
    assert_eq!((order.state, order.filled_qty), (OrderState::Unknown, 10));
}

#[test]
fn open_orders_we_hold_as_finished_or_do_not_know_are_reported() {
    let db = TempDb::default();
    let (ids, refs) = four_sending_orders(&db);
    let mut store = db.open();
    store
        .apply_status(ids[0], IbStatus::Cancelled, None)
        .unwrap();
    let snapshot = BrokerSnapshot {
        client_id: CLIENT,
        next_valid_id: 104,
        open_orders: refs
            .iter()
            .map(String::as_str)
            .chain(["st-zzzzzzzz-1", "manual"])
            .enumerate()
            .map(|(i, r)| ib_report(r, 100 + i as i32, 0, IbStatus::Submitted))
            .collect(),
        ..BrokerSnapshot::default()
    };
    let report = store.reconcile(&snapshot).unwrap();
    assert_eq!(
        report.issues,
        [
            ReconcileIssue::OpenAtIbButFinishedHere {
                signal_id: ids[0],
                state: OrderState::Cancelled,
                ib_status: IbStatus::Submitted
            },
            ReconcileIssue::UnmatchedAtIb {
                order_ref: "st-zzzzzzzz-1".into(),
                ib_status: IbStatus::Submitted
            },
        ]
    );
    assert_eq!(state(&store, ids[0]), OrderState::Cancelled);
    assert_eq!(
        report.next_order_id, 106,
        "one past the highest id IB reported"
    );
}
