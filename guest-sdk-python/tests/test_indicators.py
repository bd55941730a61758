"""The indicators: hand-computed values, published worked examples, the NaN rules, and the
Rust SDK's own outputs, bit for bit."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable

import pytest

from sandtrade.indicators import Ema, RollingHigh, RollingLow, Rsi, Sma

NAN = float("nan")
_MASK = 2**64 - 1


def walk(n: int, nan_every: int = 0) -> list[float]:
    """The deterministic xorshift random walk of the Rust tests (`rust_reference.rs`), every
    `nan_every`-th value a NaN (0: none)."""
    s = 0x9E3779B97F4A7C15
    price = 100.0
    out = []
    for i in range(n):
        s ^= (s << 13) & _MASK
        s ^= s >> 7
        s ^= (s << 17) & _MASK
        price += float(s % 2001) / 1000.0 - 1.0
        out.append(NAN if nan_every and i % nan_every == nan_every - 1 else price)
    return out


def feed(xs: Iterable[float], update: Callable[[float], float | None]) -> list[float | None]:
    return [update(x) for x in xs]


def cents(x: float) -> float:
    """Rounds to cents, as published reference tables are."""
    return round(x * 100.0) / 100.0


def left_sum(xs: Iterable[float]) -> float:
    total = 0.0
    for x in xs:
        total += x
    return total


def fingerprint(outputs: Iterable[float | None]) -> int:
    """FNV-1a over the outputs' bits, as `rust_reference.rs` computes it."""
    h = 0xCBF29CE484222325
    for output in outputs:
        data = b"\xff" if output is None else struct.pack("<d", output)
        for byte in data:
            h ^= byte
            h = (h * 0x100000001B3) & _MASK
    return h


# --- Hand-computed and published values -----------------------------------------------------


def test_sma_known_values() -> None:
    sma = Sma(3)
    out = feed([1.0, 2.0, 3.0, 4.0, 5.0, 9.0], sma.update)
    assert out == [None, None, 2.0, 3.0, 4.0, 6.0]
    assert sma.value() == 6.0
    assert sma.is_ready()
    assert sma.period == 3
    sma.reset()
    assert sma.value() is None


def test_sma_matches_brute_force() -> None:
    xs = walk(500)
    sma = Sma(7)
    for i, x in enumerate(xs):
        got = sma.update(x)
        if i + 1 < 7:
            assert got is None
        else:
            want = left_sum(xs[i + 1 - 7 : i + 1]) / 7.0
            assert got is not None and abs(got - want) <= 1e-9, (i, got, want)


def test_sma_running_sum_is_re_added_every_period() -> None:
    # 10 values warm it up; each of the next 1,000,000 slides the window, and every 10th
    # re-adds the sum from the window: after the last one it is the fresh sum, bit for bit.
    xs = walk(1_000_010)
    sma = Sma(10)
    last = None
    for x in xs:
        last = sma.update(x)
    assert sma._slides == 0
    assert last == left_sum(xs[-10:]) / 10.0


def test_sma_takes_ints() -> None:
    sma = Sma(2)
    assert feed([1, 2, 4], sma.update) == [None, 1.5, 3.0]


def test_ema_worked_example_to_the_cent() -> None:
    # The 10-period EMA worked example from StockCharts ("Moving Averages - Simple and
    # Exponential"). Its table says 23.54 for the 14th value: it rounds intermediate values;
    # unrounded the value is 23.5335..., 23.53 to the cent.
    prices = [
        22.27, 22.19, 22.08, 22.17, 22.18, 22.13, 22.23, 22.43, 22.24, 22.29, 22.15, 22.39,
        22.38, 22.61, 23.36, 24.05, 23.75, 23.83, 23.95, 23.63, 23.82, 23.87, 23.65, 23.19,
        23.10, 23.33, 22.68, 23.10, 22.40, 22.17,
    ]  # fmt: skip
    want = [
        22.22, 22.21, 22.24, 22.27, 22.33, 22.52, 22.80, 22.97, 23.13, 23.28, 23.34, 23.43,
        23.51, 23.53, 23.47, 23.40, 23.39, 23.26, 23.23, 23.08, 22.92,
    ]  # fmt: skip
    ema = Ema(10)
    out = feed(prices, ema.update)
    assert out[:9] == [None] * 9
    assert [cents(v) for v in out[9:] if v is not None] == want
    # The same digits as the Rust SDK's test.
    assert out[22] == 23.533519922826255


def test_ema_small_exact() -> None:
    ema = Ema(3)  # alpha 0.5, seeded with mean(1, 2, 3) = 2
    assert ema.alpha == 0.5
    assert feed([1.0, 2.0, 3.0, 4.0, 6.0], ema.update) == [None, None, 2.0, 3.0, 4.5]
    ema.reset()
    assert not ema.is_ready()


def test_rsi_wilder_worked_example_to_the_cent() -> None:
    # The 14-period worked example from Wilder / StockCharts ("Relative Strength Index").
    prices = [
        44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433,
        46.0826, 45.8931, 46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116,
        46.2222, 45.6439, 46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288,
        44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314,
    ]  # fmt: skip
    want = [
        70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42,
        39.99, 41.46, 41.87, 45.46, 37.30, 33.08, 37.77,
    ]  # fmt: skip
    rsi = Rsi(14)
    out = feed(prices, rsi.update)
    assert out[:14] == [None] * 14, "needs 15 prices"
    assert [cents(v) for v in out[14:] if v is not None] == want


def test_rsi_wilder_smoothing_exact() -> None:
    # Changes +2, -1 (the seed: avg gain 1, avg loss 0.5, RS 2), then +2 (gain 1.5, loss 0.25,
    # RS 6), then 0 (gain 0.75, loss 0.125, RS 6).
    def rsi_of(rs: float) -> float:
        return 100.0 - 100.0 / (1.0 + rs)

    rsi = Rsi(2)
    out = feed([10.0, 12.0, 11.0, 13.0, 13.0], rsi.update)
    assert out == [None, None, rsi_of(2.0), rsi_of(6.0), rsi_of(6.0)]


def test_rsi_edges() -> None:
    up = Rsi(3)
    assert feed([1.0, 2.0, 3.0, 4.0, 5.0], up.update) == [None, None, None, 100.0, 100.0]
    down = Rsi(2)
    assert feed([5.0, 4.0, 3.0], down.update) == [None, None, 0.0]
    flat = Rsi(2)
    feed([7.0, 7.0, 7.0], flat.update)
    assert flat.value() == 50.0
    # period 1: gain 2, loss 0 -> 100; then loss 1 -> avg gain 0, avg loss 1 -> 0.
    one = Rsi(1)
    assert feed([1.0, 3.0, 2.0], one.update) == [None, 100.0, 0.0]
    one.reset()
    assert one.value() is None and one.update(5.0) is None


def test_rolling_extremes_known_values() -> None:
    hi, lo = RollingHigh(3), RollingLow(3)
    xs = [5.0, 1.0, 3.0, 2.0, 4.0, 4.0, 0.0, 6.0]
    assert feed(xs, hi.update) == [None, None, 5.0, 3.0, 4.0, 4.0, 4.0, 6.0]
    assert feed(xs, lo.update) == [None, None, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0]
    assert hi.window == 3
    assert hi.is_ready()
    hi.reset()
    assert hi.value() is None


@pytest.mark.parametrize("window", [1, 2, 5, 64])
def test_rolling_extremes_match_brute_force(window: int) -> None:
    xs = walk(2_000)
    hi, lo = RollingHigh(window), RollingLow(window)
    for i, x in enumerate(xs):
        high, low = hi.update(x), lo.update(x)
        if i + 1 < window:
            assert (high, low) == (None, None)
            continue
        assert high == max(xs[i + 1 - window : i + 1])
        assert low == min(xs[i + 1 - window : i + 1])


def test_rolling_deque_stays_bounded() -> None:
    # Monotonically decreasing input is the worst case for a rolling max deque.
    hi = RollingHigh(10)
    for i in range(10_000):
        hi.update(-float(i))
        assert len(hi._deque) <= 10
    assert hi.value() == -9_990.0


# --- NaN rules (see the module's documentation) ---------------------------------------------


def test_sma_recovers_once_a_nan_left_the_window() -> None:
    sma = Sma(2)
    out = feed([1.0, NAN, 3.0, 5.0, 7.0], sma.update)
    assert out[0] is None
    assert math.isnan(out[1]) and math.isnan(out[2])  # type: ignore[arg-type]
    assert out[3:] == [4.0, 6.0]


def test_ema_stays_nan_until_reset() -> None:
    ema = Ema(2)
    out = feed([1.0, 3.0, NAN, 5.0, 7.0], ema.update)
    assert out[:2] == [None, 2.0]
    assert all(math.isnan(v) for v in out[2:])  # type: ignore[arg-type]
    ema.reset()
    assert feed([1.0, 3.0], ema.update) == [None, 2.0]


def test_rsi_treats_a_nan_price_as_no_change() -> None:
    with_nan, flat = Rsi(2), Rsi(2)
    a = feed([10.0, 12.0, NAN, 9.0], with_nan.update)
    b = feed([10.0, 12.0, 12.0, 12.0], flat.update)
    assert a == b
    assert a[3] == 100.0


def test_rolling_extremes_skip_nan() -> None:
    hi, lo = RollingHigh(3), RollingLow(3)
    xs = [10.0, NAN, 5.0, NAN, NAN, NAN, 2.0]
    assert feed(xs, hi.update) == [None, None, 10.0, 5.0, 5.0, None, 2.0]
    assert feed(xs, lo.update) == [None, None, 5.0, 5.0, 5.0, None, 2.0]


@pytest.mark.parametrize("make", [Sma, Ema, Rsi, RollingHigh, RollingLow])
def test_a_zero_period_is_refused(make: Callable[[int], object]) -> None:
    with pytest.raises(ValueError, match="period must be at least 1"):
        make(0)
    with pytest.raises(TypeError, match="period must be an int"):
        make(2.0)  # type: ignore[arg-type]


# --- The Rust SDK's outputs, bit for bit ----------------------------------------------------

# Fingerprints of every output of the Rust SDK's indicators on the same inputs, printed by
# `rust_reference.rs` (see how to run it there): a 200,000-value walk, and a 20,000-value walk
# with every 997th value a NaN.
RUST = {
    ("clean", "sma", 1): 0x3C5D1A30ECE69B1F,
    ("clean", "ema", 1): 0x3C5D1A30ECE69B1F,
    ("clean", "rsi", 1): 0xF34B3D601EC7E7CF,
    ("clean", "high", 1): 0x3C5D1A30ECE69B1F,
    ("clean", "low", 1): 0x3C5D1A30ECE69B1F,
    ("clean", "sma", 2): 0x2553201A92AD08FC,
    ("clean", "ema", 2): 0x0BBA4FFD16CCE904,
    ("clean", "rsi", 2): 0xF9742B5CC7353C1C,
    ("clean", "high", 2): 0xD5DD6E6A58B28010,
    ("clean", "low", 2): 0x745D12D78217C072,
    ("clean", "sma", 7): 0x4023D335F3448345,
    ("clean", "ema", 7): 0x01CE33B636B7B1EE,
    ("clean", "rsi", 7): 0x40B291A61362E179,
    ("clean", "high", 7): 0x1F1A3DD0341DCB66,
    ("clean", "low", 7): 0x770DAEE89FFC3FA0,
    ("clean", "sma", 10): 0x272E236C736E1378,
    ("clean", "ema", 10): 0x498CE2754A24B06A,
    ("clean", "rsi", 10): 0x1637F0B46C259082,
    ("clean", "high", 10): 0xA9E7F3EDFE7062A1,
    ("clean", "low", 10): 0x88A2D726DBBD591F,
    ("clean", "sma", 30): 0x19224FC8274E4DE0,
    ("clean", "ema", 30): 0xE3C0B728579D0769,
    ("clean", "rsi", 30): 0x8269927474534D04,
    ("clean", "high", 30): 0xA987720B3EDEB02F,
    ("clean", "low", 30): 0xCA0A34C3B85AC9BB,
    ("clean", "sma", 200): 0x49F734D420375CCF,
    ("clean", "ema", 200): 0x24F9454CD8D42975,
    ("clean", "rsi", 200): 0x8400A89FABB2D9A0,
    ("clean", "high", 200): 0x21DE369B8FFACBD8,
    ("clean", "low", 200): 0x6E07B222D61B701C,
    ("nan", "sma", 1): 0xB4FB486964BAF693,
    ("nan", "ema", 1): 0xD0F07F92449E0528,
    ("nan", "rsi", 1): 0x6AB1AA6F5A7B604E,
    ("nan", "high", 1): 0x16A1C7B956F51CAF,
    ("nan", "low", 1): 0x16A1C7B956F51CAF,
    ("nan", "sma", 2): 0xFF97EEB17B1DA07A,
    ("nan", "ema", 2): 0xFC9B96D0CB72D077,
    ("nan", "rsi", 2): 0x49B309C3C21D5EDE,
    ("nan", "high", 2): 0x313E7C6A77C3BF35,
    ("nan", "low", 2): 0x70071FB7227E642C,
    ("nan", "sma", 7): 0x8FAD6F954DA70D99,
    ("nan", "ema", 7): 0x9956DB646FE04BD3,
    ("nan", "rsi", 7): 0x4FCF9C87E189F2BB,
    ("nan", "high", 7): 0xC5A7434CBA800868,
    ("nan", "low", 7): 0xEB77EC4A8DD87364,
    ("nan", "sma", 10): 0x47D12581FD5CC4DD,
    ("nan", "ema", 10): 0x4ACB2F237D45CC98,
    ("nan", "rsi", 10): 0xF8C337EED7D4EB17,
    ("nan", "high", 10): 0xE503C254FA362B7B,
    ("nan", "low", 10): 0xE81E84A5DEE367C0,
    ("nan", "sma", 30): 0x0E96618EEEFF2EF0,
    ("nan", "ema", 30): 0x2E29874AA88D50C3,
    ("nan", "rsi", 30): 0x07D39C8C13AD7FA0,
    ("nan", "high", 30): 0x9F16DF5860929982,
    ("nan", "low", 30): 0xD0AABF18C56CA8E8,
    ("nan", "sma", 200): 0x76AD13BA90211B80,
    ("nan", "ema", 200): 0x6C11BC3EC5107391,
    ("nan", "rsi", 200): 0x3B5C1CCCD52CC879,
    ("nan", "high", 200): 0xA7CFC20FBDF672EB,
    ("nan", "low", 200): 0x6DCB1A8E1A201169,
}

_MAKE: dict[str, Callable[[int], Sma | Ema | Rsi | RollingHigh | RollingLow]] = {
    "sma": Sma,
    "ema": Ema,
    "rsi": Rsi,
    "high": RollingHigh,
    "low": RollingLow,
}
_INPUTS = {"clean": lambda: walk(200_000), "nan": lambda: walk(20_000, 997)}


@pytest.mark.parametrize("label", ["clean", "nan"])
def test_outputs_match_the_rust_sdk_bit_for_bit(label: str) -> None:
    xs = _INPUTS[label]()
    mismatches = []
    for (input_label, name, period), want in RUST.items():
        if input_label != label:
            continue
        indicator = _MAKE[name](period)
        got = fingerprint(indicator.update(x) for x in xs)
        if got != want:
            mismatches.append(f"{name}({period}): 0x{got:016x} != 0x{want:016x}")
    assert not mismatches, mismatches
