//! Sandtrade host: runs sandboxed WebAssembly trading strategies.
#![warn(missing_docs)]

pub mod backtest;
pub mod risk;
pub mod runtime;
