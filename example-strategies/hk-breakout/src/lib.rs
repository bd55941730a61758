//! A channel breakout on Tencent (`0700.HK`, SEHK), trading in board lots.
//!
//! It buys `lots` board lots when the close breaks above the highest high of the previous
//! `entry_window` bars and it holds none, and sells the whole position when the close breaks
//! below the lowest low of the previous `exit_window` bars. Hong Kong shares trade in board
//! lots (100 shares for 0700.HK), and the host refuses any quantity that is not a multiple of
//! the lot: this strategy only ever asks for `lots * lot` shares.
//!
//! Params (the sidecar's `[params]`): `lot` (default 100), `lots` (default 1), `entry_window`
//! (default 20), `exit_window` (default 10).

use sandtrade_guest::prelude::*;

/// The one symbol this strategy trades. `00700` and `700` would name the same contract.
const SYMBOL: &str = "0700.HK";

/// The strategy: its order size and the two channels.
pub struct HkBreakout {
    /// Shares per order: a whole number of board lots.
    quantity: u32,
    /// Highest high of the last `entry_window` bars.
    entry_high: RollingHigh,
    /// Lowest low of the last `exit_window` bars.
    exit_low: RollingLow,
}

/// Reads a positive whole number parameter.
fn positive(params: &Params, key: &str, default: u32) -> Result<u32, ParamError> {
    let value = params.get_or(key, default)?;
    if value == 0 {
        return Err(ParamError::out_of_range(key, "must be at least 1", value));
    }
    Ok(value)
}

impl Strategy for HkBreakout {
    fn describe() -> Metadata {
        Metadata::new("hk-breakout", env!("CARGO_PKG_VERSION"), [SYMBOL], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["lot", "lots", "entry_window", "exit_window"])?;
        let lot = positive(params, "lot", 100)?;
        let lots = positive(params, "lots", 1)?;
        let entry_window = positive(params, "entry_window", 20)?;
        let exit_window = positive(params, "exit_window", 10)?;
        let quantity = lot.checked_mul(lots).ok_or_else(|| {
            ParamError::out_of_range("lots", format!("lots * lot ({lot}) must fit in u32"), lots)
        })?;
        Ok(HkBreakout {
            quantity,
            entry_high: RollingHigh::new(entry_window as usize),
            exit_low: RollingLow::new(exit_window as usize),
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
        // The channels of the bars *before* this one: read them, then add this bar.
        let (entry_high, exit_low) = (self.entry_high.value(), self.exit_low.value());
        self.entry_high.update(bar.high);
        self.exit_low.update(bar.low);

        let held = held(SYMBOL);
        let signal = match (entry_high, exit_low) {
            (Some(high), _) if held == 0 && bar.close > high => {
                Signal::open_long(SYMBOL, self.quantity).reason(format!(
                    "close {:.2} broke above the {}-bar high {high:.2}",
                    bar.close,
                    self.entry_high.window()
                ))
            }
            (_, Some(low)) if held > 0 && bar.close < low => {
                Signal::close_long(SYMBOL).reason(format!(
                    "close {:.2} broke below the {}-bar low {low:.2}",
                    bar.close,
                    self.exit_low.window()
                ))
            }
            _ => return,
        };
        // A refusal is logged; the next breakout tries again.
        let _outcome = emit_logged(signal);
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
    }
}

export_strategy!(HkBreakout);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bar, sidecar_params};

    use super::*;

    fn strategy(params: &[(&str, &str)]) -> HkBreakout {
        HkBreakout::init(&Params::from_pairs(params.iter().copied())).expect("valid params")
    }

    /// A bar of 0700.HK at `minute` with this high, low and close.
    fn hlc(minute: i64, high: f64, low: f64, close: f64) -> Bar {
        Bar {
            high,
            low,
            ..bar(SYMBOL, minute * 60_000, close)
        }
    }

    #[test]
    fn describes_itself() {
        let metadata = HkBreakout::describe();
        assert_eq!(metadata.name, "hk-breakout");
        assert_eq!(metadata.symbols, ["0700.HK"]);
        assert_eq!(metadata.bar_seconds, 60);
    }

    #[test]
    fn buys_whole_lots_on_a_breakout_and_sells_on_the_breakdown() {
        MockHost::reset();
        let params = [
            ("lot", "100"),
            ("lots", "2"),
            ("entry_window", "3"),
            ("exit_window", "2"),
        ];
        let mut s = strategy(&params);
        s.on_bar(&hlc(0, 350.0, 346.0, 348.0));
        s.on_bar(&hlc(1, 352.0, 347.0, 351.0));
        s.on_bar(&hlc(2, 351.0, 349.0, 350.0));
        assert_eq!(
            MockHost::signals(),
            [],
            "no breakout yet: 351.0 is not above 352.0"
        );
        s.on_bar(&hlc(3, 354.0, 351.0, 353.4));
        let bought = Signal::open_long("0700.HK", 200)
            .reason("close 353.40 broke above the 3-bar high 352.00");
        assert_eq!(MockHost::take_signals(), [bought]);
        assert_eq!(MockHost::fill_accepted(353.4)[0].quantity, 200);

        // The exit channel is the lowest low of the 2 bars before: 349.0, 351.0, then 350.8.
        s.on_bar(&hlc(4, 355.0, 352.0, 354.0));
        s.on_bar(&hlc(5, 353.0, 350.8, 351.0));
        assert_eq!(MockHost::signals(), [], "351.0 is not below 351.0");
        s.on_bar(&hlc(6, 351.0, 349.0, 350.6));
        let sold =
            Signal::close_long("0700.HK").reason("close 350.60 broke below the 2-bar low 350.80");
        assert_eq!(MockHost::take_signals(), [sold]);
    }

    #[test]
    fn the_order_size_is_always_a_multiple_of_the_lot() {
        MockHost::reset();
        let mut s = strategy(&[("lot", "500"), ("lots", "3"), ("entry_window", "1")]);
        s.on_bar(&hlc(0, 10.0, 9.0, 9.5));
        s.on_bar(&hlc(1, 11.0, 10.0, 10.5));
        let signals = MockHost::signals();
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].quantity, 1_500);
        assert_eq!(signals[0].quantity % 500, 0);
    }

    #[test]
    fn holds_no_second_entry_and_ignores_other_symbols() {
        MockHost::reset();
        let mut s = strategy(&[("entry_window", "1")]);
        MockHost::set_position(SYMBOL, 100, 300.0);
        s.on_bar(&hlc(0, 300.0, 299.0, 300.0));
        s.on_bar(&hlc(1, 320.0, 310.0, 320.0));
        s.on_bar(&bar("AAPL", 0, 1.0));
        assert_eq!(MockHost::signals(), []);
        assert_eq!(
            MockHost::logs(),
            [(
                Level::Warn,
                "ignored a bar of AAPL: this strategy trades 0700.HK".to_string()
            )]
        );
    }

    #[test]
    fn accepts_the_params_of_its_sidecar() {
        let params = sidecar_params(include_str!("../hk_breakout.toml")).expect("valid sidecar");
        assert_eq!(HkBreakout::init(&params).err(), None);
    }

    #[test]
    fn refuses_bad_params_by_name() {
        let err = |pairs: &[(&str, &str)]| {
            HkBreakout::init(&Params::from_pairs(pairs.iter().copied())).err()
        };
        assert_eq!(
            err(&[("lot", "0")]).as_deref(),
            Some("param `lot`: must be at least 1, got `0`")
        );
        assert_eq!(
            err(&[("lot", "100000"), ("lots", "100000")]).as_deref(),
            Some("param `lots`: lots * lot (100000) must fit in u32, got `100000`")
        );
        assert_eq!(
            err(&[("lot_size", "100")]).as_deref(),
            Some("param `lot_size`: unknown (known: lot, lots, entry_window, exit_window)")
        );
        assert!(err(&[]).is_none(), "the defaults are valid");
    }
}
