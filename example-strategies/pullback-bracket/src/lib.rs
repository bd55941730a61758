//! A pullback in an uptrend on AAPL, bought with a limit order whose exits are attached as a
//! bracket held at IB.
//!
//! It tracks a fast and a slow simple moving average of the close. When it holds nothing and
//! has no order working, the fast average is above the slow one (an uptrend) and the close dips
//! below the fast average (a pullback), it sends a bracket: an `open-long` of `quantity` shares
//! limited at the close, with a good-till-cancelled take-profit `take_profit_pct` percent above
//! it and a good-till-cancelled stop-loss `stop_loss_pct` percent below it. IB holds the exits
//! with the entry and works them once it has filled; one filled cancels the other. If the entry
//! has not filled `cancel_after_bars` bars later, the strategy cancels it, and IB cancels its
//! exits with it.
//!
//! It learns what rests from `working_orders()` rather than from its memory: an exit lists its
//! entry's signal id in `exit_of`, so a restarted instance finds its bracket again, never enters
//! twice, and cancels a stale entry as the first instance would have (counting the bars from the
//! first one it sees the entry on).
//!
//! The symbol is the constant [`SYMBOL`]: the host asks `describe()` for the symbols before it
//! has any parameters, so they cannot come from the sidecar.
//!
//! Params (the sidecar's `[params]`): `fast` (default 10), `slow` (default 30, more than
//! `fast`), `quantity` (default 10), `take_profit_pct` (default 2), `stop_loss_pct` (default
//! 1), `cancel_after_bars` (default 5).

use sandtrade_guest::prelude::*;

/// The one symbol this strategy trades (a US stock).
pub const SYMBOL: &str = "AAPL";

/// The strategy: its averages, its bracket's settings, and the entry it is waiting on.
pub struct PullbackBracket {
    quantity: u32,
    take_profit_pct: f64,
    stop_loss_pct: f64,
    cancel_after_bars: u32,
    fast: Sma,
    slow: Sma,
    /// The working entry and how many bars it has been seen working since it was sent (or,
    /// after a restart, since it was first seen).
    waiting: Option<(SignalId, u32)>,
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

/// `price` in whole cents.
fn cents(price: f64) -> f64 {
    (price * 100.0).round() / 100.0
}

impl Strategy for PullbackBracket {
    fn describe() -> Metadata {
        Metadata::new("pullback-bracket", env!("CARGO_PKG_VERSION"), [SYMBOL], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&[
            "fast",
            "slow",
            "quantity",
            "take_profit_pct",
            "stop_loss_pct",
            "cancel_after_bars",
        ])?;
        let fast: usize = params.get_or("fast", 10)?;
        let slow: usize = params.get_or("slow", 30)?;
        let quantity: u32 = params.get_or("quantity", 10)?;
        let cancel_after_bars: u32 = params.get_or("cancel_after_bars", 5)?;
        if fast == 0 {
            return Err(ParamError::out_of_range("fast", "must be at least 1", 0).into());
        }
        if slow <= fast {
            return Err(format!(
                "param `slow` ({slow}) must be greater than `fast` ({fast})"
            ));
        }
        if quantity == 0 {
            return Err(ParamError::out_of_range("quantity", "must be at least 1", 0).into());
        }
        if cancel_after_bars == 0 {
            return Err(
                ParamError::out_of_range("cancel_after_bars", "must be at least 1", 0).into(),
            );
        }
        Ok(PullbackBracket {
            quantity,
            take_profit_pct: percent(params, "take_profit_pct", 2.0)?,
            stop_loss_pct: percent(params, "stop_loss_pct", 1.0)?,
            cancel_after_bars,
            fast: Sma::new(fast),
            slow: Sma::new(slow),
            waiting: None,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        let fast = self.fast.update(bar.close);
        let slow = self.slow.update(bar.close);
        let working: Vec<WorkingOrder> = working_orders()
            .into_iter()
            .filter(|order| order.symbol == bar.symbol)
            .collect();
        // The entry of a bracket is the buy its exits name in `exit_of`; the strategy buys
        // only through brackets, so any buy working is one (or one whose exits have ended).
        let entry = working
            .iter()
            .find(|order| order.action.is_buy() && order.exit_of.is_none());
        if let Some(entry) = entry {
            self.wait_for(entry);
            return;
        }
        self.waiting = None;
        // Held, or exits still working (one filled, the other's cancel on its way): not flat.
        if !working.is_empty() || held(&bar.symbol) > 0 {
            return;
        }
        let (Some(fast), Some(slow)) = (fast, slow) else {
            return; // warming up
        };
        if fast > slow && bar.close < fast {
            self.enter(bar, fast, slow);
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
        if self
            .waiting
            .is_some_and(|(entry, _)| entry == fill.signal_id)
        {
            self.waiting = None;
        }
    }
}

impl PullbackBracket {
    /// Sends the bracket: a limit buy at the close, its exits around it.
    fn enter(&mut self, bar: &Bar, fast: f64, slow: f64) {
        let price = bar.close;
        let entry = Signal::open_long(&bar.symbol, self.quantity)
            .limit(price)
            .reason(format!(
                "close {price:.2} dipped below the fast average {fast:.2}, above the slow {slow:.2}"
            ));
        let exits = Exits::new()
            .take_profit(cents(price * (1.0 + self.take_profit_pct / 100.0)))
            .stop_loss(cents(price * (1.0 - self.stop_loss_pct / 100.0)));
        if let Ok(ids) = bracket_logged(entry, exits) {
            self.waiting = Some((ids.entry, 0));
        }
    }

    /// Counts one more bar of `entry` working; cancels it (and so its exits) once it has waited
    /// `cancel_after_bars` bars unfilled. An entry that has started filling is left to finish.
    fn wait_for(&mut self, entry: &WorkingOrder) {
        let bars = match self.waiting {
            Some((id, bars)) if id == entry.signal_id => bars + 1,
            // Not sent by this instance (a restart): count from now.
            _ => 0,
        };
        self.waiting = Some((entry.signal_id, bars));
        if bars < self.cancel_after_bars
            || entry.filled > 0
            || entry.state == OrderState::Cancelling
        {
            return;
        }
        match cancel(entry.signal_id) {
            Ok(outcome) => info!(
                "entry {} not filled after {bars} bars: cancelled with its exits ({outcome})",
                entry.signal_id
            ),
            // It filled (or was cancelled) first: its fill is on its way to on_fill.
            Err(refusal) => debug!(
                "entry {} not cancelled: {}",
                entry.signal_id,
                refusal.as_str()
            ),
        }
    }
}

export_strategy!(PullbackBracket);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bar, bars, on_bars, sidecar_params};

    use super::*;

    /// Averages of 2 and 4 bars, a cancel after 3 bars.
    fn strategy() -> PullbackBracket {
        let params = Params::from_pairs([("fast", "2"), ("slow", "4"), ("cancel_after_bars", "3")]);
        PullbackBracket::init(&params).expect("valid params")
    }

    /// An uptrend, then a close of 100 under the fast average (100.5) and above the slow (100).
    const PULLBACK: [f64; 6] = [97.0, 98.0, 99.0, 100.0, 101.0, 100.0];

    fn feed(s: &mut PullbackBracket, from_minute: i64, closes: &[f64]) {
        for (minute, &close) in (from_minute..).zip(closes) {
            s.on_bar(&bar(SYMBOL, minute * 60_000, close));
        }
    }

    #[test]
    fn a_pullback_in_an_uptrend_is_bought_with_its_exits_attached() {
        MockHost::reset();
        let mut s = strategy();
        // A batch stops right after the bar of the accepted bracket.
        assert_eq!(on_bars(&mut s, &bars(SYMBOL, &PULLBACK)), 6);
        let sent = MockHost::brackets();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].entry.to_string(), "open-long 10 AAPL limit 100");
        assert_eq!(
            sent[0].exits.to_string(),
            "take-profit 102 and stop-loss stop 99 gtc"
        );
        let legs: Vec<_> = working_orders()
            .iter()
            .map(|o| (o.signal_id, o.exit_of))
            .collect();
        assert_eq!(legs, [(1, None), (2, Some(1)), (3, Some(1))]);
        assert!(MockHost::signals().is_empty());
    }

    #[test]
    fn nothing_is_sent_while_a_bracket_works_or_its_position_is_held() {
        MockHost::reset();
        let mut s = strategy();
        feed(&mut s, 0, &PULLBACK);
        // More pullbacks while the entry waits (not long enough to cancel it).
        feed(&mut s, 6, &[101.0, 100.5]);
        assert_eq!(MockHost::brackets().len(), 1);
        // Filled: the exits protect the position; still nothing new.
        for fill in MockHost::fill_accepted(100.0) {
            s.on_fill(&fill);
        }
        assert_eq!(held(SYMBOL), 10);
        feed(&mut s, 8, &[101.5, 101.0, 102.0, 101.5, 102.5, 101.8]);
        assert_eq!(MockHost::brackets().len(), 1);
        assert!(MockHost::cancels().is_empty());
        // The take-profit fills, the stop-loss goes with it: flat, and the next pullback
        // is bought again.
        let take_profit = MockHost::brackets()[0].ids.take_profit.unwrap();
        s.on_fill(&MockHost::fill_one(take_profit, 102.0).expect("working"));
        assert!(working_orders().is_empty());
        feed(&mut s, 14, &[103.0, 102.6]);
        assert_eq!(MockHost::brackets().len(), 2);
        assert_eq!(
            MockHost::brackets()[1].entry.to_string(),
            "open-long 10 AAPL limit 102.6"
        );
    }

    #[test]
    fn an_entry_not_filled_after_the_bars_allowed_is_cancelled_with_its_exits() {
        MockHost::reset();
        let mut s = strategy();
        feed(&mut s, 0, &PULLBACK);
        feed(&mut s, 6, &[101.0, 102.0]);
        assert!(MockHost::cancels().is_empty());
        feed(&mut s, 8, &[103.0]);
        assert_eq!(MockHost::cancels(), [1]);
        assert!(working_orders().is_empty());
        assert_eq!(
            MockHost::logs().last().unwrap().1.as_str(),
            "entry 1 not filled after 3 bars: cancelled with its exits (cancelled)"
        );
    }

    #[test]
    fn a_restart_finds_its_bracket_and_does_not_enter_again() {
        MockHost::reset();
        feed(&mut strategy(), 0, &PULLBACK);
        assert_eq!(MockHost::brackets().len(), 1);
        // A new instance: the working entry is found, nothing is sent, and the entry is
        // cancelled 3 bars after it was first seen.
        let mut restarted = strategy();
        feed(&mut restarted, 10, &PULLBACK[..4]);
        assert_eq!(MockHost::brackets().len(), 1);
        assert_eq!(MockHost::cancels(), [1]);

        // Restarted again while the position is held and its exits work: nothing either.
        MockHost::reset();
        feed(&mut strategy(), 0, &PULLBACK);
        MockHost::fill_accepted(100.0);
        let mut restarted = strategy();
        feed(
            &mut restarted,
            10,
            &[PULLBACK.as_slice(), &PULLBACK].concat(),
        );
        assert_eq!(MockHost::brackets().len(), 1);
        assert!(MockHost::cancels().is_empty());
        let exits: Vec<_> = working_orders().iter().map(|o| o.exit_of).collect();
        assert_eq!(exits, [Some(1), Some(1)]);
    }

    #[test]
    fn a_refused_bracket_is_tried_again_on_the_next_pullback() {
        MockHost::reset();
        let mut s = strategy();
        MockHost::reject_next(RejectCode::TradingHalted, "halted by the operator");
        feed(&mut s, 0, &PULLBACK);
        assert!(MockHost::brackets().is_empty());
        // Fast 100.5 and slow 100.5: no uptrend; then fast 100.8 over slow 100.65.
        feed(&mut s, 6, &[101.0, 100.6]);
        assert_eq!(MockHost::brackets().len(), 1);
        assert_eq!(
            MockHost::brackets()[0].entry.to_string(),
            "open-long 10 AAPL limit 100.6"
        );
    }

    #[test]
    fn accepts_the_params_of_its_sidecar() {
        let params =
            sidecar_params(include_str!("../pullback_bracket.toml")).expect("valid sidecar");
        let s = PullbackBracket::init(&params).expect("accepted");
        assert_eq!((s.quantity, s.cancel_after_bars), (10, 5));
        assert_eq!((s.take_profit_pct, s.stop_loss_pct), (2.0, 1.0));
        assert_eq!((s.fast.period(), s.slow.period()), (10, 30));
    }

    #[test]
    fn refuses_params_that_make_no_sense() {
        let refused = |pairs: &[(&str, &str)]| {
            PullbackBracket::init(&Params::from_pairs(pairs.iter().copied()))
                .err()
                .unwrap()
        };
        assert_eq!(
            refused(&[("fast", "30"), ("slow", "30")]),
            "param `slow` (30) must be greater than `fast` (30)"
        );
        assert!(refused(&[("stop_loss_pct", "0")]).contains("stop_loss_pct"));
        assert!(refused(&[("take_profit_pct", "100")]).contains("take_profit_pct"));
        assert!(refused(&[("cancel_after_bars", "0")]).contains("cancel_after_bars"));
        assert!(refused(&[("symbol", "MSFT")]).contains("symbol"));
    }
}
