//! Host-side bindings generated from the WIT, one module per version of
//! `sandtrade:strategy` the host serves.
//!
//! The host speaks the newest version, [`v0_2`]: its `Bar`, `Fill` and `Metadata` are the ones
//! the rest of the runtime names, re-exported here. A component built against 0.1.0 is called
//! through [`v0_1`]; the instance converts at that boundary (see `crate::convert`).
//!
//! Calls are synchronous: guests run on dedicated threads, and sync calls are ~2× cheaper than
//! async ones (wasmtime-host.md §5).
#![allow(missing_docs, reason = "generated code")]

/// `sandtrade:strategy@0.2.0` (`wit/strategy.wit`): the version the host speaks.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        world: "strategy",
        path: "../../wit",
    });
}

/// `sandtrade:strategy@0.1.0` (`wit/v0.1/strategy.wit`), frozen: market and limit day orders,
/// one bar a call.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        world: "strategy",
        path: "../../wit/v0.1",
    });
}

pub use v0_2::sandtrade::strategy::types::{
    Action, BracketIds, CancelOutcome, CancelRefusal, DataSource, Exits, Level, Market,
    ModifyOutcome, ModifyRefusal, OrderChange, OrderState, OrderType, Position, RejectCode,
    Rejection, Signal, StopLimit, TimeInForce, Trail, TrailingStop, WorkingOrder,
};
pub use v0_2::sandtrade::strategy::types::{BarColumns, BatchSymbol};
pub use v0_2::{Bar, Fill, Metadata, Strategy, StrategyPre};
