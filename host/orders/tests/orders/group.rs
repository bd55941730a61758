//! A group: the operations of one trading-loop turn (a bar's signals, taking their orders for
//! sending) share one transaction. Another connection sees none of it until the group is
//! committed, a process that dies before the commit leaves none of it in the file, and the
//! store's memory always ends as the file says.

use rusqlite::Connection;
use sandtrade_core::Action;
use sandtrade_orders::OrderState;

use crate::{TempDb, accept, memory_image, signal};

/// Signals, and orders by state, as another connection sees the file.
fn seen_by_another_connection(db: &TempDb) -> (i64, Vec<String>) {
    let conn = Connection::open(&db.path).unwrap();
    let signals = conn
        .query_row("SELECT count(*) FROM signals", [], |row| row.get(0))
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT state FROM orders ORDER BY signal_id")
        .unwrap();
    let states = stmt
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (signals, states)
}

#[test]
fn a_group_is_stored_by_its_one_commit_and_not_before() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(1, 100).unwrap();

    store.group();
    let ids: Vec<_> = ["alpha", "beta", "gamma"]
        .into_iter()
        .map(|strategy| accept(&mut store, &signal(strategy, "AAPL", Action::OpenLong, 10)))
        .collect();
    let taken = store.take_next(1, 2).unwrap();
    assert_eq!(taken.len(), 2);
    // Memory has it all at once: the strategies and the loop work from it.
    assert_eq!(store.working_orders().len(), 3);
    assert_eq!(store.queued_len(), 1);
    assert_eq!(seen_by_another_connection(&db), (0, vec![]));

    store.commit_group().unwrap();
    assert_eq!(
        seen_by_another_connection(&db),
        (3, vec!["sending".into(), "sending".into(), "queued".into()])
    );
    let image = memory_image(&store);
    drop(store);
    assert_eq!(
        memory_image(&db.open()),
        image,
        "memory is what the file says"
    );

    // Ids go on from the group's, and a later operation commits by itself again.
    let mut store = db.open();
    let next = accept(&mut store, &signal("alpha", "AAPL", Action::AddLong, 5));
    assert!(next > ids[2]);
    assert_eq!(seen_by_another_connection(&db).0, 4);
}

#[test]
fn a_group_never_committed_leaves_nothing_in_the_file() {
    let db = TempDb::default();
    let mut store = db.open();
    store.observe_next_valid_id(1, 100).unwrap();
    let kept = accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 10));
    let before = memory_image(&store);

    store.group();
    accept(&mut store, &signal("alpha", "AAPL", Action::AddLong, 10));
    accept(&mut store, &signal("beta", "MSFT", Action::OpenLong, 3));
    store.take_next(1, 3).unwrap();
    // The process ends with the group open (as a SIGKILL would end it).
    drop(store);

    let store = db.open();
    assert_eq!(memory_image(&store), before);
    let working = store.working_orders();
    assert_eq!(working.len(), 1);
    assert_eq!(
        (working[0].signal_id, working[0].state),
        (kept, OrderState::Queued)
    );
}

#[test]
fn an_empty_group_commits_nothing_and_a_commit_without_a_group_is_a_no_op() {
    let db = TempDb::default();
    let mut store = db.open();
    store.commit_group().unwrap();
    store.group();
    store.commit_group().unwrap();
    store.group();
    store.group();
    accept(&mut store, &signal("alpha", "AAPL", Action::OpenLong, 10));
    store.commit_group().unwrap();
    assert_eq!(seen_by_another_connection(&db).0, 1);
}
