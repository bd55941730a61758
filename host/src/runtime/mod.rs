//! The strategy runtime.
pub mod bindings;
