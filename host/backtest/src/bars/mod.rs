//! Bar files: the CSV format a backtest replays, and a fast reader for it.
//!
//! # Format
//!
//! ```text
//! time,symbol,open,high,low,close,volume
//! 2024-01-02T09:30:00-05:00,AAPL,185.12,185.40,184.98,185.31,120400
//! 2024-01-02T09:30:00-05:00,MSFT,370.50,370.90,370.11,370.66,80211
//! 1704205860000,AAPL,185.31,185.35,185.02,185.10,98000
//! 2024-01-03T09:30:00+08:00,0700.HK,290.20,290.60,289.80,290.40,1510000
//! ```
//!
//! - **Header**: exactly `time,symbol,open,high,low,close,volume` (ASCII case ignored). A
//!   UTF-8 byte-order mark before it is ignored.
//! - **Rows**: seven comma-separated fields, no quoting, no spaces around fields. Lines end in
//!   `\n` or `\r\n`; blank lines are ignored.
//! - **time**: the start of the bar, either RFC 3339 with an offset (`2024-01-02T09:30:00-05:00`,
//!   `2024-01-02T14:30:00Z`; `T` or a space between date and time; a fraction of a second is
//!   truncated to the millisecond) or integer milliseconds since the Unix epoch
//!   (`1704205800000`; values before 1973 are refused as probably being seconds). Both forms may
//!   be mixed.
//! - **symbol**: a US ticker or HK code in any form the host accepts (`AAPL`, `BRK.B`,
//!   `0700.HK`, `00700`, `700`).
//! - **open, high, low, close**: decimal prices in the symbol's currency, finite and > 0, with
//!   `low <= open, close <= high`.
//! - **volume**: a decimal, finite and >= 0.
//! - **Order**: rows in non-decreasing time order across the whole file; at most one bar per
//!   symbol and time.
//!
//! Rows of symbols not in the backtest's [`SymbolTable`] are parsed, validated and skipped (and
//! counted in [`ReadStats`]). Any bad row stops the read with an error that names the line, the
//! column and what is wrong: `line 12, column 3 (open): "18a.5" is not a number`.
//!
//! # Reading
//!
//! [`BarReader`] parses any `Read` in the caller's thread; [`BarFeed`] runs one on its own
//! thread and hands batches of [`BATCH_BARS`] bars over a channel, so parsing overlaps the
//! strategy calls. Both yield [`Bar`]s whose `symbol` is a [`SymbolId`] of the table.

mod feed;
pub mod number;
mod parse;
mod reader;
pub mod timestamp;

use std::fmt;

pub use feed::{BATCH_BARS, BarFeed};
pub use parse::{BarParser, HEADER};
pub use reader::BarReader;
pub use timestamp::TimeProblem;

use sandtrade_core::Bar;

use super::instruments::SymbolId;
#[cfg(doc)]
use super::instruments::SymbolTable;

/// A row of a bar file: which instrument of the backtest, and its bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarRow {
    /// The instrument, in the backtest's [`SymbolTable`].
    pub symbol: SymbolId,
    /// The bar; its `start_ms` is the row's time.
    pub bar: Bar,
}

/// What a read went through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Lines read, header and blank lines included.
    pub lines: u64,
    /// Bars delivered (of symbols in the table).
    pub bars: u64,
    /// Bars skipped because their symbol is not in the table: `(contract symbol, bars)`, in
    /// order of first appearance.
    pub skipped: Vec<(String, u64)>,
}

/// A column of the bar format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `time`.
    Time,
    /// `symbol`.
    Symbol,
    /// `open`.
    Open,
    /// `high`.
    High,
    /// `low`.
    Low,
    /// `close`.
    Close,
    /// `volume`.
    Volume,
    /// Anything after the seventh field.
    Extra,
}

impl Column {
    /// 1-based column number.
    pub const fn number(self) -> usize {
        self as usize + 1
    }

    /// The header name (`extra` for [`Column::Extra`]).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Symbol => "symbol",
            Self::Open => "open",
            Self::High => "high",
            Self::Low => "low",
            Self::Close => "close",
            Self::Volume => "volume",
            Self::Extra => "extra",
        }
    }
}

/// What is wrong with one field of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowProblem {
    /// The row ends before this column.
    Missing,
    /// The row has more than seven fields.
    TooManyFields,
    /// The time field is bad.
    Time(TimeProblem, String),
    /// The symbol does not normalize (the message says why).
    Symbol(String),
    /// Not a decimal number (the field, quoted).
    NotANumber(String),
    /// A price that is not finite and > 0.
    NotPositive(f64),
    /// A volume that is not finite and >= 0.
    BadVolume(f64),
    /// `high` below `low`, `open` or `close`.
    HighBelow {
        /// The column `high` is compared with.
        other: Column,
        /// `high`.
        value: f64,
        /// The other column's value.
        other_value: f64,
    },
    /// `low` above `open` or `close`.
    LowAbove {
        /// The column `low` is compared with.
        other: Column,
        /// `low`.
        value: f64,
        /// The other column's value.
        other_value: f64,
    },
    /// Earlier than the row before it.
    OutOfOrder {
        /// This row's time.
        time_ms: i64,
        /// The previous row's time.
        previous_ms: i64,
    },
    /// A second bar of the same symbol at the same time.
    Duplicate {
        /// Contract symbol.
        symbol: String,
        /// The time.
        time_ms: i64,
    },
    /// The line is longer than any bar row can be.
    LineTooLong(usize),
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use timestamp::format_time;
        match self {
            Self::Missing => write!(f, "missing: every row has 7 fields, {HEADER}"),
            Self::TooManyFields => write!(f, "more than 7 fields: every row is {HEADER}"),
            Self::Time(problem, field) => write!(f, "{field:?}: {problem}"),
            Self::Symbol(message) => f.write_str(message),
            Self::NotANumber(field) => write!(f, "{field:?} is not a number"),
            Self::NotPositive(v) => write!(f, "{v} is not a price: prices must be finite and > 0"),
            Self::BadVolume(v) => write!(f, "{v} is not a volume: volumes must be finite and >= 0"),
            Self::HighBelow {
                other,
                value,
                other_value,
            } => {
                write!(f, "high {value} is below {} {other_value}", other.name())
            }
            Self::LowAbove {
                other,
                value,
                other_value,
            } => {
                write!(f, "low {value} is above {} {other_value}", other.name())
            }
            Self::OutOfOrder {
                time_ms,
                previous_ms,
            } => write!(
                f,
                "{} is before the previous row's {}: rows must be in time order",
                format_time(*time_ms, 0),
                format_time(*previous_ms, 0)
            ),
            Self::Duplicate { symbol, time_ms } => {
                write!(f, "a second {symbol} bar at {}", format_time(*time_ms, 0))
            }
            Self::LineTooLong(len) => write!(f, "line longer than {len} bytes: not a bar row"),
        }
    }
}

/// Why a bar file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BarError {
    /// Reading the input failed.
    #[error("cannot read bars: {0}")]
    Io(#[from] std::io::Error),
    /// The first line is not the header.
    #[error("line 1: expected the header {HEADER}, found {found:?}")]
    Header {
        /// The first line as found (truncated).
        found: String,
    },
    /// A bad row.
    #[error("line {line}, column {} ({}): {problem}", column.number(), column.name())]
    Row {
        /// 1-based line number.
        line: u64,
        /// The column at fault.
        column: Column,
        /// What is wrong.
        problem: RowProblem,
    },
    /// The reader thread ended without a word (it panicked).
    #[error("the bar reader thread stopped unexpectedly")]
    ReaderGone,
}

#[cfg(test)]
mod tests;
