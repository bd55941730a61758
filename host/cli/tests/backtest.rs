//! `sandtrade backtest FILE.wasm --bars FILE.csv`, run as a user runs it (the real binary):
//! each example on its sample bars writes a trades CSV with the documented header and an
//! equity SVG that parses, prints the same report twice (deterministic), and trades exactly as
//! the same strategy does in a fleet on paper desks; the hostile guest spinning is stopped by
//! its fuel budget, the faults are reported, the run completes, and it too is deterministic.
//! The examples written in Python and TypeScript, built as an author builds them (`sandtrade
//! build`), trade exactly as their Rust originals.

#[path = "support/built.rs"]
mod built;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use built::built_project;
use sandtrade_backtest::bars::timestamp::format_time;
use sandtrade_backtest::report::TRADES_HEADER;
use sandtrade_tests::guests;
use sandtrade_tests::paper::{HK_BARS, US_BARS, sample_bars, sample_path, trades_alone};
use support::sandtrade;

/// What one run produced.
struct Run {
    /// Standard output without the lines that vary by run (the replay speed, the output
    /// directory).
    report: String,
    trades: String,
    svg: String,
}

fn backtest(strategy: &Path, bars: &str, out: &Path, extra: &[&str]) -> Run {
    let cache = xtask::workspace_root().join("target/test-compile-cache/cli");
    let output: Output = sandtrade()
        .arg("--cache-dir")
        .arg(&cache)
        .arg("backtest")
        .arg(strategy)
        .arg("--bars")
        .arg(sample_path(bars))
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let wrote = format!(
        "Wrote {} and {}",
        out.join("trades.csv").display(),
        out.join("equity.svg").display()
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.last(), Some(&wrote.as_str()), "{stdout}");
    let replayed = lines[lines.len() - 2];
    assert!(replayed.starts_with("Replayed "), "{stdout}");
    let report = lines[..lines.len() - 2].join("\n");
    Run {
        report,
        trades: std::fs::read_to_string(out.join("trades.csv")).expect("trades.csv written"),
        svg: std::fs::read_to_string(out.join("equity.svg")).expect("equity.svg written"),
    }
}

/// Runs the backtest twice: the outputs must be identical.
fn twice(strategy: &Path, bars: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = backtest(strategy, bars, &dir.path().join("one"), extra);
    let second = backtest(strategy, bars, &dir.path().join("two"), extra);
    assert_eq!(first.report, second.report, "deterministic report");
    assert_eq!(first.trades, second.trades, "deterministic trades.csv");
    assert_eq!(first.svg, second.svg, "deterministic equity.svg");
    first
}

/// The SVG parses as XML: an `svg` root with one titled panel and polyline per currency in
/// `currencies`, every point inside the picture.
fn assert_equity_svg(svg: &str, currencies: &[&str]) {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let width: f64 = root
        .attribute("width")
        .expect("width")
        .parse()
        .expect("a number");
    let height: f64 = root
        .attribute("height")
        .expect("height")
        .parse()
        .expect("a number");
    let titles: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .filter(|t| t.starts_with("Equity ("))
        .collect();
    let want: Vec<String> = currencies.iter().map(|c| format!("Equity ({c})")).collect();
    assert_eq!(titles, want);
    let lines: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .collect();
    assert_eq!(lines.len(), currencies.len());
    for line in lines {
        let points = line.attribute("points").expect("points");
        let mut count = 0;
        for point in points.split_whitespace() {
            let (x, y) = point.split_once(',').expect("x,y");
            let (x, y): (f64, f64) = (x.parse().expect("x"), y.parse().expect("y"));
            assert!(
                (0.0..=width).contains(&x) && (0.0..=height).contains(&y),
                "{point}"
            );
            count += 1;
        }
        assert!((2..=2048).contains(&count), "{count} points");
    }
}

/// The trades CSV has the documented header and one 10-field row per fill.
fn assert_trades_csv(trades: &str, fills: usize) {
    let mut lines = trades.lines();
    assert_eq!(lines.next(), Some(TRADES_HEADER));
    assert_eq!(
        TRADES_HEADER,
        "signal_id,time,symbol,action,side,quantity,price,commission,currency,realized_pnl"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), fills);
    for row in rows {
        assert_eq!(row.split(',').count(), 10, "{row}");
    }
}

/// The report's first three lines: what ran on which file, the bars and fills, the signals (all
/// accepted: the examples' sidecar limits fit their signals).
fn assert_head(run: &Run, wasm: &Path, what: &str, bars: &str, counts: &str, accepted: u32) {
    let head: Vec<String> = run.report.lines().take(3).map(str::to_owned).collect();
    assert_eq!(
        head,
        [
            format!(
                "{what} (60 s bars) ({}…) on {}",
                sha_prefix(wasm),
                sample_path(bars).display()
            ),
            format!("Backtest: {counts}, 0 orders expired unfilled, 0 orders open at the end"),
            format!("Signals: {accepted} accepted, 0 rejected"),
        ]
    );
}

fn example(package: &str) -> PathBuf {
    guests::wasm(package)
}

#[test]
fn ma_crossover_on_us_bars() {
    let wasm = example("ma-crossover");
    let run = twice(&wasm, US_BARS, &[]);
    assert_head(
        &run,
        &wasm,
        "ma-crossover 0.1.0 on AAPL, MSFT",
        US_BARS,
        "2340 bars, 82 fills (41 buys, 41 sells)",
        82,
    );
    assert_trades_csv(&run.trades, 82);
    assert_equity_svg(&run.svg, &["USD"]);

    // The same fills as the strategy makes in a fleet on paper desks: two drivers, one answer.
    let alone = trades_alone(&wasm, &sample_bars(US_BARS));
    let rows: Vec<String> = alone
        .iter()
        .map(|f| {
            let symbol = ["AAPL", "MSFT"][f.symbol.index()];
            format!(
                "{},{},{symbol},{},{},{},{:.4},{:.2},USD,{:.2}",
                f.signal_id,
                format_time(f.time_ms, 0),
                f.action,
                f.side,
                f.quantity,
                f.price,
                f.commission,
                f.realized_pnl
            )
        })
        .collect();
    let csv_rows: Vec<&str> = run.trades.lines().skip(1).collect();
    assert_eq!(csv_rows, rows);
}

#[test]
fn trend_stop_exits_only_through_its_trailing_stop() {
    let wasm = example("trend-stop");
    let run = twice(&wasm, US_BARS, &[]);
    let head: Vec<&str> = run.report.lines().take(3).collect();
    assert_eq!(
        head[1],
        "Backtest: 1170 bars, 5 fills (3 buys, 2 sells), 0 orders expired unfilled, 1 orders \
         open at the end",
        "{}",
        run.report
    );
    // Three entries, three trailing stops, one stop tightened (a change counts as a signal).
    assert_eq!(head[2], "Signals: 7 accepted, 0 rejected");
    assert_trades_csv(&run.trades, 5);
    // Every sell is a stop's: reduce-long of the whole position, after an open-long of it; the
    // last entry's stop still rests when the bars run out.
    let actions: Vec<&str> = run
        .trades
        .lines()
        .skip(1)
        .map(|row| row.split(',').nth(3).expect("an action"))
        .collect();
    assert_eq!(
        actions,
        [
            "open-long",
            "reduce-long",
            "open-long",
            "reduce-long",
            "open-long"
        ]
    );
    assert_equity_svg(&run.svg, &["USD"]);
}

#[test]
fn pullback_bracket_leaves_each_position_through_one_exit_and_cancels_the_other() {
    let wasm = example("pullback-bracket");
    let run = twice(&wasm, US_BARS, &[]);
    let head: Vec<&str> = run.report.lines().take(3).collect();
    // Three brackets: the first leaves at its take-profit, the second at its stop-loss, each
    // cancelling its sibling; the third's exits still rest when the bars run out.
    assert_eq!(
        head[1],
        "Backtest: 1170 bars, 5 fills (3 buys, 2 sells), 0 orders expired unfilled, 2 exits \
         cancelled with their bracket, 2 orders open at the end",
        "{}",
        run.report
    );
    assert_eq!(head[2], "Signals: 3 accepted, 0 rejected");
    assert_trades_csv(&run.trades, 5);
    // Entry, its take-profit (the next id), entry, its stop-loss (two ids on), entry: an
    // exit's signal id follows its entry's, take-profit first.
    let fills: Vec<(u64, &str, &str)> = run
        .trades
        .lines()
        .skip(1)
        .map(|row| {
            let f: Vec<&str> = row.split(',').collect();
            (f[0].parse().expect("a signal id"), f[3], f[6])
        })
        .collect();
    let ids: Vec<(u64, &str)> = fills.iter().map(|&(id, action, _)| (id, action)).collect();
    assert_eq!(
        ids,
        [
            (1, "open-long"),
            (2, "reduce-long"),
            (4, "open-long"),
            (6, "reduce-long"),
            (7, "open-long")
        ]
    );
    // The take-profit fills 2% above its entry, the stop-loss 1% below, as the sidecar says
    // (to within the cent the prices are rounded to), or beyond through a gap at a bar's open.
    let price = |i: usize| -> f64 { fills[i].2.parse().expect("a price") };
    assert!(price(1) >= price(0) * 1.02 - 0.01, "{fills:?}");
    assert!(price(3) <= price(2) * 0.99 + 0.01, "{fills:?}");
    assert_equity_svg(&run.svg, &["USD"]);
}

#[test]
fn hk_breakout_on_hk_bars() {
    let wasm = example("hk-breakout");
    let run = twice(&wasm, HK_BARS, &[]);
    assert_head(
        &run,
        &wasm,
        "hk-breakout 0.1.0 on 0700.HK",
        HK_BARS,
        "990 bars, 13 fills (7 buys, 6 sells)",
        13,
    );
    assert_trades_csv(&run.trades, 13);
    // Board lots: every fill is a whole number of 100-share lots of contract 700 in HKD.
    for row in run.trades.lines().skip(1) {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!((fields[2], fields[8]), ("700", "HKD"), "{row}");
        let quantity: u32 = fields[5].parse().expect("a quantity");
        assert_eq!(quantity % 100, 0, "{row}");
    }
    assert_equity_svg(&run.svg, &["HKD"]);
}

#[test]
fn scale_in_out_on_us_bars() {
    let wasm = example("scale-in-out");
    let run = twice(&wasm, US_BARS, &[]);
    assert_head(
        &run,
        &wasm,
        "scale-in-out 0.1.0 on AAPL",
        US_BARS,
        "1170 bars, 14 fills (7 buys, 7 sells)",
        14,
    );
    assert_eq!(
        run.report.lines().last(),
        Some("Skipped 1170 bars of MSFT (not a symbol the strategy declared)")
    );
    assert_trades_csv(&run.trades, 14);
    // It scales in and out in steps of 25 shares.
    let actions: Vec<(&str, &str)> = run
        .trades
        .lines()
        .skip(1)
        .map(|row| {
            let fields: Vec<&str> = row.split(',').collect();
            assert_eq!(fields[5], "25", "{row}");
            (fields[3], fields[4])
        })
        .collect();
    assert!(actions.contains(&("add-long", "buy")), "{actions:?}");
    assert!(actions.contains(&("reduce-long", "sell")), "{actions:?}");
    assert_equity_svg(&run.svg, &["USD"]);
}

/// The hostile guest spinning on its 3rd bar, under a fuel budget of one million instructions
/// a call: each spin is stopped by the budget, the strategy restarts on the replay clock a bar
/// later, and the third fault within 600 s of replay time quarantines it. The run completes,
/// the bars are still valued, and two runs print the same faults at the same bar times.
#[test]
fn hostile_spin_is_stopped_by_fuel_reported_and_quarantined() {
    let wasm = guests::wasm("hostile");
    let run = twice(
        &wasm,
        US_BARS,
        &[
            "--param",
            "mode=spin",
            "--param",
            "at=3",
            "--fuel",
            "1000000",
        ],
    );
    let fault = "strategy `hostile`: used up its instruction budget and was stopped";
    let lines: Vec<&str> = run.report.lines().collect();
    assert_eq!(
        lines[1],
        "Backtest: 1170 bars, 0 fills (0 buys, 0 sells), 0 orders expired unfilled, 0 orders open \
         at the end"
    );
    let tail = &lines[lines.len() - 5..];
    assert_eq!(
        tail,
        [
            "Skipped 1170 bars of MSFT (not a symbol the strategy declared)".to_owned(),
            format!("Fault at 2024-01-02T14:32:00Z: {fault}"),
            format!("Fault at 2024-01-02T14:35:00Z: {fault}"),
            format!("Fault at 2024-01-02T14:38:00Z: {fault}"),
            format!("Quarantined: 3 faults within 600 s, the last: {fault}"),
        ]
    );
    assert_trades_csv(&run.trades, 0);
    assert_equity_svg(&run.svg, &["USD"]);
}

fn sha_prefix(wasm: &Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(std::fs::read(wasm).expect("built"));
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..12]
        .to_owned()
}

/// The trades of `strategy` on the bar file `bars`: trades.csv without its header.
fn trades_on(strategy: &Path, bars: &Path, out: &Path) -> Vec<String> {
    let cache = xtask::workspace_root().join("target/test-compile-cache/cli");
    let output = sandtrade()
        .arg("--cache-dir")
        .arg(&cache)
        .args(["backtest", "--quiet", "--bars"])
        .arg(bars)
        .arg("--out")
        .arg(out)
        .arg(strategy)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Signals: "), "{stdout}");
    // A fault restarts the strategy with its state lost: its trades would still be a run.
    assert!(!stdout.contains("Fault at"), "{stdout}");
    let trades = std::fs::read_to_string(out.join("trades.csv")).expect("trades.csv written");
    trades.lines().skip(1).map(str::to_owned).collect()
}

/// `sandtrade bars` into `dir`: a seeded random walk over `symbols`.
fn generated_bars(dir: &Path, symbols: &str, count: u32) -> PathBuf {
    let path = dir.join(format!("{}.csv", symbols.replace(',', "-")));
    let out = sandtrade()
        .args(["bars", "--symbols", symbols, "--seed", "7", "--count"])
        .arg(count.to_string())
        .arg("--out")
        .arg(&path)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    path
}

/// The moving-average crossover in Rust, Python and TypeScript, same parameters, same bars:
/// the same trades, row for row (signal ids, times, quantities, prices, commissions, P&L), on the
/// sample bars and on 400,000 generated ones (thousands of crossings, every SMA re-summed from
/// its window thousands of times: the SDKs' arithmetic must agree to the last bit). 400,000
/// calls take the TypeScript engine through two garbage collections (at ~170,000 calls each),
/// which must fit the default memory cap and per-call budget without a fault.
#[test]
fn the_python_and_typescript_crossovers_trade_exactly_as_the_rust_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let python = built_project("example-strategies", "ma-crossover-py");
    let typescript = built_project("example-strategies", "ma-crossover-ts");
    let rust = example("ma-crossover");
    let generated = generated_bars(dir.path(), "AAPL,MSFT", 400_000);
    for bars in [sample_path(US_BARS), generated] {
        let from_rust = trades_on(&rust, &bars, &dir.path().join("rust"));
        assert!(from_rust.len() >= 80, "{} trades", from_rust.len());
        for other in [&python, &typescript] {
            let trades = trades_on(other, &bars, &dir.path().join("other"));
            assert_eq!(
                trades,
                from_rust,
                "{} on {}",
                other.display(),
                bars.display()
            );
        }
    }
}

/// The HK board-lot breakout in Python trades as the Rust one: whole lots of 0700.HK, on the
/// sample bars and on generated ones.
#[test]
fn the_python_board_lot_breakout_trades_exactly_as_the_rust_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let python = built_project("example-strategies", "hk-board-lot-py");
    let rust = example("hk-breakout");
    let generated = generated_bars(dir.path(), "0700.HK", 30_000);
    for bars in [sample_path(HK_BARS), generated] {
        let from_rust = trades_on(&rust, &bars, &dir.path().join("rust"));
        let from_python = trades_on(&python, &bars, &dir.path().join("python"));
        assert!(from_rust.len() >= 10, "{} trades", from_rust.len());
        assert_eq!(from_python, from_rust, "{}", bars.display());
    }
}
