use sandtrade_core::{Action, Exposure, OrderType, normalize};

use super::*;

fn order(id: i64, action: Action, quantity: u32, state: OrderState) -> OrderRecord {
    OrderRecord {
        signal_id: SignalId::from_row(id),
        client_order_id: format!("st-k3v9q2xa-{id}"),
        strategy: "alpha".into(),
        wasm_hash: "h".into(),
        instrument: normalize("AAPL").unwrap(),
        action,
        quantity,
        order_type: OrderType::Market,
        timing: sandtrade_core::Timing::DAY,
        state,
        ib: None,
        perm_id: None,
        ib_status: None,
        filled_qty: 0,
        filled_notional: 0.0,
        avg_price: None,
        commission: 0.0,
        created_ms: 0,
        sent_ms: None,
        updated_ms: 0,
        note: None,
        cancel_requested_ms: None,
        modify_requested_ms: None,
        modify_prior: None,
        exit_of: None,
    }
}

fn ids<'a>(orders: impl IntoIterator<Item = &'a OrderRecord>) -> Vec<i64> {
    orders
        .into_iter()
        .map(|order| order.signal_id.get() as i64)
        .collect()
}

fn exposure(ledger: &Ledger) -> Exposure {
    ledger.exposure("alpha", "AAPL")
}

#[test]
fn the_queue_follows_the_state_oldest_first() {
    let (mut working, mut ledger) = (WorkingSet::default(), Ledger::default());
    for id in [3, 1, 2] {
        working.file(
            order(id, Action::OpenLong, 10, OrderState::Queued),
            &mut ledger,
        );
    }
    assert_eq!(ids(working.queued()), [1, 2, 3]);
    assert_eq!(working.queued_len(), 3);

    working.file(
        order(1, Action::OpenLong, 10, OrderState::Sending),
        &mut ledger,
    );
    assert_eq!(ids(working.queued()), [2, 3]);
    assert_eq!(
        ids(working.oldest_first()),
        [1, 2, 3],
        "sending is still working"
    );
    assert_eq!(ids(working.may_be_at_ib()), [1]);

    working.file(
        order(1, Action::OpenLong, 10, OrderState::Queued),
        &mut ledger,
    );
    assert_eq!(
        ids(working.queued()),
        [1, 2, 3],
        "a returned order is queued again"
    );
}

#[test]
fn pending_shares_move_by_the_difference_and_leave_with_the_order() {
    let (mut working, mut ledger) = (WorkingSet::default(), Ledger::default());
    working.file(
        order(1, Action::OpenLong, 100, OrderState::Queued),
        &mut ledger,
    );
    working.file(
        order(2, Action::ReduceLong, 30, OrderState::Queued),
        &mut ledger,
    );
    assert_eq!(exposure(&ledger), Exposure::from_signed(0, 100, 30));

    let mut partly = order(1, Action::OpenLong, 100, OrderState::PartiallyFilled);
    partly.filled_qty = 40;
    working.file(partly.clone(), &mut ledger);
    assert_eq!(exposure(&ledger), Exposure::from_signed(0, 60, 30));
    // The same copy again (a repeated status) moves nothing.
    working.file(partly, &mut ledger);
    assert_eq!(exposure(&ledger), Exposure::from_signed(0, 60, 30));

    working.file(
        order(2, Action::ReduceLong, 30, OrderState::Cancelled),
        &mut ledger,
    );
    assert_eq!(exposure(&ledger), Exposure::from_signed(0, 60, 0));
    assert!(working.get(SignalId::from_row(2)).is_none(), "finished");
    assert_eq!(working.queued_len(), 0);
}

#[test]
fn a_finished_order_filed_again_adds_nothing() {
    // A fill after a cancel: the order was loaded from the file, not from the set.
    let (mut working, mut ledger) = (WorkingSet::default(), Ledger::default());
    let mut filled = order(5, Action::OpenLong, 10, OrderState::Filled);
    filled.filled_qty = 10;
    working.file(filled, &mut ledger);
    assert!(working.get(SignalId::from_row(5)).is_none());
    assert_eq!(exposure(&ledger), Exposure::default());
    assert_eq!(ledger.line_position("alpha", "AAPL"), None);
}

#[test]
fn an_ib_order_id_finds_its_working_order_on_its_client_id_only() {
    let (mut working, mut ledger) = (WorkingSet::default(), Ledger::default());
    let mut sending = order(4, Action::OpenLong, 10, OrderState::Sending);
    let ib = IbOrderId {
        client_id: 7,
        order_id: 1000,
    };
    sending.ib = Some(ib);
    working.file(sending, &mut ledger);
    assert_eq!(working.with_ib_order(ib), Some(SignalId::from_row(4)));
    let other_client = IbOrderId { client_id: 8, ..ib };
    assert_eq!(working.with_ib_order(other_client), None);
}
