"""Signals, the host functions and the mock host."""

from __future__ import annotations

import pytest

from sandtrade import (
    Action,
    Fill,
    Level,
    LimitOrder,
    Market,
    MarketOrder,
    Position,
    RejectCode,
    Rejection,
    Signal,
    add_long,
    add_long_limit,
    close_long,
    close_long_limit,
    debug,
    emit,
    emit_logged,
    error,
    held,
    info,
    log,
    log_enabled,
    now_ms,
    open_long,
    open_long_limit,
    position,
    reduce_long,
    reduce_long_limit,
    warn,
)
from sandtrade.testing import MockHost, bar, bars, sidecar_params


def test_signals_display_as_operators_read_them() -> None:
    assert str(Signal.open_long("AAPL", 100)) == "open-long 100 AAPL"
    assert str(Signal.reduce_long("MSFT", 40).limit(187.5)) == "reduce-long 40 MSFT limit 187.5"
    assert str(Signal.close_long("0700.HK").reason("exit")) == "close-long 0700.HK"
    assert str(Signal.add_long("AAPL", 1).limit(3.0)) == "add-long 1 AAPL limit 3"


def test_the_builder_returns_new_signals() -> None:
    base = Signal.open_long("AAPL", 100)
    limited = base.limit(10).reason("why")
    assert base.order_type == MarketOrder() and base.reason_text == ""
    assert limited.order_type == LimitOrder(10.0) and limited.reason_text == "why"
    assert limited.market().order_type == MarketOrder()
    assert Signal.close_long("AAPL").quantity == 0
    assert Signal.new(Action.ADD_LONG, "X", 3) == Signal.add_long("X", 3)


def test_a_quantity_is_whole_shares_in_u32() -> None:
    with pytest.raises(TypeError, match="whole number of shares"):
        Signal.open_long("AAPL", 100.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from 0 to 4294967295 shares, got -1"):
        Signal.reduce_long("AAPL", -1)
    with pytest.raises(ValueError):
        Signal.add_long("AAPL", 2**32)


def test_fills_display_as_operators_read_them() -> None:
    fill = Fill(7, "AAPL", Action.OPEN_LONG, 100, 187.5, 0)
    assert str(fill) == "signal 7: open-long 100 AAPL filled at 187.5"


def test_emit_returns_ids_and_raises_rejections() -> None:
    assert emit(Signal.open_long("AAPL", 5)) == 1
    assert Signal.add_long("AAPL", 5).emit() == 2
    MockHost.reject_next(RejectCode.RATE_LIMIT, "too many")
    with pytest.raises(Rejection) as caught:
        emit(Signal.open_long("MSFT", 5))
    assert caught.value == Rejection(RejectCode.RATE_LIMIT, "too many")
    assert (caught.value.code, caught.value.message) == (RejectCode.RATE_LIMIT, "too many")
    assert str(caught.value) == "rate-limit: too many"
    assert [s.symbol for s in MockHost.signals()] == ["AAPL", "AAPL"]


def test_emit_logged_writes_the_outcome() -> None:
    assert emit_logged(Signal.add_long("AAPL", 5).reason("dip")) == 1
    assert emit_logged(Signal.add_long("AAPL", 6)) == 2
    MockHost.reject_next(RejectCode.POSITION_LIMIT, "max_position_shares=10")
    assert emit_logged(Signal.add_long("AAPL", 7)) is None
    assert MockHost.logs() == [
        (Level.INFO, "add-long 5 AAPL: accepted as signal 1 (dip)"),
        (Level.INFO, "add-long 6 AAPL: accepted as signal 2"),
        (Level.WARN, "add-long 7 AAPL: refused, position-limit: max_position_shares=10"),
    ]


def test_helpers_build_the_signals_they_name() -> None:
    open_long_limit("A", 1, 2.5)
    close_long_limit("A", 3.0)
    reduce_long_limit("A", 4, 5.0)
    add_long("A", 6)
    add_long_limit("A", 7, 8.25)
    open_long("B", 9)
    reduce_long("B", 1)
    close_long("B")
    assert [str(s) for s in MockHost.signals()] == [
        "open-long 1 A limit 2.5",
        "close-long A limit 3",
        "reduce-long 4 A limit 5",
        "add-long 6 A",
        "add-long 7 A limit 8.25",
        "open-long 9 B",
        "reduce-long 1 B",
        "close-long B",
    ]


def test_fills_build_positions_like_the_ledger() -> None:
    MockHost.set_now_ms(42)
    assert open_long("AAPL", 100) == 1
    assert add_long("AAPL", 300) == 2
    fills = MockHost.fill_accepted(10.0)
    assert len(fills) == 2
    assert fills[1] == Fill(2, "AAPL", Action.ADD_LONG, 300, 10.0, 42)
    assert add_long("AAPL", 100) == 3
    MockHost.fill_accepted(20.0)
    # (400 * 10 + 100 * 20) / 500
    assert position("AAPL") == Position("AAPL", 500, 12.0)

    assert reduce_long("AAPL", 200) == 4
    MockHost.fill_accepted(30.0)
    p = position("AAPL")
    assert p is not None and (p.quantity, p.avg_cost) == (300, 12.0)
    assert close_long("AAPL") == 5
    fills = MockHost.fill_accepted(31.0)
    assert (fills[0].action, fills[0].quantity) == (Action.CLOSE_LONG, 300)
    assert held("AAPL") == 0
    assert position("AAPL") is None
    assert MockHost.fill_accepted(1.0) == []
    assert now_ms() == 42


def test_queued_rejections_come_first_and_are_not_filled() -> None:
    MockHost.reject_next(RejectCode.RATE_LIMIT, "too many")
    with pytest.raises(Rejection):
        open_long("MSFT", 5)
    assert open_long("MSFT", 5) == 1
    assert len(MockHost.take_signals()) == 1
    assert MockHost.signals() == []
    assert len(MockHost.fill_accepted(2.0)) == 1
    assert held("MSFT") == 5


def test_overselling_in_a_test_fails_it() -> None:
    MockHost.set_position("MSFT", 5, 1.0)
    reduce_long("MSFT", 6)  # the mock accepts everything
    with pytest.raises(AssertionError, match="reduce-long 6 MSFT with 5 held"):
        MockHost.fill_accepted(1.0)


def test_set_position_and_its_removal() -> None:
    MockHost.set_position("AAPL", 100, 187.5)
    assert held("AAPL") == 100
    got = position("AAPL")
    assert got == Position("AAPL", 100, 187.5)
    got.quantity = 1  # type: ignore[union-attr]  # a copy: the mock's books do not change
    assert held("AAPL") == 100
    MockHost.set_position("AAPL", 0, 0.0)
    assert position("AAPL") is None


class Counted:
    """Counts how often it is formatted."""

    def __init__(self) -> None:
        self.formatted = 0

    def __str__(self) -> str:
        self.formatted += 1
        return "x"


def test_lines_below_the_host_level_are_neither_formatted_nor_kept() -> None:
    MockHost.set_log_level(Level.WARN)
    counted = Counted()
    info("%s", counted)
    warn("%s", counted)
    debug("plain")
    assert counted.formatted == 1
    assert MockHost.logs() == [(Level.WARN, "x")]
    assert log_enabled(Level.ERROR)
    assert not log_enabled(Level.INFO)


def test_logs_are_collected_in_order() -> None:
    info("one")
    warn("two %d", 2)
    error("100%")  # no args: the message is not %-formatted
    log(Level.DEBUG, "four")
    assert MockHost.take_logs() == [
        (Level.INFO, "one"),
        (Level.WARN, "two 2"),
        (Level.ERROR, "100%"),
        (Level.DEBUG, "four"),
    ]
    assert MockHost.logs() == []


def test_levels_order_by_severity() -> None:
    assert Level.DEBUG < Level.INFO < Level.WARN < Level.ERROR
    assert max(Level) is Level.ERROR
    assert str(Level.WARN) == "warn"


def test_sidecar_params_are_strings_as_the_host_passes_them() -> None:
    text = '[params]\nfast = 10\nratio = 0.5\nlow = 30.0\non = true\nname = "x"\n[limits]\n'
    assert list(sidecar_params(text)) == [
        ("fast", "10"),
        ("low", "30"),
        ("name", "x"),
        ("on", "true"),
        ("ratio", "0.5"),
    ]
    assert list(sidecar_params("[params]\nbig = 1e20\nwhen = 1979-05-27T07:32:00Z\n")) == [
        ("big", "100000000000000000000"),
        ("when", "1979-05-27T07:32:00Z"),
    ]
    assert sidecar_params("[limits]\n") == sidecar_params("")
    assert len(sidecar_params("[limits]\n")) == 0
    with pytest.raises(ValueError) as caught:
        sidecar_params("[params]\nlist = [1]\n")
    assert str(caught.value) == (
        "sidecar: param `list` must be a string, number, boolean or date (got array)"
    )
    with pytest.raises(ValueError, match="^sidecar: "):
        sidecar_params("[params\n")
    with pytest.raises(ValueError, match="^sidecar: `params` must be a table$"):
        sidecar_params("params = 1\n")


def test_bars_are_one_minute_apart_and_know_their_market() -> None:
    b = bars("00700", [1.0, 2.0])
    assert (b[0].market, b[0].start_ms, b[1].start_ms) == (Market.HK_STOCK, 0, 60_000)
    assert bar("AAPL", 5, 1.5).market is Market.US_STOCK
    assert bar("0700.HK", 5, 1.5).market is Market.HK_STOCK
    assert bar("AAPL", 5, 1.5).high == 1.5
    custom = bar("AAPL", 0, 10.0, high=11.0, volume=5.0)
    assert (custom.open, custom.high, custom.low, custom.volume) == (10.0, 11.0, 10.0, 5.0)


def test_the_mock_is_not_instantiated() -> None:
    with pytest.raises(TypeError):
        MockHost()
