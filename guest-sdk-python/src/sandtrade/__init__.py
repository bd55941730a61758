"""Write Sandtrade trading strategies in Python.

A strategy is a subclass of :class:`Strategy` in a file named `strategy.py`, compiled to a
WebAssembly component with componentize-py (see the README). The host calls
:meth:`Strategy.describe` once at load, :meth:`Strategy.init` once per instance with the
operator's parameters (from the sidecar `.toml`), then :meth:`Strategy.on_bar` for every bar
of the declared symbols and :meth:`Strategy.on_fill` for every execution of an order the
strategy caused. From inside those calls the strategy may :func:`emit` signals (or use the
shortcuts such as :func:`open_long` and :func:`stop_loss`, or :func:`emit_logged`, which also
logs the outcome), send an entry with its exits attached as a :func:`bracket`, list its
:func:`working_orders` and :func:`cancel` or :func:`modify` one,
read its own :func:`position`, log (:func:`info` and friends) and read the host clock with
:func:`now_ms`::

    from typing import Self

    from sandtrade import Bar, Metadata, Params, Signal, Strategy, emit_logged, held, usize, u32
    from sandtrade.indicators import Sma


    class SmaTrend(Strategy):
        \"\"\"Buys when the close crosses above its SMA, sells when it crosses back below.\"\"\"

        @classmethod
        def describe(cls) -> Metadata:
            return Metadata("sma-trend", "0.1.0", ["AAPL"], 60)

        @classmethod
        def init(cls, params: Params) -> Self:
            params.deny_unknown(["period", "quantity"])
            return cls(params.get_or("period", usize(20)), params.get("quantity", u32))

        def __init__(self, period: int, quantity: int) -> None:
            self.sma = Sma(period)
            self.quantity = quantity
            self.was_above: bool | None = None

        def on_bar(self, bar: Bar) -> None:
            sma = self.sma.update(bar.close)
            if sma is None:
                return
            above = bar.close > sma
            crossed = self.was_above is not None and self.was_above != above
            self.was_above = above
            if not crossed:
                return
            if above and held(bar.symbol) == 0:
                emit_logged(Signal.open_long(bar.symbol, self.quantity).reason("crossed above"))
            elif not above and held(bar.symbol) > 0:
                emit_logged(Signal.close_long(bar.symbol).reason("crossed below"))

Errors: :func:`emit`, :func:`bracket` and the shortcuts raise :class:`Rejection` when the host
refuses a signal; :func:`emit_logged` and :func:`bracket_logged` log the refusal and return
None instead. :func:`cancel` raises
:class:`CancelRefused` and :func:`modify` :class:`ModifyRefused` when the host did nothing.
`init` refuses the parameters by raising :class:`ParamError` (or any `ValueError`).

When the host has several bars due at once (a backtest, a warm-up, a backfill), it hands
them over together; the SDK calls `on_bar` for each in turn, and stops after the bar on which
a signal was accepted, so that the order can fill before the strategy sees the next bar.
Strategies are written bar by bar either way.

Outside a component (pytest) the host functions are served by the mock host of
:mod:`sandtrade.testing`, so strategies are unit-tested without a host.
"""

from __future__ import annotations

from . import _host
from ._log import debug, error, info, log, log_enabled, warn
from .params import (
    InvalidParam,
    MissingParam,
    ParamError,
    ParamOutOfRange,
    Params,
    UnknownParam,
    f64,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    usize,
)
from .signal import (
    Exits,
    Signal,
    add_long,
    add_long_limit,
    bracket,
    bracket_logged,
    cancel,
    close_long,
    close_long_limit,
    emit,
    emit_logged,
    modify,
    open_long,
    open_long_limit,
    reduce_long,
    reduce_long_limit,
    stop_loss,
    take_profit,
    trailing_stop,
    working_orders,
)
from .strategy import Strategy
from .types import (
    Action,
    Bar,
    BracketIds,
    CancelOutcome,
    CancelRefusal,
    CancelRefused,
    DataSource,
    Fill,
    Level,
    LimitOnCloseOrder,
    LimitOrder,
    Market,
    MarketOnCloseOrder,
    MarketOrder,
    Metadata,
    ModifyOutcome,
    ModifyRefusal,
    ModifyRefused,
    OrderChange,
    OrderState,
    OrderType,
    Position,
    RejectCode,
    Rejection,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    Trail,
    TrailAmount,
    TrailingStopOrder,
    TrailPercent,
    WorkingOrder,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Bar",
    "BracketIds",
    "CancelOutcome",
    "CancelRefusal",
    "CancelRefused",
    "DataSource",
    "Exits",
    "Fill",
    "InvalidParam",
    "Level",
    "LimitOnCloseOrder",
    "LimitOrder",
    "Market",
    "MarketOnCloseOrder",
    "MarketOrder",
    "Metadata",
    "MissingParam",
    "ModifyOutcome",
    "ModifyRefusal",
    "ModifyRefused",
    "OrderChange",
    "OrderState",
    "OrderType",
    "ParamError",
    "ParamOutOfRange",
    "Params",
    "Position",
    "RejectCode",
    "Rejection",
    "Signal",
    "StopLimitOrder",
    "StopOrder",
    "Strategy",
    "TimeInForce",
    "Trail",
    "TrailAmount",
    "TrailPercent",
    "TrailingStopOrder",
    "UnknownParam",
    "WorkingOrder",
    "add_long",
    "add_long_limit",
    "bracket",
    "bracket_logged",
    "cancel",
    "close_long",
    "close_long_limit",
    "debug",
    "emit",
    "emit_logged",
    "error",
    "f64",
    "held",
    "i8",
    "i16",
    "i32",
    "i64",
    "info",
    "log",
    "log_enabled",
    "modify",
    "now_ms",
    "open_long",
    "open_long_limit",
    "position",
    "reduce_long",
    "reduce_long_limit",
    "stop_loss",
    "take_profit",
    "trailing_stop",
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
    "warn",
    "working_orders",
]


def position(symbol: str) -> Position | None:
    """This strategy's own position in `symbol`, or None when it holds none.

    The position changes only when fills arrive: a signal just accepted by :func:`emit` is
    not reflected here until its order executes.
    """
    return _host.as_of_bar().position(symbol)


def held(symbol: str) -> int:
    """Shares of `symbol` held by this strategy (0 when flat)."""
    holding = _host.as_of_bar().position(symbol)
    return 0 if holding is None else holding.quantity


def now_ms() -> int:
    """The host clock in milliseconds since the Unix epoch (the replay time in a backtest).

    Strategies have no clock of their own: use this rather than `time.time()`, which is wrong
    in a backtest (and not granted by the host).
    """
    return _host.as_of_bar().now_ms()
