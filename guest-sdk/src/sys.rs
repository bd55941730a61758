//! The host functions. On wasm they are the component's imports; on other targets
//! (native unit tests) they are served by the per-thread mock in [`crate::testing`].

#[cfg(target_arch = "wasm32")]
pub(crate) use self::component::{emit, log, log_level, now_ms, position};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::{emit, log, log_level, now_ms, position};

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::sandtrade::strategy::host;
    use crate::{Level, Position, Rejection, Signal};

    pub(crate) fn emit(signal: &Signal) -> Result<u64, Rejection> {
        host::emit(signal)
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
}
