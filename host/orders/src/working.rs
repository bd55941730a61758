//! The working set: every order not yet filled, cancelled or rejected, held in memory, with
//! the queue of those waiting to be sent. The hot path reads orders here, never from the file.
//!
//! Invariants:
//!
//! - an order is in the set exactly while its state is not terminal;
//! - the queue holds exactly the set's `queued` orders, oldest (lowest id) first;
//! - the ledger's pending shares move by what each order filed here adds or removes, so they
//!   stay the sums of [`OrderRecord::pending`] over the set, except for the exits of a
//!   bracket: they are one pending sell per bracket, of what they may still sell beyond what
//!   their entry has yet to buy (see [`WorkingSet::exits_pending`]).
//!
//! Orders are filed only after the change they carry was committed: memory never runs ahead
//! of the file.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use super::ids::SignalId;
use super::ledger::Ledger;
use super::record::{IbOrderId, OrderRecord};
use super::state::OrderState;
use sandtrade_core::Side;

/// Working orders by id, and the queue.
#[derive(Debug, Default)]
pub(super) struct WorkingSet {
    orders: HashMap<SignalId, OrderRecord>,
    /// The ids of the queued orders among `orders`; ids grow with acceptance, so the first is
    /// the oldest.
    queue: BTreeSet<SignalId>,
    /// The working exits of each bracket, by their entry (which may have ended: filled).
    exits: HashMap<SignalId, Vec<SignalId>>,
}

impl WorkingSet {
    /// Files an order as its committed change left it: it joins, stays in or leaves the set and
    /// the queue by its state, and `ledger`'s pending shares for its line move by the difference
    /// from the copy filed before (none for a new order, or one that was already finished).
    pub(super) fn file(&mut self, order: OrderRecord, ledger: &mut Ledger) {
        let entry = match order.exit_of {
            Some(entry) => entry,
            None if self.exits.contains_key(&order.signal_id) => order.signal_id,
            None => return self.file_alone(order, ledger),
        };
        // A bracket's orders: its exits' sell moves with the entry and every exit.
        let line = (order.strategy.clone(), order.instrument.clone());
        let before = self.exits_pending(entry);
        match order.exit_of {
            Some(_) => self.file_exit(order),
            None => self.file_alone(order, ledger),
        }
        let delta = self.exits_pending(entry) - before;
        let (strategy, instrument) = line;
        ledger.add_pending(
            &strategy,
            &instrument.symbol,
            instrument.market,
            Side::Sell,
            delta,
        );
    }

    /// What a bracket's exits may still sell beyond what its entry has yet to buy: the least
    /// any working exit may sell (IB reduces each by the other's fills, and cancels the rest
    /// when one has filled), less the entry's unfilled shares while it works (the exits sell
    /// those only once they are bought). Never below 0.
    fn exits_pending(&self, entry: SignalId) -> i64 {
        let Some(exits) = self.exits.get(&entry) else {
            return 0;
        };
        let may_sell = exits
            .iter()
            .map(|id| self.orders[id].pending())
            .min()
            .unwrap_or(0);
        let to_buy = self.orders.get(&entry).map_or(0, OrderRecord::pending);
        (may_sell - to_buy).max(0)
    }

    /// Files an exit of a bracket: in or out of the set and the queue as any order, its sell
    /// counted only through [`exits_pending`](Self::exits_pending).
    fn file_exit(&mut self, order: OrderRecord) {
        let (id, entry) = (order.signal_id, order.exit_of.expect("an exit"));
        if order.state == OrderState::Queued {
            self.queue.insert(id);
        } else {
            self.queue.remove(&id);
        }
        let exits = self.exits.entry(entry).or_default();
        if order.state.is_terminal() {
            exits.retain(|exit| *exit != id);
            if exits.is_empty() {
                self.exits.remove(&entry);
            }
            self.orders.remove(&id);
        } else {
            if !exits.contains(&id) {
                exits.push(id);
            }
            self.orders.insert(id, order);
        }
    }

    /// The working exits of the bracket whose entry is `entry`, take-profit first.
    pub(super) fn exits_of(&self, entry: SignalId) -> impl Iterator<Item = &OrderRecord> {
        self.exits
            .get(&entry)
            .into_iter()
            .flatten()
            .map(|id| &self.orders[id])
    }

    fn file_alone(&mut self, order: OrderRecord, ledger: &mut Ledger) {
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
