//! The validator end to end, with the backtest simulator as the real `Book`: what a
//! backtest's desk does with every signal.

use proptest::prelude::*;

use sandtrade_backtest::{BarRow, Sim, SimConfig, SymbolTable};
use std::sync::Arc;

use sandtrade_core::{
    Action, Bar, Exposure, LotTable, OrderType, RejectCode, Rejection, Side, SignalRequest,
};
use sandtrade_risk::{Book, StrategyGate, TradingSwitch, ValidatedOrder, Validator};
use sandtrade_risk::{Limits, SignalCounts, TradingState};

const T0: i64 = 1_704_205_800_000;
const MIN: i64 = 60_000;

struct World {
    validator: Validator,
    gate: StrategyGate,
    sim: Sim,
}

impl World {
    fn new(symbols: &[&str], limits: Limits) -> Self {
        let gate = StrategyGate::new("test", symbols, &limits).unwrap();
        let table = SymbolTable::new(gate.instruments().iter().cloned());
        let sim = Sim::new(
            &SimConfig {
                slippage_bps: 0.0,
                ..SimConfig::default()
            },
            table,
        )
        .unwrap();
        Self {
            validator: Validator::new(LotTable::builtin(), TradingSwitch::new()),
            gate,
            sim,
        }
    }

    fn check(
        &mut self,
        action: Action,
        symbol: &str,
        quantity: u32,
        order_type: OrderType,
        now_ms: i64,
    ) -> Result<ValidatedOrder, Rejection> {
        let signal = SignalRequest {
            action,
            symbol: symbol.into(),
            quantity,
            order_type,
            timing: sandtrade_core::Timing::DAY,
            reason: "because".into(),
        };
        self.validator
            .check(&mut self.gate, &signal, &self.sim, now_ms)
    }

    /// Validates and, if accepted, submits: what a driver does on `emit`.
    fn emit(
        &mut self,
        action: Action,
        symbol: &str,
        quantity: u32,
        order_type: OrderType,
        now_ms: i64,
    ) -> Result<u64, Rejection> {
        let order = self.check(action, symbol, quantity, order_type, now_ms)?;
        Ok(self
            .sim
            .submit(&order, now_ms)
            .expect("a validated order is always accepted by the simulator"))
    }

    /// A whole bar of `symbol` at `price`: fills, then marks.
    fn bar(&mut self, symbol: &str, minute: i64, price: f64) {
        let id = self
            .sim
            .table()
            .id(&sandtrade_core::normalize(symbol).unwrap())
            .unwrap();
        let bar = BarRow {
            symbol: id,
            bar: Bar {
                start_ms: T0 + minute * MIN,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: 1.0,
            },
        };
        self.sim.open(&bar);
        self.sim.mark(&bar);
    }

    fn exposure(&self, symbol: &str) -> Exposure {
        self.sim
            .exposure(&sandtrade_core::normalize(symbol).unwrap())
    }

    fn counts(&self) -> SignalCounts {
        self.gate.counters().snapshot()
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, Rejection>) -> RejectCode {
    r.unwrap_err().code
}

#[test]
fn an_accepted_order_carries_everything_the_queue_needs() {
    let mut w = World::new(&["0700.HK"], Limits::default());
    let order = w
        .check(Action::OpenLong, "700", 200, OrderType::Limit(300.2), T0)
        .unwrap();
    assert_eq!(
        order,
        ValidatedOrder {
            instrument: Arc::clone(&w.gate.instruments()[0]),
            action: Action::OpenLong,
            side: Side::Buy,
            quantity: 200,
            order_type: OrderType::Limit(300.2),
            timing: sandtrade_core::Timing::DAY,
            reason: "because".into(),
        }
    );
    assert!(
        Arc::ptr_eq(&order.instrument, &w.gate.instruments()[0]),
        "no copy of the instrument"
    );
    assert_eq!(
        (w.counts().accepted, w.validator.counters().accepted()),
        (1, 1)
    );
}

#[test]
fn the_long_only_lifecycle() {
    let mut w = World::new(&["AAPL"], Limits::default());
    let m = OrderType::Market;
    assert_eq!(
        code(w.emit(Action::AddLong, "AAPL", 10, m, T0)),
        RejectCode::PositionLimit
    );
    assert_eq!(
        code(w.emit(Action::CloseLong, "AAPL", 0, m, T0)),
        RejectCode::ShortNotAllowed
    );
    assert_eq!(w.emit(Action::OpenLong, "AAPL", 100, m, T0), Ok(1));
    assert_eq!(
        code(w.emit(Action::OpenLong, "AAPL", 100, m, T0)),
        RejectCode::PositionLimit
    );
    assert_eq!(
        w.emit(Action::AddLong, "AAPL", 50, m, T0),
        Ok(2),
        "adding while the first buy is pending"
    );
    assert_eq!(
        code(w.emit(Action::ReduceLong, "AAPL", 1, m, T0)),
        RejectCode::ShortNotAllowed,
        "nothing filled yet"
    );
    w.bar("AAPL", 1, 10.0);
    assert_eq!(
        w.exposure("AAPL"),
        Exposure {
            held: 150,
            pending_buys: 0,
            pending_sells: 0
        }
    );
    assert_eq!(w.emit(Action::ReduceLong, "AAPL", 100, m, T0 + MIN), Ok(3));
    let err = w
        .emit(Action::ReduceLong, "AAPL", 51, m, T0 + MIN)
        .unwrap_err();
    assert_eq!(
        err.message,
        "sell of 51 AAPL exceeds held 150 - pending sells 100 = 50"
    );
    let close = w.check(Action::CloseLong, "AAPL", 0, m, T0 + MIN).unwrap();
    assert_eq!(
        close.quantity, 50,
        "close-long takes what is not already being sold"
    );
    w.sim.submit(&close, T0 + MIN).unwrap();
    assert_eq!(
        code(w.emit(Action::CloseLong, "AAPL", 0, m, T0 + MIN)),
        RejectCode::ShortNotAllowed
    );
    w.bar("AAPL", 2, 11.0);
    assert_eq!(w.exposure("AAPL"), Exposure::default());
    assert_eq!(
        w.emit(Action::OpenLong, "AAPL", 1, m, T0 + 2 * MIN),
        Ok(5),
        "flat again"
    );
}

#[test]
fn each_rule_refuses_with_its_code() {
    let limits = Limits {
        max_order_shares: Some(500),
        max_position_shares: Some(800),
        ..Limits::default()
    };
    let mut w = World::new(&["AAPL", "0700.HK", "1234.HK"], limits);
    let m = OrderType::Market;
    let cases: [(Action, &str, u32, OrderType, RejectCode, &str); 10] = [
        (
            Action::OpenLong,
            "MSFT",
            1,
            m,
            RejectCode::NotSubscribed,
            "MSFT is not among the symbols this strategy declared: AAPL, 700, 1234",
        ),
        (
            Action::OpenLong,
            "NOT A SYMBOL",
            1,
            m,
            RejectCode::UnknownSymbol,
            "unknown symbol \"NOT A SYMBOL\": expected a US ticker like \"AAPL\" or \"BRK.B\", or an HK code like \"0700.HK\", \"00700\" or \"700\"",
        ),
        (
            Action::OpenLong,
            "AAPL",
            0,
            m,
            RejectCode::InvalidQuantity,
            "open-long of 0 AAPL: quantity must be at least 1",
        ),
        (
            Action::OpenLong,
            "AAPL",
            20_000_000,
            m,
            RejectCode::InvalidQuantity,
            "open-long of 20000000 AAPL: quantity exceeds the absolute cap 10000000",
        ),
        (
            Action::OpenLong,
            "AAPL",
            1,
            OrderType::Limit(f64::NAN),
            RejectCode::InvalidPrice,
            "open-long AAPL with limit price NaN: a limit price must be a finite number > 0",
        ),
        (
            Action::OpenLong,
            "AAPL",
            1,
            OrderType::Limit(-3.0),
            RejectCode::InvalidPrice,
            "open-long AAPL with limit price -3: a limit price must be a finite number > 0",
        ),
        (
            Action::OpenLong,
            "0700.HK",
            150,
            m,
            RejectCode::LotSize,
            "quantity 150 of 700 is not a multiple of the board lot 100",
        ),
        (
            Action::OpenLong,
            "1234.HK",
            1000,
            m,
            RejectCode::LotSize,
            "no board lot configured for HK stock 1234; add its lot (HKEX lists it per stock) to the config: [lots] \"1234.HK\" = <shares per lot>",
        ),
        (
            Action::OpenLong,
            "AAPL",
            501,
            m,
            RejectCode::OrderLimit,
            "buy of 501 AAPL exceeds max_order_shares 500",
        ),
        (
            Action::ReduceLong,
            "AAPL",
            5,
            m,
            RejectCode::ShortNotAllowed,
            "sell of 5 AAPL exceeds held 0 - pending sells 0 = 0",
        ),
    ];
    for (i, (action, symbol, quantity, order_type, code, message)) in cases.into_iter().enumerate()
    {
        let r = w
            .check(action, symbol, quantity, order_type, T0 + i as i64 * MIN)
            .unwrap_err();
        assert_eq!((r.code, r.message.as_str()), (code, message), "case {i}");
    }
    assert_eq!(
        w.emit(Action::OpenLong, "AAPL", 500, m, T0 + 20 * MIN),
        Ok(1)
    );
    assert_eq!(
        w.emit(Action::AddLong, "AAPL", 300, m, T0 + 21 * MIN),
        Ok(2)
    );
    let r = w
        .check(Action::AddLong, "AAPL", 1, m, T0 + 22 * MIN)
        .unwrap_err();
    assert_eq!(
        r.message,
        "buy of 1 AAPL would make the position held 0 + pending buys 800 + 1 = 801 > max_position_shares 800"
    );

    let counts = w.counts();
    assert_eq!(counts.accepted, 2);
    let expected = [
        (RejectCode::ShortNotAllowed, 1),
        (RejectCode::PositionLimit, 1),
        (RejectCode::OrderLimit, 1),
        (RejectCode::LotSize, 2),
        (RejectCode::UnknownSymbol, 1),
        (RejectCode::InvalidQuantity, 2),
        (RejectCode::InvalidPrice, 2),
        (RejectCode::NotSubscribed, 1),
    ];
    assert_eq!(counts.nonzero_rejections().collect::<Vec<_>>(), expected);
    assert_eq!(
        w.validator.counters().snapshot(),
        counts,
        "the global counts saw the same"
    );
}

#[test]
fn market_buys_are_valued_at_the_reference_price() {
    let limits = Limits {
        max_order_notional: Some(1_000.0),
        max_position_notional: Some(1_500.0),
        ..Limits::default()
    };
    let mut w = World::new(&["AAPL"], limits);
    let r = w
        .check(Action::OpenLong, "AAPL", 10, OrderType::Market, T0)
        .unwrap_err();
    assert_eq!(
        (r.code, r.message.as_str()),
        (
            RejectCode::InvalidPrice,
            "market open-long of 10 AAPL: no price known yet to check the notional limits; wait for a bar or use a limit order"
        )
    );
    assert_eq!(
        w.check(Action::OpenLong, "AAPL", 10, OrderType::Limit(99.0), T0)
            .map(|o| o.quantity),
        Ok(10),
        "a limit order brings its own price"
    );
    w.bar("AAPL", 0, 100.0);
    let r = w
        .check(Action::OpenLong, "AAPL", 11, OrderType::Market, T0)
        .unwrap_err();
    assert_eq!(
        r.message,
        "buy of 11 AAPL at 100 = 1100.00 USD exceeds max_order_notional 1000.00 USD"
    );
    assert_eq!(
        w.emit(Action::OpenLong, "AAPL", 10, OrderType::Market, T0),
        Ok(1)
    );
    let r = w
        .check(Action::AddLong, "AAPL", 6, OrderType::Market, T0)
        .unwrap_err();
    assert_eq!(
        r.message,
        "buy of 6 AAPL would make the position held 0 + pending buys 10 + 6 = 16 shares at 100 = 1600.00 USD > max_position_notional 1500.00 USD"
    );
    // Sells are never size-limited: a strategy can always get out.
    w.bar("AAPL", 1, 100.0);
    assert_eq!(
        w.check(Action::CloseLong, "AAPL", 0, OrderType::Market, T0 + MIN)
            .map(|o| o.quantity),
        Ok(10)
    );
}

#[test]
fn a_halt_refuses_everything_and_halted_attempts_count_toward_the_rate() {
    let limits = Limits {
        max_signals_per_minute: Some(1),
        ..Limits::default()
    };
    let mut w = World::new(&["AAPL"], limits);
    w.validator.switch().halt("operator: end of day");
    let r = w
        .check(
            Action::OpenLong,
            "garbage!",
            0,
            OrderType::Limit(f64::NAN),
            T0,
        )
        .unwrap_err();
    assert_eq!(
        r,
        Rejection::new(
            RejectCode::TradingHalted,
            "trading is halted: operator: end of day"
        )
    );
    assert_eq!(
        code(w.check(Action::OpenLong, "AAPL", 1, OrderType::Market, T0)),
        RejectCode::RateLimit,
        "a strategy that keeps emitting while halted is cut off at its rate, so its \
         refusals cannot fill the signal log"
    );
    assert_eq!(
        w.validator.switch().state(),
        TradingState::Halted {
            reason: "operator: end of day".into()
        }
    );
    w.validator.switch().resume();
    assert_eq!(
        code(w.check(Action::OpenLong, "AAPL", 1, OrderType::Market, T0)),
        RejectCode::RateLimit,
        "the halted attempt used the minute's one signal"
    );
    assert!(
        w.check(Action::OpenLong, "AAPL", 1, OrderType::Market, T0 + 60_000)
            .is_ok(),
        "a minute later the window has room again"
    );
}

#[test]
fn oversized_strings_are_refused_before_anything_reads_them() {
    let mut w = World::new(&["AAPL"], Limits::default());
    let long_symbol = "A".repeat(64 * 1024);
    assert_eq!(
        w.check(Action::OpenLong, &long_symbol, 1, OrderType::Market, T0)
            .unwrap_err(),
        Rejection::new(
            RejectCode::UnknownSymbol,
            "the symbol is 65536 bytes; a symbol is at most 32"
        )
    );
}

#[test]
fn a_million_emits_in_one_bar_are_cut_off_at_the_rate() {
    let mut w = World::new(&["AAPL"], Limits::default());
    let signal = SignalRequest {
        action: Action::OpenLong,
        symbol: "AAPL".into(),
        quantity: 1,
        order_type: OrderType::Market,
        timing: sandtrade_core::Timing::DAY,
        reason: String::new(),
    };
    let accepted = (0..1_000_000)
        .filter(|_| w.validator.check(&mut w.gate, &signal, &w.sim, T0).is_ok())
        .count();
    assert_eq!(accepted, 60);
    let counts = w.counts();
    assert_eq!(
        (
            counts.accepted,
            counts.rejected(RejectCode::RateLimit),
            counts.total_rejected()
        ),
        (60, 999_940, 999_940)
    );
    // A minute later of replay time, the window has room again.
    assert!(
        w.check(Action::OpenLong, "AAPL", 1, OrderType::Market, T0 + MIN)
            .is_ok()
    );
}

#[test]
fn rejections_decided_elsewhere_are_counted_too() {
    let w = World::new(&["AAPL"], Limits::default());
    w.validator
        .record_rejection(&w.gate, RejectCode::Unavailable);
    assert_eq!(w.counts().rejected(RejectCode::Unavailable), 1);
    assert_eq!(w.validator.counters().rejected(RejectCode::Unavailable), 1);
}

#[derive(Debug, Clone)]
enum Op {
    Signal {
        action: Action,
        symbol: usize,
        quantity: u32,
        limit: Option<f64>,
    },
    Bar {
        symbol: usize,
        price: f64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let action = prop::sample::select(Action::ALL.to_vec());
    prop_oneof![
        3 => (action, 0..2usize, 0u32..400, prop::option::of(prop_oneof![Just(f64::NAN), Just(-1.0), 90.0..110.0f64]))
            .prop_map(|(action, symbol, quantity, limit)| Op::Signal { action, symbol, quantity, limit }),
        1 => (0..2usize, 90.0..110.0f64).prop_map(|(symbol, price)| Op::Bar { symbol, price }),
    ]
}

proptest! {
    /// No sequence of signals and bars ever sells short or breaks the share limit, and the
    /// simulator accepts every order the validator accepts.
    #[test]
    fn accepted_signals_never_sell_short(ops in prop::collection::vec(op(), 1..120)) {
        let symbols = ["AAPL", "0700.HK"];
        let limits = Limits { max_position_shares: Some(1_000), ..Limits::default() };
        let mut w = World::new(&symbols, limits);
        let mut minute = 0;
        for op in ops {
            match op {
                Op::Signal { action, symbol, quantity, limit } => {
                    let order_type = limit.map_or(OrderType::Market, OrderType::Limit);
                    let _ = w.emit(action, symbols[symbol], quantity, order_type, T0 + minute * MIN);
                }
                Op::Bar { symbol, price } => {
                    minute += 1;
                    w.bar(symbols[symbol], minute, (price * 10.0).round() / 10.0);
                }
            }
            for symbol in symbols {
                let e = w.exposure(symbol);
                prop_assert!(e.pending_sells <= e.held, "{symbol}: {e:?}");
                prop_assert!(e.held_with_pending_buys() <= 1_000, "{symbol}: {e:?}");
            }
        }
    }
}

#[derive(Debug, Clone)]
enum BracketOp {
    Bracket {
        action: Action,
        quantity: u32,
        entry_limit: Option<f64>,
        take_profit: Option<f64>,
        stop_loss: Option<f64>,
        gtc: bool,
    },
    Sell {
        action: Action,
        quantity: u32,
        limit: Option<f64>,
    },
    Cancel {
        id: u64,
    },
    Bar {
        open: f64,
        up: f64,
        down: f64,
        close: f64,
    },
}

fn bracket_op() -> impl Strategy<Value = BracketOp> {
    let price = || (900..1100u32).prop_map(|p| f64::from(p) / 10.0);
    let buy = prop::sample::select(vec![Action::OpenLong, Action::AddLong]);
    let sell = prop::sample::select(vec![Action::ReduceLong, Action::CloseLong]);
    prop_oneof![
        2 => (
            buy,
            1u32..200,
            prop::option::of(price()),
            prop::option::of(price()),
            prop::option::of(price()),
            any::<bool>()
        )
            .prop_map(|(action, quantity, entry_limit, take_profit, stop_loss, gtc)| {
                BracketOp::Bracket { action, quantity, entry_limit, take_profit, stop_loss, gtc }
            }),
        1 => (sell, 1u32..200, prop::option::of(price()))
            .prop_map(|(action, quantity, limit)| BracketOp::Sell { action, quantity, limit }),
        1 => (1u64..30).prop_map(|id| BracketOp::Cancel { id }),
        3 => (price(), 0.0..5.0f64, 0.0..5.0f64, 0.0..1.0f64)
            .prop_map(|(open, up, down, close)| BracketOp::Bar { open, up, down, close }),
    ]
}

proptest! {
    /// Brackets, plain sells and cancels never sell short: an accepted bracket leaves
    /// `held − pending sells` where it was, the sells never outrun what is held, and every
    /// fill of an exit sells shares its entry bought.
    #[test]
    fn brackets_never_sell_short(ops in prop::collection::vec(bracket_op(), 1..150)) {
        let mut w = World::new(&["AAPL"], Limits::default());
        let aapl = sandtrade_core::normalize("AAPL").unwrap();
        let id = w.sim.table().id(&aapl).unwrap();
        let mut minute = 0;
        for op in ops {
            let now = T0 + minute * MIN;
            match op {
                BracketOp::Bracket { action, quantity, entry_limit, take_profit, stop_loss, gtc } => {
                    let tif = if gtc {
                        sandtrade_core::TimeInForce::Gtc
                    } else {
                        sandtrade_core::TimeInForce::Day
                    };
                    let bracket = sandtrade_core::BracketRequest {
                        entry: SignalRequest {
                            action,
                            symbol: "AAPL".into(),
                            quantity,
                            order_type: entry_limit.map_or(OrderType::Market, OrderType::Limit),
                            timing: sandtrade_core::Timing { tif, outside_rth: false },
                            reason: String::new(),
                        },
                        exits: sandtrade_core::Exits {
                            take_profit,
                            stop_loss: stop_loss.map(OrderType::Stop),
                            timing: sandtrade_core::Timing { tif, outside_rth: false },
                        },
                    };
                    let before = w.sim.exposure(&aapl);
                    if let Ok(validated) =
                        w.validator.check_bracket(&mut w.gate, &bracket, &w.sim, now)
                    {
                        w.sim
                            .submit_bracket(&validated, now)
                            .expect("a validated bracket is always accepted by the simulator");
                        let after = w.sim.exposure(&aapl);
                        prop_assert_eq!(after.sellable(), before.sellable());
                    }
                }
                BracketOp::Sell { action, quantity, limit } => {
                    let order_type = limit.map_or(OrderType::Market, OrderType::Limit);
                    let _ = w.emit(action, "AAPL", quantity, order_type, now);
                }
                BracketOp::Cancel { id } => {
                    let _ = w.sim.cancel(id);
                }
                BracketOp::Bar { open, up, down, close } => {
                    minute += 1;
                    let (high, low) = (open + up, open - down);
                    let bar = BarRow {
                        symbol: id,
                        bar: Bar {
                            start_ms: T0 + minute * MIN,
                            open,
                            high,
                            low,
                            close: low + (high - low) * close,
                            volume: 1.0,
                        },
                    };
                    w.sim.open(&bar);
                    w.sim.mark(&bar);
                }
            }
            let e = w.sim.exposure(&aapl);
            prop_assert!(e.pending_sells <= e.held, "{e:?}");
            let mut held = 0i64;
            for fill in w.sim.trades() {
                held += match fill.side {
                    Side::Buy => i64::from(fill.quantity),
                    Side::Sell => -i64::from(fill.quantity),
                };
                prop_assert!(held >= 0, "sold short at {fill:?}");
            }
            prop_assert_eq!(held, i64::from(e.held));
        }
    }
}
