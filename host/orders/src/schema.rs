//! The database file: connection settings and the versioned schema.
//!
//! Migrations are a ladder of SQL scripts in [`MIGRATIONS`]; `PRAGMA user_version` records how
//! many have run. Each step runs in its own transaction together with the version bump, so a
//! crash mid-migration leaves the previous version intact. A database newer than this build is
//! refused rather than guessed at. (`rusqlite_migration` does the same, but its current release
//! is tied to an older rusqlite; the ladder is a dozen lines.)

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rusqlite::Connection;

use super::OrderStoreError;

/// How hard SQLite works to make each commit survive a crash. See `docs/orders.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Synchronous {
    /// No fsync at all. Survives a process kill (the OS has the writes); an OS crash or
    /// power loss can lose recent commits *and* corrupt the file. Benchmarks only.
    Off,
    /// The default. In WAL mode a commit is a `write()` to the WAL, fsynced only at
    /// checkpoints. Survives a process kill (SIGKILL included); an OS crash or power loss can
    /// lose the last commits, never corrupt the file.
    #[default]
    Normal,
    /// fsync of the WAL on every commit. Survives a process kill, an OS crash and power loss
    /// (if the disk honours flushes), at the cost of one fsync per accepted signal.
    Full,
}

impl Synchronous {
    /// Every setting, weakest first.
    pub const ALL: [Self; 3] = [Self::Off, Self::Normal, Self::Full];

    /// The `PRAGMA synchronous` value, also the config spelling (`off`, `normal`, `full`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Normal => "normal",
            Self::Full => "full",
        }
    }

    /// SQLite's number for the setting, as `PRAGMA synchronous` reads it back.
    const fn code(self) -> i64 {
        match self {
            Self::Off => 0,
            Self::Normal => 1,
            Self::Full => 2,
        }
    }
}

impl fmt::Display for Synchronous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `synchronous` value that is not `off`, `normal` or `full`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown synchronous setting {0:?}: expected \"off\", \"normal\" or \"full\"")]
pub struct UnknownSynchronous(pub String);

impl FromStr for Synchronous {
    type Err = UnknownSynchronous;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|sync| sync.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSynchronous(s.to_owned()))
    }
}

/// How long a statement waits for another connection's lock (an API reader, a checkpoint)
/// before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page size of a new database. Every commit writes each page it touched, whole, to the WAL
/// (and checksums it): an accepted signal touches three pages (signals, orders, the client
/// order id index), so the page size sets most of a commit's cost. Rows here are ~300 bytes.
const PAGE_SIZE: i64 = 1024;

/// Statements the store prepares; all of them stay cached.
const STATEMENT_CACHE: usize = 64;

/// Sets up a freshly opened connection: WAL, the chosen `synchronous`, foreign keys.
pub(super) fn configure(conn: &Connection, sync: Synchronous) -> Result<(), OrderStoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Takes effect only on a new, empty file (before WAL is enabled); see PAGE_SIZE.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OrderStoreError::NotWal(mode));
    }
    conn.pragma_update(None, "synchronous", sync.as_str())?;
    let applied: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    if applied != sync.code() {
        return Err(OrderStoreError::Pragma(format!(
            "synchronous={sync} read back as {applied}"
        )));
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    // The savepoint of each operation in a group keeps the pages it changes in a statement
    // journal: in memory, not a temporary file written with a system call per page. A crash
    // loses nothing by it; the journal only serves to undo one operation of an open group.
    conn.pragma_update(None, "temp_store", "memory")?;
    Ok(())
}

/// Brings the schema up to the latest version.
///
/// Foreign keys are off while the ladder runs: a step that widens a `CHECK` rebuilds its table
/// (SQLite cannot alter a constraint), and dropping the old copy of a table others reference
/// would otherwise fail. Every reference is checked once the ladder is done.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), OrderStoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let latest = i64::try_from(MIGRATIONS.len()).expect("a handful of migrations");
    if found > latest {
        return Err(OrderStoreError::SchemaTooNew { found, latest });
    }
    if found == latest {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", false)?;
    for (version, script) in (1..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(script)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    let dangling: i64 =
        conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })?;
    if dangling > 0 {
        return Err(OrderStoreError::Corrupt(format!(
            "{dangling} rows reference a row that does not exist after the schema upgrade"
        )));
    }
    Ok(())
}

/// The schema, one script per version. Never edit a released step: add a new one.
pub(super) const MIGRATIONS: [&str; 5] = [V1, V2, V3, V4, V5];

/// Version 1. Kebab-case names (`open-long`, `partially-filled`) match the WIT and the API.
/// Quantities are whole shares; money is `REAL` in the instrument's currency.
const V1: &str = r"
-- Every signal a strategy emitted, with its verdict. `symbol` is as the strategy wrote it.
-- `id` is the row id (no AUTOINCREMENT: it would cost a page write per signal); rows are never
-- deleted, and the session tag in client order ids covers ids repeated after lost commits.
CREATE TABLE signals (
    id             INTEGER PRIMARY KEY,
    time_ms        INTEGER NOT NULL,
    strategy       TEXT    NOT NULL,
    wasm_hash      TEXT    NOT NULL,
    symbol         TEXT    NOT NULL,
    action         TEXT    NOT NULL CHECK (action IN ('open-long', 'add-long', 'close-long', 'reduce-long')),
    quantity       INTEGER NOT NULL CHECK (quantity >= 0),
    order_type     TEXT    NOT NULL CHECK (order_type IN ('market', 'limit')),
    limit_price    REAL,
    reason         TEXT    NOT NULL,
    verdict        TEXT    NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    reject_code    TEXT,
    reject_message TEXT,
    CHECK ((verdict = 'accepted') = (reject_code IS NULL)),
    CHECK ((order_type = 'limit') = (limit_price IS NOT NULL))
) STRICT;

-- One order per accepted signal. `client_order_id` is the orderRef sent to IB.
-- No index on `state`: the working orders are read once, at open, and kept in memory; every
-- index is one more page written by each accepted signal.
-- `filled_qty`, `filled_notional` and `avg_price` are derived from `fills` in the same
-- transaction that inserts a fill.
CREATE TABLE orders (
    signal_id       INTEGER PRIMARY KEY REFERENCES signals (id),
    client_order_id TEXT    NOT NULL UNIQUE,
    strategy        TEXT    NOT NULL,
    wasm_hash       TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    market          TEXT    NOT NULL CHECK (market IN ('us-stock', 'hk-stock')),
    action          TEXT    NOT NULL CHECK (action IN ('open-long', 'add-long', 'close-long', 'reduce-long')),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    order_type      TEXT    NOT NULL CHECK (order_type IN ('market', 'limit')),
    limit_price     REAL,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'submitted',
                        'partially-filled', 'filled', 'cancelled', 'rejected', 'unknown')),
    ib_client_id    INTEGER,
    ib_order_id     INTEGER,
    perm_id         INTEGER,
    ib_status       TEXT,
    filled_qty      INTEGER NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_notional REAL    NOT NULL DEFAULT 0,
    avg_price       REAL,
    commission      REAL    NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    sent_ms         INTEGER,
    updated_ms      INTEGER NOT NULL,
    note            TEXT,
    CHECK ((order_type = 'limit') = (limit_price IS NOT NULL))
) STRICT;
CREATE INDEX orders_perm_id ON orders (perm_id) WHERE perm_id IS NOT NULL;

-- Executions, only from IB's execDetails; a second report of an exec id is a no-op. A
-- correction (same `exec_stem`, a later suffix) replaces the fill it corrects: the replaced one
-- stays, with `replaced_by` set, and no longer counts. `seq` is the arrival order.
CREATE TABLE fills (
    seq         INTEGER PRIMARY KEY,
    exec_id     TEXT    NOT NULL UNIQUE,
    exec_stem   TEXT    NOT NULL,
    signal_id   INTEGER NOT NULL REFERENCES orders (signal_id),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    price       REAL    NOT NULL,
    time_ms     INTEGER NOT NULL,
    perm_id     INTEGER,
    received_ms INTEGER NOT NULL,
    replaced_by TEXT
) STRICT;
CREATE INDEX fills_signal ON fills (signal_id);
CREATE INDEX fills_stem ON fills (exec_stem);

-- Commission reports, joined to fills by exec id; either may arrive first.
CREATE TABLE commissions (
    exec_id      TEXT    PRIMARY KEY,
    commission   REAL    NOT NULL,
    currency     TEXT    NOT NULL,
    realized_pnl REAL,
    received_ms  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The ledger: each strategy's position per symbol, from its own fills.
CREATE TABLE positions (
    strategy     TEXT    NOT NULL,
    symbol       TEXT    NOT NULL,
    market       TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    avg_cost     REAL    NOT NULL,
    realized_pnl REAL    NOT NULL,
    commissions  REAL    NOT NULL,
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (strategy, symbol)
) STRICT, WITHOUT ROWID;

-- The next IB order id per clientId: never lowered, so a nextValidId rollback after a gateway
-- restart cannot make us reuse an id.
CREATE TABLE ib_order_ids (
    client_id     INTEGER PRIMARY KEY,
    next_order_id INTEGER NOT NULL
) STRICT;
";

/// Version 3: `orders.modify_requested_ms` records a change of a working order's quantity or
/// prices (written into the row's own columns) before it is sent, so one that IB has not
/// acknowledged is sent again after reconciliation; `orders.modify_prior` keeps the terms IB
/// works until then (JSON `{quantity, order_type}`), restored if IB refuses the change.
/// `signals` keeps what was first asked.
const V3: &str = r"
ALTER TABLE orders ADD COLUMN modify_requested_ms INTEGER;
ALTER TABLE orders ADD COLUMN modify_prior TEXT
    CHECK ((modify_prior IS NULL) OR (modify_requested_ms IS NOT NULL));
";

/// Version 5: the same tables, each `CHECK` against a list of values written as comparisons
/// joined by `OR`. SQLite evaluates `x IN (...)` with more than two constants by building a
/// temporary b-tree of the list, again on every INSERT and UPDATE: a third of the cost of
/// storing a signal and its order went there. Two-value lists stay `IN`, which SQLite compares
/// directly.
const V5: &str = r"
CREATE TABLE signals_v5 (
    id             INTEGER PRIMARY KEY,
    time_ms        INTEGER NOT NULL,
    strategy       TEXT    NOT NULL,
    wasm_hash      TEXT    NOT NULL,
    symbol         TEXT    NOT NULL,
    action         TEXT    NOT NULL CHECK ((action = 'open-long' OR action = 'add-long' OR
            action = 'close-long' OR action = 'reduce-long')),
    quantity       INTEGER NOT NULL CHECK (quantity >= 0),
    order_type     TEXT    NOT NULL CHECK ((order_type = 'market' OR order_type = 'limit' OR
            order_type = 'stop' OR order_type = 'stop-limit' OR order_type = 'trailing-stop' OR
            order_type = 'market-on-close' OR order_type = 'limit-on-close')),
    limit_price    REAL,
    stop_price     REAL,
    trail_amount   REAL,
    trail_percent  REAL,
    limit_offset   REAL,
    tif            TEXT    NOT NULL CHECK ((tif = 'day' OR tif = 'gtc' OR tif = 'ioc' OR
            tif = 'opg')),
    outside_rth    INTEGER NOT NULL CHECK (outside_rth IN (0, 1)),
    reason         TEXT    NOT NULL,
    verdict        TEXT    NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    reject_code    TEXT,
    reject_message TEXT,
    CHECK ((verdict = 'accepted') = (reject_code IS NULL)),
    CHECK (((order_type = 'limit' OR order_type = 'stop-limit' OR
            order_type = 'limit-on-close')) = (limit_price IS NOT NULL)),
    CHECK ((order_type IN ('stop', 'stop-limit')) = (stop_price IS NOT NULL)),
    CHECK (CASE WHEN order_type = 'trailing-stop'
                THEN (trail_amount IS NULL) <> (trail_percent IS NULL)
                ELSE trail_amount IS NULL AND trail_percent IS NULL AND limit_offset IS NULL END)
) STRICT;
INSERT INTO signals_v5
    (id, time_ms, strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, stop_price,
     trail_amount, trail_percent, limit_offset, tif, outside_rth, reason, verdict, reject_code,
     reject_message)
SELECT id, time_ms, strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, stop_price,
     trail_amount, trail_percent, limit_offset, tif, outside_rth, reason, verdict, reject_code,
     reject_message
FROM signals;
DROP TABLE signals;
ALTER TABLE signals_v5 RENAME TO signals;

CREATE TABLE orders_v5 (
    signal_id       INTEGER PRIMARY KEY REFERENCES signals (id),
    client_order_id TEXT    NOT NULL UNIQUE,
    strategy        TEXT    NOT NULL,
    wasm_hash       TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    market          TEXT    NOT NULL CHECK (market IN ('us-stock', 'hk-stock')),
    action          TEXT    NOT NULL CHECK ((action = 'open-long' OR action = 'add-long' OR
            action = 'close-long' OR action = 'reduce-long')),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    order_type      TEXT    NOT NULL CHECK ((order_type = 'market' OR order_type = 'limit' OR
            order_type = 'stop' OR order_type = 'stop-limit' OR order_type = 'trailing-stop' OR
            order_type = 'market-on-close' OR order_type = 'limit-on-close')),
    limit_price     REAL,
    stop_price      REAL,
    trail_amount    REAL,
    trail_percent   REAL,
    limit_offset    REAL,
    tif             TEXT    NOT NULL CHECK ((tif = 'day' OR tif = 'gtc' OR tif = 'ioc' OR
            tif = 'opg')),
    outside_rth     INTEGER NOT NULL CHECK (outside_rth IN (0, 1)),
    state           TEXT    NOT NULL CHECK ((state = 'queued' OR state = 'sending' OR
            state = 'submitted' OR state = 'partially-filled' OR state = 'filled' OR
            state = 'cancelled' OR state = 'rejected' OR state = 'unknown')),
    ib_client_id    INTEGER,
    ib_order_id     INTEGER,
    perm_id         INTEGER,
    ib_status       TEXT,
    filled_qty      INTEGER NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_notional REAL    NOT NULL DEFAULT 0,
    avg_price       REAL,
    commission      REAL    NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    sent_ms         INTEGER,
    updated_ms      INTEGER NOT NULL,
    note            TEXT,
    cancel_requested_ms INTEGER,
    modify_requested_ms INTEGER,
    modify_prior    TEXT CHECK ((modify_prior IS NULL) OR (modify_requested_ms IS NOT NULL)),
    exit_of         INTEGER REFERENCES orders (signal_id)
                        CHECK ((exit_of IS NULL) OR (exit_of < signal_id)),
    CHECK (((order_type = 'limit' OR order_type = 'stop-limit' OR
            order_type = 'limit-on-close')) = (limit_price IS NOT NULL)),
    CHECK ((order_type IN ('stop', 'stop-limit')) = (stop_price IS NOT NULL)),
    CHECK (CASE WHEN order_type = 'trailing-stop'
                THEN (trail_amount IS NULL) <> (trail_percent IS NULL)
                ELSE trail_amount IS NULL AND trail_percent IS NULL AND limit_offset IS NULL END)
) STRICT;
INSERT INTO orders_v5
    (signal_id, client_order_id, strategy, wasm_hash, symbol, market, action, quantity,
     order_type, limit_price, stop_price, trail_amount, trail_percent, limit_offset, tif,
     outside_rth, state, ib_client_id, ib_order_id, perm_id, ib_status, filled_qty,
     filled_notional, avg_price, commission, created_ms, sent_ms, updated_ms, note,
     cancel_requested_ms, modify_requested_ms, modify_prior, exit_of)
SELECT signal_id, client_order_id, strategy, wasm_hash, symbol, market, action, quantity,
     order_type, limit_price, stop_price, trail_amount, trail_percent, limit_offset, tif,
     outside_rth, state, ib_client_id, ib_order_id, perm_id, ib_status, filled_qty,
     filled_notional, avg_price, commission, created_ms, sent_ms, updated_ms, note,
     cancel_requested_ms, modify_requested_ms, modify_prior, exit_of
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v5 RENAME TO orders;
CREATE INDEX orders_perm_id ON orders (perm_id) WHERE perm_id IS NOT NULL;
";

/// Version 4: brackets. `orders.exit_of` is, for an exit of a bracket, the signal id of its
/// entry: IB holds the exits as the entry's children and works them once it has filled.
const V4: &str = r"
ALTER TABLE orders ADD COLUMN exit_of INTEGER REFERENCES orders (signal_id)
    CHECK ((exit_of IS NULL) OR (exit_of < signal_id));
";

/// Version 2: the protective order types and time in force. `signals` and `orders` are
/// rebuilt with the wider `order_type` check and the columns each type needs: `stop_price`
/// (stop, stop-limit), `trail_amount` or `trail_percent` and an optional `limit_offset`
/// (trailing stop), `tif` and `outside_rth`. Existing rows become day orders in regular hours,
/// which they were. `orders.cancel_requested_ms` records a cancel before it is sent, so one
/// that did not reach IB (disconnected, or the host died) is sent again after reconciliation.
const V2: &str = r"
CREATE TABLE signals_v2 (
    id             INTEGER PRIMARY KEY,
    time_ms        INTEGER NOT NULL,
    strategy       TEXT    NOT NULL,
    wasm_hash      TEXT    NOT NULL,
    symbol         TEXT    NOT NULL,
    action         TEXT    NOT NULL CHECK (action IN ('open-long', 'add-long', 'close-long', 'reduce-long')),
    quantity       INTEGER NOT NULL CHECK (quantity >= 0),
    order_type     TEXT    NOT NULL CHECK (order_type IN ('market', 'limit', 'stop', 'stop-limit',
                       'trailing-stop', 'market-on-close', 'limit-on-close')),
    limit_price    REAL,
    stop_price     REAL,
    trail_amount   REAL,
    trail_percent  REAL,
    limit_offset   REAL,
    tif            TEXT    NOT NULL CHECK (tif IN ('day', 'gtc', 'ioc', 'opg')),
    outside_rth    INTEGER NOT NULL CHECK (outside_rth IN (0, 1)),
    reason         TEXT    NOT NULL,
    verdict        TEXT    NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    reject_code    TEXT,
    reject_message TEXT,
    CHECK ((verdict = 'accepted') = (reject_code IS NULL)),
    CHECK ((order_type IN ('limit', 'stop-limit', 'limit-on-close')) = (limit_price IS NOT NULL)),
    CHECK ((order_type IN ('stop', 'stop-limit')) = (stop_price IS NOT NULL)),
    CHECK (CASE WHEN order_type = 'trailing-stop'
                THEN (trail_amount IS NULL) <> (trail_percent IS NULL)
                ELSE trail_amount IS NULL AND trail_percent IS NULL AND limit_offset IS NULL END)
) STRICT;
INSERT INTO signals_v2
    (id, time_ms, strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, tif,
     outside_rth, reason, verdict, reject_code, reject_message)
SELECT id, time_ms, strategy, wasm_hash, symbol, action, quantity, order_type, limit_price, 'day',
     0, reason, verdict, reject_code, reject_message
FROM signals;
DROP TABLE signals;
ALTER TABLE signals_v2 RENAME TO signals;

CREATE TABLE orders_v2 (
    signal_id       INTEGER PRIMARY KEY REFERENCES signals (id),
    client_order_id TEXT    NOT NULL UNIQUE,
    strategy        TEXT    NOT NULL,
    wasm_hash       TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    market          TEXT    NOT NULL CHECK (market IN ('us-stock', 'hk-stock')),
    action          TEXT    NOT NULL CHECK (action IN ('open-long', 'add-long', 'close-long', 'reduce-long')),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    order_type      TEXT    NOT NULL CHECK (order_type IN ('market', 'limit', 'stop', 'stop-limit',
                        'trailing-stop', 'market-on-close', 'limit-on-close')),
    limit_price     REAL,
    stop_price      REAL,
    trail_amount    REAL,
    trail_percent   REAL,
    limit_offset    REAL,
    tif             TEXT    NOT NULL CHECK (tif IN ('day', 'gtc', 'ioc', 'opg')),
    outside_rth     INTEGER NOT NULL CHECK (outside_rth IN (0, 1)),
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'submitted',
                        'partially-filled', 'filled', 'cancelled', 'rejected', 'unknown')),
    ib_client_id    INTEGER,
    ib_order_id     INTEGER,
    perm_id         INTEGER,
    ib_status       TEXT,
    filled_qty      INTEGER NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_notional REAL    NOT NULL DEFAULT 0,
    avg_price       REAL,
    commission      REAL    NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    sent_ms         INTEGER,
    updated_ms      INTEGER NOT NULL,
    note            TEXT,
    cancel_requested_ms INTEGER,
    CHECK ((order_type IN ('limit', 'stop-limit', 'limit-on-close')) = (limit_price IS NOT NULL)),
    CHECK ((order_type IN ('stop', 'stop-limit')) = (stop_price IS NOT NULL)),
    CHECK (CASE WHEN order_type = 'trailing-stop'
                THEN (trail_amount IS NULL) <> (trail_percent IS NULL)
                ELSE trail_amount IS NULL AND trail_percent IS NULL AND limit_offset IS NULL END)
) STRICT;
INSERT INTO orders_v2
    (signal_id, client_order_id, strategy, wasm_hash, symbol, market, action, quantity,
     order_type, limit_price, tif, outside_rth, state, ib_client_id, ib_order_id, perm_id,
     ib_status, filled_qty, filled_notional, avg_price, commission, created_ms, sent_ms,
     updated_ms, note)
SELECT signal_id, client_order_id, strategy, wasm_hash, symbol, market, action, quantity,
     order_type, limit_price, 'day', 0, state, ib_client_id, ib_order_id, perm_id,
     ib_status, filled_qty, filled_notional, avg_price, commission, created_ms, sent_ms,
     updated_ms, note
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v2 RENAME TO orders;
CREATE INDEX orders_perm_id ON orders (perm_id) WHERE perm_id IS NOT NULL;
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchronous_parses_config_spellings() {
        assert_eq!("normal".parse(), Ok(Synchronous::Normal));
        assert_eq!("FULL".parse(), Ok(Synchronous::Full));
        assert_eq!("off".parse(), Ok(Synchronous::Off));
        assert_eq!(
            "extra".parse::<Synchronous>().unwrap_err().to_string(),
            r#"unknown synchronous setting "extra": expected "off", "normal" or "full""#
        );
        assert_eq!(Synchronous::default(), Synchronous::Normal);
    }

    #[test]
    fn migrations_are_idempotent_and_refuse_newer_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        configure(&conn, Synchronous::Normal).unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 5);

        conn.pragma_update(None, "user_version", 7).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order database schema version 7 is newer than this build supports (5): upgrade sandtrade"
        );
    }

    #[test]
    fn a_version_1_file_keeps_its_orders_and_fills_as_day_orders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        configure(&conn, Synchronous::Normal).unwrap();
        conn.execute_batch(V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO signals (id, time_ms, strategy, wasm_hash, symbol, action, quantity,
                 order_type, limit_price, reason, verdict)
             VALUES (7, 1, 's', 'h', 'AAPL', 'open-long', 10, 'limit', 101.5, 'r', 'accepted');
             INSERT INTO orders (signal_id, client_order_id, strategy, wasm_hash, symbol, market,
                 action, quantity, order_type, limit_price, state, filled_qty, created_ms,
                 updated_ms)
             VALUES (7, 'st-7', 's', 'h', 'AAPL', 'us-stock', 'open-long', 10, 'limit', 101.5,
                 'filled', 10, 1, 2);
             INSERT INTO fills (exec_id, exec_stem, signal_id, quantity, price, time_ms,
                 received_ms)
             VALUES ('e.1', 'e', 7, 10, 101.5, 2, 2);",
        )
        .unwrap();

        migrate(&mut conn).unwrap();

        let order: (String, f64, String, i64, String) = conn
            .query_row(
                "SELECT o.order_type, o.limit_price, o.tif, o.outside_rth, s.tif
                 FROM orders o JOIN signals s ON s.id = o.signal_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            order,
            ("limit".into(), 101.5, "day".into(), 0, "day".into())
        );
        let fills: i64 = conn
            .query_row("SELECT count(*) FROM fills WHERE signal_id = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(fills, 1);
        let fk: bool = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are back on after the upgrade");
        // The rebuilt `orders` is still the one `fills` references.
        let orphan = conn.execute(
            "INSERT INTO fills (exec_id, exec_stem, signal_id, quantity, price, time_ms,
                 received_ms) VALUES ('e.2', 'e2', 99, 1, 1.0, 1, 1)",
            [],
        );
        assert!(orphan.is_err(), "a fill of no order is refused");
    }
}
