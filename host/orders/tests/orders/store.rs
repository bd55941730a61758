//! Accepting, reopening, ids.

use rusqlite::Connection;
use sandtrade_core::{Action, Exposure, OrderType, RejectCode, Rejection, normalize};
use sandtrade_orders::{
    OrderState, OrderStore, OrderStoreError, SignalRecord, StoreConfig, Synchronous,
};

use crate::{TempDb, accept, memory_image, signal};

#[test]
fn accepted_signals_survive_reopen_after_drop_with_every_row_intact() {
    let db = TempDb::default();
    let mut store = db.open();
    let a = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 100));
    let mut hk = signal("beta", "0700.HK", Action::OpenLong, 200);
    hk.order_type = OrderType::Limit(312.4);
    hk.reason = "breakout above 310";
    let b = accept(&mut store, &hk);
    let tag = store.session_tag().clone();
    let before = memory_image(&store);
    let order_b = store.order(b).unwrap().unwrap();
    drop(store); // as a crash would: no shutdown step exists

    let store = db.open();
    assert_ne!(
        store.session_tag(),
        &tag,
        "each opening draws a new session tag"
    );
    assert_eq!(
        store
            .order_by_ref(&order_b.client_order_id)
            .unwrap()
            .as_ref(),
        Some(&order_b)
    );
    assert_eq!(memory_image(&store), before);
    assert_eq!(store.order(b).unwrap().unwrap(), order_b);
    assert_eq!(order_b.client_order_id, format!("st-{tag}-{b}"));
    assert_eq!(order_b.state, OrderState::Queued);
    assert_eq!(order_b.instrument.symbol, "700");
    assert_eq!(order_b.order_type, OrderType::Limit(312.4));
    assert_eq!(store.queued_len(), 2);
    assert_eq!(
        store.exposure("alpha", "AAPL"),
        Exposure {
            held: 0,
            pending_buys: 100,
            pending_sells: 0
        }
    );
    assert_eq!(a.get() + 1, b.get());

    let conn = Connection::open(&db.path).unwrap();
    let row: (String, String, String, String, i64, String, Option<f64>, String, String) = conn
        .query_row(
            "SELECT strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, reason, verdict
             FROM signals WHERE id = ?1",
            [b.get() as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "beta".into(),
            "5e1f00d".into(),
            "0700.HK".into(),
            "open-long".into(),
            200,
            "limit".into(),
            Some(312.4),
            "breakout above 310".into(),
            "accepted".into()
        )
    );
}

#[test]
fn rejections_are_recorded_with_code_and_message_and_no_order() {
    let db = TempDb::default();
    let mut store = db.open();
    let refused = signal("alpha", "NaN", Action::ReduceLong, 50);
    let rejection = Rejection::new(RejectCode::UnknownSymbol, "unknown symbol \"NaN\"");
    let id = store.record_rejection(&refused, &rejection).unwrap();
    assert_eq!(store.order(id).unwrap(), None);
    assert_eq!(store.queued_len(), 0);

    let conn = Connection::open(&db.path).unwrap();
    let row: (String, String, String, String) = conn
        .query_row(
            "SELECT symbol, verdict, reject_code, reject_message FROM signals WHERE id = ?1",
            [id.get() as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "NaN".into(),
            "rejected".into(),
            "unknown-symbol".into(),
            "unknown symbol \"NaN\"".into()
        )
    );
}

#[test]
fn a_refusal_is_stored_cut_to_size_whatever_the_strategy_sent() {
    let db = TempDb::default();
    let mut store = db.open();
    let symbol = "X".repeat(64 * 1024);
    let reason = "r".repeat(64 * 1024);
    let message = "m".repeat(64 * 1024);
    let refused = SignalRecord {
        reason: &reason,
        ..signal("alpha", &symbol, Action::OpenLong, 1)
    };
    let rejection = Rejection::new(RejectCode::UnknownSymbol, message);
    let id = store.record_rejection(&refused, &rejection).unwrap();

    let conn = Connection::open(&db.path).unwrap();
    let (symbol, reason, message): (String, String, String) = conn
        .query_row(
            "SELECT symbol, reason, reject_message FROM signals WHERE id = ?1",
            [id.get() as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(symbol, format!("{}…", "X".repeat(29)));
    assert_eq!(reason.len(), 1024);
    assert!(reason.ends_with('…'));
    assert_eq!(message.len(), 1024);
}

#[test]
fn a_zero_quantity_is_refused_and_nothing_is_stored() {
    let db = TempDb::default();
    let mut store = db.open();
    let instrument = normalize("AAPL").unwrap();
    let err = store
        .accept(&signal("alpha", "AAPL", Action::OpenLong, 0), &instrument)
        .unwrap_err();
    assert!(matches!(err, OrderStoreError::InvalidOrder(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "invalid order: open-long AAPL has quantity 0"
    );
    assert_eq!(store.queued_len(), 0);
    let next = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 1));
    assert_eq!(next.get(), 1, "the refused signal consumed no id");
}

#[test]
fn a_lost_commit_cannot_make_a_client_order_id_repeat() {
    // A power failure at synchronous=normal can drop the last commits: the same signal id is
    // handed out again. Simulated by deleting the rows. The new order must not carry the lost order's orderRef.
    let db = TempDb::default();
    let mut store = db.open();
    let lost = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 1));
    let lost_ref = store.order(lost).unwrap().unwrap().client_order_id;
    drop(store);
    let conn = Connection::open(&db.path).unwrap();
    conn.execute_batch("DELETE FROM orders; DELETE FROM signals;")
        .unwrap();
    drop(conn);
    let mut store = db.open();
    let again = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 1));
    assert_eq!(again, lost, "the id repeats");
    let new_ref = store.order(again).unwrap().unwrap().client_order_id;
    assert_ne!(new_ref, lost_ref, "the orderRef does not");
    assert_eq!(store.order_by_ref(&lost_ref).unwrap(), None);
}

#[test]
fn two_databases_never_share_a_client_order_id() {
    let (one, two) = (TempDb::default(), TempDb::default());
    let (mut a, mut b) = (one.open(), two.open());
    let ia = accept(&mut a, &signal("alpha", "AAPL", Action::OpenLong, 1));
    let ib = accept(&mut b, &signal("alpha", "AAPL", Action::OpenLong, 1));
    assert_eq!(ia, ib);
    let ref_a = a.order(ia).unwrap().unwrap().client_order_id;
    let ref_b = b.order(ib).unwrap().unwrap().client_order_id;
    assert_ne!(ref_a, ref_b);
    assert_eq!(
        a.order_by_ref(&ref_b).unwrap(),
        None,
        "another database's ref is not ours"
    );
}

#[test]
fn every_synchronous_setting_opens_in_wal_and_reads_back() {
    for synchronous in Synchronous::ALL {
        let db = TempDb::default();
        let store = OrderStore::open(&db.path, StoreConfig { synchronous }).unwrap();
        assert_eq!(store.synchronous(), synchronous);
        drop(store);
        let conn = Connection::open(&db.path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "{synchronous}");
    }
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let db = TempDb::default();
    drop(db.open());
    Connection::open(&db.path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = OrderStore::open(&db.path, StoreConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order database schema version 99 is newer than this build supports (5): upgrade sandtrade"
    );
}

#[test]
fn a_file_that_cannot_be_created_is_a_clear_error() {
    let db = TempDb::default();
    let path = db
        .path
        .with_file_name("no-such-directory")
        .join("orders.sqlite");
    let err = OrderStore::open(&path, StoreConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot open the order database: unable to open database file"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let db = TempDb::default();
    std::fs::write(
        &db.path,
        b"this is not sqlite, just text that is long enough to matter....",
    )
    .unwrap();
    let err = OrderStore::open(&db.path, StoreConfig::default()).unwrap_err();
    assert_eq!(err.to_string(), "order database: file is not a database");
}

#[test]
fn the_store_can_move_to_the_thread_that_owns_the_hot_path() {
    let db = TempDb::default();
    let store = db.open();
    let queued = std::thread::spawn(move || {
        let mut store = store;
        accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 5));
        store.queued_len()
    })
    .join()
    .expect("owner thread");
    assert_eq!(queued, 1);
}
