//! An order's life through the queue, IB's statuses, executions and commissions.

use sandtrade_core::{Action, Exposure, Position, Side, normalize};
use sandtrade_orders::{
    CommissionOutcome, ExecutionOutcome, IbOrderId, IbStatus, NoticeEnd, NoticeOutcome, OrderState,
    OrderStore, OrderStoreError, StateChange,
};

use crate::{TempDb, accept, commission, exec, memory_image, signal, take_one};

const CLIENT: i32 = 7;

fn exposure(held: i64, pending_buys: i64, pending_sells: i64) -> Exposure {
    Exposure::from_signed(held, pending_buys, pending_sells)
}

/// A store whose next IB order id on `CLIENT` is 1.
fn open_with_id_floor(db: &TempDb) -> OrderStore {
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    store
}

#[test]
fn take_next_needs_an_id_floor_then_marks_sending_with_increasing_ids() {
    let db = TempDb::default();
    let mut store = db.open();
    let a = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    let b = accept(&mut store, &signal("alpha", "MSFT", Action::OpenLong, 10));
    let c = accept(&mut store, &signal("beta", "700", Action::OpenLong, 400));

    let err = store.take_next(CLIENT, 10).unwrap_err();
    assert!(
        matches!(err, OrderStoreError::NoOrderIdFloor(CLIENT)),
        "{err}"
    );
    assert_eq!(store.queued_len(), 3, "nothing was taken");

    assert_eq!(store.observe_next_valid_id(CLIENT, 500).unwrap(), 500);
    let sent = store.take_next(CLIENT, 2).unwrap();
    assert_eq!(sent.iter().map(|o| o.signal_id).collect::<Vec<_>>(), [a, b]);
    assert_eq!(
        sent.iter().map(|o| o.ib).collect::<Vec<_>>(),
        [
            IbOrderId {
                client_id: CLIENT,
                order_id: 500
            },
            IbOrderId {
                client_id: CLIENT,
                order_id: 501
            }
        ]
    );
    assert_eq!(sent[0].side, Side::Buy);
    assert_eq!(sent[0].quantity, 100);
    assert_eq!(sent[0].instrument, normalize("AAPL").unwrap());
    assert_eq!(store.order(a).unwrap().unwrap().state, OrderState::Sending);
    assert_eq!(store.queued_len(), 1);
    assert_eq!(store.next_order_id(CLIENT), Some(502));

    // Still pending while sending: risk must keep counting it.
    assert_eq!(store.exposure("alpha", "AAPL").pending_buys, 100);

    drop(store);
    let mut store = db.open();
    assert_eq!(
        store.order(b).unwrap().unwrap().state,
        OrderState::Sending,
        "durable before send"
    );
    // A gateway restart rolls nextValidId back to 3: ids are never reused.
    assert_eq!(store.observe_next_valid_id(CLIENT, 3).unwrap(), 502);
    let rest = store.take_next(CLIENT, 10).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].signal_id, c);
    assert_eq!(rest[0].ib.order_id, 502);
    assert_eq!(store.take_next(CLIENT, 10).unwrap(), []);

    // A garbled or hostile nextValidId moves nothing: one bad value must not use up the
    // clientId's ids for good.
    for garbage in [i32::MAX, 1_499_000_001, 0, -5] {
        let err = store.observe_next_valid_id(CLIENT, garbage).unwrap_err();
        assert!(
            matches!(err, OrderStoreError::ImplausibleNextValidId { next_valid_id, .. } if next_valid_id == garbage),
            "{err}"
        );
        assert!(
            err.to_string().contains("reset the API order id sequence"),
            "{err}"
        );
    }
    assert_eq!(store.next_order_id(CLIENT), Some(503));
    drop(store);
    assert_eq!(
        db.open().next_order_id(CLIENT),
        Some(503),
        "nothing stored either"
    );
}

#[test]
fn accept_and_take_stores_sending_in_one_step() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 40).unwrap();
    let record = signal("alpha", "AAPL", Action::OpenLong, 100);
    let out = store
        .accept_and_take(&record, &normalize("AAPL").unwrap(), CLIENT)
        .unwrap();
    assert_eq!(out.ib.order_id, 40);
    assert_eq!(store.queued_len(), 0);
    drop(store);
    let mut store = db.open();
    let order = store.order(out.signal_id).unwrap().unwrap();
    assert_eq!(order.state, OrderState::Sending);
    assert_eq!(
        order.ib,
        Some(IbOrderId {
            client_id: CLIENT,
            order_id: 40
        })
    );
    assert_eq!(store.next_order_id(CLIENT), Some(41));
    assert_eq!(store.signal_for_ib_order(out.ib), Some(out.signal_id));
    assert_eq!(store.observe_next_valid_id(CLIENT, 41).unwrap(), 41);
}

#[test]
fn an_order_returned_unsent_is_requeued_with_a_new_id_and_the_old_one_stays_burned() {
    let db = TempDb::default();
    let mut store = db.open();
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    store.take_next(CLIENT, 1).unwrap();
    let change = store.return_unsent(id, "not connected").unwrap();
    assert_eq!(
        change,
        StateChange {
            from: OrderState::Sending,
            to: OrderState::Queued
        }
    );
    let order = store.order(id).unwrap().unwrap();
    assert_eq!(order.ib, None);
    assert_eq!(
        order.note.as_deref(),
        Some("returned unsent: not connected")
    );
    let again = store.take_next(CLIENT, 1).unwrap();
    assert_eq!(again[0].ib.order_id, 2);

    // Only a sending order can be given back: a second call is our own bug, refused.
    store
        .apply_status(id, IbStatus::Submitted, Some(9001))
        .unwrap();
    let err = store.return_unsent(id, "again").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("order {id}: order in state submitted cannot take event not-sent")
    );
}

#[test]
fn ib_events_in_their_real_order_fill_the_order_exactly_once() {
    let db = TempDb::default();
    let mut store = db.open();
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    let sent = store.take_next(CLIENT, 1).unwrap().remove(0);
    let r = sent.client_order_id.as_str();

    // Execution before its status.
    let first = store
        .record_execution(&exec("e-1", r, Side::Buy, 40, 10.0))
        .unwrap();
    let ExecutionOutcome::Recorded(first) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        first.state,
        StateChange {
            from: OrderState::Sending,
            to: OrderState::PartiallyFilled
        }
    );
    assert_eq!(
        (first.filled_qty, first.avg_price, first.overfilled),
        (40, 10.0, false)
    );
    assert_eq!(first.strategy, "alpha");

    // The status that should have come first, twice: stale after a fill, no change.
    for _ in 0..2 {
        let change = store
            .apply_status(id, IbStatus::Submitted, Some(9001))
            .unwrap();
        assert_eq!(
            change,
            StateChange {
                from: OrderState::PartiallyFilled,
                to: OrderState::PartiallyFilled
            }
        );
    }
    // Commission before its execution.
    assert_eq!(
        store.record_commission(&commission("e-2", 0.6)).unwrap(),
        CommissionOutcome::AwaitingExecution
    );
    // The same execution again, and its commission twice.
    assert_eq!(
        store
            .record_execution(&exec("e-1", r, Side::Buy, 40, 10.0))
            .unwrap(),
        ExecutionOutcome::Duplicate { signal_id: id }
    );
    assert_eq!(
        store.record_commission(&commission("e-1", 0.4)).unwrap(),
        CommissionOutcome::Applied { signal_id: id }
    );
    assert_eq!(
        store.record_commission(&commission("e-1", 0.4)).unwrap(),
        CommissionOutcome::Duplicate
    );
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(40, 60, 0));

    let last = store
        .record_execution(&exec("e-2", r, Side::Buy, 60, 12.5))
        .unwrap();
    let ExecutionOutcome::Recorded(last) = last else {
        panic!("{last:?}")
    };
    assert_eq!(last.state.to, OrderState::Filled);
    assert_eq!(last.avg_price, 11.5);
    // A late Filled status and a cancel ack racing the last fill change nothing.
    assert!(
        !store
            .apply_status(id, IbStatus::Filled, None)
            .unwrap()
            .changed()
    );
    assert!(
        !store
            .apply_status(id, IbStatus::Cancelled, None)
            .unwrap()
            .changed()
    );

    let order = store.order(id).unwrap().unwrap();
    assert_eq!(order.state, OrderState::Filled);
    assert_eq!((order.filled_qty, order.avg_price), (100, Some(11.5)));
    assert_eq!(order.perm_id, Some(9001));
    assert_eq!(order.commission, 1.0);
    assert_eq!(
        order.ib_status,
        Some(IbStatus::Submitted),
        "statuses after the fill were stale"
    );
    let fills = store.fills(id).unwrap();
    assert_eq!(
        fills
            .iter()
            .map(|f| (f.exec_id.as_str(), f.quantity, f.price, f.commission))
            .collect::<Vec<_>>(),
        [("e-1", 40, 10.0, Some(0.4)), ("e-2", 60, 12.5, Some(0.6))]
    );
    assert_eq!(
        store.position("alpha", "AAPL"),
        Some(Position {
            quantity: 100,
            avg_cost: 11.5,
            realized_pnl: 0.0,
            commissions: 1.0
        })
    );
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(100, 0, 0));
    assert!(store.working_orders().is_empty());

    let image = memory_image(&store);
    drop(store);
    assert_eq!(memory_image(&db.open()), image);
}

#[test]
fn sells_realize_pnl_and_a_fill_after_cancel_still_counts() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let buy = accept(&mut store, &signal("alpha", "700", Action::OpenLong, 400));
    let buy_ref = take_one(&mut store, CLIENT);
    store
        .record_execution(&exec("b-1", &buy_ref, Side::Buy, 400, 300.0))
        .unwrap();
    assert_eq!(store.order(buy).unwrap().unwrap().state, OrderState::Filled);

    let sell = accept(
        &mut store,
        &signal("alpha", "0700.HK", Action::ReduceLong, 300),
    );
    assert_eq!(store.exposure("alpha", "700"), exposure(400, 0, 300));
    assert_eq!(store.exposure("alpha", "700").sellable(), 100);
    let sell_ref = take_one(&mut store, CLIENT);
    store
        .apply_status(sell, IbStatus::Submitted, Some(77))
        .unwrap();
    store
        .record_execution(&exec("s-1", &sell_ref, Side::Sell, 100, 310.0))
        .unwrap();

    let change = store.apply_status(sell, IbStatus::Cancelled, None).unwrap();
    assert_eq!(
        change,
        StateChange {
            from: OrderState::PartiallyFilled,
            to: OrderState::Cancelled
        }
    );
    assert_eq!(store.exposure("alpha", "700"), exposure(300, 0, 0));

    // A fill that crossed the cancel on the wire: recorded, the order stays cancelled.
    let late = store
        .record_execution(&exec("s-2", &sell_ref, Side::Sell, 100, 305.0))
        .unwrap();
    let ExecutionOutcome::Recorded(late) = late else {
        panic!("{late:?}")
    };
    assert_eq!(
        late.state,
        StateChange {
            from: OrderState::Cancelled,
            to: OrderState::Cancelled
        }
    );
    assert_eq!(late.filled_qty, 200);
    assert_eq!(
        store.position("alpha", "700"),
        Some(Position {
            quantity: 200,
            avg_cost: 300.0,
            realized_pnl: 1500.0,
            commissions: 0.0
        })
    );
    assert_eq!(store.exposure("alpha", "700"), exposure(200, 0, 0));
}

#[test]
fn an_execution_on_the_wrong_side_is_refused_and_stores_nothing() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    let r = take_one(&mut store, CLIENT);
    let err = store
        .record_execution(&exec("x-1", &r, Side::Sell, 10, 10.0))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid execution: execution x-1 is a sell but order {id} is a buy")
    );
    assert!(store.fills(id).unwrap().is_empty());
    assert_eq!(store.order(id).unwrap().unwrap().filled_qty, 0);
}

#[test]
fn executions_of_other_orders_are_not_ours() {
    let db = TempDb::default();
    let mut store = db.open();
    for order_ref in ["", "manual", "st-aaaaaaaa-1"] {
        assert_eq!(
            store
                .record_execution(&exec("m-1", order_ref, Side::Buy, 1, 1.0))
                .unwrap(),
            ExecutionOutcome::NotOurs
        );
    }
}

#[test]
fn an_execution_without_order_ref_is_matched_by_perm_id() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 10));
    store.take_next(CLIENT, 1).unwrap();
    store
        .apply_status(id, IbStatus::PreSubmitted, Some(4242))
        .unwrap();
    let mut e = exec("p-1", "", Side::Buy, 10, 5.0);
    e.perm_id = Some(4242);
    let ExecutionOutcome::Recorded(applied) = store.record_execution(&e).unwrap() else {
        panic!()
    };
    assert_eq!(applied.signal_id, id);
    assert_eq!(applied.state.to, OrderState::Filled);
}

#[test]
fn an_overfill_is_recorded_and_flagged() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 10));
    let r = take_one(&mut store, CLIENT);
    store
        .record_execution(&exec("o-1", &r, Side::Buy, 10, 5.0))
        .unwrap();
    let ExecutionOutcome::Recorded(extra) = store
        .record_execution(&exec("o-2", &r, Side::Buy, 5, 5.0))
        .unwrap()
    else {
        panic!()
    };
    assert!(extra.overfilled);
    assert_eq!(extra.filled_qty, 15);
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(15, 0, 0));
}

#[test]
fn unknown_orders_are_only_requeued_by_an_operator() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 10));
    store.take_next(CLIENT, 1).unwrap();
    store
        .mark_unknown(id, "connection dropped while sending")
        .unwrap();
    let order = store.order(id).unwrap().unwrap();
    assert_eq!(order.state, OrderState::Unknown);
    assert_eq!(
        order.note.as_deref(),
        Some("unknown: connection dropped while sending")
    );
    assert_eq!(
        store.exposure("alpha", "AAPL").pending_buys,
        10,
        "unknown still counts as pending"
    );
    assert_eq!(
        store.take_next(CLIENT, 10).unwrap(),
        [],
        "unknown is never taken"
    );
    assert!(store.return_unsent(id, "no").is_err());

    store.release_unknown(id, "checked TWS: not there").unwrap();
    let again = store.take_next(CLIENT, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].ib.order_id, 2);
}

#[test]
fn a_correction_replaces_the_fill_it_corrects_and_is_never_counted_twice() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    let r = take_one(&mut store, CLIENT);
    store
        .record_execution(&exec("0000e0d5.65a8b2c1.01.01", &r, Side::Buy, 40, 10.0))
        .unwrap();
    store
        .record_commission(&commission("0000e0d5.65a8b2c1.01.01", 1.0))
        .unwrap();
    store
        .record_execution(&exec("0000e0d5.65a8b2c1.02.01", &r, Side::Buy, 20, 11.0))
        .unwrap();

    // IB corrects the first execution: 40 at 10.5 instead of 40 at 10.
    let corrected = store
        .record_execution(&exec("0000e0d5.65a8b2c1.01.02", &r, Side::Buy, 40, 10.5))
        .unwrap();
    assert_eq!(
        corrected,
        ExecutionOutcome::Corrected {
            signal_id: id,
            replaced: "0000e0d5.65a8b2c1.01.01".into(),
            filled_qty: 60,
            avg_price: Some((40.0 * 10.5 + 20.0 * 11.0) / 60.0),
        }
    );
    let order = store.order(id).unwrap().unwrap();
    assert_eq!(
        (order.state, order.filled_qty),
        (OrderState::PartiallyFilled, 60)
    );
    assert_eq!(
        order.commission, 0.0,
        "the replaced fill's commission no longer counts"
    );
    store
        .record_commission(&commission("0000e0d5.65a8b2c1.01.02", 1.25))
        .unwrap();
    assert_eq!(store.order(id).unwrap().unwrap().commission, 1.25);
    assert_eq!(
        store.position("alpha", "AAPL"),
        Some(Position {
            quantity: 60,
            avg_cost: (40.0 * 10.5 + 20.0 * 11.0) / 60.0,
            realized_pnl: 0.0,
            commissions: 1.25
        })
    );
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(60, 40, 0));
    let fills = store.fills(id).unwrap();
    assert_eq!(
        fills
            .iter()
            .map(|f| (f.exec_id.as_str(), f.replaced_by.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("0000e0d5.65a8b2c1.01.01", Some("0000e0d5.65a8b2c1.01.02")),
            ("0000e0d5.65a8b2c1.02.01", None),
            ("0000e0d5.65a8b2c1.01.02", None),
        ]
    );

    // The original again is a duplicate; the corrected one again too.
    for again in ["0000e0d5.65a8b2c1.01.01", "0000e0d5.65a8b2c1.01.02"] {
        assert_eq!(
            store
                .record_execution(&exec(again, &r, Side::Buy, 40, 10.0))
                .unwrap(),
            ExecutionOutcome::Duplicate { signal_id: id }
        );
    }
    let image = memory_image(&store);
    drop(store);
    assert_eq!(memory_image(&db.open()), image);
}

#[test]
fn an_execution_arriving_after_its_correction_is_superseded() {
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let id = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 50));
    let r = take_one(&mut store, CLIENT);
    let first = store
        .record_execution(&exec("x.7.02", &r, Side::Buy, 50, 9.5))
        .unwrap();
    assert!(matches!(first, ExecutionOutcome::Recorded(_)), "{first:?}");
    // reqExecutions after a reconnect replays the original, which the correction replaced.
    assert_eq!(
        store
            .record_execution(&exec("x.7.01", &r, Side::Buy, 50, 9.0))
            .unwrap(),
        ExecutionOutcome::Superseded {
            signal_id: id,
            by: "x.7.02".into()
        }
    );
    assert_eq!(
        store.record_commission(&commission("x.7.01", 2.0)).unwrap(),
        CommissionOutcome::ForReplacedExecution
    );
    let order = store.order(id).unwrap().unwrap();
    assert_eq!(
        (
            order.state,
            order.filled_qty,
            order.avg_price,
            order.commission
        ),
        (OrderState::Filled, 50, Some(9.5), 0.0)
    );
    assert_eq!(
        store.position("alpha", "AAPL").map(|p| p.quantity),
        Some(50)
    );
}

#[test]
fn a_modify_is_durable_moves_what_is_pending_and_is_sent_until_ib_reports_it() {
    use sandtrade_core::OrderType;
    let db = TempDb::default();
    let mut store = open_with_id_floor(&db);
    let queued = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    // A queued order goes out with its new terms: nothing to ask IB.
    store.modify(queued, 60, OrderType::Limit(10.5)).unwrap();
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 60, 0));
    let sent = store.take_next(CLIENT, 1).unwrap();
    assert_eq!(
        (sent[0].quantity, sent[0].order_type),
        (60, OrderType::Limit(10.5))
    );
    assert_eq!(store.modifies_to_send(), []);

    // Working at IB: the change is recorded as requested, and survives a restart.
    store
        .apply_status(queued, IbStatus::Submitted, Some(77))
        .unwrap();
    store.modify(queued, 80, OrderType::Limit(10.25)).unwrap();
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 80, 0));
    drop(store);
    let mut store = db.open();
    let order = store.order(queued).unwrap().unwrap();
    assert_eq!(
        (order.quantity, order.order_type),
        (80, OrderType::Limit(10.25))
    );
    assert!(order.modify_requested_ms.is_some());
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 80, 0));
    let again = store.modifies_to_send();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].ib.order_id, again[0].quantity), (1, 80));
    // The answer IB gives to it ends the request.
    store.modify_acknowledged(queued).unwrap();
    assert_eq!(store.modifies_to_send(), []);
    drop(store);
    let mut store = db.open();
    let order = store.order(queued).unwrap().unwrap();
    assert_eq!(order.modify_requested_ms, None);

    // Smaller: until IB applies it, either quantity may fill, so the larger counts.
    store.modify(queued, 50, OrderType::Limit(10.25)).unwrap();
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 80, 0));
    // IB refuses the change: the terms it still works come back, durably.
    assert_eq!(
        store
            .end_by_notice(queued, NoticeEnd::Rejected, 201, "no")
            .unwrap(),
        NoticeOutcome::ChangeRefused
    );
    drop(store);
    let store = db.open();
    let order = store.order(queued).unwrap().unwrap();
    assert_eq!(
        (
            order.quantity,
            order.order_type,
            order.modify_requested_ms,
            order.modify_prior
        ),
        (80, OrderType::Limit(10.25), None, None)
    );
    assert_eq!(order.note.as_deref(), Some("IB refused the change: 201 no"));
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 80, 0));
}
