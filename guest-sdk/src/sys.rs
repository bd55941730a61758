//! The four host functions. On wasm they are the component's imports; on other targets
//! (native unit tests) they are served by the per-thread mock in [`crate::testing`].

use crate::{Level, Position, Rejection, Signal};

#[cfg(target_arch = "wasm32")]
use crate::bindings::sandtrade::strategy::host;

#[cfg(target_arch = "wasm32")]
pub(crate) fn emit(signal: &Signal) -> Result<u64, Rejection> {
    host::emit(signal)
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn position(symbol: &str) -> Option<Position> {
    host::position(symbol)
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn log(level: Level, message: &str) {
    host::log(level, message)
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn now_ms() -> i64 {
    host::now_ms()
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::{emit, log, now_ms, position};
