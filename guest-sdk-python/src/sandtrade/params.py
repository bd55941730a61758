"""The operator's parameters, as given to `Strategy.init`.

The host passes the `[params]` table of the strategy's sidecar `.toml` with every value as a
string (`fast = 10` arrives as `"10"`, `ratio = 0.5` as `"0.5"`, `on = true` as `"true"`).
:class:`Params` reads them as typed values, and its errors name the parameter, the expected
type and the value, in the same words as the Rust SDK:

    >>> params = Params([("fast", "10"), ("slow", "abc")])
    >>> params.get("fast", u32)
    10
    >>> params.get("slow", u32)
    Traceback (most recent call last):
    ...
    sandtrade.params.InvalidParam: param `slow`: expected u32, got `abc`
    >>> params.get_or("quantity", u32(100))
    100

The types a value can be read as:

- Python's `int`, `float`, `bool` and `str`;
- the sized integers `u8`, `u16`, `u32`, `u64`, `usize`, `i8`, `i16`, `i32`, `i64`, which are
  `int`s that refuse values outside their range (`u32` refuses `-5`), and `f64`, a `float`.
  They carry the Rust type names so that a Python strategy can refuse the same values, with
  the same messages, as its Rust twin. `usize` is 32 bits wide, as it is in a Rust component;
- any other callable that takes the text and raises `ValueError` when it does not parse (an
  `Enum` of strings, `decimal.Decimal`...).

Parsing follows Rust's rules, not Python's looser ones: integers are ASCII digits with an
optional sign (no `_`, no `0x`), a `-` is refused for unsigned types, booleans are exactly
`true` or `false`, and surrounding whitespace is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Self, TypeVar, overload

from ._fmt import display

__all__ = [
    "InvalidParam",
    "MissingParam",
    "ParamError",
    "ParamOutOfRange",
    "Params",
    "UnknownParam",
    "f64",
    "i8",
    "i16",
    "i32",
    "i64",
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
]

T = TypeVar("T")


# --- Errors -----------------------------------------------------------------------------------


class ParamError(ValueError):
    """Why a parameter could not be read.

    Raise it (or let it propagate) from `Strategy.init` to refuse the parameters: the host
    shows `str(error)` to the operator. It is a `ValueError`, and `init` treats every
    `ValueError` as a refusal. The subclasses say what went wrong; `key` names the parameter.
    """

    key: str

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key

    @staticmethod
    def out_of_range(key: str, requirement: str, got: object) -> ParamOutOfRange:
        """An error saying that `key`'s value `got` does not satisfy `requirement`, e.g.
        ``ParamError.out_of_range("fast", "must be less than slow (30)", 40)`` reads
        "param `fast`: must be less than slow (30), got `40`"."""
        return ParamOutOfRange(key, requirement, got)


class MissingParam(ParamError):
    """The parameter is required and absent: "param `quantity`: missing"."""

    def __init__(self, key: str) -> None:
        super().__init__(key, f"param `{key}`: missing")


class InvalidParam(ParamError):
    """The value does not parse as the requested type:
    "param `fast`: expected u32, got `abc`"."""

    expected: str
    """The requested type's name, e.g. `u32`."""
    got: str
    """The value given, as given."""

    def __init__(self, key: str, expected: str, got: str) -> None:
        super().__init__(key, f"param `{key}`: expected {expected}, got `{got}`")
        self.expected = expected
        self.got = got


class UnknownParam(ParamError):
    """A parameter the strategy does not know (see :meth:`Params.deny_unknown`):
    "param `sloww`: unknown (known: fast, slow)"."""

    known: list[str]

    def __init__(self, key: str, known: Iterable[str]) -> None:
        self.known = list(known)
        super().__init__(key, f"param `{key}`: unknown (known: {', '.join(self.known)})")


class ParamOutOfRange(ParamError):
    """The value parsed but is out of range (see :meth:`ParamError.out_of_range`):
    "param `slow`: must be greater than fast (30), got `10`"."""

    requirement: str
    got: str

    def __init__(self, key: str, requirement: str, got: object) -> None:
        self.requirement = requirement
        self.got = display(got)
        super().__init__(key, f"param `{key}`: {requirement}, got `{self.got}`")


# --- The sized number types -------------------------------------------------------------------


class _BoundedInt(int):
    """An `int` that refuses values outside `MIN..=MAX`."""

    MIN: ClassVar[int]
    MAX: ClassVar[int]

    def __new__(cls, value: Any = 0) -> Self:
        number = int.__new__(cls, value)
        if not cls.MIN <= number <= cls.MAX:
            raise ValueError(f"{int(number)} is out of range for {cls.__name__}")
        return number


# Lower-case class names, against PEP 8, because they are the Rust type names: an error says
# "expected u32", exactly as the Rust SDK's does for the same value.
class u8(_BoundedInt):
    """An unsigned 8-bit integer: 0 to 255."""

    MIN, MAX = 0, 2**8 - 1


class u16(_BoundedInt):
    """An unsigned 16-bit integer: 0 to 65,535."""

    MIN, MAX = 0, 2**16 - 1


class u32(_BoundedInt):
    """An unsigned 32-bit integer: 0 to 4,294,967,295 (the WIT's share quantities)."""

    MIN, MAX = 0, 2**32 - 1


class u64(_BoundedInt):
    """An unsigned 64-bit integer."""

    MIN, MAX = 0, 2**64 - 1


class usize(_BoundedInt):
    """An unsigned size: 32 bits, as in a Rust component (`wasm32`)."""

    MIN, MAX = 0, 2**32 - 1


class i8(_BoundedInt):
    """A signed 8-bit integer."""

    MIN, MAX = -(2**7), 2**7 - 1


class i16(_BoundedInt):
    """A signed 16-bit integer."""

    MIN, MAX = -(2**15), 2**15 - 1


class i32(_BoundedInt):
    """A signed 32-bit integer."""

    MIN, MAX = -(2**31), 2**31 - 1


class i64(_BoundedInt):
    """A signed 64-bit integer (the WIT's millisecond timestamps)."""

    MIN, MAX = -(2**63), 2**63 - 1


class f64(float):
    """A float named as in Rust, so that errors say "expected f64"."""


# Rust's grammars (`FromStr` for integers and `f64`). Python's `int()` and `float()` would
# also take `1_000`, non-ASCII digits and (for `int`) surrounding whitespace.
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(
    r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)",
    re.ASCII | re.IGNORECASE,
)


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or repr(kind)


def _parse(text: str, kind: Any) -> Any:
    """`text` (already trimmed) as `kind`; raises `ValueError` when it does not parse."""
    # `bool` first: it is an `int` subclass, and `bool("false")` is True.
    if kind is bool:
        if text == "true":
            return True
        if text == "false":
            return False
        raise ValueError(text)
    if kind is str:
        return text
    if isinstance(kind, type) and issubclass(kind, int):
        if not _INTEGER.fullmatch(text):
            raise ValueError(text)
        if issubclass(kind, _BoundedInt) and kind.MIN == 0 and text.startswith("-"):
            raise ValueError(text)  # Rust refuses a sign on unsigned types, even "-0"
        return kind(int(text))
    if isinstance(kind, type) and issubclass(kind, float):
        if not _FLOAT.fullmatch(text):
            raise ValueError(text)
        return kind(float(text))
    return kind(text)


# --- Params -----------------------------------------------------------------------------------


class Params:
    """The `(key, value)` string pairs the host passed to `init`, read as typed values.

    Iterating yields the pairs in the order the host passed them (sorted by key, from a
    sidecar). When a key appears more than once the last value wins.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        """Wraps `(key, value)` pairs (or a dict, handy in tests). Values are kept as text."""
        pairs = entries.items() if isinstance(entries, Mapping) else entries
        self._entries: list[tuple[str, str]] = [(str(k), str(v)) for k, v in pairs]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> Params:
        """The same as the constructor, spelt like the Rust SDK's `Params::from_pairs`."""
        return cls(pairs)

    def raw(self, key: str) -> str | None:
        """The value of `key` exactly as given, or None when it is absent."""
        for k, v in reversed(self._entries):
            if k == key:
                return v
        return None

    def contains(self, key: str) -> bool:
        """Whether `key` was given (also `key in params`)."""
        return self.raw(key) is not None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.contains(key)

    @overload
    def get(self, key: str, kind: type[T]) -> T: ...
    @overload
    def get(self, key: str, kind: Any) -> Any: ...
    def get(self, key: str, kind: Any) -> Any:
        """The value of `key` read as `kind` (`u32`, `int`, `float`, `bool`, `str`...).

        Raises :class:`MissingParam` when it is absent and :class:`InvalidParam` when it does
        not parse: "param `fast`: expected u32, got `abc`".
        """
        value = self.get_opt(key, kind)
        if value is None:
            raise MissingParam(key)
        return value

    def get_or(self, key: str, default: T) -> T:
        """The value of `key` read as the type of `default`, or `default` when it is absent:
        ``params.get_or("fast", usize(10))`` reads a `usize`, ``params.get_or("ratio", 0.5)``
        a `float`.

        A value that is present but does not parse is still an error: a typo is never silently
        replaced by the default.
        """
        if default is None:
            raise TypeError("get_or needs a default to take its type from; use get_opt")
        value = self.get_opt(key, type(default))
        return default if value is None else value

    @overload
    def get_opt(self, key: str, kind: type[T]) -> T | None: ...
    @overload
    def get_opt(self, key: str, kind: Any) -> Any | None: ...
    def get_opt(self, key: str, kind: Any) -> Any | None:
        """The value of `key` read as `kind`, or None when it is absent. Raises
        :class:`InvalidParam` when it is present and does not parse."""
        raw = self.raw(key)
        if raw is None:
            return None
        try:
            return _parse(raw.strip(), kind)
        except ValueError:
            raise InvalidParam(key, _type_name(kind), raw) from None

    def deny_unknown(self, known: Iterable[str]) -> None:
        """Refuses (raises :class:`UnknownParam`) any parameter not in `known`, so that a
        misspelt key in the sidecar fails `init` instead of being ignored."""
        known = list(known)
        for key, _ in self._entries:
            if key not in known:
                raise UnknownParam(key, known)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Params):
            return NotImplemented
        return self._entries == other._entries

    def __repr__(self) -> str:
        return f"Params({self._entries!r})"
