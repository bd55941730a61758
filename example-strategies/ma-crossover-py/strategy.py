"""A moving-average crossover on AAPL and MSFT, on one-minute bars.

For each symbol it keeps a fast and a slow simple moving average of the close. When the fast
average crosses above the slow one and the strategy holds none of the symbol, it buys
`quantity` shares (`open-long`); when the fast average crosses back below and it holds shares,
it sells them all (`close-long`). Equal averages count as "not above".

Params (the sidecar's `[params]`): `fast` (default 10), `slow` (default 30, greater than
`fast`), `quantity` (default 100).

The Python twin of `example-strategies/ma-crossover`: the same params, messages and decisions
on every bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from sandtrade import (
    Bar,
    Fill,
    Metadata,
    ParamError,
    Params,
    Signal,
    Strategy,
    emit_logged,
    held,
    info,
    u32,
    usize,
    warn,
)
from sandtrade.indicators import Sma

__version__ = "0.1.0"

# The symbols this strategy trades.
SYMBOLS = ("AAPL", "MSFT")


@dataclass(frozen=True, slots=True)
class Cross:
    """A crossing of the fast average through the slow one, with both values."""

    up: bool
    fast: float
    slow: float


class Averages:
    """One symbol's averages, and on which side of the slow average the fast one last was."""

    __slots__ = ("fast", "slow", "fast_above")

    def __init__(self, fast: int, slow: int) -> None:
        self.fast = Sma(fast)
        self.slow = Sma(slow)
        self.fast_above: bool | None = None

    def update(self, close: float) -> Cross | None:
        """Feeds a close; the crossing it completes, if any."""
        # Feed both before returning: the fast average must see every close too.
        fast, slow = self.fast.update(close), self.slow.update(close)
        if fast is None or slow is None:
            return None
        above = fast > slow
        was_above, self.fast_above = self.fast_above, above
        if was_above is None or was_above == above:
            return None
        return Cross(above, fast, slow)


class MaCrossover(Strategy):
    """The strategy: its order size and one pair of averages per symbol."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("ma-crossover-py", __version__, list(SYMBOLS), 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        params.deny_unknown(["fast", "slow", "quantity"])
        fast = params.get_or("fast", usize(10))
        slow = params.get_or("slow", usize(30))
        quantity = params.get_or("quantity", u32(100))
        if fast == 0:
            raise ParamError.out_of_range("fast", "must be at least 1", fast)
        if slow <= fast:
            raise ParamError.out_of_range("slow", f"must be greater than fast ({fast})", slow)
        if quantity == 0:
            raise ParamError.out_of_range("quantity", "must be at least 1", 0)
        return cls(fast, slow, quantity)

    def __init__(self, fast: int, slow: int, quantity: int) -> None:
        self.quantity = quantity
        self.averages = {symbol: Averages(fast, slow) for symbol in SYMBOLS}

    def on_bar(self, bar: Bar) -> None:
        averages = self.averages.get(bar.symbol)
        if averages is None:
            # Written like the Rust strategy's `{SYMBOLS:?}`, so both log the same line.
            declared = ", ".join(f'"{symbol}"' for symbol in SYMBOLS)
            warn(f"ignored a bar of {bar.symbol}: not one of [{declared}]")
            return
        # Ask the host for the position only on a crossing: most bars cross nothing, and a
        # host call costs more than the two averages.
        cross = averages.update(bar.close)
        if cross is None:
            return
        fast_period, slow_period = averages.fast.period, averages.slow.period
        held_now = held(bar.symbol)
        if cross.up and held_now == 0:
            signal = Signal.open_long(bar.symbol, self.quantity).reason(
                f"SMA{fast_period} {cross.fast:.2f} crossed above SMA{slow_period} {cross.slow:.2f}"
            )
        elif not cross.up and held_now > 0:
            signal = Signal.close_long(bar.symbol).reason(
                f"SMA{fast_period} {cross.fast:.2f} crossed below SMA{slow_period} {cross.slow:.2f}"
            )
        else:
            return
        # A refusal is logged; the next crossing tries again.
        emit_logged(signal)

    def on_fill(self, fill: Fill) -> None:
        info("%s", fill)
