//! The dialect-neutral vocabulary between the wire and the engine.
//!
//! A dialect (protobuf at server versions 213–226 in `proto/`, text at 176–178 in `text/`)
//! decodes each client frame into a [`Request`] and encodes each [`Response`] the engine
//! produces. The engine never sees bytes: both dialects share it, each only a codec.

mod contract;
mod request;
mod response;

pub use contract::ContractFields;
pub use request::*;
pub use response::*;

/// Why a frame could not be read as the message its id names (either dialect).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `BUY` (executions say `BOT`).
    Buy,
    /// `SELL` (executions say `SLD`).
    Sell,
}

impl Side {
    /// The order action string.
    pub fn action(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// The execution side string.
    pub fn exec_side(self) -> &'static str {
        match self {
            Side::Buy => "BOT",
            Side::Sell => "SLD",
        }
    }

    /// Parses `BUY`/`SELL` (and `SSHORT`, treated as a sell).
    pub fn parse(action: &str) -> Option<Self> {
        match action.to_ascii_uppercase().as_str() {
            "BUY" => Some(Side::Buy),
            "SELL" | "SSHORT" => Some(Side::Sell),
            _ => None,
        }
    }
}

/// Formats a quantity the way TWS writes decimals: `100`, `0.5`, never `100.0`.
pub fn format_decimal(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value:.8}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// IB's "unset" double (`Double.MAX_VALUE`), which clients read as absent.
pub const UNSET_DOUBLE: f64 = f64::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_like_tws() {
        assert_eq!(format_decimal(100.0), "100");
        assert_eq!(format_decimal(0.0), "0");
        assert_eq!(format_decimal(-300.0), "-300");
        assert_eq!(format_decimal(0.5), "0.5");
        assert_eq!(format_decimal(12.125), "12.125");
    }
}
