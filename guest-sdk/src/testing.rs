//! A per-thread mock host for native unit tests (not compiled for wasm).
//!
//! On a non-wasm target every host function of the SDK goes to the calling thread's
//! [`MockHost`]: [`emit`](crate::emit) records the signal and answers with the next id (or a
//! rejection queued with [`MockHost::reject_next`]), [`position`](crate::position) reads the
//! positions set with [`MockHost::set_position`] or built by [`MockHost::fill_accepted`], log
//! lines are collected and [`now_ms`](crate::now_ms) returns [`MockHost::set_now_ms`]'s value.
//! [`bracket`](crate::bracket) records the bracket ([`MockHost::brackets`]) and gives its orders
//! consecutive ids, the entry's first; its exits are listed by
//! [`working_orders`](crate::working_orders) with `exit_of` set, and work once their entry
//! has filled.
//!
//! The mock validates nothing: it accepts every signal unless told to reject the next one.
//! The host's rules (long-only, limits, board lots) are tested with the host. Of a bracket it
//! checks the shape, as the host does: an entry that buys, at least one exit, a stop-loss that
//! is a stop, stop-limit or trailing stop, `gtc` or `day` exits, and a take-profit above a
//! fixed stop-loss trigger.
//!
//! Start each test with [`MockHost::reset`]: the mock belongs to the test's thread.
//!
//! ```
//! use sandtrade_guest::prelude::*;
//! use sandtrade_guest::testing::{MockHost, bar};
//!
//! MockHost::reset();
//! MockHost::set_position("AAPL", 100, 187.5);
//! assert_eq!(held("AAPL"), 100);
//! let id = emit(Signal::reduce_long("AAPL", 40).reason("take profit")).unwrap();
//! assert_eq!(id, 1);
//! assert_eq!(MockHost::signals()[0].quantity, 40);
//!
//! // Execute what was accepted, as the broker would, and hand the fills to `on_fill`.
//! let fills = MockHost::fill_accepted(190.0);
//! assert_eq!((fills[0].signal_id, fills[0].quantity, fills[0].price), (1, 40, 190.0));
//! assert_eq!(held("AAPL"), 60);
//!
//! let b = bar("0700.HK", 60_000, 350.2);
//! assert_eq!((b.market, b.open, b.close), (Market::HkStock, 350.2, 350.2));
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use crate::{
    Action, Bar, BracketIds, CancelOutcome, CancelRefusal, DataSource, Exits, Fill, Level, Market,
    ModifyOutcome, ModifyRefusal, OrderChange, OrderState, OrderType, Params, Position, RejectCode,
    Rejection, Signal, StopLimit, TimeInForce, WorkingOrder,
};

/// A bracket the mock accepted: what [`MockHost::brackets`] lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Bracket {
    /// The ids it answered with.
    pub ids: BracketIds,
    /// The entry as the strategy sent it.
    pub entry: Signal,
    /// The exits as the strategy sent them.
    pub exits: Exits,
}

/// An accepted order that has not ended: a signal, or one of a bracket's three.
struct Order {
    id: u64,
    /// What it does. An exit of a bracket is a `reduce-long` of its entry's quantity.
    signal: Signal,
    /// For an exit of a bracket, its entry's id.
    exit_of: Option<u64>,
}

struct State {
    next_id: u64,
    signals: Vec<Signal>,
    /// The brackets accepted so far.
    brackets: Vec<Bracket>,
    /// Accepted orders not yet executed (by [`MockHost::fill_accepted`] or
    /// [`MockHost::fill_one`]) nor cancelled.
    unfilled: Vec<Order>,
    rejections: VecDeque<Rejection>,
    positions: BTreeMap<String, Position>,
    logs: Vec<(Level, String)>,
    /// The signal ids `cancel` was called with, in order.
    cancels: Vec<u64>,
    /// The indexes `handling-bar` was called with, in order.
    handled_bars: Vec<u32>,
    /// The changes `modify` was called with, in order.
    modifies: Vec<(u64, OrderChange)>,
    now_ms: i64,
    /// The most detailed level kept; `Debug` (everything) unless a test sets it.
    log_level: Level,
}

impl Default for State {
    fn default() -> Self {
        State {
            next_id: 0,
            signals: Vec::new(),
            brackets: Vec::new(),
            unfilled: Vec::new(),
            rejections: VecDeque::new(),
            positions: BTreeMap::new(),
            logs: Vec::new(),
            cancels: Vec::new(),
            handled_bars: Vec::new(),
            modifies: Vec::new(),
            now_ms: 0,
            log_level: Level::Debug,
        }
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Controls and inspects the calling thread's mock host. All functions are associated
/// functions: there is one mock per thread.
#[derive(Debug)]
pub struct MockHost(());

impl MockHost {
    /// Forgets everything: signals, queued rejections, positions, log lines, clock, ids.
    /// Call it first in every test.
    pub fn reset() {
        STATE.with(|s| *s.borrow_mut() = State::default());
    }

    /// Sets (or, with `quantity == 0`, removes) this strategy's position in `symbol`.
    pub fn set_position(symbol: &str, quantity: u32, avg_cost: f64) {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            if quantity == 0 {
                s.positions.remove(symbol);
            } else {
                let position = Position {
                    symbol: symbol.to_string(),
                    quantity,
                    avg_cost,
                };
                s.positions.insert(symbol.to_string(), position);
            }
        })
    }

    /// Makes the next `emit` or `bracket` fail with `code` and `message` (queued, first in
    /// first out).
    pub fn reject_next(code: RejectCode, message: &str) {
        STATE.with(|s| {
            let rejection = Rejection {
                code,
                message: message.to_string(),
            };
            s.borrow_mut().rejections.push_back(rejection)
        })
    }

    /// Sets the most detailed level the mock keeps (like the host's log filter): lines below
    /// it are neither formatted nor recorded.
    pub fn set_log_level(level: Level) {
        STATE.with(|s| s.borrow_mut().log_level = level)
    }

    /// Sets the value [`now_ms`](crate::now_ms) returns.
    pub fn set_now_ms(now_ms: i64) {
        STATE.with(|s| s.borrow_mut().now_ms = now_ms)
    }

    /// The signals [`emit`](crate::emit) had accepted so far, oldest first (brackets are listed
    /// by [`MockHost::brackets`]).
    pub fn signals() -> Vec<Signal> {
        STATE.with(|s| s.borrow().signals.clone())
    }

    /// Returns and forgets the signals accepted so far ([`MockHost::fill_accepted`] still
    /// executes them).
    pub fn take_signals() -> Vec<Signal> {
        STATE.with(|s| std::mem::take(&mut s.borrow_mut().signals))
    }

    /// The brackets accepted so far, oldest first, with the ids they were given.
    ///
    /// ```
    /// # use sandtrade_guest::prelude::*;
    /// # use sandtrade_guest::testing::MockHost;
    /// MockHost::reset();
    /// let entry = Signal::open_long("AAPL", 100).limit(190.0);
    /// bracket(entry.clone(), Exits::new().take_profit(205.0).stop_loss(184.0)).unwrap();
    /// let sent = &MockHost::brackets()[0];
    /// assert_eq!((sent.ids.entry, sent.ids.stop_loss), (1, Some(3)));
    /// assert_eq!(sent.entry, entry);
    /// assert_eq!(sent.exits.take_profit, Some(205.0));
    /// ```
    pub fn brackets() -> Vec<Bracket> {
        STATE.with(|s| s.borrow().brackets.clone())
    }

    /// The log lines written so far, oldest first.
    pub fn logs() -> Vec<(Level, String)> {
        STATE.with(|s| s.borrow().logs.clone())
    }

    /// Returns and forgets the log lines written so far.
    pub fn take_logs() -> Vec<(Level, String)> {
        STATE.with(|s| std::mem::take(&mut s.borrow_mut().logs))
    }

    /// The bar indexes the SDK told the host of while a test drove `on-bars` (through
    /// [`testing::on_bars`](on_bars)), oldest first.
    pub fn handled_bars() -> Vec<u32> {
        STATE.with(|s| s.borrow().handled_bars.clone())
    }

    /// The signal ids and changes [`modify`](crate::modify) was called with, oldest first.
    pub fn modifies() -> Vec<(u64, OrderChange)> {
        STATE.with(|s| s.borrow().modifies.clone())
    }

    /// The signal ids [`cancel`](crate::cancel) was called with, oldest first.
    pub fn cancels() -> Vec<u64> {
        STATE.with(|s| s.borrow().cancels.clone())
    }

    /// Executes, in full and at `price`, the accepted and unfilled order `signal_id` (a stop
    /// the test decides has triggered, say), like [`MockHost::fill_accepted`] does for all.
    /// `None` if no such order is working, or if it is an exit of a bracket whose entry has not
    /// filled yet (IB works the exits only once their entry has filled).
    ///
    /// An exit of a bracket filled in full cancels the other exit, as IB does.
    pub fn fill_one(signal_id: u64, price: f64) -> Option<Fill> {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            let at = s.unfilled.iter().position(|o| o.id == signal_id)?;
            if let Some(entry) = s.unfilled[at].exit_of
                && s.unfilled.iter().any(|o| o.id == entry)
            {
                return None;
            }
            let order = s.unfilled.remove(at);
            if let Some(entry) = order.exit_of {
                s.unfilled.retain(|o| o.exit_of != Some(entry));
            }
            let quantity = s.execute(&order.signal, price);
            Some(Fill {
                signal_id,
                symbol: order.signal.symbol,
                action: order.signal.action,
                quantity,
                price,
                time_ms: s.now_ms,
            })
        })
    }

    /// Executes, in full and at `price`, every signal accepted since the last call, the way
    /// the host's ledger would: a buy adds to the position at a weighted average cost, a sell
    /// takes from it (`close-long` sells all of it). Returns the fills, oldest first, stamped
    /// with the mock clock, for the test to pass to [`Strategy::on_fill`](crate::Strategy).
    ///
    /// The entries of brackets fill with the rest; their exits never do here (filled at the
    /// entry's price they would sell what was just bought): they stay working, for
    /// [`MockHost::fill_one`] to fill when the test decides one was reached.
    ///
    /// Panics if a sell exceeds the position: the host would have refused that signal, so the
    /// test is driving the strategy somewhere it cannot go.
    pub fn fill_accepted(price: f64) -> Vec<Fill> {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            let time_ms = s.now_ms;
            let (exits, filled): (Vec<Order>, Vec<Order>) = std::mem::take(&mut s.unfilled)
                .into_iter()
                .partition(|o| o.exit_of.is_some());
            s.unfilled = exits;
            filled
                .into_iter()
                .map(|order| {
                    let quantity = s.execute(&order.signal, price);
                    Fill {
                        signal_id: order.id,
                        symbol: order.signal.symbol,
                        action: order.signal.action,
                        quantity,
                        price,
                        time_ms,
                    }
                })
                .collect()
        })
    }
}

impl State {
    /// Applies one executed signal to the positions; returns the shares executed.
    fn execute(&mut self, signal: &Signal, price: f64) -> u32 {
        let held = self.positions.get(&signal.symbol).map_or(0, |p| p.quantity);
        let (quantity, after) = match signal.action {
            Action::OpenLong | Action::AddLong => (signal.quantity, held + signal.quantity),
            Action::CloseLong => (held, 0),
            Action::ReduceLong => {
                let after = held.checked_sub(signal.quantity).unwrap_or_else(|| {
                    panic!(
                        "mock host: reduce-long {} {} with {held} held; the host refuses sells \
                         larger than the position",
                        signal.quantity, signal.symbol
                    )
                });
                (signal.quantity, after)
            }
        };
        if after == 0 {
            self.positions.remove(&signal.symbol);
            return quantity;
        }
        let avg_cost = match self.positions.get(&signal.symbol) {
            Some(p) if signal.action.is_buy() => {
                (p.avg_cost * f64::from(held) + price * f64::from(quantity)) / f64::from(after)
            }
            Some(p) => p.avg_cost,
            None => price,
        };
        let position = Position {
            symbol: signal.symbol.clone(),
            quantity: after,
            avg_cost,
        };
        self.positions.insert(signal.symbol.clone(), position);
        quantity
    }
}

/// A live bar of `symbol` starting at `start_ms` whose open, high, low and close are all
/// `close`, with no volume. The market is [`Market::HkStock`] for `0700.HK`-style and all-digit
/// symbols, else [`Market::UsStock`]. Change fields with struct update syntax:
/// `Bar { high: 11.0, ..bar("AAPL", 0, 10.0) }`.
pub fn bar(symbol: &str, start_ms: i64, close: f64) -> Bar {
    let hk = symbol.ends_with(".HK") || symbol.bytes().all(|b| b.is_ascii_digit());
    Bar {
        symbol: symbol.to_string(),
        market: if hk { Market::HkStock } else { Market::UsStock },
        start_ms,
        open: close,
        high: close,
        low: close,
        close,
        volume: 0.0,
        source: DataSource::Live,
    }
}

/// The `[params]` of a sidecar `.toml`, as the host passes them to `init`: every value as a
/// string, strings as they are, numbers, booleans and dates as Rust displays them
/// (`fast = 10` gives `"10"`, `ratio = 0.5` gives `"0.5"`, `oversold = 30.0` gives `"30"`). Test that the sidecar you ship is accepted:
///
/// ```
/// # use sandtrade_guest::testing::sidecar_params;
/// let params = sidecar_params("[params]\nfast = 10\nname = 'x'\n[limits]\n").unwrap();
/// assert_eq!(params.raw("fast"), Some("10"));
/// assert_eq!(params.raw("name"), Some("x"));
/// // In a strategy crate:
/// // MyStrat::init(&sidecar_params(include_str!("../my_strat.toml")).unwrap()).unwrap();
/// ```
///
/// Errors: the text is not TOML, or `params` is not a table of scalars.
pub fn sidecar_params(sidecar: &str) -> Result<Params, String> {
    let table: toml::Table = sidecar.parse().map_err(|e| format!("sidecar: {e}"))?;
    let Some(params) = table.get("params") else {
        return Ok(Params::default());
    };
    let params = params
        .as_table()
        .ok_or("sidecar: `params` must be a table")?;
    let mut pairs = Vec::with_capacity(params.len());
    for (key, value) in params {
        // The host's rules (`host/runtime/src/sidecar.rs`): each scalar as Rust displays it.
        let value = match value {
            toml::Value::String(text) => text.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Datetime(d) => d.to_string(),
            toml::Value::Array(_) | toml::Value::Table(_) => {
                let got = value.type_str();
                return Err(format!(
                    "sidecar: param `{key}` must be a string, number, boolean or date (got {got})"
                ));
            }
        };
        pairs.push((key.clone(), value));
    }
    Ok(Params::new(pairs))
}

/// One-minute bars of `symbol` with these closes, the first starting at 0 ms (see [`bar`]).
pub fn bars(symbol: &str, closes: &[f64]) -> Vec<Bar> {
    closes
        .iter()
        .zip(0..)
        .map(|(&close, minute)| bar(symbol, minute * 60_000, close))
        .collect()
}

pub(crate) fn emit(signal: &Signal) -> Result<u64, Rejection> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(rejection) = s.rejections.pop_front() {
            return Err(rejection);
        }
        s.next_id += 1;
        let id = s.next_id;
        s.signals.push(signal.clone());
        s.unfilled.push(Order {
            id,
            signal: signal.clone(),
            exit_of: None,
        });
        Ok(id)
    })
}

/// Accepts a bracket whose shape is one (see [`check_bracket`]): the entry, then its
/// take-profit, then its stop-loss, on consecutive ids.
pub(crate) fn emit_bracket(entry: &Signal, exits: &Exits) -> Result<BracketIds, Rejection> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(rejection) = s.rejections.pop_front() {
            return Err(rejection);
        }
        check_bracket(entry, exits)?;
        let legs = [
            ("take-profit", exits.take_profit.map(OrderType::Limit)),
            ("stop-loss", exits.stop_loss),
        ];
        s.next_id += 1;
        let entry_id = s.next_id;
        s.unfilled.push(Order {
            id: entry_id,
            signal: entry.clone(),
            exit_of: None,
        });
        let mut ids = [None, None];
        for ((role, order_type), id) in legs.into_iter().zip(&mut ids) {
            let Some(order_type) = order_type else {
                continue;
            };
            s.next_id += 1;
            *id = Some(s.next_id);
            let signal = Signal {
                order_type,
                time_in_force: exits.time_in_force,
                outside_rth: exits.outside_rth,
                reason: format!("{role} of a bracket"),
                ..Signal::reduce_long(&entry.symbol, entry.quantity)
            };
            let id = s.next_id;
            s.unfilled.push(Order {
                id,
                signal,
                exit_of: Some(entry_id),
            });
        }
        let ids = BracketIds {
            entry: entry_id,
            take_profit: ids[0],
            stop_loss: ids[1],
        };
        s.brackets.push(Bracket {
            ids,
            entry: entry.clone(),
            exits: *exits,
        });
        Ok(ids)
    })
}

/// The host's checks of a bracket's shape, with its words; not its rules about prices,
/// positions or limits, which the mock leaves to the host as it does for `emit`.
fn check_bracket(entry: &Signal, exits: &Exits) -> Result<(), Rejection> {
    let refuse = |code, why: String| {
        Err(Rejection {
            code,
            message: format!("bracket on {}: {why}", entry.symbol),
        })
    };
    if !entry.action.is_buy() {
        return refuse(
            RejectCode::InvalidOrder,
            format!(
                "the entry is a {}; a bracket's entry buys (open-long or add-long)",
                entry.action
            ),
        );
    }
    if exits.take_profit.is_none() && exits.stop_loss.is_none() {
        return refuse(
            RejectCode::InvalidOrder,
            "no exit: name a take-profit, a stop-loss or both".to_string(),
        );
    }
    if !matches!(exits.time_in_force, TimeInForce::Gtc | TimeInForce::Day) {
        return refuse(
            RejectCode::InvalidOrder,
            format!("exits are gtc or day orders, not {}", exits.time_in_force),
        );
    }
    let trigger = match exits.stop_loss {
        None | Some(OrderType::TrailingStop(_)) => None,
        Some(OrderType::Stop(trigger) | OrderType::StopLimit(StopLimit { trigger, .. })) => {
            Some(trigger)
        }
        Some(other) => {
            let name = other.to_string();
            let name = name.split(' ').next().unwrap_or_default();
            return refuse(
                RejectCode::InvalidOrder,
                format!(
                    "the stop-loss is a {name} order; it must be a stop, stop-limit or trailing stop"
                ),
            );
        }
    };
    if let (Some(take_profit), Some(trigger)) = (exits.take_profit, trigger)
        && take_profit <= trigger
    {
        return refuse(
            RejectCode::InvalidPrice,
            format!("the take-profit {take_profit} must be above the stop-loss trigger {trigger}"),
        );
    }
    Ok(())
}

pub(crate) fn position(symbol: &str) -> Option<Position> {
    STATE.with(|s| s.borrow().positions.get(symbol).cloned())
}

/// The accepted orders not yet filled, as working orders at IB.
pub(crate) fn working_orders() -> Vec<WorkingOrder> {
    STATE.with(|s| {
        s.borrow()
            .unfilled
            .iter()
            .map(
                |Order {
                     id,
                     signal,
                     exit_of,
                 }| WorkingOrder {
                    signal_id: *id,
                    symbol: signal.symbol.clone(),
                    action: signal.action,
                    quantity: signal.quantity,
                    filled: 0,
                    order_type: signal.order_type,
                    time_in_force: signal.time_in_force,
                    outside_rth: signal.outside_rth,
                    state: OrderState::Working,
                    exit_of: *exit_of,
                },
            )
            .collect()
    })
}

/// Changes an unfilled accepted order at once. The mock validates nothing but what makes a
/// change a change, as the host requires: a new order type must be of the same kind, and an
/// exit of a bracket keeps its entry's quantity.
pub(crate) fn modify(signal_id: u64, change: &OrderChange) -> Result<ModifyOutcome, ModifyRefusal> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.modifies.push((signal_id, *change));
        let next_id = s.next_id;
        let Some(order) = s.unfilled.iter_mut().find(|o| o.id == signal_id) else {
            return Err(if signal_id >= 1 && signal_id <= next_id {
                ModifyRefusal::AlreadyEnded
            } else {
                ModifyRefusal::UnknownOrder
            });
        };
        let refused = |message: String| {
            Err(ModifyRefusal::Refused(Rejection {
                code: RejectCode::InvalidOrder,
                message,
            }))
        };
        let signal = &mut order.signal;
        if let Some(order_type) = change.order_type
            && std::mem::discriminant(&order_type) != std::mem::discriminant(&signal.order_type)
        {
            return refused("a change keeps the order's type".to_string());
        }
        if order.exit_of.is_some()
            && change
                .quantity
                .is_some_and(|quantity| quantity != signal.quantity)
        {
            return refused(format!(
                "an exit of a bracket keeps its entry's quantity ({}); change its prices, or cancel it",
                signal.quantity
            ));
        }
        if let Some(order_type) = change.order_type {
            signal.order_type = order_type;
        }
        if let Some(quantity) = change.quantity {
            signal.quantity = quantity;
        }
        Ok(ModifyOutcome::Changed)
    })
}

/// Cancels an unfilled accepted order at once (the mock has no broker to wait for). An entry of
/// a bracket takes its exits with it, as IB cancels them when the entry ends unfilled.
pub(crate) fn cancel(signal_id: u64) -> Result<CancelOutcome, CancelRefusal> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.cancels.push(signal_id);
        match s.unfilled.iter().position(|o| o.id == signal_id) {
            Some(at) => {
                s.unfilled.remove(at);
                s.unfilled.retain(|o| o.exit_of != Some(signal_id));
                Ok(CancelOutcome::Cancelled)
            }
            None if signal_id >= 1 && signal_id <= s.next_id => Err(CancelRefusal::AlreadyEnded),
            None => Err(CancelRefusal::UnknownOrder),
        }
    })
}

pub(crate) fn handling_bar(index: u32) {
    STATE.with(|s| s.borrow_mut().handled_bars.push(index))
}

/// Drives `strategy` through `bars` the way the host's `on-bars` does: bar after bar, telling
/// the mock host which bar it is on before any call that answers as of a bar, and stopping
/// after the first bar on which a signal was accepted. Returns how many bars were consumed.
pub fn on_bars<S: crate::Strategy>(strategy: &mut S, bars: &[Bar]) -> usize {
    crate::__private::run_batch(strategy, &mut { bars })
}

pub(crate) fn log(level: Level, message: &str) {
    STATE.with(|s| s.borrow_mut().logs.push((level, message.to_string())))
}

pub(crate) fn now_ms() -> i64 {
    STATE.with(|s| s.borrow().now_ms)
}

pub(crate) fn log_level() -> Level {
    STATE.with(|s| s.borrow().log_level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{add_long, close_long, emit, held, log, now_ms, open_long, position, reduce_long};

    #[test]
    fn fills_build_positions_like_the_ledger() {
        MockHost::reset();
        MockHost::set_now_ms(42);
        assert_eq!(open_long("AAPL", 100), Ok(1));
        assert_eq!(add_long("AAPL", 300), Ok(2));
        let fills = MockHost::fill_accepted(10.0);
        assert_eq!(fills.len(), 2);
        assert_eq!(
            fills[1],
            Fill {
                signal_id: 2,
                symbol: "AAPL".into(),
                action: Action::AddLong,
                quantity: 300,
                price: 10.0,
                time_ms: 42,
            }
        );
        assert_eq!(add_long("AAPL", 100), Ok(3));
        MockHost::fill_accepted(20.0);
        // (400 * 10 + 100 * 20) / 500
        let want = Position {
            symbol: "AAPL".into(),
            quantity: 500,
            avg_cost: 12.0,
        };
        assert_eq!(position("AAPL"), Some(want));

        assert_eq!(reduce_long("AAPL", 200), Ok(4));
        MockHost::fill_accepted(30.0);
        assert_eq!(
            position("AAPL").map(|p| (p.quantity, p.avg_cost)),
            Some((300, 12.0))
        );
        assert_eq!(close_long("AAPL"), Ok(5));
        let fills = MockHost::fill_accepted(31.0);
        assert_eq!(
            (fills[0].action, fills[0].quantity),
            (Action::CloseLong, 300)
        );
        assert_eq!(held("AAPL"), 0);
        assert_eq!(position("AAPL"), None);
        assert_eq!(MockHost::fill_accepted(1.0), []);
        assert_eq!(now_ms(), 42);
    }

    #[test]
    fn queued_rejections_come_first_and_are_not_filled() {
        MockHost::reset();
        MockHost::reject_next(RejectCode::RateLimit, "too many");
        let rejected = emit(Signal::open_long("MSFT", 5));
        assert_eq!(
            rejected,
            Err(Rejection {
                code: RejectCode::RateLimit,
                message: "too many".into()
            })
        );
        assert_eq!(open_long("MSFT", 5), Ok(1));
        assert_eq!(MockHost::take_signals().len(), 1);
        assert_eq!(MockHost::signals(), []);
        assert_eq!(MockHost::fill_accepted(2.0).len(), 1);
        assert_eq!(held("MSFT"), 5);
    }

    #[test]
    #[should_panic(expected = "reduce-long 6 MSFT with 5 held")]
    fn overselling_in_a_test_panics() {
        MockHost::reset();
        MockHost::set_position("MSFT", 5, 1.0);
        reduce_long("MSFT", 6).expect("the mock accepts everything");
        MockHost::fill_accepted(1.0);
    }

    #[test]
    fn lines_below_the_host_level_are_neither_formatted_nor_kept() {
        MockHost::reset();
        MockHost::set_log_level(Level::Warn);
        let formatted = std::cell::Cell::new(0);
        let counted = || {
            formatted.set(formatted.get() + 1);
            "x"
        };
        crate::info!("{}", counted());
        crate::warn!("{}", counted());
        crate::log::debug("plain");
        assert_eq!(formatted.get(), 1);
        assert_eq!(MockHost::logs(), [(Level::Warn, "x".to_string())]);
        assert!(crate::log::enabled(Level::Error));
        assert!(!crate::log::enabled(Level::Info));
    }

    #[test]
    fn logs_are_collected_in_order() {
        MockHost::reset();
        log::info("one");
        crate::warn!("two {}", 2);
        assert_eq!(
            MockHost::take_logs(),
            [
                (Level::Info, "one".to_string()),
                (Level::Warn, "two 2".to_string())
            ]
        );
        assert_eq!(MockHost::logs(), []);
    }

    #[test]
    fn sidecar_params_are_strings_as_the_host_passes_them() {
        let text =
            "[params]\nfast = 10\nratio = 0.5\nlow = 30.0\non = true\nname = \"x\"\n[limits]\n";
        let params = sidecar_params(text).expect("valid");
        let pairs: Vec<(&str, &str)> = params.iter().collect();
        assert_eq!(
            pairs,
            [
                ("fast", "10"),
                ("low", "30"),
                ("name", "x"),
                ("on", "true"),
                ("ratio", "0.5")
            ]
        );
        assert_eq!(
            sidecar_params("[limits]\n").expect("valid"),
            Params::default()
        );
        assert_eq!(
            sidecar_params("[params]\nlist = [1]\n").unwrap_err(),
            "sidecar: param `list` must be a string, number, boolean or date (got array)"
        );
        assert!(
            sidecar_params("[params\n")
                .unwrap_err()
                .starts_with("sidecar: ")
        );
    }

    #[test]
    fn bars_are_one_minute_apart_and_know_their_market() {
        let b = bars("00700", &[1.0, 2.0]);
        assert_eq!(
            (b[0].market, b[0].start_ms, b[1].start_ms),
            (Market::HkStock, 0, 60_000)
        );
        assert_eq!(bar("AAPL", 5, 1.5).market, Market::UsStock);
        assert_eq!(bar("AAPL", 5, 1.5).high, 1.5);
    }
}
