//! `wasi:clocks` for components under the inert profile: both clocks read the host clock
//! ([`Desk::now_ms`]: the wall clock when trading, the replay time in a backtest, so a backtest
//! stays the same on every run), and every wait on them is over at once.
//!
//! The wall clock tells the time since the Unix epoch. The monotonic clock counts from the
//! strategy's first reading of it (in a backtest, from its first bar: before it the replay has
//! no time), as a real one counts from an arbitrary point: engines keep their readings in
//! narrow types (SpiderMonkey's `performance.now()` is a 32-bit float, which at a count of
//! milliseconds since 1970 would move in steps of two minutes).
//!
//! A strategy has nothing to wait for: it is called, it answers. A sleep that blocked would
//! only hold the trading thread until the call's deadline traps it (and a backtest, whose
//! budget is fuel, would never trap), so a pollable from these clocks is always ready.

use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::{monotonic_clock, wall_clock};
use wasmtime_wasi_io::poll::{Pollable, subscribe};

use super::host::Desk;

/// The clocks' view of one strategy's state: [`HasData`] for the linker.
pub(crate) struct InertClocks<D>(std::marker::PhantomData<D>);

impl<D: Desk> HasData for InertClocks<D> {
    type Data<'a> = ClockView<'a, D>;
}

/// What the clocks need from the store: the desk's time, the resource table for pollables,
/// the monotonic clock's origin and its last reading (a monotonic clock never goes back,
/// though the wall clock may).
pub(crate) struct ClockView<'a, D> {
    pub(crate) desk: &'a mut D,
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) monotonic: &'a mut MonotonicState,
}

/// The monotonic clock of one instance.
#[derive(Debug, Default)]
pub(crate) struct MonotonicState {
    /// The host time of the first reading with a time, in ms.
    origin_ms: Option<i64>,
    /// The last reading, in ns since the origin.
    floor_ns: u64,
}

impl MonotonicState {
    /// A reading at host time `now_ms` (0 or less: no time yet, as before a replay's first
    /// bar), in ns since the origin, never less than the last.
    fn read(&mut self, now_ms: i64) -> u64 {
        if now_ms > 0 {
            let origin = *self.origin_ms.get_or_insert(now_ms);
            let ns = u64::try_from(now_ms - origin)
                .unwrap_or(0)
                .saturating_mul(1_000_000);
            self.floor_ns = self.floor_ns.max(ns);
        }
        self.floor_ns
    }
}

/// The host clock's resolution: [`Desk::now_ms`] counts milliseconds.
const RESOLUTION_NS: u64 = 1_000_000;

impl<D: Desk> ClockView<'_, D> {
    fn now_ms(&mut self) -> i64 {
        self.desk.now_ms()
    }
}

impl<D: Desk> wall_clock::Host for ClockView<'_, D> {
    fn now(&mut self) -> wasmtime::Result<wall_clock::Datetime> {
        // Before 1970 cannot happen for a market bar; clamp rather than wrap.
        let ms = u64::try_from(self.now_ms()).unwrap_or(0);
        Ok(wall_clock::Datetime {
            seconds: ms / 1000,
            nanoseconds: (ms % 1000) as u32 * 1_000_000,
        })
    }

    fn resolution(&mut self) -> wasmtime::Result<wall_clock::Datetime> {
        Ok(wall_clock::Datetime {
            seconds: 0,
            nanoseconds: RESOLUTION_NS as u32,
        })
    }
}

impl<D: Desk> monotonic_clock::Host for ClockView<'_, D> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        let now_ms = self.now_ms();
        Ok(self.monotonic.read(now_ms))
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(RESOLUTION_NS)
    }

    fn subscribe_instant(
        &mut self,
        _when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        ready(self.table)
    }

    fn subscribe_duration(
        &mut self,
        _duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        ready(self.table)
    }
}

/// A pollable that is ready from the start.
struct Ready;

#[async_trait::async_trait]
impl Pollable for Ready {
    async fn ready(&mut self) {}
}

fn ready(table: &mut ResourceTable) -> wasmtime::Result<Resource<DynPollable>> {
    let resource = table.push(Ready)?;
    subscribe(table, resource)
}

#[cfg(test)]
mod tests {
    use super::MonotonicState;

    #[test]
    fn the_monotonic_clock_counts_from_the_first_reading_with_a_time_and_never_goes_back() {
        let mut clock = MonotonicState::default();
        // Before a replay's first bar the host has no time: nothing counts yet.
        assert_eq!(clock.read(0), 0);
        assert_eq!(clock.read(1_704_205_800_000), 0);
        assert_eq!(clock.read(1_704_205_860_000), 60_000_000_000);
        // The wall clock stepped back: the monotonic one holds.
        assert_eq!(clock.read(1_704_205_830_000), 60_000_000_000);
        assert_eq!(clock.read(1_704_205_920_000), 120_000_000_000);
    }
}
