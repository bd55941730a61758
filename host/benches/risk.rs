//! Nanoseconds per `Validator::check`, on the accept path and on the common reject paths.
//!
//! `cargo bench -p sandtrade --bench risk`
//!
//! The book is the backtest simulator (what a backtest uses), with a price known, and the
//! limits set so that every rule runs on the accept path.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sandtrade::backtest::{Bar, Sim, SimConfig, SymbolTable};
use sandtrade::risk::{
    Action, Limits, LotTable, OrderType, SignalRequest, StrategyGate, TradingSwitch, Validator,
};

const T0: i64 = 1_704_205_800_000;

fn setup() -> (Validator, StrategyGate, Sim) {
    let limits = Limits {
        max_position_shares: Some(10_000),
        max_position_notional: Some(1e7),
        max_order_shares: Some(5_000),
        max_order_notional: Some(1e6),
        max_signals_per_minute: Some(60),
    };
    let gate = StrategyGate::new("bench", &["AAPL", "MSFT", "0700.HK"], &limits).expect("valid");
    let table = SymbolTable::new(gate.instruments().iter().cloned());
    let mut sim = Sim::new(&SimConfig::default(), table.clone()).expect("valid");
    for (id, _) in table.iter() {
        let bar = Bar {
            symbol: id,
            time_ms: T0,
            open: 100.0,
            high: 100.0,
            low: 100.0,
            close: 100.0,
            volume: 1.0,
        };
        sim.open(&bar);
        sim.mark(&bar);
    }
    (
        Validator::new(LotTable::builtin(), TradingSwitch::new()),
        gate,
        sim,
    )
}

fn signal(action: Action, symbol: &str, quantity: u32) -> SignalRequest {
    SignalRequest {
        action,
        symbol: symbol.into(),
        quantity,
        order_type: OrderType::Market,
        reason: String::new(),
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("risk check");

    // One signal a second of strategy time: the 60/min window always has room.
    let accept = |name: &str, s: SignalRequest, group: &mut criterion::BenchmarkGroup<'_, _>| {
        let (validator, mut gate, sim) = setup();
        let mut now = T0;
        group.bench_function(name, |b| {
            b.iter(|| {
                now += 1_000;
                let order = validator.check(&mut gate, black_box(&s), &sim, now);
                black_box(order.expect("accepted"))
            })
        });
    };
    accept(
        "accept: market open-long AAPL, every rule",
        signal(Action::OpenLong, "AAPL", 100),
        &mut group,
    );
    accept(
        "accept: open-long 00700 (spelt unlike the declaration)",
        signal(Action::OpenLong, "00700", 100),
        &mut group,
    );

    let reject = |name: &str,
                  s: SignalRequest,
                  fixed_clock: bool,
                  group: &mut criterion::BenchmarkGroup<'_, _>| {
        let (validator, mut gate, sim) = setup();
        let mut now = T0;
        if fixed_clock {
            // Use up the window: every later signal in this instant is refused by the rate.
            while validator.check(&mut gate, &s, &sim, now).is_ok() {}
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                if !fixed_clock {
                    now += 1_000;
                }
                let rejection = validator.check(&mut gate, black_box(&s), &sim, now);
                black_box(rejection.expect_err("rejected"))
            })
        });
    };
    reject(
        "reject: short-not-allowed (message with values)",
        signal(Action::ReduceLong, "AAPL", 150),
        false,
        &mut group,
    );
    reject(
        "reject: lot-size",
        signal(Action::OpenLong, "0700.HK", 150),
        false,
        &mut group,
    );
    reject(
        "reject: rate-limit (a flood in one bar)",
        signal(Action::OpenLong, "AAPL", 100),
        true,
        &mut group,
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
