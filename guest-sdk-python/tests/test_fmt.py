"""Numbers written as Rust writes them (the expected strings are Rust's own output)."""

import pytest

from sandtrade._fmt import display, display_f64


@pytest.mark.parametrize(
    ("x", "rust"),
    [
        (12.0, "12"),
        (187.5, "187.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "-0"),
        (1e20, "100000000000000000000"),
        (1e16, "10000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-7, "0.0000001"),
        (1.5e-5, "0.000015"),
        (-2.5e-10, "-0.00000000025"),
        (float("nan"), "NaN"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
    ],
)
def test_floats(x: float, rust: str) -> None:
    assert display_f64(x) == rust


def test_tiny_and_huge_floats() -> None:
    assert display_f64(5e-324) == "0." + "0" * 323 + "5"
    assert display_f64(1.7976931348623157e308) == "17976931348623157" + "0" * 292


def test_other_values() -> None:
    assert display(True) == "true"
    assert display(False) == "false"
    assert display(40) == "40"
    assert display("x") == "x"
