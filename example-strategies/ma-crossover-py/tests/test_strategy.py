"""The crossover under the SDK's mock host: the same cases, and the same expectations, as
the Rust strategy's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategy import MaCrossover

import sandtrade._host
from sandtrade import Level, ParamError, Params, Position, RejectCode, Signal
from sandtrade.testing import MockHost, bar, sidecar_params

SIDECAR = Path(__file__).resolve().parent.parent / "ma_crossover_py.toml"


@pytest.fixture(autouse=True)
def fresh_host() -> None:
    MockHost.reset()


def strategy(**params: str) -> MaCrossover:
    return MaCrossover.init(Params(params))


def feed(s: MaCrossover, symbol: str, first_minute: int, closes: list[float]) -> None:
    """Feeds the closes of `symbol` as consecutive one-minute bars from `first_minute`."""
    for minute, close in enumerate(closes, start=first_minute):
        s.on_bar(bar(symbol, minute * 60_000, close))


def test_describes_itself() -> None:
    metadata = MaCrossover.describe()
    assert metadata.name == "ma-crossover-py"
    assert metadata.symbols == ["AAPL", "MSFT"]
    assert metadata.bar_seconds == 60


def test_buys_on_the_upward_cross_and_sells_on_the_downward_one() -> None:
    s = strategy(fast="2", slow="3", quantity="10")
    # SMA2:  -, 10, 10, 9.5, 10.5 | 12.5, 10.5
    # SMA3:  -,  -, 10, 9.67, 10.33 | 11.33, 11   -> up at the 5th close, down at the 7th
    feed(s, "AAPL", 0, [10.0, 10.0, 10.0, 9.0, 12.0])
    bought = Signal.open_long("AAPL", 10).reason("SMA2 10.50 crossed above SMA3 10.33")
    assert MockHost.take_signals() == [bought]

    fills = MockHost.fill_accepted(12.0)
    s.on_fill(fills[0])
    feed(s, "AAPL", 5, [13.0, 8.0])
    sold = Signal.close_long("AAPL").reason("SMA2 10.50 crossed below SMA3 11.00")
    assert MockHost.take_signals() == [sold]
    assert MockHost.logs() == [
        (
            Level.INFO,
            "open-long 10 AAPL: accepted as signal 1 (SMA2 10.50 crossed above SMA3 10.33)",
        ),
        (Level.INFO, "signal 1: open-long 10 AAPL filled at 12"),
        (
            Level.INFO,
            "close-long AAPL: accepted as signal 2 (SMA2 10.50 crossed below SMA3 11.00)",
        ),
    ]


def test_does_not_sell_when_flat_nor_buy_when_holding() -> None:
    s = strategy(fast="2", slow="3", quantity="10")
    # Down-cross while flat: nothing to sell.
    feed(s, "MSFT", 0, [10.0, 10.0, 11.0, 12.0, 8.0])
    assert MockHost.signals() == []
    # Up-cross while already holding (bought elsewhere): no second entry.
    MockHost.set_position("MSFT", 10, 9.0)
    feed(s, "MSFT", 5, [20.0])
    assert MockHost.signals() == []


def test_symbols_keep_their_own_averages() -> None:
    s = strategy(fast="2", slow="3", quantity="7")
    # Interleaved: AAPL crosses up on its 5th bar; MSFT, flat at 50, never crosses.
    for minute, close in enumerate([10.0, 10.0, 10.0, 9.0, 12.0]):
        s.on_bar(bar("AAPL", minute * 60_000, close))
        s.on_bar(bar("MSFT", minute * 60_000, 50.0))
    signals = MockHost.signals()
    assert [(x.symbol, x.quantity) for x in signals] == [("AAPL", 7)]


def test_a_refusal_is_logged_and_the_next_cross_tries_again() -> None:
    s = strategy(fast="2", slow="3", quantity="10")
    MockHost.reject_next(RejectCode.TRADING_HALTED, "trading is halted")
    feed(s, "AAPL", 0, [10.0, 10.0, 10.0, 9.0, 12.0])
    assert MockHost.signals() == []
    assert MockHost.take_logs() == [
        (Level.WARN, "open-long 10 AAPL: refused, trading-halted: trading is halted"),
    ]
    # Down at 6 (SMA2 9 is not above SMA3 9), up again at 15 (SMA2 13.5 > SMA3 11).
    feed(s, "AAPL", 5, [6.0, 12.0, 15.0])
    assert len(MockHost.signals()) == 1


def test_asks_for_the_position_only_on_a_crossing(monkeypatch: pytest.MonkeyPatch) -> None:
    mock = sandtrade._host.current()
    asked: list[str] = []
    original = mock.position

    def counting(symbol: str) -> Position | None:
        asked.append(symbol)
        return original(symbol)

    monkeypatch.setattr(mock, "position", counting)
    s = strategy(fast="2", slow="3", quantity="10")
    feed(s, "AAPL", 0, [10.0, 10.0, 10.0, 9.0, 12.0, 13.0, 14.0])
    assert asked == ["AAPL"]  # the one crossing, at the 5th close


def test_ignores_symbols_it_did_not_declare() -> None:
    s = strategy()
    s.on_bar(bar("TSLA", 0, 1.0))
    assert MockHost.logs() == [
        (Level.WARN, 'ignored a bar of TSLA: not one of ["AAPL", "MSFT"]'),
    ]


def test_accepts_the_params_of_its_sidecar() -> None:
    MaCrossover.init(sidecar_params(SIDECAR.read_text()))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fast": "30", "slow": "10"}, "param `slow`: must be greater than fast (30), got `10`"),
        ({"fast": "0"}, "param `fast`: must be at least 1, got `0`"),
        ({"quantity": "-5"}, "param `quantity`: expected u32, got `-5`"),
        ({"quantity": "0"}, "param `quantity`: must be at least 1, got `0`"),
        ({"qty": "5"}, "param `qty`: unknown (known: fast, slow, quantity)"),
        ({"fast": "ten"}, "param `fast`: expected usize, got `ten`"),
    ],
)
def test_refuses_bad_params_by_name(params: dict[str, str], message: str) -> None:
    with pytest.raises(ParamError) as caught:
        MaCrossover.init(Params(params))
    assert str(caught.value) == message


def test_the_defaults_are_valid() -> None:
    s = MaCrossover.init(Params())
    assert s.quantity == 100
    assert (s.averages["AAPL"].fast.period, s.averages["AAPL"].slow.period) == (10, 30)
