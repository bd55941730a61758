//! Reads a bar file from any `Read`, in the caller's thread, a buffer at a time.

use std::io::{ErrorKind, Read};

use super::parse::BarParser;
use super::{BarError, BarRow, Column, ReadStats, RowProblem};
use crate::instruments::SymbolTable;

/// Bytes read from the input at a time.
const BUFFER_BYTES: usize = 256 * 1024;
/// Longest line accepted: a bar row is well under 200 bytes; this catches a binary file or a
/// file without newlines before it is buffered whole.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Parses bars from a reader. See the [module docs](super) for the format.
///
/// ```
/// use sandtrade_backtest::{BarReader, SymbolTable};
///
/// let csv = "time,symbol,open,high,low,close,volume\n\
///            2024-01-02T09:30:00-05:00,AAPL,185.12,185.40,184.98,185.31,120400\n\
///            2024-01-02T09:30:00-05:00,MSFT,370.50,370.90,370.11,370.66,80211\n";
/// let table = SymbolTable::from_symbols(&["AAPL"])?;
/// let (bars, stats) = BarReader::new(csv.as_bytes(), table).read_all()?;
/// assert_eq!(bars.len(), 1);
/// assert_eq!((bars[0].bar.start_ms, bars[0].bar.close), (1_704_205_800_000, 185.31));
/// assert_eq!(stats.skipped, [("MSFT".to_string(), 1)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BarReader<R> {
    input: R,
    buffer: Box<[u8]>,
    /// Unparsed bytes are `buffer[start..end]`.
    start: usize,
    end: usize,
    input_done: bool,
    finished: bool,
    parser: BarParser,
}

impl<R: Read> BarReader<R> {
    /// A reader of `input` delivering bars of the instruments in `table`.
    pub fn new(input: R, table: SymbolTable) -> Self {
        Self {
            input,
            buffer: vec![0; BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            input_done: false,
            finished: false,
            parser: BarParser::new(table),
        }
    }

    /// Appends up to `max` more bars to `out`. Returns `false` once the input is exhausted
    /// (`out` may still have received bars in that call).
    ///
    /// # Errors
    ///
    /// An I/O error, or the first bad line. Nothing more is read after an error.
    pub fn read_batch(&mut self, out: &mut Vec<BarRow>, max: usize) -> Result<bool, BarError> {
        let outcome = self.fill(out, max);
        if outcome.is_err() {
            self.finished = true;
        }
        outcome
    }

    fn fill(&mut self, out: &mut Vec<BarRow>, max: usize) -> Result<bool, BarError> {
        let target = out.len().saturating_add(max);
        while out.len() < target {
            if self.finished {
                return Ok(false);
            }
            let pending = &self.buffer[self.start..self.end];
            if let Some(newline) = memchr::memchr(b'\n', pending) {
                let line = &pending[..newline];
                self.start += newline + 1;
                if let Some(bar) = self.parser.parse_line(line)? {
                    out.push(bar);
                }
            } else if self.input_done {
                self.finish_last_line(out)?;
            } else {
                self.refill()?;
            }
        }
        Ok(!self.finished)
    }

    /// Reads everything left.
    ///
    /// # Errors
    ///
    /// As [`read_batch`](Self::read_batch).
    pub fn read_all(mut self) -> Result<(Vec<BarRow>, ReadStats), BarError> {
        let mut bars = Vec::new();
        while self.read_batch(&mut bars, usize::MAX)? {}
        Ok((bars, self.stats()))
    }

    /// Lines and bars so far, and the skipped symbols.
    pub fn stats(&self) -> ReadStats {
        self.parser.stats()
    }

    /// The input ended: parse a last line that has no `\n`, then check there was a header.
    fn finish_last_line(&mut self, out: &mut Vec<BarRow>) -> Result<(), BarError> {
        self.finished = true;
        if self.start < self.end {
            let line = &self.buffer[self.start..self.end];
            self.start = self.end;
            if let Some(bar) = self.parser.parse_line(line)? {
                out.push(bar);
            }
        }
        self.parser.finish()
    }

    /// Moves the unparsed tail to the front and reads more after it.
    fn refill(&mut self) -> Result<(), BarError> {
        let tail = self.end - self.start;
        if tail >= MAX_LINE_BYTES {
            return Err(BarError::Row {
                line: self.parser.stats().lines + 1,
                column: Column::Time,
                problem: RowProblem::LineTooLong(MAX_LINE_BYTES),
            });
        }
        self.buffer.copy_within(self.start..self.end, 0);
        self.start = 0;
        self.end = tail;
        loop {
            match self.input.read(&mut self.buffer[self.end..]) {
                Ok(0) => self.input_done = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
            return Ok(());
        }
    }
}
