"""A channel breakout on Tencent (`0700.HK`, SEHK), trading in board lots.

It buys `lots` board lots when the close breaks above the highest high of the previous
`entry_window` bars and it holds none, and sells the whole position when the close breaks
below the lowest low of the previous `exit_window` bars. Hong Kong shares trade in board lots
(100 shares for 0700.HK), and the host refuses any quantity that is not a multiple of the lot:
this strategy only ever asks for `lots * lot` shares.

Params (the sidecar's `[params]`): `lot` (default 100), `lots` (default 1), `entry_window`
(default 20), `exit_window` (default 10).

The Python twin of `example-strategies/hk-breakout`: the same params, messages and decisions
on every bar.
"""

from __future__ import annotations

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
    warn,
)
from sandtrade.indicators import RollingHigh, RollingLow

__version__ = "0.1.0"

# The one symbol this strategy trades. `00700` and `700` would name the same contract.
SYMBOL = "0700.HK"


def positive(params: Params, key: str, default: int) -> u32:
    """Reads a positive whole number parameter."""
    value = params.get_or(key, u32(default))
    if value == 0:
        raise ParamError.out_of_range(key, "must be at least 1", value)
    return value


class HkBoardLot(Strategy):
    """The strategy: its order size and the two channels."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("hk-board-lot-py", __version__, [SYMBOL], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        params.deny_unknown(["lot", "lots", "entry_window", "exit_window"])
        lot = positive(params, "lot", 100)
        lots = positive(params, "lots", 1)
        entry_window = positive(params, "entry_window", 20)
        exit_window = positive(params, "exit_window", 10)
        # The host's quantities are u32: refuse an order size that would not fit.
        if lot * lots > u32.MAX:
            raise ParamError.out_of_range("lots", f"lots * lot ({lot}) must fit in u32", lots)
        return cls(lot * lots, entry_window, exit_window)

    def __init__(self, quantity: int, entry_window: int, exit_window: int) -> None:
        # Shares per order: a whole number of board lots.
        self.quantity = quantity
        # Highest high of the last `entry_window` bars.
        self.entry_high = RollingHigh(entry_window)
        # Lowest low of the last `exit_window` bars.
        self.exit_low = RollingLow(exit_window)

    def on_bar(self, bar: Bar) -> None:
        if bar.symbol != SYMBOL:
            warn(f"ignored a bar of {bar.symbol}: this strategy trades {SYMBOL}")
            return
        # The channels of the bars *before* this one: read them, then add this bar.
        entry_high, exit_low = self.entry_high.value(), self.exit_low.value()
        self.entry_high.update(bar.high)
        self.exit_low.update(bar.low)

        held_now = held(SYMBOL)
        if entry_high is not None and held_now == 0 and bar.close > entry_high:
            signal = Signal.open_long(SYMBOL, self.quantity).reason(
                f"close {bar.close:.2f} broke above the "
                f"{self.entry_high.window}-bar high {entry_high:.2f}"
            )
        elif exit_low is not None and held_now > 0 and bar.close < exit_low:
            signal = Signal.close_long(SYMBOL).reason(
                f"close {bar.close:.2f} broke below the "
                f"{self.exit_low.window}-bar low {exit_low:.2f}"
            )
        else:
            return
        # A refusal is logged; the next breakout tries again.
        emit_logged(signal)

    def on_fill(self, fill: Fill) -> None:
        info("%s", fill)
