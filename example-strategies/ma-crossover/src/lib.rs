//! A moving-average crossover on AAPL and MSFT, on one-minute bars.
//!
//! For each symbol it keeps a fast and a slow simple moving average of the close. When the
//! fast average crosses above the slow one and the strategy holds none of the symbol, it buys
//! `quantity` shares (`open-long`); when the fast average crosses back below and it holds
//! shares, it sells them all (`close-long`). Equal averages count as "not above".
//!
//! Params (the sidecar's `[params]`): `fast` (default 10), `slow` (default 30, greater than
//! `fast`), `quantity` (default 100).

use std::collections::BTreeMap;

use sandtrade_guest::prelude::*;

/// The symbols this strategy trades.
const SYMBOLS: [&str; 2] = ["AAPL", "MSFT"];

/// The strategy: its parameters and one pair of averages per symbol.
pub struct MaCrossover {
    quantity: u32,
    averages: BTreeMap<String, Averages>,
}

/// One symbol's averages, and on which side of the slow average the fast one last was.
struct Averages {
    fast: Sma,
    slow: Sma,
    fast_above: Option<bool>,
}

/// A crossing of the fast average through the slow one, with both values.
enum Cross {
    Up { fast: f64, slow: f64 },
    Down { fast: f64, slow: f64 },
}

impl Averages {
    fn new(fast: usize, slow: usize) -> Self {
        Averages {
            fast: Sma::new(fast),
            slow: Sma::new(slow),
            fast_above: None,
        }
    }

    /// Feeds a close; the crossing it completes, if any.
    fn update(&mut self, close: f64) -> Option<Cross> {
        // Feed both before returning: the fast average must see every close too.
        let (fast, slow) = (self.fast.update(close), self.slow.update(close));
        let (fast, slow) = (fast?, slow?);
        let above = fast > slow;
        match self.fast_above.replace(above) {
            Some(false) if above => Some(Cross::Up { fast, slow }),
            Some(true) if !above => Some(Cross::Down { fast, slow }),
            _ => None,
        }
    }
}

impl Strategy for MaCrossover {
    fn describe() -> Metadata {
        Metadata::new("ma-crossover", env!("CARGO_PKG_VERSION"), SYMBOLS, 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["fast", "slow", "quantity"])?;
        let fast: usize = params.get_or("fast", 10)?;
        let slow: usize = params.get_or("slow", 30)?;
        let quantity: u32 = params.get_or("quantity", 100)?;
        if fast == 0 {
            return Err(ParamError::out_of_range("fast", "must be at least 1", fast).into());
        }
        if slow <= fast {
            let requirement = format!("must be greater than fast ({fast})");
            return Err(ParamError::out_of_range("slow", requirement, slow).into());
        }
        if quantity == 0 {
            return Err(ParamError::out_of_range("quantity", "must be at least 1", 0).into());
        }
        let averages = SYMBOLS
            .iter()
            .map(|s| (s.to_string(), Averages::new(fast, slow)));
        Ok(MaCrossover {
            quantity,
            averages: averages.collect(),
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        let Some(averages) = self.averages.get_mut(&bar.symbol) else {
            warn!("ignored a bar of {}: not one of {SYMBOLS:?}", bar.symbol);
            return;
        };
        let (fast_period, slow_period) = (averages.fast.period(), averages.slow.period());
        // Ask the host for the position only on a crossing: most bars cross nothing, and a
        // host call costs more than the two averages.
        let Some(cross) = averages.update(bar.close) else {
            return;
        };
        let held = held(&bar.symbol);
        let signal = match cross {
            Cross::Up { fast, slow } if held == 0 => Signal::open_long(&bar.symbol, self.quantity)
                .reason(format!(
                    "SMA{fast_period} {fast:.2} crossed above SMA{slow_period} {slow:.2}"
                )),
            Cross::Down { fast, slow } if held > 0 => Signal::close_long(&bar.symbol).reason(
                format!("SMA{fast_period} {fast:.2} crossed below SMA{slow_period} {slow:.2}"),
            ),
            _ => return,
        };
        // A refusal is logged; the next crossing tries again.
        let _outcome = emit_logged(signal);
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
    }
}

export_strategy!(MaCrossover);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bar, sidecar_params};

    use super::*;

    fn strategy(params: &[(&str, &str)]) -> MaCrossover {
        MaCrossover::init(&Params::from_pairs(params.iter().copied())).expect("valid params")
    }

    /// Feeds the closes of `symbol` as consecutive one-minute bars from `first_minute`.
    fn feed(strategy: &mut MaCrossover, symbol: &str, first_minute: i64, closes: &[f64]) {
        for (minute, &close) in (first_minute..).zip(closes) {
            strategy.on_bar(&bar(symbol, minute * 60_000, close));
        }
    }

    #[test]
    fn describes_itself() {
        let metadata = MaCrossover::describe();
        assert_eq!(metadata.name, "ma-crossover");
        assert_eq!(metadata.symbols, ["AAPL", "MSFT"]);
        assert_eq!(metadata.bar_seconds, 60);
    }

    #[test]
    fn buys_on_the_upward_cross_and_sells_on_the_downward_one() {
        MockHost::reset();
        let mut s = strategy(&[("fast", "2"), ("slow", "3"), ("quantity", "10")]);
        // SMA2:  -, 10, 10, 9.5, 10.5 | 12.5, 10.5
        // SMA3:  -,  -, 10, 9.67, 10.33 | 11.33, 11   -> up at the 5th close, down at the 7th
        feed(&mut s, "AAPL", 0, &[10.0, 10.0, 10.0, 9.0, 12.0]);
        let bought = Signal::open_long("AAPL", 10).reason("SMA2 10.50 crossed above SMA3 10.33");
        assert_eq!(MockHost::take_signals(), [bought]);

        let fills = MockHost::fill_accepted(12.0);
        s.on_fill(&fills[0]);
        feed(&mut s, "AAPL", 5, &[13.0, 8.0]);
        let sold = Signal::close_long("AAPL").reason("SMA2 10.50 crossed below SMA3 11.00");
        assert_eq!(MockHost::take_signals(), [sold]);
        assert_eq!(
            MockHost::logs(),
            [
                (
                    Level::Info,
                    "open-long 10 AAPL: accepted as signal 1 (SMA2 10.50 crossed above SMA3 \
                     10.33)"
                        .to_string()
                ),
                (
                    Level::Info,
                    "signal 1: open-long 10 AAPL filled at 12".to_string()
                ),
                (
                    Level::Info,
                    "close-long AAPL: accepted as signal 2 (SMA2 10.50 crossed below SMA3 11.00)"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn does_not_sell_when_flat_nor_buy_when_holding() {
        MockHost::reset();
        let mut s = strategy(&[("fast", "2"), ("slow", "3"), ("quantity", "10")]);
        // Down-cross while flat: nothing to sell.
        feed(&mut s, "MSFT", 0, &[10.0, 10.0, 11.0, 12.0, 8.0]);
        assert_eq!(MockHost::signals(), []);
        // Up-cross while already holding (bought elsewhere): no second entry.
        MockHost::set_position("MSFT", 10, 9.0);
        feed(&mut s, "MSFT", 5, &[20.0]);
        assert_eq!(MockHost::signals(), []);
    }

    #[test]
    fn symbols_keep_their_own_averages() {
        MockHost::reset();
        let mut s = strategy(&[("fast", "2"), ("slow", "3"), ("quantity", "7")]);
        // Interleaved: AAPL crosses up on its 5th bar; MSFT, flat at 50, never crosses.
        for (minute, close) in (0..).zip([10.0, 10.0, 10.0, 9.0, 12.0]) {
            s.on_bar(&bar("AAPL", minute * 60_000, close));
            s.on_bar(&bar("MSFT", minute * 60_000, 50.0));
        }
        let signals = MockHost::signals();
        assert_eq!(signals.len(), 1);
        assert_eq!(
            (signals[0].symbol.as_str(), signals[0].quantity),
            ("AAPL", 7)
        );
    }

    #[test]
    fn a_refusal_is_logged_and_the_next_cross_tries_again() {
        MockHost::reset();
        let mut s = strategy(&[("fast", "2"), ("slow", "3"), ("quantity", "10")]);
        MockHost::reject_next(RejectCode::TradingHalted, "trading is halted");
        feed(&mut s, "AAPL", 0, &[10.0, 10.0, 10.0, 9.0, 12.0]);
        assert_eq!(MockHost::signals(), []);
        assert_eq!(
            MockHost::take_logs(),
            [(
                Level::Warn,
                "open-long 10 AAPL: refused, trading-halted: trading is halted".to_string()
            )]
        );
        // Down at 6 (SMA2 9 is not above SMA3 9), up again at 15 (SMA2 13.5 > SMA3 11).
        feed(&mut s, "AAPL", 5, &[6.0, 12.0, 15.0]);
        assert_eq!(MockHost::signals().len(), 1);
    }

    #[test]
    fn ignores_symbols_it_did_not_declare() {
        MockHost::reset();
        let mut s = strategy(&[]);
        s.on_bar(&bar("TSLA", 0, 1.0));
        assert_eq!(
            MockHost::logs(),
            [(
                Level::Warn,
                r#"ignored a bar of TSLA: not one of ["AAPL", "MSFT"]"#.to_string()
            )]
        );
    }

    #[test]
    fn accepts_the_params_of_its_sidecar() {
        let params = sidecar_params(include_str!("../ma_crossover.toml")).expect("valid sidecar");
        assert_eq!(MaCrossover::init(&params).err(), None);
    }

    #[test]
    fn refuses_bad_params_by_name() {
        let err = |pairs: &[(&str, &str)]| {
            MaCrossover::init(&Params::from_pairs(pairs.iter().copied())).err()
        };
        assert_eq!(
            err(&[("fast", "30"), ("slow", "10")]).as_deref(),
            Some("param `slow`: must be greater than fast (30), got `10`")
        );
        assert_eq!(
            err(&[("fast", "0")]).as_deref(),
            Some("param `fast`: must be at least 1, got `0`")
        );
        assert_eq!(
            err(&[("quantity", "-5")]).as_deref(),
            Some("param `quantity`: expected u32, got `-5`")
        );
        assert_eq!(
            err(&[("qty", "5")]).as_deref(),
            Some("param `qty`: unknown (known: fast, slow, quantity)")
        );
        assert!(err(&[]).is_none(), "the defaults are valid");
    }
}
