//! Brackets in the store: accepted and taken whole, wired with parent and transmit, booked as
//! one exit of the shares their entry buys, and never leaving an exit nothing can send.

use sandtrade_core::{Action, Exposure, OrderType, Side, TimeInForce, Timing, normalize};
use sandtrade_orders::{ExecutionOutcome, IbStatus, OrderState, OrderStore, SignalId};

use crate::{TempDb, exec, memory_image, signal};

const CLIENT: i32 = 7;

fn exposure(held: i64, pending_buys: i64, pending_sells: i64) -> Exposure {
    Exposure::from_signed(held, pending_buys, pending_sells)
}

/// Accepts an `open-long` of `quantity` AAPL with a take-profit at 110 and a stop at 90.
fn accept_bracket(store: &mut OrderStore, quantity: u32) -> (SignalId, Vec<SignalId>) {
    let entry = signal("alpha", "AAPL", Action::OpenLong, quantity);
    let gtc = Timing {
        tif: TimeInForce::Gtc,
        outside_rth: false,
    };
    let exit = |order_type| {
        let mut exit = signal("alpha", "AAPL", Action::ReduceLong, quantity);
        exit.order_type = order_type;
        exit.timing = gtc;
        exit
    };
    let exits = [exit(OrderType::Limit(110.0)), exit(OrderType::Stop(90.0))];
    store
        .accept_bracket(&entry, &exits, &normalize("AAPL").unwrap())
        .expect("accept bracket")
}

fn state(store: &OrderStore, id: SignalId) -> OrderState {
    store.order(id).unwrap().unwrap().state
}

#[test]
fn a_bracket_is_taken_whole_and_wired_parent_first() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    let (entry, exits) = accept_bracket(&mut store, 100);
    assert_eq!(exits.len(), 2);
    // Asked for one, the bracket comes whole.
    let taken = store.take_next(CLIENT, 1).unwrap();
    let wire: Vec<(SignalId, i32, Option<i32>, bool, Side)> = taken
        .iter()
        .map(|o| (o.signal_id, o.ib.order_id, o.parent, o.transmit, o.side))
        .collect();
    assert_eq!(
        wire,
        [
            (entry, 1, None, false, Side::Buy),
            (exits[0], 2, Some(1), false, Side::Sell),
            (exits[1], 3, Some(1), true, Side::Sell),
        ]
    );
    for id in [entry, exits[0], exits[1]] {
        assert_eq!(state(&store, id), OrderState::Sending);
    }
    let exit = store.order(exits[1]).unwrap().unwrap();
    assert_eq!(exit.exit_of, Some(entry));
}

#[test]
fn the_exits_are_one_sell_of_what_the_entry_bought() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    let (entry, exits) = accept_bracket(&mut store, 100);
    // The exits sell only shares the entry has yet to buy: nothing else is pending to sell.
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 100, 0));
    let taken = store.take_next(CLIENT, 3).unwrap();
    let (entry_ref, tp_ref) = (&taken[0].client_order_id, &taken[1].client_order_id);

    let buy = |n, q| exec(&format!("b-{n}"), entry_ref, Side::Buy, q, 100.0);
    assert!(matches!(
        store.record_execution(&buy(1, 40)).unwrap(),
        ExecutionOutcome::Recorded(_)
    ));
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(40, 60, 40));
    store.record_execution(&buy(2, 60)).unwrap();
    assert_eq!(state(&store, entry), OrderState::Filled);
    // Held 100, all of it covered by the exits: sellable 0.
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(100, 0, 100));
    assert_eq!(store.exposure("alpha", "AAPL").sellable(), 0);

    // The take-profit fills 30: the exits may sell 70 more.
    store
        .record_execution(&exec("s-1", tp_ref, Side::Sell, 30, 110.0))
        .unwrap();
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(70, 0, 70));
    // It fills; IB cancels the stop.
    store
        .record_execution(&exec("s-2", tp_ref, Side::Sell, 70, 110.0))
        .unwrap();
    assert_eq!(state(&store, exits[0]), OrderState::Filled);
    store
        .apply_status(exits[1], IbStatus::Cancelled, None)
        .unwrap();
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 0, 0));

    // The ledger rebuilt from the file is the one in memory.
    let image = memory_image(&store);
    drop(store);
    assert_eq!(memory_image(&db.open()), image);
}

#[test]
fn the_book_survives_a_reopen_with_the_bracket_working() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    let (_, _) = accept_bracket(&mut store, 100);
    let taken = store.take_next(CLIENT, 3).unwrap();
    store
        .record_execution(&exec(
            "b-1",
            &taken[0].client_order_id,
            Side::Buy,
            100,
            100.0,
        ))
        .unwrap();
    let image = memory_image(&store);
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(100, 0, 100));
    drop(store);
    let store = db.open();
    assert_eq!(memory_image(&store), image);
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(100, 0, 100));
}

#[test]
fn cancelling_an_unsent_entry_cancels_its_exits_and_an_ended_entry_takes_its_unsent_exits() {
    let db = TempDb::default();
    let mut store = db.open();
    let (entry, exits) = accept_bracket(&mut store, 100);
    store.request_cancel(entry).unwrap();
    for id in &exits {
        assert!(
            store
                .order(*id)
                .unwrap()
                .unwrap()
                .cancel_requested_ms
                .is_some()
        );
    }
    // An entry that ends before it is sent (expired, cancelled) ends its queued exits.
    let expired = store.expire_stale(i64::MAX, "test").unwrap();
    assert_eq!(expired.len(), 1, "{expired:?}");
    for id in [entry, exits[0], exits[1]] {
        assert_eq!(state(&store, id), OrderState::Cancelled);
    }
    assert_eq!(store.queued_len(), 0);
    assert_eq!(store.exposure("alpha", "AAPL"), exposure(0, 0, 0));
}

#[test]
fn an_operator_releasing_an_unknown_entry_releases_its_exits_with_it() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(CLIENT, 1).unwrap();
    let (entry, exits) = accept_bracket(&mut store, 100);
    store.take_next(CLIENT, 3).unwrap();
    for id in [entry, exits[0], exits[1]] {
        store.mark_unknown(id, "connection lost mid-write").unwrap();
    }
    store.release_unknown(entry, "checked TWS").unwrap();
    for id in [entry, exits[0], exits[1]] {
        assert_eq!(state(&store, id), OrderState::Queued);
    }
    let taken = store.take_next(CLIENT, 1).unwrap();
    let parents: Vec<Option<i32>> = taken.iter().map(|o| o.parent).collect();
    assert_eq!(parents, [None, Some(4), Some(4)]);
}
