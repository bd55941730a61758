"""The real host, inside a component: the SDK's host functions call the component's imports
through the bindings componentize-py generates (`wit_world`), and every conversion between
the binding types and the SDK's own types lives here.

This module exists only inside a componentize-py build: `wit_world` and
`componentize_py_types` are generated there. Only the entry module (`sandtrade_entry`)
imports it.
"""

from __future__ import annotations

from collections.abc import Iterator

from componentize_py_types import Err
from wit_world.imports import host as wit_host
from wit_world.imports import types as wit

from .signal import Exits, Signal
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

# The SDK's enums and the bindings' have the same member names (OPEN_LONG, HK_STOCK...).
_MARKET = {member: Market[member.name] for member in wit.Market}
_DATA_SOURCE = {member: DataSource[member.name] for member in wit.DataSource}
_ACTION_TO_WIT = {member: wit.Action[member.name] for member in Action}
_ACTION_FROM_WIT = {member: Action[member.name] for member in wit.Action}
_TIF_TO_WIT = {member: wit.TimeInForce[member.name] for member in TimeInForce}
_TIF_FROM_WIT = {member: TimeInForce[member.name] for member in wit.TimeInForce}
_ORDER_STATE = {member: OrderState[member.name] for member in wit.OrderState}
_REJECT_CODE = {member: RejectCode[member.name] for member in wit.RejectCode}
_CANCEL_OUTCOME = {member: CancelOutcome[member.name] for member in wit.CancelOutcome}
_CANCEL_REFUSAL = {member: CancelRefusal[member.name] for member in wit.CancelRefusal}
_MODIFY_OUTCOME = {member: ModifyOutcome[member.name] for member in wit.ModifyOutcome}
# `modify-refusal` is a variant: one class per case (`refused` carries the rejection).
_MODIFY_REFUSAL = {
    wit.ModifyRefusal_UnknownOrder: ModifyRefusal.UNKNOWN_ORDER,
    wit.ModifyRefusal_AlreadyEnded: ModifyRefusal.ALREADY_ENDED,
    wit.ModifyRefusal_Pending: ModifyRefusal.PENDING,
    wit.ModifyRefusal_Refused: ModifyRefusal.REFUSED,
    wit.ModifyRefusal_Unavailable: ModifyRefusal.UNAVAILABLE,
}
_LEVEL_TO_WIT = {member: wit.Level[member.name] for member in Level}
_LEVEL_FROM_WIT = {member: Level[member.name] for member in wit.Level}
_MARKET_ORDER = wit.OrderType_Market()
_MARKET_ON_CLOSE = wit.OrderType_MarketOnClose()


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
        _DATA_SOURCE[bar.source],
    )


def bars_from_wit(
    symbols: list[wit.BatchSymbol], source: wit.DataSource, columns: wit.BarColumns
) -> Iterator[Bar]:
    """The bars of an `on-bars` call, made one by one as they are reached: each symbol comes
    once in `symbols`, the bars column by column (bar `i`'s prices are `ohlcv[5i:5i+5]`)."""
    named = [(s.symbol, _MARKET[s.market]) for s in symbols]
    data_source = _DATA_SOURCE[source]
    ohlcv = columns.ohlcv
    for i, (index, start_ms) in enumerate(zip(columns.symbol, columns.start_ms, strict=True)):
        symbol, market = named[index]
        o, h, low, c, v = ohlcv[5 * i : 5 * i + 5]
        yield Bar(symbol, market, start_ms, o, h, low, c, v, data_source)


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


def _trail_to_wit(trail: Trail) -> wit.Trail:
    if isinstance(trail, TrailPercent):
        return wit.Trail_Percent(trail.percent)
    return wit.Trail_Amount(trail.amount)


def _trail_from_wit(trail: wit.Trail) -> Trail:
    if isinstance(trail, wit.Trail_Percent):
        return TrailPercent(trail.value)
    return TrailAmount(trail.value)


def order_type_to_wit(order_type: OrderType) -> wit.OrderType:
    if isinstance(order_type, MarketOrder):
        return _MARKET_ORDER
    if isinstance(order_type, LimitOrder):
        return wit.OrderType_Limit(order_type.price)
    if isinstance(order_type, StopOrder):
        return wit.OrderType_Stop(order_type.trigger)
    if isinstance(order_type, StopLimitOrder):
        return wit.OrderType_StopLimit(wit.StopLimit(order_type.trigger, order_type.limit))
    if isinstance(order_type, TrailingStopOrder):
        trailing = wit.TrailingStop(_trail_to_wit(order_type.trail), order_type.limit_offset)
        return wit.OrderType_TrailingStop(trailing)
    if isinstance(order_type, MarketOnCloseOrder):
        return _MARKET_ON_CLOSE
    if isinstance(order_type, LimitOnCloseOrder):
        return wit.OrderType_LimitOnClose(order_type.price)
    raise TypeError(f"not an order type: {type(order_type).__name__} {order_type!r}")


def order_type_from_wit(order_type: wit.OrderType) -> OrderType:
    if isinstance(order_type, wit.OrderType_Market):
        return MarketOrder()
    if isinstance(order_type, wit.OrderType_Limit):
        return LimitOrder(order_type.value)
    if isinstance(order_type, wit.OrderType_Stop):
        return StopOrder(order_type.value)
    if isinstance(order_type, wit.OrderType_StopLimit):
        return StopLimitOrder(order_type.value.trigger, order_type.value.limit)
    if isinstance(order_type, wit.OrderType_TrailingStop):
        trailing = order_type.value
        return TrailingStopOrder(_trail_from_wit(trailing.trail), trailing.limit_offset)
    if isinstance(order_type, wit.OrderType_MarketOnClose):
        return MarketOnCloseOrder()
    if isinstance(order_type, wit.OrderType_LimitOnClose):
        return LimitOnCloseOrder(order_type.value)
    raise TypeError(f"not an order type of the bindings: {order_type!r}")


def signal_to_wit(signal: Signal) -> wit.Signal:
    return wit.Signal(
        _ACTION_TO_WIT[signal.action],
        signal.symbol,
        signal.quantity,
        order_type_to_wit(signal.order_type),
        _TIF_TO_WIT[signal.time_in_force],
        signal.outside_rth_allowed,
        signal.reason_text,
    )


def working_order_from_wit(order: wit.WorkingOrder) -> WorkingOrder:
    return WorkingOrder(
        order.signal_id,
        order.symbol,
        _ACTION_FROM_WIT[order.action],
        order.quantity,
        order.filled,
        order_type_from_wit(order.order_type),
        _TIF_FROM_WIT[order.time_in_force],
        order.outside_rth,
        _ORDER_STATE[order.state],
        order.exit_of,
    )


def exits_to_wit(exits: Exits) -> wit.Exits:
    stop_loss = exits.stop_loss_order
    return wit.Exits(
        exits.take_profit_price,
        None if stop_loss is None else order_type_to_wit(stop_loss),
        _TIF_TO_WIT[exits.time_in_force],
        exits.outside_rth_allowed,
    )


def bracket_ids_from_wit(ids: wit.BracketIds) -> BracketIds:
    return BracketIds(ids.entry, ids.take_profit, ids.stop_loss)


def order_change_to_wit(change: OrderChange) -> wit.OrderChange:
    order_type = change.new_order_type
    return wit.OrderChange(
        change.new_quantity, None if order_type is None else order_type_to_wit(order_type)
    )


def modify_refused_from_wit(signal_id: int, refusal: wit.ModifyRefusal) -> ModifyRefused:
    kind = _MODIFY_REFUSAL[type(refusal)]
    if isinstance(refusal, wit.ModifyRefusal_Refused):
        rejection = refusal.value
        return ModifyRefused(
            signal_id, kind, Rejection(_REJECT_CODE[rejection.code], rejection.message)
        )
    return ModifyRefused(signal_id, kind)


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

    def emit_bracket(self, entry: Signal, exits: Exits) -> BracketIds:
        try:
            ids = wit_host.emit_bracket(signal_to_wit(entry), exits_to_wit(exits))
        except Err as refused:
            rejection = refused.value
            raise Rejection(_REJECT_CODE[rejection.code], rejection.message) from None
        return bracket_ids_from_wit(ids)

    def working_orders(self) -> list[WorkingOrder]:
        return [working_order_from_wit(order) for order in wit_host.working_orders()]

    def cancel(self, signal_id: int) -> CancelOutcome:
        try:
            return _CANCEL_OUTCOME[wit_host.cancel(signal_id)]
        except Err as refused:
            raise CancelRefused(signal_id, _CANCEL_REFUSAL[refused.value]) from None

    def modify(self, signal_id: int, change: OrderChange) -> ModifyOutcome:
        try:
            return _MODIFY_OUTCOME[wit_host.modify(signal_id, order_change_to_wit(change))]
        except Err as refused:
            raise modify_refused_from_wit(signal_id, refused.value) from None

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

    def handling_bar(self, index: int) -> None:
        wit_host.handling_bar(index)
