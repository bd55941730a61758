//! {{name}}: buys `quantity` shares of AAPL when the close crosses above its SMA of `period`
//! bars, and sells them all when it crosses back below.

use sandtrade_guest::prelude::*;

const SYMBOL: &str = "AAPL";

/// The strategy: its order size, the average and on which side of it the close last was.
pub struct SmaTrend {
    quantity: u32,
    sma: Sma,
    was_above: Option<bool>,
}

impl Strategy for SmaTrend {
    fn describe() -> Metadata {
        Metadata::new("{{name}}", env!("CARGO_PKG_VERSION"), [SYMBOL], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["period", "quantity"])?;
        let period: usize = params.get_or("period", 20)?;
        let quantity: u32 = params.get_or("quantity", 10)?;
        if period == 0 {
            return Err(ParamError::out_of_range("period", "must be at least 1", 0).into());
        }
        if quantity == 0 {
            return Err(ParamError::out_of_range("quantity", "must be at least 1", 0).into());
        }
        Ok(SmaTrend {
            quantity,
            sma: Sma::new(period),
            was_above: None,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        let Some(sma) = self.sma.update(bar.close) else {
            return;
        };
        let above = bar.close > sma;
        let crossed = self.was_above.replace(above).is_some_and(|was| was != above);
        if !crossed {
            return;
        }
        let held = held(&bar.symbol);
        let signal = if above && held == 0 {
            Signal::open_long(&bar.symbol, self.quantity)
        } else if !above && held > 0 {
            Signal::close_long(&bar.symbol)
        } else {
            return;
        };
        let _outcome = emit_logged(signal.reason(format!("close {:.2}, SMA {sma:.2}", bar.close)));
    }
}

export_strategy!(SmaTrend);

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_guest::testing::{MockHost, bars};

    #[test]
    fn buys_when_the_close_crosses_above_its_average() {
        MockHost::reset();
        let params = Params::from_pairs([("period", "3"), ("quantity", "5")]);
        let mut strategy = SmaTrend::init(&params).unwrap();
        for bar in bars(SYMBOL, &[10.0, 10.0, 10.0, 9.0, 12.0]) {
            strategy.on_bar(&bar);
        }
        let signals = MockHost::take_signals();
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].action, Action::OpenLong);
        assert_eq!(signals[0].quantity, 5);
    }
}
