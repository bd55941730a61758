"""Params: typed lookup with the Rust SDK's rules and messages."""

from __future__ import annotations

import enum

import pytest

from sandtrade import (
    InvalidParam,
    MissingParam,
    ParamError,
    ParamOutOfRange,
    Params,
    UnknownParam,
    f64,
    i8,
    i64,
    u8,
    u32,
    usize,
)


@pytest.fixture
def params() -> Params:
    return Params(
        [
            ("fast", "10"),
            ("slow", " 30 "),
            ("bad", "abc"),
            ("ratio", "0.5"),
            ("on", "true"),
            ("name", "x"),
        ]
    )


def test_typed_lookup(params: Params) -> None:
    assert params.get("fast", u32) == 10
    assert type(params.get("fast", u32)) is u32
    assert params.get("slow", usize) == 30
    assert params.get("ratio", float) == 0.5
    assert params.get("ratio", f64) == 0.5
    assert params.get("on", bool) is True
    assert params.get("name", str) == "x"
    assert params.get("fast", int) == 10


def test_invalid_value_names_key_type_and_value(params: Params) -> None:
    with pytest.raises(InvalidParam) as caught:
        params.get("bad", u32)
    assert str(caught.value) == "param `bad`: expected u32, got `abc`"
    assert (caught.value.key, caught.value.expected, caught.value.got) == ("bad", "u32", "abc")
    with pytest.raises(ParamError, match=r"^param `bad`: expected f64, got `abc`$"):
        params.get("bad", f64)
    with pytest.raises(ParamError, match=r"^param `ratio`: expected u32, got `0.5`$"):
        params.get("ratio", u32)
    with pytest.raises(ParamError, match=r"^param `bad`: expected u8, got `abc`$"):
        params.get("bad", u8)
    with pytest.raises(ParamError, match=r"^param `bad`: expected float, got `abc`$"):
        params.get("bad", float)


def test_the_value_in_a_message_is_as_given() -> None:
    # Rust keeps the untrimmed value in the message, and so does the Python SDK.
    with pytest.raises(ParamError, match=r"^param `q`: expected u32, got ` -5 `$"):
        Params([("q", " -5 ")]).get("q", u32)


@pytest.mark.parametrize(
    ("text", "kind", "want"),
    [
        ("+5", u32, 5),
        ("007", u32, 7),
        ("4294967295", u32, 4294967295),
        ("-128", i8, -128),
        ("-9223372036854775808", i64, -(2**63)),
        ("1.", float, 1.0),
        (".5", float, 0.5),
        ("-1e3", f64, -1000.0),
        ("1E+2", float, 100.0),
        ("inf", float, float("inf")),
        ("Infinity", float, float("inf")),
        ("\t12\n", u32, 12),
        ("false", bool, False),
    ],
)
def test_rust_accepts_these(text: str, kind: type, want: object) -> None:
    assert Params([("k", text)]).get("k", kind) == want


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("-5", u32),
        ("-0", u32),  # Rust refuses any sign on an unsigned type but `+`
        ("4294967296", u32),
        ("256", u8),
        ("128", i8),
        ("1_000", u32),  # Python's int() would take it
        ("1_000.5", float),
        ("0x10", u32),
        ("٣", u32),  # an Arabic-Indic digit: int() would take it too
        ("", u32),
        ("+", u32),
        (".", float),
        ("e5", float),
        ("True", bool),
        ("1", bool),
        ("yes", bool),
    ],
)
def test_rust_refuses_these(text: str, kind: type) -> None:
    with pytest.raises(InvalidParam):
        Params([("k", text)]).get("k", kind)


def test_missing_key_is_named(params: Params) -> None:
    with pytest.raises(MissingParam) as caught:
        params.get("quantity", u32)
    assert str(caught.value) == "param `quantity`: missing"
    assert caught.value.key == "quantity"
    assert isinstance(caught.value, ValueError)


def test_get_or_defaults_only_when_absent(params: Params) -> None:
    assert params.get_or("quantity", u32(100)) == 100
    assert params.get_or("fast", u32(99)) == 10
    assert params.get_or("ratio", 0.25) == 0.5
    with pytest.raises(ParamError, match=r"^param `bad`: expected u32, got `abc`$"):
        params.get_or("bad", u32(1))
    # Typed by the default: a plain int default reads a Python int.
    with pytest.raises(ParamError, match=r"^param `bad`: expected int, got `abc`$"):
        params.get_or("bad", 1)
    assert params.get_opt("quantity", u32) is None
    assert params.get_opt("fast", u32) == 10
    with pytest.raises(TypeError, match="get_opt"):
        params.get_or("quantity", None)


def test_deny_unknown_names_the_stray_key() -> None:
    p = Params([("fast", "1"), ("sloww", "2")])
    p.deny_unknown(["fast", "sloww"])
    with pytest.raises(UnknownParam) as caught:
        p.deny_unknown(["fast", "slow"])
    assert str(caught.value) == "param `sloww`: unknown (known: fast, slow)"
    assert caught.value.known == ["fast", "slow"]


def test_last_duplicate_wins_and_iteration_keeps_order() -> None:
    p = Params([("a", "1"), ("b", "2"), ("a", "3")])
    assert p.get("a", u32) == 3
    assert p.raw("a") == "3"
    assert p.raw("zzz") is None
    assert len(p) == 3
    assert "b" in p and p.contains("b") and "c" not in p
    assert [k for k, _ in p] == ["a", "b", "a"]
    assert list(p) == [("a", "1"), ("b", "2"), ("a", "3")]


def test_params_from_a_dict_and_equality() -> None:
    assert Params({"a": "1"}) == Params.from_pairs([("a", "1")])
    assert Params() == Params([])
    assert len(Params()) == 0


def test_out_of_range_message() -> None:
    error = ParamError.out_of_range("fast", "must be less than slow (30)", 40)
    assert isinstance(error, ParamOutOfRange)
    assert str(error) == "param `fast`: must be less than slow (30), got `40`"
    # Values are written as Rust writes them.
    assert str(ParamError.out_of_range("r", "must be below 1", 2.0)).endswith("got `2`")
    assert str(ParamError.out_of_range("on", "must be off", True)).endswith("got `true`")


def test_sized_integers_refuse_out_of_range_values() -> None:
    assert u32(5) == 5 and isinstance(u32(5), int)
    with pytest.raises(ValueError, match="out of range for u32"):
        u32(-1)
    with pytest.raises(ValueError):
        usize(2**32)
    assert u32.MAX == 4_294_967_295


class Side(enum.Enum):
    BUY = "buy"
    SELL = "sell"


def test_any_callable_that_raises_value_error_is_a_type() -> None:
    p = Params([("side", "buy"), ("other", "hold")])
    assert p.get("side", Side) is Side.BUY
    with pytest.raises(ParamError, match=r"^param `other`: expected Side, got `hold`$"):
        p.get("other", Side)
