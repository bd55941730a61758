//! Shared helpers for the end-to-end tests and benchmarks.
//!
//! - [`guests`]: the real guest components, built from source on demand.
//! - [`bench`]: statistics, machine state and side-by-side tables for `tests/benches/`.
#![warn(missing_docs)]

pub mod bench;
pub mod guests;
