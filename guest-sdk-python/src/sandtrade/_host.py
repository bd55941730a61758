"""Where the host functions go.

Inside a component, the entry module (`sandtrade_entry`) installs the real host, which calls
the component's imports through the generated bindings (`sandtrade/_bridge.py`). Everywhere
else (pytest, a REPL) nothing is installed and the first call selects the mock host of
:mod:`sandtrade.testing`, so strategy code runs unchanged in unit tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .signal import Signal
    from .types import Level, Position


class Host(Protocol):
    """The five functions the host offers a strategy (`wit/strategy.wit`, interface `host`)."""

    def emit(self, signal: Signal) -> int:
        """The signal's id; raises `Rejection` when the host refuses it."""
        ...

    def position(self, symbol: str) -> Position | None: ...

    def log(self, level: Level, message: str) -> None: ...

    def log_level(self) -> Level:
        """The most detailed level kept. The real host is asked once per instance."""
        ...

    def now_ms(self) -> int: ...


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
