"""What the component entry does with the author's `Strategy` subclass, kept apart from the
bindings so that it can be tested under pytest: finding the subclass, and keeping the one
instance with the same rules as the Rust SDK's `export_strategy!`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import ModuleType

from ._log import warn
from .params import Params
from .strategy import Strategy
from .types import Bar, Fill, Metadata, Rejection


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
    successful `init` stores (or replaces) it, a failed `init` leaves none, and `on_bar` /
    `on_fill` without an instance are ignored."""

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
            try:
                instance.on_bar(bar)
            except Rejection as rejection:
                # A refusal is routine, not a fault: log it and keep the instance.
                warn(f"unhandled refusal in on_bar: {rejection}")

    def on_fill(self, fill: Fill) -> None:
        instance = self.instance
        if instance is not None:
            try:
                instance.on_fill(fill)
            except Rejection as rejection:
                warn(f"unhandled refusal in on_fill: {rejection}")
