"""The real host's side, under pytest: the conversions of `sandtrade/_bridge.py` and the
component entry's exports, run against the bindings componentize-py generates from the
repository's `wit/` (the same ones a build uses), with the host's functions replaced by
recorders.

Skipped when componentize-py is not beside the Python running the tests (`cargo xtask test`
runs them with `target/venv`, which has it).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import pytest

from sandtrade import (
    Action,
    BracketIds,
    CancelOutcome,
    CancelRefusal,
    CancelRefused,
    DataSource,
    Exits,
    LimitOnCloseOrder,
    LimitOrder,
    Market,
    MarketOnCloseOrder,
    MarketOrder,
    ModifyOutcome,
    ModifyRefusal,
    ModifyRefused,
    OrderChange,
    OrderState,
    OrderType,
    Rejection,
    RejectCode,
    Signal,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TrailAmount,
    TrailingStopOrder,
    TrailPercent,
    WorkingOrder,
    bracket,
    cancel,
    modify,
    working_orders,
)
from sandtrade.testing import MockHost

WIT = Path(__file__).resolve().parents[2] / "wit"

# A strategy for the entry module to export: buys 1 share on the first bar closing above 10.
STRATEGY = '''
from sandtrade import Bar, Metadata, Strategy, held, open_long


class BuyAbove10(Strategy):
    @classmethod
    def describe(cls):
        return Metadata("buy-above-10", "1.0.0", ["AAPL"], 60)

    @classmethod
    def init(cls, params):
        return cls()

    def on_bar(self, bar: Bar) -> None:
        if bar.close > 10.0 and held(bar.symbol) == 0:
            open_long(bar.symbol, 1)
'''


@pytest.fixture(scope="module")
def bindings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The directory of the generated bindings (`wit_world`, `componentize_py_types`), on
    `sys.path` for the module's tests."""
    componentize = Path(sys.executable).parent / "componentize-py"
    if not componentize.exists():
        pytest.skip(f"componentize-py is not installed beside {sys.executable}")
    out = tmp_path_factory.mktemp("bindings")
    subprocess.run(
        [str(componentize), "-d", str(WIT), "-w", "strategy", "bindings", str(out)],
        check=True,
        capture_output=True,
    )
    (out / "strategy.py").write_text(STRATEGY)
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in list(sys.modules):
        if name.split(".")[0] in ("wit_world", "componentize_py_types", "strategy") or name in (
            "sandtrade._bridge",
            "sandtrade_entry",
        ):
            del sys.modules[name]


@pytest.fixture
def bridge(bindings: Path) -> ModuleType:
    import sandtrade._bridge

    return sandtrade._bridge


@pytest.fixture
def wit(bindings: Path) -> ModuleType:
    from wit_world.imports import types

    return types


@pytest.fixture
def wit_host(bindings: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The bindings' host functions, each replaced by a recorder: `wit_host.calls` lists
    `(function, args)` in order."""
    from wit_world.imports import host

    calls: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(host, "calls", calls, raising=False)

    def recorder(name: str, answer: Any) -> None:
        def record(*args: object) -> object:
            calls.append((name, args))
            return answer(*args)

        monkeypatch.setattr(host, name, record)

    next_id = iter(range(1, 1000))
    recorder("emit", lambda signal: next(next_id))
    recorder("position", lambda symbol: None)
    recorder("now_ms", lambda: 0)
    recorder("handling_bar", lambda index: None)
    recorder("log", lambda level, message: None)
    recorder("log_level", lambda: host.types.Level.DEBUG)
    recorder("working_orders", lambda: [])
    recorder("cancel", lambda signal_id: host.types.CancelOutcome.REQUESTED)
    recorder("modify", lambda signal_id, change: host.types.ModifyOutcome.REQUESTED)
    recorder("emit_bracket", lambda entry, exits: host.types.BracketIds(7, None, 8))
    return host


ORDER_TYPES: list[OrderType] = [
    MarketOrder(),
    LimitOrder(187.5),
    StopOrder(180.0),
    StopLimitOrder(180.0, 179.5),
    TrailingStopOrder(TrailAmount(2.5)),
    TrailingStopOrder(TrailPercent(3.0), 0.1),
    MarketOnCloseOrder(),
    LimitOnCloseOrder(190.0),
]


@pytest.mark.parametrize("order_type", ORDER_TYPES, ids=str)
def test_every_order_type_crosses_both_ways(bridge: ModuleType, order_type: OrderType) -> None:
    assert bridge.order_type_from_wit(bridge.order_type_to_wit(order_type)) == order_type


def test_order_types_become_the_wit_variants(bridge: ModuleType, wit: ModuleType) -> None:
    to_wit = bridge.order_type_to_wit
    assert to_wit(StopLimitOrder(180.0, 179.5)) == wit.OrderType_StopLimit(
        wit.StopLimit(trigger=180.0, limit=179.5)
    )
    assert to_wit(TrailingStopOrder(TrailPercent(3.0), 0.1)) == wit.OrderType_TrailingStop(
        wit.TrailingStop(trail=wit.Trail_Percent(3.0), limit_offset=0.1)
    )
    assert to_wit(TrailingStopOrder(TrailAmount(2.5))) == wit.OrderType_TrailingStop(
        wit.TrailingStop(trail=wit.Trail_Amount(2.5), limit_offset=None)
    )
    assert to_wit(MarketOnCloseOrder()) == wit.OrderType_MarketOnClose()
    assert to_wit(LimitOnCloseOrder(190.0)) == wit.OrderType_LimitOnClose(190.0)


def test_a_signal_carries_its_time_in_force_and_session(bridge: ModuleType, wit: ModuleType) -> None:
    signal = Signal.reduce_long("AAPL", 5).stop_limit(180.0, 179.5).outside_rth().reason("r")
    assert bridge.signal_to_wit(signal) == wit.Signal(
        action=wit.Action.REDUCE_LONG,
        symbol="AAPL",
        quantity=5,
        order_type=wit.OrderType_StopLimit(wit.StopLimit(180.0, 179.5)),
        time_in_force=wit.TimeInForce.DAY,
        outside_rth=True,
        reason="r",
    )
    converted = [bridge.signal_to_wit(Signal.close_long("A").opg()).time_in_force]
    converted += [bridge.signal_to_wit(Signal.stop_loss("A", 1, 2.0)).time_in_force]
    assert converted == [wit.TimeInForce.OPG, wit.TimeInForce.GTC]


@pytest.mark.parametrize("source", list(DataSource), ids=str)
def test_a_bar_keeps_its_source(bridge: ModuleType, wit: ModuleType, source: DataSource) -> None:
    wit_bar = wit.Bar("0700.HK", wit.Market.HK_STOCK, 60_000, 1.0, 2.0, 0.5, 1.5, 100.0,
                      wit.DataSource[source.name])  # fmt: skip
    made = bridge.bar_from_wit(wit_bar)
    assert (made.symbol, made.market, made.close, made.source) == (
        "0700.HK",
        Market.HK_STOCK,
        1.5,
        source,
    )


def test_working_orders_and_cancels_go_through_the_imports(
    bridge: ModuleType, wit: ModuleType, wit_host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandtrade import _host

    _host.install(bridge.ComponentHost())
    order = wit.WorkingOrder(7, "AAPL", wit.Action.REDUCE_LONG, 100, 40,
                             wit.OrderType_Stop(180.0), wit.TimeInForce.GTC, False,
                             wit.OrderState.CANCELLING, None)  # fmt: skip
    exit_ = wit.WorkingOrder(9, "AAPL", wit.Action.REDUCE_LONG, 100, 0,
                             wit.OrderType_Limit(205.0), wit.TimeInForce.GTC, False,
                             wit.OrderState.WORKING, 8)  # fmt: skip
    monkeypatch.setattr(wit_host, "working_orders", lambda: [order, exit_])
    assert working_orders() == [
        WorkingOrder(7, "AAPL", Action.REDUCE_LONG, 100, 40, StopOrder(180.0), TimeInForce.GTC,
                     False, OrderState.CANCELLING),
        WorkingOrder(9, "AAPL", Action.REDUCE_LONG, 100, 0, LimitOrder(205.0), TimeInForce.GTC,
                     False, OrderState.WORKING, exit_of=8),
    ]  # fmt: skip
    assert cancel(7) is CancelOutcome.REQUESTED
    assert wit_host.calls[-1] == ("cancel", (7,))

    from componentize_py_types import Err

    def refuse(signal_id: int) -> object:
        raise Err(wit.CancelRefusal.ALREADY_ENDED)

    monkeypatch.setattr(wit_host, "cancel", refuse)
    with pytest.raises(CancelRefused) as refused:
        cancel(7)
    assert refused.value == CancelRefused(7, CancelRefusal.ALREADY_ENDED)
    MockHost.reset()


def test_changes_cross_as_the_wit_record(bridge: ModuleType, wit: ModuleType) -> None:
    to_wit = bridge.order_change_to_wit
    assert to_wit(OrderChange.to(StopOrder(185.0))) == wit.OrderChange(
        quantity=None, order_type=wit.OrderType_Stop(185.0)
    )
    assert to_wit(OrderChange.to_quantity(60)) == wit.OrderChange(quantity=60, order_type=None)
    assert to_wit(OrderChange.to(TrailingStopOrder(TrailAmount(1.5))).quantity(50)) == (
        wit.OrderChange(
            quantity=50,
            order_type=wit.OrderType_TrailingStop(wit.TrailingStop(wit.Trail_Amount(1.5), None)),
        )
    )


def test_modifies_go_through_the_imports(
    bridge: ModuleType, wit: ModuleType, wit_host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from componentize_py_types import Err

    from sandtrade import _host

    _host.install(bridge.ComponentHost())
    assert modify(7, OrderChange.to(StopOrder(185.0)).quantity(50)) is ModifyOutcome.REQUESTED
    assert wit_host.calls[-1] == ("modify", (7, wit.OrderChange(50, wit.OrderType_Stop(185.0))))
    monkeypatch.setattr(wit_host, "modify", lambda signal_id, change: wit.ModifyOutcome.CHANGED)
    assert modify(7, OrderChange.to_quantity(60)) is ModifyOutcome.CHANGED

    rejection = wit.Rejection(wit.RejectCode.SHORT_NOT_ALLOWED, "sells 200 of 100 held")
    answers = [
        (wit.ModifyRefusal_UnknownOrder(), ModifyRefused(7, ModifyRefusal.UNKNOWN_ORDER)),
        (wit.ModifyRefusal_AlreadyEnded(), ModifyRefused(7, ModifyRefusal.ALREADY_ENDED)),
        (wit.ModifyRefusal_Pending(), ModifyRefused(7, ModifyRefusal.PENDING)),
        (
            wit.ModifyRefusal_Refused(rejection),
            ModifyRefused(
                7,
                ModifyRefusal.REFUSED,
                Rejection(RejectCode.SHORT_NOT_ALLOWED, "sells 200 of 100 held"),
            ),
        ),
        (wit.ModifyRefusal_Unavailable(), ModifyRefused(7, ModifyRefusal.UNAVAILABLE)),
    ]
    # Every case of the WIT's variant is covered.
    assert {type(answer) for answer, _ in answers} == set(get_args(wit.ModifyRefusal))
    for answer, expected in answers:

        def refuse(signal_id: int, change: object, answer: object = answer) -> object:
            raise Err(answer)

        monkeypatch.setattr(wit_host, "modify", refuse)
        with pytest.raises(ModifyRefused) as refused:
            modify(7, OrderChange.to_quantity(60))
        assert refused.value == expected
    MockHost.reset()


def test_exits_cross_as_the_wit_record(bridge: ModuleType, wit: ModuleType) -> None:
    to_wit = bridge.exits_to_wit
    assert to_wit(Exits().take_profit(205.0).stop_loss(184.0)) == wit.Exits(
        take_profit=205.0,
        stop_loss=wit.OrderType_Stop(184.0),
        time_in_force=wit.TimeInForce.GTC,
        outside_rth=False,
    )
    assert to_wit(Exits().stop_loss_limit(184.0, 183.5).day().outside_rth()) == wit.Exits(
        None, wit.OrderType_StopLimit(wit.StopLimit(184.0, 183.5)), wit.TimeInForce.DAY, True
    )
    assert to_wit(Exits().trailing_stop(TrailPercent(3.0)).limit_offset(0.1)) == wit.Exits(
        None,
        wit.OrderType_TrailingStop(wit.TrailingStop(wit.Trail_Percent(3.0), 0.1)),
        wit.TimeInForce.GTC,
        False,
    )
    assert to_wit(Exits().take_profit(205.0)).stop_loss is None


def test_brackets_go_through_the_imports(
    bridge: ModuleType, wit: ModuleType, wit_host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from componentize_py_types import Err

    from sandtrade import _host

    _host.install(bridge.ComponentHost())
    entry = Signal.open_long("AAPL", 100).limit(190.0).reason("pullback")
    exits = Exits().stop_loss(184.0)
    assert bracket(entry, exits) == BracketIds(7, None, 8)
    assert wit_host.calls[-1] == (
        "emit_bracket",
        (bridge.signal_to_wit(entry), bridge.exits_to_wit(exits)),
    )

    def refuse(entry: object, exits: object) -> object:
        raise Err(wit.Rejection(wit.RejectCode.INVALID_PRICE, "the take-profit 1 must be above"))

    monkeypatch.setattr(wit_host, "emit_bracket", refuse)
    with pytest.raises(Rejection) as refused:
        bracket(entry, exits)
    assert refused.value == Rejection(RejectCode.INVALID_PRICE, "the take-profit 1 must be above")
    MockHost.reset()


def test_the_entry_exports_on_bars_over_on_bar(wit: ModuleType, wit_host: Any) -> None:
    import sandtrade_entry

    world = sandtrade_entry.WitWorld()
    closes = [9.0, 9.5, 11.0, 12.0]
    # As the host sends them: each symbol once, the bars column by column.
    symbols = [wit.BatchSymbol("AAPL", wit.Market.US_STOCK)]
    source = wit.DataSource.REPLAY

    def columns(closes: list[float], first: int = 0) -> Any:
        ohlcv = [x for c in closes for x in (c, c, c, c, 0.0)]
        times = [(first + i) * 60_000 for i in range(len(closes))]
        return wit.BarColumns([0] * len(closes), times, ohlcv)

    batch = columns(closes)
    # No instance before init: every bar consumed, nothing asked of the host.
    assert world.on_bars(symbols, source, batch) == 4
    assert wit_host.calls == []

    world.init([])
    assert world.on_bars(symbols, source, batch) == 3
    calls = [name if name != "handling_bar" else (name, args) for name, args in wit_host.calls]
    # Bars 0 and 1 call nothing, so the host is not told of them; on bar 2 it is told
    # first, then asked the position, then given the order.
    assert calls == [("handling_bar", (2,)), "position", "emit"]
    emitted = wit_host.calls[-1][1][0]
    assert (emitted.action, emitted.quantity, emitted.time_in_force) == (
        wit.Action.OPEN_LONG,
        1,
        wit.TimeInForce.DAY,
    )
    # The rest comes again: its first bar is the host's cursor already, so it is not told.
    wit_host.calls.clear()
    assert world.on_bars(symbols, source, columns(closes[3:], first=3)) == 1
    assert wit_host.calls == [("position", ("AAPL",)), ("emit", (wit_host.calls[1][1][0],))]
    MockHost.reset()


def test_batched_bars_take_their_symbol_market_and_source_from_the_call(
    bridge: ModuleType, wit: ModuleType
) -> None:
    symbols = [
        wit.BatchSymbol("AAPL", wit.Market.US_STOCK),
        wit.BatchSymbol("0700.HK", wit.Market.HK_STOCK),
    ]
    columns = wit.BarColumns(
        [1, 0], [60_000, 120_000], [1.0, 2.0, 0.5, 1.5, 100.0, 10.0, 11.0, 9.0, 10.5, 7.0]
    )
    made = list(bridge.bars_from_wit(symbols, wit.DataSource.DELAYED, columns))
    assert [(b.symbol, b.market, b.start_ms, b.source) for b in made] == [
        ("0700.HK", Market.HK_STOCK, 60_000, DataSource.DELAYED),
        ("AAPL", Market.US_STOCK, 120_000, DataSource.DELAYED),
    ]
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in made] == [
        (1.0, 2.0, 0.5, 1.5, 100.0),
        (10.0, 11.0, 9.0, 10.5, 7.0),
    ]
