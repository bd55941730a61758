"""What the component entry does: finding the strategy class and keeping its one instance
with the Rust SDK's rules."""

from __future__ import annotations

import types
from typing import Self

import pytest

from sandtrade import (
    Action,
    Bar,
    Fill,
    Level,
    Metadata,
    ParamError,
    Params,
    RejectCode,
    Strategy,
    u32,
)
from sandtrade._runner import BuildError, Runner, check_metadata, find_strategy
from sandtrade.testing import MockHost, bar


class Recorder(Strategy):
    """Records what it is given; `init` refuses `quantity = 0`."""

    created = 0

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata.new("recorder", "1.0.0", ("AAPL",), 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        quantity = params.get_or("quantity", u32(1))
        if quantity == 0:
            raise ParamError.out_of_range("quantity", "must be at least 1", quantity)
        if params.contains("boom"):
            raise ValueError("boom was given")
        return cls(quantity)

    def __init__(self, quantity: int) -> None:
        Recorder.created += 1
        self.quantity = quantity
        self.bars: list[Bar] = []
        self.fills: list[Fill] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_fill(self, fill: Fill) -> None:
        self.fills.append(fill)


FILL = Fill(1, "AAPL", Action.OPEN_LONG, 1, 10.0, 0)


def test_calls_before_init_are_ignored() -> None:
    runner = Runner(Recorder)
    runner.on_bar(bar("AAPL", 0, 1.0))
    runner.on_fill(FILL)
    assert runner.instance is None


def test_a_successful_init_stores_the_instance() -> None:
    runner = Runner(Recorder)
    assert runner.init([("quantity", "5")]) is None
    instance = runner.instance
    assert isinstance(instance, Recorder) and instance.quantity == 5
    runner.on_bar(bar("AAPL", 0, 1.0))
    runner.on_fill(FILL)
    assert len(instance.bars) == 1 and instance.fills == [FILL]


def test_a_second_init_replaces_the_instance() -> None:
    runner = Runner(Recorder)
    runner.init([])
    first = runner.instance
    runner.init([("quantity", "2")])
    assert runner.instance is not first
    assert isinstance(runner.instance, Recorder) and runner.instance.quantity == 2


def test_a_failed_init_leaves_no_instance_and_says_why() -> None:
    runner = Runner(Recorder)
    runner.init([])
    assert runner.init([("quantity", "0")]) == "param `quantity`: must be at least 1, got `0`"
    assert runner.instance is None
    runner.on_bar(bar("AAPL", 0, 1.0))  # ignored, not an error
    assert runner.init([("quantity", "x")]) == "param `quantity`: expected u32, got `x`"
    assert runner.init([("boom", "1")]) == "boom was given"
    assert runner.instance is None


def test_an_init_that_returns_no_instance_is_refused() -> None:
    class Forgetful(Recorder):
        @classmethod
        def init(cls, params: Params) -> Self:
            cls(1)  # built, but not returned
            return None  # type: ignore[return-value]

    runner = Runner(Forgetful)
    assert runner.init([]) == (
        "Forgetful.init must return an instance of Forgetful (`return cls(...)`), got NoneType"
    )
    assert runner.instance is None


def test_other_exceptions_propagate_like_a_panic() -> None:
    class Buggy(Recorder):
        def on_bar(self, bar: Bar) -> None:
            raise ZeroDivisionError("bug")

    runner = Runner(Buggy)
    runner.init([])
    with pytest.raises(ZeroDivisionError):
        runner.on_bar(bar("AAPL", 0, 1.0))


def test_a_refusal_escaping_on_bar_is_logged_not_fatal() -> None:
    class Careless(Recorder):
        def on_bar(self, bar: Bar) -> None:
            from sandtrade import open_long

            open_long(bar.symbol, 1)  # raises when refused; not caught here

    runner = Runner(Careless)
    runner.init([])
    MockHost.reject_next(RejectCode.TRADING_HALTED, "halted")
    runner.on_bar(bar("AAPL", 0, 1.0))
    assert runner.instance is not None
    assert MockHost.logs() == [
        (Level.WARN, "unhandled refusal in on_bar: trading-halted: halted"),
    ]


def test_describe_is_checked() -> None:
    assert Runner(Recorder).describe() == Metadata("recorder", "1.0.0", ["AAPL"], 60)

    class Wrong(Recorder):
        @classmethod
        def describe(cls) -> Metadata:
            return {"name": "x"}  # type: ignore[return-value]

    with pytest.raises(BuildError, match=r"Wrong.describe\(\) must return a sandtrade.Metadata"):
        check_metadata(Wrong)


def test_metadata_refuses_a_lone_string_of_symbols() -> None:
    with pytest.raises(TypeError, match=r"write \['AAPL'\]"):
        Metadata("x", "1", "AAPL", 60)  # type: ignore[arg-type]


# --- Finding the class ------------------------------------------------------------------------


def module(source: str) -> types.ModuleType:
    """A module named `strategy` made from `source`."""
    made = types.ModuleType("strategy")
    exec(source, made.__dict__)
    return made


HEADER = """
from sandtrade import Metadata, Strategy

class Base(Strategy):
    @staticmethod
    def describe():
        return Metadata("s", "1", ["AAPL"], 60)

    @classmethod
    def init(cls, params):
        return cls()
"""


def test_finds_the_one_subclass_beside_an_abstract_helper_base() -> None:
    # `Base` lacks on_bar, so it is abstract: a helper, not a second strategy.
    found = find_strategy(module(HEADER + "\nclass Mine(Base):\n    def on_bar(self, b): pass\n"))
    assert found.__name__ == "Mine"
    assert check_metadata(found).name == "s"


def test_no_subclass_reads_as_a_sentence() -> None:
    with pytest.raises(BuildError) as caught:
        find_strategy(module("from sandtrade import Strategy\n"))
    assert str(caught.value) == (
        "strategy.py defines no subclass of sandtrade.Strategy. Define one, e.g. "
        "`class MyStrategy(Strategy):` with describe, init and on_bar."
    )


def test_two_subclasses_read_as_a_sentence() -> None:
    source = HEADER + (
        "\nclass One(Base):\n    def on_bar(self, bar): pass\n"
        "\nclass Two(Base):\n    def on_bar(self, bar): pass\n"
    )
    with pytest.raises(BuildError) as caught:
        find_strategy(module(source))
    assert str(caught.value) == (
        "strategy.py defines 2 Strategy subclasses (One, Two); a component runs exactly one: "
        "keep one in strategy.py and move the others to modules of their own."
    )


def test_an_incomplete_subclass_names_what_is_missing() -> None:
    with pytest.raises(BuildError) as caught:
        find_strategy(module(HEADER))
    assert str(caught.value) == (
        "strategy.py defines no complete Strategy subclass: Base does not implement on_bar. "
        "A strategy implements describe, init and on_bar."
    )


def test_a_strategy_only_imported_is_pointed_out() -> None:
    helper = module(HEADER + "\nclass Elsewhere(Base):\n    def on_bar(self, bar): pass\n")
    helper.__name__ = "helpers"
    for value in vars(helper).values():
        if isinstance(value, type) and value.__module__ == "strategy":
            value.__module__ = "helpers"
    importing = types.ModuleType("strategy")
    importing.Elsewhere = helper.Elsewhere  # type: ignore[attr-defined]
    with pytest.raises(BuildError, match="Elsewhere is imported there, but defined elsewhere"):
        find_strategy(importing)
