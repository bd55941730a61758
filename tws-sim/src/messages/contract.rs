//! The contract that requests and responses carry. A file of its own because both
//! `request.rs` and `response.rs` use it and `mod.rs` re-exports them.

/// A contract as it travels in requests and responses: the stock subset of IB's `Contract`,
/// plus the fields that tell an option apart (only written: the simulator trades stocks alone,
/// but an account may hold options, which positions report).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContractFields {
    /// IB contract id (0 when the client leaves it out).
    pub con_id: i32,
    /// Symbol (`AAPL`, `700`).
    pub symbol: String,
    /// Security type (`STK`).
    pub sec_type: String,
    /// An option's last trading day (`YYYYMMDD`, IB's `lastTradeDateOrContractMonth`); empty
    /// for a stock.
    pub last_trade_date_or_contract_month: String,
    /// An option's strike; 0 for a stock.
    pub strike: f64,
    /// An option's right, `C` or `P`; empty for a stock.
    pub right: String,
    /// Shares per contract, as IB writes it (`100` for a US equity option); empty for a stock.
    pub multiplier: String,
    /// Routing exchange (`SMART`, `SEHK`).
    pub exchange: String,
    /// Listing exchange (`NASDAQ`, `SEHK`).
    pub primary_exchange: String,
    /// Currency (`USD`, `HKD`).
    pub currency: String,
    /// Local symbol.
    pub local_symbol: String,
    /// Trading class.
    pub trading_class: String,
}
