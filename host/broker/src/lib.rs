//! The one IBKR connection, in pieces the trading loop ([`sandtrade_trading`]) puts together.
//!
//! ```text
//! config ─► safety (paper/live) ─► session::connect (client ids, accounts)
//!                                   └► session::snapshot ─► orders::reconcile (before any send)
//! queue ─► pacer (every message) ─► wire::order (orderRef = client order id) ─► IB
//! IB ─► wire (statuses, executions, commissions) ─► orders store
//! IB ─► 5 s bars ─► bars::Aggregator (each strategy's size) ─► strategies
//!        history (warm-up, paced by history::HistoryPacer) ─┘
//! ```
//!
//! | file | job |
//! |---|---|
//! | [`safety`] | paper or live: port and account prefix must agree with the declared mode |
//! | [`session`] | connect (fallback client ids on 326, the account check), reconciliation reads |
//! | [`pacer`] | the one pacer of every outgoing message (below IB's 50 per second) |
//! | [`backoff`] | reconnect delays: exponential, capped, jittered |
//! | [`codes`] | what IB's notice codes mean (1100/1101/1102, farms, 326, orders, pacing, live market data refused) |
//! | [`wire`] | conversions between `ibapi`'s types and the host's |
//! | [`bars`] | aggregation of five-second bars to each strategy's bar size |
//! | [`history`] | warm-up bar sizes and IB's historical pacing |
//!
//! Nothing here owns state across connections or runs a loop: that is the trading loop's job,
//! so every piece here is testable on its own.

pub mod backoff;
pub mod bars;
pub mod codes;
pub mod config;
pub mod history;
pub mod pacer;
pub mod safety;
pub mod session;
pub mod wire;

pub use config::IbConfig;
