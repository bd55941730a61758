//! `wasi:clocks` for components under the inert profile: both clocks read the host clock
//! ([`Desk::now_ms`]: the wall clock when trading, the replay time in a backtest, so a backtest
//! stays the same on every run), and every wait on them is over at once.
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

/// What the clocks need from the store: the desk's time, the resource table for pollables and
/// the last monotonic reading (a monotonic clock never goes back, though the wall clock may).
pub(crate) struct ClockView<'a, D> {
    pub(crate) desk: &'a mut D,
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) monotonic_floor_ns: &'a mut u64,
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
        let ns = u64::try_from(self.now_ms())
            .unwrap_or(0)
            .saturating_mul(1_000_000);
        let now = ns.max(*self.monotonic_floor_ns);
        *self.monotonic_floor_ns = now;
        Ok(now)
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
