"""Numbers written the way the Rust SDK writes them.

Log lines, signal descriptions and parameter errors are read by operators next to those of Rust
strategies, and the host stringifies sidecar params with Rust's rules, so the Python SDK prints
floats and booleans exactly as Rust's `Display` does: `12` rather than `12.0`, `0.0000001`
rather than `1e-07`, `NaN` rather than `nan`, `true` rather than `True`.
"""

from __future__ import annotations

import math


def display_f64(x: float) -> str:
    """`x` as Rust's `{}` writes an `f64`: the shortest digits that read back as `x`, never
    with an exponent, and without a trailing `.0` (`12.0` is `12`, `-0.0` is `-0`)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    # `repr` gives the shortest round-tripping digits, the same digits Rust picks; only the
    # layout differs (exponent, trailing `.0`).
    text = repr(float(x))
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    if "e" not in text:
        return sign + (text[:-2] if text.endswith(".0") else text)
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # The position of the decimal point counted from the left of `digits`.
    point = len(whole) + exponent
    if point <= 0:
        body = "0." + "0" * -point + digits
    elif point >= len(digits):
        body = digits + "0" * (point - len(digits))
    else:
        body = digits[:point] + "." + digits[point:]
    return sign + body


def display(value: object) -> str:
    """Any value as Rust's `Display` would write it: floats by :func:`display_f64`, booleans in
    lower case, everything else by `str`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return display_f64(value)
    return str(value)
