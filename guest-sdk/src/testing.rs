//! A per-thread mock host for native unit tests (not compiled for wasm).
//!
//! On a non-wasm target every host function of the SDK goes to the calling thread's
//! [`MockHost`]: [`emit`](crate::emit) records the signal and answers with the next id (or a
//! rejection queued with [`MockHost::reject_next`]), [`position`](crate::position) reads the
//! positions set with [`MockHost::set_position`], log lines are collected and
//! [`now_ms`](crate::now_ms) returns [`MockHost::set_now_ms`]'s value. Each test thread starts
//! with an empty mock.
//!
//! ```
//! use sandtrade_guest::prelude::*;
//! use sandtrade_guest::testing::MockHost;
//!
//! MockHost::reset();
//! MockHost::set_position("AAPL", 100, 187.5);
//! assert_eq!(held("AAPL"), 100);
//! let id = emit(Signal::reduce_long("AAPL", 40).reason("take profit")).unwrap();
//! assert_eq!(MockHost::signals()[0].quantity, 40);
//! assert_eq!(id, 1);
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use crate::{Level, Position, RejectCode, Rejection, Signal};

#[derive(Default)]
struct State {
    next_id: u64,
    signals: Vec<Signal>,
    rejections: VecDeque<Rejection>,
    positions: BTreeMap<String, Position>,
    logs: Vec<(Level, String)>,
    now_ms: i64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Controls and inspects the calling thread's mock host. All functions are associated
/// functions: there is one mock per thread.
#[derive(Debug)]
pub struct MockHost(());

impl MockHost {
    /// Forgets everything: signals, queued rejections, positions, log lines, clock, ids.
    pub fn reset() {
        STATE.with(|s| *s.borrow_mut() = State::default());
    }

    /// Sets (or, with `quantity == 0`, removes) this strategy's position in `symbol`.
    pub fn set_position(symbol: &str, quantity: u32, avg_cost: f64) {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            if quantity == 0 {
                s.positions.remove(symbol);
            } else {
                let position = Position {
                    symbol: symbol.to_string(),
                    quantity,
                    avg_cost,
                };
                s.positions.insert(symbol.to_string(), position);
            }
        })
    }

    /// Makes the next `emit` fail with `code` and `message` (queued, first in first out).
    pub fn reject_next(code: RejectCode, message: &str) {
        STATE.with(|s| {
            let rejection = Rejection {
                code,
                message: message.to_string(),
            };
            s.borrow_mut().rejections.push_back(rejection)
        })
    }

    /// Sets the value [`now_ms`](crate::now_ms) returns.
    pub fn set_now_ms(now_ms: i64) {
        STATE.with(|s| s.borrow_mut().now_ms = now_ms)
    }

    /// The signals accepted so far, oldest first.
    pub fn signals() -> Vec<Signal> {
        STATE.with(|s| s.borrow().signals.clone())
    }

    /// Returns and forgets the signals accepted so far.
    pub fn take_signals() -> Vec<Signal> {
        STATE.with(|s| std::mem::take(&mut s.borrow_mut().signals))
    }

    /// The log lines written so far, oldest first.
    pub fn logs() -> Vec<(Level, String)> {
        STATE.with(|s| s.borrow().logs.clone())
    }
}

pub(crate) fn emit(signal: &Signal) -> Result<u64, Rejection> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(rejection) = s.rejections.pop_front() {
            return Err(rejection);
        }
        s.next_id += 1;
        s.signals.push(signal.clone());
        Ok(s.next_id)
    })
}

pub(crate) fn position(symbol: &str) -> Option<Position> {
    STATE.with(|s| s.borrow().positions.get(symbol).cloned())
}

pub(crate) fn log(level: Level, message: &str) {
    STATE.with(|s| s.borrow_mut().logs.push((level, message.to_string())))
}

pub(crate) fn now_ms() -> i64 {
    STATE.with(|s| s.borrow().now_ms)
}
