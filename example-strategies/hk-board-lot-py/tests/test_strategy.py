"""The board-lot breakout under the SDK's mock host: the same cases, and the same
expectations, as the Rust `hk-breakout` strategy's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategy import SYMBOL, HkBoardLot

from sandtrade import Bar, Level, ParamError, Params, Signal
from sandtrade.testing import MockHost, bar, sidecar_params

SIDECAR = Path(__file__).resolve().parent.parent / "hk_board_lot_py.toml"


@pytest.fixture(autouse=True)
def fresh_host() -> None:
    MockHost.reset()


def strategy(**params: str) -> HkBoardLot:
    return HkBoardLot.init(Params(params))


def hlc(minute: int, high: float, low: float, close: float) -> Bar:
    """A bar of 0700.HK at `minute` with this high, low and close."""
    return bar(SYMBOL, minute * 60_000, close, high=high, low=low)


def test_describes_itself() -> None:
    metadata = HkBoardLot.describe()
    assert metadata.name == "hk-board-lot-py"
    assert metadata.symbols == ["0700.HK"]
    assert metadata.bar_seconds == 60


def test_buys_whole_lots_on_a_breakout_and_sells_on_the_breakdown() -> None:
    s = strategy(lot="100", lots="2", entry_window="3", exit_window="2")
    s.on_bar(hlc(0, 350.0, 346.0, 348.0))
    s.on_bar(hlc(1, 352.0, 347.0, 351.0))
    s.on_bar(hlc(2, 351.0, 349.0, 350.0))
    assert MockHost.signals() == [], "no breakout yet: 351.0 is not above 352.0"
    s.on_bar(hlc(3, 354.0, 351.0, 353.4))
    bought = Signal.open_long("0700.HK", 200).reason(
        "close 353.40 broke above the 3-bar high 352.00"
    )
    assert MockHost.take_signals() == [bought]
    assert MockHost.fill_accepted(353.4)[0].quantity == 200

    # The exit channel is the lowest low of the 2 bars before: 349.0, 351.0, then 350.8.
    s.on_bar(hlc(4, 355.0, 352.0, 354.0))
    s.on_bar(hlc(5, 353.0, 350.8, 351.0))
    assert MockHost.signals() == [], "351.0 is not below 351.0"
    s.on_bar(hlc(6, 351.0, 349.0, 350.6))
    sold = Signal.close_long("0700.HK").reason("close 350.60 broke below the 2-bar low 350.80")
    assert MockHost.take_signals() == [sold]


def test_the_order_size_is_always_a_multiple_of_the_lot() -> None:
    s = strategy(lot="500", lots="3", entry_window="1")
    s.on_bar(hlc(0, 10.0, 9.0, 9.5))
    s.on_bar(hlc(1, 11.0, 10.0, 10.5))
    signals = MockHost.signals()
    assert len(signals) == 1
    assert signals[0].quantity == 1_500
    assert signals[0].quantity % 500 == 0


def test_holds_no_second_entry_and_ignores_other_symbols() -> None:
    s = strategy(entry_window="1")
    MockHost.set_position(SYMBOL, 100, 300.0)
    s.on_bar(hlc(0, 300.0, 299.0, 300.0))
    s.on_bar(hlc(1, 320.0, 310.0, 320.0))
    s.on_bar(bar("AAPL", 0, 1.0))
    assert MockHost.signals() == []
    assert MockHost.logs() == [
        (Level.WARN, "ignored a bar of AAPL: this strategy trades 0700.HK"),
    ]


def test_logs_the_outcome_and_the_fill() -> None:
    s = strategy(entry_window="1")
    s.on_bar(hlc(0, 300.0, 299.0, 300.0))
    s.on_bar(hlc(1, 320.0, 310.0, 320.0))
    s.on_fill(MockHost.fill_accepted(320.0)[0])
    assert MockHost.logs() == [
        (
            Level.INFO,
            "open-long 100 0700.HK: accepted as signal 1 "
            "(close 320.00 broke above the 1-bar high 300.00)",
        ),
        (Level.INFO, "signal 1: open-long 100 0700.HK filled at 320"),
    ]


def test_accepts_the_params_of_its_sidecar() -> None:
    s = HkBoardLot.init(sidecar_params(SIDECAR.read_text()))
    assert s.quantity == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lot": "0"}, "param `lot`: must be at least 1, got `0`"),
        (
            {"lot": "100000", "lots": "100000"},
            "param `lots`: lots * lot (100000) must fit in u32, got `100000`",
        ),
        (
            {"lot_size": "100"},
            "param `lot_size`: unknown (known: lot, lots, entry_window, exit_window)",
        ),
        ({"entry_window": "-1"}, "param `entry_window`: expected u32, got `-1`"),
        ({"exit_window": "0"}, "param `exit_window`: must be at least 1, got `0`"),
    ],
)
def test_refuses_bad_params_by_name(params: dict[str, str], message: str) -> None:
    with pytest.raises(ParamError) as caught:
        HkBoardLot.init(Params(params))
    assert str(caught.value) == message


def test_the_defaults_are_valid() -> None:
    s = HkBoardLot.init(Params())
    assert (s.quantity, s.entry_high.window, s.exit_low.window) == (100, 20, 10)
