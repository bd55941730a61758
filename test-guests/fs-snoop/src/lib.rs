//! A strategy that reads a file with `std::fs`: its component imports `wasi:filesystem`, and
//! the host must refuse it at load. Were it ever run, it would log what it could read.

use sandtrade_guest::prelude::*;

/// The file it tries to read.
const TARGET: &str = "/etc/hostname";

/// The strategy: no state.
pub struct FsSnoop;

impl Strategy for FsSnoop {
    fn describe() -> Metadata {
        Metadata::new("fs-snoop", env!("CARGO_PKG_VERSION"), ["AAPL"], 60)
    }

    fn init(_params: &Params) -> Result<Self, String> {
        Ok(FsSnoop)
    }

    fn on_bar(&mut self, _bar: &Bar) {
        match std::fs::read_to_string(TARGET) {
            Ok(text) => error!("fs-snoop: read {TARGET}: {:?}", text.trim()),
            Err(e) => info!("fs-snoop: cannot read {TARGET}: {e}"),
        }
    }
}

export_strategy!(FsSnoop);
