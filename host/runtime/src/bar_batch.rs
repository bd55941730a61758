//! The bars of one `on-bars` call, in the shape the WIT carries them: each symbol once, and the
//! bars column by column (`bar-columns`), each naming its symbol by index. A list of numbers
//! crosses into the guest as one copy; a list of `bar` records would be written field by field
//! and make the guest allocate each bar's symbol, which cost more than the rest of the bar.

use super::bindings::{self, BarColumns, BatchSymbol, DataSource};

/// Bars for `on-bars` calls, reused from one call to the next: [`clear`](Self::clear), then
/// [`push`](Self::push) the bars in time order (all of one source: see [`fits`](Self::fits)),
/// then hand it to [`StrategyInstance::on_bars`](crate::StrategyInstance::on_bars).
#[derive(Debug, Clone)]
pub struct BarBatch {
    /// The symbols of this batch are the first `symbols_used`; the rest are kept from earlier
    /// batches so that a symbol seen again reuses its string instead of allocating one.
    symbols: Vec<BatchSymbol>,
    symbols_used: usize,
    source: DataSource,
    columns: BarColumns,
    /// The index of the last symbol pushed: bars of one symbol usually come in runs.
    last: Option<u32>,
}

impl Default for BarBatch {
    fn default() -> Self {
        Self {
            symbols: Vec::new(),
            symbols_used: 0,
            source: DataSource::Live,
            columns: BarColumns {
                symbol: Vec::new(),
                start_ms: Vec::new(),
                ohlcv: Vec::new(),
            },
            last: None,
        }
    }
}

impl BarBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties it, keeping its buffers (and its symbols' strings, for the next batch).
    pub fn clear(&mut self) {
        self.columns.symbol.clear();
        self.columns.start_ms.clear();
        self.columns.ohlcv.clear();
        self.symbols_used = 0;
        self.last = None;
    }

    /// Whether `bar` can join this batch: the bars of one call come from one source.
    pub fn fits(&self, bar: &bindings::Bar) -> bool {
        self.is_empty() || bar.source == self.source
    }

    /// Adds `bar` after the others.
    ///
    /// # Panics
    ///
    /// If it does not [fit](Self::fits).
    pub fn push(&mut self, bar: &bindings::Bar) {
        assert!(
            self.fits(bar),
            "a bar from {:?} pushed into an on-bars batch from {:?}",
            bar.source,
            self.source
        );
        self.source = bar.source;
        let symbol = self.symbol_index(bar);
        let columns = &mut self.columns;
        columns.symbol.push(symbol);
        columns.start_ms.push(bar.start_ms);
        columns
            .ohlcv
            .extend([bar.open, bar.high, bar.low, bar.close, bar.volume]);
    }

    /// How many bars it holds.
    pub fn len(&self) -> usize {
        self.columns.symbol.len()
    }

    /// Whether it holds no bar.
    pub fn is_empty(&self) -> bool {
        self.columns.symbol.is_empty()
    }

    /// The symbols its bars are of, each once, in the order they first appear.
    pub fn symbols(&self) -> &[BatchSymbol] {
        &self.symbols[..self.symbols_used]
    }

    /// Where its bars' prices came from.
    pub fn source(&self) -> DataSource {
        self.source
    }

    /// Its bars, column by column.
    pub fn columns(&self) -> &BarColumns {
        &self.columns
    }

    fn symbol_index(&mut self, bar: &bindings::Bar) -> u32 {
        if let Some(last) = self.last
            && self.symbols[last as usize].symbol == bar.symbol
        {
            return last;
        }
        let used = &self.symbols[..self.symbols_used];
        let index = match used.iter().position(|s| s.symbol == bar.symbol) {
            Some(found) => found,
            None => {
                let index = self.symbols_used;
                match self.symbols.get_mut(index) {
                    // A batch before had a symbol here: reuse its string.
                    Some(kept) => {
                        if kept.symbol != bar.symbol {
                            kept.symbol.clone_from(&bar.symbol);
                        }
                        kept.market = bar.market;
                    }
                    None => self.symbols.push(BatchSymbol {
                        symbol: bar.symbol.clone(),
                        market: bar.market,
                    }),
                }
                self.symbols_used += 1;
                index
            }
        };
        let index = u32::try_from(index).expect("fewer than 2^32 symbols in one batch");
        self.last = Some(index);
        index
    }
}

/// The open, high, low, close and volume of bar `i` of `columns`.
pub(crate) fn ohlcv(columns: &BarColumns, i: usize) -> [f64; 5] {
    let five = &columns.ohlcv[5 * i..5 * i + 5];
    [five[0], five[1], five[2], five[3], five[4]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Market;

    /// Bar `i` of `batch` as a `bar` record: what the SDKs make of it.
    fn bar_of(batch: &BarBatch, i: usize) -> bindings::Bar {
        let c = batch.columns();
        let symbol = &batch.symbols()[c.symbol[i] as usize];
        let [open, high, low, close, volume] = ohlcv(c, i);
        bindings::Bar {
            symbol: symbol.symbol.clone(),
            market: symbol.market,
            start_ms: c.start_ms[i],
            open,
            high,
            low,
            close,
            volume,
            source: batch.source(),
        }
    }

    fn bar(symbol: &str, start_ms: i64, source: DataSource) -> bindings::Bar {
        let market = if symbol.ends_with(".HK") {
            sandtrade_core::Market::HkStock
        } else {
            sandtrade_core::Market::UsStock
        };
        let mut bar = bindings::Bar::blank(symbol, market, source);
        let p = start_ms as f64;
        bar.set(start_ms, [p, p + 1.0, p - 1.0, p + 0.5, 100.0 * p]);
        bar
    }

    #[test]
    fn each_symbol_is_carried_once_and_bars_name_it_by_index() {
        let mut batch = BarBatch::new();
        let pushed: Vec<bindings::Bar> = [
            ("AAPL", 1),
            ("AAPL", 2),
            ("0700.HK", 2),
            ("AAPL", 3),
            ("0700.HK", 3),
        ]
        .into_iter()
        .map(|(symbol, t)| bar(symbol, t, DataSource::Historical))
        .collect();
        for b in &pushed {
            batch.push(b);
        }
        let names: Vec<(&str, Market)> = batch
            .symbols()
            .iter()
            .map(|s| (s.symbol.as_str(), s.market))
            .collect();
        assert_eq!(
            names,
            [("AAPL", Market::UsStock), ("0700.HK", Market::HkStock)]
        );
        assert_eq!(batch.columns().symbol, [0, 0, 1, 0, 1]);
        assert_eq!(batch.source(), DataSource::Historical);
        let again: Vec<bindings::Bar> = (0..batch.len()).map(|i| bar_of(&batch, i)).collect();
        // The generated `Bar` has no `PartialEq`: compare what it shows.
        assert_eq!(format!("{again:?}"), format!("{pushed:?}"));

        batch.clear();
        assert!(batch.is_empty());
        batch.push(&bar("0700.HK", 4, DataSource::Live));
        assert_eq!(batch.symbols().len(), 1);
        assert_eq!(batch.columns().symbol, [0]);
        assert_eq!(
            format!("{:?}", bar_of(&batch, 0)),
            format!("{:?}", bar("0700.HK", 4, DataSource::Live))
        );
    }

    #[test]
    fn a_batch_holds_bars_of_one_source() {
        let mut batch = BarBatch::new();
        assert!(batch.fits(&bar("AAPL", 1, DataSource::Historical)));
        batch.push(&bar("AAPL", 1, DataSource::Historical));
        assert!(batch.fits(&bar("AAPL", 2, DataSource::Historical)));
        assert!(!batch.fits(&bar("AAPL", 2, DataSource::Live)));
        batch.clear();
        assert!(batch.fits(&bar("AAPL", 2, DataSource::Live)));
    }
}
