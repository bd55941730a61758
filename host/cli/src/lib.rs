//! `sandtrade`: the command line, and what only the top of the house may do — assemble the
//! configuration file from each crate's sections, put the trading thread and the REST API
//! together, and embed tws-sim for the demo.
//!
//! The layers below, from the ground up (each a crate of `host/`):
//!
//! ```text
//! sandtrade-core      instruments, lots, bars, signals, positions, clock, config sections
//! sandtrade-risk      the rules every signal passes
//! sandtrade-runtime   wasm strategies in their sandbox: compile, run, hot reload
//! sandtrade-orders    the durable order store (SQLite)
//! sandtrade-backtest  bar files and the simulated account
//! sandtrade-broker    what speaks to IB
//! sandtrade-trading   the live loop: bars → strategies → orders → fills
//! sandtrade-api       the REST API and status page
//! sandtrade           this crate: CLI, configuration, `run`, `demo`
//! ```
//!
//! - [`build`]: `sandtrade build`, a strategy project of any language into its component.
//! - [`new`]: `sandtrade new`, a ready strategy project in Rust, Python or TypeScript.
//! - [`config`]: the configuration file, assembled from the sections each crate defines.
//! - [`host`]: `sandtrade run`: the trading thread and, when configured, the API.
//! - [`demo`]: `sandtrade demo`, everything in one process against tws-sim.
#![warn(missing_docs)]

pub mod build;
pub mod config;
pub mod demo;
pub mod host;
pub mod new;
