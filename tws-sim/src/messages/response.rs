//! What the simulator sends, before a dialect turns it into bytes.

use super::contract::ContractFields;

/// One message to a client.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// 15: comma-separated account codes.
    ManagedAccounts(String),
    /// 9: the next order id this client may use.
    NextValidId(i32),
    /// 4: an error or notice.
    Error(ErrorNotice),
    /// 49: server time, epoch seconds.
    CurrentTime(i64),
    /// 109: server time, epoch milliseconds.
    CurrentTimeMillis(i64),
    /// 5: an order and its state.
    OpenOrder(OrderView),
    /// 3: an order's fill status.
    OrderStatus(StatusView),
    /// 53: end of an open-orders answer.
    OpenOrderEnd,
    /// 101: a finished order.
    CompletedOrder(OrderView),
    /// 102: end of completed orders.
    CompletedOrdersEnd,
    /// 11: an execution (`req_id` −1 when unsolicited).
    ExecDetails {
        /// The reqExecutions request, or −1.
        req_id: i32,
        /// What was traded.
        contract: ContractFields,
        /// The fill.
        execution: ExecutionView,
    },
    /// 55: end of a reqExecutions answer.
    ExecDetailsEnd(i32),
    /// 59: the commission of one execution (always after its execDetails).
    CommissionReport(CommissionView),
    /// 61: a position.
    Position {
        /// Account code.
        account: String,
        /// Contract (listing exchange in `exchange`, as TWS does).
        contract: ContractFields,
        /// Shares.
        position: f64,
        /// Average cost per share.
        avg_cost: f64,
    },
    /// 62: end of the positions snapshot.
    PositionEnd,
    /// 63: one account-summary value.
    AccountSummary {
        /// The request.
        req_id: i32,
        /// Account code.
        account: String,
        /// Tag (`NetLiquidation`, …).
        tag: String,
        /// Value.
        value: String,
        /// Currency (empty for non-monetary tags).
        currency: String,
    },
    /// 64: end of an account summary.
    AccountSummaryEnd(i32),
    /// 6: one account value.
    AccountValue(AccountValueView),
    /// 7: one portfolio row.
    PortfolioValue(PortfolioView),
    /// 8: account update time `HH:mm`.
    AccountTime(String),
    /// 54: end of an account download.
    AccountDownloadEnd(String),
    /// 73: one account value of a multi request.
    AccountUpdateMulti {
        /// The request.
        req_id: i32,
        /// The value.
        value: AccountValueView,
    },
    /// 74: end of an account-updates-multi download.
    AccountUpdateMultiEnd(i32),
    /// 94: an account's P&L (reqPnL).
    Pnl {
        /// The request.
        req_id: i32,
        /// The numbers.
        pnl: PnlView,
    },
    /// 10: contract details.
    ContractData {
        /// The request.
        req_id: i32,
        /// The details.
        details: Box<ContractDetailsView>,
    },
    /// 52: end of contract details.
    ContractDataEnd(i32),
    /// 58: market data type in force for a request.
    MarketDataType {
        /// The request.
        req_id: i32,
        /// 1 live, 2 frozen, 3 delayed, 4 delayed-frozen.
        data_type: i32,
    },
    /// 81: tick parameters.
    TickReqParams {
        /// The request.
        req_id: i32,
        /// Minimum tick, as a string.
        min_tick: String,
        /// BBO exchange code.
        bbo_exchange: String,
        /// Snapshot permissions bit mask.
        snapshot_permissions: i32,
    },
    /// 1: a price tick (the client derives the size tick from `size`).
    TickPrice {
        /// The request.
        req_id: i32,
        /// 1 bid, 2 ask, 4 last, 6 high, 7 low, 9 close, 14 open (66.. delayed).
        tick_type: i32,
        /// Price.
        price: f64,
        /// Size for bid/ask/last.
        size: Option<f64>,
        /// Attribute bits (1 canAutoExecute, 2 pastLimit, 4 preOpen).
        attr_mask: i32,
    },
    /// 2: a size tick (8 volume).
    TickSize {
        /// The request.
        req_id: i32,
        /// Tick type.
        tick_type: i32,
        /// Size.
        size: f64,
    },
    /// 46: a string tick (45 last timestamp).
    TickString {
        /// The request.
        req_id: i32,
        /// Tick type.
        tick_type: i32,
        /// Value.
        value: String,
    },
    /// 57: end of a snapshot.
    TickSnapshotEnd(i32),
    /// 50: a five-second bar.
    RealTimeBar {
        /// The request.
        req_id: i32,
        /// The bar.
        bar: BarView,
    },
    /// 17: historical bars.
    HistoricalData {
        /// The request.
        req_id: i32,
        /// The bars.
        bars: Vec<HistoricalBarView>,
    },
    /// 108: end of historical bars.
    HistoricalDataEnd {
        /// The request.
        req_id: i32,
        /// Start as `yyyyMMdd HH:mm:ss zone`.
        start: String,
        /// End as `yyyyMMdd HH:mm:ss zone`.
        end: String,
    },
    /// 90: an update of the last historical bar (keepUpToDate).
    HistoricalDataUpdate {
        /// The request.
        req_id: i32,
        /// The bar.
        bar: HistoricalBarView,
    },
}

impl Response {
    /// Whether this is a real-time bar (the latency probe times these).
    pub fn is_real_time_bar(&self) -> bool {
        matches!(self, Response::RealTimeBar { .. })
    }
}

/// `error` (4): id −1 for notices that concern no request.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorNotice {
    /// Request or order id, or −1.
    pub id: i32,
    /// IB's code (200, 201, 202, 326, 2104, …).
    pub code: i32,
    /// IB's text.
    pub message: String,
    /// Epoch milliseconds.
    pub time_ms: i64,
}

/// An order as openOrder / completedOrder show it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderView {
    /// Order id (client's id space).
    pub order_id: i32,
    /// Owning client id.
    pub client_id: i32,
    /// Unique, stable permanent id.
    pub perm_id: i64,
    /// The contract.
    pub contract: ContractFields,
    /// `BUY`/`SELL`.
    pub action: String,
    /// Total shares.
    pub total_quantity: f64,
    /// Shares filled so far.
    pub filled_quantity: f64,
    /// `MKT`, `LMT`, `STP`, `STP LMT`, `TRAIL`, `TRAIL LIMIT`, `MOC`, `LOC`.
    pub order_type: String,
    /// Limit price.
    pub limit_price: Option<f64>,
    /// A stop's trigger price, or a trailing order's trailing amount.
    pub aux_price: Option<f64>,
    /// A trailing order's current stop price.
    pub trail_stop_price: Option<f64>,
    /// A trailing order's trailing percentage.
    pub trailing_percent: Option<f64>,
    /// A trailing limit order's limit offset.
    pub lmt_price_offset: Option<f64>,
    /// The parent's order id (0: none).
    pub parent_id: i32,
    /// OCA group (empty: none).
    pub oca_group: String,
    /// OCA type (0 when there is no group).
    pub oca_type: i32,
    /// Transmitted (false: held until its bracket is transmitted).
    pub transmit: bool,
    /// `DAY`, `GTC`, `IOC`, `OPG`.
    pub tif: String,
    /// Account code.
    pub account: String,
    /// Client reference.
    pub order_ref: String,
    /// Outside RTH.
    pub outside_rth: bool,
    /// Status (`Submitted`, `Filled`, …).
    pub status: String,
    /// Commission so far, once filled.
    pub commission: Option<f64>,
    /// Currency of `commission`.
    pub commission_currency: String,
    /// Why it was rejected.
    pub reject_reason: String,
    /// `yyyyMMdd HH:mm:ss zone` when finished (completed orders).
    pub completed_time: String,
    /// Completion text (completed orders).
    pub completed_status: String,
}

/// orderStatus (3).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusView {
    /// Order id.
    pub order_id: i32,
    /// Status string.
    pub status: String,
    /// Filled shares.
    pub filled: f64,
    /// Remaining shares.
    pub remaining: f64,
    /// Average fill price (0 when nothing filled).
    pub avg_fill_price: f64,
    /// permId.
    pub perm_id: i64,
    /// The parent's order id (0: none).
    pub parent_id: i32,
    /// Last fill's price (0 when nothing filled).
    pub last_fill_price: f64,
    /// Owning client id.
    pub client_id: i32,
}

/// execDetails' execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionView {
    /// Order id.
    pub order_id: i32,
    /// Unique execution id (`0000e0d5.65a8b2c1.01.01` style).
    pub exec_id: String,
    /// `yyyyMMdd-HH:mm:ss` UTC.
    pub time: String,
    /// Account code.
    pub account: String,
    /// Exchange it traded on.
    pub exchange: String,
    /// `BOT`/`SLD`.
    pub side: String,
    /// Shares in this execution.
    pub shares: f64,
    /// Price of this execution.
    pub price: f64,
    /// permId of the order.
    pub perm_id: i64,
    /// Owning client id.
    pub client_id: i32,
    /// Shares of the order filled so far, this execution included.
    pub cum_qty: f64,
    /// Average price of the order so far.
    pub avg_price: f64,
    /// The order's orderRef.
    pub order_ref: String,
}

/// commissionReport (59).
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionView {
    /// The execution it belongs to.
    pub exec_id: String,
    /// Commission and fees.
    pub commission: f64,
    /// Currency.
    pub currency: String,
    /// Realized P&L of a closing execution (`None`: unset).
    pub realized_pnl: Option<f64>,
}

/// An account value (updateAccountValue / accountUpdateMulti).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountValueView {
    /// Key (`NetLiquidation`, `CashBalance`, …).
    pub key: String,
    /// Value.
    pub value: String,
    /// Currency (`BASE` for base-currency aggregates where IB uses it).
    pub currency: String,
    /// Account code.
    pub account: String,
}

/// An account's P&L as reqPnL reports it, in the account's base currency.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PnlView {
    /// The day's P&L: the change of the net liquidation value since the trading day began.
    pub daily: f64,
    /// Σ (last − average cost) × quantity over the positions.
    pub unrealized: f64,
    /// The P&L the day's closing trades realized, commissions included.
    pub realized: f64,
}

/// A portfolio row (updatePortfolio).
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioView {
    /// Contract (primary exchange set, exchange empty, as TWS does).
    pub contract: ContractFields,
    /// Shares.
    pub position: f64,
    /// Last price.
    pub market_price: f64,
    /// Position × price.
    pub market_value: f64,
    /// Average cost.
    pub average_cost: f64,
    /// Unrealized P&L.
    pub unrealized_pnl: f64,
    /// Realized P&L.
    pub realized_pnl: f64,
    /// Account code.
    pub account: String,
}

/// Contract details.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractDetailsView {
    /// The full contract.
    pub contract: ContractFields,
    /// Market name.
    pub market_name: String,
    /// Minimum tick (as a string, like TWS).
    pub min_tick: String,
    /// Order types.
    pub order_types: String,
    /// Valid exchanges.
    pub valid_exchanges: String,
    /// Long name.
    pub long_name: String,
    /// Time zone id.
    pub time_zone_id: String,
    /// Trading hours.
    pub trading_hours: String,
    /// Liquid hours.
    pub liquid_hours: String,
    /// Stock type (`COMMON`, `ETF`).
    pub stock_type: String,
    /// Minimum size (the board lot for HK).
    pub min_size: String,
    /// Size increment (the board lot for HK).
    pub size_increment: String,
    /// Suggested size increment.
    pub suggested_size_increment: String,
    /// Market rule ids.
    pub market_rule_ids: String,
}

/// A five-second real-time bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarView {
    /// Bar start, epoch seconds.
    pub time: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume.
    pub volume: f64,
    /// Volume-weighted average price.
    pub wap: f64,
    /// Number of trades.
    pub count: i32,
}

/// A historical bar.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricalBarView {
    /// Epoch seconds (formatDate 2, intraday), `yyyyMMdd` (daily) or `yyyyMMdd HH:mm:ss zone`.
    pub date: String,
    /// The values.
    pub bar: BarView,
}
