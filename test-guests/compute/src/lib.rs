//! A compute-bound strategy: every bar runs [`compute_kernel::Kernel`] over a window of
//! `window` closes (default [`compute_kernel::DEFAULT_WINDOW`], 1024) and trades AAPL on its decision. The same kernel runs natively
//! in the wasm-vs-native benchmark, so the two measure the same Rust.
//!
//! It follows its position from its fills rather than asking the host every bar, so that the
//! bar's cost is the kernel's, not host calls.

use compute_kernel::{Decision, Kernel};
use sandtrade_guest::prelude::*;

/// The strategy: the kernel, the share count it trades and what its fills say it holds.
pub struct Compute {
    kernel: Kernel,
    quantity: u32,
    /// Whether the last fill was a buy.
    holding: bool,
    /// Whether a signal was accepted and has not filled yet: no new decision until it does.
    pending: bool,
}

impl Strategy for Compute {
    fn describe() -> Metadata {
        Metadata::new("compute", env!("CARGO_PKG_VERSION"), ["AAPL"], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["window", "quantity"])?;
        let window: usize = params.get_or("window", compute_kernel::DEFAULT_WINDOW)?;
        if window < 2 {
            return Err(ParamError::out_of_range("window", "must be at least 2", window).into());
        }
        let quantity = params.get_or("quantity", 10)?;
        Ok(Compute {
            kernel: Kernel::new(window),
            quantity,
            holding: false,
            pending: false,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        let Some(stats) = self.kernel.update(bar.close) else {
            return;
        };
        if self.pending {
            return;
        }
        let signal = match stats.decide(self.holding) {
            Decision::Buy => Signal::open_long(&bar.symbol, self.quantity),
            Decision::Sell => Signal::close_long(&bar.symbol),
            Decision::Hold => return,
        };
        let reason = format!("z-score {:.2}", stats.zscore);
        self.pending = emit_logged(signal.reason(reason)).is_ok();
    }

    fn on_fill(&mut self, fill: &Fill) {
        self.holding = fill.action.is_buy();
        self.pending = false;
    }
}

export_strategy!(Compute);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bars};

    use super::*;

    #[test]
    fn trades_on_the_kernel_decision_and_waits_for_fills() {
        MockHost::reset();
        let params = Params::from_pairs([("window", "6"), ("quantity", "10")]);
        let mut s = Compute::init(&params).expect("valid params");
        // [1, 1, 1, 1, 1, 2]: the last close is sqrt(5) = 2.24 deviations above the mean.
        for bar in bars("AAPL", &[1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0]) {
            s.on_bar(&bar);
        }
        let bought = Signal::open_long("AAPL", 10).reason("z-score 2.24");
        assert_eq!(
            MockHost::take_signals(),
            [bought],
            "nothing more while the buy is pending"
        );

        for fill in MockHost::fill_accepted(2.0) {
            s.on_fill(&fill);
        }
        s.on_bar(&bars("AAPL", &[0.5])[0]);
        let sold: Vec<String> = MockHost::signals()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(sold, ["close-long AAPL"]);
    }

    #[test]
    fn refuses_a_window_too_small() {
        let params = Params::from_pairs([("window", "1")]);
        assert_eq!(
            Compute::init(&params).err().as_deref(),
            Some("param `window`: must be at least 2, got `1`")
        );
    }
}
