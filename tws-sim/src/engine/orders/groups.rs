//! Order groups: brackets (orders held until their bracket is transmitted, children that work
//! only once their parent has filled) and one-cancels-other groups.
//!
//! As TWS does with IB's bracket: every order but the last is placed with `transmit = false`
//! and is held, neither working nor answered; the last one (`transmit = true`) transmits every
//! held order of its client whose `parentId` chain reaches the same root, the root first. A
//! child stays PreSubmitted until its parent has filled; a cancelled parent takes its children
//! with it; the children of one parent are one group in which a fill reduces the others by
//! the quantity filled (so a complete fill of one cancels the others). An explicit `ocaGroup`
//! is a group across every order of the account with that name: type 1 cancels the others at
//! the first fill, types 2 and 3 reduce them by each fill.

use super::{SimOrder, Status};
use crate::engine::Engine;
use crate::messages::PlaceOrder;

/// What a fill does to the other orders of its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OcaEffect {
    Cancel,
    Reduce,
}

/// Which group an order belongs to, and what a fill in it does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Group {
    /// An explicit OCA group: account-wide by name.
    Oca { account: String, name: String },
    /// The children of one parent.
    Bracket { client_id: i32, parent_id: i32 },
}

impl SimOrder {
    fn group(&self) -> Option<(Group, OcaEffect)> {
        if !self.oca_group.is_empty() {
            let effect = if self.oca_type == 2 || self.oca_type == 3 {
                OcaEffect::Reduce
            } else {
                OcaEffect::Cancel
            };
            let group = Group::Oca {
                account: self.account.clone(),
                name: self.oca_group.clone(),
            };
            return Some((group, effect));
        }
        (self.parent_id != 0).then(|| {
            let group = Group::Bracket {
                client_id: self.client_id,
                parent_id: self.parent_id,
            };
            (group, OcaEffect::Reduce)
        })
    }

    fn in_group(&self, group: &Group) -> bool {
        self.group().is_some_and(|(g, _)| &g == group)
    }
}

impl Engine {
    /// Holds an order placed with `transmit = false` until its bracket is transmitted.
    pub(super) fn hold_untransmitted(&mut self, client_id: i32, p: PlaceOrder) {
        tracing::debug!(
            client_id,
            order_id = p.order_id,
            "order held until transmitted"
        );
        self.orders
            .held
            .retain(|(c, h)| !(*c == client_id && h.order_id == p.order_id));
        self.orders.held.push((client_id, p));
    }

    /// The held orders `p` transmits (its bracket's root first, then in placement order),
    /// taken out of the held list.
    pub(super) fn take_bracket(&mut self, client_id: i32, p: &PlaceOrder) -> Vec<PlaceOrder> {
        let root = self.bracket_root(client_id, p.order_id, p.parent_id);
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.orders.held)
            .into_iter()
            .partition(|(c, h)| {
                *c == client_id && self.bracket_root(client_id, h.order_id, h.parent_id) == root
            });
        self.orders.held = others;
        let (mut roots, children): (Vec<_>, Vec<_>) = mine
            .into_iter()
            .map(|(_, h)| h)
            .partition(|h| h.order_id == root);
        roots.extend(children);
        roots
    }

    /// The top of an order's `parentId` chain through the client's held orders.
    fn bracket_root(&self, client_id: i32, order_id: i32, parent_id: i32) -> i32 {
        let (mut id, mut parent) = (order_id, parent_id);
        for _ in 0..=self.orders.held.len() {
            if parent == 0 {
                break;
            }
            id = parent;
            parent = self
                .orders
                .held
                .iter()
                .find(|(c, h)| *c == client_id && h.order_id == id)
                .map_or(0, |(_, h)| h.parent_id);
        }
        id
    }

    /// Whether a new child's parent lets it work now (filled), later (working), or never
    /// (`None`: cancelled or refused, or not an order of this client).
    pub(super) fn parent_state(&self, client_id: i32, parent_id: i32) -> Option<Status> {
        let &idx = self.orders.by_client_id.get(&(client_id, parent_id))?;
        Some(self.orders.orders[idx].status)
    }

    /// The working children of an order.
    fn children(&self, idx: usize) -> Vec<usize> {
        let parent = &self.orders.orders[idx];
        self.orders
            .working
            .iter()
            .copied()
            .filter(|&i| {
                let o = &self.orders.orders[i];
                o.client_id == parent.client_id && o.parent_id == parent.order_id
            })
            .collect()
    }

    /// A parent filled completely: its children start working.
    pub(super) fn release_children(&mut self, idx: usize) {
        for child in self.children(idx) {
            self.orders.orders[child].awaiting_parent = false;
            self.match_order(child);
        }
    }

    /// A parent was cancelled: so are its children.
    pub(super) fn cancel_children(&mut self, idx: usize) {
        for child in self.children(idx) {
            self.cancel(child);
        }
    }

    /// `shares` of the order filled: the other orders of its group are cancelled or reduced.
    pub(super) fn apply_oca(&mut self, idx: usize, shares: f64) {
        let Some((group, effect)) = self.orders.orders[idx].group() else {
            return;
        };
        let others: Vec<usize> = self
            .orders
            .working
            .iter()
            .copied()
            .filter(|&i| i != idx && self.orders.orders[i].in_group(&group))
            .collect();
        for other in others {
            let o = &mut self.orders.orders[other];
            match effect {
                OcaEffect::Cancel => self.cancel(other),
                OcaEffect::Reduce => {
                    o.total = (o.total - shares).max(o.filled);
                    if o.total - o.filled < 1e-9 {
                        self.cancel(other);
                    } else {
                        self.send_order_state(other);
                    }
                }
            }
        }
    }
}
