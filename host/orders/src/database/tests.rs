use sandtrade_core::{Action, OrderType, RejectCode, Side, normalize};

use super::*;
use crate::record::IbOrderId;
use crate::state::OrderState;

/// A database in a temporary directory (kept alive alongside it).
fn database() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::open(&dir.path().join("orders.sqlite"), Synchronous::Normal).unwrap();
    (dir, database)
}

fn signal(action: Action) -> SignalRecord<'static> {
    SignalRecord {
        strategy: "alpha",
        wasm_hash: "5e1f00d",
        symbol: "0700.HK",
        action,
        quantity: 200,
        order_type: OrderType::Limit(312.4),
        timing: sandtrade_core::Timing::DAY,
        reason: "test",
        time_ms: 1_760_000_000_000,
    }
}

fn new_order(signal_id: SignalId, action: Action) -> OrderRecord {
    OrderRecord {
        signal_id,
        client_order_id: format!("st-k3v9q2xa-{signal_id}"),
        strategy: "alpha".into(),
        wasm_hash: "5e1f00d".into(),
        instrument: normalize("0700.HK").unwrap(),
        action,
        quantity: 200,
        order_type: OrderType::Limit(312.4),
        timing: sandtrade_core::Timing::DAY,
        state: OrderState::Sending,
        ib: Some(IbOrderId {
            client_id: 7,
            order_id: 40,
        }),
        perm_id: None,
        ib_status: None,
        filled_qty: 0,
        filled_notional: 0.0,
        avg_price: None,
        commission: 0.0,
        created_ms: 1_000,
        sent_ms: Some(1_000),
        updated_ms: 1_000,
        note: None,
        cancel_requested_ms: None,
        modify_requested_ms: None,
        modify_prior: None,
        exit_of: None,
    }
}

/// Stores a signal and its order, committed.
fn store_order(database: &Database, action: Action) -> OrderRecord {
    let tx = database.begin().unwrap();
    let id = tx.insert_accepted_signal(&signal(action)).unwrap();
    let order = new_order(id, action);
    tx.insert_order(&order).unwrap();
    tx.commit().unwrap();
    order
}

fn execution(exec_id: &str, quantity: u32, price: f64, time_ms: i64) -> Execution {
    Execution {
        exec_id: exec_id.into(),
        order_ref: String::new(),
        perm_id: None,
        side: Side::Buy,
        quantity,
        price,
        time_ms,
    }
}

#[test]
fn an_order_reads_back_as_it_was_written() {
    let (_dir, database) = database();
    let mut order = store_order(&database, Action::OpenLong);
    assert_eq!(
        database.order(order.signal_id).unwrap().as_ref(),
        Some(&order)
    );
    assert_eq!(database.unfinished_orders().unwrap(), [order.clone()]);

    order.state = OrderState::Filled;
    order.perm_id = Some(9001);
    order.ib_status = Some(IbStatus::Filled);
    order.filled_qty = 200;
    order.filled_notional = 62_480.0;
    order.avg_price = Some(312.4);
    order.commission = 1.5;
    order.updated_ms = 2_000;
    order.note = Some("a note".into());
    database.update_order(&order).unwrap();
    assert_eq!(
        database.order(order.signal_id).unwrap().as_ref(),
        Some(&order)
    );
    assert_eq!(
        database.order_with_perm_id(9001).unwrap(),
        Some(order.signal_id)
    );
    assert_eq!(
        database.unfinished_orders().unwrap(),
        [],
        "finished orders stay on file"
    );
}

#[test]
fn a_transaction_dropped_without_commit_leaves_nothing() {
    let (_dir, database) = database();
    let tx = database.begin().unwrap();
    let id = tx
        .insert_accepted_signal(&signal(Action::OpenLong))
        .unwrap();
    tx.insert_order(&new_order(id, Action::OpenLong)).unwrap();
    tx.raise_next_order_id(7, 41).unwrap();
    drop(tx);
    assert_eq!(database.order(id).unwrap(), None);
    assert_eq!(database.next_order_ids().unwrap(), []);
    // The database is usable again at once: the rollback ended the transaction.
    store_order(&database, Action::OpenLong);
}

/// The file as a second connection sees it: how many orders it holds.
fn orders_in_file(dir: &tempfile::TempDir) -> i64 {
    rusqlite::Connection::open(dir.path().join("orders.sqlite"))
        .unwrap()
        .query_row("SELECT count(*) FROM orders", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn in_a_group_an_operation_dropped_without_commit_undoes_only_itself() {
    let (dir, database) = database();
    database.want_group();
    let kept = store_order(&database, Action::OpenLong);
    {
        let tx = database.begin().unwrap();
        let id = tx.insert_accepted_signal(&signal(Action::AddLong)).unwrap();
        tx.insert_order(&new_order(id, Action::AddLong)).unwrap();
        // Dropped: as an operation whose later statement failed.
    }
    let mut updated = kept.clone();
    updated.note = Some("a later single-row write, in the group too".into());
    database.update_order(&updated).unwrap();
    assert_eq!(
        orders_in_file(&dir),
        0,
        "nothing is stored before the commit"
    );

    database.commit_group().unwrap();
    assert_eq!(database.unfinished_orders().unwrap(), [updated]);
    assert_eq!(orders_in_file(&dir), 1);
}

#[test]
fn a_group_that_sqlite_rolled_back_is_reported_lost_at_its_commit() {
    let (dir, database) = database();
    database.want_group();
    store_order(&database, Action::OpenLong);
    // What SQLite does on some I/O errors or a full disk: the whole transaction is undone.
    database.conn.execute_batch("ROLLBACK").unwrap();
    let Err(OrderStoreError::GroupLost(why)) = database.commit_group() else {
        panic!("the commit must report the lost group");
    };
    assert!(why.contains("no transaction is active"), "{why}");
    assert_eq!(orders_in_file(&dir), 0);

    // A failed single-row write that rolls the group back marks it lost at once.
    database.want_group();
    store_order(&database, Action::OpenLong);
    database.conn.execute_batch("ROLLBACK").unwrap();
    let _ = database.update_order(&new_order(SignalId::from_row(999), Action::OpenLong));
    assert!(matches!(
        database.commit_group(),
        Err(OrderStoreError::GroupLost(_))
    ));
    // Then writes commit on their own again.
    store_order(&database, Action::OpenLong);
    assert_eq!(orders_in_file(&dir), 1);
}

#[test]
fn updating_an_order_that_is_not_stored_is_an_error() {
    let (_dir, database) = database();
    let missing = new_order(SignalId::from_row(99), Action::OpenLong);
    assert!(matches!(
        database.update_order(&missing),
        Err(OrderStoreError::UnknownOrder(id)) if id == missing.signal_id
    ));
}

#[test]
fn a_value_this_build_does_not_write_is_reported_as_corrupt() {
    let (_dir, database) = database();
    let order = store_order(&database, Action::OpenLong);
    database
        .conn
        .execute("UPDATE orders SET ib_status = 'Sideways'", [])
        .unwrap();
    let err = database.order(order.signal_id).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "order database holds an invalid value: order {}: IB status \"Sideways\"",
            order.signal_id
        )
    );
}

#[test]
fn the_next_order_id_is_never_lowered() {
    let (_dir, database) = database();
    database.raise_next_order_id(7, 500).unwrap();
    database.raise_next_order_id(7, 3).unwrap();
    let tx = database.begin().unwrap();
    tx.raise_next_order_id(8, 10).unwrap();
    tx.commit().unwrap();
    let mut stored = database.next_order_ids().unwrap();
    stored.sort_unstable();
    assert_eq!(stored, [(7, 500), (8, 10)]);
}

#[test]
fn a_rejected_signal_is_stored_with_its_verdict_and_no_order() {
    let (_dir, database) = database();
    let rejection = Rejection::new(RejectCode::ShortNotAllowed, "nothing to sell");
    let id = database
        .insert_rejected_signal(&signal(Action::ReduceLong), &rejection)
        .unwrap();
    assert_eq!(database.order(id).unwrap(), None);
    let verdict: (String, String) = database
        .conn
        .query_row(
            "SELECT verdict, reject_code FROM signals WHERE id = ?1",
            [id.row()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(verdict, ("rejected".into(), "short-not-allowed".into()));
}

#[test]
fn fills_are_stored_once_per_exec_id_and_corrections_replace_them() {
    let (_dir, database) = database();
    let order = store_order(&database, Action::OpenLong);
    let signal = order.signal_id;
    let first = execution("e.01", 100, 10.0, 5);
    let correction = execution("e.02", 80, 10.5, 6);

    let tx = database.begin().unwrap();
    assert!(tx.insert_fill(&first, "e", signal, 7).unwrap());
    assert!(!tx.insert_fill(&first, "e", signal, 8).unwrap(), "a repeat");
    assert_eq!(tx.fill_owner("e.01").unwrap(), signal);
    assert!(tx.insert_fill(&correction, "e", signal, 9).unwrap());
    assert_eq!(
        tx.counted_sibling("e", "e.02").unwrap(),
        Some(("e.01".into(), 100, 10.0))
    );
    tx.mark_replaced("e.01", "e.02").unwrap();
    assert_eq!(tx.counted_sibling("e", "e.02").unwrap(), None);

    let fee = CommissionReport {
        exec_id: "e.01".into(),
        commission: 1.25,
        currency: "HKD".into(),
        realized_pnl: None,
    };
    assert!(tx.insert_commission(&fee, 10).unwrap());
    assert!(!tx.insert_commission(&fee, 11).unwrap(), "a repeat");
    assert_eq!(tx.commission_of("e.01").unwrap(), Some(1.25));
    assert_eq!(tx.commission_of("e.02").unwrap(), None);
    assert_eq!(tx.stored_fill("e.01").unwrap(), Some(StoredFill::Replaced));
    assert_eq!(
        tx.stored_fill("e.02").unwrap(),
        Some(StoredFill::Counts(signal))
    );
    assert_eq!(tx.stored_fill("e.03").unwrap(), None);

    let replayed = tx.replay_position("alpha", "700").unwrap();
    let mut expected = Position::default();
    expected.apply_fill(Side::Buy, 80, 10.5);
    assert_eq!(replayed, expected, "only the correction counts");
    tx.commit().unwrap();

    let fills = database.fills(signal).unwrap();
    assert_eq!(
        fills
            .iter()
            .map(|f| (f.exec_id.as_str(), f.commission, f.replaced_by.as_deref()))
            .collect::<Vec<_>>(),
        [("e.01", Some(1.25), Some("e.02")), ("e.02", None, None)]
    );
}

#[test]
fn an_order_and_its_line_are_written_together_and_read_back_at_open() {
    let (_dir, database) = database();
    let mut order = store_order(&database, Action::OpenLong);
    order.filled_qty = 200;
    order.state = OrderState::Filled;
    let mut position = Position::default();
    position.apply_fill(Side::Buy, 200, 312.4);
    let tx = database.begin().unwrap();
    tx.update_order_and_position(&order, &position).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        database.positions().unwrap(),
        [("alpha".into(), "700".into(), Market::HkStock, position)]
    );
    assert_eq!(database.order(order.signal_id).unwrap(), Some(order));
}
