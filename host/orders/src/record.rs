//! The plain values that go into the store and come out of it.

use std::time::{SystemTime, UNIX_EPOCH};

use sandtrade_core::Instrument;
use sandtrade_core::{Action, OrderType, Side, Timing};

use super::ids::SignalId;
use super::state::{IbStatus, OrderState};

/// A signal as the host decided on it: the input of [`OrderStore::accept`] and
/// [`OrderStore::record_rejection`](super::OrderStore::record_rejection).
///
/// Borrowed, so the hot path copies nothing it does not store.
///
/// [`OrderStore::accept`]: super::OrderStore::accept
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalRecord<'a> {
    /// The strategy's name (from `describe`).
    pub strategy: &'a str,
    /// Hex SHA-256 of the `.wasm` that emitted the signal.
    pub wasm_hash: &'a str,
    /// The symbol as the strategy wrote it (`0700.HK`); the order uses the normalized
    /// [`Instrument`].
    pub symbol: &'a str,
    /// What the signal asks for.
    pub action: Action,
    /// Shares. For an accepted signal this is the order's quantity as risk resolved it (the
    /// whole sellable position for `close-long`); for a rejected one, what the strategy asked.
    pub quantity: u32,
    /// How the order is priced.
    pub order_type: OrderType,
    /// How long the order works.
    pub timing: Timing,
    /// The strategy's free-text reason.
    pub reason: &'a str,
    /// When the strategy emitted it (host clock; replay time in a backtest), ms since the epoch.
    pub time_ms: i64,
}

/// IB's ids for an order placed through one connection: `orderId` is only unique per
/// `clientId` (and per TWS id sequence), so the two travel together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IbOrderId {
    /// The API connection's clientId.
    pub client_id: i32,
    /// IB's `orderId`.
    pub order_id: i32,
}

/// An order the broker must now put on the wire: returned by
/// [`OrderStore::take_next`](super::OrderStore::take_next) with the state already durably
/// `sending`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingOrder {
    /// The durable id.
    pub signal_id: SignalId,
    /// Send this as `Order.orderRef`.
    pub client_order_id: String,
    /// Send with this `orderId` on this clientId's connection; reserved, never reused.
    pub ib: IbOrderId,
    /// The contract.
    pub instrument: Instrument,
    /// `BUY` or `SELL`.
    pub side: Side,
    /// `Order.totalQuantity`.
    pub quantity: u32,
    /// The order type with its prices (on the contract's tick).
    pub order_type: OrderType,
    /// `Order.tif` and `Order.outsideRth`.
    pub timing: Timing,
    /// `Order.parentId`: for an exit of a bracket, its entry's `orderId` on the same clientId.
    pub parent: Option<i32>,
    /// `Order.transmit`: false for every order of a bracket but the last one sent, which
    /// transmits them all (so IB never works an entry without its exits).
    pub transmit: bool,
}

/// Everything the store knows about one order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    /// The durable id (also the order's id).
    pub signal_id: SignalId,
    /// The `orderRef` sent to IB.
    pub client_order_id: String,
    /// The owning strategy.
    pub strategy: String,
    /// Hex SHA-256 of the strategy's `.wasm` when it emitted the signal.
    pub wasm_hash: String,
    /// The contract.
    pub instrument: Instrument,
    /// The signal's action; its side is the order's side.
    pub action: Action,
    /// Ordered shares.
    pub quantity: u32,
    /// How the order is priced.
    pub order_type: OrderType,
    /// How long it works.
    pub timing: Timing,
    /// Where the order is in its life.
    pub state: OrderState,
    /// IB's ids, once taken for sending.
    pub ib: Option<IbOrderId>,
    /// IB's permanent id, once IB reported it.
    pub perm_id: Option<i64>,
    /// The last status string IB reported, for operators.
    pub ib_status: Option<IbStatus>,
    /// Shares executed, the sum of distinct fills.
    pub filled_qty: i64,
    /// Σ quantity × price over the fills.
    pub filled_notional: f64,
    /// `filled_notional / filled_qty`, once anything filled.
    pub avg_price: Option<f64>,
    /// Σ commissions of the fills whose commission report arrived.
    pub commission: f64,
    /// When the order was accepted, ms since the epoch.
    pub created_ms: i64,
    /// When it was last taken for sending.
    pub sent_ms: Option<i64>,
    /// When this row last changed.
    pub updated_ms: i64,
    /// Why the last unusual transition happened (lost, released, returned unsent).
    pub note: Option<String>,
    /// When a cancel was asked for, if one was: recorded before it is sent, so a cancel that
    /// never reached IB is sent again once the connection is reconciled.
    pub cancel_requested_ms: Option<i64>,
    /// When a change of its quantity or prices was recorded that IB has not acknowledged yet:
    /// the row holds the new terms, which are sent (again) until IB reports them.
    pub modify_requested_ms: Option<i64>,
    /// The terms IB works while a change is pending: restored if IB refuses the change.
    pub modify_prior: Option<PriorTerms>,
    /// For an exit of a bracket: its entry, which IB holds it under (as `parentId`).
    pub exit_of: Option<SignalId>,
}

impl OrderRecord {
    /// `BUY` or `SELL`.
    pub const fn side(&self) -> Side {
        self.action.side()
    }

    /// Shares still expected to execute: what is left while the order may still fill,
    /// nothing once it is terminal.
    /// Shares not yet filled. While a change is pending, the larger of the old and the new
    /// quantity: IB may fill either until it has applied the change.
    pub fn pending(&self) -> i64 {
        if self.state.is_terminal() {
            return 0;
        }
        let quantity = match self.modify_prior {
            Some(prior) => self.quantity.max(prior.quantity),
            None => self.quantity,
        };
        (i64::from(quantity) - self.filled_qty).max(0)
    }

    /// What the broker puts on the wire for an order taken for sending.
    /// The order as it goes to IB, once it has IB ids (`None` before it was taken for
    /// sending).
    pub fn as_outgoing(&self) -> Option<OutgoingOrder> {
        self.ib.is_some().then(|| self.outgoing())
    }

    pub(super) fn outgoing(&self) -> OutgoingOrder {
        OutgoingOrder {
            signal_id: self.signal_id,
            client_order_id: self.client_order_id.clone(),
            ib: self.ib.expect("an order taken for sending has IB ids"),
            instrument: self.instrument.clone(),
            side: self.side(),
            quantity: self.quantity,
            order_type: self.order_type,
            timing: self.timing,
            parent: None,
            transmit: true,
        }
    }
}

/// Milliseconds since the epoch, for the records' timestamps (`created_ms`, `updated_ms`, ...).
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One execution as IB reported it in `execDetails` (live, or answering `reqExecutions`).
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// `Execution.execId`: the key that makes a repeated report a no-op.
    pub exec_id: String,
    /// `Execution.orderRef`: our client order id.
    pub order_ref: String,
    /// `Execution.permId`, when non-zero.
    pub perm_id: Option<i64>,
    /// `BOT` → buy, `SLD` → sell.
    pub side: Side,
    /// `Execution.shares` of this execution (not cumulative).
    pub quantity: u32,
    /// `Execution.price`.
    pub price: f64,
    /// `Execution.time`, ms since the epoch.
    pub time_ms: i64,
}

/// One `commissionReport`, matched to its execution by exec id.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionReport {
    /// The execution it belongs to.
    pub exec_id: String,
    /// Commission and fees, in `currency`.
    pub commission: f64,
    /// Currency of the commission.
    pub currency: String,
    /// IB's realized P&L for the execution, if set (IB's "unset" 1.797e308 maps to `None`).
    pub realized_pnl: Option<f64>,
}

/// One fill as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FillRecord {
    /// IB's execution id.
    pub exec_id: String,
    /// The order it filled.
    pub signal_id: SignalId,
    /// Shares.
    pub quantity: u32,
    /// Price.
    pub price: f64,
    /// Execution time, ms since the epoch.
    pub time_ms: i64,
    /// The commission, once its report arrived.
    pub commission: Option<f64>,
    /// The exec id of the correction that replaced this fill; `None` while it counts.
    pub replaced_by: Option<String>,
}

/// How a state-changing call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    /// The state before.
    pub from: OrderState,
    /// The state after (equal to `from` for a stale or repeated IB fact).
    pub to: OrderState,
}

impl StateChange {
    /// Whether the state moved.
    pub fn changed(self) -> bool {
        self.from != self.to
    }
}

/// What [`OrderStore::record_execution`](super::OrderStore::record_execution) did.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecutionOutcome {
    /// A new fill, recorded with the order's new totals and the ledger. Deliver `on-fill`.
    Recorded(FillApplied),
    /// This exec id was already recorded: nothing changed.
    Duplicate {
        /// The order the earlier report filled.
        signal_id: SignalId,
    },
    /// A correction: IB re-reported an execution under the same exec id stem with a later
    /// suffix. It replaces the earlier fill in the order's totals and the ledger (never counted
    /// twice). The strategy already heard of the fill; log the correction.
    Corrected {
        /// The order.
        signal_id: SignalId,
        /// The exec id of the fill it replaced.
        replaced: String,
        /// Shares executed on the order now.
        filled_qty: i64,
        /// Average price of the order's fills now.
        avg_price: Option<f64>,
    },
    /// An execution that a correction already recorded replaces (it arrived late): stored,
    /// not counted.
    Superseded {
        /// The order.
        signal_id: SignalId,
        /// The exec id of the correction that replaces it.
        by: String,
    },
    /// The `orderRef` is not one of this database's orders (a manual order, another host).
    NotOurs,
}

/// A new fill and what it did to its order.
#[derive(Debug, Clone, PartialEq)]
pub struct FillApplied {
    /// The order.
    pub signal_id: SignalId,
    /// The owning strategy, to deliver `on-fill` to.
    pub strategy: String,
    /// The signal's action.
    pub action: Action,
    /// The contract.
    pub instrument: Instrument,
    /// This fill's shares.
    pub quantity: u32,
    /// This fill's price.
    pub price: f64,
    /// Execution time, ms since the epoch.
    pub time_ms: i64,
    /// The order's state change.
    pub state: StateChange,
    /// Shares executed so far on the order.
    pub filled_qty: i64,
    /// Average price of the order's fills.
    pub avg_price: f64,
    /// Executions now exceed the ordered quantity: IB executed more than we asked. The fill is
    /// recorded (it happened); the caller should alert with these numbers.
    pub overfilled: bool,
}

/// What [`OrderStore::record_commission`](super::OrderStore::record_commission) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommissionOutcome {
    /// Joined to its fill: the order's and the ledger's commissions include it.
    Applied {
        /// The order the fill belongs to.
        signal_id: SignalId,
    },
    /// Stored; its execution has not arrived yet and will pick it up.
    AwaitingExecution,
    /// Already recorded: nothing changed.
    Duplicate,
    /// Stored, not counted: its execution was replaced by a correction.
    ForReplacedExecution,
}

/// An order's terms before a change IB has not acknowledged yet.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PriorTerms {
    /// Shares ordered.
    pub quantity: u32,
    /// How it was priced.
    pub order_type: OrderType,
}
