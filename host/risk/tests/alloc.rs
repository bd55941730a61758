//! The validator allocates nothing on the accept path beyond the order it returns.
//!
//! Its own test binary, because it installs a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sandtrade_core::{Action, OrderType, SignalRequest};

#[path = "support/priced_world.rs"]
mod support;
use support::priced_world;

/// Counts the allocations of the current thread (other test threads do not disturb it).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn accepting_a_signal_allocates_nothing_but_its_reason() {
    let (validator, mut gate, sim) = priced_world(&["AAPL", "0700.HK"]);
    let signals = [
        SignalRequest {
            action: Action::OpenLong,
            symbol: "AAPL".into(),
            quantity: 100,
            order_type: OrderType::Market,
            timing: sandtrade_core::Timing::DAY,
            reason: String::new(),
        },
        SignalRequest {
            action: Action::OpenLong,
            symbol: "0700.HK".into(),
            quantity: 200,
            order_type: OrderType::Limit(99.5),
            timing: sandtrade_core::Timing::DAY,
            reason: String::new(),
        },
    ];
    for (i, signal) in signals.iter().enumerate() {
        let before = allocations();
        let order = validator.check(&mut gate, signal, &sim, 1_000 * i as i64);
        let after = allocations();
        assert_eq!(order.map(|o| o.quantity), Ok(signal.quantity));
        assert_eq!(
            after - before,
            0,
            "{} allocations accepting {signal:?}",
            after - before
        );
    }

    let with_reason = SignalRequest {
        reason: "crossed above".into(),
        ..signals[0].clone()
    };
    let before = allocations();
    let order = validator
        .check(&mut gate, &with_reason, &sim, 5_000)
        .unwrap();
    assert_eq!(
        (allocations() - before, order.reason.as_str()),
        (1, "crossed above")
    );
}
