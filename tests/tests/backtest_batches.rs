//! A backtest delivers bars to the strategy in batches (`on-bars`) and must produce exactly
//! what one `on-bar` call per bar produces: the same fills, report, trades CSV, equity curve,
//! faults and quarantine. Each example strategy, the 0.1.0 test guest and the stop-loss guest
//! (stops and brackets) run over every sample file both ways; the hostile guest faults inside what would be a batch
//! (a panic, the fuel budget, the memory cap, the stack), and the faults land on the same bars.
//! Batching must also have happened: far fewer calls than bars where nothing rests. Live, a
//! fleet given bars of several contracts together trades as when given them one by one.

use std::path::{Path, PathBuf};

use sandtrade_backtest::generate::{GenConfig, Length, write_csv};
use sandtrade_backtest::run::{BacktestOutcome, DEFAULT_FUEL_PER_CALL};
use sandtrade_backtest::{BacktestSpec, Delivery, SimConfig, run_with};
use sandtrade_risk::Limits;
use sandtrade_runtime::{CompileCache, SandboxConfig, sidecar};
use sandtrade_tests::guests;
use sandtrade_tests::paper::{self, HK_BARS, PaperFleet, US_BARS, sample_path};

/// The spec `sandtrade backtest` makes for `guest` on `bars`: its sidecar's params and limits
/// (if it ships one), then `params` over them.
fn spec(guest: &str, bars: &Path, params: &[(&str, &str)], fuel: u64) -> BacktestSpec {
    let strategy = guests::wasm(guest);
    let sidecar = sidecar::load_for(&strategy)
        .expect("the sidecar parses")
        .unwrap_or_default();
    let mut all = sidecar.params;
    for (key, value) in params {
        all.retain(|(k, _)| k != key);
        all.push(((*key).to_owned(), (*value).to_owned()));
    }
    BacktestSpec {
        strategy,
        bars: bars.to_owned(),
        params: all,
        limits: sidecar.limits,
        lots: sandtrade_core::LotTable::builtin(),
        sim: SimConfig::default(),
        sandbox: SandboxConfig::default(),
        fuel_per_call: fuel,
    }
}

fn cache() -> CompileCache {
    CompileCache::new(xtask::workspace_root().join("target/test-compile-cache/batches"))
        .expect("cache dir")
}

/// Everything a backtest shows, as text: what the CLI prints (but the replay speed), the
/// trades CSV and the equity SVG.
fn shown(outcome: &BacktestOutcome) -> String {
    let mut trades = Vec::new();
    outcome
        .report
        .write_trades_csv(&mut trades)
        .expect("in memory");
    format!(
        "{}\n{}{}\nskipped {:?}\nfaults {:?}\nquarantined {:?}\n{}\n{}",
        outcome.metadata,
        outcome.report,
        outcome.report.recent_trades(10),
        outcome.skipped,
        outcome.faults,
        outcome.quarantined,
        String::from_utf8(trades).expect("UTF-8"),
        outcome.report.equity_svg(),
    )
}

/// Init parameters over the sidecar's.
type Params = &'static [(&'static str, &'static str)];

/// What a run gave: the outcome, or the error's text.
type Ran = Result<BacktestOutcome, String>;

/// Runs `spec` both ways and asserts that they agree in everything but the number of calls.
/// Returns both outcomes (batched first).
fn both_ways(what: &str, spec: &BacktestSpec) -> (Ran, Ran) {
    let cache = cache();
    let run =
        |delivery| run_with(spec, Some(&cache), delivery, &mut |_| {}).map_err(|e| e.to_string());
    let batched = run(Delivery::Batches);
    let single = run(Delivery::OneBarAtATime);
    match (&batched, &single) {
        (Ok(batched), Ok(single)) => {
            assert_eq!(batched.report.fills, single.report.fills, "{what}: fills");
            assert_eq!(batched.report.bars, single.report.bars, "{what}: bars");
            let (shown_batched, shown_single) = (shown(batched), shown(single));
            if shown_batched != shown_single {
                panic!(
                    "{what}: batched and one bar at a time differ\n--- batched\n{shown_batched}\n\
                     --- one bar at a time\n{shown_single}"
                );
            }
            if single.faults.is_empty() {
                assert_eq!(
                    single.bar_calls, single.report.bars,
                    "{what}: one call per bar"
                );
            }
        }
        (Err(batched), Err(single)) => assert_eq!(batched, single, "{what}: the same error"),
        _ => panic!(
            "{what}: one run failed and not the other: batched {:?}, one at a time {:?}",
            batched.as_ref().map(|o| o.report.bars),
            single.as_ref().map(|o| o.report.bars)
        ),
    }
    (batched, single)
}

fn sample_files() -> [PathBuf; 2] {
    [sample_path(US_BARS), sample_path(HK_BARS)]
}

/// A generated file of AAPL and MSFT bars, around the clock (interleaved, one of each per
/// minute): many more crossings than the samples.
fn generated(dir: &Path, bars: u64) -> PathBuf {
    let path = dir.join("aapl-msft.csv");
    let mut config = GenConfig::new(&["AAPL", "MSFT"], Length::Bars(bars), false);
    config.seed = 11;
    let file = std::fs::File::create(&path).expect("create");
    write_csv(&config, std::io::BufWriter::new(file)).expect("write");
    path
}

/// The three examples with their sidecars, over every sample file (a file with none of a
/// strategy's symbols fails both ways alike) and 40,000 generated bars of two symbols; and the
/// samples again under limits that bind on the bar the strategy is on: one signal a minute (the
/// replay clock) and a position notional about what it buys at the samples' prices (the
/// reference price, the close of the bar).
#[test]
fn the_examples_trade_the_same_in_batches_as_bar_by_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = sample_files().to_vec();
    files.push(generated(dir.path(), 40_000));
    let cases = [
        ("ma-crossover", 5_600.0),
        ("hk-breakout", 40_000.0),
        ("scale-in-out", 4_200.0),
    ];
    for (guest, notional) in cases {
        let tight = Limits {
            max_position_notional: Some(notional),
            max_signals_per_minute: Some(1),
            ..Limits::default()
        };
        for bars in &files {
            let sidecar = spec(guest, bars, &[], DEFAULT_FUEL_PER_CALL);
            let bound = BacktestSpec {
                limits: sidecar.limits.stricter(&tight),
                ..sidecar.clone()
            };
            // The tight notionals are about what the strategies buy at the samples' prices.
            let tight_too = bars != files.last().expect("the generated file");
            let specs = [("sidecar", sidecar), ("tight", bound)];
            for (limits, spec) in specs.into_iter().take(if tight_too { 2 } else { 1 }) {
                let what = format!("{guest} on {}, {limits} limits", bars.display());
                let (batched, _) = both_ways(&what, &spec);
                let Ok(batched) = batched else { continue };
                assert!(
                    !batched.report.fills.is_empty(),
                    "{what}: the test needs trades"
                );
                // Every fill and every order resting costs a call of its own; the rest batch.
                assert!(
                    batched.bar_calls * 3 < batched.report.bars,
                    "{what}: {} calls for {} bars: not batched",
                    batched.bar_calls,
                    batched.report.bars
                );
            }
        }
    }
}

/// The component built against 0.1.0 (its batches one `on-bar` per bar inside the runtime)
/// buying and selling at several points; the stop-loss guest: a GTC stop resting for the whole
/// run (every bar of its symbol a call of its own), one cancelled and sold, a tight one that the
/// market takes, and a bracket; and the examples whose exits rest at the broker.
#[test]
fn the_0_1_guest_and_the_resting_exits_trade_the_same_in_batches_as_bar_by_bar() {
    // (guest, params, whether some of its bars can be batched)
    let cases: [(&str, Params, bool); 8] = [
        ("strategy-0-1", &[], true),
        (
            "strategy-0-1",
            &[("buy_at", "300"), ("sell_at", "700")],
            true,
        ),
        ("stop-guard", &[], false),
        (
            "stop-guard",
            &[("buy_at", "40"), ("cancel_at", "500")],
            true,
        ),
        ("stop-guard", &[("buy_at", "40"), ("stop_pct", "0.2")], true),
        (
            "stop-guard",
            &[("buy_at", "40"), ("take_profit_pct", "0.5")],
            true,
        ),
        ("trend-stop", &[], true),
        ("pullback-bracket", &[], true),
    ];
    for (guest, params, batches) in cases {
        for bars in &sample_files() {
            let what = format!("{guest} {params:?} on {}", bars.display());
            let (batched, _) = both_ways(&what, &spec(guest, bars, params, DEFAULT_FUEL_PER_CALL));
            if let Ok(batched) = batched {
                assert!(
                    !batched.report.fills.is_empty(),
                    "{what}: the test needs trades"
                );
                assert_eq!(
                    batched.bar_calls < batched.report.bars,
                    batches,
                    "{what}: {} calls for {} bars",
                    batched.bar_calls,
                    batched.report.bars
                );
            }
        }
    }
}

/// Live trading gives each strategy the bars of its contracts that arrive together in one
/// `on-bars` call (`Fleet::on_bars`). On paper, in one fleet, every US example and the 0.1.0
/// guest trade exactly as with one bar at a time, over the sample and 40,000 generated bars
/// of AAPL and MSFT; ma-crossover, the one of two contracts, needs about half the calls.
#[test]
fn bars_that_arrive_together_trade_as_one_at_a_time_in_a_fleet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let strategies = [
        "ma-crossover",
        "scale-in-out",
        "trend-stop",
        "pullback-bracket",
        "strategy-0-1",
    ];
    for path in [sample_path(US_BARS), generated(dir.path(), 40_000)] {
        let bars = paper::bars_of(&path);
        let run = |together: bool| {
            let mut fleet = PaperFleet::new(paper::live_runtime().clone());
            for name in strategies {
                fleet
                    .install_with_sidecar(name, &guests::wasm(name))
                    .unwrap_or_else(|e| panic!("{name} starts: {e}"));
            }
            if together {
                fleet.feed_together(&bars);
            } else {
                fleet.feed(&bars);
            }
            strategies.map(|name| (fleet.trades(name), fleet.status(name).counters))
        };
        let (one_at_a_time, together) = (run(false), run(true));
        for (name, ((single, single_counters), (grouped, grouped_counters))) in
            strategies.iter().zip(one_at_a_time.iter().zip(&together))
        {
            let what = format!("{name} on {}", path.display());
            assert_eq!(grouped, single, "{what}: the fills");
            assert_eq!(grouped_counters.bars, single_counters.bars, "{what}: bars");
            assert_eq!(
                single_counters.bar_calls, single_counters.bars,
                "{what}: one call a bar"
            );
        }
        let (trades, counters) = &together[0];
        assert!(!trades.is_empty(), "ma-crossover: the test needs trades");
        // Two contracts a minute, one call, but where a signal cuts the call short.
        assert!(
            counters.bar_calls * 10 < counters.bars * 6,
            "ma-crossover on {}: {} calls for {} bars",
            path.display(),
            counters.bar_calls,
            counters.bars
        );
    }
}

/// Faults inside what would be a batch: the run starts over bar by bar from that batch, so
/// every fault is on the bar it is on when bars come one at a time, with the same restarts,
/// backoffs and quarantine. `at` counts the instance's bars, so a restarted instance faults
/// again, quarantined at the third.
#[test]
fn faults_inside_a_batch_land_on_their_bars() {
    let us = sample_path(US_BARS);
    let cases: [(&[(&str, &str)], u64); 5] = [
        (&[("mode", "panic"), ("at", "55")], DEFAULT_FUEL_PER_CALL),
        (&[("mode", "spin"), ("at", "3")], 1_000_000),
        (&[("mode", "spin"), ("at", "120")], 10_000_000),
        (&[("mode", "recurse"), ("at", "77")], DEFAULT_FUEL_PER_CALL),
        (&[("mode", "hog"), ("at", "200")], DEFAULT_FUEL_PER_CALL),
    ];
    for (params, fuel) in cases {
        let what = format!("hostile {params:?}, fuel {fuel}");
        let (batched, single) = both_ways(&what, &spec("hostile", &us, params, fuel));
        let (batched, single) = (batched.expect("runs"), single.expect("runs"));
        assert!(!single.faults.is_empty(), "{what}: the test needs faults");
        assert_eq!(batched.faults, single.faults, "{what}");
    }
}
