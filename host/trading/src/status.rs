//! What the trading loop reports: the typed answers of [`super::TradingHandle`], all
//! `Serialize` so the REST API can return them as they are.

use std::collections::BTreeMap;

use serde::Serialize;

use sandtrade_broker::safety::TradingMode;
use sandtrade_orders::OrderRecord;
use sandtrade_runtime::StrategyStatus;

use crate::loss_guard::AccountRisk;
use sandtrade_core::money;

/// The whole picture, as `status()` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct TradingStatus {
    /// Paper or live.
    pub mode: TradingMode,
    /// The account orders go to.
    pub account: String,
    /// The IB connection.
    pub connection: ConnectionStatus,
    /// `None` while trading, else why it is halted.
    pub halted: Option<String>,
    /// The order queue and the orders in flight.
    pub orders: OrderCounts,
    /// Signals accepted and refused (by code) since start, over every strategy.
    pub signals: SignalSummary,
    /// The last reconciliation.
    pub last_reconcile: Option<ReconcileSummary>,
    /// Symbols whose broker position differs from the strategies' ledger beyond the grace
    /// period.
    pub drift: Vec<Drift>,
    /// Contracts with a subscription: IB's real-time bars, or the fallback's ticks.
    pub subscriptions: Vec<String>,
    /// Contracts whose bar subscription failed, with IB's reason.
    pub subscription_errors: BTreeMap<String, String>,
    /// Each contract a strategy needs: whether its data is live, delayed or frozen (the
    /// `[market_data] fallback`), failed or not there yet, and IB's code and text when live
    /// data was refused.
    pub market_data: BTreeMap<String, MarketDataView>,
    /// Strategies being warmed up with historical bars.
    pub warming_up: Vec<String>,
    /// The account's P&L and loss limits.
    pub account_risk: AccountRisk,
    /// Messages sent through the pacer since start.
    pub messages_sent: u64,
    /// The pacer's rate.
    pub messages_per_second: u32,
    /// Messages the pacer would let go right now without waiting (its burst when idle).
    pub pacer_headroom: u32,
    /// When this picture was taken, ms since the epoch.
    pub at_ms: i64,
}

impl TradingStatus {
    /// An empty picture (disconnected, nothing queued), before the first real one.
    pub(crate) fn placeholder(mode: TradingMode, account: &str) -> Self {
        Self {
            mode,
            account: account.to_owned(),
            connection: ConnectionStatus {
                state: ConnectionState::Disconnected,
                address: String::new(),
                client_id: None,
                since_ms: 0,
                connects: 0,
                last_error: None,
                ib_connectivity: false,
                farms: BTreeMap::new(),
                heartbeat_rtt_us: None,
                held_down: false,
            },
            halted: None,
            orders: OrderCounts::default(),
            signals: SignalSummary::default(),
            last_reconcile: None,
            drift: Vec::new(),
            subscriptions: Vec::new(),
            subscription_errors: BTreeMap::new(),
            market_data: BTreeMap::new(),
            warming_up: Vec::new(),
            account_risk: AccountRisk::default(),
            messages_sent: 0,
            messages_per_second: 0,
            pacer_headroom: 0,
            at_ms: 0,
        }
    }
}

/// Where a contract's market data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataState {
    /// IB's real-time bars (or, after a refusal, live ticks IB serves after all).
    Live,
    /// IB refused live data: bars are built from IB's delayed ticks (about 15 minutes late).
    Delayed,
    /// IB refused live data: bars are built from the frozen (last known) values IB sends.
    Frozen,
    /// No data: the subscription failed, or live data was refused and there is no fallback.
    Failed,
    /// Not subscribed yet (disconnected, subscribing, or falling back).
    Waiting,
}

/// One contract's market data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketDataView {
    /// Where its bars come from.
    pub state: DataState,
    /// IB's code that refused its live data (354, 10089, 10167, 10168), if IB did.
    pub code: Option<i32>,
    /// IB's text with that code, or, when `failed`, why the subscription failed.
    pub message: Option<String>,
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionState {
    /// Not connected; a connect is scheduled (or the operator disconnected).
    Disconnected,
    /// Connecting.
    Connecting,
    /// Connected, reading what IB knows before sending anything.
    Reconciling,
    /// Connected and trading.
    Connected,
    /// The connection was refused for good (paper/live mismatch): nothing is retried.
    Refused,
}

/// The IB connection.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionStatus {
    /// State.
    pub state: ConnectionState,
    /// `host:port`.
    pub address: String,
    /// The client id in use (a fallback if the first was taken).
    pub client_id: Option<i32>,
    /// Since when (ms since the epoch) it is in this state.
    pub since_ms: i64,
    /// Connections made since start (the first one included).
    pub connects: u64,
    /// Why the last connection ended or the last attempt failed.
    pub last_error: Option<String>,
    /// Whether IB ↔ TWS connectivity is up (false between 1100 and 1101/1102).
    pub ib_connectivity: bool,
    /// Data farms and whether each is OK (2104/2106/2158 vs 2103/2105/2157).
    pub farms: BTreeMap<String, bool>,
    /// Round trip of the last heartbeat, µs.
    pub heartbeat_rtt_us: Option<u64>,
    /// Whether the operator asked to stay disconnected.
    pub held_down: bool,
}

/// Orders by state, from memory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrderCounts {
    /// Waiting in the queue.
    pub queued: usize,
    /// Non-terminal orders by state (`sending`, `submitted`, ...).
    pub working: BTreeMap<String, usize>,
    /// The orders whose fate is `unknown`, oldest first: nothing settles them but
    /// reconciliation or an operator (`POST /api/ibkr/order/{id}/settle`).
    pub unknown: Vec<UnknownOrder>,
}

/// An order whose fate is unknown, for the operator who must settle it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownOrder {
    /// The order id.
    pub id: u64,
    /// The strategy (ledger) it belongs to.
    pub strategy: String,
    /// The IB contract symbol.
    pub symbol: String,
    /// When it became unknown (ms since the epoch).
    pub since_ms: i64,
    /// Why, as recorded.
    pub note: Option<String>,
}

/// Signal outcomes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SignalSummary {
    /// Accepted.
    pub accepted: u64,
    /// Refused, by code.
    pub rejected: BTreeMap<String, u64>,
}

/// What the last reconciliation did.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileSummary {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Executions recorded for the first time.
    pub new_fills: usize,
    /// Orders whose state changed.
    pub changed: usize,
    /// What needs an operator, one line each.
    pub issues: Vec<String>,
}

/// One symbol's disagreement between the broker and the strategies' ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// IB contract symbol.
    pub symbol: String,
    /// Shares the broker reports in the account.
    pub broker: f64,
    /// Shares the strategies' ledger attributes, summed.
    pub ledger: i64,
}

/// Positions: the broker's (the truth) and each strategy's attribution.
#[derive(Debug, Clone, Serialize)]
pub struct PositionsView {
    /// Whether the broker's positions are known (connected, initial dump received).
    pub broker_known: bool,
    /// Broker positions of the account by contract symbol.
    pub broker: BTreeMap<String, f64>,
    /// The ledger: strategy → symbol → line.
    pub strategies: BTreeMap<String, BTreeMap<String, LedgerLine>>,
    /// Drift beyond the grace period.
    pub drift: Vec<Drift>,
}

/// A strategy's position in one symbol.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    /// Shares (negative only on drift).
    pub quantity: i64,
    /// Average cost.
    pub avg_cost: f64,
    /// Realized P&L before commissions (shown to the cent).
    #[serde(serialize_with = "money::cents")]
    pub realized_pnl: f64,
    /// Commissions paid (shown to the cent).
    #[serde(serialize_with = "money::cents")]
    pub commissions: f64,
}

/// One order, for operators.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// Its id (the signal's).
    pub id: u64,
    /// The `orderRef` sent to IB.
    pub client_order_id: String,
    /// The strategy that emitted it.
    pub strategy: String,
    /// IB contract symbol.
    pub symbol: String,
    /// `open-long`, ...
    pub action: String,
    /// Shares ordered.
    pub quantity: u32,
    /// `market`, `limit`, `stop`, `stop-limit`, `trailing-stop`, `market-on-close` or
    /// `limit-on-close`.
    pub order_type: &'static str,
    /// Limit price (limit, stop-limit, limit-on-close).
    pub limit_price: Option<f64>,
    /// Trigger (stop, stop-limit).
    pub stop_price: Option<f64>,
    /// A trailing stop's distance in price.
    pub trail_amount: Option<f64>,
    /// A trailing stop's distance in percent.
    pub trail_percent: Option<f64>,
    /// A trailing stop-limit's limit offset.
    pub limit_offset: Option<f64>,
    /// `day`, `gtc`, `ioc` or `opg`.
    pub tif: &'static str,
    /// Whether it may work outside regular trading hours.
    pub outside_rth: bool,
    /// State.
    pub state: String,
    /// IB's clientId and orderId, once sent.
    pub ib_order_id: Option<(i32, i32)>,
    /// IB's permId.
    pub perm_id: Option<i64>,
    /// IB's last status string.
    pub ib_status: Option<String>,
    /// Shares filled.
    pub filled: i64,
    /// Average fill price.
    pub avg_price: Option<f64>,
    /// Commissions (shown to the cent).
    #[serde(serialize_with = "money::cents")]
    pub commission: f64,
    /// Why it is where it is, if unusual.
    pub note: Option<String>,
    /// When a cancel was asked for (ms since the epoch), while the order still works.
    pub cancel_requested_ms: Option<i64>,
    /// When a change of its quantity or prices was recorded that IB has not acknowledged yet
    /// (its fields already show the new terms).
    pub modify_requested_ms: Option<i64>,
    /// For an exit of a bracket: the id of its entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_of: Option<u64>,
}

impl From<&OrderRecord> for OrderView {
    fn from(o: &OrderRecord) -> Self {
        Self {
            id: o.signal_id.get(),
            client_order_id: o.client_order_id.clone(),
            strategy: o.strategy.clone(),
            symbol: o.instrument.symbol.clone(),
            action: o.action.as_str().to_owned(),
            quantity: o.quantity,
            order_type: o.order_type.name(),
            limit_price: o.order_type.limit_price(),
            stop_price: o.order_type.trigger_price(),
            trail_amount: o.order_type.trail_amount(),
            trail_percent: o.order_type.trail_percent(),
            limit_offset: o.order_type.limit_offset(),
            tif: o.timing.tif.as_str(),
            outside_rth: o.timing.outside_rth,
            state: o.state.as_str().to_owned(),
            ib_order_id: o.ib.map(|ib| (ib.client_id, ib.order_id)),
            perm_id: o.perm_id,
            ib_status: o.ib_status.map(|s| s.as_str().to_owned()),
            filled: o.filled_qty,
            avg_price: o.avg_price,
            commission: o.commission,
            note: o.note.clone(),
            cancel_requested_ms: o.cancel_requested_ms,
            modify_requested_ms: o.modify_requested_ms,
            exit_of: o.exit_of.map(|entry| entry.get()),
        }
    }
}

/// Strategies, as the fleet reports them, plus what the trading loop adds.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyView {
    /// The fleet's status.
    #[serde(flatten)]
    pub status: StrategyStatus,
    /// Warming up with historical bars.
    pub warming_up: bool,
    /// Why its signals are all refused (malformed sidecar limits), if so.
    pub problem: Option<String>,
}

/// The account's values as IB reports them (account summary).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountView {
    /// The account.
    pub account: String,
    /// Tag → currency → value: `NetLiquidation`, `TotalCashValue`, ... in the base currency,
    /// and the ledger tags (`CashBalance`, `NetLiquidationByCurrency`, ...) per currency
    /// (`BASE` is the base-currency total). Values IB sends as text that is not a number
    /// (e.g. `AccountType`) are left out.
    pub values: BTreeMap<String, BTreeMap<String, f64>>,
    /// When IB answered, ms since the epoch.
    pub at_ms: i64,
}

/// A snapshot quote of one contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteView {
    /// IB contract symbol (`AAPL`, `700`).
    pub symbol: String,
    /// `USD` or `HKD`.
    pub currency: String,
    /// Highest bid.
    pub bid: Option<f64>,
    /// Lowest ask.
    pub ask: Option<f64>,
    /// Last trade.
    pub last: Option<f64>,
    /// Previous close.
    pub close: Option<f64>,
    /// Session volume.
    pub volume: Option<f64>,
    /// When IB answered, ms since the epoch.
    pub at_ms: i64,
}
