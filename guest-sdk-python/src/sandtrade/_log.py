"""Writing lines to the host log, tagged with the strategy's name.

The host keeps lines at its level and above, and caps their rate and size. Each function takes
a message and, optionally, `%`-style arguments, as the standard `logging` module does:
``info("filled %s at %.2f", symbol, price)`` formats the line only when the host keeps info
lines, so a dropped `debug` costs a comparison, not a formatting. An f-string is formatted
before the call, whatever the level: prefer arguments on hot paths, or test
:func:`log_enabled` first.
"""

from __future__ import annotations

from . import _host
from .types import Level

__all__ = ["debug", "error", "info", "log", "log_enabled", "warn"]


def log_enabled(level: Level) -> bool:
    """Whether a line at `level` would be kept by the host.

    Inside a component the host's level is asked once per instance (it changes only when the
    strategy is reloaded or restarted, which starts a new instance); the test mock is asked
    every time, so a test may change it.
    """
    return level.rank >= _host.current().log_level().rank


def log(level: Level, message: str, *args: object) -> None:
    """Writes `message % args` (or `message` alone without args) at `level`, unless the host
    would drop it."""
    host = _host.current()
    if level.rank >= host.log_level().rank:
        host.log(level, message % args if args else message)


def debug(message: str, *args: object) -> None:
    """Writes a line at debug level (see :func:`log`)."""
    log(Level.DEBUG, message, *args)


def info(message: str, *args: object) -> None:
    """Writes a line at info level (see :func:`log`)."""
    log(Level.INFO, message, *args)


def warn(message: str, *args: object) -> None:
    """Writes a line at warn level (see :func:`log`)."""
    log(Level.WARN, message, *args)


def error(message: str, *args: object) -> None:
    """Writes a line at error level (see :func:`log`)."""
    log(Level.ERROR, message, *args)
