"""The documentation's Python examples run as written: the README's protective-orders and
moving-a-stop strategies under their tests, its brackets example, and the strategy guide's
Python section."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.M | re.S)


def block_with(text: str) -> str:
    (block,) = [b for b in python_blocks() if text in b]
    return block


def as_strategy_module(class_name: str) -> Iterator[types.ModuleType]:
    """The README's strategy `class_name` as the module `strategy`, as a project would have
    it."""
    module = types.ModuleType("strategy")
    exec(compile(block_with(f"class {class_name}"), "README.md", "exec"), module.__dict__)
    sys.modules["strategy"] = module
    yield module
    del sys.modules["strategy"]


@pytest.fixture
def strategy_module() -> Iterator[types.ModuleType]:
    yield from as_strategy_module("GuardedBreakout")


@pytest.fixture
def raised_stop_module() -> Iterator[types.ModuleType]:
    yield from as_strategy_module("RaisedStop")


def test_the_protective_orders_example_passes_its_tests(strategy_module: types.ModuleType) -> None:
    tests: dict[str, object] = {}
    exec(compile(block_with("from strategy import GuardedBreakout"), "README.md", "exec"), tests)
    names = [name for name in tests if name.startswith("test_")]
    assert names == [
        "test_a_fill_is_protected_and_its_stop_cancelled_before_the_exit",
        "test_a_triggered_stop_leaves_nothing_to_cancel",
    ]
    for name in names:
        tests[name]()  # type: ignore[operator]


def test_the_moving_a_stop_example_passes_its_tests(raised_stop_module: types.ModuleType) -> None:
    tests: dict[str, object] = {}
    exec(compile(block_with("from strategy import RaisedStop"), "README.md", "exec"), tests)
    names = [name for name in tests if name.startswith("test_")]
    assert names == [
        "test_the_stop_is_raised_behind_the_close_and_never_lowered",
        "test_a_stop_that_triggered_first_is_left_alone",
    ]
    for name in names:
        tests[name]()  # type: ignore[operator]


def test_the_example_is_found_by_the_build_as_the_one_strategy(
    strategy_module: types.ModuleType,
) -> None:
    from sandtrade._runner import find_strategy

    assert find_strategy(strategy_module).__name__ == "GuardedBreakout"


def test_the_brackets_example_runs() -> None:
    exec(compile(block_with("Exits().take_profit(205.0)"), "README.md", "exec"), {})


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "strategy-guide.md"


def guide_python_blocks() -> list[str]:
    """The Python code of the strategy guide's Python section on protective orders."""
    text = GUIDE.read_text()
    start = text.index("### Python: protective orders, working orders and cancels")
    section = text[start : text.index("\n## ", start)]
    return re.findall(r"^```python\n(.*?)^```", section, flags=re.M | re.S)


def test_the_guides_signals_read_as_it_says() -> None:
    displays = guide_python_blocks()[0]
    exec(compile(displays, "strategy-guide.md", "exec"), {})


def test_the_guides_bracket_runs() -> None:
    (block,) = [b for b in guide_python_blocks() if "bracket(" in b]
    exec(compile(block, "strategy-guide.md", "exec"), {})


def test_the_guides_excerpt_is_the_tested_example() -> None:
    excerpt = guide_python_blocks()[1]
    assert excerpt in block_with("class GuardedBreakout")
