//! What clients ask for, decoded from either dialect.

use super::contract::ContractFields;

/// One decoded client message.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// 71: start the API session as this client id.
    StartApi {
        /// The requested client id.
        client_id: i32,
    },
    /// 49: server time in seconds.
    CurrentTime,
    /// 105: server time in milliseconds.
    CurrentTimeMillis,
    /// 8: next valid order id.
    Ids,
    /// 17: the managed accounts list.
    ManagedAccounts,
    /// 3: place (or modify) an order.
    PlaceOrder(PlaceOrder),
    /// 4: cancel one order.
    CancelOrder {
        /// The order to cancel (this client's id space).
        order_id: i32,
    },
    /// 58: cancel every open order.
    GlobalCancel,
    /// 5: this client's open orders.
    OpenOrders,
    /// 16: every client's open orders.
    AllOpenOrders,
    /// 15: bind TWS orders (client id 0 only).
    AutoOpenOrders {
        /// Bind or not.
        auto_bind: bool,
    },
    /// 99: completed orders.
    CompletedOrders {
        /// Only API orders (all simulated orders are API orders).
        api_only: bool,
    },
    /// 7: executions matching a filter.
    Executions {
        /// Echoed in every answer.
        req_id: i32,
        /// Which executions.
        filter: ExecutionFilter,
    },
    /// 61: subscribe to positions.
    Positions,
    /// 64: unsubscribe from positions.
    CancelPositions,
    /// 62: account summary.
    AccountSummary {
        /// Echoed in every answer.
        req_id: i32,
        /// Account group (`All`).
        group: String,
        /// Comma-separated tags.
        tags: String,
    },
    /// 63: cancel an account summary.
    CancelAccountSummary {
        /// The summary request.
        req_id: i32,
    },
    /// 6: subscribe to (or, with `subscribe == false`, stop) account updates.
    AccountUpdates {
        /// Start or stop.
        subscribe: bool,
        /// Account code (empty: the first account).
        account: String,
    },
    /// 76: account updates for one account/model.
    AccountUpdatesMulti {
        /// Echoed in every answer.
        req_id: i32,
        /// Account code.
        account: String,
        /// Model code.
        model_code: String,
    },
    /// 77: cancel account updates multi.
    CancelAccountUpdatesMulti {
        /// The request.
        req_id: i32,
    },
    /// 92: subscribe to an account's P&L (the day's, unrealized, realized).
    Pnl {
        /// Echoed in every answer.
        req_id: i32,
        /// Account code.
        account: String,
        /// Model code (FA models; not simulated).
        model_code: String,
    },
    /// 93: stop a P&L subscription.
    CancelPnl {
        /// The request.
        req_id: i32,
    },
    /// 9: contract details.
    ContractDetails {
        /// Echoed in every answer.
        req_id: i32,
        /// What to look up.
        contract: ContractFields,
    },
    /// 106: cancel a contract-details request.
    CancelContractDetails {
        /// The request.
        req_id: i32,
    },
    /// 1: market data (streaming or snapshot).
    MarketData {
        /// Echoed in every tick.
        req_id: i32,
        /// Which contract.
        contract: ContractFields,
        /// One snapshot, then `TickSnapshotEnd`.
        snapshot: bool,
    },
    /// 2: stop market data.
    CancelMarketData {
        /// The request.
        req_id: i32,
    },
    /// 59: market data type for later requests (1 live, 2 frozen, 3 delayed, 4 delayed-frozen).
    MarketDataType {
        /// The type.
        data_type: i32,
    },
    /// 50: five-second real-time bars.
    RealTimeBars {
        /// Echoed in every bar.
        req_id: i32,
        /// Which contract.
        contract: ContractFields,
        /// `TRADES`, `MIDPOINT`, `BID`, `ASK`.
        what_to_show: String,
    },
    /// 51: stop real-time bars.
    CancelRealTimeBars {
        /// The request.
        req_id: i32,
    },
    /// 20: historical bars.
    HistoricalData(HistoricalRequest),
    /// 25: cancel historical data.
    CancelHistoricalData {
        /// The request.
        req_id: i32,
    },
    /// A message id the simulator does not implement.
    Unknown {
        /// Its id.
        msg_id: i32,
        /// Its request id, when one could be read.
        req_id: Option<i32>,
    },
}

impl Request {
    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Request::StartApi { .. } => "startApi",
            Request::CurrentTime => "reqCurrentTime",
            Request::CurrentTimeMillis => "reqCurrentTimeInMillis",
            Request::Ids => "reqIds",
            Request::ManagedAccounts => "reqManagedAccts",
            Request::PlaceOrder(_) => "placeOrder",
            Request::CancelOrder { .. } => "cancelOrder",
            Request::GlobalCancel => "reqGlobalCancel",
            Request::OpenOrders => "reqOpenOrders",
            Request::AllOpenOrders => "reqAllOpenOrders",
            Request::AutoOpenOrders { .. } => "reqAutoOpenOrders",
            Request::CompletedOrders { .. } => "reqCompletedOrders",
            Request::Executions { .. } => "reqExecutions",
            Request::Positions => "reqPositions",
            Request::CancelPositions => "cancelPositions",
            Request::AccountSummary { .. } => "reqAccountSummary",
            Request::CancelAccountSummary { .. } => "cancelAccountSummary",
            Request::AccountUpdates { .. } => "reqAccountUpdates",
            Request::AccountUpdatesMulti { .. } => "reqAccountUpdatesMulti",
            Request::CancelAccountUpdatesMulti { .. } => "cancelAccountUpdatesMulti",
            Request::Pnl { .. } => "reqPnL",
            Request::CancelPnl { .. } => "cancelPnL",
            Request::ContractDetails { .. } => "reqContractDetails",
            Request::CancelContractDetails { .. } => "cancelContractData",
            Request::MarketData { .. } => "reqMktData",
            Request::CancelMarketData { .. } => "cancelMktData",
            Request::MarketDataType { .. } => "reqMarketDataType",
            Request::RealTimeBars { .. } => "reqRealTimeBars",
            Request::CancelRealTimeBars { .. } => "cancelRealTimeBars",
            Request::HistoricalData(_) => "reqHistoricalData",
            Request::CancelHistoricalData { .. } => "cancelHistoricalData",
            Request::Unknown { .. } => "unknown",
        }
    }
}

/// The order fields the simulator acts on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceOrder {
    /// Order id in the client's id space.
    pub order_id: i32,
    /// What to trade.
    pub contract: ContractFields,
    /// `BUY` / `SELL` as sent.
    pub action: String,
    /// Shares.
    pub total_quantity: f64,
    /// `MKT`, `LMT`, ….
    pub order_type: String,
    /// Limit price, when set.
    pub limit_price: Option<f64>,
    /// `auxPrice`: a stop's trigger price, or a trailing order's trailing amount.
    pub aux_price: Option<f64>,
    /// A trailing order's initial stop price (unset: from the price at placement).
    pub trail_stop_price: Option<f64>,
    /// A trailing order's trailing amount as a percentage of the price (instead of `aux_price`).
    pub trailing_percent: Option<f64>,
    /// A trailing limit order's distance from the stop to its limit.
    pub lmt_price_offset: Option<f64>,
    /// The parent's order id (0: none), as bracket orders send it.
    pub parent_id: i32,
    /// One-cancels-other group (empty: none).
    pub oca_group: String,
    /// What a fill in the OCA group does to the others: 1 cancel, 2 reduce with block, 3 reduce.
    pub oca_type: i32,
    /// Time in force (`DAY`, `GTC`, `IOC`, `OPG`; empty means DAY).
    pub tif: String,
    /// Account code (empty: the first account).
    pub account: String,
    /// The client's own reference, echoed back everywhere IB echoes it.
    pub order_ref: String,
    /// May fill outside regular trading hours.
    pub outside_rth: bool,
    /// Transmit now (false: TWS holds the order until an order of its bracket is transmitted).
    pub transmit: bool,
    /// What-if (margin preview) request.
    pub what_if: bool,
    /// The order carries conditions (text dialect: the fields after them were not read).
    pub has_conditions: bool,
}

/// `ExecutionFilter` of reqExecutions. Empty / zero fields match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionFilter {
    /// Only this client's executions (0: all).
    pub client_id: i32,
    /// Only this account.
    pub account: String,
    /// Only executions at or after `yyyyMMdd-HH:mm:ss` (UTC) or `yyyyMMdd HH:mm:ss`.
    pub time: String,
    /// Only this symbol.
    pub symbol: String,
    /// Only this security type.
    pub sec_type: String,
    /// Only this exchange.
    pub exchange: String,
    /// Only this side (`BUY`/`SELL`).
    pub side: String,
}

/// reqHistoricalData parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricalRequest {
    /// Echoed in every answer.
    pub req_id: i32,
    /// Which contract.
    pub contract: ContractFields,
    /// `yyyyMMdd HH:mm:ss <zone>`, `yyyyMMdd-HH:mm:ss` (UTC), or empty for now.
    pub end_date_time: String,
    /// `5 secs`, `1 min`, `5 mins`, `1 hour`, `1 day`, ….
    pub bar_size: String,
    /// `1800 S`, `1 D`, `2 W`, ….
    pub duration: String,
    /// `TRADES`, `MIDPOINT`, ….
    pub what_to_show: String,
    /// 1: dates as `yyyyMMdd HH:mm:ss zone`; 2: epoch seconds.
    pub format_date: i32,
    /// Keep sending the last bar as it changes.
    pub keep_up_to_date: bool,
}
