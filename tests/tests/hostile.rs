//! Hostile guests in a fleet: each misbehaviour of `test-guests/hostile` runs next to a
//! well-behaved strategy (`ma-crossover`, with its sidecar) in one [`Fleet`], both fed the same
//! sample bars (AAPL and MSFT, three sessions). For each, the test checks that
//!
//! - the host survives and the error says exactly what happened (the `FaultKind`, the refusal
//!   text the guest was given, the host's log line);
//! - faults cost the hostile strategy a strike each: a restart after the backoff (driven with an
//!   explicit clock, never by waiting), then quarantine at the third;
//! - the other strategy never notices: it gets every bar and makes exactly the trades it makes
//!   when it runs alone.
//!
//! The hostile guest misbehaves on the 3rd bar each instance of it sees (`at = 3`): AAPL bars,
//! one a minute, so a restarted instance misbehaves again three minutes later.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sandtrade_backtest::Fill;
use sandtrade_core::RejectCode;
use sandtrade_risk::{Limits, SignalCounts};
use sandtrade_runtime::fleet::{InstallError, StrategyStatus};
use sandtrade_runtime::instance::FaultKind;
use sandtrade_runtime::sidecar::Sidecar;
use sandtrade_runtime::{DirChange, GuestFault, Runtime, StartError, compile_file};
use sandtrade_tests::guests;
use sandtrade_tests::logs::{LogCapture, LogLine};
use sandtrade_tests::paper::{
    CALL_DEADLINE_MS, PaperFleet, SampleBar, US_BARS, aapl_bar, live_runtime, replay_runtime,
    sample_bars, shared_cache, start_alone, trades_alone,
};
use tracing::Level;

const HOSTILE: &str = "hostile";
const MA: &str = "ma";

fn us_bars() -> &'static [SampleBar] {
    static BARS: OnceLock<Vec<SampleBar>> = OnceLock::new();
    BARS.get_or_init(|| sample_bars(US_BARS))
}

/// Positions in [`us_bars`] of the AAPL bars: the only ones the hostile guest gets (it declares
/// AAPL and 0700.HK).
fn aapl_bars() -> Vec<usize> {
    us_bars()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.instrument.symbol == "AAPL")
        .map(|(i, _)| i)
        .collect()
}

/// The trades `ma-crossover` makes over [`us_bars`] when it runs alone.
fn solo_trades() -> &'static [Fill] {
    static TRADES: OnceLock<Vec<Fill>> = OnceLock::new();
    TRADES.get_or_init(|| {
        let trades = trades_alone(&guests::wasm("ma-crossover"), us_bars());
        // Sanity of the baseline itself: it trades, in both symbols.
        assert_eq!(trades.len(), 82);
        trades
    })
}

/// `ma-crossover` plus the hostile guest in `mode`, misbehaving on its 3rd bar.
fn fleet_with_hostile(runtime: &Runtime, mode: &str, extra: &[(&str, &str)]) -> PaperFleet {
    let mut fleet = PaperFleet::new(runtime.clone());
    fleet
        .install_with_sidecar(MA, &guests::wasm("ma-crossover"))
        .expect("ma-crossover starts");
    let mut params = vec![("mode", mode), ("at", "3")];
    params.extend_from_slice(extra);
    fleet
        .install(HOSTILE, &guests::wasm("hostile"), &params)
        .expect("the hostile guest starts");
    fleet
}

/// The other strategy got every bar, never faulted and traded exactly as when alone.
fn assert_ma_unaffected(fleet: &mut PaperFleet) {
    let status = fleet.status(MA);
    assert_eq!(status.state, "running");
    assert_eq!(status.last_error, None);
    assert_eq!(status.counters.bars, us_bars().len() as u64);
    assert_eq!(status.counters.faults.len(), 0);
    assert_eq!(status.counters.restarts, 0);
    assert_eq!(fleet.trades(MA), solo_trades());
    assert_eq!(status.counters.fills, solo_trades().len() as u64);
}

/// The fleet module's log lines about `name`, as `(level, message)`.
/// What the hostile strategy's gate counted: signals accepted and refused, by code.
fn gate_counts(fleet: &mut PaperFleet) -> SignalCounts {
    fleet
        .desk(HOSTILE)
        .gate()
        .expect("bound")
        .counters()
        .snapshot()
}

/// What the hostile guest logged, without its `bar N: ok` lines: what it was told.
fn told(capture: &LogCapture) -> Vec<String> {
    capture
        .strategy_lines(HOSTILE)
        .into_iter()
        .filter(|l| !l.ends_with(": ok"))
        .collect()
}

fn fleet_log(capture: &LogCapture, name: &str) -> Vec<(Level, String)> {
    capture
        .host_lines(name)
        .into_iter()
        .filter(|l| l.target == "sandtrade_runtime::fleet")
        .map(|l| (l.level, l.message))
        .collect()
}

/// Where the hostile guest's `panic!` is, as the panic message gives it:
/// `test-guests/hostile/src/lib.rs:LINE:COLUMN`.
fn panic_location() -> String {
    let source = xtask::workspace_root().join("test-guests/hostile/src/lib.rs");
    let text = std::fs::read_to_string(&source).expect("the hostile guest's source");
    let (line, column) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.find("Mode::Panic => panic!(")
                .map(|at| (i + 1, at + "Mode::Panic => ".len() + 1))
        })
        .expect("the hostile guest panics in `Mode::Panic => panic!(`");
    format!("test-guests/hostile/src/lib.rs:{line}:{column}")
}

/// The fault of a lone hostile instance in `mode` on its first bar, called directly (no
/// fleet): the exact `GuestFault` the runtime reports.
fn first_fault(mode: &str) -> GuestFault {
    start_alone(live_runtime(), &guests::wasm("hostile"), &[("mode", mode)])
        .on_bar(&aapl_bar())
        .expect_err("the first bar triggers the fault")
}

/// Runs the fleet over every bar with a fatal `mode`, checking on the way: the fault on the
/// 3rd bar, the exact backoff, the restart, two more faults, quarantine, re-enabling.
fn strikes_then_quarantine(mode: &str, fault: &FaultKind) {
    let capture = LogCapture::start();
    let mut fleet = fleet_with_hostile(live_runtime(), mode, &[]);
    let bars = us_bars();
    let aapl = aapl_bars();
    let what = fault.to_string();

    // First instance: bars 1 and 2 fine, the 3rd faults.
    fleet.feed(&bars[..=aapl[2]]);
    let t1 = bars[aapl[2]].bar.start_ms;
    let status = fleet.status(HOSTILE);
    assert_eq!(status.state, "backing-off");
    assert_eq!(status.last_error.as_deref(), Some(what.as_str()));
    assert_eq!(status.strikes, 1);
    assert_eq!(status.counters.bars, 3);
    assert_eq!(status.counters.faults, [(fault.label(), 1)].into());

    // The first backoff is exactly one second of the supervisor's clock.
    fleet.restart_due(t1 + 999);
    assert_eq!(fleet.status(HOSTILE).state, "backing-off");
    assert_eq!(fleet.status(HOSTILE).counters.restarts, 0);
    fleet.restart_due(t1 + 1_000);
    assert_eq!(fleet.status(HOSTILE).state, "running");
    assert_eq!(fleet.status(HOSTILE).counters.restarts, 1);

    // The rest of the bars, as the live worker runs them: restarts due, then the bar. The
    // second instance faults on its 3rd bar, restarts a minute later, and the third instance's
    // fault is the third strike within the 600 s window.
    for bar in &bars[aapl[2] + 1..] {
        fleet.restart_due(bar.bar.start_ms);
        fleet.bar(bar);
    }
    let quarantine = format!("3 faults within 600 s, the last: {what}");
    let status: StrategyStatus = fleet.status(HOSTILE);
    assert_eq!(status.state, "quarantined");
    assert_eq!(status.last_error.as_deref(), Some(quarantine.as_str()));
    assert_eq!(status.strikes, 3);
    assert_eq!(
        status.counters.bars, 9,
        "3 bars for each of 3 instances, then none"
    );
    assert_eq!(status.counters.restarts, 2);
    assert_eq!(status.counters.faults, [(fault.label(), 3)].into());

    let faulted = format!("strategy `hostile`: {what}; restarting after a backoff");
    assert_eq!(
        fleet_log(&capture, HOSTILE),
        [
            (Level::WARN, faulted.clone()),
            (Level::INFO, "restarted".to_owned()),
            (Level::WARN, faulted),
            (Level::INFO, "restarted".to_owned()),
            (Level::ERROR, format!("quarantined: {quarantine}")),
        ]
    );
    assert_ma_unaffected(&mut fleet);

    // An operator re-enables it: a fresh instance, strikes forgotten.
    let now = fleet.now_ms();
    assert_eq!(fleet.fleet_mut().enable(HOSTILE, now), Ok(true));
    let status = fleet.status(HOSTILE);
    assert_eq!((status.state, status.strikes), ("running", 0));
    assert_eq!(status.counters.restarts, 3);
}

/// `mode` faults with `kind`, which reads `message`, on a lone instance's first bar; in the
/// fleet it costs strikes, backoffs, then quarantine.
fn fatal_mode(mode: &str, kind: FaultKind, message: &str) {
    let fault = first_fault(mode);
    assert_eq!(
        fault,
        GuestFault {
            strategy: "alone".into(),
            kind: kind.clone(),
        }
    );
    assert_eq!(fault.to_string(), format!("strategy `alone`: {message}"));
    strikes_then_quarantine(mode, &kind);
}

#[test]
fn infinite_loop_is_stopped_at_the_deadline() {
    fatal_mode(
        "spin",
        FaultKind::Deadline(Duration::from_millis(CALL_DEADLINE_MS)),
        "ran past its 100 ms deadline and was stopped",
    );
}

#[test]
fn memory_bomb_hits_the_memory_cap() {
    fatal_mode(
        "hog",
        FaultKind::OutOfMemory,
        "ran out of memory (the cap was reached)",
    );
}

#[test]
fn deep_recursion_overflows_the_wasm_stack() {
    fatal_mode(
        "recurse",
        FaultKind::StackOverflow,
        "overflowed its stack (recursion too deep)",
    );
}

#[test]
fn panic_is_reported_with_its_message_and_location() {
    let location = panic_location();
    let fault = first_fault("panic");
    assert_eq!(
        fault.kind,
        FaultKind::Panic(format!("hostile: panic on bar 1 ({location})"))
    );
    // In the fleet it panics on its 3rd bar, each time.
    strikes_then_quarantine(
        "panic",
        &FaultKind::Panic(format!("hostile: panic on bar 3 ({location})")),
    );
}

/// The hostile guest in `mode` emits one bad signal on its 3rd bar: refused with `code`, the
/// guest told so (its SDK logs `guest_line`), the host's log and counters say the same, and
/// nothing else happens to anyone.
fn refused_signal(mode: &str, guest_line: &str, code: RejectCode, message: &str) {
    let capture = LogCapture::start();
    let mut fleet = fleet_with_hostile(live_runtime(), mode, &[]);
    fleet.feed(us_bars());

    let status = fleet.status(HOSTILE);
    assert_eq!(status.state, "running");
    assert_eq!(status.strikes, 0);
    assert_eq!(status.counters.faults.len(), 0);
    assert_eq!(status.counters.bars, aapl_bars().len() as u64);
    assert_eq!((status.counters.signals, status.counters.rejected), (1, 1));

    // What the guest was told, in its own words (the SDK's `emit_logged`), then it carried on.
    let told = told(&capture);
    assert_eq!(
        told,
        [
            format!("bar 3: misbehaving: {mode}"),
            guest_line.to_owned(),
            format!("bar 3: survived {mode}"),
        ]
    );
    // What the host logged, with the code as a field.
    let host: Vec<LogLine> = capture.host_lines(HOSTILE);
    assert_eq!(host.len(), 1, "{host:?}");
    assert_eq!(host[0].level, Level::INFO);
    assert_eq!(host[0].message, format!("signal refused: {message}"));
    assert_eq!(host[0].field("code"), Some(code.as_str()));
    // Counted by code in the strategy's gate.
    let gate = gate_counts(&mut fleet);
    assert_eq!(gate.accepted, 0);
    assert_eq!(gate.rejected(code), 1);
    assert_eq!(gate.total_rejected(), 1);

    assert_ma_unaffected(&mut fleet);
}

#[test]
fn short_sell_is_refused_as_short_not_allowed() {
    refused_signal(
        "short",
        "reduce-long 100 AAPL: refused, short-not-allowed: sell of 100 AAPL exceeds held 0 - \
         pending sells 0 = 0",
        RejectCode::ShortNotAllowed,
        "sell of 100 AAPL exceeds held 0 - pending sells 0 = 0",
    );
}

#[test]
fn zero_quantity_is_refused() {
    refused_signal(
        "zero-qty",
        "open-long 0 AAPL: refused, invalid-quantity: open-long of 0 AAPL: quantity must be at \
         least 1",
        RejectCode::InvalidQuantity,
        "open-long of 0 AAPL: quantity must be at least 1",
    );
}

#[test]
fn huge_quantity_is_refused_by_the_absolute_cap() {
    // Not `order-limit` as the guest's docs guess: the sanity cap (10,000,000 shares) comes
    // first, and without configured limits it is the only one.
    refused_signal(
        "huge-qty",
        "open-long 4294967295 AAPL: refused, invalid-quantity: open-long of 4294967295 AAPL: \
         quantity exceeds the absolute cap 10000000",
        RejectCode::InvalidQuantity,
        "open-long of 4294967295 AAPL: quantity exceeds the absolute cap 10000000",
    );
}

#[test]
fn an_oversized_symbol_is_refused_by_its_size() {
    refused_signal(
        "long-symbol",
        "65536-byte symbol: refused, unknown-symbol: the symbol is 65536 bytes; a symbol is at \
         most 32",
        RejectCode::UnknownSymbol,
        "the symbol is 65536 bytes; a symbol is at most 32",
    );
}

#[test]
fn an_oversized_reason_is_refused_by_its_size() {
    refused_signal(
        "long-reason",
        "65536-byte reason: refused, unavailable: the reason is 65536 bytes; a reason is at \
         most 1024",
        RejectCode::Unavailable,
        "the reason is 65536 bytes; a reason is at most 1024",
    );
}

/// An `open-long 100` at limit price `shown` is refused as `invalid-price`.
fn refused_limit_price(mode: &str, shown: &str) {
    let why = format!(
        "open-long AAPL with limit price {shown}: a limit price must be a finite number > 0"
    );
    let guest_line = format!("open-long 100 AAPL limit {shown}: refused, invalid-price: {why}");
    refused_signal(mode, &guest_line, RejectCode::InvalidPrice, &why);
}

#[test]
fn nan_limit_price_is_refused() {
    refused_limit_price("nan-price", "NaN");
}

#[test]
fn negative_limit_price_is_refused() {
    refused_limit_price("negative-price", "-1");
}

#[test]
fn infinite_limit_price_is_refused() {
    refused_limit_price("inf-price", "inf");
}

/// A signal emitted from `init` is refused as `unavailable` before it reaches risk or the
/// order book (a strategy trades from its first bar, never on what it computed before seeing
/// one); the strategy runs on, and nothing is traded.
#[test]
fn a_signal_from_init_is_refused() {
    let capture = LogCapture::start();
    let mut fleet = fleet_with_hostile(live_runtime(), "init-emits", &[]);
    fleet.feed(us_bars());

    let status = fleet.status(HOSTILE);
    assert_eq!((status.state, status.strikes), ("running", 0));
    assert_eq!(status.counters.bars, aapl_bars().len() as u64);
    let why = "signals are not taken from init: a strategy trades from its first bar";
    let told = told(&capture);
    assert_eq!(
        told,
        [format!("open-long 100 AAPL: refused, unavailable: {why}")]
    );
    let host: Vec<LogLine> = capture.host_lines(HOSTILE);
    assert_eq!(host.len(), 1, "{host:?}");
    assert_eq!(host[0].message, format!("signal refused: {why}"));
    assert_eq!(host[0].field("code"), Some("unavailable"));
    // It never reached the desk: nothing counted, nothing traded.
    let gate = gate_counts(&mut fleet);
    assert_eq!((gate.accepted, gate.total_rejected()), (0, 0));
    assert!(fleet.trades(HOSTILE).is_empty());
    assert_ma_unaffected(&mut fleet);
}

/// The refusal of every `open-long` after the first accepted one, while it is pending.
const NOT_FLAT: &str = "open-long of 100 AAPL needs a flat position, but held 0, pending buys \
                        100; use add-long to buy more";

/// A storm that runs to its end (10,000 calls, on the deterministic fuel budget): every call
/// answered, one accepted, then refused as not flat until the rate limit (60 a minute, the
/// default) cuts in, each refusal counted by code.
#[test]
fn emit_storm_is_answered_call_by_call_and_rate_limited() {
    let capture = LogCapture::start();
    let mut fleet = fleet_with_hostile(replay_runtime(), "emit-storm", &[("emits", "10000")]);
    fleet.feed(us_bars());

    let status = fleet.status(HOSTILE);
    assert_eq!((status.state, status.strikes), ("running", 0));
    assert_eq!(
        (status.counters.signals, status.counters.rejected),
        (10_000, 9_999)
    );
    let told: Vec<String> = capture
        .strategy_lines(HOSTILE)
        .into_iter()
        .filter(|l| l.starts_with("emit-storm"))
        .collect();
    assert_eq!(
        told,
        [
            "emit-storm: 10000 calls, 1 accepted, refused {position-limit: 59, rate-limit: 9940}"
                .to_owned(),
            format!("emit-storm: first refusal: position-limit: {NOT_FLAT}"),
        ]
    );
    // The host logs the first five refusals of a call, then one line for the rest.
    let host: Vec<(Level, String)> = capture
        .host_lines(HOSTILE)
        .into_iter()
        .map(|l| (l.level, l.message))
        .collect();
    let mut want = vec![(Level::INFO, format!("signal refused: {NOT_FLAT}")); 5];
    want.push((
        Level::WARN,
        "9994 more refused signals in this call were not logged".to_owned(),
    ));
    assert_eq!(host, want);
    let gate = gate_counts(&mut fleet);
    assert_eq!(gate.accepted, 1);
    assert_eq!(gate.rejected(RejectCode::PositionLimit), 59);
    assert_eq!(gate.rejected(RejectCode::RateLimit), 9_940);
    // The one accepted order filled at the next AAPL bar's open.
    let trades = fleet.trades(HOSTILE);
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].quantity, 100);

    assert_ma_unaffected(&mut fleet);
}

/// A million `emit`s in one bar under the live 100 ms deadline: the rate limit answers all but
/// the first 60 with one comparison each, and the deadline stops the guest long before it
/// gets to a million (this host answers tens of thousands in 100 ms). The host is back in
/// control at the deadline; the signals emitted before it are counted.
#[test]
fn a_million_emits_in_one_bar_are_rate_limited_and_stopped_by_the_deadline() {
    let capture = LogCapture::start();
    let mut fleet = fleet_with_hostile(live_runtime(), "emit-storm", &[]);
    let bars = us_bars();
    let aapl = aapl_bars();
    fleet.feed(&bars[..=aapl[2]]);

    let status = fleet.status(HOSTILE);
    assert_eq!(status.state, "backing-off");
    assert_eq!(
        status.last_error.as_deref(),
        Some("ran past its 100 ms deadline and was stopped")
    );
    assert_eq!(status.counters.faults, [("deadline", 1)].into());
    // Stopped mid-storm: it never got to log its tally.
    assert!(
        !capture
            .strategy_lines(HOSTILE)
            .iter()
            .any(|l| l.starts_with("emit-storm")),
    );
    let emitted = status.counters.signals;
    assert!(
        (61..1_000_000).contains(&emitted),
        "{emitted} emits before the deadline"
    );
    assert_eq!(status.counters.rejected, emitted - 1);
    let summary = capture
        .host_lines(HOSTILE)
        .into_iter()
        .find(|l| {
            l.message
                .ends_with("more refused signals in this call were not logged")
        })
        .expect("the host reports the refusals it did not log");
    assert_eq!(summary.field("emitted"), Some(emitted.to_string().as_str()));
    assert_eq!(
        summary.field("refused"),
        Some((emitted - 1).to_string().as_str())
    );

    // Restarted with its desk: the gate counted every one of them by code.
    fleet.restart_due(bars[aapl[2]].bar.start_ms + 1_000);
    let gate = gate_counts(&mut fleet);
    assert_eq!(gate.accepted, 1);
    assert_eq!(gate.rejected(RejectCode::PositionLimit), 59);
    assert_eq!(gate.rejected(RejectCode::RateLimit), emitted - 60);

    // Two more storms, two more deadlines: quarantined. The other strategy never noticed.
    for bar in &bars[aapl[2] + 1..] {
        fleet.restart_due(bar.bar.start_ms);
        fleet.bar(bar);
    }
    let status = fleet.status(HOSTILE);
    assert_eq!(status.state, "quarantined");
    assert_eq!(status.counters.faults, [("deadline", 3)].into());
    assert_ma_unaffected(&mut fleet);
}

/// A line made of one repeated character, longer than 64 bytes, as `C×LEN`.
fn abbreviate(line: String) -> String {
    match line.chars().next() {
        Some(c) if line.len() > 64 && line.chars().all(|x| x == c) => {
            format!("{c}×{}", line.len())
        }
        _ => line,
    }
}

/// Lengths of `log-flood line 0` … `log-flood line 9999`.
fn flood_debug_bytes() -> u64 {
    (0..10_000)
        .map(|i| format!("log-flood line {i}").len() as u64)
        .sum()
}

/// The guest floods its log, stdout and stderr in one call (on the fuel budget, so it runs to
/// its end however slow the host): the host logs 16 KiB of it and drops the rest, counting
/// every byte; the next call has a fresh budget.
#[test]
fn log_flood_is_capped_and_the_dropped_bytes_counted() {
    const MIB: u64 = 1 << 20;
    let capture = LogCapture::start();
    let mut fleet = fleet_with_hostile(replay_runtime(), "log-flood", &[]);
    fleet.feed(us_bars());
    let status = fleet.status(HOSTILE);
    assert_eq!((status.state, status.strikes), ("running", 0));

    // The lines logged in the flooding call: everything fits in the 16 KiB budget until line
    // 686 (29 + 4,096 + 10 × 16 + 90 × 17 + 587 × 18 = 16,381 bytes), nothing after it.
    // (The 4 KiB line is shown as `L×4096`, to keep a failure readable.)
    let dropped_report = "output over the 16384 bytes-per-call budget was dropped";
    let lines: Vec<String> = capture
        .strategy_lines(HOSTILE)
        .into_iter()
        .skip_while(|l| l != "bar 3: misbehaving: log-flood")
        .take_while(|l| l != dropped_report)
        .collect();
    let kept: u64 = lines.iter().map(|l| l.len() as u64).sum();
    let shown: Vec<String> = lines.into_iter().map(abbreviate).collect();
    let mut want = vec![
        "bar 3: misbehaving: log-flood".to_owned(),
        "L×4096".to_owned(),
    ];
    want.extend((0..=686).map(|i| format!("log-flood line {i}")));
    assert_eq!(shown, want);
    assert_eq!(kept, 16_381);
    // The report ends the call; the next call has a fresh budget.
    let after: Vec<String> = capture
        .strategy_lines(HOSTILE)
        .into_iter()
        .skip_while(|l| l != dropped_report)
        .take(2)
        .collect();
    assert_eq!(after, [dropped_report, "bar 4: ok"]);

    // Everything else the call wrote was dropped and counted: the 1 MiB log line beyond its
    // first 4 KiB, the debug lines after 686, 10,000 stdout lines of 1,023 bytes, 1 MiB of
    // stderr, the final "log-flood: done".
    let offered = 29 + MIB + flood_debug_bytes() + 10_000 * 1_023 + MIB + 15;
    let report = capture
        .lines()
        .into_iter()
        .find(|l| l.message == dropped_report)
        .expect("the drop is reported");
    assert_eq!(report.level, Level::WARN);
    assert_eq!(report.field("strategy"), Some(HOSTILE));
    assert_eq!(
        report.field("dropped_bytes"),
        Some((offered - kept).to_string().as_str())
    );
    assert_eq!(offered - kept, 12_499_705);

    assert_ma_unaffected(&mut fleet);
}

/// A strategy whose `init` fails never starts: installing it says why, applying it as a
/// directory change records why, and the fleet goes on without it.
#[test]
fn init_failure_is_reported_and_the_others_run() {
    let mut fleet = PaperFleet::new(live_runtime().clone());
    fleet
        .install_with_sidecar(MA, &guests::wasm("ma-crossover"))
        .expect("ma-crossover starts");
    let err = fleet
        .install(HOSTILE, &guests::wasm("hostile"), &[("mode", "init-fails")])
        .expect_err("init refuses");
    let InstallError::Start { name, error } = &err else {
        panic!("not a start error: {err}");
    };
    assert_eq!(&**name, HOSTILE);
    assert_eq!(
        error,
        &StartError::InitRefused("hostile: init refused on purpose (mode init-fails)".into())
    );
    let message = "hostile: init refused its parameters: hostile: init refused on purpose \
                   (mode init-fails)";
    assert_eq!(err.to_string(), message);

    // The same through the directory path.
    let compiled = compile_file(
        live_runtime(),
        Some(shared_cache()),
        &guests::wasm("hostile"),
    )
    .expect("loads");
    fleet.fleet_mut().apply(DirChange::Upsert {
        name: HOSTILE.into(),
        compiled: Arc::new(compiled),
        sidecar: Sidecar {
            params: vec![("mode".into(), "init-fails".into())],
            limits: Limits::default(),
        },
    });
    assert_eq!(
        fleet.fleet().load_errors().get(HOSTILE).map(String::as_str),
        Some(message)
    );
    let names: Vec<&str> = fleet.fleet().names().map(|n| &**n).collect();
    assert_eq!(names, [MA]);

    fleet.feed(us_bars());
    assert_ma_unaffected(&mut fleet);
}
