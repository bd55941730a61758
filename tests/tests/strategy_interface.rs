//! The strategy interface across its versions, on paper (a real fleet, each strategy on a
//! backtest desk): a component built against `sandtrade:strategy@0.1.0` is served by the 0.1.0
//! bindings and trades as it always did; one built with the SDK speaks 0.2.0, and its
//! protective orders rest, trigger and can be cancelled.

use std::sync::Arc;

use sandtrade_backtest::Fill;
use sandtrade_core::{Action, Bar, Instrument};
use sandtrade_runtime::{PreparedStrategy, WitVersion, compile_file, linker};
use sandtrade_tests::guests;
use sandtrade_tests::paper::{self, PaperFleet, SampleBar};

/// One-minute AAPL bars from 2024-01-02 14:30 UTC, each `(open, high, low, close)`.
fn aapl(prices: &[(f64, f64, f64, f64)]) -> Vec<SampleBar> {
    let instrument = Arc::new(sandtrade_core::normalize("AAPL").expect("a US ticker"));
    prices
        .iter()
        .zip(0..)
        .map(|(&(open, high, low, close), minute)| SampleBar {
            instrument: Arc::clone(&instrument),
            bar: Bar {
                start_ms: 1_704_205_800_000 + minute * 60_000,
                open,
                high,
                low,
                close,
                volume: 1_000.0,
            },
        })
        .collect()
}

fn flat(price: f64, minutes: usize) -> Vec<(f64, f64, f64, f64)> {
    vec![(price, price, price, price); minutes]
}

/// (action, shares, price) of each fill.
fn fills(trades: &[Fill]) -> Vec<(Action, u32, f64)> {
    trades
        .iter()
        .map(|f| (f.action, f.quantity, f.price))
        .collect()
}

fn version_of(name: &str) -> WitVersion {
    let runtime = paper::live_runtime();
    let compiled = compile_file(runtime, Some(paper::shared_cache()), &guests::wasm(name))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        compiled.wit_version(),
        Some(version_of_imports(&compiled.imports))
    );
    let linker = linker::strategy_linker(runtime.engine()).expect("the linker");
    let prepared: PreparedStrategy<sandtrade_backtest::BacktestDesk> =
        PreparedStrategy::new(&linker, Arc::new(compiled)).unwrap_or_else(|e| panic!("{e}"));
    prepared.wit_version()
}

fn version_of_imports(imports: &[String]) -> WitVersion {
    if imports.iter().any(|i| i.ends_with("@0.1.0")) {
        WitVersion::V0_1
    } else {
        WitVersion::V0_2
    }
}

#[test]
fn each_component_is_called_through_the_version_it_was_built_against() {
    assert_eq!(version_of("strategy-0-1"), WitVersion::V0_1);
    assert_eq!(version_of("stop-guard"), WitVersion::V0_2);
    assert_eq!(version_of("ma-crossover"), WitVersion::V0_2);
}

#[test]
fn a_component_built_against_0_1_trades_as_it_always_did() {
    let mut fleet = PaperFleet::new(paper::live_runtime().clone());
    let wasm = guests::wasm("strategy-0-1");
    fleet
        .install("old", &wasm, &[])
        .expect("a 0.1.0 component starts");
    // Bought at the market on its 2nd bar (filled at the 3rd's open), sold with a limit at
    // the 4th's close (met by the 5th bar).
    let bars = aapl(&[
        (10.0, 10.0, 10.0, 10.0),
        (10.0, 10.0, 10.0, 10.0),
        (11.0, 11.0, 11.0, 11.0),
        (12.0, 12.0, 12.0, 12.0),
        (12.5, 13.0, 12.5, 13.0),
    ]);
    fleet.feed(&bars);
    let got = fills(&fleet.trades("old"));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[0].0, got[0].1), (Action::OpenLong, 10));
    assert!(
        (got[0].2 - 11.0).abs() < 0.01,
        "bought at the 3rd bar's open: {got:?}"
    );
    assert_eq!((got[1].0, got[1].1), (Action::CloseLong, 10));
    assert!(
        (got[1].2 - 12.5).abs() < 0.01,
        "sold at the 5th bar's open: {got:?}"
    );
    assert_eq!(fleet.status("old").counters.fills, 2);
}

#[test]
fn a_stop_loss_rests_until_the_price_falls_through_it() {
    let mut fleet = PaperFleet::new(paper::live_runtime().clone());
    fleet
        .install("guard", &guests::wasm("stop-guard"), &[])
        .expect("starts");
    // Bought at 10 on the 2nd bar's open; the stop (9.5) rests through a bar that dips to 9.6,
    // then the 4th bar falls through it.
    let mut prices = flat(10.0, 2);
    prices.push((10.0, 10.1, 9.6, 9.8));
    prices.push((9.7, 9.7, 9.2, 9.3));
    prices.extend(flat(9.0, 2));
    let bars = aapl(&prices);
    fleet.feed(&bars[..3]);
    let working = sandtrade_runtime::Desk::working_orders(fleet.desk("guard"));
    assert_eq!(working.len(), 1, "{working:?}");
    // 5% under the fill (10 and a basis point of slippage).
    let sandtrade_core::OrderType::Stop(trigger) = working[0].order_type else {
        panic!("a stop: {working:?}");
    };
    assert!((trigger - 9.5).abs() < 0.001, "{trigger}");
    assert_eq!(working[0].timing.tif, sandtrade_core::TimeInForce::Gtc);
    assert_eq!(working[0].symbol, "AAPL");
    fleet.feed(&bars[3..]);
    let got = fills(&fleet.trades("guard"));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[1].0, got[1].1), (Action::ReduceLong, 10));
    assert!(
        got[1].2 <= trigger && got[1].2 > trigger - 0.01,
        "filled at its trigger, less slippage: {got:?}"
    );
    assert!(sandtrade_runtime::Desk::working_orders(fleet.desk("guard")).is_empty());
    let aapl = first_id(&mut fleet);
    assert_eq!(fleet.desk("guard").sim().unwrap().position(aapl), None);
}

#[test]
fn a_cancelled_stop_never_fills_and_frees_the_shares_it_held() {
    let mut fleet = PaperFleet::new(paper::live_runtime().clone());
    fleet
        .install("guard", &guests::wasm("stop-guard"), &[("cancel_at", "3")])
        .expect("starts");
    // The stop is cancelled on the 3rd bar and the position sold at the market instead: had
    // the stop still held its 10 shares, that sell would have been refused as a short.
    let mut prices = flat(10.0, 3);
    prices.extend(flat(9.0, 3));
    fleet.feed(&aapl(&prices));
    let got = fills(&fleet.trades("guard"));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[1].0, got[1].1), (Action::CloseLong, 10));
    assert!(
        got[1].2 > 8.99 && got[1].2 <= 9.0,
        "sold at the 4th bar's open: {got:?}"
    );
    assert!(sandtrade_runtime::Desk::working_orders(fleet.desk("guard")).is_empty());
    // A second cancel of the same order: it has ended.
    assert_eq!(
        sandtrade_runtime::Desk::cancel(fleet.desk("guard"), 2),
        Err(sandtrade_runtime::CancelRefusal::AlreadyEnded)
    );
    assert_eq!(
        sandtrade_runtime::Desk::cancel(fleet.desk("guard"), 99),
        Err(sandtrade_runtime::CancelRefusal::UnknownOrder)
    );
}

fn first_id(fleet: &mut PaperFleet) -> sandtrade_backtest::SymbolId {
    let instrument: Instrument = sandtrade_core::normalize("AAPL").unwrap();
    fleet
        .desk("guard")
        .sim()
        .unwrap()
        .table()
        .id(&instrument)
        .unwrap()
}

#[test]
fn a_raised_stop_rests_at_its_new_trigger_and_fills_there() {
    let mut fleet = PaperFleet::new(paper::live_runtime().clone());
    fleet
        .install("guard", &guests::wasm("stop-guard"), &[("raise_at", "3")])
        .expect("starts");
    // Bought at 10 on the 2nd bar's open (stop at 9.5); the 3rd bar closes at 12, so the
    // stop is raised to 11.4; the 4th dips to 11.3 and sells there.
    let mut prices = flat(10.0, 2);
    prices.push((11.0, 12.0, 11.0, 12.0));
    let bars = aapl(&prices);
    fleet.feed(&bars);
    let working = sandtrade_runtime::Desk::working_orders(fleet.desk("guard"));
    let sandtrade_core::OrderType::Stop(trigger) = working[0].order_type else {
        panic!("a stop: {working:?}");
    };
    assert!((trigger - 11.4).abs() < 1e-9, "{trigger}");
    // A change of type is refused, as a new order of it would be.
    let refused = sandtrade_runtime::Desk::modify(
        fleet.desk("guard"),
        2,
        sandtrade_core::OrderChange {
            quantity: None,
            order_type: Some(sandtrade_core::OrderType::Limit(12.0)),
        },
    );
    assert!(
        matches!(&refused, Err(sandtrade_runtime::ModifyRefusal::Refused(r))
            if r.code == sandtrade_core::RejectCode::InvalidOrder),
        "{refused:?}"
    );
    // ... and so is a sell larger than the position.
    let refused = sandtrade_runtime::Desk::modify(
        fleet.desk("guard"),
        2,
        sandtrade_core::OrderChange {
            quantity: Some(11),
            order_type: None,
        },
    );
    assert!(
        matches!(&refused, Err(sandtrade_runtime::ModifyRefusal::Refused(r))
            if r.code == sandtrade_core::RejectCode::ShortNotAllowed),
        "{refused:?}"
    );
    let mut later = vec![SampleBar {
        instrument: Arc::clone(&bars[0].instrument),
        bar: Bar {
            start_ms: bars[2].bar.start_ms + 60_000,
            open: 11.8,
            high: 11.9,
            low: 11.3,
            close: 11.5,
            volume: 1_000.0,
        },
    }];
    later.push(SampleBar {
        bar: Bar {
            start_ms: later[0].bar.start_ms + 60_000,
            ..later[0].bar
        },
        ..later[0].clone()
    });
    fleet.feed(&later);
    let got = fills(&fleet.trades("guard"));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[1].0, got[1].1), (Action::ReduceLong, 10));
    assert!(
        got[1].2 <= 11.4 && got[1].2 > 11.39,
        "filled at the raised trigger: {got:?}"
    );
}
