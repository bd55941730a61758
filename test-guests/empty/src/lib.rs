//! A strategy that does nothing: `on_bar` returns at once. The benchmark of one `on-bar` call
//! measures the host/guest boundary with it.

use sandtrade_guest::prelude::*;

/// The strategy: no state.
pub struct Empty;

impl Strategy for Empty {
    fn describe() -> Metadata {
        Metadata::new("empty", env!("CARGO_PKG_VERSION"), ["AAPL"], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&[])?;
        Ok(Empty)
    }

    fn on_bar(&mut self, _bar: &Bar) {}
}

export_strategy!(Empty);
