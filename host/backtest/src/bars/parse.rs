//! One line of a bar file at a time: header check, field splitting, validation, symbol lookup.

use std::collections::HashMap;

use super::number::{decimal_prefix, parse_f64};
use super::timestamp::TimeParser;
use sandtrade_core::Bar;

use super::{BarError, BarRow, Column, ReadStats, RowProblem};
use crate::instruments::{SymbolId, SymbolTable};

/// The header line.
pub const HEADER: &str = "time,symbol,open,high,low,close,volume";

/// How much of a bad field or header an error quotes.
const QUOTE_BYTES: usize = 40;

/// Up to this many distinct symbol spellings are looked up by scanning; more go to a map.
const LINEAR_LOOKUP_MAX: usize = 16;

/// A bad field, boxed: errors are rare, and a one-word error keeps every `Result` on the hot
/// path in registers.
type RowError = Box<(Column, RowProblem)>;

#[cold]
fn row_error(column: Column, problem: RowProblem) -> RowError {
    Box::new((column, problem))
}

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
    pub fn parse_line(&mut self, line: &[u8]) -> Result<Option<BarRow>, BarError> {
        self.line += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !self.header_seen {
            return self.header(line).map(|()| None);
        }
        if line.is_empty() {
            return Ok(None);
        }
        self.row(line).map_err(|e| {
            let (column, problem) = *e;
            BarError::Row {
                line: self.line,
                column,
                problem,
            }
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
    fn row(&mut self, line: &[u8]) -> Result<Option<BarRow>, RowError> {
        let mut fields = Fields { rest: Some(line) };
        let time_ms = match self.times.parse_prefix(line) {
            Some((ms, len)) if fields.skip_field(len) => ms,
            _ => {
                let field = fields.next(Column::Time)?;
                let problem = |p| row_error(Column::Time, RowProblem::Time(p, quote(field)));
                self.times.parse(field).map_err(problem)?
            }
        };
        let symbol = match self.spellings.known_prefix(fields.rest.unwrap_or_default()) {
            Some((symbol, len)) if fields.skip_field(len) => symbol,
            _ => self
                .spellings
                .lookup(fields.next(Column::Symbol)?, &self.table)?,
        };
        let open = price(fields.number(Column::Open)?, Column::Open)?;
        let high = price(fields.number(Column::High)?, Column::High)?;
        let low = price(fields.number(Column::Low)?, Column::Low)?;
        let close = price(fields.number(Column::Close)?, Column::Close)?;
        let volume = fields.number(Column::Volume)?;
        if fields.rest.is_some() {
            return Err(row_error(Column::Extra, RowProblem::TooManyFields));
        }
        if !(volume.is_finite() && volume >= 0.0) {
            return Err(row_error(Column::Volume, RowProblem::BadVolume(volume)));
        }
        for (other, other_value) in [
            (Column::Low, low),
            (Column::Open, open),
            (Column::Close, close),
        ] {
            if high < other_value {
                let problem = RowProblem::HighBelow {
                    other,
                    value: high,
                    other_value,
                };
                return Err(row_error(Column::High, problem));
            }
        }
        for (other, other_value) in [(Column::Open, open), (Column::Close, close)] {
            if low > other_value {
                let problem = RowProblem::LowAbove {
                    other,
                    value: low,
                    other_value,
                };
                return Err(row_error(Column::Low, problem));
            }
        }
        if time_ms < self.previous_ms {
            let previous_ms = self.previous_ms;
            let problem = RowProblem::OutOfOrder {
                time_ms,
                previous_ms,
            };
            return Err(row_error(Column::Time, problem));
        }
        self.previous_ms = time_ms;
        let Some(symbol) = symbol else {
            return Ok(None);
        };
        let last = &mut self.last_ms[symbol.index()];
        if *last == time_ms {
            let symbol = self.table[symbol].symbol.clone();
            return Err(row_error(
                Column::Time,
                RowProblem::Duplicate { symbol, time_ms },
            ));
        }
        *last = time_ms;
        self.bars += 1;
        Ok(Some(BarRow {
            symbol,
            bar: Bar {
                start_ms: time_ms,
                open,
                high,
                low,
                close,
                volume,
            },
        }))
    }
}

/// The comma-separated fields of a row, in order.
struct Fields<'a> {
    /// What follows the last field taken; `None` once the last field is taken.
    rest: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    /// Takes a field of `len` bytes whose content the caller has read already, if a comma or
    /// the end of the row follows it.
    #[inline]
    fn skip_field(&mut self, len: usize) -> bool {
        let Some(rest) = self.rest else { return false };
        match rest.get(len) {
            None => self.rest = None,
            Some(b',') => self.rest = Some(&rest[len + 1..]),
            Some(_) => return false,
        }
        true
    }

    /// The next field, as a number. A plain decimal is parsed as it is scanned (no separate
    /// search for its end); anything else is cut at the next comma and parsed whole.
    #[inline]
    fn number(&mut self, column: Column) -> Result<f64, RowError> {
        let rest = self
            .rest
            .ok_or_else(|| row_error(column, RowProblem::Missing))?;
        if let Some((value, len)) = decimal_prefix(rest)
            && self.skip_field(len)
        {
            return Ok(value);
        }
        let field = self.next(column)?;
        parse_f64(field).ok_or_else(|| row_error(column, RowProblem::NotANumber(quote(field))))
    }

    #[inline]
    fn next(&mut self, column: Column) -> Result<&'a [u8], RowError> {
        let rest = self
            .rest
            .ok_or_else(|| row_error(column, RowProblem::Missing))?;
        // Fields are short: a plain scan beats a SIMD search's set-up.
        match rest.iter().position(|&b| b == b',') {
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
fn price(value: f64, column: Column) -> Result<f64, RowError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(row_error(column, RowProblem::NotPositive(value)))
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
    /// The table id of a spelling already met that `rest` (a row from its symbol field on)
    /// starts with, and its length: no search for the end of the field. The previous row's
    /// spelling is tried first, then (while there are few) every one. The caller checks a comma
    /// follows; a row is counted as skipped only by [`lookup`](Self::lookup) or here.
    #[inline]
    fn known_prefix(&mut self, rest: &[u8]) -> Option<(Option<SymbolId>, usize)> {
        let is_prefix = |e: &Spelling| {
            rest.starts_with(&e.raw) && matches!(rest.get(e.raw.len()), None | Some(b','))
        };
        let at = match self.entries.get(self.last) {
            Some(e) if is_prefix(e) => self.last,
            _ if self.entries.len() <= LINEAR_LOOKUP_MAX => {
                self.entries.iter().position(is_prefix)?
            }
            _ => return None,
        };
        self.last = at;
        let entry = &mut self.entries[at];
        entry.skipped += u64::from(entry.id.is_none());
        Some((entry.id, entry.raw.len()))
    }

    /// The table id of the symbol spelt `raw` (`None` if it is not in the table: the row is
    /// skipped and counted).
    #[inline]
    fn lookup(&mut self, raw: &[u8], table: &SymbolTable) -> Result<Option<SymbolId>, RowError> {
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
    fn insert(&mut self, raw: &[u8], table: &SymbolTable) -> Result<usize, RowError> {
        let text = String::from_utf8_lossy(raw);
        let instrument = sandtrade_core::normalize(&text)
            .map_err(|r| row_error(Column::Symbol, RowProblem::Symbol(r.message)))?;
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
