//! A strategy that reads the wall clock with `SystemTime::now()`: its component imports
//! `wasi:clocks`, and the host must refuse it at load (strategies get time only from the
//! host, `now_ms()`, which is the replay time in a backtest). Were it ever run, it would log
//! both clocks.

use std::time::{SystemTime, UNIX_EPOCH};

use sandtrade_guest::prelude::*;

/// The strategy: no state.
pub struct ClockSnoop;

impl Strategy for ClockSnoop {
    fn describe() -> Metadata {
        Metadata::new("clock-snoop", env!("CARGO_PKG_VERSION"), ["AAPL"], 60)
    }

    fn init(_params: &Params) -> Result<Self, String> {
        Ok(ClockSnoop)
    }

    fn on_bar(&mut self, _bar: &Bar) {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        error!(
            "clock-snoop: own clock {wall_ms} ms, host clock {} ms",
            now_ms()
        );
    }
}

export_strategy!(ClockSnoop);
