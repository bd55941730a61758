//! Write transactions whose `BEGIN IMMEDIATE` and `COMMIT` are cached prepared statements.
//!
//! `rusqlite::Transaction` parses both statements again for every transaction; on the accept
//! path that is a measurable share of a signal's cost. `IMMEDIATE` takes the write lock at once,
//! so a transaction never fails half-way on a lock upgrade.

use std::ops::Deref;

use rusqlite::Connection;

/// An open write transaction; rolled back on drop unless committed.
pub(super) struct WriteTx<'c> {
    conn: &'c Connection,
    committed: bool,
}

impl<'c> WriteTx<'c> {
    /// `BEGIN IMMEDIATE`.
    pub(super) fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Self {
            conn,
            committed: false,
        })
    }

    /// `COMMIT`. On error the transaction is rolled back when `self` drops.
    pub(super) fn commit(mut self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.committed = true;
        Ok(())
    }
}

impl Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        // A failed COMMIT may already have rolled back (then SQLite is in autocommit again).
        if !self.committed
            && !self.conn.is_autocommit()
            && let Err(err) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(%err, "order store: ROLLBACK failed");
        }
    }
}
