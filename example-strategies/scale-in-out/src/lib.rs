//! Scaling into and out of AAPL on RSI bands, one step per bar.
//!
//! While the RSI is below `oversold` it buys a step of `step` shares per bar (`open-long` for
//! the first, `add-long` after), up to `max_steps` steps. While the RSI is above `overbought`
//! it sells a step per bar (`reduce-long`), and the last step with `close-long`.
//!
//! Decisions use the position the host reports, which changes when fills arrive: with
//! one-minute bars a market order has filled before the next bar.
//!
//! Params (the sidecar's `[params]`): `period` (default 14), `oversold` (default 30),
//! `overbought` (default 70), `step` (default 25), `max_steps` (default 4).

use sandtrade_guest::prelude::*;

/// The one symbol this strategy trades.
const SYMBOL: &str = "AAPL";

/// The strategy: its bands, its step size and the RSI.
pub struct ScaleInOut {
    rsi: Rsi,
    oversold: f64,
    overbought: f64,
    step: u32,
    max_steps: u32,
}

impl Strategy for ScaleInOut {
    fn describe() -> Metadata {
        Metadata::new("scale-in-out", env!("CARGO_PKG_VERSION"), [SYMBOL], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["period", "oversold", "overbought", "step", "max_steps"])?;
        let period: usize = params.get_or("period", 14)?;
        let oversold: f64 = params.get_or("oversold", 30.0)?;
        let overbought: f64 = params.get_or("overbought", 70.0)?;
        let step: u32 = params.get_or("step", 25)?;
        let max_steps: u32 = params.get_or("max_steps", 4)?;
        if period == 0 {
            return Err(ParamError::out_of_range("period", "must be at least 1", period).into());
        }
        if !(0.0..100.0).contains(&oversold) {
            return Err(
                ParamError::out_of_range("oversold", "must be in [0, 100)", oversold).into(),
            );
        }
        if !(oversold < overbought && overbought <= 100.0) {
            let requirement = format!("must be in ({oversold}, 100]");
            return Err(ParamError::out_of_range("overbought", requirement, overbought).into());
        }
        if step == 0 || max_steps == 0 {
            let (key, value) = if step == 0 {
                ("step", step)
            } else {
                ("max_steps", max_steps)
            };
            return Err(ParamError::out_of_range(key, "must be at least 1", value).into());
        }
        if step.checked_mul(max_steps).is_none() {
            let requirement = format!("max_steps * step ({step}) must fit in u32");
            return Err(ParamError::out_of_range("max_steps", requirement, max_steps).into());
        }
        Ok(ScaleInOut {
            rsi: Rsi::new(period),
            oversold,
            overbought,
            step,
            max_steps,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        if bar.symbol != SYMBOL {
            warn!(
                "ignored a bar of {}: this strategy trades {SYMBOL}",
                bar.symbol
            );
            return;
        }
        let Some(rsi) = self.rsi.update(bar.close) else {
            return;
        };
        let held = held(SYMBOL);
        let steps_held = held.div_ceil(self.step);
        let signal = if rsi < self.oversold && steps_held < self.max_steps {
            let buy = if held == 0 {
                Signal::open_long
            } else {
                Signal::add_long
            };
            buy(SYMBOL, self.step).reason(format!(
                "RSI {rsi:.1} below {}: step {} of {}",
                self.oversold,
                steps_held + 1,
                self.max_steps
            ))
        } else if rsi > self.overbought && held > 0 {
            let sell = if held <= self.step {
                Signal::close_long(SYMBOL)
            } else {
                Signal::reduce_long(SYMBOL, self.step)
            };
            sell.reason(format!(
                "RSI {rsi:.1} above {}: {steps_held} of {} steps held",
                self.overbought, self.max_steps
            ))
        } else {
            return;
        };
        // A refusal is logged; the next bar decides again.
        let _outcome = emit_logged(signal);
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
    }
}

export_strategy!(ScaleInOut);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bar, sidecar_params};

    use super::*;

    fn strategy(params: &[(&str, &str)]) -> ScaleInOut {
        ScaleInOut::init(&Params::from_pairs(params.iter().copied())).expect("valid params")
    }

    /// Feeds one bar; executes whatever it emitted at its close, as the next bar's fill.
    fn bar_then_fill(s: &mut ScaleInOut, minute: i64, close: f64) -> Vec<Signal> {
        s.on_bar(&bar(SYMBOL, minute * 60_000, close));
        for fill in MockHost::fill_accepted(close) {
            s.on_fill(&fill);
        }
        MockHost::take_signals()
    }

    #[test]
    fn scales_in_to_the_cap_then_out_step_by_step() {
        MockHost::reset();
        let params = [("period", "2"), ("step", "10"), ("max_steps", "2")];
        let mut s = strategy(&params);
        // Wilder RSI(2): changes -1, -1 -> 0; -1 -> 0; -1 -> 0 (capped); +3 -> RS 3 = 75;
        // +3 -> RS 9 = 90; +3 -> still above 70 but flat.
        let closes = [10.0, 9.0, 8.0, 7.0, 6.0, 9.0, 12.0, 15.0];
        let per_bar: Vec<Vec<String>> = (0..)
            .zip(closes)
            .map(|(minute, close)| {
                let signals = bar_then_fill(&mut s, minute, close);
                signals
                    .iter()
                    .map(|s| format!("{s} ({})", s.reason))
                    .collect()
            })
            .collect();
        let want: [&[&str]; 8] = [
            &[],
            &[],
            &["open-long 10 AAPL (RSI 0.0 below 30: step 1 of 2)"],
            &["add-long 10 AAPL (RSI 0.0 below 30: step 2 of 2)"],
            &[],
            &["reduce-long 10 AAPL (RSI 75.0 above 70: 2 of 2 steps held)"],
            &["close-long AAPL (RSI 90.0 above 70: 1 of 2 steps held)"],
            &[],
        ];
        assert_eq!(per_bar, want);
        assert_eq!(held(SYMBOL), 0);
        let fills: Vec<_> = MockHost::logs()
            .into_iter()
            .filter(|(_, l)| l.contains("filled"))
            .collect();
        assert_eq!(fills.len(), 4);
        assert_eq!(fills[1].1, "signal 2: add-long 10 AAPL filled at 7");
    }

    #[test]
    fn an_odd_position_counts_as_a_started_step() {
        MockHost::reset();
        let mut s = strategy(&[("period", "1"), ("step", "10"), ("max_steps", "2")]);
        // 15 shares held (bought elsewhere): 2 steps started, so no more buying.
        MockHost::set_position(SYMBOL, 15, 1.0);
        bar_then_fill(&mut s, 0, 5.0);
        assert_eq!(bar_then_fill(&mut s, 1, 4.0), []);
        // RSI(1) of a rise is 100: sell a step of 10, then close the remaining 5.
        let sold = bar_then_fill(&mut s, 2, 6.0);
        assert_eq!(
            sold.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["reduce-long 10 AAPL"]
        );
        let closed = bar_then_fill(&mut s, 3, 7.0);
        assert_eq!(
            closed.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["close-long AAPL"]
        );
        assert_eq!(held(SYMBOL), 0);
    }

    #[test]
    fn accepts_the_params_of_its_sidecar() {
        let params = sidecar_params(include_str!("../scale_in_out.toml")).expect("valid sidecar");
        assert_eq!(ScaleInOut::init(&params).err(), None);
    }

    #[test]
    fn refuses_bad_params_by_name() {
        let err = |pairs: &[(&str, &str)]| {
            ScaleInOut::init(&Params::from_pairs(pairs.iter().copied())).err()
        };
        assert_eq!(
            err(&[("oversold", "80")]).as_deref(),
            Some("param `overbought`: must be in (80, 100], got `70`")
        );
        assert_eq!(
            err(&[("oversold", "-1")]).as_deref(),
            Some("param `oversold`: must be in [0, 100), got `-1`")
        );
        assert_eq!(
            err(&[("step", "0")]).as_deref(),
            Some("param `step`: must be at least 1, got `0`")
        );
        assert_eq!(
            err(&[("step", "4294967295"), ("max_steps", "2")]).as_deref(),
            Some("param `max_steps`: max_steps * step (4294967295) must fit in u32, got `2`")
        );
        assert_eq!(
            err(&[("period", "x")]).as_deref(),
            Some("param `period`: expected usize, got `x`")
        );
        assert!(err(&[]).is_none(), "the defaults are valid");
    }
}
