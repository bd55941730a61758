"""Building and emitting signals.

A :class:`Signal` is built with a named constructor and refined with chained calls, each
returning a new signal (a signal is an immutable value)::

    Signal.open_long("AAPL", 100).limit(187.5).reason("breakout").emit()

Submitting: :func:`emit` returns the signal's durable id and **raises** :class:`Rejection` when
the host refuses it, as do the shortcuts (:func:`open_long`, :func:`close_long_limit`...).
:func:`emit_logged` never raises for a refusal: it writes the outcome to the host log and
returns the id, or None when refused; use it when a refusal needs no handling beyond the log.

A `Rejection` that escapes `on_bar` or `on_fill` does not stop the strategy: the SDK logs it
at warn level ("unhandled refusal: ..."). Any other exception does, like a panic in Rust: the
host starts the instance again from `init`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import _host
from ._log import info, log_enabled, warn
from .types import Action, Level, LimitOrder, MarketOrder, OrderType, Rejection

__all__ = [
    "Signal",
    "add_long",
    "add_long_limit",
    "close_long",
    "close_long_limit",
    "emit",
    "emit_logged",
    "open_long",
    "open_long_limit",
    "reduce_long",
    "reduce_long_limit",
]


_U32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class Signal:
    """A request to trade, validated by the host before it is queued.

    `str(signal)` reads as operators see it: `open-long 100 AAPL`,
    `reduce-long 40 MSFT limit 187.5`, `close-long AAPL` (the reason is left out).
    """

    action: Action
    symbol: str
    quantity: int
    """Whole shares. For HK stocks, a multiple of the board lot. 0 for `close-long`."""
    order_type: OrderType = field(default_factory=MarketOrder)
    reason_text: str = ""
    """Free text kept with the signal and shown to operators. Set it with `.reason(text)`
    (the field cannot share the method's name)."""

    def __post_init__(self) -> None:
        # The WIT's quantity is a u32: say so here, in the strategy's own words, rather than
        # fail inside the bindings (a float from a division is the usual slip).
        quantity = self.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError(
                f"a signal's quantity is a whole number of shares (an int), "
                f"got {type(quantity).__name__} {quantity!r}"
            )
        if not 0 <= quantity <= _U32_MAX:
            raise ValueError(f"a signal's quantity is from 0 to {_U32_MAX} shares, got {quantity}")

    @classmethod
    def new(cls, action: Action, symbol: str, quantity: int) -> Signal:
        """A market-order signal with an empty reason. Prefer the named constructors."""
        return cls(action, symbol, quantity)

    @classmethod
    def open_long(cls, symbol: str, quantity: int) -> Signal:
        """Buy `quantity` shares of `symbol` into a flat position."""
        return cls(Action.OPEN_LONG, symbol, quantity)

    @classmethod
    def add_long(cls, symbol: str, quantity: int) -> Signal:
        """Buy `quantity` more shares of a position already held."""
        return cls(Action.ADD_LONG, symbol, quantity)

    @classmethod
    def close_long(cls, symbol: str) -> Signal:
        """Sell the whole position in `symbol` (the quantity is 0: the host sells what is
        held)."""
        return cls(Action.CLOSE_LONG, symbol, 0)

    @classmethod
    def reduce_long(cls, symbol: str, quantity: int) -> Signal:
        """Sell `quantity` shares of the position in `symbol`."""
        return cls(Action.REDUCE_LONG, symbol, quantity)

    def limit(self, price: float) -> Signal:
        """This signal as a limit order at `price` (finite and positive, or the host refuses it
        with `invalid-price`)."""
        return replace(self, order_type=LimitOrder(float(price)))

    def market(self) -> Signal:
        """This signal as a market order (the default)."""
        return replace(self, order_type=MarketOrder())

    def reason(self, text: str) -> Signal:
        """This signal with `text` as its reason (`reason_text`), kept with it and shown to
        operators."""
        return replace(self, reason_text=text)

    def emit(self) -> int:
        """Submits the signal: the same as ``emit(signal)``."""
        return emit(self)

    def __str__(self) -> str:
        if self.action is Action.CLOSE_LONG:
            text = f"{self.action} {self.symbol}"
        else:
            text = f"{self.action} {self.quantity} {self.symbol}"
        if isinstance(self.order_type, LimitOrder):
            text += f" {self.order_type}"
        return text


def emit(signal: Signal) -> int:
    """Submits a signal. The host validates it now: the return value is its durable id
    (persisted before this returns; `Fill.signal_id` carries it back).

    Raises :class:`Rejection` (with `code` and `message`) when the host refuses it.
    """
    return _host.current().emit(signal)


def emit_logged(signal: Signal) -> int | None:
    """Submits a signal like :func:`emit` and writes the outcome to the host log: at info
    level `open-long 100 AAPL: accepted as signal 7 (reason)`, at warn level
    `open-long 100 AAPL: refused, position-limit: (message)`.

    Returns the id, or None when the host refused the signal (it never raises a
    :class:`Rejection`: the refusal is in the log).
    """
    try:
        signal_id = emit(signal)
    except Rejection as rejection:
        if log_enabled(Level.WARN):
            warn(f"{signal}: refused, {rejection.code}: {rejection.message}")
        return None
    if log_enabled(Level.INFO):
        if signal.reason_text:
            info(f"{signal}: accepted as signal {signal_id} ({signal.reason_text})")
        else:
            info(f"{signal}: accepted as signal {signal_id}")
    return signal_id


def open_long(symbol: str, quantity: int) -> int:
    """Buys `quantity` shares of `symbol` at the market into a flat position. Raises
    :class:`Rejection` when refused."""
    return emit(Signal.open_long(symbol, quantity))


def add_long(symbol: str, quantity: int) -> int:
    """Buys `quantity` more shares of `symbol` at the market. Raises :class:`Rejection`."""
    return emit(Signal.add_long(symbol, quantity))


def close_long(symbol: str) -> int:
    """Sells the whole position in `symbol` at the market. Raises :class:`Rejection`."""
    return emit(Signal.close_long(symbol))


def reduce_long(symbol: str, quantity: int) -> int:
    """Sells `quantity` shares of the position in `symbol` at the market. Raises
    :class:`Rejection`."""
    return emit(Signal.reduce_long(symbol, quantity))


def open_long_limit(symbol: str, quantity: int, price: float) -> int:
    """Buys `quantity` shares of `symbol` into a flat position, at `price` or better. Raises
    :class:`Rejection`."""
    return emit(Signal.open_long(symbol, quantity).limit(price))


def add_long_limit(symbol: str, quantity: int, price: float) -> int:
    """Buys `quantity` more shares of `symbol`, at `price` or better. Raises
    :class:`Rejection`."""
    return emit(Signal.add_long(symbol, quantity).limit(price))


def close_long_limit(symbol: str, price: float) -> int:
    """Sells the whole position in `symbol`, at `price` or better. Raises
    :class:`Rejection`."""
    return emit(Signal.close_long(symbol).limit(price))


def reduce_long_limit(symbol: str, quantity: int, price: float) -> int:
    """Sells `quantity` shares of the position in `symbol`, at `price` or better. Raises
    :class:`Rejection`."""
    return emit(Signal.reduce_long(symbol, quantity).limit(price))
