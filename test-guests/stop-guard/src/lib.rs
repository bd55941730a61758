//! A strategy that protects what it buys with a stop-loss resting at IB, and can take the
//! stop back: the end-to-end test of protective orders, working orders and cancels.
//!
//! On its `buy_at`-th bar (param, default 1) of AAPL it buys `quantity` (default 10) at the
//! market. When that buy fills it places a good-till-cancelled stop-loss over the whole
//! position, `stop_pct` percent (default 5) under the fill price. On its `raise_at`-th bar
//! (default: never) it raises the stop (a modify) to `stop_pct` percent under that bar's close,
//! if that is higher. On its `cancel_at`-th bar
//! (default: never) it cancels the stop, and sells at the market on the first bar on which the
//! stop is no longer among its working orders: until IB confirms the cancel the stop is a
//! pending sell of the whole position, and the host would refuse a second sell as a short.
//!
//! With `take_profit_pct` (param, default: none) the entry is a bracket instead: a market buy
//! with a take-profit `take_profit_pct` percent above the entry bar's close and a stop-loss
//! `stop_pct` percent under it, which IB holds with the buy and works once it fills (then
//! `raise_at` and `cancel_at` act on the bracket's stop-loss). It logs the bracket's ids
//! (`bracket: entry 1, take-profit 2, stop-loss 3`).
//!
//! It logs what a test checks: `stop: signal 2, reduce-long 10 AAPL stop 9.5 gtc`, the working
//! orders after placing it (`working: signal 2 stop 9.5 gtc`), the raise's outcome
//! (`raise: signal 2 to stop 11.4 requested`), the cancel's outcome
//! (`cancel: signal 2 requested`) and every fill (`fill: signal 2, reduce-long 10 AAPL at 9.5`).

use sandtrade_guest::prelude::*;

/// The one symbol it trades.
const SYMBOL: &str = "AAPL";

/// The strategy: its schedule and its stop.
pub struct StopGuard {
    quantity: u32,
    buy_at: u64,
    raise_at: u64,
    cancel_at: u64,
    stop_pct: f64,
    take_profit_pct: Option<f64>,
    bars: u64,
    entry: Option<SignalId>,
    stop: Option<SignalId>,
    /// The stop whose cancel was asked, until the position is sold.
    cancelled: Option<SignalId>,
}

impl Strategy for StopGuard {
    fn describe() -> Metadata {
        Metadata::new("stop-guard", env!("CARGO_PKG_VERSION"), [SYMBOL], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&[
            "quantity",
            "buy_at",
            "raise_at",
            "cancel_at",
            "stop_pct",
            "take_profit_pct",
        ])?;
        let take_profit_pct: Option<f64> = params.get_opt("take_profit_pct")?;
        if let Some(pct) = take_profit_pct
            && (pct.is_nan() || pct <= 0.0)
        {
            return Err(ParamError::out_of_range("take_profit_pct", "must be above 0", pct).into());
        }
        let stop_pct: f64 = params.get_or("stop_pct", 5.0)?;
        if !(stop_pct > 0.0 && stop_pct < 100.0) {
            return Err(
                ParamError::out_of_range("stop_pct", "must be in (0, 100)", stop_pct).into(),
            );
        }
        Ok(StopGuard {
            quantity: params.get_or("quantity", 10)?,
            buy_at: params.get_or("buy_at", 1)?,
            raise_at: params.get_or("raise_at", u64::MAX)?,
            cancel_at: params.get_or("cancel_at", u64::MAX)?,
            stop_pct,
            take_profit_pct,
            bars: 0,
            entry: None,
            stop: None,
            cancelled: None,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        self.bars += 1;
        if self.bars == self.buy_at {
            let entry = Signal::open_long(&bar.symbol, self.quantity).reason("entry");
            match self.take_profit_pct {
                None => self.entry = emit_logged(entry).ok(),
                Some(pct) => self.enter_bracketed(entry, bar.close, pct),
            }
        }
        if self.bars == self.raise_at
            && let Some(stop) = self.stop
        {
            self.raise(stop, bar.close);
        }
        if self.bars == self.cancel_at
            && let Some(stop) = self.stop.take()
        {
            match cancel(stop) {
                Ok(outcome) => info!("cancel: signal {stop} {outcome}"),
                Err(refused) => warn!("cancel: signal {stop} refused, {}", refused.as_str()),
            }
            self.cancelled = Some(stop);
        }
        if let Some(stop) = self.cancelled {
            let gone = working_orders().iter().all(|o| o.signal_id != stop);
            if gone {
                self.cancelled = None;
                let _ = emit_logged(Signal::close_long(&bar.symbol).reason("stop taken back"));
            }
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
        if Some(fill.signal_id) != self.entry || self.take_profit_pct.is_some() {
            return;
        }
        let trigger = fill.price * (1.0 - self.stop_pct / 100.0);
        let stop = Signal::stop_loss(&fill.symbol, held(&fill.symbol), trigger)
            .reason(format!("{}% under the entry", self.stop_pct));
        let shown = stop.to_string();
        match emit(stop) {
            Ok(id) => {
                info!("stop: signal {id}, {shown}");
                self.stop = Some(id);
                for order in working_orders() {
                    info!(
                        "working: signal {} {} {}",
                        order.signal_id, order.order_type, order.time_in_force
                    );
                }
            }
            Err(refused) => warn!("stop refused, {}: {}", refused.code, refused.message),
        }
    }
}

impl StopGuard {
    /// Buys with the exits attached: IB holds them and works them once the buy fills.
    fn enter_bracketed(&mut self, entry: Signal, close: f64, take_profit_pct: f64) {
        let exits = Exits::new()
            .take_profit(close * (1.0 + take_profit_pct / 100.0))
            .stop_loss(close * (1.0 - self.stop_pct / 100.0));
        match bracket(entry, exits) {
            Ok(ids) => {
                info!(
                    "bracket: entry {}, take-profit {}, stop-loss {}",
                    ids.entry,
                    ids.take_profit.unwrap_or_default(),
                    ids.stop_loss.unwrap_or_default()
                );
                self.entry = Some(ids.entry);
                self.stop = ids.stop_loss;
            }
            Err(refused) => warn!("bracket refused, {}: {}", refused.code, refused.message),
        }
    }

    /// Moves the stop up to `stop_pct` under `close`, never down.
    fn raise(&mut self, stop: SignalId, close: f64) {
        let Some(working) = working_orders().into_iter().find(|o| o.signal_id == stop) else {
            return;
        };
        let OrderType::Stop(trigger) = working.order_type else {
            return;
        };
        let raised = close * (1.0 - self.stop_pct / 100.0);
        if raised <= trigger {
            return;
        }
        let to = OrderType::Stop(raised);
        match modify(stop, OrderChange::to(to)) {
            Ok(outcome) => info!("raise: signal {stop} to {to} {outcome}"),
            Err(refused) => warn!("raise: signal {stop} refused, {}", refused.as_str()),
        }
    }
}

export_strategy!(StopGuard);

#[cfg(test)]
mod tests {
    use sandtrade_guest::testing::{MockHost, bars};

    use super::*;

    #[test]
    fn protects_the_entry_with_a_stop_and_can_take_it_back() {
        MockHost::reset();
        let params = Params::from_pairs([("cancel_at", "3"), ("stop_pct", "10")]);
        let mut guard = StopGuard::init(&params).unwrap();
        let bars = bars(SYMBOL, &[10.0, 10.0, 10.0]);
        guard.on_bar(&bars[0]);
        for fill in MockHost::fill_accepted(10.0) {
            guard.on_fill(&fill);
        }
        let shown: Vec<String> = MockHost::signals()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            ["open-long 10 AAPL", "reduce-long 10 AAPL stop 9 gtc"]
        );
        guard.on_bar(&bars[1]);
        guard.on_bar(&bars[2]);
        assert_eq!(MockHost::cancels(), [2]);
        assert!(
            MockHost::logs()
                .iter()
                .any(|(_, l)| l == "cancel: signal 2 cancelled")
        );
        assert_eq!(MockHost::signals()[2].to_string(), "close-long AAPL");
    }
}
