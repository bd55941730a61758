//! `sandtrade settle`, run as an operator runs it (the real binary this `cargo test` built)
//! against a real order database: an `unknown` order is settled with the reason kept; an order
//! in any other state, an empty reason, or a database a running host holds are refused with a
//! non-zero exit and a sentence saying why, and nothing changes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use sandtrade_core::{Action, OrderType, normalize};
use sandtrade_orders::{OrderStore, OrderStoreError, SignalId, SignalRecord, StoreConfig};
use support::sandtrade;

const CLIENT: i32 = 7;

/// A directory with a run configuration whose database holds one order: `unknown` when
/// `lost`, else `sending`.
struct Desk {
    dir: tempfile::TempDir,
    order: SignalId,
}

impl Desk {
    fn new(lost: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("strategies")).unwrap();
        std::fs::write(
            dir.path().join("sandtrade.toml"),
            "mode = \"paper\"\nstrategies_dir = \"strategies\"\ndatabase = \"orders.sqlite\"\n\n\
             [ib]\nport = 7497\nclient_id = 7\naccount = \"DU1234567\"\n",
        )
        .unwrap();
        let mut store = OrderStore::open(dir.path().join("orders.sqlite"), StoreConfig::default())
            .expect("a fresh database");
        let record = SignalRecord {
            strategy: "momentum",
            wasm_hash: "5e1f00d",
            symbol: "AAPL",
            action: Action::OpenLong,
            quantity: 10,
            order_type: OrderType::Limit(190.0),
            timing: sandtrade_core::Timing::DAY,
            reason: "breakout",
            time_ms: 1_760_000_000_000,
        };
        let order = store.accept(&record, &normalize("AAPL").unwrap()).unwrap();
        store.observe_next_valid_id(CLIENT, 1).unwrap();
        store.take_next(CLIENT, 1).unwrap();
        if lost {
            store
                .mark_unknown(order, "the write to IB failed: broken pipe")
                .unwrap();
        }
        Desk { dir, order }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("sandtrade.toml")
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("orders.sqlite")
    }

    fn settle(&self, outcome: &str, reason: &str) -> Output {
        sandtrade()
            .arg("settle")
            .arg("--config")
            .arg(self.config())
            .arg(self.order.get().to_string())
            .args(["--outcome", outcome, "--reason", reason])
            .output()
            .expect("the binary runs")
    }

    /// The order's state and note, read from the file.
    fn order(&self) -> (String, Option<String>) {
        order_row(&self.database(), self.order)
    }
}

fn order_row(database: &Path, id: SignalId) -> (String, Option<String>) {
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.query_row(
        "SELECT state, note FROM orders WHERE signal_id = ?1",
        [id.get() as i64],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn an_unknown_order_is_cancelled_with_the_reason_kept() {
    let desk = Desk::new(true);
    let out = desk.settle("cancelled", "checked TWS: no such order");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("order {}: unknown → cancelled\n", desk.order)
    );
    let (state, note) = desk.order();
    assert_eq!(state, "cancelled");
    assert!(
        note.as_deref()
            .unwrap()
            .contains("checked TWS: no such order"),
        "{note:?}"
    );
}

#[test]
fn an_unknown_order_is_requeued_to_be_sent_again() {
    let desk = Desk::new(true);
    let out = desk.settle("requeued", "TWS audit trail shows nothing");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("order {}: unknown → queued\n", desk.order)
    );
    assert_eq!(desk.order().0, "queued");
}

#[test]
fn an_order_that_is_not_unknown_is_refused_and_left_alone() {
    let desk = Desk::new(false);
    let out = desk.settle("cancelled", "checked TWS");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sending"),
        "says the state it is in: {stderr}"
    );
    assert!(stderr.contains("unknown"), "says what it must be: {stderr}");
    assert_eq!(desk.order().0, "sending");
}

#[test]
fn an_empty_reason_is_refused() {
    let desk = Desk::new(true);
    let out = desk.settle("cancelled", "  ");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--reason is empty: say what was checked at IB"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(desk.order().0, "unknown");
}

#[test]
fn a_database_a_running_host_holds_is_refused() {
    let desk = Desk::new(true);
    // What a running host holds: the order store open for writing. The store `Desk::new` used
    // is closed, but a child another test forks at that moment holds a copy of its lock until
    // it execs (the lock belongs to the open file, which the fork shares): wait that out.
    let mut host = OrderStore::open(desk.database(), StoreConfig::default());
    for _ in 0..100 {
        if !matches!(host, Err(OrderStoreError::InUse(_))) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        host = OrderStore::open(desk.database(), StoreConfig::default());
    }
    let host = host.unwrap();
    let out = desk.settle("cancelled", "checked TWS");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("in use"), "{stderr}");
    drop(host);
    assert_eq!(desk.order().0, "unknown");
}
