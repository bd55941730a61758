//! # tws-sim: a TWS / IB Gateway protocol simulator
//!
//! A paper gateway on 127.0.0.1 that real IB API clients (the `ibapi` 5.5 crate, IB's own
//! client 10.51, `ib_async` 2.1) accept: the handshake and framing of TWS, the protobuf dialect
//! at server version 226 and the text dialect at 176–178 over one engine, orders with fills,
//! executions and commissions, positions, account values and P&L, contract details, ticks,
//! real-time and historical bars, and a fault switchboard.
//!
//! ## Layout: the way a request travels
//!
//! ```text
//! socket ─► server::connection (handshake, frames) ─► proto | text (bytes → messages::Request)
//!        ─► engine (orders, accounts, market; one lock) ─► messages::Response
//!        ─► connection writer (proto | text: Response → bytes; faults; probe) ─► socket
//! ```
//!
//! - [`config`]: what a simulator starts with ([`SimConfig`]); [`Args`] is the CLI.
//! - `proto/`, `text/`: the two wire dialects, one file per message family each.
//! - `engine/`: the simulated gateway, one file per request family, plus the market, the
//!   ledger, the clock and the fault state it applies.
//! - `server/`: the accept loop, the connections and the state they share.
//! - [`faults`]: the switchboard; [`control`]: the same switchboard as a line protocol.
//! - `simulator/`: [`Simulator`] starts the server, the control listener and the clock;
//!   [`SimHandle`] is what the embedding code holds.
//! - [`probe`]: bar-written → order-read latencies, timed on the simulator's sockets.
//!
//! Imports point one way, down the layers: `simulator` → `control` → `faults` → `server` →
//! `engine` → `messages`; the dialects `proto` and `text` sit between `server` and `messages`.
//! The switchboard and the control interface act on the server and the engine; neither of
//! those imports them back.
//!
//! ## Embedding
//!
//! ```
//! use std::time::Duration;
//! use ibapi::prelude::*;
//! use tws_sim::{SimConfig, Simulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any free port, manual clock: the market moves only when told to.
//! let sim = Simulator::start(SimConfig::ephemeral()).await?;
//! let client = Client::connect(&sim.addr().to_string(), 1).await?;
//!
//! let aapl = Contract::stock("AAPL").build();
//! let order_id = client.order(&aapl).buy(10).market().submit().await?;
//! let outcome = client.wait_for_fill(order_id, Duration::from_secs(5)).await?;
//! assert!(matches!(outcome, OrderOutcome::Filled(_)));
//! assert_eq!(sim.position("DU1234567", "AAPL")?, 10.0);
//!
//! sim.step(5); // five simulated seconds: five ticks, one real-time bar
//! sim.faults().reject_next_orders(1); // the next order gets error 201
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! - [`Simulator::start`] binds and serves; [`run`] serves a listener until a shutdown future
//!   completes (the binary's shape).
//! - [`SimHandle::step`] / [`SimHandle::step_bar`] drive a [`config::ClockMode::Manual`]
//!   market deterministically; [`config::ClockMode::RealTime`] runs it by itself,
//!   `acceleration` simulated seconds per wall second (what `sandtrade demo` uses).
//! - [`SimHandle::faults`] is the switchboard ([`Faults`]); [`SimHandle::probe`] the latency
//!   probe ([`LatencyProbe`]).
//!
//! `docs/tws-sim.md` lists what is simulated and how faithfully, and the control interface.

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod control;
mod engine;
pub mod error;
pub mod faults;
pub mod messages;
pub mod probe;
mod proto;
mod server;
mod simulator;
mod text;

pub use cli::Args;
pub use config::{DEFAULT_CONTROL_PORT, DEFAULT_PORT, SimConfig};
pub use faults::{Fault, FaultState, FaultStatus, Faults, NoLiveDataError};
pub use probe::{LatencyProbe, ProbeSample};
pub use simulator::{SimHandle, Simulator, UnknownSymbol, run};
