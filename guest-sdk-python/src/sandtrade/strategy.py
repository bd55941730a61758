"""The `Strategy` base class: what a strategy author subclasses."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

from .params import Params
from .types import Bar, Fill, Metadata

__all__ = ["Strategy"]


class Strategy(ABC):
    """A trading strategy. Subclass it once, in `strategy.py`, and implement `describe`,
    `init` and `on_bar` (`on_fill` is optional)::

        class SmaTrend(Strategy):
            @classmethod
            def describe(cls) -> Metadata:
                return Metadata("sma-trend", "0.1.0", ["AAPL"], 60)

            @classmethod
            def init(cls, params: Params) -> Self:
                params.deny_unknown(["period"])
                return cls(Sma(params.get_or("period", usize(20))))

            def __init__(self, sma: Sma) -> None:
                self.sma = sma

            def on_bar(self, bar: Bar) -> None:
                ...

    The host calls `describe` once at load, `init` once per instance with the operator's
    parameters, then `on_bar` for every bar of the declared symbols and `on_fill` for every
    execution of an order the strategy caused (when several bars are due at once, the SDK
    calls `on_bar` for each in turn). Every method runs inside a call from the host, so the
    SDK's functions (`emit`, `working_orders`, `cancel`, `modify`, `position`, logging,
    `now_ms`) may be used from any of them.

    The instance: the SDK keeps the one instance `init` returned. A successful `init`
    replaces the previous instance; a failed one leaves none. `on_bar` and `on_fill` calls
    that arrive while there is no instance are ignored.
    """

    @classmethod
    @abstractmethod
    def describe(cls) -> Metadata:
        """Describes the strategy: its name, version, symbols and bar size.

        Called once at load, before `init`, without an instance: it must not depend on
        parameters. (A `staticmethod` works too.)
        """

    @classmethod
    @abstractmethod
    def init(cls, params: Params) -> Self:
        """Builds the instance from the operator's parameters (the `[params]` table of the
        sidecar `.toml`) and returns it.

        To refuse the parameters, and keep the strategy from starting, raise a `ParamError`
        (the `Params` getters raise one for you) or any `ValueError`: its message is what the
        operator reads, so say which parameter is wrong and why.
        """

    @abstractmethod
    def on_bar(self, bar: Bar) -> None:
        """Handles one bar of a declared symbol."""

    def on_fill(self, fill: Fill) -> None:  # noqa: B027 - optional, deliberately empty
        """Handles one execution of an order this strategy's signal caused. An order may be
        filled in several parts, each its own call. The default does nothing."""
