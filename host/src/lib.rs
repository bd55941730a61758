//! Sandtrade host: runs sandboxed WebAssembly trading strategies and trades their signals
//! through Interactive Brokers.
//!
//! The way data travels, and the module that owns each step:
//!
//! ```text
//! bars ──► runtime (wasm strategies, one Store each) ──emit──► risk (validate)
//!                                                                 │ accepted
//!            backtest (simulated fills) ◄── or ──► orders/broker (durable queue, IBKR)
//! ```
//!
//! - [`runtime`]: the wasmtime engine, the sandbox, loading and calling strategies.
//! - [`risk`]: symbols, board lots, and the rules every signal passes.
//! - [`orders`]: the durable order store (SQLite): signals, orders, fills, positions.
//! - [`backtest`]: replaying bars through a strategy against a simulated account.
//! - [`check`]: `sandtrade check`, every load step on one file.
#![warn(missing_docs)]

pub mod backtest;
pub mod broker;
pub mod check;
pub mod clock;
pub mod config;
pub mod orders;
pub mod risk;
pub mod runtime;
pub mod trading;
