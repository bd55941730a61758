//! Shared helpers for the end-to-end tests and benchmarks.
//!
//! - [`guests`]: the real guest components, built from source on demand.
#![warn(missing_docs)]

pub mod guests;
