//! The cost of crossing the wasm boundary: one `on-bar` call of the `empty` guest through
//! `StrategyInstance::on_bar`, under live deadlines and under backtest fuel, broken down by the
//! length of the bar's `symbol` string; one `emit` round trip; and, for scale, a real strategy's
//! call and the live `Fleet::on_bar` path, and a strategy of two contracts given each minute's
//! two bars one call each (`Fleet::on_bar`) or together (`Fleet::on_bars`, as the trading loop
//! does with bars that arrive together).
//!
//! `cargo bench -p sandtrade-tests --bench boundary [-- NAME...]`
//!
//! NAMEs pick rows by a part of their label (e.g. `-- "empty on-bar, fuel"` to profile one
//! with `perf record`); without any, every row runs.
//!
//! Method: every variant keeps one started instance and is timed in batches of
//! [`CALLS_PER_BATCH`] calls; the variants take turns batch by batch ([`ROUNDS`] rounds), so a
//! burst of load from the other builds on this machine hits them all alike. A figure is the
//! median over its batches of the per-call time, in this thread's CPU time (the wall clock
//! also counts the time the thread waits for a CPU on a loaded machine; its medians are in the
//! last column). `emit` is timed as the slope of one `on-bar` of `hostile` in `emit-storm`
//! mode: (time with N emits − time with 0) / N, one fresh instance per timed call (the storm
//! fires on the instance's first bar).

mod support;

use std::hint::black_box;
use std::sync::Arc;

use bench_kit::{Samples, Stopwatch, Table, Target, ns_per};
use sandtrade_core::normalize;
use sandtrade_runtime::bindings::Bar;
use sandtrade_runtime::sidecar::{self, Sidecar};
use sandtrade_runtime::{CpuBudget, Fleet, StrategyInstance, compile_file};
use sandtrade_tests::guests;
use support::{AcceptAll, BUDGETS};

/// Calls per timed batch: ~1.5 ms of calls, long enough for the clock, short enough that a
/// batch rarely straddles a burst of load.
const CALLS_PER_BATCH: u64 = 10_000;
/// Batches per variant (`BENCH_ROUNDS` overrides it, e.g. to profile a row for longer).
const ROUNDS: usize = 41;
/// The target for one `on-bar` call of an empty strategy.
const TARGET_NS: f64 = 150.0;
/// `emit` calls in one timed storm.
const STORM_EMITS: u32 = 10_000;
/// Timed storms (each against a zero-emit call).
const STORM_ROUNDS: usize = 31;

const FLEET_VARIANT: &str = "Fleet::on_bar, 1 strategy, \"AAPL\"";
/// The two-contract rows, per bar: each bar its own call, then a minute's two in one call (as
/// live bars that arrive together), then two minutes' four in one (as a backfill).
const PAIR_ONE_BY_ONE: &str = "Fleet, ma-crossover, AAPL+MSFT, a call a bar (per bar)";
const PAIR_TOGETHER: &str = "Fleet, ma-crossover, AAPL+MSFT, 2 bars an on-bars (per bar)";
const PAIR_TWO_MINUTES: &str = "Fleet, ma-crossover, AAPL+MSFT, 4 bars an on-bars (per bar)";

/// One variant: an instance and the bar it is called with.
struct Variant {
    name: String,
    call: Box<dyn FnMut() -> u64>,
    cpu: Samples,
    wall: Samples,
}

fn bar(symbol: &str) -> Bar {
    support::guest_bar(symbol, support::START_MS, 185.31)
}

/// Calls `on-bar` on `instance` `CALLS_PER_BATCH` times with `bar`, moving its close so that
/// nothing is constant; returns the calls made.
fn on_bar_batch(instance: &mut StrategyInstance<AcceptAll>, bar: &mut Bar, step: f64) -> u64 {
    for _ in 0..CALLS_PER_BATCH {
        bar.close += step;
        bar.start_ms += 60_000;
        black_box(instance.on_bar(bar).expect("a benign call"));
    }
    CALLS_PER_BATCH
}

fn on_bar_variant(
    name: String,
    mut instance: StrategyInstance<AcceptAll>,
    mut bar: Bar,
    step: f64,
) -> Variant {
    Variant {
        name,
        call: Box::new(move || on_bar_batch(&mut instance, &mut bar, step)),
        cpu: Samples::new(),
        wall: Samples::new(),
    }
}

/// A fleet running the guest `name` alone, with `sidecar`.
fn fleet_of(
    runtime: &sandtrade_runtime::Runtime,
    name: &str,
    sidecar: Sidecar,
) -> Fleet<AcceptAll> {
    let mut fleet =
        Fleet::new(runtime.clone(), Box::new(|_| AcceptAll::default())).expect("the fleet starts");
    let compiled = compile_file(runtime, None, &guests::wasm(name)).expect("compiles");
    fleet
        .install(name.into(), Arc::new(compiled), sidecar)
        .expect("installs");
    fleet
}

/// The live path for one strategy: subscription lookup, the call, its timing and counters.
fn fleet_variant(runtime: &sandtrade_runtime::Runtime) -> Variant {
    let mut fleet = fleet_of(runtime, "empty", Sidecar::default());
    let instrument = normalize("AAPL").expect("a US ticker");
    let mut close = 185.0;
    let mut start_ms = support::START_MS;
    Variant {
        name: FLEET_VARIANT.into(),
        call: Box::new(move || {
            for _ in 0..CALLS_PER_BATCH {
                close += 0.0001;
                start_ms += 60_000;
                fleet.on_bar(&support::bar_event(&instrument, start_ms, close), start_ms);
            }
            let status = fleet.status_of("empty").expect("installed");
            assert_eq!(status.state, "running", "{:?}", status.last_error);
            CALLS_PER_BATCH
        }),
        cpu: Samples::new(),
        wall: Samples::new(),
    }
}

/// The live path for a strategy of two contracts (ma-crossover: AAPL and MSFT): the bars of
/// `minutes` minutes at a time, in one `Fleet::on_bars` call (`minutes` 0: one `Fleet::on_bar`
/// a bar). Rising closes: after the first crossing, every call is the averages and nothing
/// else. Counts bars.
fn fleet_pair_variant(runtime: &sandtrade_runtime::Runtime, name: &str, minutes: usize) -> Variant {
    let sidecar = sidecar::load_for(&guests::wasm("ma-crossover"))
        .expect("the sidecar parses")
        .unwrap_or_default();
    let mut fleet = fleet_of(runtime, "ma-crossover", sidecar);
    let (aapl, msft) = (
        normalize("AAPL").expect("a US ticker"),
        normalize("MSFT").expect("a US ticker"),
    );
    let mut close = 185.0;
    let mut start_ms = support::START_MS;
    Variant {
        name: name.into(),
        call: Box::new(move || {
            let mut due = Vec::with_capacity(4);
            for _ in 0..CALLS_PER_BATCH / (2 * minutes.max(1) as u64) {
                due.clear();
                for _ in 0..minutes.max(1) {
                    close += 0.0001;
                    start_ms += 60_000;
                    due.push(support::bar_event(&aapl, start_ms, close));
                    due.push(support::bar_event(&msft, start_ms, close * 2.0));
                }
                if minutes == 0 {
                    for bar in &due {
                        fleet.on_bar(bar, start_ms);
                    }
                } else {
                    fleet.on_bars(&due, start_ms);
                }
            }
            let status = fleet.status_of("ma-crossover").expect("installed");
            assert_eq!(status.state, "running", "{:?}", status.last_error);
            CALLS_PER_BATCH
        }),
        cpu: Samples::new(),
        wall: Samples::new(),
    }
}

fn main() {
    support::header(
        "Boundary cost of one strategy call",
        "cargo bench -p sandtrade-tests --bench boundary",
    );
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));
    let empty = guests::wasm("empty");
    let crossover = guests::wasm("ma-crossover");
    let hostile = guests::wasm("hostile");

    let mut variants = Vec::new();
    let mut storms = Vec::new();
    let twelve = "ABCDEFGHIJKL";
    let sixty_four = "S".repeat(64);
    for (budget_name, budget) in BUDGETS {
        let runtime = support::runtime(budget);
        let prepared = support::prepare(&runtime, &empty);
        for symbol in ["AAPL", "", twelve, &sixty_four] {
            let name = format!(
                "empty on-bar, {budget_name}, symbol of {} bytes",
                symbol.len()
            );
            if wanted(&name) {
                let instance = support::start(&runtime, &prepared, &[]);
                variants.push(on_bar_variant(name, instance, bar(symbol), 0.0001));
            }
        }
        let name = format!("ma-crossover on-bar (no crossing), {budget_name}");
        if wanted(&name) {
            let prepared = support::prepare(&runtime, &crossover);
            let params = [("fast", "10"), ("slow", "30"), ("quantity", "100")];
            let instance = support::start(&runtime, &prepared, &params);
            // Rising closes: the averages never cross again after the first 30 bars, so every
            // call is the two moving averages and nothing else.
            variants.push(on_bar_variant(name, instance, bar("AAPL"), 0.0001));
        }
        if budget == CpuBudget::Deadline && wanted(FLEET_VARIANT) {
            variants.push(fleet_variant(&runtime));
        }
        for (name, minutes) in [
            (PAIR_ONE_BY_ONE, 0),
            (PAIR_TOGETHER, 1),
            (PAIR_TWO_MINUTES, 2),
        ] {
            if budget == CpuBudget::Deadline && wanted(name) {
                variants.push(fleet_pair_variant(&runtime, name, minutes));
            }
        }
        if wanted(&format!("emit, {budget_name}")) {
            let prepared = support::prepare(&runtime, &hostile);
            storms.push((budget_name, runtime.clone(), prepared));
        }
    }

    for variant in &mut variants {
        (variant.call)(); // warm-up: caches, branch predictors, lazy initialization
    }
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ROUNDS);
    for _ in 0..rounds {
        for variant in &mut variants {
            let watch = Stopwatch::start();
            let calls = (variant.call)();
            let lap = watch.lap();
            variant.cpu.push(ns_per(lap.thread_cpu, calls));
            variant.wall.push(ns_per(lap.wall, calls));
        }
    }

    let mut table = Table::new(
        format!(
            "one on-bar call, thread CPU time: median of {rounds} batches of {CALLS_PER_BATCH} \
             calls, variants interleaved"
        ),
        "ns/call",
        Target::AtMost(TARGET_NS),
    );
    table.extra_column("wall ns/call");
    for variant in &variants {
        let target = if variant.name.starts_with("empty") {
            Target::AtMost(TARGET_NS)
        } else {
            Target::None
        };
        table.row_with_extra(&variant.name, &variant.cpu, target, Some(&variant.wall));
    }
    if !variants.is_empty() {
        table.print();
    }

    let empty_ns = |budget_name: &str, bytes: usize| {
        let name = format!("empty on-bar, {budget_name}, symbol of {bytes} bytes");
        variants
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.cpu.median())
    };
    for (budget_name, _) in BUDGETS {
        let lengths = [0, 4, 12, 64].map(|bytes| empty_ns(budget_name, bytes));
        let [Some(none), Some(four), Some(twelve), Some(sixty_four)] = lengths else {
            continue;
        };
        println!(
            "the bar's symbol string, {budget_name}: 4 bytes {:+.1} ns, 12 bytes {:+.1} ns, \
             64 bytes {:+.1} ns against an empty symbol ({none:.1} ns/call; an empty string \
             still makes the guest cabi_realloc call)",
            four - none,
            twelve - none,
            sixty_four - none,
        );
    }
    let per_bar = |name: &str| {
        variants
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.cpu.median())
    };
    if let Some(one_by_one) = per_bar(PAIR_ONE_BY_ONE) {
        for (name, bars) in [(PAIR_TOGETHER, 2), (PAIR_TWO_MINUTES, 4)] {
            if let Some(batched) = per_bar(name) {
                println!(
                    "{bars} bars in one on-bars call: {batched:.1} ns a bar against \
                     {one_by_one:.1} ns with a call each, {:.2}x as fast",
                    one_by_one / batched
                );
            }
        }
    }
    println!();

    let mut emits = Table::new(
        format!(
            "one emit round trip, thread CPU time (hostile emit-storm, {STORM_EMITS} emits in \
             one on-bar, minus the same call with 0): median of {STORM_ROUNDS}"
        ),
        "ns/emit",
        Target::None,
    );
    emits.extra_column("wall ns/emit");
    for (budget_name, runtime, prepared) in &storms {
        let emits_param = STORM_EMITS.to_string();
        let time_storm = |emits: &str| {
            let params = [("mode", "emit-storm"), ("at", "1"), ("emits", emits)];
            let mut instance = support::start(runtime, prepared, &params);
            let watch = Stopwatch::start();
            let stats = instance.on_bar(&bar("AAPL")).expect("the storm ends");
            let lap = watch.lap();
            assert_eq!(stats.emits.to_string(), emits, "every emit arrived");
            assert_eq!(stats.rejections, 0);
            lap
        };
        time_storm(&emits_param); // warm-up
        let (mut cpu, mut wall) = (Samples::new(), Samples::new());
        let emitted = u64::from(STORM_EMITS);
        for _ in 0..STORM_ROUNDS {
            let storm = time_storm(&emits_param);
            let quiet = time_storm("0");
            cpu.push(ns_per(
                storm.thread_cpu.saturating_sub(quiet.thread_cpu),
                emitted,
            ));
            wall.push(ns_per(storm.wall.saturating_sub(quiet.wall), emitted));
        }
        emits.row_with_extra(
            format!("emit, {budget_name}"),
            &cpu,
            Target::None,
            Some(&wall),
        );
    }
    if !storms.is_empty() {
        emits.print();
    }
}
