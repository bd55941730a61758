//! Shared helpers for the end-to-end tests and benchmarks.
//!
//! - [`guests`]: the real guest components, built from source on demand.
//! - [`paper`]: a fleet of strategies on paper desks, fed the sample bar files.
//! - [`logs`]: the host's log, captured for exact assertions.
//! - [`rig`]: a tws-sim, a strategies directory and the host's trading loop, in-process.
#![warn(missing_docs)]

pub mod guests;
pub mod logs;
pub mod paper;
pub mod rig;
