//! Sustained accepted signals per second through the live desk — the risk check
//! (`Validator::check`) and the durable accept (`OrderStore::accept`) — at each `synchronous`
//! setting, with one commit per signal and with one commit per bar.
//!
//! Rows, per setting:
//! - `risk check only`: `Validator::check` against the book, nothing stored (its share);
//! - `emit`: what a strategy's `emit` costs the host: check + accept;
//! - `emit + take, 1 per commit`: each accepted signal then taken `sending` with its own
//!   commit, as the trading loop does when one signal arrives per bar;
//! - `10 emits + 1 take`: ten signals in one bar (many strategies), taken in one commit;
//! - `bar of N, one commit`: what the trading loop does with a bar now: N strategies emit
//!   one signal each, the orders are taken, and the store commits once for all of it
//!   (`OrderStore::group`). The target is for bursts: all signals of one bar in one commit.
//!
//! The signals come from 64 strategies in turn (each strategy's own rate limit is at most
//! 6,000 a minute), buying 1 share of AAPL with no other limit set. `signals/s` is wall-clock
//! (on a shared machine it includes time other processes took); `CPU µs` is this thread's own
//! CPU time per signal and `capacity/s` its inverse: what one unshared core sustains.
//!
//! Run: `cargo bench -p sandtrade-trading --bench signals` (`-- --quick` for a short run).

use bench_kit::signals::{Figures, figures, print_header, print_row};
use bench_kit::thread_cpu_time as thread_cpu;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sandtrade_core::clock::DurationText;
use sandtrade_core::{Action, LotTable, OrderType, SignalRequest};
use sandtrade_orders::{OrderStore, StoreConfig, Synchronous};
use sandtrade_risk::{Limits, TradingSwitch, Validator};
use sandtrade_runtime::bindings;
use sandtrade_runtime::{Desk, DeskSpec, StrategyMetadata};
use sandtrade_trading::{LiveBook, LiveDesk, SharedBook};

/// The throughput target at the default setting.
const TARGET_PER_SECOND: f64 = 100_000.0;
const STRATEGIES: usize = 64;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (calls, time) = if quick {
        (20_000, Duration::from_secs(1))
    } else {
        (300_000, Duration::from_secs(5))
    };
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "signals bench: database in {} ({} cores); up to {calls} signals or {} per row, \
         {STRATEGIES} strategies in turn",
        dir.path().display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        DurationText(time),
    );
    println!();
    print_header("path");
    let mut default_rate = 0.0;
    let mut group_rates = Vec::new();
    for sync in Synchronous::ALL {
        let mut rig = Rig::new(&dir, sync, "check");
        let check = rig.measure(calls, time, 1, |rig, n| rig.check_only(n));
        print_row("risk check only", &sync, &check);

        let mut rig = Rig::new(&dir, sync, "emit");
        let emit = rig.measure(calls, time, 1, |rig, n| {
            rig.emit(n);
        });
        print_row("emit (risk + accept)", &sync, &emit);
        if sync == Synchronous::Normal {
            default_rate = emit.rate;
        }

        let mut rig = Rig::new(&dir, sync, "take1");
        let take = rig.measure(calls, time, 1, |rig, n| {
            rig.emit(n);
            rig.take(1);
        });
        print_row("emit + take, 1 per commit", &sync, &take);

        let mut rig = Rig::new(&dir, sync, "take10");
        let batch = rig.measure(calls / 10, time, 10, |rig, n| {
            for k in 0..10 {
                rig.emit(n * 10 + k);
            }
            rig.take(10);
        });
        print_row("10 emits + 1 take", &sync, &batch);

        for per_bar in [1, 10, STRATEGIES] {
            let mut rig = Rig::new(&dir, sync, &format!("group{per_bar}"));
            let bar = rig.measure(calls / per_bar, time, per_bar, |rig, n| {
                rig.bar(n, per_bar);
            });
            print_row(&format!("bar of {per_bar}, one commit"), &sync, &bar);
            if sync == Synchronous::Normal {
                group_rates.push((per_bar, bar.rate, bar.cpu_us));
            }
        }
    }
    println!();
    println!(
        "default (normal), one commit per signal: {default_rate:.0} accepted signals/s through \
         risk + the durable queue"
    );
    let mut burst = None;
    for (per_bar, rate, cpu_us) in group_rates {
        println!(
            "default (normal), one commit per bar of {per_bar}: {rate:.0}/s = {:.2}× one commit \
             per signal, {:.2}× the {TARGET_PER_SECOND:.0}/s target",
            rate / default_rate,
            rate / TARGET_PER_SECOND
        );
        burst = Some((rate, cpu_us));
    }
    if let Some((rate, cpu_us)) = burst
        && rate < TARGET_PER_SECOND
    {
        print_burst_limit(rate, cpu_us);
    }
}

/// Why the largest bar's rate misses the target: the thread's own CPU time per signal (the
/// work: risk, SQLite's b-trees, the working set), or, where that would allow the target, the
/// CPU the thread did not get (another process, the checkpoint thread, the disk).
fn print_burst_limit(rate: f64, cpu_us: f64) {
    let capacity = 1e6 / cpu_us;
    if capacity < TARGET_PER_SECOND {
        println!(
            "what limits it: the work itself: {cpu_us:.1} µs of this thread's CPU per signal \
             in a bar of {STRATEGIES}, at most {capacity:.0}/s on a core of this machine \
             ({:.1} µs a signal would reach the target)",
            1e6 / TARGET_PER_SECOND
        );
    } else {
        println!(
            "what limits it: waiting, not work: {cpu_us:.1} µs of CPU per signal allows \
             {capacity:.0}/s, but the thread ran {rate:.0}/s by the clock (the machine's other \
             work, the checkpoint thread, the disk)"
        );
    }
}

/// A book, a validator and the desks of `STRATEGIES` strategies.
struct Rig {
    book: SharedBook,
    validator: Validator,
    desks: Vec<LiveDesk>,
    gate: sandtrade_risk::StrategyGate,
}

impl Rig {
    fn new(dir: &tempfile::TempDir, sync: Synchronous, name: &str) -> Self {
        let path = dir.path().join(format!("{name}-{sync}.sqlite"));
        let mut store = OrderStore::open(&path, StoreConfig { synchronous: sync }).expect("open");
        store.observe_next_valid_id(1, 1).expect("id floor");
        let book: SharedBook = Arc::new(Mutex::new(LiveBook::new(store)));
        let validator = Validator::new(LotTable::builtin(), TradingSwitch::new());
        let metadata = StrategyMetadata::from_guest(bindings::Metadata {
            name: "bench".into(),
            version: "1".into(),
            symbols: vec!["AAPL".into()],
            bar_seconds: 5,
        })
        .expect("metadata");
        let limits = Limits {
            max_signals_per_minute: Some(6_000),
            ..Limits::default()
        };
        let desks = (0..STRATEGIES)
            .map(|i| {
                let spec = DeskSpec {
                    name: Arc::from(format!("bench-{i}")),
                    wasm_sha256: "0f3a9c2d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d".into(),
                    sidecar: Default::default(),
                };
                let mut desk = LiveDesk::new(&spec, &limits, validator.clone(), book.clone());
                desk.bind(&metadata).expect("the desk serves the strategy");
                desk
            })
            .collect();
        let gate = sandtrade_risk::StrategyGate::new("check", &["AAPL"], &limits).expect("gate");
        Self {
            book,
            validator,
            desks,
            gate,
        }
    }

    fn signal(n: usize) -> SignalRequest {
        SignalRequest {
            action: if n < STRATEGIES {
                Action::OpenLong
            } else {
                Action::AddLong
            },
            symbol: "AAPL".into(),
            quantity: 1,
            order_type: if n.is_multiple_of(2) {
                OrderType::Market
            } else {
                OrderType::Limit(187.25)
            },
            timing: sandtrade_core::Timing::DAY,
            reason: "bench".into(),
        }
    }

    fn emit(&mut self, n: usize) -> u64 {
        let desk = &mut self.desks[n % STRATEGIES];
        desk.emit(Self::signal(n)).expect("accepted")
    }

    fn check_only(&mut self, n: usize) {
        let book = self.book.lock().expect("book");
        let signal = SignalRequest {
            action: Action::OpenLong,
            ..Self::signal(n)
        };
        // Outside the rate window: a fresh minute every 6,000 checks.
        let now = i64::try_from(n / 6_000).expect("small") * 61_000;
        self.validator
            .check(&mut self.gate, &signal, &book.for_strategy("check"), now)
            .expect("accepted");
    }

    /// One bar as the trading loop handles it: `per_bar` strategies each emit one signal,
    /// their orders are taken for sending, and the store commits once (`OrderStore::group`).
    fn bar(&mut self, n: usize, per_bar: usize) {
        self.book.lock().expect("book").store.group();
        for k in 0..per_bar {
            self.emit(n * per_bar + k);
        }
        self.take(per_bar);
        self.book
            .lock()
            .expect("book")
            .store
            .commit_group()
            .expect("commit");
    }

    fn take(&mut self, n: usize) {
        let mut book = self.book.lock().expect("book");
        let taken = book.store.take_next(1, n).expect("take");
        assert_eq!(taken.len(), n);
    }

    /// Runs `op(self, i)` up to `calls` times (each worth `per_call` signals) or for `time`.
    fn measure(
        &mut self,
        calls: usize,
        time: Duration,
        per_call: usize,
        mut op: impl FnMut(&mut Self, usize),
    ) -> Figures {
        for n in 0..(100 / per_call).max(1) {
            op(self, n);
        }
        let mut samples = Vec::with_capacity(calls);
        let cpu = thread_cpu();
        let start = Instant::now();
        for n in 100..100 + calls {
            let t = Instant::now();
            op(self, n);
            samples.push(t.elapsed());
            if n.is_multiple_of(256) && start.elapsed() > time {
                break;
            }
        }
        figures(samples, start.elapsed(), thread_cpu() - cpu, per_call)
    }
}
