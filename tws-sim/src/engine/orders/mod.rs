//! The order book: every order ever placed and every execution.
//!
//! The engine owns one; how it handles orders (placement, matching, fills, cancels, the
//! queries) is in `handling.rs`, and what an account can take (cash for a buy, a short sale
//! for a sell beyond the position) in `admission.rs`: child modules, so that they read the
//! book's fields directly while the book itself imports nothing from the engine above it.

mod admission;
mod groups;
mod handling;
mod tif;
mod triggers;

use std::collections::{BTreeSet, HashMap};

use time::OffsetDateTime;

use self::triggers::Trigger;
use super::contracts::ContractIdx;
use crate::messages::{PlaceOrder, Side};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Accepted, held (delayed fill, closed market) or about to fill.
    PreSubmitted,
    /// Working at the exchange.
    Submitted,
    /// Completely filled.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Rejected.
    Inactive,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::PreSubmitted => "PreSubmitted",
            Status::Submitted => "Submitted",
            Status::Filled => "Filled",
            Status::Cancelled => "Cancelled",
            Status::Inactive => "Inactive",
        }
    }

    fn is_working(self) -> bool {
        matches!(self, Status::PreSubmitted | Status::Submitted)
    }
}

/// Market or limit: how an order works once nothing holds it back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Market,
    Limit(f64),
}

/// One order.
#[derive(Debug, Clone)]
struct SimOrder {
    perm_id: i64,
    client_id: i32,
    order_id: i32,
    contract: ContractIdx,
    side: Side,
    /// The type as openOrder echoes it (`MKT`, `STP LMT`, …).
    order_type: String,
    kind: Kind,
    /// A stop not yet triggered: until then the order neither works nor fills.
    trigger: Option<Trigger>,
    /// As sent, echoed in openOrder.
    aux_price: Option<f64>,
    trailing_percent: Option<f64>,
    lmt_price_offset: Option<f64>,
    /// A trailing stop's stop price: where it started, then where it last moved.
    trail_stop_price: Option<f64>,
    parent_id: i32,
    /// A bracket's child whose parent has not filled yet: it neither works nor fills.
    awaiting_parent: bool,
    oca_group: String,
    oca_type: i32,
    total: f64,
    filled: f64,
    avg_price: f64,
    last_fill_price: f64,
    commission: f64,
    tif: String,
    /// When the order stops working on its own (its time in force).
    lifetime: tif::Lifetime,
    account: String,
    order_ref: String,
    outside_rth: bool,
    status: Status,
    reject_reason: String,
    /// Fills wait until this simulated time (the fill-delay fault).
    fill_after: Option<OffsetDateTime>,
    completed_at: Option<OffsetDateTime>,
}

impl SimOrder {
    /// A new order as the request describes it: nothing filled, PreSubmitted, DAY unless told.
    fn new(
        perm_id: i64,
        client_id: i32,
        p: &PlaceOrder,
        contract: ContractIdx,
        side: Side,
        kind: Kind,
        account: String,
    ) -> Self {
        Self {
            perm_id,
            client_id,
            order_id: p.order_id,
            contract,
            side,
            order_type: p.order_type.to_ascii_uppercase(),
            kind,
            trigger: None,
            aux_price: p.aux_price,
            trailing_percent: p.trailing_percent,
            lmt_price_offset: p.lmt_price_offset,
            trail_stop_price: p.trail_stop_price,
            parent_id: p.parent_id,
            awaiting_parent: false,
            oca_group: p.oca_group.clone(),
            oca_type: p.oca_type,
            total: p.total_quantity,
            filled: 0.0,
            avg_price: 0.0,
            last_fill_price: 0.0,
            commission: 0.0,
            tif: if p.tif.is_empty() {
                "DAY".to_string()
            } else {
                p.tif.clone()
            },
            lifetime: tif::Lifetime::default(),
            account,
            order_ref: p.order_ref.clone(),
            outside_rth: p.outside_rth,
            status: Status::PreSubmitted,
            reject_reason: String::new(),
            fill_after: None,
            completed_at: None,
        }
    }
}

impl SimOrder {
    /// Takes the type and trigger placement or a modification settled on.
    fn set_terms(&mut self, terms: &triggers::Terms) {
        self.order_type = terms.order_type.to_string();
        self.kind = terms.kind;
        self.trigger = terms.trigger;
        if let Some(trigger) = terms.trigger.filter(Trigger::trails) {
            self.trail_stop_price = Some(trigger.stop);
        }
    }
}

/// One execution.
#[derive(Debug, Clone)]
struct Fill {
    order: usize,
    exec_id: String,
    time: OffsetDateTime,
    shares: f64,
    price: f64,
    cum_qty: f64,
    avg_price: f64,
    commission: f64,
    realized: Option<f64>,
    /// Reported with a non-ASCII time (a fault).
    garbled_time: bool,
}

/// Every order ever placed and every execution.
#[derive(Debug)]
pub struct OrderBook {
    orders: Vec<SimOrder>,
    by_client_id: HashMap<(i32, i32), usize>,
    working: BTreeSet<usize>,
    fills: Vec<Fill>,
    /// Orders placed with `transmit = false`, by client, waiting for their bracket.
    held: Vec<(i32, PlaceOrder)>,
    next_perm_id: i64,
    exec_prefix: u32,
}

impl OrderBook {
    /// An empty book handing out permIds from `first_perm_id`.
    pub fn new(first_perm_id: i64, start: OffsetDateTime) -> Self {
        Self {
            orders: Vec::new(),
            by_client_id: HashMap::new(),
            working: BTreeSet::new(),
            fills: Vec::new(),
            held: Vec::new(),
            next_perm_id: first_perm_id,
            // A per-run prefix, like TWS's; derived from the start time so runs are reproducible.
            exec_prefix: (start.unix_timestamp() as u32) & 0xffff,
        }
    }
}
