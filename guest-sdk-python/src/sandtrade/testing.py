"""A mock host for unit tests: strategies run under pytest without a host or a component.

Outside a component every host function of the SDK goes to the mock: :func:`~sandtrade.emit`
records the signal and answers with the next id (or raises a rejection queued with
:meth:`MockHost.reject_next`), :func:`~sandtrade.position` reads the positions set with
:meth:`MockHost.set_position` or built by :meth:`MockHost.fill_accepted`, log lines are
collected and :func:`~sandtrade.now_ms` returns :meth:`MockHost.set_now_ms`'s value.
:func:`~sandtrade.working_orders` lists the accepted signals not filled yet, all `WORKING`;
:func:`~sandtrade.cancel` cancels one of them at once (`CANCELLED`), and refuses an id it
gave before (`ALREADY_ENDED`) or never gave (`UNKNOWN_ORDER`); :func:`~sandtrade.modify`
changes one at once (`CHANGED`), refuses a new order type of another kind (`REFUSED`, with an
`INVALID_ORDER` rejection) and ids as `cancel` does. :func:`~sandtrade.bracket` records the
bracket (:meth:`MockHost.brackets`) and gives its orders consecutive ids, the entry's first;
its exits are listed by `working_orders` with `exit_of` set, and work once their entry has
filled. :func:`on_bars` drives a strategy through a batch of bars as the component does, and
:meth:`MockHost.handled_bars` says which bars it told the host of.

The mock validates nothing: it accepts every signal unless told to reject the next one. The
host's rules (long-only, limits, board lots) are tested with the host. Of a bracket it checks
the shape, as the host does: an entry that buys, at least one exit, a stop-loss that is a
stop, stop-limit or trailing stop, `GTC` or `DAY` exits, and a take-profit above a fixed
stop-loss trigger.

There is one mock per process. Start each test with :meth:`MockHost.reset`, for example in an
autouse fixture::

    import pytest
    from sandtrade.testing import MockHost

    @pytest.fixture(autouse=True)
    def fresh_host():
        MockHost.reset()

A test, end to end::

    MockHost.set_position("AAPL", 100, 187.5)
    assert held("AAPL") == 100
    assert emit(Signal.reduce_long("AAPL", 40).reason("take profit")) == 1
    fills = MockHost.fill_accepted(190.0)      # execute what was accepted, as the broker would
    strategy.on_fill(fills[0])
    assert held("AAPL") == 60

A protective order, raised, then triggered::

    stop = stop_loss("AAPL", 60, 180.0)
    assert [order.signal_id for order in working_orders()] == [stop]
    assert modify(stop, OrderChange.to(StopOrder(185.0))) is ModifyOutcome.CHANGED
    assert working_orders()[0].order_type == StopOrder(185.0)
    strategy.on_fill(MockHost.fill_one(stop, 179.9))  # the test decides the stop triggered
    assert held("AAPL") == 0

A bracket, its entry filled, then its take-profit (which cancels the stop-loss)::

    ids = bracket(Signal.open_long("AAPL", 100).limit(190.0), Exits().take_profit(205.0).stop_loss(184.0))
    assert [order.exit_of for order in working_orders()] == [None, ids.entry, ids.entry]
    MockHost.fill_accepted(190.0)                      # fills the entry, never the exits
    MockHost.fill_one(ids.take_profit, 205.0)
    assert working_orders() == [] and held("AAPL") == 0
"""

from __future__ import annotations

import datetime as _dt
import tomllib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from . import _host
from ._fmt import display_f64
from ._runner import run_batch
from .params import Params
from .signal import Exits, Signal
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
    LimitOrder,
    Market,
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
    TrailingStopOrder,
    WorkingOrder,
)

__all__ = ["Bracket", "MockHost", "bar", "bars", "on_bars", "sidecar_params"]


@dataclass(frozen=True, slots=True)
class Bracket:
    """A bracket the mock accepted: what :meth:`MockHost.brackets` lists."""

    ids: BracketIds
    """The ids it answered with."""
    entry: Signal
    """The entry as the strategy sent it."""
    exits: Exits
    """The exits as the strategy sent them."""


@dataclass
class _Order:
    """An accepted order that has not ended: a signal, or one of a bracket's three."""

    id: int
    signal: Signal
    """What it does. An exit of a bracket is a `reduce-long` of its entry's quantity."""
    exit_of: int | None = None
    """For an exit of a bracket, its entry's id."""


@dataclass
class _State:
    next_id: int = 0
    signals: list[Signal] = field(default_factory=list)
    brackets: list[Bracket] = field(default_factory=list)
    # Accepted orders not yet executed (by `fill_accepted` or `fill_one`) nor cancelled.
    unfilled: list[_Order] = field(default_factory=list)
    rejections: deque[Rejection] = field(default_factory=deque)
    positions: dict[str, Position] = field(default_factory=dict)
    logs: list[tuple[Level, str]] = field(default_factory=list)
    # The signal ids `cancel` was called with, in order.
    cancels: list[int] = field(default_factory=list)
    # The indexes `handling_bar` was called with, in order.
    handled_bars: list[int] = field(default_factory=list)
    # The signal ids and changes `modify` was called with, in order.
    modifies: list[tuple[int, OrderChange]] = field(default_factory=list)
    now_ms: int = 0
    # The most detailed level kept: everything unless a test says otherwise.
    log_level: Level = Level.DEBUG


_state = _State()


class _Mock:
    """Serves the SDK's host functions from `_state` (see `sandtrade/_host.py`)."""

    def emit(self, signal: Signal) -> int:
        if _state.rejections:
            raise _state.rejections.popleft()
        _state.next_id += 1
        _state.signals.append(signal)
        _state.unfilled.append(_Order(_state.next_id, signal))
        return _state.next_id

    def emit_bracket(self, entry: Signal, exits: Exits) -> BracketIds:
        # The entry, then its take-profit, then its stop-loss, on consecutive ids.
        if _state.rejections:
            raise _state.rejections.popleft()
        _check_bracket(entry, exits)
        _state.next_id += 1
        entry_id = _state.next_id
        _state.unfilled.append(_Order(entry_id, entry))
        price = exits.take_profit_price
        take_profit = None if price is None else LimitOrder(price)
        legs: list[int | None] = []
        roles: list[tuple[str, OrderType | None]] = [
            ("take-profit", take_profit),
            ("stop-loss", exits.stop_loss_order),
        ]
        for role, order_type in roles:
            if order_type is None:
                legs.append(None)
                continue
            _state.next_id += 1
            leg = Signal(
                Action.REDUCE_LONG,
                entry.symbol,
                entry.quantity,
                order_type,
                exits.time_in_force,
                exits.outside_rth_allowed,
                f"{role} of a bracket",
            )
            _state.unfilled.append(_Order(_state.next_id, leg, entry_id))
            legs.append(_state.next_id)
        ids = BracketIds(entry_id, legs[0], legs[1])
        _state.brackets.append(Bracket(ids, entry, exits))
        return ids

    def working_orders(self) -> list[WorkingOrder]:
        # The accepted orders not yet filled, as orders working at IB.
        return [
            WorkingOrder(
                signal_id=order.id,
                symbol=order.signal.symbol,
                action=order.signal.action,
                quantity=order.signal.quantity,
                filled=0,
                order_type=order.signal.order_type,
                time_in_force=order.signal.time_in_force,
                outside_rth=order.signal.outside_rth_allowed,
                state=OrderState.WORKING,
                exit_of=order.exit_of,
            )
            for order in _state.unfilled
        ]

    def cancel(self, signal_id: int) -> CancelOutcome:
        # Cancelled at once: the mock has no broker to wait for. An entry of a bracket takes
        # its exits with it, as IB cancels them when the entry ends unfilled.
        _state.cancels.append(signal_id)
        for at, order in enumerate(_state.unfilled):
            if order.id == signal_id:
                del _state.unfilled[at]
                _state.unfilled = [o for o in _state.unfilled if o.exit_of != signal_id]
                return CancelOutcome.CANCELLED
        if 1 <= signal_id <= _state.next_id:
            raise CancelRefused(signal_id, CancelRefusal.ALREADY_ENDED)
        raise CancelRefused(signal_id, CancelRefusal.UNKNOWN_ORDER)

    def modify(self, signal_id: int, change: OrderChange) -> ModifyOutcome:
        # Changed at once; the mock validates nothing but what makes a change a change, as the
        # host requires: a new order type must be of the order's own kind, and an exit of a
        # bracket keeps its entry's quantity.
        _state.modifies.append((signal_id, change))
        for order in _state.unfilled:
            if order.id != signal_id:
                continue
            signal = order.signal
            order_type = change.new_order_type
            if order_type is not None and type(order_type) is not type(signal.order_type):
                rejection = Rejection(RejectCode.INVALID_ORDER, "a change keeps the order's type")
                raise ModifyRefused(signal_id, ModifyRefusal.REFUSED, rejection)
            quantity = change.new_quantity
            if order.exit_of is not None and quantity is not None and quantity != signal.quantity:
                rejection = Rejection(
                    RejectCode.INVALID_ORDER,
                    f"an exit of a bracket keeps its entry's quantity ({signal.quantity}); "
                    "change its prices, or cancel it",
                )
                raise ModifyRefused(signal_id, ModifyRefusal.REFUSED, rejection)
            if order_type is not None:
                signal = replace(signal, order_type=order_type)
            if quantity is not None:
                signal = replace(signal, quantity=quantity)
            order.signal = signal
            return ModifyOutcome.CHANGED
        if 1 <= signal_id <= _state.next_id:
            raise ModifyRefused(signal_id, ModifyRefusal.ALREADY_ENDED)
        raise ModifyRefused(signal_id, ModifyRefusal.UNKNOWN_ORDER)

    def handling_bar(self, index: int) -> None:
        _state.handled_bars.append(index)

    def position(self, symbol: str) -> Position | None:
        position = _state.positions.get(symbol)
        # A copy: a strategy that changes what it was given must not change the mock's books.
        return None if position is None else replace(position)

    def log(self, level: Level, message: str) -> None:
        _state.logs.append((level, message))

    def log_level(self) -> Level:
        # Asked every time (the real host is asked once per instance), so a test may change it.
        return _state.log_level

    def now_ms(self) -> int:
        return _state.now_ms


def _check_bracket(entry: Signal, exits: Exits) -> None:
    """The host's checks of a bracket's shape, with its words; not its rules about prices,
    positions or limits, which the mock leaves to the host as it does for `emit`."""

    def refuse(code: RejectCode, why: str) -> Rejection:
        return Rejection(code, f"bracket on {entry.symbol}: {why}")

    if not entry.action.is_buy:
        raise refuse(
            RejectCode.INVALID_ORDER,
            f"the entry is a {entry.action}; a bracket's entry buys (open-long or add-long)",
        )
    take_profit, stop_loss = exits.take_profit_price, exits.stop_loss_order
    if take_profit is None and stop_loss is None:
        raise refuse(RejectCode.INVALID_ORDER, "no exit: name a take-profit, a stop-loss or both")
    if exits.time_in_force not in (TimeInForce.GTC, TimeInForce.DAY):
        raise refuse(
            RejectCode.INVALID_ORDER, f"exits are gtc or day orders, not {exits.time_in_force}"
        )
    trigger: float | None = None
    if isinstance(stop_loss, (StopOrder, StopLimitOrder)):
        trigger = stop_loss.trigger
    elif stop_loss is not None and not isinstance(stop_loss, TrailingStopOrder):
        name = str(stop_loss).split(" ")[0]
        raise refuse(
            RejectCode.INVALID_ORDER,
            f"the stop-loss is a {name} order; it must be a stop, stop-limit or trailing stop",
        )
    if take_profit is not None and trigger is not None and take_profit <= trigger:
        raise refuse(
            RejectCode.INVALID_PRICE,
            f"the take-profit {display_f64(take_profit)} must be above the stop-loss trigger "
            f"{display_f64(trigger)}",
        )


def _mock_host() -> _Mock:
    return _Mock()


class MockHost:
    """Controls and inspects the mock host. Every method is a static method: there is one mock
    per process."""

    def __init__(self) -> None:
        raise TypeError("MockHost is not instantiated: call MockHost.reset() and friends")

    @staticmethod
    def reset() -> None:
        """Forgets everything: signals, brackets, queued rejections, positions, log lines,
        cancels, changes, handled bars, clock, ids, the log level. Call it first in every test. It also makes
        the mock serve the host functions again if something else was installed."""
        global _state
        _state = _State()
        _host.install(_Mock())
        _host.start_batch()

    @staticmethod
    def set_position(symbol: str, quantity: int, avg_cost: float) -> None:
        """Sets (or, with `quantity == 0`, removes) this strategy's position in `symbol`."""
        if quantity == 0:
            _state.positions.pop(symbol, None)
        else:
            _state.positions[symbol] = Position(symbol, quantity, avg_cost)

    @staticmethod
    def reject_next(code: RejectCode, message: str) -> None:
        """Makes the next `emit` or `bracket` raise a :class:`Rejection` with `code` and
        `message` (queued, first in first out)."""
        _state.rejections.append(Rejection(code, message))

    @staticmethod
    def set_log_level(level: Level) -> None:
        """Sets the most detailed level the mock keeps (like the host's log filter): lines
        below it are neither formatted nor recorded."""
        _state.log_level = level

    @staticmethod
    def set_now_ms(now_ms: int) -> None:
        """Sets the value :func:`~sandtrade.now_ms` returns."""
        _state.now_ms = now_ms

    @staticmethod
    def signals() -> list[Signal]:
        """The signals `emit` had accepted so far, oldest first (brackets are listed by
        :meth:`brackets`)."""
        return list(_state.signals)

    @staticmethod
    def brackets() -> list[Bracket]:
        """The brackets accepted so far, oldest first, each with the ids it was given, its
        entry and its exits::

            ids = bracket(Signal.open_long("AAPL", 100).limit(190.0), Exits().stop_loss(184.0))
            (sent,) = MockHost.brackets()
            assert sent.ids == ids and str(sent.exits) == "stop-loss stop 184 gtc"
        """
        return list(_state.brackets)

    @staticmethod
    def take_signals() -> list[Signal]:
        """Returns and forgets the signals accepted so far (:meth:`fill_accepted` still
        executes them)."""
        taken, _state.signals = _state.signals, []
        return taken

    @staticmethod
    def logs() -> list[tuple[Level, str]]:
        """The log lines written so far, oldest first, as `(level, message)`."""
        return list(_state.logs)

    @staticmethod
    def take_logs() -> list[tuple[Level, str]]:
        """Returns and forgets the log lines written so far."""
        taken, _state.logs = _state.logs, []
        return taken

    @staticmethod
    def cancels() -> list[int]:
        """The signal ids :func:`~sandtrade.cancel` was called with, oldest first (refused
        ones too)."""
        return list(_state.cancels)

    @staticmethod
    def modifies() -> list[tuple[int, OrderChange]]:
        """The signal ids and changes :func:`~sandtrade.modify` was called with, oldest first
        (refused ones too)."""
        return list(_state.modifies)

    @staticmethod
    def handled_bars() -> list[int]:
        """The bar indexes the SDK told the host of while :func:`on_bars` drove a strategy,
        oldest first: one before the first call that answers as of a bar (emit, position,
        working_orders, cancel, modify, now_ms) on each bar past the first of a batch."""
        return list(_state.handled_bars)

    @staticmethod
    def fill_one(signal_id: int, price: float) -> Fill | None:
        """Executes, in full and at `price`, the accepted and unfilled order `signal_id` (a
        stop the test decides has triggered, say), the way :meth:`fill_accepted` does for all.
        Returns the fill, for the test to pass to `on_fill`, or None if no such order is
        working, or if it is an exit of a bracket whose entry has not filled yet (IB works the
        exits only once their entry has filled). An exit filled in full cancels the other exit,
        as IB does.

        Raises `AssertionError` if it is a sell larger than the position (see
        :meth:`fill_accepted`).
        """
        for at, order in enumerate(_state.unfilled):
            if order.id != signal_id:
                continue
            entry = order.exit_of
            if entry is not None and any(o.id == entry for o in _state.unfilled):
                return None
            del _state.unfilled[at]
            if entry is not None:
                _state.unfilled = [o for o in _state.unfilled if o.exit_of != entry]
            signal = order.signal
            return Fill(
                signal_id=signal_id,
                symbol=signal.symbol,
                action=signal.action,
                quantity=_execute(signal, price),
                price=price,
                time_ms=_state.now_ms,
            )
        return None

    @staticmethod
    def fill_accepted(price: float) -> list[Fill]:
        """Executes, in full and at `price`, every signal accepted since the last call, the
        way the host's ledger would: a buy adds to the position at a weighted average cost, a
        sell takes from it (`close-long` sells all of it). Returns the fills, oldest first,
        stamped with the mock clock, for the test to pass to `on_fill`.

        The entries of brackets fill with the rest; their exits never do here (filled at the
        entry's price they would sell what was just bought): they stay working, for
        :meth:`fill_one` to fill when the test decides one was reached.

        Raises `AssertionError` if a sell exceeds the position: the host would have refused
        that signal, so the test is driving the strategy somewhere it cannot go.
        """
        filled = [order for order in _state.unfilled if order.exit_of is None]
        _state.unfilled = [order for order in _state.unfilled if order.exit_of is not None]
        return [
            Fill(
                signal_id=order.id,
                symbol=order.signal.symbol,
                action=order.signal.action,
                quantity=_execute(order.signal, price),
                price=price,
                time_ms=_state.now_ms,
            )
            for order in filled
        ]


def _execute(signal: Signal, price: float) -> int:
    """Applies one executed signal to the positions; returns the shares executed."""
    current = _state.positions.get(signal.symbol)
    held = 0 if current is None else current.quantity
    if signal.action.is_buy:
        quantity, after = signal.quantity, held + signal.quantity
    elif signal.action is Action.CLOSE_LONG:
        quantity, after = held, 0
    else:
        if signal.quantity > held:
            raise AssertionError(
                f"mock host: reduce-long {signal.quantity} {signal.symbol} with {held} held; "
                "the host refuses sells larger than the position"
            )
        quantity, after = signal.quantity, held - signal.quantity
    if after == 0:
        _state.positions.pop(signal.symbol, None)
        return quantity
    if current is None:
        avg_cost = price
    elif signal.action.is_buy:
        avg_cost = (current.avg_cost * held + price * quantity) / after
    else:
        avg_cost = current.avg_cost
    _state.positions[signal.symbol] = Position(signal.symbol, after, avg_cost)
    return quantity


def bar(symbol: str, start_ms: int, close: float, **fields: Any) -> Bar:
    """A live bar (`source` `DataSource.LIVE`) of `symbol` starting at `start_ms` whose open,
    high, low and close are all `close`, with no volume; keyword arguments replace fields:
    ``bar("0700.HK", 0, 350.0, high=352.0, low=349.0, source=DataSource.HISTORICAL)``.

    The market is `HK_STOCK` for `0700.HK`-style and all-digit symbols, else `US_STOCK`.
    """
    hk = symbol.endswith(".HK") or (symbol.isascii() and symbol.isdigit())
    made = Bar(
        symbol=symbol,
        market=Market.HK_STOCK if hk else Market.US_STOCK,
        start_ms=start_ms,
        open=close,
        high=close,
        low=close,
        close=close,
        volume=0.0,
        source=DataSource.LIVE,
    )
    return replace(made, **fields) if fields else made


def bars(symbol: str, closes: list[float]) -> list[Bar]:
    """One-minute bars of `symbol` with these closes, the first starting at 0 ms (see
    :func:`bar`)."""
    return [bar(symbol, minute * 60_000, close) for minute, close in enumerate(closes)]


def on_bars(strategy: Strategy, bars: Iterable[Bar]) -> int:
    """Drives `strategy` through `bars` the way the host's `on-bars` does: `on_bar` on bar
    after bar, telling the mock host which bar it is on before any call that answers as of a
    bar (see :meth:`MockHost.handled_bars`), and stopping after the first bar on which a
    signal was accepted. A `Rejection`, `CancelRefused` or `ModifyRefused` escaping `on_bar`
    is logged at warn level, as in a component. Returns how many bars were consumed::

        assert on_bars(strategy, bars("AAPL", [9.0, 9.5, 11.0, 12.0])) == 3  # bought on 11
        assert MockHost.handled_bars() == [2]
    """
    return run_batch(strategy, bars)


def sidecar_params(sidecar: str) -> Params:
    """The `[params]` of a sidecar `.toml`, as the host passes them to `init`: sorted by name,
    every value as a string, strings as they are, numbers and booleans as Rust writes them
    (`fast = 10` gives `"10"`, `ratio = 0.5` gives `"0.5"`, `oversold = 30.0` gives `"30"`,
    `on = true` gives `"true"`). Test that the sidecar you ship is accepted::

        text = (Path(__file__).parent.parent / "my_strategy.toml").read_text()
        MyStrategy.init(sidecar_params(text))

    Raises `ValueError` ("sidecar: ...") when the text is not TOML or `params` is not a table
    of scalars.
    """
    try:
        table = tomllib.loads(sidecar)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"sidecar: {error}") from None
    params = table.get("params")
    if params is None:
        return Params()
    if not isinstance(params, dict):
        raise ValueError("sidecar: `params` must be a table")
    pairs = []
    for key, value in sorted(params.items()):
        if isinstance(value, (list, dict)):
            got = "array" if isinstance(value, list) else "table"
            raise ValueError(
                f"sidecar: param `{key}` must be a string, number, boolean or date (got {got})"
            )
        pairs.append((key, _stringify(value)))
    return Params(pairs)


def _stringify(value: object) -> str:
    """A TOML scalar as the host stringifies it (Rust's `Display` of the `toml` value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return display_f64(value)
    if isinstance(value, _dt.datetime):
        text = value.isoformat()
        # TOML (and the host) write a UTC offset of zero as `Z`.
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)
