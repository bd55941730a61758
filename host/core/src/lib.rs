//! Sandtrade's vocabulary: the nouns every other layer speaks in, and nothing that runs.
//!
//! - [`instrument`]: markets, instruments, and symbol normalization (`0700.HK`, `00700` and
//!   `700` are all contract `700` on SEHK).
//! - [`lots`]: HK board lots.
//! - [`bar`]: the one OHLCV bar.
//! - [`signal`]: what a strategy asks for (actions, sides, order types) and why the host may
//!   refuse it (reject codes).
//! - [`position`]: positions with the one average-cost and realized-P&L arithmetic, and the
//!   exposure risk checks against.
//! - [`money`]: amounts rounded to the currency's minor unit where answers show them.
//! - [`clock`]: the host's wall clock, and durations as messages show them.
//! - [`text`]: outside strings cut to a size before they are kept or shown.
//! - [`settings`]: the toolkit each crate reads its own configuration section with.
#![warn(missing_docs)]

pub mod bar;
pub mod bracket;
pub mod clock;
pub mod instrument;
pub mod lots;
pub mod money;
pub mod order_type;
pub mod position;
pub mod settings;
pub mod signal;
pub mod text;
pub mod ticks;

pub use bar::Bar;
pub use bracket::{BracketIds, BracketRequest, ExitRole, Exits};
pub use instrument::{ACCEPTED_FORMS, Instrument, Market, normalize};
pub use lots::{LotProblem, LotTable, LotTableError};
pub use order_type::{OrderChange, OrderType, PriceChange, PriceField, TimeInForce, Timing, Trail};
pub use position::{Exposure, Position};
pub use signal::{
    Action, REASON_MAX_BYTES, RejectCode, Rejection, SYMBOL_MAX_BYTES, Side, SignalRequest,
};
