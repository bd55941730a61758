"""Building and emitting signals: the order types a strategy may ask IB for, their time in
force, and the protective orders a trader names (`stop_loss`, `take_profit`,
`trailing_stop`); brackets (an entry with its exits attached); listing the strategy's working
orders, cancelling and changing them.

A :class:`Signal` is built with a named constructor and refined with chained calls, each
returning a new signal (a signal is an immutable value)::

    Signal.open_long("AAPL", 100).limit(187.5).reason("breakout").emit()
    Signal.stop_loss("AAPL", 100, 180.0).reason("2% under the entry").emit()
    Signal.reduce_long("AAPL", 50).stop_limit(180.0, 179.5).gtc().outside_rth().emit()

Protective orders rest at IB: a stop-loss sent good till cancelled protects the position while
the host, its machine or its network is down. While one rests, its shares count as already
being sold: the host refuses a sell larger than the position minus the sells pending.

Submitting: :func:`emit` returns the signal's durable id and **raises** :class:`Rejection` when
the host refuses it, as do the shortcuts (:func:`open_long`, :func:`close_long_limit`...).
:func:`emit_logged` never raises for a refusal: it writes the outcome to the host log and
returns the id, or None when refused; use it when a refusal needs no handling beyond the log.

Brackets: :func:`bracket` sends a buy with its take-profit, stop-loss or both
(:class:`Exits`) attached, and returns their ids (:class:`BracketIds`); it raises
:class:`Rejection` like :func:`emit`::

    bracket(Signal.open_long("AAPL", 100).limit(190.0), Exits().take_profit(205.0).stop_loss(184.0))

Working orders, cancels and changes: :func:`working_orders` lists the strategy's orders that
have not ended; :func:`cancel` cancels one by the id `emit` returned, and **raises**
:class:`CancelRefused` when the host did nothing (an order that already filled, say);
:func:`modify` changes one's quantity or prices (raising a stop behind a rising price), and
**raises** :class:`ModifyRefused` when the host did nothing.

A `Rejection`, `CancelRefused` or `ModifyRefused` that escapes `on_bar` or `on_fill` does not stop the
strategy: the SDK logs it at warn level ("unhandled refusal in on_bar: ..."). Any other
exception does, like a panic in Rust: the host starts the instance again from `init`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import _host
from ._fmt import display_f64
from ._log import info, log_enabled, warn
from .types import (
    Action,
    BracketIds,
    CancelOutcome,
    Level,
    LimitOnCloseOrder,
    LimitOrder,
    MarketOnCloseOrder,
    MarketOrder,
    ModifyOutcome,
    OrderChange,
    OrderType,
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

__all__ = [
    "Exits",
    "Signal",
    "add_long",
    "add_long_limit",
    "bracket",
    "bracket_logged",
    "cancel",
    "close_long",
    "close_long_limit",
    "emit",
    "emit_logged",
    "modify",
    "open_long",
    "open_long_limit",
    "reduce_long",
    "reduce_long_limit",
    "stop_loss",
    "take_profit",
    "trailing_stop",
    "working_orders",
]


_U32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class Signal:
    """A request to trade, validated by the host before it is queued.

    `str(signal)` reads as operators see it, exactly as the Rust SDK writes it:
    `open-long 100 AAPL`, `reduce-long 40 MSFT limit 187.5`, `close-long AAPL`,
    `reduce-long 100 AAPL stop 180 gtc outside-rth` (the reason is left out; a market day
    order in regular hours shows neither).
    """

    action: Action
    symbol: str
    quantity: int
    """Whole shares. For HK stocks, a multiple of the board lot. 0 for `close-long`."""
    order_type: OrderType = field(default_factory=MarketOrder)
    time_in_force: TimeInForce = TimeInForce.DAY
    """How long the order works; set it with `.gtc()`, `.day()`, `.ioc()`, `.opg()`."""
    outside_rth_allowed: bool = False
    """Whether the order may trigger and fill outside regular trading hours (IB
    `outsideRth`). Set it with `.outside_rth()` (the field cannot share the method's name).
    A market order cannot: IB takes only limit-priced orders outside them."""
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

    @classmethod
    def stop_loss(cls, symbol: str, quantity: int, trigger: float) -> Signal:
        """A stop-loss: sells `quantity` shares of `symbol` at the market once the last price
        falls to `trigger`, good till cancelled. It rests at IB, so it protects the position
        while the host is down; while it rests, those shares count as already being sold.

        >>> str(Signal.stop_loss("AAPL", 100, 180.0).reason("2% under the entry"))
        'reduce-long 100 AAPL stop 180 gtc'
        """
        return cls.reduce_long(symbol, quantity).stop(trigger).gtc()

    @classmethod
    def take_profit(cls, symbol: str, quantity: int, price: float) -> Signal:
        """A take-profit: sells `quantity` shares of `symbol` at `price` or better, good till
        cancelled.

        >>> str(Signal.take_profit("AAPL", 100, 195.0))
        'reduce-long 100 AAPL limit 195 gtc'
        """
        return cls.reduce_long(symbol, quantity).limit(price).gtc()

    @classmethod
    def trailing_stop(cls, symbol: str, quantity: int, trail: Trail) -> Signal:
        """A trailing stop: sells `quantity` shares of `symbol` once the price falls `trail`
        below the highest price seen since it was placed, good till cancelled.

        >>> str(Signal.trailing_stop("AAPL", 100, TrailPercent(3.0)))
        'reduce-long 100 AAPL trailing-stop 3% gtc'
        """
        return cls.reduce_long(symbol, quantity).trailing(trail)

    def limit(self, price: float) -> Signal:
        """This signal as a limit order at `price` (finite and positive, or the host refuses it
        with `invalid-price`)."""
        return replace(self, order_type=LimitOrder(float(price)))

    def market(self) -> Signal:
        """This signal as a market order (the default)."""
        return replace(self, order_type=MarketOrder())

    def stop(self, trigger: float) -> Signal:
        """This signal as a stop: a market order once the last price reaches `trigger` (at or
        below it for a sell, at or above it for a buy)."""
        return replace(self, order_type=StopOrder(float(trigger)))

    def stop_limit(self, trigger: float, limit: float) -> Signal:
        """This signal as a stop-limit: a limit order at `limit` once the last price reaches
        `trigger`."""
        return replace(self, order_type=StopLimitOrder(float(trigger), float(limit)))

    def trailing(self, trail: Trail) -> Signal:
        """This signal as a trailing stop, `trail` (`TrailAmount(2.5)` or `TrailPercent(3.0)`)
        behind the best price seen, good till cancelled unless a time in force is set after
        it."""
        if not isinstance(trail, (TrailAmount, TrailPercent)):
            raise TypeError(
                "a trail is TrailAmount(distance) or TrailPercent(percent), "
                f"got {type(trail).__name__} {trail!r}"
            )
        return replace(self, order_type=TrailingStopOrder(trail), time_in_force=TimeInForce.GTC)

    def limit_offset(self, offset: float) -> Signal:
        """A trailing stop as a trailing stop-limit: once triggered it rests as a limit order
        `offset` beyond the trigger (zero or more). Does nothing to other order types, as in
        the Rust SDK."""
        order_type = self.order_type
        if not isinstance(order_type, TrailingStopOrder):
            return self
        return replace(self, order_type=replace(order_type, limit_offset=float(offset)))

    def market_on_close(self) -> Signal:
        """This signal as a market-on-close order: a day order, executed in the closing
        auction."""
        return replace(self, order_type=MarketOnCloseOrder(), time_in_force=TimeInForce.DAY)

    def limit_on_close(self, price: float) -> Signal:
        """This signal as a limit-on-close order: a day order, executed in the closing auction
        at `price` or better."""
        return replace(
            self, order_type=LimitOnCloseOrder(float(price)), time_in_force=TimeInForce.DAY
        )

    def gtc(self) -> Signal:
        """Good till cancelled: the order works across days and gateway restarts."""
        return replace(self, time_in_force=TimeInForce.GTC)

    def day(self) -> Signal:
        """A day order (the default for everything but the protective orders)."""
        return replace(self, time_in_force=TimeInForce.DAY)

    def ioc(self) -> Signal:
        """Immediate or cancel: what does not fill at once is cancelled (market and limit
        orders only)."""
        return replace(self, time_in_force=TimeInForce.IOC)

    def opg(self) -> Signal:
        """In the opening auction only (market and limit orders only)."""
        return replace(self, time_in_force=TimeInForce.OPG)

    def outside_rth(self) -> Signal:
        """Lets the order trigger and fill outside regular trading hours (IB `outsideRth`; the
        field `outside_rth_allowed`). IB takes only limit-priced orders there, so a market
        order with it is refused (`invalid-order`)."""
        return replace(self, outside_rth_allowed=True)

    def reason(self, text: str) -> Signal:
        """This signal with `text` as its reason (`reason_text`), kept with it and shown to
        operators."""
        return replace(self, reason_text=text)

    def emit(self) -> int:
        """Submits the signal: the same as ``emit(signal)``."""
        return emit(self)

    def bracket(self, exits: Exits) -> BracketIds:
        """Submits the signal as the entry of a bracket with `exits` attached: the same as
        ``bracket(signal, exits)``."""
        return bracket(self, exits)

    def __str__(self) -> str:
        if self.action is Action.CLOSE_LONG:
            text = f"{self.action} {self.symbol}"
        else:
            text = f"{self.action} {self.quantity} {self.symbol}"
        if not isinstance(self.order_type, MarketOrder):
            text += f" {self.order_type}"
        if self.time_in_force is not TimeInForce.DAY:
            text += f" {self.time_in_force}"
        if self.outside_rth_allowed:
            text += " outside-rth"
        return text


@dataclass(frozen=True, slots=True)
class Exits:
    """The exits :func:`bracket` attaches to an entry: a take-profit, a stop-loss or both,
    good till cancelled unless told otherwise (a protective exit should outlive the day). Built
    by chaining, each call returning new exits::

        Exits().take_profit(205.0).stop_loss(184.0)
        Exits().trailing_stop(TrailPercent(3.0)).limit_offset(0.1).day()

    `str(exits)` reads as the Rust SDK writes it:

    >>> str(Exits().take_profit(205.0).stop_loss(184.0))
    'take-profit 205 and stop-loss stop 184 gtc'

    The fields cannot share the builders' names: they are `take_profit_price`,
    `stop_loss_order`, `time_in_force` and `outside_rth_allowed`.
    """

    take_profit_price: float | None = None
    """Sell the entry's shares at this limit price or better (above the market)."""
    stop_loss_order: OrderType | None = None
    """Sell them with this order: a `StopOrder`, `StopLimitOrder` or `TrailingStopOrder` (the
    host refuses any other as `invalid-order`)."""
    time_in_force: TimeInForce = TimeInForce.GTC
    """`GTC` (the default) or `DAY` (the host refuses any other as `invalid-order`)."""
    outside_rth_allowed: bool = False
    """Whether the exits may trigger and fill outside regular trading hours; set it with
    `.outside_rth()`."""

    def take_profit(self, price: float) -> Exits:
        """A take-profit: sell the entry's shares at `price` or better. It must be above a
        fixed stop-loss's trigger (`invalid-price` otherwise)."""
        return replace(self, take_profit_price=float(price))

    def stop_loss(self, trigger: float) -> Exits:
        """A stop-loss: sell the entry's shares at the market once the last price falls to
        `trigger` (IB `STP`)."""
        return replace(self, stop_loss_order=StopOrder(float(trigger)))

    def stop_loss_limit(self, trigger: float, limit: float) -> Exits:
        """A stop-limit stop-loss: once the last price falls to `trigger`, sell at `limit` or
        better (IB `STP LMT`)."""
        return replace(self, stop_loss_order=StopLimitOrder(float(trigger), float(limit)))

    def trailing_stop(self, trail: Trail) -> Exits:
        """A trailing stop-loss, `trail` (`TrailAmount(2.5)` or `TrailPercent(3.0)`) below the
        highest price seen since the entry filled (IB `TRAIL`).

        >>> str(Exits().trailing_stop(TrailPercent(3.0)).limit_offset(0.1))
        'stop-loss trailing-stop 3% offset 0.1 gtc'
        """
        if not isinstance(trail, (TrailAmount, TrailPercent)):
            raise TypeError(
                "a trail is TrailAmount(distance) or TrailPercent(percent), "
                f"got {type(trail).__name__} {trail!r}"
            )
        return replace(self, stop_loss_order=TrailingStopOrder(trail))

    def limit_offset(self, offset: float) -> Exits:
        """A trailing stop-loss as a trailing stop-limit: once triggered it rests as a limit
        `offset` below the trigger. Does nothing to other stop-losses, as in the Rust SDK."""
        order_type = self.stop_loss_order
        if not isinstance(order_type, TrailingStopOrder):
            return self
        return replace(self, stop_loss_order=replace(order_type, limit_offset=float(offset)))

    def gtc(self) -> Exits:
        """Good till cancelled (the default): the exits work across days and gateway
        restarts."""
        return replace(self, time_in_force=TimeInForce.GTC)

    def day(self) -> Exits:
        """Day orders: IB cancels the exits not filled at the end of the trading day, leaving
        the position unprotected."""
        return replace(self, time_in_force=TimeInForce.DAY)

    def outside_rth(self) -> Exits:
        """Lets the exits trigger and fill outside regular trading hours (IB `outsideRth`; the
        field `outside_rth_allowed`)."""
        return replace(self, outside_rth_allowed=True)

    def __str__(self) -> str:
        take_profit, stop_loss = self.take_profit_price, self.stop_loss_order
        if take_profit is not None and stop_loss is not None:
            text = f"take-profit {display_f64(take_profit)} and stop-loss {stop_loss}"
        elif take_profit is not None:
            text = f"take-profit {display_f64(take_profit)}"
        elif stop_loss is not None:
            text = f"stop-loss {stop_loss}"
        else:
            text = "no exit"
        text += f" {self.time_in_force}"
        if self.outside_rth_allowed:
            text += " outside-rth"
        return text


# Signals accepted in this process so far. The SDK's `on-bars` stops its batch after a bar
# that changed it, so that the host fills the order before the strategy sees the next bar
# (see `sandtrade/_runner.py`).
_accepted = 0


def accepted_so_far() -> int:
    """How many signals (and brackets) the host has accepted from this strategy."""
    return _accepted


def emit(signal: Signal) -> int:
    """Submits a signal. The host validates it now: the return value is its durable id
    (persisted before this returns; `Fill.signal_id` carries it back).

    Raises :class:`Rejection` (with `code` and `message`) when the host refuses it.
    """
    global _accepted
    signal_id = _host.as_of_bar().emit(signal)
    _accepted += 1
    return signal_id


def bracket(entry: Signal, exits: Exits) -> BracketIds:
    """Submits a bracket: `entry` (an `open-long` or `add-long`) with `exits` attached, which
    sell the shares it buys. The host validates the three orders together and sends them to
    IB together: the return value is their durable ids (entry, then take-profit, then
    stop-loss, those asked for).

    IB works the exits only once the entry has filled, reduces one by each fill of the other,
    and cancels them if the entry ends unfilled: cancelling an unfilled entry is cancelling the
    bracket. The exits sell only what the entry bought, so they never count against the rest
    of the position. An exit's prices can be moved with :func:`modify`, never its quantity
    (it is the entry's). Like an accepted signal, an accepted bracket ends a batch of bars
    after its bar, so that the entry can fill before the next one.

    Raises :class:`Rejection` (with `code` and `message`) when the host refuses it; none of
    it is sent then.
    """
    global _accepted
    ids = _host.as_of_bar().emit_bracket(entry, exits)
    _accepted += 1
    return ids


def bracket_logged(entry: Signal, exits: Exits) -> BracketIds | None:
    """Submits a bracket like :func:`bracket` and writes the outcome to the host log: at info
    level `open-long 100 AAPL limit 190 with take-profit 205 and stop-loss stop 184 gtc:
    accepted as signals 7, 8, 9 (reason)`, at warn level `...: refused, invalid-price:
    (message)`.

    Returns the ids, or None when the host refused the bracket (it never raises a
    :class:`Rejection`: the refusal is in the log).
    """
    try:
        ids = bracket(entry, exits)
    except Rejection as rejection:
        if log_enabled(Level.WARN):
            warn(f"{entry} with {exits}: refused, {rejection.code}: {rejection.message}")
        return None
    if log_enabled(Level.INFO):
        listed = ", ".join(str(i) for i in [ids.entry, *ids.exits()])
        if entry.reason_text:
            info(f"{entry} with {exits}: accepted as signals {listed} ({entry.reason_text})")
        else:
            info(f"{entry} with {exits}: accepted as signals {listed}")
    return ids


def working_orders() -> list[WorkingOrder]:
    """This strategy's orders that have not ended (queued, on their way, working at IB, or
    being cancelled), oldest first, each with its signal id, what was ordered and filled,
    and its state. The exits of a :func:`bracket` have `exit_of` set to their entry's signal
    id."""
    return _host.as_of_bar().working_orders()


def cancel(signal_id: int) -> CancelOutcome:
    """Cancels the order of the signal `signal_id` (the id :func:`emit` returned).

    Returns `CancelOutcome.CANCELLED` when the order had not left the host, and
    `CancelOutcome.REQUESTED` when the cancel is on its way to IB: the host records it before
    sending it, so one asked while the host is disconnected is sent once it is connected
    again. The order may still fill before the cancel reaches IB; its fills arrive through
    `on_fill` as usual.

    Raises :class:`CancelRefused` when the host did nothing: no such order
    (`UNKNOWN_ORDER`), an order that already ended, filled, say (`ALREADY_ENDED`), or a
    host-side fault (`UNAVAILABLE`).
    """
    return _host.as_of_bar().cancel(signal_id)


def modify(signal_id: int, change: OrderChange) -> ModifyOutcome:
    """Changes the quantity or prices of the working order of the signal `signal_id` (the id
    :func:`emit` returned): raising a stop behind a rising price, say::

        modify(stop, OrderChange.to(StopOrder(185.0)))

    The host validates the change as it would a new order in its place (it cannot sell more
    than is held, break a limit, or change the order's type: a stop stays a stop) and records
    it before sending it, like a cancel. Returns `ModifyOutcome.CHANGED` when the order had not
    left the host (it will be sent with the new terms), and `ModifyOutcome.REQUESTED` when the
    change is on its way to IB, which applies it unless the order fills first.

    Raises :class:`ModifyRefused` when the host did nothing: no such order (`UNKNOWN_ORDER`),
    an order that already ended (`ALREADY_ENDED`), one whose acknowledgement by IB (of the
    order, an earlier change or a cancel) is still awaited (`PENDING`: try again on a later
    bar), a change that breaks a rule (`REFUSED`, with its :class:`Rejection`), or a host-side
    fault (`UNAVAILABLE`).
    """
    return _host.as_of_bar().modify(signal_id, change)


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


def stop_loss(symbol: str, quantity: int, trigger: float) -> int:
    """Places a good-till-cancelled stop-loss: sells `quantity` shares of `symbol` at the
    market once the last price falls to `trigger` (see :meth:`Signal.stop_loss`). Raises
    :class:`Rejection`."""
    return emit(Signal.stop_loss(symbol, quantity, trigger))


def take_profit(symbol: str, quantity: int, price: float) -> int:
    """Places a good-till-cancelled take-profit: sells `quantity` shares of `symbol` at
    `price` or better (see :meth:`Signal.take_profit`). Raises :class:`Rejection`."""
    return emit(Signal.take_profit(symbol, quantity, price))


def trailing_stop(symbol: str, quantity: int, trail: Trail) -> int:
    """Places a good-till-cancelled trailing stop on `quantity` shares of `symbol` (see
    :meth:`Signal.trailing_stop`). Raises :class:`Rejection`."""
    return emit(Signal.trailing_stop(symbol, quantity, trail))
