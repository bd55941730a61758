//! The order book: every order ever placed and every execution.
//!
//! The engine owns one; how it handles orders (placement, matching, fills, cancels, the
//! queries) is in `handling.rs`, and what an account can take (cash for a buy, a short sale
//! for a sell beyond the position) in `admission.rs`: child modules, so that they read the
//! book's fields directly while the book itself imports nothing from the engine above it.

mod admission;
mod handling;

use std::collections::{BTreeSet, HashMap};

use time::OffsetDateTime;

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

/// Market or limit.
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
    kind: Kind,
    total: f64,
    filled: f64,
    avg_price: f64,
    last_fill_price: f64,
    commission: f64,
    tif: String,
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
            kind,
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
            next_perm_id: first_perm_id,
            // A per-run prefix, like TWS's; derived from the start time so runs are reproducible.
            exec_prefix: (start.unix_timestamp() as u32) & 0xffff,
        }
    }
}
