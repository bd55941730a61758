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
    "Fill",
    "Level",
    "LimitOrder",
    "Market",
    "MarketOrder",
    "Metadata",
    "OrderType",
    "Position",
    "RejectCode",
    "Rejection",
]


class Market(StrEnum):
    """Which market a symbol trades in."""

    US_STOCK = "us-stock"
    """US stocks, e.g. `AAPL`: SMART routing, USD."""
    HK_STOCK = "hk-stock"
    """Hong Kong stocks, e.g. `0700.HK`, `00700` or `700`: SEHK, HKD, board lots."""


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
    """A limit price that is NaN, infinite, zero or negative."""
    NOT_SUBSCRIBED = "not-subscribed"
    """The symbol is not among those the strategy declared."""
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


@dataclass(frozen=True, slots=True)
class MarketOrder:
    """Priced at the market."""

    def __str__(self) -> str:
        return "market"


@dataclass(frozen=True, slots=True)
class LimitOrder:
    """Priced at `price` or better. The host refuses (`invalid-price`) a price that is NaN,
    infinite, zero or negative."""

    price: float

    def __str__(self) -> str:
        return f"limit {display_f64(self.price)}"


OrderType: TypeAlias = MarketOrder | LimitOrder
"""How an order is priced: `MarketOrder()` or `LimitOrder(price)`."""


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
