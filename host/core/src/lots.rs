//! Board lots: HK stocks trade in multiples of a per-stock lot that IB's API does not report,
//! so the lot table is configuration.
//!
//! In the config file it is a table from HK code (any accepted form) to lot size:
//!
//! ```toml
//! [lots]
//! "0700.HK" = 100
//! "5" = 400
//! ```
//!
//! Deserializing gives the built-in table ([`LotTable::builtin`]) with the configured entries
//! added or overriding. US stocks always have a lot of 1.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::instrument::{self as symbols, Instrument};

/// Board lots of a few well-known HK stocks, built in so that a demo needs no `[lots]` table.
pub const BUILTIN_LOTS: &[(&str, u32)] = &[
    ("700", 100),  // Tencent
    ("5", 400),    // HSBC
    ("9988", 100), // Alibaba
    ("3690", 100), // Meituan
    ("1299", 200), // AIA
    ("388", 100),  // HKEX
    ("2800", 500), // Tracker Fund
    ("941", 500),  // China Mobile
];

/// Board lot per HK contract symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotTable {
    /// Keyed by normalized HK contract symbol (`700`).
    lots: HashMap<String, u32>,
}

impl Default for LotTable {
    /// The built-in table.
    fn default() -> Self {
        Self::builtin()
    }
}

impl LotTable {
    /// A table with no entries: every HK symbol is refused with `lot-size`.
    pub fn empty() -> Self {
        Self {
            lots: HashMap::new(),
        }
    }

    /// The built-in table ([`BUILTIN_LOTS`]).
    pub fn builtin() -> Self {
        let lots = BUILTIN_LOTS
            .iter()
            .map(|&(symbol, lot)| (symbol.to_owned(), lot))
            .collect();
        Self { lots }
    }

    /// Adds or overrides entries, each keyed by an HK code in any accepted form.
    ///
    /// # Errors
    ///
    /// Every offending entry at once: a key that is not an HK code, a lot below 1 or above
    /// `u32::MAX`, or two keys naming the same stock. On error `self` is unchanged.
    pub fn extend<K: AsRef<str>>(
        &mut self,
        entries: impl IntoIterator<Item = (K, i64)>,
    ) -> Result<(), LotTableError> {
        let mut problems = Vec::new();
        let mut parsed: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for (key, lot) in entries {
            let key = key.as_ref();
            let instrument = match symbols::normalize(key) {
                Ok(i) if i.is_hk() => i,
                _ => {
                    problems.push(LotProblem {
                        key: key.to_owned(),
                        reason: format!("not an HK code; expected {HK_FORMS}"),
                    });
                    continue;
                }
            };
            let Some(lot) = u32::try_from(lot).ok().filter(|&l| l > 0) else {
                problems.push(LotProblem {
                    key: key.to_owned(),
                    reason: format!("lot={lot}: a board lot must be between 1 and {}", u32::MAX),
                });
                continue;
            };
            if let Some((first, _)) = parsed.get(&instrument.symbol) {
                problems.push(LotProblem {
                    key: key.to_owned(),
                    reason: format!("names the same stock {} as {first:?}", instrument.symbol),
                });
                continue;
            }
            parsed.insert(instrument.symbol, (key.to_owned(), lot));
        }
        if !problems.is_empty() {
            return Err(LotTableError { problems });
        }
        self.lots
            .extend(parsed.into_iter().map(|(symbol, (_, lot))| (symbol, lot)));
        Ok(())
    }

    /// The board lot of `instrument`: 1 for US stocks, the configured lot for HK stocks, `None`
    /// for an HK stock with no entry.
    pub fn lot_size(&self, instrument: &Instrument) -> Option<u32> {
        if instrument.is_hk() {
            self.lots.get(&instrument.symbol).copied()
        } else {
            Some(1)
        }
    }

    /// Number of HK entries.
    pub fn len(&self) -> usize {
        self.lots.len()
    }

    /// Whether the table has no HK entries.
    pub fn is_empty(&self) -> bool {
        self.lots.is_empty()
    }
}

const HK_FORMS: &str = r#"an HK code like "0700.HK", "00700" or "700""#;

impl<'de> Deserialize<'de> for LotTable {
    /// The built-in table plus the entries of a table `code = lot`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = BTreeMap::<String, i64>::deserialize(deserializer)?;
        let mut table = Self::builtin();
        table.extend(entries).map_err(serde::de::Error::custom)?;
        Ok(table)
    }
}

/// One bad `[lots]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotProblem {
    /// The key as written.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Every bad entry of a `[lots]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LotTableError {
    /// The offending entries, in the order they were given (key order when deserialized).
    pub problems: Vec<LotProblem>,
}

impl fmt::Display for LotTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid board lots:")?;
        for (i, p) in self.problems.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}{:?} ({})", p.key, p.reason)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(raw: &str) -> Instrument {
        symbols::normalize(raw).unwrap()
    }

    #[test]
    fn builtin_table_has_the_well_known_lots() {
        let t = LotTable::builtin();
        for (raw, lot) in [
            ("0700.HK", 100),
            ("00005", 400),
            ("9988", 100),
            ("3690.HK", 100),
            ("1299", 200),
            ("388", 100),
            ("2800.HK", 500),
            ("941", 500),
        ] {
            assert_eq!(t.lot_size(&inst(raw)), Some(lot), "{raw}");
        }
        assert_eq!(t.len(), 8);
        assert_eq!(LotTable::default(), t);
    }

    #[test]
    fn us_lot_is_one() {
        let t = LotTable::empty();
        assert_eq!(t.lot_size(&inst("AAPL")), Some(1));
    }

    #[test]
    fn toml_extends_and_overrides_builtin() {
        #[derive(Deserialize)]
        struct Cfg {
            lots: LotTable,
        }
        let cfg: Cfg = toml::from_str(
            r#"
            [lots]
            "0700.HK" = 200
            "01234" = 2000
            "#,
        )
        .unwrap();
        assert_eq!(cfg.lots.lot_size(&inst("700")), Some(200));
        assert_eq!(cfg.lots.lot_size(&inst("1234")), Some(2000));
        assert_eq!(cfg.lots.lot_size(&inst("5")), Some(400));
        assert_eq!(cfg.lots.len(), 9);
    }

    #[test]
    fn toml_errors_list_every_offending_key() {
        let err = toml::from_str::<LotTable>(
            r#"
            "AAPL" = 100
            "5" = 0
            "0700.HK" = 100
            "700" = 200
            "9988" = -100
            "#,
        )
        .unwrap_err()
        .to_string();
        for needle in [
            r#""AAPL" (not an HK code"#,
            r#""5" (lot=0"#,
            r#""9988" (lot=-100"#,
            r#"names the same stock 700 as "0700.HK""#,
        ] {
            assert!(err.contains(needle), "missing {needle:?} in {err}");
        }
    }

    #[test]
    fn extend_error_leaves_table_unchanged() {
        let mut t = LotTable::builtin();
        let err = t.extend([("1234", 100), ("bad!", 100)]).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert_eq!(err.problems[0].key, "bad!");
        assert_eq!(t, LotTable::builtin());
    }
}
