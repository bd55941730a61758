"""{{name}} under the SDK's mock host: no Sandtrade host needed."""

from __future__ import annotations

from strategy import SmaTrend

from sandtrade import Action, Params
from sandtrade.testing import MockHost, bars


def test_buys_when_the_close_crosses_above_its_average() -> None:
    MockHost.reset()
    strategy = SmaTrend.init(Params({"period": "3", "quantity": "5"}))
    for bar in bars("AAPL", [10.0, 10.0, 10.0, 9.0, 12.0]):
        strategy.on_bar(bar)
    signals = MockHost.take_signals()
    assert len(signals) == 1
    assert signals[0].action == Action.OPEN_LONG
    assert signals[0].quantity == 5
