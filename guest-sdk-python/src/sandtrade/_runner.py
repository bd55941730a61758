"""What the component entry does with the author's `Strategy` subclass, kept apart from the
bindings so that it can be tested under pytest: finding the subclass, keeping the one
instance with the same rules as the Rust SDK's `export_strategy!`, and running a batch of bars
(`on-bars`) over the author's `on_bar`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import ModuleType

from . import _host
from ._log import warn
from .params import Params
from .signal import accepted_so_far
from .strategy import Strategy
from .types import Bar, CancelRefused, Fill, Metadata, ModifyRefused, Rejection

# The refusals a strategy may leave unhandled: routine answers of the host, not faults.
_REFUSALS = (Rejection, CancelRefused, ModifyRefused)


class BuildError(Exception):
    """The strategy project cannot become a component; the message says why and what to do."""


def find_strategy(module: ModuleType) -> type[Strategy]:
    """The one concrete `Strategy` subclass defined in `module` (the project's
    `strategy.py`). Raises :class:`BuildError` when there is none, or more than one."""
    defined = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Strategy)
        and value is not Strategy
        and value.__module__ == module.__name__
    ]
    concrete = [cls for cls in defined if not inspect.isabstract(cls)]
    # Named as the author knows it; inside a build `__file__` is a path of componentize-py's.
    where = f"{module.__name__.rpartition('.')[2]}.py"
    if len(concrete) == 1:
        return concrete[0]
    if len(concrete) > 1:
        names = ", ".join(cls.__name__ for cls in concrete)
        raise BuildError(
            f"{where} defines {len(concrete)} Strategy subclasses ({names}); a component runs "
            "exactly one: keep one in strategy.py and move the others to modules of their own."
        )
    if defined:
        details = "; ".join(
            f"{cls.__name__} does not implement {', '.join(sorted(cls.__abstractmethods__))}"
            for cls in defined
        )
        raise BuildError(
            f"{where} defines no complete Strategy subclass: {details}. A strategy implements "
            "describe, init and on_bar."
        )
    imported = [
        value.__name__
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Strategy) and value is not Strategy
    ]
    hint = (
        f" ({', '.join(imported)} is imported there, but defined elsewhere: define the strategy "
        "itself in strategy.py)"
        if imported
        else ""
    )
    raise BuildError(
        f"{where} defines no subclass of sandtrade.Strategy{hint}. Define one, e.g. "
        "`class MyStrategy(Strategy):` with describe, init and on_bar."
    )


def check_metadata(cls: type[Strategy]) -> Metadata:
    """`cls.describe()`, checked to be a `Metadata`."""
    metadata = cls.describe()
    if not isinstance(metadata, Metadata):
        raise BuildError(
            f"{cls.__name__}.describe() must return a sandtrade.Metadata, "
            f"got {type(metadata).__name__}"
        )
    return metadata


class Runner:
    """Keeps the strategy's one instance, as the Rust SDK's `export_strategy!` does: a
    successful `init` stores (or replaces) it, a failed `init` leaves none, and `on_bar`,
    `on_bars` and `on_fill` without an instance are ignored."""

    def __init__(self, cls: type[Strategy]) -> None:
        self.cls = cls
        self.instance: Strategy | None = None

    def describe(self) -> Metadata:
        return check_metadata(self.cls)

    def init(self, pairs: Iterable[tuple[str, str]]) -> str | None:
        """Builds the instance from the host's params; None when it started, else the
        refusal's message."""
        # Drop any previous instance first: a failed init leaves none.
        self.instance = None
        try:
            instance = self.cls.init(Params(pairs))
        except ValueError as refusal:  # ParamError is a ValueError
            return str(refusal) or type(refusal).__name__
        if not isinstance(instance, self.cls):
            return (
                f"{self.cls.__name__}.init must return an instance of {self.cls.__name__} "
                f"(`return cls(...)`), got {type(instance).__name__}"
            )
        self.instance = instance
        return None

    def on_bar(self, bar: Bar) -> None:
        instance = self.instance
        if instance is not None:
            run_bar(instance, bar)

    def on_bars(self, bars: Iterable[Bar]) -> int:
        """`on_bar` for each bar in turn, stopping after the first bar on which a signal was
        accepted (see :func:`run_batch`); how many bars were consumed. Without an instance
        every bar is consumed, and ignored, as `on_bar` would ignore it."""
        instance = self.instance
        if instance is None:
            return sum(1 for _ in bars)
        return run_batch(instance, bars)

    def on_fill(self, fill: Fill) -> None:
        instance = self.instance
        if instance is not None:
            try:
                instance.on_fill(fill)
            except _REFUSALS as refusal:
                warn(f"unhandled refusal in on_fill: {refusal}")


def run_bar(instance: Strategy, bar: Bar) -> None:
    """`instance.on_bar(bar)`, a refusal escaping it logged rather than raised."""
    try:
        instance.on_bar(bar)
    except _REFUSALS as refusal:
        # A refusal is routine, not a fault: log it and keep the instance.
        warn(f"unhandled refusal in on_bar: {refusal}")


def run_batch(instance: Strategy, bars: Iterable[Bar]) -> int:
    """The batch loop behind `on-bars`, also what :func:`sandtrade.testing.on_bars` runs:
    `on_bar` for each bar in turn, telling the host (lazily, see `sandtrade/_host.py`) which
    bar the strategy is on, and stopping after the first bar on which a signal was accepted,
    so that the host fills its order before the strategy sees the next bar, exactly as when
    bars come one by one. A refused signal does not stop the batch. Returns how many bars
    were consumed; the host delivers the rest in a later call.

    `bars` may be lazy (the component converts each bar from the bindings only when it is
    reached): the batch often stops long before its end.
    """
    _host.start_batch()
    consumed = 0
    try:
        for bar in bars:
            _host.at_bar(consumed)
            consumed += 1
            before = accepted_so_far()
            run_bar(instance, bar)
            if accepted_so_far() != before:
                break
    finally:
        # Whatever ended the batch (a stop, its end, an exception escaping on_bar), calls
        # made outside it must not tell the host of a bar.
        _host.start_batch()
    return consumed
