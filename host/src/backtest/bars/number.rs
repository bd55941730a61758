//! Decimal numbers of a bar file, parsed fast.
//!
//! Prices and volumes are almost always short plain decimals (`185.12`, `12345`). Those take the
//! exact fast path of Clinger's algorithm: the digits as an integer `m < 2^53` and a power of
//! ten `10^k` with `k <= 22` are both exact doubles, so `m / 10^k` is one correctly rounded
//! division, the same value `str::parse::<f64>` gives. Anything else (exponents, long digit
//! strings, `NaN`, `inf`, signs) goes to `str::parse::<f64>` itself.

/// `10^k` for `k <= 22`: every one is exactly representable as an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest integer below which every integer is an exact `f64`.
const EXACT_INT_LIMIT: u64 = 1 << 53;

/// Parses a decimal number, exactly as `str::parse::<f64>` would. `None` if it is not one.
pub fn parse_f64(field: &[u8]) -> Option<f64> {
    fast_decimal(field).or_else(|| std::str::from_utf8(field).ok()?.parse().ok())
}

/// `digits[.digits]` with at most 19 digits in all, or `None` to fall back.
#[inline]
fn fast_decimal(field: &[u8]) -> Option<f64> {
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut fraction_digits = 0usize;
    let mut seen_point = false;
    for &b in field {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
                digits += 1;
                fraction_digits += usize::from(seen_point);
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    // 19 digits cannot overflow a u64; the limit and POW10 bound keep the division exact.
    if digits == 0 || digits > 19 || mantissa >= EXACT_INT_LIMIT || fraction_digits >= POW10.len() {
        return None;
    }
    // u64 below 2^53 → f64 is exact.
    Some(mantissa as f64 / POW10[fraction_digits])
}

/// Parses an optionally negative decimal integer that fits an `i64`.
pub fn parse_i64(field: &[u8]) -> Option<i64> {
    let (negative, digits) = match field.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, field),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut value: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i64::from(d))?;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_decimals() {
        assert_eq!(parse_f64(b"185.12"), Some(185.12));
        assert_eq!(parse_f64(b"12345"), Some(12345.0));
        assert_eq!(parse_f64(b"0.001"), Some(0.001));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"7."), Some(7.0));
    }

    #[test]
    fn other_forms_fall_back_to_std() {
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"-2.5"), Some(-2.5));
        assert_eq!(parse_f64(b"+2.5"), Some(2.5));
        assert_eq!(
            parse_f64(b"123456789012345678901234.5"),
            Some(123_456_789_012_345_678_901_234.5)
        );
        assert!(parse_f64(b"NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_f64(b"inf"), Some(f64::INFINITY));
    }

    #[test]
    fn garbage_is_none() {
        for bad in [&b""[..], b".", b"1.2.3", b"12a", b" 1", b"1,5", b"\xff"] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn integers() {
        assert_eq!(parse_i64(b"1704205800000"), Some(1_704_205_800_000));
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-",
            b"9223372036854775808",
            b"12a",
            b"1.0",
            b"+5",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    proptest! {
        /// The fast path agrees with std bit for bit.
        #[test]
        fn same_as_std(int in 0u64..10_000_000_000, frac in "[0-9]{0,9}") {
            let text = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
            let expected: f64 = text.parse().unwrap();
            prop_assert_eq!(parse_f64(text.as_bytes()).map(f64::to_bits), Some(expected.to_bits()));
        }

        #[test]
        fn any_float_round_trips(x in proptest::num::f64::POSITIVE | proptest::num::f64::NORMAL) {
            let text = x.to_string();
            prop_assert_eq!(parse_f64(text.as_bytes()).map(f64::to_bits), Some(x.to_bits()));
        }
    }
}
