"""The values that cross between a strategy and the host (`wit/strategy.wit`, interface `types`).

They are plain Python classes, usable in tests without any host. Inside a component the SDK
converts them to and from the generated bindings (see `sandtrade/_bridge.py`); strategy code
never sees the bindings.

The enums are `StrEnum`s whose values are the names the WIT and the host use, so
`str(Action.OPEN_LONG) == "open-long"` and log lines read the same as those of Rust strategies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from ._fmt import display_f64

__all__ = [
    "Action",
    "Bar",
    "BracketIds",
    "CancelOutcome",
    "CancelRefusal",
    "CancelRefused",
    "DataSource",
    "Fill",
    "Level",
    "LimitOnCloseOrder",
    "LimitOrder",
    "Market",
    "MarketOnCloseOrder",
    "MarketOrder",
    "Metadata",
    "ModifyOutcome",
    "ModifyRefusal",
    "ModifyRefused",
    "OrderChange",
    "OrderState",
    "OrderType",
    "Position",
    "RejectCode",
    "Rejection",
    "StopLimitOrder",
    "StopOrder",
    "TimeInForce",
    "Trail",
    "TrailAmount",
    "TrailPercent",
    "TrailingStopOrder",
    "WorkingOrder",
]


class Market(StrEnum):
    """Which market a symbol trades in."""

    US_STOCK = "us-stock"
    """US stocks, e.g. `AAPL`: SMART routing, USD."""
    HK_STOCK = "hk-stock"
    """Hong Kong stocks, e.g. `0700.HK`, `00700` or `700`: SEHK, HKD, board lots."""


class DataSource(StrEnum):
    """Where a bar's prices came from."""

    LIVE = "live"
    """IB's real-time data."""
    DELAYED = "delayed"
    """IB's delayed data (typically 15 minutes late), used when the account has no real-time
    subscription for the symbol and the operator allows the fallback."""
    FROZEN = "frozen"
    """The last prices IB holds while real-time data is unavailable (IB's "frozen" data)."""
    HISTORICAL = "historical"
    """Bars from IB's history: the warm-up before live trading, and bars missed while the host
    was disconnected, delivered in time order before live bars resume."""
    REPLAY = "replay"
    """A backtest replaying a file."""


class Action(StrEnum):
    """What a signal asks for. Long-only: two ways to buy, two ways to sell what is held."""

    OPEN_LONG = "open-long"
    """Buy into a flat position."""
    ADD_LONG = "add-long"
    """Buy more of a position already held."""
    CLOSE_LONG = "close-long"
    """Sell the whole position; the quantity is ignored and may be 0."""
    REDUCE_LONG = "reduce-long"
    """Sell part of the position."""

    @property
    def is_buy(self) -> bool:
        """Whether the action buys (`open-long`, `add-long`)."""
        return self is Action.OPEN_LONG or self is Action.ADD_LONG


class RejectCode(StrEnum):
    """Why the host refused a signal."""

    SHORT_NOT_ALLOWED = "short-not-allowed"
    """The sell is larger than the position minus pending sells."""
    POSITION_LIMIT = "position-limit"
    """The position would exceed its share or notional limit, or `open-long`/`add-long` does
    not match whether a position is held."""
    ORDER_LIMIT = "order-limit"
    """The order exceeds its share or notional limit."""
    LOT_SIZE = "lot-size"
    """An HK quantity that is not a multiple of the board lot."""
    RATE_LIMIT = "rate-limit"
    """Too many signals in the rate window."""
    UNKNOWN_SYMBOL = "unknown-symbol"
    """The symbol is neither a US ticker nor an HK code the host knows."""
    INVALID_QUANTITY = "invalid-quantity"
    """Zero shares, or a quantity where none is possible."""
    INVALID_PRICE = "invalid-price"
    """A price, trigger or trailing distance that is NaN, infinite, zero or negative (or a
    trailing percent of 100 or more), or no reference price is known yet."""
    NOT_SUBSCRIBED = "not-subscribed"
    """The symbol is not among those the strategy declared."""
    INVALID_ORDER = "invalid-order"
    """An order type with a time in force or session IB does not take for it: an on-close
    order that is not a day order or is outside regular hours, a stop with `IOC` or `OPG`, a
    market order outside regular hours."""
    TRADING_HALTED = "trading-halted"
    """Trading is halted by the operator."""
    UNAVAILABLE = "unavailable"
    """A host-side fault (for example the durable write failed). Not the strategy's fault."""


class Level(StrEnum):
    """Severity of a log line, from the most detailed (`DEBUG`) to the most severe (`ERROR`).

    Levels compare by severity: `Level.DEBUG < Level.WARN`.
    """

    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """1 for `DEBUG` up to 4 for `ERROR`."""
        return _LEVEL_RANK[self]

    # A StrEnum would otherwise compare alphabetically ("warn" > "info" by luck, "debug" <
    # "error" by luck, "info" < "error" wrongly): compare by severity instead.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank


_LEVEL_RANK = {Level.DEBUG: 1, Level.INFO: 2, Level.WARN: 3, Level.ERROR: 4}


@dataclass(slots=True)
class Bar:
    """One OHLCV bar of one symbol."""

    symbol: str
    """The symbol as the strategy declared it in `Metadata.symbols`."""
    market: Market
    start_ms: int
    """Start of the bar, milliseconds since the Unix epoch (UTC)."""
    open: float
    high: float
    low: float
    close: float
    volume: float
    source: DataSource = DataSource.LIVE
    """Where the prices came from. Signals are taken only on `LIVE`, `DELAYED` and `FROZEN`
    bars when trading (a `HISTORICAL` bar is for warming up), and on every bar of a backtest
    (`REPLAY`)."""


# The order types. Each is a small immutable value whose `str()` is what operators read (and
# what the Rust SDK prints): `limit 187.5`, `stop 180`, `trailing-stop 3% offset 0.1`. Every
# price must be finite and positive, or the host refuses the signal (`invalid-price`); limit
# and stop prices are put on the instrument's tick in the strategy's favour.


@dataclass(frozen=True, slots=True)
class MarketOrder:
    """At the market."""

    def __str__(self) -> str:
        return "market"


@dataclass(frozen=True, slots=True)
class LimitOrder:
    """At `price` or better."""

    price: float

    def __str__(self) -> str:
        return f"limit {display_f64(self.price)}"


@dataclass(frozen=True, slots=True)
class StopOrder:
    """A market order once the last price reaches `trigger` (IB `STP`): at or below it for a
    sell, at or above it for a buy. The stop-loss of a long position is a sell stop below the
    market."""

    trigger: float

    def __str__(self) -> str:
        return f"stop {display_f64(self.trigger)}"


@dataclass(frozen=True, slots=True)
class StopLimitOrder:
    """A limit order at `limit` once the last price reaches `trigger` (IB `STP LMT`)."""

    trigger: float
    limit: float

    def __str__(self) -> str:
        return f"stop-limit {display_f64(self.trigger)}/{display_f64(self.limit)}"


@dataclass(frozen=True, slots=True)
class TrailAmount:
    """A trailing stop's distance in price, e.g. `TrailAmount(2.5)`: 2.5 dollars for a US
    stock."""

    amount: float

    def __str__(self) -> str:
        return display_f64(self.amount)


@dataclass(frozen=True, slots=True)
class TrailPercent:
    """A trailing stop's distance as a percentage of the best price, above 0 and below 100:
    `TrailPercent(3.0)` is 3%."""

    percent: float

    def __str__(self) -> str:
        return f"{display_f64(self.percent)}%"


Trail: TypeAlias = TrailAmount | TrailPercent
"""How far a trailing stop's trigger stays from the best price seen: `TrailAmount(2.5)` or
`TrailPercent(3.0)`."""


@dataclass(frozen=True, slots=True)
class TrailingStopOrder:
    """A stop whose trigger follows the market (IB `TRAIL`): for a sell, it follows a rising
    price up at `trail` below the highest price seen and never moves down. With a
    `limit_offset` it is a trailing stop-limit (IB `TRAIL LIMIT`): once triggered it rests as a
    limit order that far beyond the trigger (below it for a sell)."""

    trail: Trail
    limit_offset: float | None = None

    def __str__(self) -> str:
        text = f"trailing-stop {self.trail}"
        if self.limit_offset is not None:
            text += f" offset {display_f64(self.limit_offset)}"
        return text


@dataclass(frozen=True, slots=True)
class MarketOnCloseOrder:
    """A market order executed in the closing auction (IB `MOC`). Day orders only."""

    def __str__(self) -> str:
        return "market-on-close"


@dataclass(frozen=True, slots=True)
class LimitOnCloseOrder:
    """A limit order executed in the closing auction at `price` or better (IB `LOC`). Day
    orders only."""

    price: float

    def __str__(self) -> str:
        return f"limit-on-close {display_f64(self.price)}"


OrderType: TypeAlias = (
    MarketOrder
    | LimitOrder
    | StopOrder
    | StopLimitOrder
    | TrailingStopOrder
    | MarketOnCloseOrder
    | LimitOnCloseOrder
)
"""How an order is priced: one of `MarketOrder()`, `LimitOrder(price)`, `StopOrder(trigger)`,
`StopLimitOrder(trigger, limit)`, `TrailingStopOrder(trail, limit_offset)`,
`MarketOnCloseOrder()`, `LimitOnCloseOrder(price)`."""


class TimeInForce(StrEnum):
    """How long an order works before IB cancels it."""

    DAY = "day"
    """Until the end of the trading day (the default)."""
    GTC = "gtc"
    """Good till cancelled: across days and gateway restarts, until it fills or is
    cancelled."""
    IOC = "ioc"
    """Immediate or cancel: what does not fill at once is cancelled. Market and limit orders
    only."""
    OPG = "opg"
    """In the opening auction only. Market and limit orders only."""


class OrderState(StrEnum):
    """Where one of the strategy's orders stands."""

    QUEUED = "queued"
    """Accepted and stored, not yet sent to IB."""
    SENDING = "sending"
    """Sent to IB, not yet acknowledged."""
    WORKING = "working"
    """Working at IB: a limit waiting for its price, a stop not yet triggered, or an order
    partly filled."""
    CANCELLING = "cancelling"
    """A cancel was asked (by the strategy or an operator) and IB has not confirmed it. The
    order may still fill before the cancel arrives."""
    UNKNOWN = "unknown"
    """After a reconnect or a restart the host does not know yet whether IB has it; it is
    reconciling with IB and never sends it again blindly."""


@dataclass(slots=True)
class WorkingOrder:
    """One of this strategy's orders that has not ended (not filled, cancelled or rejected),
    as :func:`~sandtrade.working_orders` lists them."""

    signal_id: int
    """The id `emit` returned for its signal."""
    symbol: str
    """The symbol as the strategy declared it."""
    action: Action
    quantity: int
    """Shares ordered (for `close-long`, the position when it was accepted)."""
    filled: int
    """Shares filled so far."""
    order_type: OrderType
    """As it was sent: prices on the tick."""
    time_in_force: TimeInForce
    outside_rth: bool
    state: OrderState
    exit_of: int | None = None
    """For an exit of a bracket: the signal id of its entry (None for any other order)."""


@dataclass(frozen=True, slots=True)
class BracketIds:
    """The signal ids of a bracket's orders, as :func:`~sandtrade.bracket` returns them: the
    entry's, then the take-profit's and the stop-loss's (None for an exit not asked for). Each
    is an order of its own: listed by `working_orders`, its fills reach `on_fill` with its id,
    and it can be cancelled or have its prices modified by its id."""

    entry: int
    take_profit: int | None = None
    stop_loss: int | None = None

    def exits(self) -> list[int]:
        """The exits' ids, take-profit first: those that were asked for."""
        return [i for i in (self.take_profit, self.stop_loss) if i is not None]


class CancelOutcome(StrEnum):
    """What :func:`~sandtrade.cancel` did."""

    CANCELLED = "cancelled"
    """The order had not left the host: it is cancelled and will never be sent."""
    REQUESTED = "requested"
    """The cancel is recorded and sent to IB now, or once the host is connected and
    reconciled. The order ends when IB confirms the cancel, or fills first (its fills still
    arrive through `on_fill`)."""


class CancelRefusal(StrEnum):
    """Why :func:`~sandtrade.cancel` did nothing."""

    UNKNOWN_ORDER = "unknown-order"
    """This strategy has no order with that signal id (a refused signal has none)."""
    ALREADY_ENDED = "already-ended"
    """The order has already ended: filled, cancelled or rejected."""
    UNAVAILABLE = "unavailable"
    """A host-side fault: the cancel could not be recorded, so nothing was sent."""


_U32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class OrderChange:
    """A change of a working order, for :func:`~sandtrade.modify`: what is set changes, what is
    None stays. Build it with the named constructors and chain::

        OrderChange.to(StopOrder(185.0))              # new prices: a stop stays a stop
        OrderChange.to_quantity(50)                   # a new quantity
        OrderChange.to(LimitOrder(190.0)).quantity(50)  # both

    The fields cannot share the builders' names: they are `new_quantity` and
    `new_order_type`.
    """

    new_quantity: int | None = None
    """The new quantity: shares ordered in all, those already filled included, so more than
    them."""
    new_order_type: OrderType | None = None
    """The order's own type with new numbers: a stop stays a stop, a trailing stop by amount
    stays one by amount (the host refuses any other change as `invalid-order`)."""

    def __post_init__(self) -> None:
        # The WIT's quantity is a u32, as a signal's is.
        quantity = self.new_quantity
        if quantity is None:
            return
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError(
                "an order's new quantity is a whole number of shares (an int), "
                f"got {type(quantity).__name__} {quantity!r}"
            )
        if not 0 <= quantity <= _U32_MAX:
            raise ValueError(
                f"an order's new quantity is from 0 to {_U32_MAX} shares, got {quantity}"
            )

    @classmethod
    def to(cls, order_type: OrderType) -> OrderChange:
        """New prices: `order_type` is the order's own type with other numbers
        (`StopOrder(185.0)` for a stop)."""
        return cls(new_order_type=order_type)

    @classmethod
    def to_quantity(cls, quantity: int) -> OrderChange:
        """A new quantity: shares ordered in all, those already filled included."""
        return cls(new_quantity=quantity)

    def quantity(self, quantity: int) -> OrderChange:
        """The same change, also setting the quantity."""
        return OrderChange(quantity, self.new_order_type)

    def __str__(self) -> str:
        parts = []
        if self.new_order_type is not None:
            parts.append(str(self.new_order_type))
        if self.new_quantity is not None:
            parts.append(f"quantity {self.new_quantity}")
        return ", ".join(parts) if parts else "nothing"


class ModifyOutcome(StrEnum):
    """What :func:`~sandtrade.modify` did."""

    CHANGED = "changed"
    """The order had not left the host: it will be sent with the new terms."""
    REQUESTED = "requested"
    """The change is recorded and sent to IB now, or once the host is connected and
    reconciled; IB applies it unless the order fills first."""


class ModifyRefusal(StrEnum):
    """Why :func:`~sandtrade.modify` did nothing (:attr:`ModifyRefused.refusal`)."""

    UNKNOWN_ORDER = "unknown-order"
    """This strategy has no order with that signal id."""
    ALREADY_ENDED = "already-ended"
    """The order has already ended: filled, cancelled or rejected."""
    PENDING = "pending"
    """IB has not acknowledged the order, an earlier change of it or its cancel yet: try again
    on a later bar."""
    REFUSED = "refused"
    """The change breaks a rule, as a new order with these terms in its place would (a sell
    larger than the position, a limit, a price): :attr:`ModifyRefused.rejection` says
    which."""
    UNAVAILABLE = "unavailable"
    """A host-side fault: the change could not be recorded, so nothing was sent."""


@dataclass(slots=True)
class Position:
    """This strategy's own position in one symbol."""

    symbol: str
    quantity: int
    """Shares held (long-only, so never negative)."""
    avg_cost: float
    """Average cost per share, in the symbol's currency."""


@dataclass(slots=True)
class Fill:
    """An execution of an order that one of this strategy's signals caused.

    `str(fill)` reads `signal 7: open-long 100 AAPL filled at 187.5`.
    """

    signal_id: int
    """The id `emit` returned for the signal."""
    symbol: str
    action: Action
    quantity: int
    """Shares executed in this fill (an order may fill in several parts)."""
    price: float
    time_ms: int
    """Execution time, milliseconds since the Unix epoch (replay time in a backtest)."""

    def __str__(self) -> str:
        return (
            f"signal {self.signal_id}: {self.action} {self.quantity} {self.symbol} "
            f"filled at {display_f64(self.price)}"
        )


@dataclass(slots=True)
class Metadata:
    """What a strategy says about itself: returned by `Strategy.describe()`.

    `symbols` may be any iterable of strings (a tuple, a list); it is kept as a list.
    """

    name: str
    """A short identifier, e.g. `ma-crossover`."""
    version: str
    """The strategy's own version, e.g. `1.2.0`."""
    symbols: list[str] = field(default_factory=list)
    """The symbols it wants bars for, e.g. `["AAPL", "0700.HK"]`."""
    bar_seconds: int = 60
    """The bar size it wants, in seconds (60 = one-minute bars)."""

    def __post_init__(self) -> None:
        # A lone string is iterable too, and would declare the symbols "A", "A", "P", "L".
        if isinstance(self.symbols, str):
            raise TypeError(
                f"Metadata symbols must be a list of symbols, not the string {self.symbols!r}: "
                f"write [{self.symbols!r}]"
            )
        self.symbols = [str(s) for s in self.symbols]

    @classmethod
    def new(cls, name: str, version: str, symbols: Iterable[str], bar_seconds: int) -> Metadata:
        """Metadata for a strategy named `name` (e.g. `ma-crossover`) at `version`, wanting
        bars of `bar_seconds` seconds for `symbols`. The same as the constructor, spelt like
        the Rust SDK's `Metadata::new`."""
        return cls(name, version, list(symbols), bar_seconds)


class Rejection(Exception):
    """The host refused a signal: raised by `emit` and the signal helpers.

    `code` says which rule refused it, `message` names the rule and the values involved.
    `str(rejection)` reads `position-limit: max_position_shares=100 ...`.
    """

    code: RejectCode
    message: str

    def __init__(self, code: RejectCode, message: str) -> None:
        super().__init__(code, message)
        self.code = RejectCode(code)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"Rejection({self.code.name}, {self.message!r})"

    # Rejections are values (the host sends a record): two with the same code and message are
    # equal, which keeps test assertions short.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rejection):
            return NotImplemented
        return self.code == other.code and self.message == other.message

    def __hash__(self) -> int:
        return hash((self.code, self.message))


class CancelRefused(Exception):
    """The host did nothing for a cancel: raised by :func:`~sandtrade.cancel`.

    `refusal` says why (an order that already ended, say, because it filled first);
    `str(refused)` reads `cancel of signal 7: already-ended`. Like a :class:`Rejection`, one
    that escapes `on_bar` or `on_fill` is logged, not fatal.
    """

    signal_id: int
    refusal: CancelRefusal

    def __init__(self, signal_id: int, refusal: CancelRefusal) -> None:
        super().__init__(signal_id, refusal)
        self.signal_id = signal_id
        self.refusal = CancelRefusal(refusal)

    def __str__(self) -> str:
        return f"cancel of signal {self.signal_id}: {self.refusal}"

    def __repr__(self) -> str:
        return f"CancelRefused({self.signal_id}, {self.refusal.name})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CancelRefused):
            return NotImplemented
        return self.signal_id == other.signal_id and self.refusal == other.refusal

    def __hash__(self) -> int:
        return hash((self.signal_id, self.refusal))


class ModifyRefused(Exception):
    """The host did nothing for a change of an order: raised by :func:`~sandtrade.modify`.

    `refusal` says why; for `REFUSED`, `rejection` is the :class:`Rejection` naming the rule
    the change breaks (None for the others). `str(refused)` reads
    `modify of signal 7: pending` or
    `modify of signal 7: refused, short-not-allowed: (message)`. Like a :class:`Rejection`,
    one that escapes `on_bar` or `on_fill` is logged, not fatal.
    """

    signal_id: int
    refusal: ModifyRefusal
    rejection: Rejection | None

    def __init__(
        self, signal_id: int, refusal: ModifyRefusal, rejection: Rejection | None = None
    ) -> None:
        refusal = ModifyRefusal(refusal)
        if (refusal is ModifyRefusal.REFUSED) != (rejection is not None):
            raise ValueError("a modify refusal carries a rejection exactly when it is `refused`")
        super().__init__(signal_id, refusal, rejection)
        self.signal_id = signal_id
        self.refusal = refusal
        self.rejection = rejection

    def __str__(self) -> str:
        if self.rejection is not None:
            return f"modify of signal {self.signal_id}: {self.refusal}, {self.rejection}"
        return f"modify of signal {self.signal_id}: {self.refusal}"

    def __repr__(self) -> str:
        if self.rejection is not None:
            return f"ModifyRefused({self.signal_id}, {self.refusal.name}, {self.rejection!r})"
        return f"ModifyRefused({self.signal_id}, {self.refusal.name})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModifyRefused):
            return NotImplemented
        return (self.signal_id, self.refusal, self.rejection) == (
            other.signal_id,
            other.refusal,
            other.rejection,
        )

    def __hash__(self) -> int:
        return hash((self.signal_id, self.refusal, self.rejection))
