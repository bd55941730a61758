//! An order resting in the simulated account, and the rules by which a bar fills it.
//!
//! The rules are the fill model of `docs/backtest.md`, one function per order type; every
//! price is decided from the bar's open, high, low and close alone, so a run is deterministic.
//!
//! - **Slippage** moves every price the market makes against the strategy (a buy pays more, a
//!   sell gets less): market fills, stops filling at their trigger or at a gapped open, on-close
//!   fills. A limit never fills beyond its limit.
//! - **Triggers** are touched by the bar's low (a sell stop) or high (a buy stop). A bar that
//!   opens beyond the trigger has gapped through it: the stop fills at the open.
//! - **Trailing stops** trail the best price seen since they were placed (the close of the bar
//!   they were decided on, then each bar's high for a sell, low for a buy). A bar is checked
//!   against the trigger as it stood before the bar; the bar's own extreme moves it afterwards.
//! - **Days** are UTC dates: both markets' regular sessions fall within one.
//! - **Exits of a bracket** wait for their entry: until it has filled they neither trigger nor
//!   fill (a `day` exit still ends with its day); then they work from the bar after the one
//!   the entry filled in, as any resting sell of their type, except that a `day` take-profit
//!   rests until its day ends (the one-bar rule of `day` limits is for lone orders).

use sandtrade_core::{Action, Bar, OrderType, Side, TimeInForce, Timing, Trail};

const DAY_MS: i64 = 86_400_000;

/// The UTC date of a time, as days since the epoch.
fn day_of(time_ms: i64) -> i64 {
    time_ms.div_euclid(DAY_MS)
}

/// The bar of the same symbol before the one being filled: on-close orders fill at its close.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PreviousBar {
    /// Its start, ms since the epoch.
    pub start_ms: i64,
    /// Its close.
    pub close: f64,
}

/// What a bar does to a resting order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// It fills in full at `price`, in the bar that started at `time_ms`.
    Fill {
        /// Price per share, slippage included.
        price: f64,
        /// The start of the bar it filled in (the previous bar's, for an on-close order).
        time_ms: i64,
    },
    /// It keeps working.
    Rest,
    /// Its time in force ended unfilled.
    Expire,
}

/// An order the simulated account holds until it fills or its time in force ends.
#[derive(Debug, Clone, Copy)]
pub struct RestingOrder {
    /// The signal id `Sim::submit` returned.
    pub id: u64,
    /// What the strategy asked for.
    pub action: Action,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    pub quantity: u32,
    /// How it is priced, as submitted.
    pub order_type: OrderType,
    /// How long it works.
    pub timing: Timing,
    /// The start of the bar it was decided on.
    pub submitted_ms: i64,
    /// It can fill only in a bar that starts after this: the bar it was decided on or, for an
    /// exit of a bracket, the bar its entry filled in.
    pub works_after_ms: i64,
    /// For an exit of a bracket: the signal id of its entry.
    pub exit_of: Option<u64>,
    /// An exit whose entry has not filled yet: it neither triggers nor fills (nor trails).
    pub waiting: bool,
    /// The UTC date whose close an on-close order waits for; the decision date for the rest.
    day: i64,
    /// A triggered stop-limit (or trailing stop-limit): now a plain limit at this price.
    armed_limit: Option<f64>,
    /// A trailing stop's best price so far: the highest for a sell, the lowest for a buy.
    best: Option<f64>,
}

impl RestingOrder {
    /// An order decided at `submitted_ms`, when the strategy's last seen price was `reference`
    /// (a trailing stop starts trailing from it).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: u64,
        action: Action,
        quantity: u32,
        order_type: OrderType,
        timing: Timing,
        submitted_ms: i64,
        reference: Option<f64>,
    ) -> Self {
        Self {
            id,
            action,
            side: action.side(),
            quantity,
            order_type,
            timing,
            submitted_ms,
            works_after_ms: submitted_ms,
            exit_of: None,
            waiting: false,
            day: day_of(submitted_ms),
            armed_limit: None,
            best: matches!(order_type, OrderType::TrailingStop { .. })
                .then_some(reference)
                .flatten(),
        }
    }

    /// The same order as an exit of the bracket whose entry is `entry`: waiting for it to fill,
    /// and not trailing yet.
    pub fn exit_of(mut self, entry: u64) -> Self {
        self.exit_of = Some(entry);
        self.waiting = true;
        self.best = None;
        self
    }

    /// The exit's entry filled, buying `bought` shares, in the bar that started at
    /// `filled_ms` and closed at `close`: the exit sells at most those shares, and works from
    /// the next bar on as if it had been placed on that bar (a trailing stop starts trailing
    /// from its close).
    pub fn start_working(&mut self, bought: u32, filled_ms: i64, close: f64) {
        self.waiting = false;
        self.quantity = self.quantity.min(bought);
        self.works_after_ms = self.works_after_ms.max(filled_ms);
        if matches!(self.order_type, OrderType::TrailingStop { .. }) {
            self.best = Some(close);
        }
    }

    /// What `bar`, a later bar of the order's symbol, does to the order. `previous` is the
    /// symbol's bar before it; `slippage` is a fraction (1 bp = 0.0001).
    pub fn on_bar(&mut self, bar: &Bar, previous: Option<PreviousBar>, slippage: f64) -> Outcome {
        let day = day_of(bar.start_ms);
        if self.waiting {
            // An exit waiting for its entry: nothing can fill it, but its day can end.
            return if self.timing.tif == TimeInForce::Day && day > self.day {
                Outcome::Expire
            } else {
                Outcome::Rest
            };
        }
        if self.order_type.is_on_close() {
            return self.on_close(day, previous, slippage);
        }
        if self.timing.tif == TimeInForce::Opg {
            // The opening auction of the next trading day: its first bar's open, or nothing.
            if day == self.day {
                return Outcome::Rest;
            }
            return self
                .at_price(bar.open, self.order_type.limit_price(), slippage)
                .map_or(Outcome::Expire, |price| self.filled(price, bar));
        }
        if self.timing.tif == TimeInForce::Day && day > self.day {
            return Outcome::Expire;
        }
        let price = match (self.armed_limit, self.order_type) {
            (Some(limit), _) => limit_fill(self.side, bar, limit, slippage),
            (None, OrderType::Market) => Some(adverse(self.side, bar.open, slippage)),
            (None, OrderType::Limit(limit)) => limit_fill(self.side, bar, limit, slippage),
            (None, OrderType::Stop(trigger)) => {
                touched(self.side, bar, trigger).map(|at| adverse(self.side, at, slippage))
            }
            (None, OrderType::StopLimit { trigger, limit }) => {
                match touched(self.side, bar, trigger) {
                    Some(at) => self.arm(limit, at, slippage),
                    None => None,
                }
            }
            (
                None,
                OrderType::TrailingStop {
                    trail,
                    limit_offset,
                },
            ) => self.trail(bar, trail, limit_offset, slippage),
            (None, OrderType::MarketOnClose | OrderType::LimitOnClose(_)) => {
                unreachable!("on-close orders are handled above")
            }
        };
        match price {
            Some(price) => self.filled(price, bar),
            None if self.lives_one_bar() => Outcome::Expire,
            None => Outcome::Rest,
        }
    }

    /// Takes a modify: `quantity` shares on `order_type` terms (the same type, checked by the
    /// risk layer), from the next bar. A stop-limit already triggered rests at its new limit;
    /// a triggered trailing stop-limit keeps the limit it armed at (its trigger is gone).
    pub fn change(&mut self, quantity: u32, order_type: OrderType) {
        self.quantity = quantity;
        self.order_type = order_type;
        if let (Some(_), OrderType::StopLimit { limit, .. }) = (self.armed_limit, order_type) {
            self.armed_limit = Some(limit);
        }
    }

    /// Market and limit day orders are good for the next bar only: a 0.1.0 strategy cannot
    /// cancel, and a resting limit it forgot could block it for the rest of the day. `ioc` is
    /// one bar by definition. Everything else rests until its day ends, or, `gtc`, until it
    /// fills; so does an exit of a bracket (a strategy that uses brackets can cancel).
    fn lives_one_bar(&self) -> bool {
        match self.timing.tif {
            TimeInForce::Ioc => true,
            TimeInForce::Day => {
                self.exit_of.is_none()
                    && self.armed_limit.is_none()
                    && matches!(self.order_type, OrderType::Market | OrderType::Limit(_))
            }
            TimeInForce::Gtc | TimeInForce::Opg => false,
        }
    }

    fn filled(&self, price: f64, bar: &Bar) -> Outcome {
        Outcome::Fill {
            price,
            time_ms: bar.start_ms,
        }
    }

    /// A triggered stop-limit at `at`: fills there if `limit` takes that price, else rests as
    /// a limit from the next bar (the bar's path after the trigger is unknown).
    fn arm(&mut self, limit: f64, at: f64, slippage: f64) -> Option<f64> {
        let price = self.at_price(at, Some(limit), slippage);
        if price.is_none() {
            self.armed_limit = Some(limit);
        }
        price
    }

    /// What an order fills at when the market is at `at`: `at` moved by slippage, but never
    /// beyond `limit` if it has one; `None` when `at` is beyond the limit.
    fn at_price(&self, at: f64, limit: Option<f64>, slippage: f64) -> Option<f64> {
        let moved = adverse(self.side, at, slippage);
        match (self.side, limit) {
            (_, None) => Some(moved),
            (Side::Buy, Some(limit)) => (at <= limit).then(|| moved.min(limit)),
            (Side::Sell, Some(limit)) => (at >= limit).then(|| moved.max(limit)),
        }
    }

    /// A trailing stop: checked against its trigger from the best price before this bar, then
    /// moved by the bar's extreme.
    fn trail(
        &mut self,
        bar: &Bar,
        trail: Trail,
        limit_offset: Option<f64>,
        slippage: f64,
    ) -> Option<f64> {
        let best = *self.best.get_or_insert(bar.open);
        let distance = match trail {
            Trail::Amount(amount) => amount,
            Trail::Percent(percent) => best * percent / 100.0,
        };
        let trigger = match self.side {
            Side::Sell => best - distance,
            Side::Buy => best + distance,
        };
        if let Some(at) = touched(self.side, bar, trigger) {
            return match limit_offset {
                None => Some(adverse(self.side, at, slippage)),
                Some(offset) => {
                    let limit = match self.side {
                        Side::Sell => trigger - offset,
                        Side::Buy => trigger + offset,
                    };
                    self.arm(limit, at, slippage)
                }
            };
        }
        self.best = Some(match self.side {
            Side::Sell => best.max(bar.high),
            Side::Buy => best.min(bar.low),
        });
        None
    }

    /// A market- or limit-on-close order: fills at the close of its day's last bar, which is
    /// known once a bar of a later day arrives. Decided on the day's last bar, it waits for the
    /// next day's close (it has seen that close already).
    fn on_close(&mut self, day: i64, previous: Option<PreviousBar>, slippage: f64) -> Outcome {
        if day == self.day {
            return Outcome::Rest;
        }
        match previous {
            Some(last)
                if last.start_ms > self.submitted_ms && day_of(last.start_ms) == self.day =>
            {
                match self.at_price(last.close, self.order_type.limit_price(), slippage) {
                    Some(price) => Outcome::Fill {
                        price,
                        time_ms: last.start_ms,
                    },
                    None => Outcome::Expire,
                }
            }
            _ => {
                self.day = day;
                Outcome::Rest
            }
        }
    }
}

/// `price` moved against whoever trades on `side` by `slippage`.
fn adverse(side: Side, price: f64, slippage: f64) -> f64 {
    match side {
        Side::Buy => price * (1.0 + slippage),
        Side::Sell => price * (1.0 - slippage),
    }
}

/// Where a stop on `side` triggers in `bar`: at the open if the bar gapped through the trigger,
/// at the trigger if the low (a sell) or high (a buy) touches it, else nowhere.
fn touched(side: Side, bar: &Bar, trigger: f64) -> Option<f64> {
    match side {
        Side::Sell if bar.open <= trigger => Some(bar.open),
        Side::Sell => (bar.low <= trigger).then_some(trigger),
        Side::Buy if bar.open >= trigger => Some(bar.open),
        Side::Buy => (bar.high >= trigger).then_some(trigger),
    }
}

/// A limit order in `bar`: a buy at `limit` fills at the open (with slippage, capped at the
/// limit) if the bar opens at or below it, else at the limit if the low trades through it;
/// a sell mirrors this with the high. Touching the limit is not enough.
fn limit_fill(side: Side, bar: &Bar, limit: f64, slippage: f64) -> Option<f64> {
    match side {
        Side::Buy if bar.open <= limit => Some(adverse(side, bar.open, slippage).min(limit)),
        Side::Buy => (bar.low < limit).then_some(limit),
        Side::Sell if bar.open >= limit => Some(adverse(side, bar.open, slippage).max(limit)),
        Side::Sell => (bar.high > limit).then_some(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_205_800_000; // 2024-01-02 14:30 UTC
    const MIN: i64 = 60_000;

    fn bar(minute: i64, open: f64, high: f64, low: f64, close: f64) -> Bar {
        Bar {
            start_ms: T0 + minute * MIN,
            open,
            high,
            low,
            close,
            volume: 1000.0,
        }
    }

    fn sell(order_type: OrderType, tif: TimeInForce) -> RestingOrder {
        let timing = Timing {
            tif,
            outside_rth: false,
        };
        RestingOrder::new(
            1,
            Action::CloseLong,
            10,
            order_type,
            timing,
            T0,
            Some(100.0),
        )
    }

    fn fill(price: f64, minute: i64) -> Outcome {
        Outcome::Fill {
            price,
            time_ms: T0 + minute * MIN,
        }
    }

    #[test]
    fn a_sell_stop_fills_at_its_trigger_when_the_low_touches_it_and_at_the_open_after_a_gap() {
        let mut stop = sell(OrderType::Stop(95.0), TimeInForce::Gtc);
        assert_eq!(
            stop.on_bar(&bar(1, 99.0, 100.0, 95.5, 96.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            stop.on_bar(&bar(2, 96.0, 96.0, 95.0, 95.5), None, 0.0),
            fill(95.0, 2)
        );
        let mut gapped = sell(OrderType::Stop(95.0), TimeInForce::Gtc);
        assert_eq!(
            gapped.on_bar(&bar(1, 90.0, 91.0, 89.0, 90.0), None, 0.001),
            fill(90.0 * 0.999, 1)
        );
    }

    #[test]
    fn a_buy_stop_triggers_on_the_high() {
        let timing = Timing::DAY;
        let mut entry = RestingOrder::new(
            1,
            Action::OpenLong,
            10,
            OrderType::Stop(105.0),
            timing,
            T0,
            Some(100.0),
        );
        assert_eq!(
            entry.on_bar(&bar(1, 101.0, 104.0, 100.0, 103.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            entry.on_bar(&bar(2, 103.0, 106.0, 102.0, 105.0), None, 0.0),
            fill(105.0, 2)
        );
    }

    #[test]
    fn a_stop_limit_gapped_below_its_limit_rests_as_a_limit() {
        let stop_limit = OrderType::StopLimit {
            trigger: 95.0,
            limit: 94.0,
        };
        let mut order = sell(stop_limit, TimeInForce::Gtc);
        // Opens at 93: triggered, but 93 is below the 94 limit: no fill, now a limit at 94.
        assert_eq!(
            order.on_bar(&bar(1, 93.0, 93.9, 92.0, 93.5), None, 0.0),
            Outcome::Rest
        );
        // A later bar trades through 94: fills at the limit.
        assert_eq!(
            order.on_bar(&bar(2, 93.5, 94.5, 93.0, 94.2), None, 0.0),
            fill(94.0, 2)
        );
        // Touched intrabar with the limit below the trigger: fills at the trigger.
        let mut touched = sell(stop_limit, TimeInForce::Gtc);
        assert_eq!(
            touched.on_bar(&bar(1, 97.0, 97.0, 94.5, 95.0), None, 0.0),
            fill(95.0, 1)
        );
    }

    #[test]
    fn a_trailing_stop_follows_the_high_and_triggers_from_the_trigger_before_the_bar() {
        let trailing = OrderType::TrailingStop {
            trail: Trail::Amount(2.0),
            limit_offset: None,
        };
        let mut order = sell(trailing, TimeInForce::Gtc);
        // Best 100 (the decision bar's close): trigger 98. The high of 104 moves it to 102.
        assert_eq!(
            order.on_bar(&bar(1, 100.0, 104.0, 98.5, 103.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            order.on_bar(&bar(2, 103.0, 103.5, 102.5, 103.0), None, 0.0),
            Outcome::Rest
        );
        // Best 104, trigger 102: the low of 101 touches it.
        assert_eq!(
            order.on_bar(&bar(3, 103.0, 103.0, 101.0, 101.5), None, 0.0),
            fill(102.0, 3)
        );

        let percent = OrderType::TrailingStop {
            trail: Trail::Percent(10.0),
            limit_offset: Some(1.0),
        };
        let mut order = sell(percent, TimeInForce::Gtc);
        // Trigger 90, limit 89: gapped open at 85 is below the limit, so it rests at 89.
        assert_eq!(
            order.on_bar(&bar(1, 85.0, 88.0, 84.0, 86.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            order.on_bar(&bar(2, 88.0, 89.5, 87.0, 89.0), None, 0.0),
            fill(89.0, 2)
        );
    }

    #[test]
    fn a_day_stop_expires_with_its_day_and_a_gtc_stop_does_not() {
        let next_day = 24 * 60;
        let mut day = sell(OrderType::Stop(95.0), TimeInForce::Day);
        assert_eq!(
            day.on_bar(&bar(1, 99.0, 100.0, 96.0, 97.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            day.on_bar(&bar(next_day, 90.0, 91.0, 89.0, 90.0), None, 0.0),
            Outcome::Expire
        );
        let mut gtc = sell(OrderType::Stop(95.0), TimeInForce::Gtc);
        assert_eq!(
            gtc.on_bar(&bar(next_day, 90.0, 91.0, 89.0, 90.0), None, 0.0),
            fill(90.0, next_day)
        );
    }

    #[test]
    fn a_day_limit_lives_one_bar_and_a_gtc_limit_rests() {
        let mut day = sell(OrderType::Limit(110.0), TimeInForce::Day);
        assert_eq!(
            day.on_bar(&bar(1, 100.0, 105.0, 99.0, 104.0), None, 0.0),
            Outcome::Expire
        );
        let mut gtc = sell(OrderType::Limit(110.0), TimeInForce::Gtc);
        assert_eq!(
            gtc.on_bar(&bar(1, 100.0, 105.0, 99.0, 104.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            gtc.on_bar(&bar(2, 104.0, 111.0, 103.0, 110.0), None, 0.0),
            fill(110.0, 2)
        );
        let mut ioc = sell(OrderType::Limit(110.0), TimeInForce::Ioc);
        assert_eq!(
            ioc.on_bar(&bar(1, 100.0, 105.0, 99.0, 104.0), None, 0.0),
            Outcome::Expire
        );
    }

    #[test]
    fn on_close_orders_fill_at_the_close_of_their_day_once_it_is_known() {
        let next_day = 24 * 60;
        let mut moc = sell(OrderType::MarketOnClose, TimeInForce::Day);
        assert_eq!(
            moc.on_bar(&bar(1, 100.0, 101.0, 99.0, 100.0), None, 0.0),
            Outcome::Rest
        );
        let last = PreviousBar {
            start_ms: T0 + 389 * MIN,
            close: 101.25,
        };
        assert_eq!(
            moc.on_bar(&bar(next_day, 102.0, 103.0, 101.0, 102.0), Some(last), 0.0),
            fill(101.25, 389)
        );
        // A limit-on-close the close does not reach expires.
        let mut loc = sell(OrderType::LimitOnClose(102.0), TimeInForce::Day);
        assert_eq!(
            loc.on_bar(&bar(next_day, 102.0, 103.0, 101.0, 102.0), Some(last), 0.0),
            Outcome::Expire
        );
        // Decided on the day's last bar (the previous bar is the decision bar): the next day's
        // close.
        let mut late = sell(OrderType::MarketOnClose, TimeInForce::Day);
        let decision = PreviousBar {
            start_ms: T0,
            close: 100.0,
        };
        assert_eq!(
            late.on_bar(
                &bar(next_day, 102.0, 103.0, 101.0, 102.0),
                Some(decision),
                0.0
            ),
            Outcome::Rest
        );
    }

    #[test]
    fn an_opening_order_fills_at_the_next_days_first_open_or_expires() {
        let next_day = 24 * 60;
        let timing = Timing {
            tif: TimeInForce::Opg,
            outside_rth: false,
        };
        let mut opg =
            RestingOrder::new(1, Action::OpenLong, 10, OrderType::Market, timing, T0, None);
        assert_eq!(
            opg.on_bar(&bar(1, 100.0, 101.0, 99.0, 100.0), None, 0.0),
            Outcome::Rest
        );
        assert_eq!(
            opg.on_bar(&bar(next_day, 102.0, 103.0, 101.0, 102.0), None, 0.0),
            fill(102.0, next_day)
        );
        let mut loo = RestingOrder::new(
            1,
            Action::OpenLong,
            10,
            OrderType::Limit(101.0),
            timing,
            T0,
            None,
        );
        assert_eq!(
            loo.on_bar(&bar(next_day, 102.0, 103.0, 100.0, 102.0), None, 0.0),
            Outcome::Expire
        );
    }
}
