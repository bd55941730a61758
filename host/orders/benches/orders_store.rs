//! Accepted signals into the durable order store, at each `synchronous` setting.
//!
//! Prints, per setting:
//! - sustained `accept` throughput (one transaction and one commit per signal, as the hot path
//!   does it) and the p50 / p99 / p99.9 / max of one call;
//! - the same for `accept_and_take` (the signal stored already `sending`, one commit);
//! - what the commit itself costs: the same two INSERTs with rusqlite directly, committed one
//!   signal per transaction vs 100 per transaction.
//!
//! `signals/s` is wall-clock: on a shared machine it includes the time other processes took the
//! CPU. `CPU µs` is this thread's own CPU time (user + system) per signal, and `capacity/s` its
//! inverse: what one core sustains when it is not shared. An fsync's wait is not CPU time, so at
//! `full` only the wall-clock figures mean anything.
//!
//! Run: `cargo bench -p sandtrade-orders --bench orders_store` (add `-- --quick` for a short run,
//! `-- --sync normal` for one setting).

use bench_kit::signals::{Figures, figures, print_header, print_row};
use bench_kit::thread_cpu_time as thread_cpu;

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use sandtrade_core::clock::DurationText;
use sandtrade_core::{Action, OrderType};
use sandtrade_core::{Instrument, normalize};
use sandtrade_orders::{OrderStore, SignalRecord, StoreConfig, Synchronous};

/// The accepted signals per second the store is to sustain at the default setting.
const TARGET_PER_SECOND: f64 = 50_000.0;

struct Budget {
    /// Most calls per measurement.
    calls: usize,
    /// Stop earlier when this much time has passed (fsync-bound settings).
    time: Duration,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--sync normal`: only that setting (e.g. under a profiler).
    let only: Option<Synchronous> = args
        .iter()
        .position(|a| a == "--sync")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse().expect("--sync off|normal|full"));
    let budget = if quick {
        Budget {
            calls: 20_000,
            time: Duration::from_secs(1),
        }
    } else {
        Budget {
            calls: 200_000,
            time: Duration::from_secs(5),
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "order store bench: database in {} ({} cores); up to {} calls or {} per row",
        dir.path().display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        budget.calls,
        DurationText(budget.time)
    );
    let instrument = normalize("AAPL").expect("symbol");

    println!();
    print_header("operation");
    let mut default_rate = 0.0;
    for sync in Synchronous::ALL
        .into_iter()
        .filter(|s| only.is_none_or(|o| o == *s))
    {
        let accept = measure(&dir, "accept", sync, &budget, |store, record| {
            store.accept(record, &instrument).expect("accept");
        });
        if sync == Synchronous::Normal {
            default_rate = accept.rate;
        }
        print_row("accept (queued)", &sync, &accept);

        let take = measure(&dir, "take", sync, &budget, |store, record| {
            store
                .accept_and_take(record, &instrument, 1)
                .expect("accept and take");
        });
        print_row("accept_and_take (sending)", &sync, &take);

        let single = raw_inserts(&dir, sync, 1, &budget);
        print_row("raw 2 INSERTs, 1/commit", &sync, &single);
        let batched = raw_inserts(&dir, sync, 100, &budget);
        print_row("raw 2 INSERTs, 100/commit", &sync, &batched);
    }
    println!();
    println!(
        "default (normal): {:.0} accepted signals/s = {:.2}× the {:.0}/s target",
        default_rate,
        default_rate / TARGET_PER_SECOND,
        TARGET_PER_SECOND
    );
}

fn record(n: usize) -> SignalRecord<'static> {
    SignalRecord {
        strategy: "bench",
        wasm_hash: "0f3a9c2d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19",
        symbol: "AAPL",
        action: Action::OpenLong,
        quantity: 100,
        order_type: if n.is_multiple_of(2) {
            OrderType::Market
        } else {
            OrderType::Limit(187.25)
        },
        timing: sandtrade_core::Timing::DAY,
        reason: "bench: crossover",
        time_ms: 1_760_000_000_000,
    }
}

/// Calls `op` once per signal on a fresh store, timing each call.
fn measure(
    dir: &tempfile::TempDir,
    name: &str,
    sync: Synchronous,
    budget: &Budget,
    mut op: impl FnMut(&mut OrderStore, &SignalRecord<'_>),
) -> Figures {
    let path = dir.path().join(format!("{name}-{sync}.sqlite"));
    let mut store = OrderStore::open(&path, StoreConfig { synchronous: sync }).expect("open");
    store.observe_next_valid_id(1, 1).expect("id floor");
    // Warm the statement cache and the file.
    for n in 0..100 {
        op(&mut store, &record(n));
    }
    let mut samples = Vec::with_capacity(budget.calls);
    let cpu = thread_cpu();
    let start = Instant::now();
    for n in 0..budget.calls {
        let record = record(n);
        let t = Instant::now();
        op(&mut store, &record);
        samples.push(t.elapsed());
        if n.is_multiple_of(256) && start.elapsed() > budget.time {
            break;
        }
    }
    figures(samples, start.elapsed(), thread_cpu() - cpu, 1)
}

/// The two rows `accept` writes, through rusqlite directly, `per_commit` signals per
/// transaction: how much of a signal's cost is the commit.
fn raw_inserts(
    dir: &tempfile::TempDir,
    sync: Synchronous,
    per_commit: usize,
    budget: &Budget,
) -> Figures {
    let path = dir.path().join(format!("raw-{per_commit}-{sync}.sqlite"));
    let mut conn = Connection::open(&path).expect("open");
    conn.pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))
        .expect("wal");
    conn.pragma_update(None, "synchronous", sync.as_str())
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, t INTEGER, strategy TEXT, hash TEXT,
             symbol TEXT, action TEXT, qty INTEGER, kind TEXT, px REAL, reason TEXT, verdict TEXT);
         CREATE TABLE o (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, strategy TEXT, hash TEXT,
             symbol TEXT, market TEXT, action TEXT, qty INTEGER, kind TEXT, px REAL, state TEXT,
             created INTEGER, updated INTEGER);",
    )
    .expect("schema");
    let instrument: Instrument = normalize("AAPL").expect("symbol");
    let batches = budget.calls / per_commit;
    let mut samples = Vec::with_capacity(batches);
    let cpu = thread_cpu();
    let start = Instant::now();
    for b in 0..batches {
        let t = Instant::now();
        let tx = conn.transaction().expect("begin");
        for n in 0..per_commit {
            let r = record(b * per_commit + n);
            let id = tx
                .prepare_cached(
                    "INSERT INTO s (t, strategy, hash, symbol, action, qty, kind, px, reason, verdict)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'accepted')",
                )
                .expect("prepare")
                .insert(params![
                    r.time_ms,
                    r.strategy,
                    r.wasm_hash,
                    r.symbol,
                    r.action.as_str(),
                    r.quantity,
                    "market",
                    r.order_type.limit_price(),
                    r.reason
                ])
                .expect("insert signal");
            tx.prepare_cached(
                "INSERT INTO o (id, ref, strategy, hash, symbol, market, action, qty, kind, px, state, created, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?11)",
            )
            .expect("prepare")
            .execute(params![
                id,
                format!("st-benchtag-{id}"),
                r.strategy,
                r.wasm_hash,
                instrument.symbol,
                instrument.market.as_str(),
                r.action.as_str(),
                r.quantity,
                "market",
                r.order_type.limit_price(),
                r.time_ms
            ])
            .expect("insert order");
        }
        tx.commit().expect("commit");
        samples.push(t.elapsed());
        if b.is_multiple_of(64) && start.elapsed() > budget.time {
            break;
        }
    }
    figures(samples, start.elapsed(), thread_cpu() - cpu, per_commit)
}
