//! Backtests: replay a bar file through a strategy, with the live risk rules, against a
//! simulated account.
//!
//! This module has everything but the strategy calls (the runtime makes those), so it knows
//! nothing of wasm. A driver does, per bar in time order:
//!
//! ```text
//! for bar in BarFeed (reader thread)         bars::BarFeed, in batches over a channel
//!     fills = sim.open(&bar)                 orders decided on earlier bars fill at this open
//!     strategy.on_fill(fill) for each fill
//!     strategy.on_bar(bar)                   each emit(signal):
//!         validator.check(&mut gate, &signal, &sim, bar.time_ms)   (replay time: deterministic)
//!         sim.submit(&order, bar.time_ms) → signal id
//!     sim.mark(&bar)                         equity, drawdown, curve
//! report = sim.finish(gate.counters().snapshot())
//! print report; report.write_trades_csv(..); report.equity_svg()
//! ```
//!
//! The replay (`replay`) gives the strategy several bars in one `on-bars` call where that
//! changes nothing it can see, and the desk answers each bar's calls as of that bar; the
//! outputs are those of the loop above.
//!
//! - [`bars`]: the bar CSV format and its reader;
//! - [`generate`]: synthetic bars (a seeded random walk) and the sample files;
//! - [`sim`]: the simulated account and its fill model;
//! - [`commission`]: commission schedules;
//! - [`report`]: summary, trades CSV, equity SVG.
//!
//! `docs/backtest.md` describes the format and the model for users.

pub mod bars;
pub mod commission;
mod decimal;
pub mod desk;
pub mod equity;
pub mod fill;
pub mod generate;
pub mod instruments;
mod replay;
pub mod report;
mod resting;
pub mod run;
pub mod settings;
pub mod sim;
mod svg;

pub use bars::{BarError, BarFeed, BarReader, BarRow, ReadStats};
pub use commission::{Commission, CommissionSchedule};
pub use desk::BacktestDesk;
pub use fill::Fill;
pub use instruments::{SymbolId, SymbolTable};
pub use report::{AccountSummary, PositionSummary, Report};
pub use run::{BacktestError, BacktestOutcome, BacktestSpec, Delivery, run, run_with};
pub use settings::BacktestSettings;
pub use sim::{Held, Sim, SimConfig, SimError};
