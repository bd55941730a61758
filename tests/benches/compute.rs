//! A compute-bound strategy compiled to wasm against the same Rust compiled natively: the
//! `compute` guest (its `on-bar` runs `compute_kernel::Kernel::update` over a window of closes
//! and decides) against `compute_kernel` called natively on the same closes, same window.
//!
//! `cargo bench -p sandtrade-tests --bench compute`
//!
//! Method: the guest and the native kernel see the same price series (a deterministic random
//! walk) and take turns batch by batch; a figure is the median over batches of the time per
//! bar, in this thread's CPU time (wall-clock medians in the last column).
//!
//! One more row takes the wasm side apart: the same component on an engine with neither epoch
//! interruption nor fuel (no host mode runs like this: a strategy must be stoppable). The
//! difference to the two real rows is what the CPU-limit checks on loop back-edges cost; the
//! rest is wasm code generation and the call. The guest's figure includes the call boundary (see the `boundary` bench), which is why
//! a small window is shown too. Both make the same decisions; the guest emits its one entry
//! signal (to a desk that takes it) and then waits for a fill that never comes, so every later
//! bar is the kernel and the call, like the native loop.

mod support;

use std::hint::black_box;

use bench_kit::{Samples, Stopwatch, Table, Target, ns_per};
use compute_kernel::{DEFAULT_WINDOW, Decision, Kernel};
use sandtrade_runtime::bindings::{self, Bar};
use sandtrade_runtime::{StrategyInstance, StrategyState, linker};
use sandtrade_tests::guests;
use support::{AcceptAll, BUDGETS};

/// The target: wasm at most this many times native.
const TARGET_RATIO: f64 = 1.5;
/// Timed batches per variant.
const ROUNDS: usize = 31;

/// A deterministic random walk of closes around 100 (xorshift; no dependency).
struct Walk {
    state: u64,
    close: f64,
}

impl Walk {
    fn new() -> Self {
        Self {
            state: 0x9E37_79B9_7F4A_7C15,
            close: 100.0,
        }
    }

    fn next_close(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let step = (self.state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        self.close = (self.close * (1.0 + step * 0.002)).max(1.0);
        self.close
    }
}

/// The guest strategy's per-bar work, natively: the kernel and the decision.
struct Native {
    kernel: Kernel,
    walk: Walk,
    holding: bool,
    pending: bool,
}

impl Native {
    fn new(window: usize) -> Self {
        Self {
            kernel: Kernel::new(window),
            walk: Walk::new(),
            holding: false,
            pending: false,
        }
    }

    fn bars(&mut self, count: u64) {
        for _ in 0..count {
            let close = black_box(self.walk.next_close());
            let Some(stats) = self.kernel.update(close) else {
                continue;
            };
            if self.pending {
                continue;
            }
            match black_box(stats).decide(self.holding) {
                Decision::Buy | Decision::Sell => self.pending = true,
                Decision::Hold => {}
            }
        }
    }
}

/// How the guest is called.
enum Calls {
    /// Through the runtime, under its CPU budget.
    Runtime(StrategyInstance<AcceptAll>),
    /// Straight through the generated bindings on an engine without CPU limits.
    Unlimited(Unlimited),
}

/// The guest, fed the same walk.
struct Guest {
    calls: Calls,
    walk: Walk,
    bar: Bar,
}

impl Guest {
    fn new(calls: Calls, window: usize) -> Self {
        let mut guest = Guest {
            calls,
            walk: Walk::new(),
            bar: support::guest_bar("AAPL", support::START_MS, 100.0),
        };
        guest.bars(window as u64); // fill the window
        guest
    }

    fn bars(&mut self, count: u64) {
        for _ in 0..count {
            let close = self.walk.next_close();
            self.bar.close = close;
            self.bar.open = close;
            self.bar.high = close;
            self.bar.low = close;
            self.bar.start_ms += 60_000;
            match &mut self.calls {
                Calls::Runtime(instance) => {
                    black_box(instance.on_bar(&self.bar).expect("a benign call"));
                }
                Calls::Unlimited(unlimited) => unlimited.on_bar(&self.bar),
            }
        }
    }

    fn emitted(&self) -> u64 {
        match &self.calls {
            Calls::Runtime(instance) => instance.desk().emitted,
            Calls::Unlimited(unlimited) => unlimited.store.data().desk().emitted,
        }
    }
}

/// The component on a bare engine: the host's linker and store state, no epoch, no fuel.
struct Unlimited {
    store: wasmtime::Store<StrategyState<AcceptAll>>,
    strategy: bindings::Strategy,
}

impl Unlimited {
    fn new(wasm: &std::path::Path, window: &str) -> Self {
        let mut config = wasmtime::Config::new();
        config.concurrency_support(false); // as the host's engine (engine.rs)
        let engine = wasmtime::Engine::new(&config).expect("engine");
        let component = wasmtime::component::Component::from_file(&engine, wasm).expect("compiles");
        let linker = linker::strategy_linker::<AcceptAll>(&engine).expect("linker");
        let pre = linker.instantiate_pre(&component).expect("links");
        let pre = bindings::StrategyPre::new(pre).expect("the strategy world");
        let state = StrategyState::new("compute".into(), AcceptAll::default(), 64 << 20, 16_384);
        let mut store = wasmtime::Store::new(&engine, state);
        let strategy = pre.instantiate(&mut store).expect("instantiates");
        strategy.call_describe(&mut store).expect("describes");
        let params = [("window".to_owned(), window.to_owned())];
        strategy
            .call_init(&mut store, &params)
            .expect("no trap")
            .expect("accepts its params");
        Self { store, strategy }
    }

    fn on_bar(&mut self, bar: &Bar) {
        self.strategy
            .call_on_bar(&mut self.store, bar)
            .expect("a benign call");
    }
}

fn main() {
    support::header(
        "Compute-bound strategy: wasm against native",
        "cargo bench -p sandtrade-tests --bench compute",
    );
    let wasm = guests::wasm("compute");
    for window in [DEFAULT_WINDOW, 64] {
        // Enough bars per batch for ~2 ms of work, whatever the window.
        let bars_per_batch = (2_000_000 / (2 * window as u64)).max(100);
        let window_param = window.to_string();
        let mut native = Native::new(window);
        native.bars(window as u64); // fill the window
        let mut guests: Vec<(&str, Guest)> = BUDGETS
            .iter()
            .map(|&(budget_name, budget)| {
                let runtime = support::runtime(budget);
                let prepared = support::prepare(&runtime, &wasm);
                let instance = support::start(&runtime, &prepared, &[("window", &window_param)]);
                (budget_name, Guest::new(Calls::Runtime(instance), window))
            })
            .collect();
        let unlimited = Unlimited::new(&wasm, &window_param);
        guests.push((
            "no CPU limit (bare engine)",
            Guest::new(Calls::Unlimited(unlimited), window),
        ));

        // (CPU, wall) samples: the native loop first, then each guest.
        let mut samples = vec![(Samples::new(), Samples::new()); 1 + guests.len()];
        for round in 0..=ROUNDS {
            let mut laps = Vec::new();
            let watch = Stopwatch::start();
            native.bars(bars_per_batch);
            laps.push(watch.lap());
            for (_, guest) in &mut guests {
                let watch = Stopwatch::start();
                guest.bars(bars_per_batch);
                laps.push(watch.lap());
            }
            if round == 0 {
                continue; // warm-up
            }
            for ((cpu, wall), lap) in samples.iter_mut().zip(laps) {
                cpu.push(ns_per(lap.thread_cpu, bars_per_batch));
                wall.push(ns_per(lap.wall, bars_per_batch));
            }
        }
        let mut table = Table::new(
            format!(
                "window {window}, thread CPU time: median of {ROUNDS} batches of \
                 {bars_per_batch} bars, interleaved"
            ),
            "ns/bar",
            Target::None,
        );
        table.extra_column("wall ns/bar");
        let (native_cpu, native_wall) = &samples[0];
        let native_median = table.row_with_extra(
            "compute-kernel, native (release)",
            native_cpu,
            Target::None,
            Some(native_wall),
        );
        for ((budget_name, guest), (cpu, wall)) in guests.iter().zip(&samples[1..]) {
            let target = match guest.calls {
                Calls::Runtime(_) => Target::AtMost(native_median * TARGET_RATIO),
                Calls::Unlimited(_) => Target::None,
            };
            table.row_with_extra(
                format!("compute guest, wasm, {budget_name}"),
                cpu,
                target,
                Some(wall),
            );
        }
        table.print();
        println!(
            "  target: wasm at most {TARGET_RATIO}x native (the vs-target column is against \
             {TARGET_RATIO} x the native median)\n"
        );
        for (_, guest) in &guests {
            // The same series gives the same one entry decision on both sides.
            assert_eq!(guest.emitted(), u64::from(native.pending), "same decisions");
        }
    }
}
