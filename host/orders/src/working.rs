//! The working set: every order not yet filled, cancelled or rejected, held in memory, with
//! the queue of those waiting to be sent. The hot path reads orders here, never from the file.
//!
//! Invariants:
//!
//! - an order is in the set exactly while its state is not terminal;
//! - the queue holds exactly the set's `queued` orders, oldest (lowest id) first;
//! - the ledger's pending shares move by what each order filed here adds or removes, so they
//!   stay the sums of [`OrderRecord::pending`] over the set.
//!
//! Orders are filed only after the change they carry was committed: memory never runs ahead
//! of the file.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use super::ids::SignalId;
use super::ledger::Ledger;
use super::record::{IbOrderId, OrderRecord};
use super::state::OrderState;

/// Working orders by id, and the queue.
#[derive(Debug, Default)]
pub(super) struct WorkingSet {
    orders: HashMap<SignalId, OrderRecord>,
    /// The ids of the queued orders among `orders`; ids grow with acceptance, so the first is
    /// the oldest.
    queue: BTreeSet<SignalId>,
}

impl WorkingSet {
    /// Files an order as its committed change left it: it joins, stays in or leaves the set and
    /// the queue by its state, and `ledger`'s pending shares for its line move by the difference
    /// from the copy filed before (none for a new order, or one that was already finished).
    pub(super) fn file(&mut self, order: OrderRecord, ledger: &mut Ledger) {
        let id = order.signal_id;
        if order.state == OrderState::Queued {
            self.queue.insert(id);
        } else {
            self.queue.remove(&id);
        }
        // One hash lookup for both the copy before and the update: this runs on every accept.
        match self.orders.entry(id) {
            Entry::Occupied(mut slot) => {
                add_pending(ledger, &order, order.pending() - slot.get().pending());
                if order.state.is_terminal() {
                    slot.remove();
                } else {
                    slot.insert(order);
                }
            }
            Entry::Vacant(slot) => {
                add_pending(ledger, &order, order.pending());
                if !order.state.is_terminal() {
                    slot.insert(order);
                }
            }
        }
    }

    /// A working order.
    pub(super) fn get(&self, signal: SignalId) -> Option<&OrderRecord> {
        self.orders.get(&signal)
    }

    /// The queued orders, oldest first.
    pub(super) fn queued(&self) -> impl Iterator<Item = &OrderRecord> {
        self.queue.iter().map(|id| {
            self.orders
                .get(id)
                .expect("the queue holds only working orders")
        })
    }

    /// How many orders wait in the queue.
    pub(super) fn queued_len(&self) -> usize {
        self.queue.len()
    }

    /// Every working order, oldest first.
    pub(super) fn oldest_first(&self) -> Vec<&OrderRecord> {
        self.sorted(|_| true)
    }

    /// The working orders that may be at IB (all but the queued), oldest first.
    pub(super) fn may_be_at_ib(&self) -> Vec<&OrderRecord> {
        self.sorted(|order| order.state.may_be_at_ib())
    }

    /// The working order IB knows by this `orderId` on this clientId.
    pub(super) fn with_ib_order(&self, ib: IbOrderId) -> Option<SignalId> {
        // A scan: an index by IB id would be one more map to keep in step on every take.
        self.orders
            .values()
            .find(|order| order.ib == Some(ib))
            .map(|order| order.signal_id)
    }

    fn sorted(&self, keep: impl Fn(&OrderRecord) -> bool) -> Vec<&OrderRecord> {
        let mut orders: Vec<&OrderRecord> =
            self.orders.values().filter(|order| keep(order)).collect();
        orders.sort_by_key(|order| order.signal_id);
        orders
    }
}

fn add_pending(ledger: &mut Ledger, order: &OrderRecord, delta: i64) {
    let instrument = &order.instrument;
    ledger.add_pending(
        &order.strategy,
        &instrument.symbol,
        instrument.market,
        order.side(),
        delta,
    );
}

#[cfg(test)]
mod tests;
