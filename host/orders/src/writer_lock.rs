//! One writer per order database: an exclusive lock on `<database>.lock`, held for as long as
//! the store is open.
//!
//! SQLite would let a second process write the file, but the store keeps the working orders,
//! the ledger and the order-id floors in memory: a second writer (a second `sandtrade run`, or
//! `sandtrade settle` while the host runs) would change rows behind the first one's back, and
//! the first would send, count or settle from a stale picture. The OS drops the lock when the
//! process ends, however it ends, so a crash never leaves the database locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use super::OrderStoreError;

/// The held lock; released when dropped.
#[derive(Debug)]
pub(super) struct WriterLock {
    file: File,
}

impl WriterLock {
    /// Takes the lock of the database at `database`, without waiting.
    ///
    /// # Errors
    ///
    /// [`OrderStoreError::InUse`] if another store holds it; [`OrderStoreError::Lock`] if the
    /// lock file cannot be opened or locked.
    pub(super) fn acquire(database: &Path) -> Result<Self, OrderStoreError> {
        let path = lock_path(database);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| OrderStoreError::Lock(format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { file }),
            Err(TryLockError::WouldBlock) => Err(OrderStoreError::InUse(path)),
            Err(TryLockError::Error(e)) => Err(OrderStoreError::Lock(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}

impl Drop for WriterLock {
    /// Unlocks before the file closes: closing alone releases the lock only once every copy
    /// of the descriptor is closed, and a child process being started (between its fork and
    /// its exec) briefly holds one, so a store reopened at that moment would find the lock
    /// still taken.
    fn drop(&mut self) {
        let _closing_anyway = self.file.unlock();
    }
}

/// `orders.sqlite` → `orders.sqlite.lock`.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("orders.sqlite");
        let first = WriterLock::acquire(&database).unwrap();
        match WriterLock::acquire(&database) {
            Err(OrderStoreError::InUse(path)) => assert_eq!(path, lock_path(&database)),
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(first);
        WriterLock::acquire(&database).unwrap();
    }
}
