//! A breakout on AAPL whose exit is a trailing stop held at IB.
//!
//! It buys `quantity` shares when the close breaks above the highest high of the previous
//! `entry_window` bars and it holds none. When the buy fills, it protects the position with a
//! good-till-cancelled trailing stop `trail_pct` percent below the best price since: the stop
//! rests at IB, so it protects the position while the host, its machine or its network is
//! down, and it is the strategy's only exit. Once the close is `tighten_at_pct` percent above
//! the entry, it tightens the trail to `tight_trail_pct` percent (a modify of the working
//! order) to keep more of the gain. When the stop fills, the position is flat and the next
//! breakout can start a new one.
//!
//! It never sends a second sell while the stop rests: the stop's shares count as being sold
//! already, and the host would refuse it as a short. It learns what rests from
//! `working_orders()` rather than from its own memory, so a restart (which keeps the orders,
//! at IB and in the host) finds its stop again.
//!
//! Params (the sidecar's `[params]`): `entry_window` (default 20), `quantity` (default 20),
//! `trail_pct` (default 2), `tighten_at_pct` (default 3), `tight_trail_pct` (default 1).

use sandtrade_guest::prelude::*;

/// The one symbol this strategy trades.
const SYMBOL: &str = "AAPL";

/// The strategy: its entry channel and its stop's settings.
pub struct TrendStop {
    quantity: u32,
    trail_pct: f64,
    tighten_at_pct: f64,
    tight_trail_pct: f64,
    /// Highest high of the last `entry_window` bars (before the current one).
    entry_high: RollingHigh,
    /// The price the position was bought at, while one is held.
    entry_price: Option<f64>,
}

/// Reads a percentage parameter: above 0 and below 100.
fn percent(params: &Params, key: &str, default: f64) -> Result<f64, ParamError> {
    let value: f64 = params.get_or(key, default)?;
    if !(value > 0.0 && value < 100.0) {
        return Err(ParamError::out_of_range(
            key,
            "must be above 0 and below 100",
            value,
        ));
    }
    Ok(value)
}

impl Strategy for TrendStop {
    fn describe() -> Metadata {
        Metadata::new("trend-stop", env!("CARGO_PKG_VERSION"), [SYMBOL], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&[
            "entry_window",
            "quantity",
            "trail_pct",
            "tighten_at_pct",
            "tight_trail_pct",
        ])?;
        let entry_window: usize = params.get_or("entry_window", 20)?;
        let quantity: u32 = params.get_or("quantity", 20)?;
        if entry_window == 0 {
            return Err(ParamError::out_of_range("entry_window", "must be at least 1", 0).into());
        }
        if quantity == 0 {
            return Err(ParamError::out_of_range("quantity", "must be at least 1", 0).into());
        }
        let trail_pct = percent(params, "trail_pct", 2.0)?;
        let tight_trail_pct = percent(params, "tight_trail_pct", 1.0)?;
        if tight_trail_pct > trail_pct {
            return Err(format!(
                "param `tight_trail_pct` ({tight_trail_pct}) must not be wider than `trail_pct` \
                 ({trail_pct})"
            ));
        }
        Ok(TrendStop {
            quantity,
            trail_pct,
            tighten_at_pct: percent(params, "tighten_at_pct", 3.0)?,
            tight_trail_pct,
            entry_high: RollingHigh::new(entry_window),
            entry_price: None,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        // The channel of the bars before this one: a breakout is a close above it.
        let high = self.entry_high.value();
        self.entry_high.update(bar.high);
        let working = working_orders();
        let stop = working
            .iter()
            .find(|order| matches!(order.order_type, OrderType::TrailingStop(_)));
        match (held(&bar.symbol), stop) {
            (0, _) if !working.is_empty() => {} // the entry is on its way
            (0, _) => {
                if high.is_some_and(|high| bar.close > high) {
                    let entry = Signal::open_long(&bar.symbol, self.quantity).reason(format!(
                        "close {:.2} broke above {:.2}",
                        bar.close,
                        high.unwrap_or(0.0)
                    ));
                    let _ = emit_logged(entry);
                }
            }
            (_, Some(stop)) => self.tighten(stop, bar.close),
            (held, None) => {
                // Held without a stop: a restart found the position but its stop had ended
                // (cancelled by an operator, say). Protect it again.
                warn!("holding {held} {} without a stop: placing one", bar.symbol);
                self.protect(&bar.symbol, held);
            }
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
        if fill.action == Action::OpenLong {
            self.entry_price = Some(fill.price);
            self.protect(&fill.symbol, held(&fill.symbol));
        } else if held(&fill.symbol) == 0 {
            self.entry_price = None;
        }
    }
}

impl TrendStop {
    /// Places the trailing stop over `shares` of `symbol`.
    fn protect(&mut self, symbol: &str, shares: u32) {
        let stop = Signal::trailing_stop(symbol, shares, Trail::Percent(self.trail_pct))
            .reason(format!("trail {}% under the best price", self.trail_pct));
        let _ = emit_logged(stop);
    }

    /// Tightens the trail once the close is far enough above the entry (once: a trail already
    /// at the tight distance is left alone).
    fn tighten(&mut self, stop: &WorkingOrder, close: f64) {
        let (Some(entry), OrderType::TrailingStop(trailing)) = (self.entry_price, stop.order_type)
        else {
            return;
        };
        let Trail::Percent(current) = trailing.trail else {
            return;
        };
        let gain_pct = (close / entry - 1.0) * 100.0;
        if gain_pct < self.tighten_at_pct || current <= self.tight_trail_pct {
            return;
        }
        let tighter = OrderType::TrailingStop(TrailingStop {
            trail: Trail::Percent(self.tight_trail_pct),
            ..trailing
        });
        match modify(stop.signal_id, OrderChange::to(tighter)) {
            Ok(outcome) => info!(
                "{gain_pct:.1}% up: trail tightened to {}% ({outcome})",
                self.tight_trail_pct
            ),
            // Pending: IB has not acknowledged the stop yet; the next bar tries again.
            Err(ModifyRefusal::Pending) => {}
            Err(refused) => warn!("the trail was not tightened: {}", refused.as_str()),
        }
    }
}

export_strategy!(TrendStop);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bars};

    use super::*;

    fn strategy() -> TrendStop {
        let params = Params::from_pairs([
            ("entry_window", "3"),
            ("quantity", "10"),
            ("trail_pct", "2"),
            ("tighten_at_pct", "3"),
            ("tight_trail_pct", "1"),
        ]);
        TrendStop::init(&params).expect("valid params")
    }

    fn shown() -> Vec<String> {
        MockHost::signals()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn buys_the_breakout_protects_the_fill_and_tightens_the_trail_in_profit() {
        MockHost::reset();
        let mut s = strategy();
        for bar in bars(SYMBOL, &[100.0, 100.0, 100.0, 101.0]) {
            s.on_bar(&bar);
        }
        assert_eq!(shown(), ["open-long 10 AAPL"]);
        for fill in MockHost::fill_accepted(101.0) {
            s.on_fill(&fill);
        }
        assert_eq!(
            shown(),
            [
                "open-long 10 AAPL",
                "reduce-long 10 AAPL trailing-stop 2% gtc"
            ]
        );
        // 2% up: nothing; 4% up: the trail tightens to 1%, once.
        for bar in bars(SYMBOL, &[103.0, 105.0, 106.0]) {
            s.on_bar(&bar);
        }
        let modifies = MockHost::modifies();
        assert_eq!(modifies.len(), 1, "{modifies:?}");
        assert_eq!(
            working_orders()[0].order_type.to_string(),
            "trailing-stop 1%"
        );
        // No second sell is ever sent while the stop rests.
        assert_eq!(MockHost::signals().len(), 2);
    }

    #[test]
    fn a_position_found_without_its_stop_is_protected_again() {
        MockHost::reset();
        MockHost::set_position(SYMBOL, 10, 100.0);
        let mut s = strategy();
        s.on_bar(&bars(SYMBOL, &[100.0])[0]);
        assert_eq!(shown(), ["reduce-long 10 AAPL trailing-stop 2% gtc"]);
    }

    #[test]
    fn refuses_a_tight_trail_wider_than_the_trail() {
        let params = Params::from_pairs([("trail_pct", "1"), ("tight_trail_pct", "2")]);
        let err = TrendStop::init(&params).err().unwrap();
        assert_eq!(
            err,
            "param `tight_trail_pct` (2) must not be wider than `trail_pct` (1)"
        );
    }
}
