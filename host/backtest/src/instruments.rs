//! The instruments of one backtest, numbered, so that a bar names its instrument with a small
//! copyable id instead of a string.

use std::collections::HashMap;
use std::ops::Index;
use std::sync::Arc;

use sandtrade_core::Instrument;
use sandtrade_core::Rejection;

/// Up to this many instruments, [`SymbolTable::id`] scans instead of hashing.
const LINEAR_LOOKUP_MAX: usize = 8;

/// Index of an instrument in a [`SymbolTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(u32);

impl SymbolId {
    /// Position in the table, from 0.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// The instruments a backtest trades, in a fixed order. Cheap to clone (instruments are
/// shared).
///
/// Built from the strategy's declared instruments (`SymbolTable::new(gate.instruments()
/// .iter().cloned())`): bars of any other symbol in the file are skipped, as live trading would
/// never deliver them.
#[derive(Debug, Clone, Default)]
pub struct SymbolTable {
    instruments: Vec<Arc<Instrument>>,
    by_symbol: HashMap<String, SymbolId>,
}

impl SymbolTable {
    /// A table of `instruments`, deduplicated (by contract symbol), in order of first
    /// appearance.
    pub fn new(instruments: impl IntoIterator<Item = Arc<Instrument>>) -> Self {
        let mut table = Self::default();
        for instrument in instruments {
            if !table.by_symbol.contains_key(&instrument.symbol) {
                // Fewer than 2^32 instruments: each came from a declared symbol.
                let id = SymbolId(table.instruments.len() as u32);
                table.by_symbol.insert(instrument.symbol.clone(), id);
                table.instruments.push(instrument);
            }
        }
        table
    }

    /// A table of symbols in any accepted form (`"AAPL"`, `"0700.HK"`).
    ///
    /// # Errors
    ///
    /// The `unknown-symbol` rejection of the first symbol that does not normalize.
    pub fn from_symbols(symbols: &[impl AsRef<str>]) -> Result<Self, Rejection> {
        let instruments = symbols
            .iter()
            .map(|s| sandtrade_core::normalize(s.as_ref()).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(instruments))
    }

    /// The id of `instrument`, if it is in the table.
    ///
    /// On the hot path of every signal (the simulator's `Book` answers by id). A small table is
    /// scanned, comparing the shared instrument's address before its symbol: the gate and the
    /// table share their `Arc`s, so that is usually a hit without hashing.
    #[inline]
    pub fn id(&self, instrument: &Instrument) -> Option<SymbolId> {
        if self.instruments.len() <= LINEAR_LOOKUP_MAX {
            let same = |i: &Arc<Instrument>| {
                std::ptr::eq(&**i, instrument) || i.symbol == instrument.symbol
            };
            // Fewer than 2^32 instruments (see `new`).
            return self
                .instruments
                .iter()
                .position(same)
                .map(|at| SymbolId(at as u32));
        }
        self.id_of_symbol(&instrument.symbol)
    }

    /// The id of the instrument with this canonical contract symbol (`"AAPL"`, `"700"`).
    pub fn id_of_symbol(&self, symbol: &str) -> Option<SymbolId> {
        self.by_symbol.get(symbol).copied()
    }

    /// The instrument `id` names, if `id` is from this table.
    pub fn get(&self, id: SymbolId) -> Option<&Arc<Instrument>> {
        self.instruments.get(id.index())
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }

    /// Every instrument with its id, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (SymbolId, &Arc<Instrument>)> {
        (0u32..).map(SymbolId).zip(&self.instruments)
    }
}

impl Index<SymbolId> for SymbolTable {
    type Output = Arc<Instrument>;

    /// The instrument `id` names.
    ///
    /// # Panics
    ///
    /// If `id` comes from a larger table: ids are only made by a table, so this is a mix-up
    /// of tables.
    fn index(&self, id: SymbolId) -> &Arc<Instrument> {
        &self.instruments[id.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_first_appearance_and_spellings_merge() {
        let table = SymbolTable::from_symbols(&["aapl", "0700.HK", "700", "MSFT"]).unwrap();
        let symbols: Vec<(usize, &str)> = table
            .iter()
            .map(|(id, i)| (id.index(), i.symbol.as_str()))
            .collect();
        assert_eq!(symbols, [(0, "AAPL"), (1, "700"), (2, "MSFT")]);
        assert_eq!(table.id_of_symbol("700").map(SymbolId::index), Some(1));
        assert_eq!(
            table
                .id(&sandtrade_core::normalize("msft").unwrap())
                .map(SymbolId::index),
            Some(2)
        );
        assert_eq!(
            table.id_of_symbol("0700.HK"),
            None,
            "lookups take the canonical symbol"
        );
        assert_eq!(table[SymbolId(2)].currency, "USD");
        assert_eq!(table.get(SymbolId(3)), None);
    }

    #[test]
    fn a_bad_symbol_is_refused() {
        let err = SymbolTable::from_symbols(&["AAPL", "A1"]).unwrap_err();
        assert_eq!(err.code, sandtrade_core::RejectCode::UnknownSymbol);
    }
}
