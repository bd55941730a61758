//! Brackets through the backtest's desk: validated as one signal, the exits waiting for the
//! entry, then one exit between them.

use sandtrade_core::{
    Action, Bar, Exits, Exposure, OrderType, RejectCode, Side, TimeInForce, Timing, Trail,
    normalize,
};
use sandtrade_risk::Book;

use super::*;
use crate::commission::CommissionSchedule;
use crate::fill::Fill;

const T0: i64 = 1_704_205_800_000; // 2024-01-02 14:30 UTC
const MIN: i64 = 60_000;
const DAY_MINUTES: i64 = 24 * 60;

const GTC: Timing = Timing {
    tif: TimeInForce::Gtc,
    outside_rth: false,
};

/// A desk bound to a strategy trading AAPL and MSFT: no slippage, no commission, no limits.
fn desk() -> BacktestDesk {
    let sim = SimConfig {
        slippage_bps: 0.0,
        commissions: CommissionSchedule::ZERO,
        ..SimConfig::default()
    };
    let mut desk = BacktestDesk::new(LotTable::builtin(), Limits::default(), sim);
    let symbols = ["AAPL", "MSFT"];
    desk.bind(&StrategyMetadata {
        name: "brackets".into(),
        version: "1".into(),
        symbols: symbols.map(String::from).to_vec(),
        instruments: symbols.iter().map(|s| normalize(s).unwrap()).collect(),
        bar_seconds: 60,
    })
    .unwrap();
    desk
}

fn aapl(desk: &BacktestDesk) -> SymbolId {
    let sim = desk.sim().unwrap();
    sim.table().id(&normalize("AAPL").unwrap()).unwrap()
}

/// The AAPL bar of `minute` as the replay delivers it: the clock moves to its start, it opens
/// (returning its fills) and is marked; what the test does next is as of that bar.
fn bar(desk: &mut BacktestDesk, minute: i64, [open, high, low, close]: [f64; 4]) -> Vec<Fill> {
    let row = BarRow {
        symbol: aapl(desk),
        bar: Bar {
            start_ms: T0 + minute * MIN,
            open,
            high,
            low,
            close,
            volume: 1.0,
        },
    };
    desk.set_now_ms(row.bar.start_ms);
    let sim = desk.sim_mut().unwrap();
    let fills = sim.open(&row).to_vec();
    sim.mark(&row);
    fills
}

/// A bar that opens, closes and stays at `price`.
fn flat(price: f64) -> [f64; 4] {
    [price; 4]
}

/// A bracket buying 10 AAPL with `entry`, its exits `gtc`.
fn bracket(
    entry: OrderType,
    entry_tif: TimeInForce,
    take_profit: Option<f64>,
    stop_loss: Option<OrderType>,
) -> BracketRequest {
    BracketRequest {
        entry: SignalRequest {
            action: Action::OpenLong,
            symbol: "AAPL".into(),
            quantity: 10,
            order_type: entry,
            timing: Timing {
                tif: entry_tif,
                outside_rth: false,
            },
            reason: "setup".into(),
        },
        exits: Exits {
            take_profit,
            stop_loss,
            timing: GTC,
        },
    }
}

/// A market entry with a take-profit at 110 and a stop-loss at 95.
fn market_bracket() -> BracketRequest {
    bracket(
        OrderType::Market,
        TimeInForce::Day,
        Some(110.0),
        Some(OrderType::Stop(95.0)),
    )
}

/// A market order of `quantity` AAPL.
fn market(action: Action, quantity: u32) -> SignalRequest {
    SignalRequest {
        action,
        symbol: "AAPL".into(),
        quantity,
        order_type: OrderType::Market,
        timing: Timing::DAY,
        reason: String::new(),
    }
}

/// `(signal id, side, shares, price)` of each fill.
fn summary(fills: &[Fill]) -> Vec<(u64, Side, u32, f64)> {
    fills
        .iter()
        .map(|f| (f.signal_id, f.side, f.quantity, f.price))
        .collect()
}

/// `(signal id, exit of, shares, type)` of each working order.
fn working(desk: &mut BacktestDesk) -> Vec<(u64, Option<u64>, u32, OrderType)> {
    desk.working_orders()
        .into_iter()
        .map(|o| (o.signal_id, o.exit_of, o.quantity, o.order_type))
        .collect()
}

fn held(desk: &mut BacktestDesk) -> u32 {
    desk.position("AAPL").map_or(0, |p| p.quantity)
}

fn exposure(desk: &BacktestDesk) -> Exposure {
    desk.sim().unwrap().exposure(&normalize("AAPL").unwrap())
}

#[test]
fn a_bracket_takes_consecutive_ids_and_lists_its_exits_with_their_entry() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let ids = desk.emit_bracket(market_bracket()).unwrap();
    assert_eq!(
        ids,
        BracketIds {
            entry: 1,
            take_profit: Some(2),
            stop_loss: Some(3)
        }
    );
    assert_eq!(ids, BracketIds::from_entry(1, &market_bracket().exits));
    assert_eq!(
        working(&mut desk),
        [
            (1, None, 10, OrderType::Market),
            (2, Some(1), 10, OrderType::Limit(110.0)),
            (3, Some(1), 10, OrderType::Stop(95.0)),
        ]
    );
    let exit = desk.working_orders().remove(1);
    assert_eq!(
        (exit.action, exit.timing, exit.filled),
        (Action::ReduceLong, GTC, 0)
    );
    // One signal, counted once; the next plain signal takes the next id.
    assert_eq!(desk.gate().unwrap().counters().snapshot().accepted, 1);
    let only_a_stop = bracket(
        OrderType::Market,
        TimeInForce::Day,
        None,
        Some(OrderType::Stop(90.0)),
    );
    // Not flat any more (being bought): an open-long is refused, an add-long is not.
    assert_eq!(
        desk.emit_bracket(only_a_stop.clone()).unwrap_err().code,
        RejectCode::PositionLimit
    );
    let mut add = only_a_stop;
    add.entry.action = Action::AddLong;
    assert_eq!(
        desk.emit_bracket(add).unwrap(),
        BracketIds {
            entry: 4,
            take_profit: None,
            stop_loss: Some(5)
        }
    );
}

#[test]
fn a_take_profit_that_fills_cancels_the_stop_loss_and_leaves_the_strategy_flat() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let ids = desk.emit_bracket(market_bracket()).unwrap();
    // The entry fills at the open.
    assert_eq!(
        summary(&bar(&mut desk, 1, flat(100.0))),
        [(1, Side::Buy, 10, 100.0)]
    );
    assert_eq!(held(&mut desk), 10);
    // The high goes through the take-profit: it sells there, and the stop-loss is cancelled.
    let fills = bar(&mut desk, 2, [105.0, 111.0, 104.0, 108.0]);
    assert_eq!(summary(&fills), [(2, Side::Sell, 10, 110.0)]);
    assert_eq!(fills[0].action, Action::ReduceLong);
    assert_eq!(ids.take_profit, Some(fills[0].signal_id));
    assert_eq!(held(&mut desk), 0);
    assert_eq!(working(&mut desk), []);
    assert_eq!(exposure(&desk), Exposure::default());
    // A later fall does nothing.
    assert_eq!(bar(&mut desk, 3, flat(80.0)), []);
    assert_eq!(
        desk.cancel(3).unwrap_err(),
        CancelRefusal::AlreadyEnded,
        "the stop-loss ended with its bracket"
    );

    let (sim, gate) = desk.into_parts().unwrap();
    let report = sim.finish(gate.counters().snapshot());
    assert_eq!(
        (
            report.fills.len(),
            report.exits_cancelled,
            report.cancelled_orders,
            report.open_orders
        ),
        (2, 1, 0, 0)
    );
    assert_eq!(report.accounts[0].realized_pnl, 100.0);
    assert!(
        report
            .to_string()
            .contains("1 exit cancelled with its bracket, 0 orders open"),
        "{report}"
    );
    let mut csv = Vec::new();
    report.write_trades_csv(&mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("\n2,2024-01-02T14:32:00Z,AAPL,reduce-long,sell,10,110.0000"));
}

#[test]
fn a_stop_loss_that_fills_cancels_the_take_profit() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    desk.emit_bracket(market_bracket()).unwrap();
    bar(&mut desk, 1, flat(100.0));
    // The low touches the stop: it sells at its trigger.
    assert_eq!(
        summary(&bar(&mut desk, 2, [97.0, 98.0, 94.0, 96.0])),
        [(3, Side::Sell, 10, 95.0)]
    );
    assert_eq!((held(&mut desk), working(&mut desk)), (0, vec![]));
    // The take-profit is gone: a rise does nothing.
    assert_eq!(bar(&mut desk, 3, flat(120.0)), []);
    assert_eq!(desk.cancel(2).unwrap_err(), CancelRefusal::AlreadyEnded);
}

#[test]
fn an_entry_cancelled_unfilled_takes_its_exits_with_it() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let limit = bracket(
        OrderType::Limit(90.0),
        TimeInForce::Gtc,
        Some(110.0),
        Some(OrderType::Stop(85.0)),
    );
    desk.emit_bracket(limit).unwrap();
    assert_eq!(exposure(&desk).pending_buys, 10);
    assert_eq!(desk.cancel(1), Ok(Cancelled::Requested));
    assert_eq!(working(&mut desk), []);
    assert_eq!(exposure(&desk), Exposure::default());
    assert_eq!(desk.cancel(2).unwrap_err(), CancelRefusal::AlreadyEnded);
    // A bar through every price fills nothing.
    assert_eq!(bar(&mut desk, 1, [100.0, 120.0, 80.0, 100.0]), []);

    // A day entry that expires unfilled ends its exits too.
    let day = bracket(OrderType::Limit(90.0), TimeInForce::Day, Some(110.0), None);
    desk.emit_bracket(day).unwrap();
    assert_eq!(bar(&mut desk, 2, flat(100.0)), []);
    assert_eq!(working(&mut desk), []);
    assert_eq!(bar(&mut desk, 3, flat(115.0)), []);

    let (sim, gate) = desk.into_parts().unwrap();
    let report = sim.finish(gate.counters().snapshot());
    assert_eq!(
        (
            report.fills.len(),
            report.cancelled_orders,
            report.expired_orders,
            report.exits_cancelled,
            report.open_orders,
        ),
        (0, 1, 1, 3, 0)
    );
}

#[test]
fn the_exits_work_only_from_the_bar_after_their_entry_filled() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let limit = bracket(
        OrderType::Limit(90.0),
        TimeInForce::Gtc,
        Some(110.0),
        Some(OrderType::Stop(95.0)),
    );
    desk.emit_bracket(limit).unwrap();
    // The entry does not fill: the exits neither trigger nor fill, whatever the bar does.
    assert_eq!(bar(&mut desk, 1, [100.0, 115.0, 91.0, 100.0]), []);
    assert_eq!(working(&mut desk).len(), 3);
    // The entry fills at its limit; the bar also goes through both exits, which wait.
    assert_eq!(
        summary(&bar(&mut desk, 2, [100.0, 112.0, 89.0, 93.0])),
        [(1, Side::Buy, 10, 90.0)]
    );
    assert_eq!(held(&mut desk), 10);
    assert_eq!(working(&mut desk).len(), 2);
    // The next bar opens below the stop: it has gapped through it and sells at the open.
    assert_eq!(
        summary(&bar(&mut desk, 3, [92.0, 93.0, 91.0, 92.0])),
        [(3, Side::Sell, 10, 92.0)]
    );
    assert_eq!(working(&mut desk), []);
}

#[test]
fn a_trailing_stop_loss_starts_trailing_once_its_entry_filled() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let trailing = OrderType::TrailingStop {
        trail: Trail::Amount(2.0),
        limit_offset: None,
    };
    desk.emit_bracket(bracket(
        OrderType::Limit(90.0),
        TimeInForce::Gtc,
        None,
        Some(trailing),
    ))
    .unwrap();
    // Had it trailed from here, the high of 120 would have put its trigger at 118.
    assert_eq!(bar(&mut desk, 1, [100.0, 120.0, 95.0, 96.0]), []);
    // Fills the entry at 90, closing at 91: it trails from that close (trigger 89).
    assert_eq!(bar(&mut desk, 2, [95.0, 96.0, 89.5, 91.0]).len(), 1);
    assert_eq!(bar(&mut desk, 3, [91.0, 92.5, 89.5, 92.0]), []);
    // Best 92.5 now, trigger 90.5.
    assert_eq!(
        summary(&bar(&mut desk, 4, [92.0, 92.0, 90.0, 90.0])),
        [(2, Side::Sell, 10, 90.5)]
    );
}

#[test]
fn a_bracket_leaves_what_may_be_sold_unchanged_and_its_exits_cover_what_it_bought() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    desk.emit(market(Action::OpenLong, 5)).unwrap();
    bar(&mut desk, 1, flat(100.0));
    assert_eq!(held(&mut desk), 5);

    let mut add = market_bracket();
    add.entry.action = Action::AddLong;
    let ids = desk.emit_bracket(add).unwrap();
    assert_eq!(
        exposure(&desk).sellable(),
        5,
        "waiting exits sell nothing held"
    );
    bar(&mut desk, 2, flat(100.0));
    assert_eq!(
        exposure(&desk),
        Exposure {
            held: 15,
            pending_buys: 0,
            pending_sells: 10
        },
        "the two exits are one pending sell of the shares the entry bought"
    );
    // Only the 5 shares held before may be sold: a sell of 6 would take the exits' shares.
    assert_eq!(
        desk.emit(market(Action::ReduceLong, 6)).unwrap_err().code,
        RejectCode::ShortNotAllowed
    );
    // Cancelling one exit leaves the other covering the shares.
    desk.cancel(ids.take_profit.unwrap()).unwrap();
    assert_eq!(exposure(&desk).pending_sells, 10);
    assert_eq!(
        working(&mut desk),
        [(
            ids.stop_loss.unwrap(),
            Some(ids.entry),
            10,
            OrderType::Stop(95.0)
        )]
    );
    assert_eq!(
        desk.emit(market(Action::ReduceLong, 6)).unwrap_err().code,
        RejectCode::ShortNotAllowed
    );
    let reduce = desk.emit(market(Action::ReduceLong, 5)).unwrap();
    // With the last exit cancelled, its shares may be sold.
    desk.cancel(ids.stop_loss.unwrap()).unwrap();
    assert_eq!(exposure(&desk).sellable(), 10);
    let close = desk.emit(market(Action::CloseLong, 1)).unwrap();
    assert_eq!(
        summary(&bar(&mut desk, 3, flat(101.0))),
        [
            (reduce, Side::Sell, 5, 101.0),
            (close, Side::Sell, 10, 101.0)
        ]
    );
    assert_eq!(held(&mut desk), 0);
}

#[test]
fn an_exits_prices_may_change_and_its_quantity_may_not() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let ids = desk.emit_bracket(market_bracket()).unwrap();
    let stop_loss = ids.stop_loss.unwrap();
    // While it waits for its entry, and once that has filled.
    let raise = |to| OrderChange {
        quantity: None,
        order_type: Some(OrderType::Stop(to)),
    };
    assert_eq!(desk.modify(stop_loss, raise(96.0)), Ok(Modified::Requested));
    bar(&mut desk, 1, flat(100.0));
    assert_eq!(desk.modify(stop_loss, raise(97.0)), Ok(Modified::Requested));
    assert_eq!(
        working(&mut desk),
        [
            (2, Some(1), 10, OrderType::Limit(110.0)),
            (3, Some(1), 10, OrderType::Stop(97.0))
        ]
    );
    let Err(ModifyRefusal::Refused(refused)) = desk.modify(
        stop_loss,
        OrderChange {
            quantity: Some(5),
            order_type: None,
        },
    ) else {
        panic!("an exit's quantity changed");
    };
    assert_eq!(refused.code, RejectCode::InvalidOrder);
    assert!(
        refused
            .message
            .contains("an exit of a bracket keeps its entry's quantity"),
        "{}",
        refused.message
    );
    // A stop-loss may not become another kind of order.
    assert!(matches!(
        desk.modify(
            stop_loss,
            OrderChange {
                quantity: None,
                order_type: Some(OrderType::Limit(97.0)),
            }
        ),
        Err(ModifyRefusal::Refused(_))
    ));
    assert_eq!(exposure(&desk).pending_sells, 10);
    // The stop sells at its new trigger, which the old one would not have reached.
    assert_eq!(
        summary(&bar(&mut desk, 2, [99.0, 99.0, 96.5, 97.0])),
        [(3, Side::Sell, 10, 97.0)]
    );
    assert_eq!(working(&mut desk), []);
}

#[test]
fn an_entry_made_smaller_leaves_its_exits_selling_what_it_bought() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let ids = desk
        .emit_bracket(bracket(
            OrderType::Limit(99.0),
            TimeInForce::Gtc,
            Some(110.0),
            Some(OrderType::Stop(95.0)),
        ))
        .unwrap();
    let smaller = OrderChange {
        quantity: Some(6),
        order_type: None,
    };
    assert_eq!(desk.modify(ids.entry, smaller), Ok(Modified::Requested));
    // The exits keep their shares until the entry fills ...
    assert_eq!(working(&mut desk)[1].2, 10);
    assert_eq!(
        summary(&bar(&mut desk, 1, flat(98.0))),
        [(1, Side::Buy, 6, 98.0)]
    );
    // ... then sell no more than it bought.
    assert_eq!(
        working(&mut desk),
        [
            (2, Some(1), 6, OrderType::Limit(110.0)),
            (3, Some(1), 6, OrderType::Stop(95.0))
        ]
    );
    assert_eq!(exposure(&desk).sellable(), 0);
    assert_eq!(
        summary(&bar(&mut desk, 2, [96.0, 96.0, 94.0, 94.0])),
        [(3, Side::Sell, 6, 95.0)]
    );
    assert_eq!(held(&mut desk), 0);
}

#[test]
fn day_exits_rest_through_their_day_and_end_with_it() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    let mut day = market_bracket();
    day.exits.timing = Timing::DAY;
    desk.emit_bracket(day.clone()).unwrap();
    bar(&mut desk, 1, flat(100.0));
    // A day take-profit is not good for one bar only, as a lone day limit is.
    assert_eq!(bar(&mut desk, 2, flat(105.0)), []);
    assert_eq!(working(&mut desk).len(), 2);
    // The next day, both are gone.
    assert_eq!(bar(&mut desk, DAY_MINUTES, flat(120.0)), []);
    assert_eq!(working(&mut desk), []);
    assert_eq!(exposure(&desk).sellable(), 10);

    // Waiting for a gtc entry, day exits still end with their day.
    let mut waiting = bracket(OrderType::Limit(50.0), TimeInForce::Gtc, Some(130.0), None);
    waiting.entry.action = Action::AddLong;
    waiting.exits.timing = Timing::DAY;
    let ids = desk.emit_bracket(waiting).unwrap();
    assert_eq!(bar(&mut desk, 2 * DAY_MINUTES, flat(120.0)), []);
    assert_eq!(
        working(&mut desk),
        [(ids.entry, None, 10, OrderType::Limit(50.0))]
    );
}

#[test]
fn exits_count_as_resting_orders_for_batching() {
    let mut desk = desk();
    let symbol = aapl(&desk);
    bar(&mut desk, 0, flat(100.0));
    desk.emit_bracket(market_bracket()).unwrap();
    bar(&mut desk, 1, flat(100.0));
    assert_eq!(working(&mut desk).len(), 2, "only the exits rest");
    assert!(desk.sim().unwrap().has_orders(symbol));
    desk.cancel(2).unwrap();
    desk.cancel(3).unwrap();
    assert!(!desk.sim().unwrap().has_orders(symbol));
}

#[test]
fn a_bracket_ends_a_batch_as_a_signal_does() {
    let mut desk = desk();
    let rows: Vec<BarRow> = (0..3)
        .map(|minute| BarRow {
            symbol: aapl(&desk),
            bar: Bar {
                start_ms: T0 + minute * MIN,
                open: 100.0,
                high: 100.0,
                low: 100.0,
                close: 100.0,
                volume: 1.0,
            },
        })
        .collect();
    desk.set_now_ms(T0);
    desk.sim_mut().unwrap().open(&rows[0]);
    desk.begin_batch(&rows);
    desk.emit_bracket(market_bracket()).unwrap();
    assert!(!desk.end_batch(2), "went on past the bracket's bar");
    desk.begin_batch(&rows[..1]);
    assert!(desk.end_batch(1));
}

#[test]
fn exits_of_an_on_close_entry_work_from_the_next_bar_after_that_close() {
    let mut desk = desk();
    bar(&mut desk, 0, flat(100.0));
    desk.emit_bracket(bracket(
        OrderType::MarketOnClose,
        TimeInForce::Day,
        Some(110.0),
        Some(OrderType::Stop(95.0)),
    ))
    .unwrap();
    assert_eq!(bar(&mut desk, 1, flat(100.0)), []);
    // The next day's first bar: the entry filled at the last close of its day, before this
    // bar, so its exits work in this bar: it opens below the stop, which sells at the open.
    let fills = bar(&mut desk, DAY_MINUTES, [93.0, 94.0, 92.0, 93.0]);
    assert_eq!(
        summary(&fills),
        [(1, Side::Buy, 10, 100.0), (3, Side::Sell, 10, 93.0)]
    );
    assert_eq!(fills[0].time_ms, T0 + MIN);
    assert_eq!((held(&mut desk), working(&mut desk)), (0, vec![]));
}
