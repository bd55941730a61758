//! Shared helpers for the end-to-end tests and benchmarks.
//!
//! - [`guests`]: the real guest components, built from source on demand.
//! - [`rig`]: a tws-sim, a strategies directory and the host's trading loop, in-process.
#![warn(missing_docs)]

pub mod guests;
pub mod rig;
