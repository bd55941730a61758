"""Where the host functions go, and which bar of an `on-bars` batch they answer as of.

Inside a component, the entry module (`sandtrade_entry`) installs the real host, which calls
the component's imports through the generated bindings (`sandtrade/_bridge.py`). Everywhere
else (pytest, a REPL) nothing is installed and the first call selects the mock host of
:mod:`sandtrade.testing`, so strategy code runs unchanged in unit tests.

The batch cursor: when the host hands several bars at once (`on-bars`), the SDK runs the
author's `on_bar` on each in turn, and the host must know which bar the strategy is on when
it answers a call that depends on it (`emit`, `bracket`, `position`, `working_orders`,
`cancel`, `modify`, `now_ms`: in a backtest, that bar's replay time and close). Telling it costs a
call, so the SDK tells it lazily, through :func:`as_of_bar`, only before such a call and only
when the bar changed since it last told: a strategy that calls the host on 3 bars of a batch
of 1,000 pays for 3. Logging answers as of nothing and never tells it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .signal import Exits, Signal
    from .types import (
        BracketIds,
        CancelOutcome,
        Level,
        ModifyOutcome,
        OrderChange,
        Position,
        WorkingOrder,
    )


class Host(Protocol):
    """The functions the host offers a strategy (`wit/strategy.wit`, interface `host`)."""

    def emit(self, signal: Signal) -> int:
        """The signal's id; raises `Rejection` when the host refuses it."""
        ...

    def emit_bracket(self, entry: Signal, exits: Exits) -> BracketIds:
        """The bracket's ids; raises `Rejection` when the host refuses it."""
        ...

    def working_orders(self) -> list[WorkingOrder]: ...

    def cancel(self, signal_id: int) -> CancelOutcome:
        """What the host did; raises `CancelRefused` when it did nothing."""
        ...

    def modify(self, signal_id: int, change: OrderChange) -> ModifyOutcome:
        """What the host did; raises `ModifyRefused` when it did nothing."""
        ...

    def position(self, symbol: str) -> Position | None: ...

    def log(self, level: Level, message: str) -> None: ...

    def log_level(self) -> Level:
        """The most detailed level kept. The real host is asked once per instance."""
        ...

    def now_ms(self) -> int: ...

    def handling_bar(self, index: int) -> None:
        """Inside `on-bars`: the strategy is now handling bar `index` of the batch."""
        ...


_host: Host | None = None


def current() -> Host:
    """The installed host, or the mock when none is."""
    global _host
    if _host is None:
        from .testing import _mock_host

        _host = _mock_host()
    return _host


def install(host: Host) -> None:
    """Makes `host` serve every host function from now on (the entry module does this)."""
    global _host
    _host = host


# The batch cursor: the bar of the batch being handled, and the bar the host was last told
# of. Both are 0 outside a batch, where the host never needs telling: a batch starts with the
# host taking its first bar as the current one.
_handling = 0
_told = 0


def start_batch() -> None:
    """A batch starts, or ended: the host takes the first bar as the current one."""
    global _handling, _told
    _handling = _told = 0


def at_bar(index: int) -> None:
    """The strategy moves on to bar `index` of the batch."""
    global _handling
    _handling = index


def as_of_bar() -> Host:
    """The host, told first which bar of the batch the strategy is on if it does not know it
    yet: for the calls that answer as of a bar (emit, emit_bracket, position, working_orders,
    cancel, modify, now_ms), never for logging."""
    global _told
    host = current()
    if _handling != _told:
        host.handling_bar(_handling)
        _told = _handling
    return host
