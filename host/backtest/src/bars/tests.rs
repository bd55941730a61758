//! Tests of the bar format, the reader and the feed, through their public entry points.

use std::io::{self, Read};

use super::*;
use crate::instruments::SymbolTable;

fn table(symbols: &[&str]) -> SymbolTable {
    SymbolTable::from_symbols(symbols).unwrap()
}

fn read(csv: &str, symbols: &[&str]) -> Result<(Vec<BarRow>, ReadStats), BarError> {
    BarReader::new(csv.as_bytes(), table(symbols)).read_all()
}

fn error(csv: &str) -> String {
    read(csv, &["AAPL", "MSFT", "0700.HK"])
        .unwrap_err()
        .to_string()
}

const H: &str = "time,symbol,open,high,low,close,volume\n";

#[test]
fn rows_become_bars_with_table_ids() {
    let csv = format!(
        "{H}2024-01-02T09:30:00-05:00,AAPL,185.12,185.4,184.98,185.31,120400\n\
         2024-01-02T14:30:00Z,MSFT,370.5,370.9,370.11,370.66,80211.5\n\
         1704205860000,aapl,185.31,185.35,185.02,185.1,0\n\
         2024-01-03T09:30:00+08:00,00700,290.2,290.6,289.8,290.4,1510000"
    );
    let (bars, stats) = read(&csv, &["AAPL", "0700.HK", "MSFT"]).unwrap();
    let t = table(&["AAPL", "0700.HK", "MSFT"]);
    let id = |s: &str| t.id_of_symbol(s).unwrap();
    assert_eq!(
        bars,
        [
            BarRow {
                symbol: id("AAPL"),
                bar: Bar {
                    start_ms: 1_704_205_800_000,
                    open: 185.12,
                    high: 185.4,
                    low: 184.98,
                    close: 185.31,
                    volume: 120_400.0
                },
            },
            BarRow {
                symbol: id("MSFT"),
                bar: Bar {
                    start_ms: 1_704_205_800_000,
                    open: 370.5,
                    high: 370.9,
                    low: 370.11,
                    close: 370.66,
                    volume: 80_211.5
                },
            },
            BarRow {
                symbol: id("AAPL"),
                bar: Bar {
                    start_ms: 1_704_205_860_000,
                    open: 185.31,
                    high: 185.35,
                    low: 185.02,
                    close: 185.1,
                    volume: 0.0
                },
            },
            BarRow {
                symbol: id("700"),
                bar: Bar {
                    start_ms: 1_704_245_400_000,
                    open: 290.2,
                    high: 290.6,
                    low: 289.8,
                    close: 290.4,
                    volume: 1_510_000.0
                },
            },
        ]
    );
    assert_eq!(
        stats,
        ReadStats {
            lines: 5,
            bars: 4,
            skipped: vec![]
        }
    );
}

#[test]
fn crlf_bom_blank_lines_and_header_case_are_accepted() {
    let csv = "\u{feff}TIME,Symbol,OPEN,high,low,close,volume\r\n\r\n\
               2024-01-02T14:30:00Z,AAPL,1,1,1,1,1\r\n\n";
    let (bars, stats) = read(csv, &["AAPL"]).unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!((stats.lines, stats.bars), (4, 1));
}

#[test]
fn other_symbols_are_skipped_and_counted_by_contract() {
    let csv = format!(
        "{H}2024-01-02T14:30:00Z,AAPL,1,1,1,1,1\n2024-01-02T14:30:00Z,5,1,1,1,1,1\n\
         2024-01-02T14:30:00Z,MSFT,1,1,1,1,1\n2024-01-02T14:31:00Z,0005.HK,1,1,1,1,1\n\
         2024-01-02T14:31:00Z,00005,1,1,1,1,1\n"
    );
    let (bars, stats) = read(&csv, &["AAPL"]).unwrap();
    assert_eq!(bars.len(), 1);
    assert_eq!(
        stats.skipped,
        [("5".to_string(), 3), ("MSFT".to_string(), 1)]
    );
}

#[test]
fn many_symbol_spellings_use_the_map() {
    // 40 distinct HK codes, each twice, then AAPL: beyond the linear lookup.
    let mut csv = H.to_string();
    for round in 0..2 {
        for code in 1..=40 {
            csv.push_str(&format!(
                "{},{code},1,1,1,1,1\n",
                1_704_205_800_000i64 + round * 60_000
            ));
        }
    }
    csv.push_str("1704205920000,AAPL,2,2,2,2,2\n");
    let (bars, stats) = read(&csv, &["AAPL", "17"]).unwrap();
    assert_eq!(bars.len(), 3);
    assert_eq!(stats.skipped.len(), 39);
    assert!(stats.skipped.iter().all(|(_, n)| *n == 2));
}

#[test]
fn header_errors() {
    assert_eq!(
        error("time,symbol,open,high,low,close\n"),
        "line 1: expected the header time,symbol,open,high,low,close,volume, found \"time,symbol,open,high,low,close\""
    );
    assert_eq!(
        error(""),
        "line 1: expected the header time,symbol,open,high,low,close,volume, found \"\""
    );
}

#[test]
fn row_errors_name_line_column_and_problem() {
    let cases = [
        (
            "2024-01-02T14:30:00Z,AAPL,18a.5,1,1,1,1",
            "line 2, column 3 (open): \"18a.5\" is not a number",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,1,1,1,1",
            "line 2, column 7 (volume): missing: every row has 7 fields, time,symbol,open,high,low,close,volume",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,1,1,1,1,1,",
            "line 2, column 8 (extra): more than 7 fields: every row is time,symbol,open,high,low,close,volume",
        ),
        (
            "2024-01-02T14:30:00,AAPL,1,1,1,1,1",
            "line 2, column 1 (time): \"2024-01-02T14:30:00\": missing or invalid UTC offset: end the time with Z or an offset like +08:00",
        ),
        (
            "1704205800,AAPL,1,1,1,1,1",
            "line 2, column 1 (time): \"1704205800\": epoch milliseconds before 1973: is this epoch seconds? multiply by 1000",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL.HK,1,1,1,1,1",
            "line 2, column 2 (symbol): unknown symbol \"AAPL.HK\": expected a US ticker like \"AAPL\" or \"BRK.B\", or an HK code like \"0700.HK\", \"00700\" or \"700\"",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,0,1,1,1,1",
            "line 2, column 3 (open): 0 is not a price: prices must be finite and > 0",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,1,NaN,1,1,1",
            "line 2, column 4 (high): NaN is not a price: prices must be finite and > 0",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,1,1,1,1,-5",
            "line 2, column 7 (volume): -5 is not a volume: volumes must be finite and >= 0",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,10,9.5,9,9,1",
            "line 2, column 4 (high): high 9.5 is below open 10",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,10,10,11,10,1",
            "line 2, column 4 (high): high 10 is below low 11",
        ),
        (
            "2024-01-02T14:30:00Z,AAPL,10,11,9.5,9,1",
            "line 2, column 5 (low): low 9.5 is above close 9",
        ),
    ];
    for (row, expected) in cases {
        assert_eq!(error(&format!("{H}{row}\n")), expected, "{row}");
    }
}

#[test]
fn order_errors() {
    assert_eq!(
        error(&format!(
            "{H}2024-01-02T14:31:00Z,AAPL,1,1,1,1,1\n2024-01-02T14:30:00Z,MSFT,1,1,1,1,1\n"
        )),
        "line 3, column 1 (time): 2024-01-02T14:30:00Z is before the previous row's 2024-01-02T14:31:00Z: rows must be in time order"
    );
    assert_eq!(
        error(&format!(
            "{H}2024-01-02T14:30:00Z,AAPL,1,1,1,1,1\n2024-01-02T09:30:00-05:00,aapl,1,1,1,1,1\n"
        )),
        "line 3, column 1 (time): a second AAPL bar at 2024-01-02T14:30:00Z"
    );
}

#[test]
fn long_fields_are_quoted_truncated() {
    let long = "9".repeat(500);
    assert_eq!(
        error(&format!("{H}2024-01-02T14:30:00Z,AAPL,{long}x,1,1,1,1\n")),
        format!(
            "line 2, column 3 (open): \"{}…\" is not a number",
            "9".repeat(40)
        )
    );
}

#[test]
fn a_file_without_newlines_is_refused_before_it_is_buffered() {
    let garbage = io::repeat(b'x').take(10 * 1024 * 1024);
    let err = BarReader::new(garbage, table(&["AAPL"]))
        .read_all()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1, column 1 (time): line longer than 65536 bytes: not a bar row"
    );
}

/// A reader that hands out one byte at a time, then fails: lines cross every buffer boundary.
struct Trickle<'a> {
    data: &'a [u8],
    fail_at_end: bool,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.data.split_first() {
            Some((&b, rest)) if !buf.is_empty() => {
                buf[0] = b;
                self.data = rest;
                Ok(1)
            }
            _ if self.fail_at_end => Err(io::Error::new(io::ErrorKind::BrokenPipe, "pipe closed")),
            _ => Ok(0),
        }
    }
}

#[test]
fn byte_by_byte_input_gives_the_same_bars() {
    let csv = format!(
        "{H}2024-01-02T14:30:00Z,AAPL,1.5,2,1,1.75,10\n2024-01-02T14:31:00Z,AAPL,1.75,2,1.5,2,20"
    );
    let expected = read(&csv, &["AAPL"]).unwrap();
    let trickled = BarReader::new(
        Trickle {
            data: csv.as_bytes(),
            fail_at_end: false,
        },
        table(&["AAPL"]),
    )
    .read_all()
    .unwrap();
    assert_eq!(trickled, expected);
    assert_eq!(expected.0.len(), 2);
}

#[test]
fn io_errors_surface() {
    let csv = format!("{H}2024-01-02T14:30:00Z,AAPL,1,1,1,1,1\n");
    let err = BarReader::new(
        Trickle {
            data: csv.as_bytes(),
            fail_at_end: true,
        },
        table(&["AAPL"]),
    )
    .read_all()
    .unwrap_err();
    assert_eq!(err.to_string(), "cannot read bars: pipe closed");
}

#[test]
fn read_batch_respects_the_batch_size() {
    let mut csv = H.to_string();
    for i in 0..10 {
        csv.push_str(&format!(
            "{},AAPL,1,1,1,1,1\n",
            1_704_205_800_000i64 + i * 60_000
        ));
    }
    let mut reader = BarReader::new(csv.as_bytes(), table(&["AAPL"]));
    let mut out = Vec::new();
    assert!(reader.read_batch(&mut out, 4).unwrap());
    assert_eq!(out.len(), 4);
    assert!(reader.read_batch(&mut out, 4).unwrap());
    assert_eq!(out.len(), 8);
    assert!(!reader.read_batch(&mut out, 4).unwrap());
    assert_eq!(out.len(), 10);
    assert!(!reader.read_batch(&mut out, 4).unwrap());
    assert_eq!(out.len(), 10);
}

fn many_bars_csv(n: i64) -> String {
    let mut csv = H.to_string();
    for i in 0..n {
        csv.push_str(&format!(
            "{},AAPL,{p},{p},{p},{p},1\n",
            1_704_205_800_000 + i * 60_000,
            p = 1 + i % 7
        ));
    }
    csv
}

#[test]
fn the_feed_delivers_every_bar_in_order_across_batches() {
    let n = BATCH_BARS as i64 * 3 + 17;
    let csv = many_bars_csv(n);
    let expected = read(&csv, &["AAPL"]).unwrap();
    let mut feed = BarFeed::spawn(io::Cursor::new(csv.into_bytes()), table(&["AAPL"]));
    let bars: Vec<BarRow> = feed.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(bars, expected.0);
    assert_eq!(feed.stats(), Some(&expected.1));
    assert!(feed.next().is_none());
}

#[test]
fn the_feed_delivers_the_bars_before_an_error_then_the_error() {
    let n = BATCH_BARS as i64 + 10;
    let mut csv = many_bars_csv(n);
    csv.push_str("2030-01-01T00:00:00Z,AAPL,1,oops,1,1,1\n");
    let mut feed = BarFeed::spawn(io::Cursor::new(csv.into_bytes()), table(&["AAPL"]));
    let mut good = 0;
    let err = loop {
        match feed.next() {
            Some(Ok(_)) => good += 1,
            Some(Err(e)) => break e,
            None => panic!("ended without the error"),
        }
    };
    assert_eq!(good, n);
    assert_eq!(
        err.to_string(),
        format!("line {}, column 4 (high): \"oops\" is not a number", n + 2)
    );
    assert!(feed.next().is_none());
    assert_eq!(feed.stats(), None);
}

#[test]
fn the_feed_reports_a_missing_file() {
    let err = BarFeed::open(
        std::path::Path::new("/nonexistent/bars.csv"),
        table(&["AAPL"]),
    )
    .unwrap_err();
    assert!(
        matches!(err, BarError::Io(ref e) if e.kind() == io::ErrorKind::NotFound),
        "{err}"
    );
}
