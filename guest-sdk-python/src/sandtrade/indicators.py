"""Streaming technical indicators: feed one value per bar with `update`, which returns None
until the indicator has seen enough values (it is "warmed up"), then the current value.
`value()` returns the last value without feeding anything. All are O(1) per update (amortized
for the rolling extremes).

They compute exactly what the Rust SDK's indicators (`guest-sdk/src/indicators.rs`) compute,
bit for bit: the same floating-point operations in the same order, so that a strategy ported
from Rust to Python makes the same decisions on the same bars. Keep it that way when changing
them; in particular never use the built-in `sum()` on floats (from Python 3.12 it compensates
rounding errors, which Rust's does not).

Feed finite numbers. What a NaN does, if one slips in:

- :class:`Sma`: the average is NaN while the NaN is in the window, and correct again once it
  left;
- :class:`Ema`: every later value is NaN until :meth:`Ema.reset`;
- :class:`Rsi`: the price change into and out of a NaN counts as no change;
- :class:`RollingHigh`, :class:`RollingLow`: a NaN takes its slot in the window but is never
  the extreme; a window holding only NaNs has no value (None).

    >>> sma = Sma(3)
    >>> [sma.update(x) for x in (1.0, 2.0, 3.0)]
    [None, None, 2.0]

A breakout compares the close with the high of the *previous* bars: read, then update::

    breakout = (high := channel.value()) is not None and bar.close > high
    channel.update(bar.high)
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["Ema", "RollingHigh", "RollingLow", "Rsi", "Sma"]


def _check_period(period: int, what: str) -> int:
    if not isinstance(period, int) or isinstance(period, bool):
        raise TypeError(f"{what}: period must be an int, got {type(period).__name__}")
    if period < 1:
        raise ValueError(f"{what}: period must be at least 1")
    return int(period)


class Sma:
    """Simple moving average of the last `period` values.

    Kept as a running sum, re-added from the window every `period` updates so that rounding
    errors cannot pile up over a long backtest (and a NaN leaves the sum with the window).
    """

    __slots__ = ("_period", "_divisor", "_window", "_sum", "_slides")

    def __init__(self, period: int) -> None:
        """An SMA over `period` values. Raises `ValueError` if `period` is less than 1."""
        self._period = _check_period(period, "Sma")
        self._divisor = float(self._period)
        self._window: deque[float] = deque()
        self._sum = 0.0
        # Values dropped from the window since the sum was last re-added from scratch.
        self._slides = 0

    def update(self, x: float) -> float | None:
        """Feeds `x`; the average of the last `period` values once `period` values were fed."""
        x = float(x)
        window = self._window
        window.append(x)
        if len(window) <= self._period:
            self._sum += x
            return self.value()
        old = window.popleft()
        self._slides += 1
        if self._slides >= self._period or not math.isfinite(old):
            # Rust's `iter().sum()`: a plain left-to-right fold that starts from -0.0 (the
            # identity of addition: -0.0 + x == x for every x, signed zeros included).
            total = -0.0
            for value in window:
                total += value
            self._sum = total
            self._slides = 0
        else:
            self._sum += x - old
        return self.value()

    def value(self) -> float | None:
        """The current average, None until warmed up."""
        if len(self._window) == self._period:
            return self._sum / self._divisor
        return None

    def is_ready(self) -> bool:
        """Whether `period` values have been fed."""
        return len(self._window) == self._period

    @property
    def period(self) -> int:
        """The period."""
        return self._period

    def reset(self) -> None:
        """Forgets all values."""
        self._window.clear()
        self._sum = 0.0
        self._slides = 0


class Ema:
    """Exponential moving average with `alpha = 2 / (period + 1)`, seeded with the simple
    average of the first `period` values (the usual charting convention)."""

    __slots__ = ("_period", "_alpha", "_seen", "_seed_sum", "_value")

    def __init__(self, period: int) -> None:
        """An EMA over `period` values. Raises `ValueError` if `period` is less than 1."""
        self._period = _check_period(period, "Ema")
        self._alpha = 2.0 / (float(self._period) + 1.0)
        self._seen = 0
        self._seed_sum = 0.0
        self._value: float | None = None

    def update(self, x: float) -> float | None:
        """Feeds `x`; the EMA once `period` values were fed."""
        x = float(x)
        previous = self._value
        if previous is not None:
            self._value = previous + self._alpha * (x - previous)
        else:
            self._seen += 1
            self._seed_sum += x
            if self._seen == self._period:
                self._value = self._seed_sum / float(self._period)
        return self._value

    def value(self) -> float | None:
        """The current EMA, None until warmed up."""
        return self._value

    def is_ready(self) -> bool:
        """Whether `period` values have been fed."""
        return self._value is not None

    @property
    def period(self) -> int:
        """The period."""
        return self._period

    @property
    def alpha(self) -> float:
        """The smoothing factor, `2 / (period + 1)`."""
        return self._alpha

    def reset(self) -> None:
        """Forgets all values."""
        self._seen = 0
        self._seed_sum = 0.0
        self._value = None


class Rsi:
    """Relative Strength Index with Wilder's smoothing, from 0 to 100.

    The first value comes after `period + 1` prices (`period` changes): the average gain and
    loss are seeded with the simple average of the first `period` changes, then smoothed as
    `avg = (avg * (period - 1) + x) / period`. With no losses the RSI is 100, with neither
    gains nor losses 50.
    """

    __slots__ = ("_period", "_prev", "_changes", "_avg_gain", "_avg_loss", "_value")

    def __init__(self, period: int) -> None:
        """An RSI over `period` changes (14 is usual). Raises `ValueError` if `period` is less
        than 1."""
        self._period = _check_period(period, "Rsi")
        self._prev: float | None = None
        self._changes = 0
        self._avg_gain = 0.0
        self._avg_loss = 0.0
        self._value: float | None = None

    def update(self, price: float) -> float | None:
        """Feeds a price; the RSI once `period + 1` prices were fed."""
        price = float(price)
        prev, self._prev = self._prev, price
        if prev is None:
            return None
        change = price - prev
        # Rust's `change.max(0.0)`: a NaN change gives 0.0 (Python's `max` would keep the NaN).
        gain = change if change > 0.0 else 0.0
        loss = -change if -change > 0.0 else 0.0
        n = float(self._period)
        if self._changes < self._period:
            self._changes += 1
            self._avg_gain += gain / n
            self._avg_loss += loss / n
            if self._changes < self._period:
                return None
        else:
            self._avg_gain = (self._avg_gain * (n - 1.0) + gain) / n
            self._avg_loss = (self._avg_loss * (n - 1.0) + loss) / n
        if self._avg_loss == 0.0:
            rsi = 50.0 if self._avg_gain == 0.0 else 100.0
        else:
            rsi = 100.0 - 100.0 / (1.0 + self._avg_gain / self._avg_loss)
        self._value = rsi
        return rsi

    def value(self) -> float | None:
        """The current RSI, None until warmed up."""
        return self._value

    def is_ready(self) -> bool:
        """Whether `period + 1` prices have been fed."""
        return self._value is not None

    @property
    def period(self) -> int:
        """The period."""
        return self._period

    def reset(self) -> None:
        """Forgets all values."""
        self._prev = None
        self._changes = 0
        self._avg_gain = 0.0
        self._avg_loss = 0.0
        self._value = None


class _RollingExtreme:
    """The extreme of a sliding window, kept in a monotonic deque: O(1) amortized per update.

    The deque holds `(index, value)` candidates, most extreme first: a new value evicts every
    older value it beats, so the front is the extreme of the window.
    """

    __slots__ = ("_window", "_count", "_deque")

    # Overridden: whether `old` stays in front of `new` (is at least as extreme).
    @staticmethod
    def _keeps(old: float, new: float) -> bool:
        raise NotImplementedError

    def __init__(self, window: int) -> None:
        self._window = _check_period(window, type(self).__name__)
        self._count = 0
        self._deque: deque[tuple[int, float]] = deque()

    def update(self, x: float) -> float | None:
        """Feeds `x`; the extreme of the last `window` values once `window` values were fed."""
        x = float(x)
        candidates = self._deque
        # A NaN compares false with everything: pushed, it would evict the real extreme.
        # It takes its slot (the count) but never enters the deque.
        if x == x:
            keeps = self._keeps
            while candidates and not keeps(candidates[-1][1], x):
                candidates.pop()
            candidates.append((self._count, x))
        self._count += 1
        oldest_kept = self._count - self._window
        while candidates and candidates[0][0] < oldest_kept:
            candidates.popleft()
        return self.value()

    def value(self) -> float | None:
        """The current extreme, None until warmed up (or when the window holds only NaNs)."""
        if self._count >= self._window and self._deque:
            return self._deque[0][1]
        return None

    def is_ready(self) -> bool:
        """Whether the window is full and holds a value."""
        return self.value() is not None

    @property
    def window(self) -> int:
        """The window length."""
        return self._window

    def reset(self) -> None:
        """Forgets all values."""
        self._count = 0
        self._deque.clear()


class RollingHigh(_RollingExtreme):
    """The highest of the last `window` values. Raises `ValueError` if `window` is less than
    1."""

    __slots__ = ()

    @staticmethod
    def _keeps(old: float, new: float) -> bool:
        return old > new


class RollingLow(_RollingExtreme):
    """The lowest of the last `window` values. Raises `ValueError` if `window` is less than
    1."""

    __slots__ = ()

    @staticmethod
    def _keeps(old: float, new: float) -> bool:
        return old < new
