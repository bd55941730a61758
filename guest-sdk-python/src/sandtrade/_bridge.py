"""The real host, inside a component: the SDK's host functions call the component's imports
through the bindings componentize-py generates (`wit_world`), and every conversion between
the binding types and the SDK's own types lives here.

This module exists only inside a componentize-py build: `wit_world` and
`componentize_py_types` are generated there. Only the entry module (`sandtrade_entry`)
imports it.
"""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import host as wit_host
from wit_world.imports import types as wit

from .signal import Signal
from .types import (
    Action,
    Bar,
    Fill,
    Level,
    LimitOrder,
    Market,
    Metadata,
    Position,
    RejectCode,
    Rejection,
)

# The SDK's enums and the bindings' have the same member names (OPEN_LONG, HK_STOCK...).
_MARKET = {member: Market[member.name] for member in wit.Market}
_ACTION_TO_WIT = {member: wit.Action[member.name] for member in Action}
_ACTION_FROM_WIT = {member: Action[member.name] for member in wit.Action}
_REJECT_CODE = {member: RejectCode[member.name] for member in wit.RejectCode}
_LEVEL_TO_WIT = {member: wit.Level[member.name] for member in Level}
_LEVEL_FROM_WIT = {member: Level[member.name] for member in wit.Level}
_MARKET_ORDER = wit.OrderType_Market()


def bar_from_wit(bar: wit.Bar) -> Bar:
    return Bar(
        bar.symbol,
        _MARKET[bar.market],
        bar.start_ms,
        bar.open,
        bar.high,
        bar.low,
        bar.close,
        bar.volume,
    )


def fill_from_wit(fill: wit.Fill) -> Fill:
    return Fill(
        fill.signal_id,
        fill.symbol,
        _ACTION_FROM_WIT[fill.action],
        fill.quantity,
        fill.price,
        fill.time_ms,
    )


def metadata_to_wit(metadata: Metadata) -> wit.Metadata:
    return wit.Metadata(
        metadata.name, metadata.version, list(metadata.symbols), metadata.bar_seconds
    )


def signal_to_wit(signal: Signal) -> wit.Signal:
    order_type: wit.OrderType
    if isinstance(signal.order_type, LimitOrder):
        order_type = wit.OrderType_Limit(signal.order_type.price)
    else:
        order_type = _MARKET_ORDER
    return wit.Signal(
        _ACTION_TO_WIT[signal.action],
        signal.symbol,
        signal.quantity,
        order_type,
        signal.reason_text,
    )


def refusal_to_wit(message: str) -> Err[str]:
    """An `init` refusal as the bindings raise it."""
    return Err(message)


class ComponentHost:
    """Serves the SDK's host functions from the component's imports."""

    def __init__(self) -> None:
        # Not asked yet: asked on the first log line of this instance, never at build time
        # (componentize-py runs the imports at build time and snapshots the memory).
        self._level: Level | None = None

    def emit(self, signal: Signal) -> int:
        try:
            return wit_host.emit(signal_to_wit(signal))
        except Err as refused:
            rejection = refused.value
            raise Rejection(_REJECT_CODE[rejection.code], rejection.message) from None

    def position(self, symbol: str) -> Position | None:
        holding = wit_host.position(symbol)
        if holding is None:
            return None
        return Position(holding.symbol, holding.quantity, holding.avg_cost)

    def log(self, level: Level, message: str) -> None:
        wit_host.log(_LEVEL_TO_WIT[level], message)

    def log_level(self) -> Level:
        # Asked once per instance: the host's level changes only with a new instance.
        level = self._level
        if level is None:
            level = self._level = _LEVEL_FROM_WIT[wit_host.log_level()]
        return level

    def now_ms(self) -> int:
        return wit_host.now_ms()
