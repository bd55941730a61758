//! The contract that requests and responses carry. A file of its own because both
//! `request.rs` and `response.rs` use it and `mod.rs` re-exports them.

/// A contract as it travels in requests and responses (the stock subset of IB's `Contract`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContractFields {
    /// IB contract id (0 when the client leaves it out).
    pub con_id: i32,
    /// Symbol (`AAPL`, `700`).
    pub symbol: String,
    /// Security type (`STK`).
    pub sec_type: String,
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
