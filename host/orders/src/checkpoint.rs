//! Checkpoints off the hot path.
//!
//! In WAL mode SQLite normally checkpoints (copies the WAL into the database file, with an
//! fsync before and after at `synchronous = normal | full`) inside whichever commit pushes the
//! WAL past 1000 pages. That commit, an accepted signal's, would then take milliseconds.
//! Instead, the store's connection gets a WAL hook that only nudges this module's thread when
//! the WAL is past [`WAL_PAGES_BEFORE_CHECKPOINT`]; the thread runs a `PASSIVE` checkpoint on
//! its own connection, which never blocks the writer. Installing the hook turns SQLite's own
//! automatic checkpoint off.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, TrySendError};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::wal::CheckpointMode;

use super::OrderStoreError;
use super::schema::{self, Synchronous};

/// WAL size (pages) that triggers a checkpoint: SQLite's own default.
pub(super) const WAL_PAGES_BEFORE_CHECKPOINT: i32 = 1000;

/// The checkpoint thread; stopped and joined on drop.
#[derive(Debug)]
pub(super) struct Checkpointer {
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to `path`, starts the thread, and hooks `writer` so its
    /// commits nudge the thread.
    pub(super) fn start(
        path: &Path,
        synchronous: Synchronous,
        writer: &mut Connection,
    ) -> Result<Self, OrderStoreError> {
        let conn = Connection::open(path)?;
        // The checkpoint's fsyncs follow this connection's setting: the same as the writer's.
        schema::configure(&conn, synchronous)?;
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("orders-checkpoint".into())
            .spawn(move || run(&conn, &nudged))
            .map_err(OrderStoreError::Thread)?;
        // The WAL only shrinks when a checkpoint has caught up, so under a sustained stream of
        // commits `pages` stays high: nudge once per WAL_PAGES_BEFORE_CHECKPOINT new pages, not
        // on every commit, or the checkpoint thread would take a core from the writer.
        let mut next_nudge_at = WAL_PAGES_BEFORE_CHECKPOINT;
        writer.wal_hook(Some(move |_: &mut _, pages: i32| {
            if pages < next_nudge_at - WAL_PAGES_BEFORE_CHECKPOINT {
                // The WAL was reset: start counting again.
                next_nudge_at = WAL_PAGES_BEFORE_CHECKPOINT;
            }
            if pages >= next_nudge_at {
                next_nudge_at = pages.saturating_add(WAL_PAGES_BEFORE_CHECKPOINT);
                // Full: a nudge is already pending. Disconnected: the thread is gone (the store
                // is being dropped). Neither may fail the commit.
                match nudge.try_send(()) {
                    Ok(()) | Err(TrySendError::Full(()) | TrySendError::Disconnected(())) => {}
                }
            }
            Ok(())
        }))?;
        Ok(Self {
            thread: Some(thread),
        })
    }

    /// Unhooks `writer` (dropping the hook's sender ends the thread) and joins the thread.
    pub(super) fn stop(&mut self, writer: &mut Connection) {
        let unhook: Option<fn(&mut rusqlite::hooks::Wal, i32) -> rusqlite::Result<()>> = None;
        if let Err(err) = writer.wal_hook(unhook) {
            tracing::warn!(%err, "order store: removing the WAL hook failed");
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("order store: the checkpoint thread panicked");
        }
    }
}

fn run(conn: &Connection, nudged: &Receiver<()>) {
    // Ends when the writer's hook (the only sender) is dropped.
    while nudged.recv().is_ok() {
        if let Err(err) = conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
            tracing::warn!(%err, "order store: checkpoint failed; the WAL grows until the next one");
        }
    }
}
