//! Host-side bindings generated from `wit/strategy.wit`.
//!
//! Generated once here so every other module names the same types. Calls are synchronous: guests
//! run on dedicated threads, and sync calls are ~2× cheaper than async ones (wasmtime-host.md §5).
#![allow(missing_docs, reason = "generated code")]

wasmtime::component::bindgen!({
    world: "strategy",
    path: "../../wit",
});

// `Bar`, `Fill` and `Metadata` are re-exported at the root by `bindgen!` (the world `use`s them).
pub use self::sandtrade::strategy::types::{
    Action, Level, Market, OrderType, Position, RejectCode, Rejection, Signal,
};
