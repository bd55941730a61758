//! Nanoseconds per `Validator::check`, on the accept path and on the common reject paths.
//!
//! `cargo bench -p sandtrade-risk --bench risk`
//!
//! The book holds nothing and knows a price for each instrument, and every limit is set, so
//! that every rule runs on the accept path.

use std::hint::black_box;

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use sandtrade_core::{Action, OrderType, SignalRequest};

#[path = "../tests/support/priced_world.rs"]
mod support;

const T0: i64 = 1_704_205_800_000;

/// What the measured check is expected to answer.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    /// Accepted; the clock moves a second per signal, so the 60/min window always has room.
    Accept,
    /// Refused by a rule; the clock moves as for `Accept`.
    Reject,
    /// Refused by the rate: the window is used up first and the clock stands still (a flood).
    Flood,
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

fn check(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    s: &SignalRequest,
    outcome: Outcome,
) {
    let (validator, mut gate, sim) = support::priced_world(&["AAPL", "MSFT", "0700.HK"]);
    let mut now = T0;
    if outcome == Outcome::Flood {
        while validator.check(&mut gate, s, &sim, now).is_ok() {}
    }
    group.bench_function(name, |b| {
        b.iter(|| {
            if outcome != Outcome::Flood {
                now += 1_000;
            }
            let result = validator.check(&mut gate, black_box(s), &sim, now);
            assert_eq!(
                result.is_ok(),
                outcome == Outcome::Accept,
                "{name}: {result:?}"
            );
            black_box(result)
        })
    });
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("risk check");
    for (name, s, outcome) in [
        (
            "accept: market open-long AAPL, every rule",
            signal(Action::OpenLong, "AAPL", 100),
            Outcome::Accept,
        ),
        (
            "accept: open-long 00700 (spelt unlike the declaration)",
            signal(Action::OpenLong, "00700", 100),
            Outcome::Accept,
        ),
        (
            "reject: short-not-allowed (message with values)",
            signal(Action::ReduceLong, "AAPL", 150),
            Outcome::Reject,
        ),
        (
            "reject: lot-size",
            signal(Action::OpenLong, "0700.HK", 150),
            Outcome::Reject,
        ),
        (
            "reject: rate-limit (a flood in one bar)",
            signal(Action::OpenLong, "AAPL", 100),
            Outcome::Flood,
        ),
    ] {
        check(&mut group, name, &s, outcome);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
