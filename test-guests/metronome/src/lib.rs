//! A strategy that trades on a schedule, not on prices: every `every`-th five-second bar of
//! AAPL it buys `quantity` shares (`add-long`, or `open-long` while it has no position), until
//! it has had `signals` signals accepted (default: no end).
//!
//! Its run is a function of the bars it is given and nothing else, so an end-to-end test can
//! say in advance how many signals, orders and fills a run must produce. It logs nothing per
//! bar (the latency benchmark runs it), only refusals (warn) and each fill (info):
//! `fill: signal 7, 1 AAPL at 190.25 (fills 3)`.

use sandtrade_guest::prelude::*;

/// The one symbol it trades.
const SYMBOL: &str = "AAPL";

/// The strategy: its schedule and what it has done so far.
pub struct Metronome {
    every: u64,
    quantity: u32,
    max_signals: u64,
    bars: u64,
    accepted: u64,
    fills: u64,
}

impl Strategy for Metronome {
    fn describe() -> Metadata {
        Metadata::new("metronome", env!("CARGO_PKG_VERSION"), [SYMBOL], 5)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["every", "quantity", "signals"])?;
        let every: u64 = params.get_or("every", 1)?;
        let quantity: u32 = params.get_or("quantity", 1)?;
        let max_signals: u64 = params.get_or("signals", u64::MAX)?;
        if every == 0 {
            return Err(ParamError::out_of_range("every", "must be at least 1", 0).into());
        }
        if quantity == 0 {
            return Err(ParamError::out_of_range("quantity", "must be at least 1", 0).into());
        }
        Ok(Metronome {
            every,
            quantity,
            max_signals,
            bars: 0,
            accepted: 0,
            fills: 0,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        self.bars += 1;
        if !self.bars.is_multiple_of(self.every) || self.accepted >= self.max_signals {
            return;
        }
        // The reason names the bar's source, so a test can tell what data the signal came from.
        let source = match bar.source {
            DataSource::Live => "live",
            DataSource::Delayed => "delayed",
            DataSource::Frozen => "frozen",
            DataSource::Historical => "historical",
            DataSource::Replay => "replay",
        };
        let reason = format!("bar {}, {source} data", self.bars);
        // `add-long` while a position is held or being bought; the host refuses it with
        // `position-limit` when flat, and then `open-long` starts the position.
        let outcome = match emit(Signal::add_long(&bar.symbol, self.quantity).reason(&reason)) {
            Err(refused) if refused.code == RejectCode::PositionLimit => {
                emit(Signal::open_long(&bar.symbol, self.quantity).reason(reason))
            }
            outcome => outcome,
        };
        match outcome {
            Ok(_) => self.accepted += 1,
            Err(refused) => warn!(
                "bar {}: refused, {}: {}",
                self.bars, refused.code, refused.message
            ),
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        self.fills += 1;
        info!(
            "fill: signal {}, {} {} at {} (fills {})",
            fill.signal_id, fill.quantity, fill.symbol, fill.price, self.fills
        );
    }
}

export_strategy!(Metronome);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bars};

    use super::*;

    fn metronome(params: &[(&str, &str)]) -> Metronome {
        Metronome::init(&Params::from_pairs(params.iter().copied())).expect("valid params")
    }

    #[test]
    fn buys_every_nth_bar_until_the_limit() {
        MockHost::reset();
        let mut m = metronome(&[("every", "2"), ("quantity", "3"), ("signals", "2")]);
        for bar in bars("AAPL", &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) {
            m.on_bar(&bar);
        }
        let signals: Vec<String> = MockHost::signals()
            .iter()
            .map(ToString::to_string)
            .collect();
        // The mock accepts everything, so the first buy is an add-long too.
        assert_eq!(signals, ["add-long 3 AAPL", "add-long 3 AAPL"]);
    }

    #[test]
    fn opens_when_the_host_says_flat() {
        MockHost::reset();
        MockHost::reject_next(RejectCode::PositionLimit, "flat");
        let mut m = metronome(&[]);
        m.on_bar(&bars("AAPL", &[1.0])[0]);
        let signals: Vec<String> = MockHost::signals()
            .iter()
            .map(ToString::to_string)
            .collect();
        // The refused add-long is not recorded; the open-long that followed it is.
        assert_eq!(signals, ["open-long 1 AAPL"]);
    }

    #[test]
    fn refuses_zero_parameters() {
        let err = Metronome::init(&Params::from_pairs([("every", "0")])).err();
        assert_eq!(
            err.as_deref(),
            Some("param `every`: must be at least 1, got `0`")
        );
    }
}
