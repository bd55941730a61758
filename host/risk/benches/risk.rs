//! Nanoseconds of CPU per `Validator::check`, on the accept path and on the common reject
//! paths, side by side (the first row is the baseline of the ratios).
//!
//! `cargo bench -p sandtrade-risk --bench risk`
//!
//! The book holds nothing and knows a price for each instrument, and every limit is set, so
//! that every rule runs on the accept path.

use std::hint::black_box;

use bench_kit::{Samples, Table, Target, ns_per, thread_cpu_time};
use sandtrade_core::{Action, OrderType, SignalRequest};
use sandtrade_risk::{StrategyGate, Validator};

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
        timing: sandtrade_core::Timing::DAY,
        reason: String::new(),
    }
}

/// Checks per timed batch, and batches per case: the cases take turns batch by batch, so a
/// spell of load on the shared machine spreads over all of them instead of one.
const CHECKS_PER_BATCH: u64 = 20_000;
const ROUNDS: usize = 25;

/// One case: its world, primed as `outcome` needs, and its clock.
struct Case {
    name: &'static str,
    signal: SignalRequest,
    outcome: Outcome,
    validator: Validator,
    gate: StrategyGate,
    book: support::PricedBook,
    now: i64,
    ns: Samples,
}

impl Case {
    fn new(name: &'static str, signal: SignalRequest, outcome: Outcome) -> Self {
        let (validator, mut gate, book) = support::priced_world(&["AAPL", "MSFT", "0700.HK"]);
        if outcome == Outcome::Flood {
            while validator.check(&mut gate, &signal, &book, T0).is_ok() {}
        }
        Self {
            name,
            signal,
            outcome,
            validator,
            gate,
            book,
            now: T0,
            ns: Samples::new(),
        }
    }

    /// Times one batch on this thread's CPU clock (a descheduled spell is not counted).
    fn batch(&mut self) {
        let start = thread_cpu_time();
        for _ in 0..CHECKS_PER_BATCH {
            if self.outcome != Outcome::Flood {
                self.now += 1_000;
            }
            let result = self.validator.check(
                &mut self.gate,
                black_box(&self.signal),
                &self.book,
                self.now,
            );
            assert_eq!(
                result.is_ok(),
                self.outcome == Outcome::Accept,
                "{}: {result:?}",
                self.name
            );
            let _checked = black_box(result);
        }
        self.ns
            .push(ns_per(thread_cpu_time() - start, CHECKS_PER_BATCH));
    }
}

fn main() {
    println!("One risk check, every rule on the accept path");
    println!("command: cargo bench -p sandtrade-risk --bench risk");
    println!("machine: {}", bench_kit::Machine::now());
    println!();
    let mut cases = [
        Case::new(
            "accept: market open-long AAPL, every rule",
            signal(Action::OpenLong, "AAPL", 100),
            Outcome::Accept,
        ),
        Case::new(
            "accept: open-long 00700 (spelt unlike the declaration)",
            signal(Action::OpenLong, "00700", 100),
            Outcome::Accept,
        ),
        Case::new(
            "reject: short-not-allowed (message with values)",
            signal(Action::ReduceLong, "AAPL", 150),
            Outcome::Reject,
        ),
        Case::new(
            "reject: lot-size",
            signal(Action::OpenLong, "0700.HK", 150),
            Outcome::Reject,
        ),
        Case::new(
            "reject: rate-limit (a flood in one bar)",
            signal(Action::OpenLong, "AAPL", 100),
            Outcome::Flood,
        ),
    ];
    for _ in 0..ROUNDS {
        for case in &mut cases {
            case.batch();
        }
    }
    let mut table = Table::new(
        format!("risk check, CPU time, {ROUNDS} batches of {CHECKS_PER_BATCH} per case"),
        "ns/check",
        Target::None,
    );
    for case in &cases {
        table.row(case.name, &case.ns);
    }
    table.print();
}
