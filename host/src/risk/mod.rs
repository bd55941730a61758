//! Signal validation: symbols, board lots, and the rules every signal must pass.
pub mod lots;
pub mod symbols;
pub mod types;
