//! One commit per turn of the loop: the signals a bar brings and the taking of their orders for
//! sending are one transaction of the order store ([`OrderStore::group`]), committed right
//! before the first byte goes to IB, or at the end of the turn when nothing goes.
//!
//! The rule that keeps this safe: nothing of a group leaves the process before its commit.
//! Strategies learn their signal ids inside the group (their instance dies with the process,
//! so a crash before the commit takes the ids with the signals); IB, the REST API and event
//! listeners learn of an order only after the commit.
//!
//! [`OrderStore::group`]: sandtrade_orders::OrderStore::group

use super::OrderFlow;
use super::book::{self, LiveBook};

impl OrderFlow {
    /// Makes the store's writes from now until [`commit_group`](Self::commit_group) one
    /// transaction.
    pub(crate) fn group(&self) {
        book::lock(&self.book).store.group();
    }

    /// Commits the writes since [`group`](Self::group), if any. A group that cannot be
    /// committed is lost: nothing of it was sent, the store is as the file says, and the loop
    /// must end ([`lost`](Self::lost) says why).
    pub(crate) fn commit_group(&mut self) -> bool {
        let mut book = book::lock(&self.book);
        commit(&mut book, &mut self.lost)
    }

    /// Why the order store lost a group of writes, if it did: the loop ends with it.
    pub(crate) fn lost(&self) -> Option<&str> {
        self.lost.as_deref()
    }
}

/// Commits `book`'s group; on failure records why in `lost` (the first reason is kept).
pub(super) fn commit(book: &mut LiveBook, lost: &mut Option<String>) -> bool {
    match book.store.commit_group() {
        Ok(()) => true,
        Err(e) => {
            tracing::error!("{e}");
            book.queued = book.store.queued_len() > 0;
            lost.get_or_insert_with(|| {
                format!(
                    "{e}; the signals of that turn were never sent, and the host stops so that \
                     its strategies restart from what the file holds"
                )
            });
            false
        }
    }
}
