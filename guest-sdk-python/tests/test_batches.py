"""`on-bars`: several bars handed over at once, run bar by bar over the author's `on_bar`,
stopping after the bar of an accepted signal, and the host told lazily which bar the strategy
is on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Self

import pytest

from sandtrade import (
    Bar,
    Level,
    Metadata,
    OrderChange,
    Params,
    RejectCode,
    Signal,
    Strategy,
    cancel,
    emit_logged,
    held,
    info,
    modify,
    now_ms,
    open_long,
    position,
    working_orders,
)
from sandtrade._runner import Runner
from sandtrade.testing import MockHost, bars, on_bars


class Scripted(Strategy):
    """Records the closes it sees and, on each bar, runs `self.script(bar)`."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("scripted", "1.0.0", ["AAPL"], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        return cls(lambda bar: None)

    def __init__(self, script: Callable[[Bar], object]) -> None:
        self.script = script
        self.seen: list[float] = []

    def on_bar(self, bar: Bar) -> None:
        self.seen.append(bar.close)
        self.script(bar)


def buy_above_10(bar: Bar) -> None:
    """Buys on a bar whose close is above 10; that emit is the only host call."""
    if bar.close > 10.0:
        open_long(bar.symbol, 1)


def test_a_batch_stops_after_the_bar_of_an_accepted_signal_and_tells_the_host_that_bar() -> None:
    # The same case as the Rust SDK's test, with the same answers.
    strategy = Scripted(buy_above_10)
    batch = bars("AAPL", [9.0, 9.5, 11.0, 12.0, 13.0])
    assert on_bars(strategy, batch) == 3
    assert MockHost.handled_bars() == [2]
    assert strategy.seen == [9.0, 9.5, 11.0]
    # The rest, as the host sends it again: its first bar is the host's cursor already.
    assert on_bars(strategy, batch[3:]) == 1
    assert MockHost.handled_bars() == [2]
    # A refused signal does not end the batch.
    MockHost.reject_next(RejectCode.POSITION_LIMIT, "max_position_shares=1")
    assert on_bars(strategy, batch[2:]) == 2
    assert MockHost.handled_bars() == [2, 1]
    assert len(MockHost.signals()) == 3


def test_a_batch_without_an_accepted_signal_is_consumed_whole() -> None:
    strategy = Scripted(lambda bar: None)
    assert on_bars(strategy, bars("AAPL", [1.0, 2.0, 3.0, 4.0])) == 4
    assert strategy.seen == [1.0, 2.0, 3.0, 4.0]
    # No host call, so the host was never told of a bar.
    assert MockHost.handled_bars() == []
    assert on_bars(strategy, []) == 0


def test_the_host_is_told_once_per_bar_and_only_before_a_call_that_answers_as_of_it() -> None:
    def script(bar: Bar) -> None:
        if bar.close in (2.0, 4.0, 5.0):
            held("AAPL")
            position("AAPL")  # the same bar: not told again
            now_ms()

    strategy = Scripted(script)
    assert on_bars(strategy, bars("AAPL", [1.0, 2.0, 3.0, 4.0, 5.0])) == 5
    assert MockHost.handled_bars() == [1, 3, 4]


@pytest.mark.parametrize(
    "call",
    [
        lambda: held("AAPL"),
        lambda: position("AAPL"),
        lambda: now_ms(),
        lambda: working_orders(),
        lambda: cancel(1),
        lambda: modify(1, OrderChange.to_quantity(5)),
        lambda: emit_logged(Signal.open_long("AAPL", 1)),
    ],
    ids=["held", "position", "now_ms", "working_orders", "cancel", "modify", "emit"],
)
def test_each_call_that_answers_as_of_a_bar_tells_the_host_first(
    call: Callable[[], object],
) -> None:
    seen_by_host: list[list[int]] = []

    def script(bar: Bar) -> None:
        if bar.close == 3.0:
            try:
                call()
            except Exception:  # noqa: BLE001 - a refused cancel or change still asked the host
                pass
            seen_by_host.append(MockHost.handled_bars())

    on_bars(Scripted(script), bars("AAPL", [1.0, 2.0, 3.0]))
    assert seen_by_host == [[2]]


def test_logging_does_not_tell_the_host() -> None:
    strategy = Scripted(lambda bar: info("close %s", bar.close))
    assert on_bars(strategy, bars("AAPL", [1.0, 2.0, 3.0])) == 3
    assert MockHost.handled_bars() == []
    assert [message for _, message in MockHost.logs()] == [
        "close 1.0",
        "close 2.0",
        "close 3.0",
    ]


def test_calls_after_a_batch_do_not_tell_the_host() -> None:
    # The strategy ends the batch on a bar the host was not told of (it called nothing there).
    strategy = Scripted(lambda bar: held("AAPL") if bar.close == 2.0 else None)
    on_bars(strategy, bars("AAPL", [1.0, 2.0, 3.0]))
    assert MockHost.handled_bars() == [1]
    # on_fill, a test or a one-bar `on-bar` call: outside a batch, the host needs no telling.
    held("AAPL")
    now_ms()
    assert MockHost.handled_bars() == [1]


def test_an_exception_escaping_on_bar_ends_the_batch_and_resets_the_cursor() -> None:
    def script(bar: Bar) -> None:
        if bar.close == 2.0:
            held("AAPL")
        if bar.close == 3.0:
            raise ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError):
        on_bars(Scripted(script), bars("AAPL", [1.0, 2.0, 3.0, 4.0]))
    assert MockHost.handled_bars() == [1]
    held("AAPL")
    assert MockHost.handled_bars() == [1]


def test_a_rejection_escaping_on_bar_is_logged_and_the_batch_goes_on() -> None:
    strategy = Scripted(buy_above_10)
    MockHost.reject_next(RejectCode.TRADING_HALTED, "halted")
    assert on_bars(strategy, bars("AAPL", [11.0, 12.0, 13.0])) == 2
    assert MockHost.logs() == [
        (Level.WARN, "unhandled refusal in on_bar: trading-halted: halted"),
    ]
    assert [str(s) for s in MockHost.signals()] == ["open-long 1 AAPL"]


def test_a_batch_trades_as_bar_by_bar() -> None:
    """The stop is what keeps a batch faithful: the host fills the order before the next
    bar, so the strategy sees the position it would have seen bar by bar."""

    def script(bar: Bar) -> None:
        # Buys when flat, sells when holding: every bar emits, each seeing the last fill.
        if held("AAPL") == 0:
            emit_logged(Signal.open_long("AAPL", 10).reason(f"at {bar.close}"))
        else:
            emit_logged(Signal.close_long("AAPL").reason(f"at {bar.close}"))

    closes = [1.0, 2.0, 3.0, 4.0, 5.0]

    one_by_one = Scripted(script)
    for each in bars("AAPL", closes):
        one_by_one.on_bar(each)
        MockHost.fill_accepted(each.close)
    expected = [str(s) for s in MockHost.take_signals()]
    MockHost.reset()

    batched = Scripted(script)
    remaining = bars("AAPL", closes)
    calls = 0
    while remaining:
        consumed = on_bars(batched, remaining)
        assert consumed >= 1
        MockHost.fill_accepted(remaining[consumed - 1].close)
        remaining = remaining[consumed:]
        calls += 1
    assert [str(s) for s in MockHost.signals()] == expected
    assert expected == [
        "open-long 10 AAPL",
        "close-long AAPL",
        "open-long 10 AAPL",
        "close-long AAPL",
        "open-long 10 AAPL",
    ]
    assert calls == 5


def test_the_runner_consumes_a_batch_without_an_instance() -> None:
    runner = Runner(Scripted)
    assert runner.on_bars(iter(bars("AAPL", [11.0, 12.0]))) == 2
    assert MockHost.signals() == []
    runner.init([])
    assert isinstance(runner.instance, Scripted)
    runner.instance.script = buy_above_10
    # Bars may come lazily: the runner takes only those it consumes.
    taken: list[float] = []

    def lazily() -> Iterator[Bar]:
        for each in bars("AAPL", [9.0, 11.0, 12.0]):
            taken.append(each.close)
            yield each

    assert runner.on_bars(lazily()) == 2
    assert taken == [9.0, 11.0]
    assert MockHost.handled_bars() == [1]
