"""Order types, time in force, the protective orders, working orders, cancels and changes."""

from __future__ import annotations

import doctest
import math
from typing import Self

import pytest

import sandtrade
import sandtrade.signal
from sandtrade import (
    Action,
    Bar,
    CancelOutcome,
    CancelRefusal,
    CancelRefused,
    DataSource,
    Fill,
    Level,
    LimitOnCloseOrder,
    LimitOrder,
    MarketOnCloseOrder,
    Market,
    MarketOrder,
    Metadata,
    ModifyOutcome,
    ModifyRefusal,
    ModifyRefused,
    OrderChange,
    OrderState,
    Params,
    Position,
    RejectCode,
    Signal,
    StopLimitOrder,
    StopOrder,
    Strategy,
    TimeInForce,
    TrailAmount,
    TrailingStopOrder,
    TrailPercent,
    WorkingOrder,
    cancel,
    emit,
    held,
    modify,
    position,
    stop_loss,
    take_profit,
    trailing_stop,
    working_orders,
)
from sandtrade._runner import Runner
from sandtrade.testing import MockHost, bar

NAN = float("nan")
INF = float("inf")

# What the Rust SDK's `Display` of each signal prints (`sandtrade_guest::Signal`, run through
# `println!("{signal}")`): the Python twin must read the same, character for character, because
# operators read both side by side in the host's log. The Rust expression is beside each.
RUST_DISPLAY = [
    (
        Signal.stop_loss("AAPL", 100, 180.0),
        'Signal::stop_loss("AAPL", 100, 180.0)',
        "reduce-long 100 AAPL stop 180 gtc",
    ),
    (
        Signal.take_profit("AAPL", 100, 195.0),
        'Signal::take_profit("AAPL", 100, 195.0)',
        "reduce-long 100 AAPL limit 195 gtc",
    ),
    (
        Signal.trailing_stop("AAPL", 100, TrailPercent(3.0)),
        'Signal::trailing_stop("AAPL", 100, Trail::Percent(3.0))',
        "reduce-long 100 AAPL trailing-stop 3% gtc",
    ),
    (
        Signal.trailing_stop("AAPL", 10, TrailAmount(2.5)).limit_offset(0.1),
        'Signal::trailing_stop("AAPL", 10, Trail::Amount(2.5)).limit_offset(0.1)',
        "reduce-long 10 AAPL trailing-stop 2.5 offset 0.1 gtc",
    ),
    (
        Signal.reduce_long("AAPL", 5).stop_limit(180.0, 179.5).outside_rth(),
        'Signal::reduce_long("AAPL", 5).stop_limit(180.0, 179.5).outside_rth()',
        "reduce-long 5 AAPL stop-limit 180/179.5 outside-rth",
    ),
    (
        Signal.close_long("AAPL").gtc().market_on_close(),
        'Signal::close_long("AAPL").gtc().market_on_close()',
        "close-long AAPL market-on-close",
    ),
    (
        Signal.open_long("AAPL", 1).limit(190.0).opg(),
        'Signal::open_long("AAPL", 1).limit(190.0).opg()',
        "open-long 1 AAPL limit 190 opg",
    ),
    (
        Signal.open_long("AAPL", 1).limit(190.25).ioc().outside_rth(),
        'Signal::open_long("AAPL", 1).limit(190.25).ioc().outside_rth()',
        "open-long 1 AAPL limit 190.25 ioc outside-rth",
    ),
    (
        Signal.add_long("0700.HK", 200).limit_on_close(350.2),
        'Signal::add_long("0700.HK", 200).limit_on_close(350.2)',
        "add-long 200 0700.HK limit-on-close 350.2",
    ),
    (
        Signal.close_long("MSFT").limit_on_close(1e21),
        'Signal::close_long("MSFT").limit_on_close(1e21)',
        "close-long MSFT limit-on-close 1000000000000000000000",
    ),
    (
        Signal.reduce_long("MSFT", 3).stop(0.0000001).gtc().outside_rth(),
        'Signal::reduce_long("MSFT", 3).stop(0.0000001).gtc().outside_rth()',
        "reduce-long 3 MSFT stop 0.0000001 gtc outside-rth",
    ),
    (
        Signal.reduce_long("MSFT", 3).trailing(TrailPercent(0.5)).limit_offset(0.0).day(),
        'Signal::reduce_long("MSFT", 3).trailing(Trail::Percent(0.5)).limit_offset(0.0).day()',
        "reduce-long 3 MSFT trailing-stop 0.5% offset 0",
    ),
    (
        Signal.reduce_long("MSFT", 3).trailing(TrailAmount(NAN)),
        'Signal::reduce_long("MSFT", 3).trailing(Trail::Amount(f64::NAN))',
        "reduce-long 3 MSFT trailing-stop NaN gtc",
    ),
    (
        Signal.reduce_long("MSFT", 3).stop(9.0).limit_offset(0.5),
        'Signal::reduce_long("MSFT", 3).stop(9.0).limit_offset(0.5)',
        "reduce-long 3 MSFT stop 9",
    ),
    (
        Signal.open_long("AAPL", 4).market().gtc(),
        'Signal::open_long("AAPL", 4).market().gtc()',
        "open-long 4 AAPL gtc",
    ),
    (
        Signal.open_long("AAPL", 4).outside_rth(),
        'Signal::open_long("AAPL", 4).outside_rth()',
        "open-long 4 AAPL outside-rth",
    ),
    (
        Signal.close_long("AAPL").stop_limit(-0.0, INF).day(),
        'Signal::close_long("AAPL").stop_limit(-0.0, f64::INFINITY).day()',
        "close-long AAPL stop-limit -0/inf",
    ),
]


@pytest.mark.parametrize(("signal", "rust", "shown"), RUST_DISPLAY, ids=[r for _, r, _ in RUST_DISPLAY])
def test_signals_display_as_the_rust_sdk_writes_them(signal: Signal, rust: str, shown: str) -> None:
    assert str(signal) == shown


def test_the_docstring_examples_hold() -> None:
    failed, tried = doctest.testmod(sandtrade.signal)
    assert tried >= 3
    assert failed == 0


def test_order_types_are_values() -> None:
    assert StopOrder(180.0) == StopOrder(180.0) != StopOrder(181.0)
    assert StopLimitOrder(180.0, 179.5) != StopLimitOrder(179.5, 180.0)
    assert TrailingStopOrder(TrailAmount(2.5)) != TrailingStopOrder(TrailPercent(2.5))
    assert TrailingStopOrder(TrailAmount(2.5)).limit_offset is None
    assert MarketOnCloseOrder() == MarketOnCloseOrder() != MarketOrder()
    assert LimitOnCloseOrder(3.0) != LimitOrder(3.0)
    assert {str(o) for o in [MarketOrder(), MarketOnCloseOrder()]} == {
        "market",
        "market-on-close",
    }
    with pytest.raises(AttributeError):
        StopOrder(1.0).trigger = 2.0  # type: ignore[misc]


def test_the_builders_set_what_they_name() -> None:
    base = Signal.reduce_long("AAPL", 10)
    assert (base.order_type, base.time_in_force, base.outside_rth_allowed) == (
        MarketOrder(),
        TimeInForce.DAY,
        False,
    )
    assert base.stop(180).order_type == StopOrder(180.0)
    assert isinstance(base.stop(180).order_type.trigger, float)  # type: ignore[union-attr]
    assert base.stop_limit(180, 179).order_type == StopLimitOrder(180.0, 179.0)
    assert base.limit_on_close(190).order_type == LimitOnCloseOrder(190.0)
    assert base.market_on_close().order_type == MarketOnCloseOrder()
    assert [base.gtc().time_in_force, base.ioc().time_in_force, base.opg().time_in_force] == [
        TimeInForce.GTC,
        TimeInForce.IOC,
        TimeInForce.OPG,
    ]
    assert base.gtc().day().time_in_force is TimeInForce.DAY
    assert base.outside_rth().outside_rth_allowed is True
    # Each call returns a new signal; the one it was called on is unchanged.
    assert base.order_type == MarketOrder() and base.time_in_force is TimeInForce.DAY


def test_trailing_is_good_till_cancelled_unless_set_after() -> None:
    trailing = Signal.reduce_long("A", 1).trailing(TrailPercent(1.0))
    assert trailing.order_type == TrailingStopOrder(TrailPercent(1.0))
    assert trailing.time_in_force is TimeInForce.GTC
    assert trailing.day().time_in_force is TimeInForce.DAY
    # A time in force set before it is replaced, as in the Rust SDK.
    assert Signal.reduce_long("A", 1).ioc().trailing(TrailAmount(1.0)).time_in_force is (
        TimeInForce.GTC
    )
    offset = trailing.limit_offset(0.25)
    assert offset.order_type == TrailingStopOrder(TrailPercent(1.0), 0.25)
    assert offset.time_in_force is TimeInForce.GTC
    with pytest.raises(TypeError, match="TrailAmount"):
        Signal.reduce_long("A", 1).trailing(2.5)  # type: ignore[arg-type]


def test_a_limit_offset_means_nothing_to_other_order_types() -> None:
    stop = Signal.reduce_long("A", 1).stop(9.0)
    assert stop.limit_offset(0.5) == stop
    limit = Signal.reduce_long("A", 1).limit(9.0)
    assert limit.limit_offset(0.5).order_type == LimitOrder(9.0)


def test_on_close_orders_are_day_orders() -> None:
    assert Signal.close_long("A").gtc().market_on_close().time_in_force is TimeInForce.DAY
    assert Signal.close_long("A").opg().limit_on_close(5).time_in_force is TimeInForce.DAY
    # Set after, the time in force stands (the host refuses it: `invalid-order`).
    assert Signal.close_long("A").market_on_close().gtc().time_in_force is TimeInForce.GTC


def test_the_protective_helpers_are_reduce_long_good_till_cancelled() -> None:
    stop = Signal.stop_loss("AAPL", 100, 180.0)
    assert stop == Signal(
        Action.REDUCE_LONG, "AAPL", 100, StopOrder(180.0), TimeInForce.GTC, False, ""
    )
    assert Signal.take_profit("AAPL", 100, 195.0) == (
        Signal.reduce_long("AAPL", 100).limit(195.0).gtc()
    )
    assert Signal.trailing_stop("AAPL", 100, TrailAmount(2.0)) == Signal(
        Action.REDUCE_LONG,
        "AAPL",
        100,
        TrailingStopOrder(TrailAmount(2.0)),
        TimeInForce.GTC,
    )
    assert stop.reason("why").reason_text == "why"


def test_the_free_functions_emit_what_they_name() -> None:
    assert stop_loss("AAPL", 100, 180.0) == 1
    assert take_profit("AAPL", 100, 195.0) == 2
    assert trailing_stop("AAPL", 50, TrailPercent(3.0)) == 3
    assert [str(s) for s in MockHost.signals()] == [
        "reduce-long 100 AAPL stop 180 gtc",
        "reduce-long 100 AAPL limit 195 gtc",
        "reduce-long 50 AAPL trailing-stop 3% gtc",
    ]
    MockHost.reject_next(RejectCode.SHORT_NOT_ALLOWED, "held 0")
    with pytest.raises(sandtrade.Rejection):
        stop_loss("AAPL", 1, 1.0)


def test_working_orders_list_the_accepted_unfilled_signals() -> None:
    MockHost.set_position("AAPL", 100, 187.5)
    assert working_orders() == []
    stop = stop_loss("AAPL", 100, 180.0)
    limit = emit(Signal.open_long("MSFT", 5).limit(400.0).outside_rth())
    assert working_orders() == [
        WorkingOrder(
            signal_id=stop,
            symbol="AAPL",
            action=Action.REDUCE_LONG,
            quantity=100,
            filled=0,
            order_type=StopOrder(180.0),
            time_in_force=TimeInForce.GTC,
            outside_rth=False,
            state=OrderState.WORKING,
        ),
        WorkingOrder(limit, "MSFT", Action.OPEN_LONG, 5, 0, LimitOrder(400.0), TimeInForce.DAY,
                     True, OrderState.WORKING),
    ]  # fmt: skip
    MockHost.fill_accepted(400.0)
    assert working_orders() == []


def test_cancel_cancels_a_working_order_and_refuses_the_rest() -> None:
    MockHost.set_position("AAPL", 100, 187.5)
    stop = stop_loss("AAPL", 100, 180.0)
    assert cancel(stop) is CancelOutcome.CANCELLED
    assert working_orders() == []
    with pytest.raises(CancelRefused) as ended:
        cancel(stop)
    assert ended.value == CancelRefused(stop, CancelRefusal.ALREADY_ENDED)
    assert str(ended.value) == "cancel of signal 1: already-ended"
    with pytest.raises(CancelRefused) as unknown:
        cancel(99)
    assert unknown.value.refusal is CancelRefusal.UNKNOWN_ORDER
    assert MockHost.cancels() == [stop, stop, 99]
    # A cancelled order is never filled.
    assert MockHost.fill_accepted(170.0) == []
    assert held("AAPL") == 100


def test_a_filled_order_can_no_longer_be_cancelled() -> None:
    assert emit(Signal.open_long("AAPL", 10)) == 1
    MockHost.fill_accepted(10.0)
    with pytest.raises(CancelRefused, match="already-ended"):
        cancel(1)
    # A refused signal has no order.
    MockHost.reject_next(RejectCode.RATE_LIMIT, "too many")
    with pytest.raises(sandtrade.Rejection):
        emit(Signal.open_long("AAPL", 10))
    with pytest.raises(CancelRefused, match="unknown-order"):
        cancel(2)


def test_fill_one_executes_one_order_and_leaves_the_others_working() -> None:
    MockHost.set_position("AAPL", 100, 150.0)
    MockHost.set_now_ms(7)
    stop = stop_loss("AAPL", 100, 140.0)
    profit = take_profit("AAPL", 100, 170.0)
    assert MockHost.fill_one(stop, 139.5) == Fill(
        stop, "AAPL", Action.REDUCE_LONG, 100, 139.5, 7
    )
    assert held("AAPL") == 0
    assert [order.signal_id for order in working_orders()] == [profit]
    assert MockHost.fill_one(stop, 139.5) is None
    assert MockHost.fill_one(42, 1.0) is None
    # The other one, filled now, would sell what is no longer held: the test is wrong.
    with pytest.raises(AssertionError, match="reduce-long 100 AAPL with 0 held"):
        MockHost.fill_one(profit, 170.0)


def test_fill_one_builds_positions_like_fill_accepted() -> None:
    first = emit(Signal.open_long("AAPL", 100).limit(10.0))
    second = emit(Signal.add_long("AAPL", 100).limit(20.0))
    MockHost.fill_one(second, 20.0)
    MockHost.fill_one(first, 10.0)
    assert position("AAPL") == Position("AAPL", 200, 15.0)


def test_order_change_builders() -> None:
    assert OrderChange.to(StopOrder(185.0)) == OrderChange(None, StopOrder(185.0))
    assert OrderChange.to_quantity(50) == OrderChange(50, None)
    assert OrderChange.to(LimitOrder(190.0)).quantity(50) == OrderChange(50, LimitOrder(190.0))
    assert OrderChange.to_quantity(50).quantity(60) == OrderChange.to_quantity(60)
    assert str(OrderChange.to(StopOrder(185.0)).quantity(50)) == "stop 185, quantity 50"
    # The WIT's quantity is a u32, as a signal's.
    with pytest.raises(TypeError, match="whole number"):
        OrderChange.to_quantity(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from 0 to 4294967295"):
        OrderChange.to(StopOrder(1.0)).quantity(-1)


def test_modify_changes_a_working_order_at_once() -> None:
    MockHost.set_position("AAPL", 100, 187.5)
    stop = stop_loss("AAPL", 100, 180.0)
    assert modify(stop, OrderChange.to(StopOrder(185.0))) is ModifyOutcome.CHANGED
    (order,) = working_orders()
    assert (order.order_type, order.quantity, order.time_in_force) == (
        StopOrder(185.0),
        100,
        TimeInForce.GTC,
    )
    assert modify(stop, OrderChange.to_quantity(60)) is ModifyOutcome.CHANGED
    assert modify(stop, OrderChange.to(StopOrder(186.0)).quantity(70)) is ModifyOutcome.CHANGED
    (order,) = working_orders()
    assert (order.order_type, order.quantity) == (StopOrder(186.0), 70)
    # The signal as accepted is kept; the order fills with its new terms.
    assert str(MockHost.signals()[0]) == "reduce-long 100 AAPL stop 180 gtc"
    fill = MockHost.fill_one(stop, 185.9)
    assert fill is not None and fill.quantity == 70
    assert held("AAPL") == 30
    assert MockHost.modifies() == [
        (stop, OrderChange.to(StopOrder(185.0))),
        (stop, OrderChange.to_quantity(60)),
        (stop, OrderChange(70, StopOrder(186.0))),
    ]


def test_modify_refuses_another_kind_of_order_and_orders_that_are_not_working() -> None:
    MockHost.set_position("AAPL", 100, 187.5)
    trail = trailing_stop("AAPL", 100, TrailPercent(3.0))
    with pytest.raises(ModifyRefused) as refused:
        modify(trail, OrderChange.to(StopOrder(185.0)))
    assert refused.value.refusal is ModifyRefusal.REFUSED
    assert refused.value.rejection == sandtrade.Rejection(
        RejectCode.INVALID_ORDER, "a change keeps the order's type"
    )
    assert str(refused.value) == (
        "modify of signal 1: refused, invalid-order: a change keeps the order's type"
    )
    # Refused: nothing changed.
    assert working_orders()[0].order_type == TrailingStopOrder(TrailPercent(3.0))
    assert modify(trail, OrderChange.to(TrailingStopOrder(TrailPercent(2.0)))) is (
        ModifyOutcome.CHANGED
    )
    assert working_orders()[0].order_type == TrailingStopOrder(TrailPercent(2.0))

    assert cancel(trail) is CancelOutcome.CANCELLED
    with pytest.raises(ModifyRefused) as ended:
        modify(trail, OrderChange.to_quantity(50))
    assert ended.value == ModifyRefused(trail, ModifyRefusal.ALREADY_ENDED)
    assert ended.value.rejection is None
    assert str(ended.value) == "modify of signal 1: already-ended"
    with pytest.raises(ModifyRefused, match="modify of signal 9: unknown-order"):
        modify(9, OrderChange.to_quantity(50))
    assert [signal_id for signal_id, _ in MockHost.modifies()] == [trail, trail, trail, 9]


def test_a_modify_refusal_carries_a_rejection_exactly_when_refused() -> None:
    rejection = sandtrade.Rejection(RejectCode.SHORT_NOT_ALLOWED, "sells 200 of 100 held")
    refused = ModifyRefused(7, ModifyRefusal.REFUSED, rejection)
    assert repr(refused) == (
        "ModifyRefused(7, REFUSED, Rejection(SHORT_NOT_ALLOWED, 'sells 200 of 100 held'))"
    )
    assert refused != ModifyRefused(7, ModifyRefusal.PENDING)
    assert str(ModifyRefused(7, "pending")) == "modify of signal 7: pending"  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ModifyRefused(7, ModifyRefusal.REFUSED)
    with pytest.raises(ValueError):
        ModifyRefused(7, ModifyRefusal.PENDING, rejection)


class Canceller(Strategy):
    """Cancels signal 5, which does not exist, on every bar and fill, without a `try`."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("canceller", "1.0.0", ["AAPL"], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        return cls()

    def on_bar(self, bar: Bar) -> None:
        cancel(5)

    def on_fill(self, fill: Fill) -> None:
        cancel(5)


def test_an_unhandled_cancel_refusal_is_logged_not_fatal() -> None:
    runner = Runner(Canceller)
    runner.init([])
    runner.on_bar(bar("AAPL", 0, 1.0))
    runner.on_fill(Fill(1, "AAPL", Action.OPEN_LONG, 1, 1.0, 0))
    assert runner.instance is not None
    assert MockHost.logs() == [
        (Level.WARN, "unhandled refusal in on_bar: cancel of signal 5: unknown-order"),
        (Level.WARN, "unhandled refusal in on_fill: cancel of signal 5: unknown-order"),
    ]


class Modifier(Strategy):
    """Moves the stop of signal 5, which does not exist, on every bar and fill, without a
    `try`."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("modifier", "1.0.0", ["AAPL"], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        return cls()

    def on_bar(self, bar: Bar) -> None:
        modify(5, OrderChange.to(StopOrder(bar.close)))

    def on_fill(self, fill: Fill) -> None:
        modify(5, OrderChange.to_quantity(fill.quantity))


def test_an_unhandled_modify_refusal_is_logged_not_fatal() -> None:
    runner = Runner(Modifier)
    runner.init([])
    runner.on_bar(bar("AAPL", 0, 1.0))
    runner.on_fill(Fill(1, "AAPL", Action.OPEN_LONG, 1, 1.0, 0))
    assert runner.instance is not None
    assert MockHost.logs() == [
        (Level.WARN, "unhandled refusal in on_bar: modify of signal 5: unknown-order"),
        (Level.WARN, "unhandled refusal in on_fill: modify of signal 5: unknown-order"),
    ]


def test_the_new_enums_read_as_the_wit_spells_them() -> None:
    assert [str(s) for s in DataSource] == ["live", "delayed", "frozen", "historical", "replay"]
    assert [str(t) for t in TimeInForce] == ["day", "gtc", "ioc", "opg"]
    assert [str(s) for s in OrderState] == [
        "queued",
        "sending",
        "working",
        "cancelling",
        "unknown",
    ]
    assert [str(o) for o in CancelOutcome] == ["cancelled", "requested"]
    assert [str(r) for r in CancelRefusal] == ["unknown-order", "already-ended", "unavailable"]
    assert [str(o) for o in ModifyOutcome] == ["changed", "requested"]
    assert [str(r) for r in ModifyRefusal] == [
        "unknown-order",
        "already-ended",
        "pending",
        "refused",
        "unavailable",
    ]
    assert str(RejectCode.INVALID_ORDER) == "invalid-order"


def test_bars_carry_their_source() -> None:
    made = bar("AAPL", 0, 1.0)
    assert made.source is DataSource.LIVE
    assert bar("AAPL", 0, 1.0, source=DataSource.HISTORICAL).source is DataSource.HISTORICAL
    # Built by hand without one, a bar is live.
    assert Bar("AAPL", Market.US_STOCK, 0, 1.0, 1.0, 1.0, 1.0, 0.0).source is DataSource.LIVE


def test_trail_values_display_like_rust() -> None:
    assert str(TrailingStopOrder(TrailPercent(1e-7))) == "trailing-stop 0.0000001%"
    assert str(TrailingStopOrder(TrailAmount(INF), -0.0)) == "trailing-stop inf offset -0"
    assert math.isnan(TrailAmount(NAN).amount)
