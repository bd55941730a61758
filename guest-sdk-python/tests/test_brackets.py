"""Brackets: the exits builder, `bracket` and `bracket_logged`, and the mock host's brackets
(ids, working orders with `exit_of`, fills, cancels, changes, the checks of a bracket's shape)."""

from __future__ import annotations

from typing import Self

import pytest

from sandtrade import (
    Action,
    Bar,
    BracketIds,
    CancelOutcome,
    CancelRefusal,
    CancelRefused,
    Exits,
    LimitOrder,
    Level,
    MarketOrder,
    Metadata,
    ModifyOutcome,
    ModifyRefusal,
    ModifyRefused,
    OrderChange,
    Params,
    RejectCode,
    Rejection,
    Signal,
    StopLimitOrder,
    StopOrder,
    Strategy,
    TimeInForce,
    TrailAmount,
    TrailingStopOrder,
    TrailPercent,
    bracket,
    bracket_logged,
    cancel,
    held,
    modify,
    open_long,
    working_orders,
)
from sandtrade.testing import Bracket, MockHost, bars, on_bars


def aapl() -> Signal:
    return Signal.open_long("AAPL", 100).limit(190.0)


# What the Rust SDK's `Display` of each `Exits` prints, beside the Rust expression.
RUST_DISPLAY = [
    (
        Exits().take_profit(205.0).stop_loss(184.0),
        "Exits::new().take_profit(205.0).stop_loss(184.0)",
        "take-profit 205 and stop-loss stop 184 gtc",
    ),
    (Exits().take_profit(205.0), "Exits::new().take_profit(205.0)", "take-profit 205 gtc"),
    (
        Exits().stop_loss_limit(184.0, 183.5).day(),
        "Exits::new().stop_loss_limit(184.0, 183.5).day()",
        "stop-loss stop-limit 184/183.5 day",
    ),
    (
        Exits().take_profit(205.5).trailing_stop(TrailAmount(2.5)).outside_rth(),
        "Exits::new().take_profit(205.5).trailing_stop(Trail::Amount(2.5)).outside_rth()",
        "take-profit 205.5 and stop-loss trailing-stop 2.5 gtc outside-rth",
    ),
    (
        Exits().trailing_stop(TrailPercent(3.0)).limit_offset(0.1),
        "Exits::new().trailing_stop(Trail::Percent(3.0)).limit_offset(0.1)",
        "stop-loss trailing-stop 3% offset 0.1 gtc",
    ),
    (Exits(), "Exits::new()", "no exit gtc"),
]


@pytest.mark.parametrize(("exits", "rust", "shown"), RUST_DISPLAY, ids=[r for _, r, _ in RUST_DISPLAY])
def test_exits_display_as_the_rust_sdk_writes_them(exits: Exits, rust: str, shown: str) -> None:
    assert str(exits) == shown


def test_the_exits_builder_sets_what_it_names() -> None:
    exits = Exits()
    assert (exits.take_profit_price, exits.stop_loss_order) == (None, None)
    assert (exits.time_in_force, exits.outside_rth_allowed) == (TimeInForce.GTC, False)
    assert exits.take_profit(205).take_profit_price == 205.0
    assert exits.stop_loss(184).stop_loss_order == StopOrder(184.0)
    assert exits.stop_loss_limit(184, 183).stop_loss_order == StopLimitOrder(184.0, 183.0)
    assert exits.trailing_stop(TrailPercent(2.0)).stop_loss_order == TrailingStopOrder(
        TrailPercent(2.0)
    )
    # A limit offset means nothing to a fixed stop; the last stop-loss named wins.
    assert exits.stop_loss(9.0).limit_offset(0.5).stop_loss_order == StopOrder(9.0)
    assert isinstance(
        exits.stop_loss(9.0).trailing_stop(TrailAmount(1.0)).stop_loss_order, TrailingStopOrder
    )
    assert exits.day().gtc().time_in_force is TimeInForce.GTC
    # Each call returns new exits; the ones it was called on are unchanged.
    assert exits == Exits()
    with pytest.raises(TypeError, match="TrailAmount"):
        exits.trailing_stop(2.5)  # type: ignore[arg-type]


def test_a_bracket_gets_consecutive_ids_and_lists_its_legs() -> None:
    assert open_long("MSFT", 5) == 1
    ids = bracket(aapl(), Exits().take_profit(205.0).stop_loss(184.0))
    assert ids == BracketIds(2, 3, 4)
    assert ids.exits() == [3, 4]
    legs = [
        (o.signal_id, o.action, o.quantity, o.order_type, o.exit_of) for o in working_orders()
    ]
    assert legs == [
        (1, Action.OPEN_LONG, 5, MarketOrder(), None),
        (2, Action.OPEN_LONG, 100, LimitOrder(190.0), None),
        (3, Action.REDUCE_LONG, 100, LimitOrder(205.0), 2),
        (4, Action.REDUCE_LONG, 100, StopOrder(184.0), 2),
    ]
    assert working_orders()[2].time_in_force is TimeInForce.GTC
    # Only the stop-loss: the next id is the stop-loss's.
    only_stop = aapl().bracket(Exits().stop_loss(184.0))
    assert only_stop == BracketIds(5, None, 6)
    assert only_stop.exits() == [6]
    assert MockHost.brackets() == [
        Bracket(ids, aapl(), Exits().take_profit(205.0).stop_loss(184.0)),
        Bracket(only_stop, aapl(), Exits().stop_loss(184.0)),
    ]
    # `signals()` lists what `emit` sent, not brackets.
    assert len(MockHost.signals()) == 1


def test_the_exits_work_once_the_entry_has_filled_and_one_full_fill_cancels_the_other() -> None:
    ids = bracket(aapl(), Exits().take_profit(205.0).stop_loss(184.0))
    assert ids.take_profit is not None and ids.stop_loss is not None
    # Not before the entry has filled.
    assert MockHost.fill_one(ids.take_profit, 205.0) is None
    # `fill_accepted` fills the entry, never the exits: they fill when the test says.
    fills = MockHost.fill_accepted(190.0)
    assert [(f.signal_id, f.quantity) for f in fills] == [(ids.entry, 100)]
    assert held("AAPL") == 100
    assert len(working_orders()) == 2
    stop = MockHost.fill_one(ids.stop_loss, 183.9)
    assert stop is not None and (stop.action, stop.quantity) == (Action.REDUCE_LONG, 100)
    assert held("AAPL") == 0
    # The take-profit was cancelled with it.
    assert working_orders() == []
    with pytest.raises(CancelRefused) as ended:
        cancel(ids.take_profit)
    assert ended.value.refusal is CancelRefusal.ALREADY_ENDED


def test_cancelling_an_unfilled_entry_cancels_its_exits() -> None:
    ids = bracket(aapl(), Exits().take_profit(205.0).stop_loss(184.0))
    assert cancel(ids.entry) is CancelOutcome.CANCELLED
    assert working_orders() == []
    assert MockHost.fill_accepted(190.0) == []
    # An exit alone can be cancelled, once its entry has filled too.
    ids = bracket(aapl(), Exits().take_profit(205.0).stop_loss(184.0))
    MockHost.fill_accepted(190.0)
    with pytest.raises(CancelRefused, match="already-ended"):
        cancel(ids.entry)
    assert ids.take_profit is not None
    assert cancel(ids.take_profit) is CancelOutcome.CANCELLED
    assert [o.signal_id for o in working_orders()] == [ids.stop_loss]


def test_an_exit_changes_its_prices_never_its_quantity() -> None:
    stop = bracket(aapl(), Exits().stop_loss(184.0)).stop_loss
    assert stop is not None
    assert modify(stop, OrderChange.to(StopOrder(186.0))) is ModifyOutcome.CHANGED
    assert working_orders()[1].order_type == StopOrder(186.0)
    # Its own quantity again is no change.
    assert modify(stop, OrderChange.to_quantity(100)) is ModifyOutcome.CHANGED
    with pytest.raises(ModifyRefused) as refused:
        modify(stop, OrderChange.to_quantity(50))
    assert refused.value == ModifyRefused(
        stop,
        ModifyRefusal.REFUSED,
        Rejection(
            RejectCode.INVALID_ORDER,
            "an exit of a bracket keeps its entry's quantity (100); change its prices, or "
            "cancel it",
        ),
    )


def refused(entry: Signal, exits: Exits) -> tuple[RejectCode, str]:
    with pytest.raises(Rejection) as refusal:
        bracket(entry, exits)
    return refusal.value.code, refusal.value.message


def test_the_mock_checks_a_brackets_shape_as_the_host_does() -> None:
    take_profit = Exits().take_profit(205.0)
    assert refused(Signal.reduce_long("AAPL", 5), take_profit) == (
        RejectCode.INVALID_ORDER,
        "bracket on AAPL: the entry is a reduce-long; a bracket's entry buys (open-long or "
        "add-long)",
    )
    assert refused(aapl(), Exits()) == (
        RejectCode.INVALID_ORDER,
        "bracket on AAPL: no exit: name a take-profit, a stop-loss or both",
    )
    ioc = Exits(205.0, None, TimeInForce.IOC)
    assert refused(aapl(), ioc) == (
        RejectCode.INVALID_ORDER,
        "bracket on AAPL: exits are gtc or day orders, not ioc",
    )
    assert refused(aapl(), Exits(stop_loss_order=LimitOrder(184.0))) == (
        RejectCode.INVALID_ORDER,
        "bracket on AAPL: the stop-loss is a limit order; it must be a stop, stop-limit or "
        "trailing stop",
    )
    assert refused(aapl(), Exits().take_profit(180.0).stop_loss_limit(184.0, 183.0)) == (
        RejectCode.INVALID_PRICE,
        "bracket on AAPL: the take-profit 180 must be above the stop-loss trigger 184",
    )
    # A trailing stop has no fixed trigger to compare with.
    trailing = Exits().take_profit(1.0).trailing_stop(TrailAmount(2.0))
    assert bracket(Signal.add_long("AAPL", 5), trailing) == BracketIds(1, 2, 3)
    # A queued rejection comes first, as for `emit`.
    MockHost.reject_next(RejectCode.POSITION_LIMIT, "max_position_shares=10")
    assert refused(aapl(), take_profit)[0] is RejectCode.POSITION_LIMIT
    # Refused brackets take no ids and are not recorded.
    assert [sent.ids.entry for sent in MockHost.brackets()] == [1]


def test_bracket_logged_writes_the_outcome() -> None:
    entry = aapl().reason("pullback")
    assert bracket_logged(entry, Exits().take_profit(205.0).stop_loss(184.0)) == BracketIds(
        1, 2, 3
    )
    MockHost.reject_next(RejectCode.TRADING_HALTED, "halted")
    assert bracket_logged(aapl(), Exits().stop_loss(184.0)) is None
    assert MockHost.logs() == [
        (
            Level.INFO,
            "open-long 100 AAPL limit 190 with take-profit 205 and stop-loss stop 184 gtc: "
            "accepted as signals 1, 2, 3 (pullback)",
        ),
        (
            Level.WARN,
            "open-long 100 AAPL limit 190 with stop-loss stop 184 gtc: refused, "
            "trading-halted: halted",
        ),
    ]


class BracketAbove10(Strategy):
    """Enters with a bracket on the bar whose close is above 10."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("bracket-above-10", "1.0.0", ["AAPL"], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        return cls()

    def on_bar(self, bar: Bar) -> None:
        if bar.close > 10.0:
            exits = Exits().take_profit(bar.close * 1.1)
            bracket(Signal.open_long(bar.symbol, 1).limit(bar.close), exits)


def test_an_accepted_bracket_ends_a_batch_like_an_accepted_signal() -> None:
    strategy = BracketAbove10()
    batch = bars("AAPL", [9.0, 9.5, 11.0, 12.0])
    assert on_bars(strategy, batch) == 3
    assert MockHost.handled_bars() == [2]
    # A refused bracket does not end it (the refusal escaping on_bar is logged).
    MockHost.reject_next(RejectCode.RATE_LIMIT, "too many")
    assert on_bars(strategy, batch[2:]) == 2
    assert MockHost.logs()[0] == (Level.WARN, "unhandled refusal in on_bar: rate-limit: too many")
