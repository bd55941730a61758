"""{{name}}: buys `quantity` shares of AAPL when the close crosses above its SMA of `period`
bars, and sells them all when it crosses back below."""

from __future__ import annotations

from typing import Self

from sandtrade import (
    Bar,
    Metadata,
    ParamError,
    Params,
    Signal,
    Strategy,
    emit_logged,
    held,
    u32,
    usize,
)
from sandtrade.indicators import Sma

SYMBOL = "AAPL"


class SmaTrend(Strategy):
    """The strategy: its order size, the average and on which side of it the close last was."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("{{name}}", "0.1.0", [SYMBOL], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        params.deny_unknown(["period", "quantity"])
        period = params.get_or("period", usize(20))
        quantity = params.get_or("quantity", u32(10))
        if period == 0:
            raise ParamError.out_of_range("period", "must be at least 1", 0)
        if quantity == 0:
            raise ParamError.out_of_range("quantity", "must be at least 1", 0)
        return cls(period, quantity)

    def __init__(self, period: int, quantity: int) -> None:
        self.quantity = quantity
        self.sma = Sma(period)
        self.was_above: bool | None = None

    def on_bar(self, bar: Bar) -> None:
        sma = self.sma.update(bar.close)
        if sma is None:
            return
        above = bar.close > sma
        was_above, self.was_above = self.was_above, above
        if was_above is None or was_above == above:
            return
        position = held(bar.symbol)
        if above and position == 0:
            signal = Signal.open_long(bar.symbol, self.quantity)
        elif not above and position > 0:
            signal = Signal.close_long(bar.symbol)
        else:
            return
        emit_logged(signal.reason(f"close {bar.close:.2f}, SMA {sma:.2f}"))
