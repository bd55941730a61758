//! The strategy runtime: wasmtime engine, sandbox, loading, and calling guests.
//!
//! The way a strategy file travels:
//!
//! 1. [`compile`]: bytes → checked, compiled component (on one core, at a low priority; cached
//!    on disk by hash in a private directory, [`cache`]).
//! 2. [`instance::PreparedStrategy`]: linked against the host's imports ([`linker`]) once.
//! 3. [`instance::StrategyInstance`]: one `Store` per strategy; calls run under a CPU deadline
//!    (or a fuel budget in backtests), a memory cap and a stack cap; a trap is a typed
//!    [`instance::GuestFault`].
//! 4. Its imports ([`host`]) hand signals to a [`host::Desk`]: the backtest simulator, or risk
//!    plus the durable order queue when trading.
//!
//! [`check`] runs every load step a live host runs on one file (`sandtrade check`).
#![warn(missing_docs)]

pub mod bar_batch;
pub mod bindings;
pub mod cache;
pub mod check;
pub mod compile;
mod convert;
pub mod engine;
pub mod fleet;
pub mod host;
mod inert_clocks;
pub mod instance;
pub mod linker;
mod low_priority;
pub mod metadata;
pub mod output;
pub mod profile;
pub mod sandbox;
pub mod sidecar;
pub mod supervisor;
pub mod watch;
mod wit_version;

/// The newest version of the `sandtrade:strategy` WIT package, the one the SDKs build against.
pub const WIT_VERSION: &str = WitVersion::NEWEST.as_str();

pub use bar_batch::BarBatch;
pub use cache::{CacheDirError, CompileCache};
pub use compile::{CompiledStrategy, LoadError, compile_file};
pub use engine::{CpuBudget, Runtime, SandboxConfig};
pub use fleet::{BarEvent, DeskSpec, Fleet, InstallError, Installed, StrategyStatus};
pub use host::{
    CancelRefusal, Cancelled, Desk, Holding, Modified, ModifyRefusal, StrategyState, WorkingOrder,
    WorkingState,
};
pub use instance::{
    Failed, FaultKind, GuestFault, PreparedStrategy, StartError, Started, StrategyInstance,
};
pub use metadata::StrategyMetadata;
pub use watch::{DirChange, DirWatch, StrategyDir, watch};
pub use wit_version::WitVersion;

/// The strategy's file name without `.wasm`: its name in the host.
pub fn strategy_name(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
