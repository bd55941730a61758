//! One line of a bar file at a time: header check, field splitting, validation, symbol lookup.

use std::collections::HashMap;

use super::number::parse_f64;
use super::timestamp::TimeParser;
use super::{Bar, BarError, Column, ReadStats, RowProblem};
use crate::backtest::instruments::{SymbolId, SymbolTable};
use crate::risk::symbols;

/// The header line.
pub const HEADER: &str = "time,symbol,open,high,low,close,volume";

/// How much of a bad field or header an error quotes.
const QUOTE_BYTES: usize = 40;

/// Up to this many distinct symbol spellings are looked up by scanning; more go to a map.
const LINEAR_LOOKUP_MAX: usize = 16;

/// Parses the lines of one bar file, in order. See the [module docs](super) for the format.
#[derive(Debug)]
pub struct BarParser {
    table: SymbolTable,
    spellings: Spellings,
    times: TimeParser,
    /// Number of the last line parsed.
    line: u64,
    header_seen: bool,
    bars: u64,
    previous_ms: i64,
    /// Per table instrument, the time of its last bar (duplicate check).
    last_ms: Vec<i64>,
}

impl BarParser {
    /// A parser delivering bars of the instruments in `table`.
    pub fn new(table: SymbolTable) -> Self {
        let last_ms = vec![i64::MIN; table.len()];
        Self {
            table,
            spellings: Spellings::default(),
            times: TimeParser::new(),
            line: 0,
            header_seen: false,
            bars: 0,
            previous_ms: i64::MIN,
            last_ms,
        }
    }

    /// The table bars refer to.
    pub fn table(&self) -> &SymbolTable {
        &self.table
    }

    /// Parses the next line (without its `\n`; a trailing `\r` is ignored). `None` for the
    /// header, a blank line, or a row of a symbol not in the table.
    ///
    /// # Errors
    ///
    /// A bad header or row, with its line and column.
    #[inline]
    pub fn parse_line(&mut self, line: &[u8]) -> Result<Option<Bar>, BarError> {
        self.line += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !self.header_seen {
            return self.header(line).map(|()| None);
        }
        if line.is_empty() {
            return Ok(None);
        }
        self.row(line).map_err(|(column, problem)| BarError::Row {
            line: self.line,
            column,
            problem,
        })
    }

    /// Checks that the input had a header (an empty input does not).
    ///
    /// # Errors
    ///
    /// [`BarError::Header`] if no line was parsed.
    pub fn finish(&self) -> Result<(), BarError> {
        if self.header_seen {
            Ok(())
        } else {
            Err(BarError::Header {
                found: String::new(),
            })
        }
    }

    /// Lines and bars so far, and the skipped symbols.
    pub fn stats(&self) -> ReadStats {
        let mut skipped: Vec<(String, u64)> = Vec::new();
        for s in self.spellings.entries.iter().filter(|s| s.id.is_none()) {
            match skipped.iter_mut().find(|(symbol, _)| *symbol == s.symbol) {
                Some((_, n)) => *n += s.skipped,
                None => skipped.push((s.symbol.clone(), s.skipped)),
            }
        }
        ReadStats {
            lines: self.line,
            bars: self.bars,
            skipped,
        }
    }

    fn header(&mut self, line: &[u8]) -> Result<(), BarError> {
        let line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        if !line.eq_ignore_ascii_case(HEADER.as_bytes()) {
            return Err(BarError::Header { found: quote(line) });
        }
        self.header_seen = true;
        Ok(())
    }

    #[inline]
    fn row(&mut self, line: &[u8]) -> Result<Option<Bar>, (Column, RowProblem)> {
        let mut fields = Fields { rest: Some(line) };
        let time_field = fields.next(Column::Time)?;
        let time_ms = self
            .times
            .parse(time_field)
            .map_err(|p| (Column::Time, RowProblem::Time(p, quote(time_field))))?;
        let symbol = self
            .spellings
            .lookup(fields.next(Column::Symbol)?, &self.table)?;
        let open = price(fields.next(Column::Open)?, Column::Open)?;
        let high = price(fields.next(Column::High)?, Column::High)?;
        let low = price(fields.next(Column::Low)?, Column::Low)?;
        let close = price(fields.next(Column::Close)?, Column::Close)?;
        let volume_field = fields.next(Column::Volume)?;
        if fields.rest.is_some() {
            return Err((Column::Extra, RowProblem::TooManyFields));
        }
        let volume = parse_f64(volume_field)
            .ok_or_else(|| (Column::Volume, RowProblem::NotANumber(quote(volume_field))))?;
        if !(volume.is_finite() && volume >= 0.0) {
            return Err((Column::Volume, RowProblem::BadVolume(volume)));
        }
        for (other, other_value) in [
            (Column::Low, low),
            (Column::Open, open),
            (Column::Close, close),
        ] {
            if high < other_value {
                return Err((
                    Column::High,
                    RowProblem::HighBelow {
                        other,
                        value: high,
                        other_value,
                    },
                ));
            }
        }
        for (other, other_value) in [(Column::Open, open), (Column::Close, close)] {
            if low > other_value {
                return Err((
                    Column::Low,
                    RowProblem::LowAbove {
                        other,
                        value: low,
                        other_value,
                    },
                ));
            }
        }
        if time_ms < self.previous_ms {
            let previous_ms = self.previous_ms;
            return Err((
                Column::Time,
                RowProblem::OutOfOrder {
                    time_ms,
                    previous_ms,
                },
            ));
        }
        self.previous_ms = time_ms;
        let Some(symbol) = symbol else {
            return Ok(None);
        };
        let last = &mut self.last_ms[symbol.index()];
        if *last == time_ms {
            let symbol = self.table[symbol].symbol.clone();
            return Err((Column::Time, RowProblem::Duplicate { symbol, time_ms }));
        }
        *last = time_ms;
        self.bars += 1;
        Ok(Some(Bar {
            symbol,
            time_ms,
            open,
            high,
            low,
            close,
            volume,
        }))
    }
}

/// The comma-separated fields of a row, in order.
struct Fields<'a> {
    /// What follows the last field taken; `None` once the last field is taken.
    rest: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    #[inline]
    fn next(&mut self, column: Column) -> Result<&'a [u8], (Column, RowProblem)> {
        let rest = self.rest.ok_or((column, RowProblem::Missing))?;
        match memchr::memchr(b',', rest) {
            Some(comma) => {
                self.rest = Some(&rest[comma + 1..]);
                Ok(&rest[..comma])
            }
            None => {
                self.rest = None;
                Ok(rest)
            }
        }
    }
}

#[inline]
fn price(field: &[u8], column: Column) -> Result<f64, (Column, RowProblem)> {
    let value = parse_f64(field).ok_or_else(|| (column, RowProblem::NotANumber(quote(field))))?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err((column, RowProblem::NotPositive(value)))
    }
}

fn quote(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(QUOTE_BYTES)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < bytes.len() {
        s.push('…');
    }
    s
}

/// Every spelling of a symbol met so far, and what it resolved to.
#[derive(Debug, Default)]
struct Spellings {
    entries: Vec<Spelling>,
    /// Index into `entries` by spelling, once there are more than [`LINEAR_LOOKUP_MAX`].
    index: HashMap<Box<[u8]>, usize>,
    /// The entry of the previous row: files of one symbol hit it every time.
    last: usize,
}

#[derive(Debug)]
struct Spelling {
    raw: Box<[u8]>,
    /// Canonical contract symbol.
    symbol: String,
    /// `None`: not in the table, skipped.
    id: Option<SymbolId>,
    skipped: u64,
}

impl Spellings {
    /// The table id of the symbol spelt `raw` (`None` if it is not in the table: the row is
    /// skipped and counted).
    #[inline]
    fn lookup(
        &mut self,
        raw: &[u8],
        table: &SymbolTable,
    ) -> Result<Option<SymbolId>, (Column, RowProblem)> {
        let found = match self.entries.get(self.last) {
            Some(e) if *e.raw == *raw => Some(self.last),
            _ if self.entries.len() <= LINEAR_LOOKUP_MAX => {
                self.entries.iter().position(|e| *e.raw == *raw)
            }
            _ => self.index.get(raw).copied(),
        };
        let at = match found {
            Some(at) => at,
            None => self.insert(raw, table)?,
        };
        self.last = at;
        let entry = &mut self.entries[at];
        entry.skipped += u64::from(entry.id.is_none());
        Ok(entry.id)
    }

    #[cold]
    fn insert(&mut self, raw: &[u8], table: &SymbolTable) -> Result<usize, (Column, RowProblem)> {
        let text = String::from_utf8_lossy(raw);
        let instrument = symbols::normalize(&text)
            .map_err(|r| (Column::Symbol, RowProblem::Symbol(r.message)))?;
        let at = self.entries.len();
        self.entries.push(Spelling {
            raw: raw.into(),
            id: table.id(&instrument),
            symbol: instrument.symbol,
            skipped: 0,
        });
        if self.entries.len() > LINEAR_LOOKUP_MAX {
            if self.index.is_empty() {
                self.index.extend(
                    self.entries
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (e.raw.clone(), i)),
                );
            } else {
                self.index.insert(raw.into(), at);
            }
        }
        Ok(at)
    }
}
