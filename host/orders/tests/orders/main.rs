//! The durable order store against real SQLite files in temporary directories.

mod bracket;
mod crash;
mod group;
mod lifecycle;
mod props;
mod reconcile;
mod store;

use std::path::{Path, PathBuf};

use sandtrade_core::normalize;
use sandtrade_core::{Action, OrderType, Side};
use sandtrade_orders::{
    CommissionReport, Execution, OrderStore, SignalId, SignalRecord, StoreConfig, Synchronous,
};

/// A temporary directory with an order database path in it.
pub struct TempDb {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Default for TempDb {
    fn default() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("orders.sqlite");
        Self { _dir: dir, path }
    }
}

impl TempDb {
    pub fn open(&self) -> OrderStore {
        open_at(&self.path, Synchronous::Normal)
    }
}

pub fn open_at(path: &Path, synchronous: Synchronous) -> OrderStore {
    OrderStore::open(path, StoreConfig { synchronous }).expect("open order store")
}

/// A signal of `strategy` with a fixed hash and reason.
pub fn signal<'a>(
    strategy: &'a str,
    symbol: &'a str,
    action: Action,
    quantity: u32,
) -> SignalRecord<'a> {
    SignalRecord {
        strategy,
        wasm_hash: "5e1f00d",
        symbol,
        action,
        quantity,
        order_type: OrderType::Market,
        timing: sandtrade_core::Timing::DAY,
        reason: "test",
        time_ms: 1_760_000_000_000,
    }
}

/// Accepts a signal, normalizing its symbol.
pub fn accept(store: &mut OrderStore, record: &SignalRecord<'_>) -> SignalId {
    let instrument = normalize(record.symbol).expect("test symbol");
    store.accept(record, &instrument).expect("accept")
}

/// Takes the one queued order for sending on `client_id` and returns its `orderRef`.
pub fn take_one(store: &mut OrderStore, client_id: i32) -> String {
    let mut taken = store.take_next(client_id, 1).expect("take");
    assert_eq!(taken.len(), 1, "exactly one order was queued");
    taken.remove(0).client_order_id
}

/// An execution of `order_ref`.
pub fn exec(exec_id: &str, order_ref: &str, side: Side, quantity: u32, price: f64) -> Execution {
    Execution {
        exec_id: exec_id.to_owned(),
        order_ref: order_ref.to_owned(),
        perm_id: None,
        side,
        quantity,
        price,
        time_ms: 1_760_000_000_500,
    }
}

/// A commission report in USD.
pub fn commission(exec_id: &str, amount: f64) -> CommissionReport {
    CommissionReport {
        exec_id: exec_id.to_owned(),
        commission: amount,
        currency: "USD".to_owned(),
        realized_pnl: None,
    }
}

/// Everything the store holds in memory, in a comparable order: what must equal the state
/// rebuilt from the file at open.
pub fn memory_image(store: &OrderStore) -> String {
    let mut positions: Vec<String> = store
        .positions()
        .map(|(strategy, symbol, market, p)| {
            let e = store.exposure(strategy, symbol);
            format!("{strategy}/{symbol}/{market}: {p:?} {e:?}")
        })
        .collect();
    positions.sort();
    let working: Vec<String> = store
        .working_orders()
        .iter()
        .map(|o| {
            let e = store.exposure(&o.strategy, &o.instrument.symbol);
            format!("{o:?} {e:?}")
        })
        .collect();
    format!(
        "{positions:#?}\n{working:#?}\nqueued={}",
        store.queued_len()
    )
}
