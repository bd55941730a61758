//! The host functions. On wasm they are the component's imports; on other targets
//! (native unit tests) they are served by the per-thread mock in [`crate::testing`].
//!
//! Inside `on-bars`, the host must know which bar the strategy is on when it calls anything
//! that answers as of a bar: [`batch`] keeps the cursor and tells the host lazily, only before
//! such a call.

use crate::{
    BracketIds, CancelOutcome, CancelRefusal, Exits, Level, ModifyOutcome, ModifyRefusal,
    OrderChange, Position, Rejection, Signal, WorkingOrder,
};

#[cfg(target_arch = "wasm32")]
use self::component as imp;
#[cfg(not(target_arch = "wasm32"))]
use crate::testing as imp;

pub(crate) fn emit(signal: &Signal) -> Result<u64, Rejection> {
    batch::sync_cursor();
    imp::emit(signal)
}

pub(crate) fn emit_bracket(entry: &Signal, exits: &Exits) -> Result<BracketIds, Rejection> {
    batch::sync_cursor();
    imp::emit_bracket(entry, exits)
}

pub(crate) fn working_orders() -> Vec<WorkingOrder> {
    batch::sync_cursor();
    imp::working_orders()
}

pub(crate) fn cancel(signal_id: u64) -> Result<CancelOutcome, CancelRefusal> {
    batch::sync_cursor();
    imp::cancel(signal_id)
}

pub(crate) fn modify(signal_id: u64, change: &OrderChange) -> Result<ModifyOutcome, ModifyRefusal> {
    batch::sync_cursor();
    imp::modify(signal_id, change)
}

pub(crate) fn position(symbol: &str) -> Option<Position> {
    batch::sync_cursor();
    imp::position(symbol)
}

pub(crate) fn now_ms() -> i64 {
    batch::sync_cursor();
    imp::now_ms()
}

pub(crate) fn log(level: Level, message: &str) {
    imp::log(level, message)
}

pub(crate) fn log_level() -> Level {
    imp::log_level()
}

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::sandtrade::strategy::host;
    use crate::{
        BracketIds, CancelOutcome, CancelRefusal, Exits, Level, ModifyOutcome, ModifyRefusal,
        OrderChange, Position, Rejection, Signal, WorkingOrder,
    };

    pub(crate) fn emit(signal: &Signal) -> Result<u64, Rejection> {
        host::emit(signal)
    }

    pub(crate) fn emit_bracket(entry: &Signal, exits: &Exits) -> Result<BracketIds, Rejection> {
        host::emit_bracket(entry, *exits)
    }

    pub(crate) fn working_orders() -> Vec<WorkingOrder> {
        host::working_orders()
    }

    pub(crate) fn cancel(signal_id: u64) -> Result<CancelOutcome, CancelRefusal> {
        host::cancel(signal_id)
    }

    pub(crate) fn modify(
        signal_id: u64,
        change: &OrderChange,
    ) -> Result<ModifyOutcome, ModifyRefusal> {
        host::modify(signal_id, *change)
    }

    pub(crate) fn position(symbol: &str) -> Option<Position> {
        host::position(symbol)
    }

    pub(crate) fn log(level: Level, message: &str) {
        host::log(level, message)
    }

    pub(crate) fn now_ms() -> i64 {
        host::now_ms()
    }

    pub(crate) fn log_level() -> Level {
        host::log_level()
    }

    pub(crate) fn handling_bar(index: u32) {
        host::handling_bar(index)
    }
}

/// The cursor of an `on-bars` batch: which bar the strategy is on, and which one the host was
/// last told of. Telling the host costs a call, so it is told only before a call that answers
/// as of a bar, and only when the bar changed: a strategy that calls the host on 3 bars of a
/// batch of 1,000 pays for 3.
pub(crate) mod batch {
    use std::cell::Cell;

    thread_local! {
        /// (the bar being handled, the bar the host knows of).
        static CURSOR: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
    }

    /// A batch starts (or ended): the host takes its first bar as the current one.
    pub(crate) fn start() {
        CURSOR.with(|c| c.set((0, 0)));
    }

    /// The strategy moves on to bar `index` of the batch.
    pub(crate) fn at(index: u32) {
        CURSOR.with(|c| c.set((index, c.get().1)));
    }

    /// Tells the host the current bar if it does not know it yet.
    pub(crate) fn sync_cursor() {
        CURSOR.with(|c| {
            let (current, told) = c.get();
            if current != told {
                super::imp::handling_bar(current);
                c.set((current, current));
            }
        })
    }
}
