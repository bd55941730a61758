//! Write transactions whose statements (`BEGIN IMMEDIATE`, `COMMIT`, savepoints) are cached
//! prepared statements, and the group that lets several operations share one commit.
//!
//! `rusqlite::Transaction` parses both statements again for every transaction; on the accept
//! path that is a measurable share of a signal's cost. `IMMEDIATE` takes the write lock at once,
//! so a transaction never fails half-way on a lock upgrade.
//!
//! A **group** ([`Group`]) makes the operations of one trading-loop turn one transaction: the
//! first write opens it (`BEGIN IMMEDIATE`), each operation runs in a savepoint of it (so a
//! failed operation still undoes only its own statements), and one `COMMIT` ends it. The commit
//! is what costs (system calls, the WAL frame writes); the savepoints cost next to nothing.

use std::cell::Cell;
use std::ops::Deref;

use rusqlite::Connection;

/// Where the connection's group stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Group {
    /// No group: each operation commits on its own.
    #[default]
    Off,
    /// Operations are to share one transaction, opened by the first write.
    Wanted,
    /// The transaction is open; operations run in savepoints of it.
    Open,
    /// SQLite rolled the open transaction back (an I/O error, a full disk): every operation of
    /// the group since it opened is gone from the file. Reported by the group's commit.
    Lost,
}

/// An open write operation: a transaction of its own, or a savepoint of the open group. Rolled
/// back on drop unless committed.
pub(super) struct WriteTx<'c> {
    conn: &'c Connection,
    group: &'c Cell<Group>,
    /// Whether this is a savepoint of the group (else a transaction of its own).
    in_group: bool,
    committed: bool,
}

impl<'c> WriteTx<'c> {
    /// `BEGIN IMMEDIATE`, or a savepoint when a group is wanted or open (opening it first).
    pub(super) fn begin(conn: &'c Connection, group: &'c Cell<Group>) -> rusqlite::Result<Self> {
        let in_group = join_group(conn, group)?;
        if in_group {
            conn.prepare_cached("SAVEPOINT operation")?.execute([])?;
        } else {
            conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        }
        Ok(Self {
            conn,
            group,
            in_group,
            committed: false,
        })
    }

    /// `COMMIT`, or the savepoint's `RELEASE` (durable when the group commits). On error the
    /// operation is rolled back when `self` drops.
    pub(super) fn commit(mut self) -> rusqlite::Result<()> {
        let sql = if self.in_group {
            "RELEASE operation"
        } else {
            "COMMIT"
        };
        self.conn.prepare_cached(sql)?.execute([])?;
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
        if self.committed {
            return;
        }
        // A failed statement may already have rolled everything back (then SQLite is in
        // autocommit again): in a group, the group's earlier operations are gone with it.
        if self.conn.is_autocommit() {
            if self.in_group {
                self.group.set(Group::Lost);
            }
            return;
        }
        let sql = if self.in_group {
            "ROLLBACK TO operation; RELEASE operation"
        } else {
            "ROLLBACK"
        };
        if let Err(err) = self.conn.execute_batch(sql) {
            tracing::error!(%err, "order store: {sql} failed");
        }
    }
}

/// Opens the group's transaction if one is wanted and not yet open. Returns whether writes now
/// belong to the group (a lost group takes none: they commit on their own, as without one).
pub(super) fn join_group(conn: &Connection, group: &Cell<Group>) -> rusqlite::Result<bool> {
    match group.get() {
        Group::Off | Group::Lost => Ok(false),
        Group::Open => Ok(true),
        Group::Wanted => {
            conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            group.set(Group::Open);
            Ok(true)
        }
    }
}

/// After a single-statement write in the group failed: whether SQLite rolled the whole group
/// back with it.
pub(super) fn note_failed_statement(conn: &Connection, group: &Cell<Group>) {
    if group.get() == Group::Open && conn.is_autocommit() {
        group.set(Group::Lost);
    }
}
