//! What a strategy says about itself (`describe`), checked.

use std::fmt;

use serde::Serialize;

use super::bindings;
use sandtrade_core::Instrument;

/// Longest strategy name accepted.
const MAX_NAME_LEN: usize = 64;
/// Most symbols one strategy may declare (each costs a market-data line at IB).
pub const MAX_SYMBOLS: usize = 64;
/// Longest bar accepted: one day.
const MAX_BAR_SECONDS: u32 = 86_400;

/// A strategy's checked metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyMetadata {
    /// Its name, e.g. `ma-crossover`.
    pub name: String,
    /// Its own version.
    pub version: String,
    /// The symbols exactly as it declared them (bars carry these spellings back to it).
    pub symbols: Vec<String>,
    /// The same symbols, normalized to IB contracts, in the same order.
    #[serde(skip)]
    pub instruments: Vec<Instrument>,
    /// The bar size it wants, in seconds.
    pub bar_seconds: u32,
}

/// Why `describe`'s answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("describe() returned unusable metadata: {0}")]
pub struct MetadataError(String);

impl StrategyMetadata {
    /// Checks the guest's metadata: a name of 1–64 letters, digits, `-`, `_` or `.`; a
    /// version; 1–64 symbols, each a known symbol form and none twice; a bar size of 1 s to 1 day.
    ///
    /// # Errors
    ///
    /// A [`MetadataError`] saying which field is wrong and why.
    pub fn from_guest(meta: bindings::Metadata) -> Result<Self, MetadataError> {
        let fail = |m: String| Err(MetadataError(m));
        let name_ok = !meta.name.is_empty()
            && meta.name.len() <= MAX_NAME_LEN
            && meta
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return fail(format!(
                "name {:?}: use 1 to {MAX_NAME_LEN} ASCII letters, digits, '-', '_' or '.'",
                truncate(&meta.name)
            ));
        }
        if meta.version.is_empty() || meta.version.len() > MAX_NAME_LEN {
            return fail(format!(
                "version {:?}: must be 1 to {MAX_NAME_LEN} characters",
                truncate(&meta.version)
            ));
        }
        if meta.symbols.is_empty() || meta.symbols.len() > MAX_SYMBOLS {
            return fail(format!(
                "{} symbols declared: declare 1 to {MAX_SYMBOLS}",
                meta.symbols.len()
            ));
        }
        let mut instruments: Vec<Instrument> = Vec::with_capacity(meta.symbols.len());
        for raw in &meta.symbols {
            let instrument = match sandtrade_core::normalize(raw) {
                Ok(instrument) => instrument,
                Err(rejection) => return fail(format!("symbols: {}", rejection.message)),
            };
            if let Some(i) = instruments.iter().position(|seen| seen == &instrument) {
                return fail(format!(
                    "symbols: {raw:?} and {:?} are the same contract {instrument}",
                    meta.symbols[i]
                ));
            }
            instruments.push(instrument);
        }
        if meta.bar_seconds == 0 || meta.bar_seconds > MAX_BAR_SECONDS {
            return fail(format!(
                "bar-seconds {}: must be 1 to {MAX_BAR_SECONDS}",
                meta.bar_seconds
            ));
        }
        Ok(Self {
            name: meta.name,
            version: meta.version,
            symbols: meta.symbols,
            instruments,
            bar_seconds: meta.bar_seconds,
        })
    }
}

fn truncate(s: &str) -> std::borrow::Cow<'_, str> {
    sandtrade_core::text::clip(s, 80)
}

impl fmt::Display for StrategyMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} on {} ({} s bars)",
            self.name,
            self.version,
            self.symbols.join(", "),
            self.bar_seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, symbols: &[&str], bar_seconds: u32) -> bindings::Metadata {
        bindings::Metadata {
            name: name.into(),
            version: "1.0.0".into(),
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            bar_seconds,
        }
    }

    #[test]
    fn good_metadata_is_normalized() {
        let m = StrategyMetadata::from_guest(meta("ma-cross", &["AAPL", "0700.HK"], 60)).unwrap();
        assert_eq!(m.symbols, ["AAPL", "0700.HK"]);
        let contracts: Vec<&str> = m.instruments.iter().map(|i| i.symbol.as_str()).collect();
        assert_eq!(contracts, ["AAPL", "700"]);
        assert_eq!(m.to_string(), "ma-cross 1.0.0 on AAPL, 0700.HK (60 s bars)");
    }

    #[test]
    fn bad_metadata_says_which_field() {
        let err = |m| StrategyMetadata::from_guest(m).unwrap_err().to_string();
        assert_eq!(
            err(meta("", &["AAPL"], 60)),
            "describe() returned unusable metadata: name \"\": use 1 to 64 ASCII letters, \
             digits, '-', '_' or '.'"
        );
        assert!(err(meta("x", &[], 60)).contains("0 symbols declared"));
        assert!(err(meta("x", &["AAPL.HK"], 60)).contains("unknown symbol \"AAPL.HK\""));
        assert_eq!(
            err(meta("x", &["700", "0700.HK"], 60)),
            "describe() returned unusable metadata: symbols: \"0700.HK\" and \"700\" are the \
             same contract 700"
        );
        assert!(err(meta("x", &["AAPL"], 0)).contains("bar-seconds 0"));
    }
}
