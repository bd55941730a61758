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
#[inline]
pub fn parse_f64(field: &[u8]) -> Option<f64> {
    match decimal_prefix(field) {
        Some((value, len)) if len == field.len() => Some(value),
        _ => parse_f64_std(field),
    }
}

/// The plain decimal (`digits[.digits]`, at most 19 digits) at the start of `bytes`, and its
/// length, if it takes the exact fast path. The caller checks what follows it: a number that
/// goes on (`1.5e3`) must be parsed whole by [`parse_f64`].
#[inline]
pub fn decimal_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    let (mantissa, integer_digits, fraction_digits, len) = scalar_decimal(bytes);
    let digits = integer_digits + fraction_digits;
    // 19 digits cannot overflow a u64; below 2^53 the integer is an exact f64, and so is 10^k
    // for k <= 19: one correctly rounded division.
    if digits == 0 || digits > 19 || mantissa >= EXACT_INT_LIMIT {
        return None;
    }
    let value = mantissa as f64;
    Some((
        if fraction_digits == 0 {
            value
        } else {
            value / POW10[fraction_digits]
        },
        len,
    ))
}

/// `(mantissa, integer digits, fraction digits, length)`. Byte by byte: measured faster here
/// than eight bytes at a time, as the digit loops of one file's numbers predict well.
#[inline]
fn scalar_decimal(bytes: &[u8]) -> (u64, usize, usize, usize) {
    let (mut mantissa, integer_digits) = scalar_digits(bytes, 0);
    let mut len = integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(len) == Some(&b'.') {
        (mantissa, fraction_digits) = scalar_digits(&bytes[len + 1..], mantissa);
        len += 1 + fraction_digits;
    }
    (mantissa, integer_digits, fraction_digits, len)
}

/// Appends the leading ASCII digits of `bytes` to `mantissa` (wrapping: the caller bounds the
/// digit count) and counts them.
#[inline]
fn scalar_digits(bytes: &[u8], mut mantissa: u64) -> (u64, usize) {
    let mut n = 0;
    for &b in bytes {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        n += 1;
    }
    (mantissa, n)
}

#[cold]
#[inline(never)]
fn parse_f64_std(field: &[u8]) -> Option<f64> {
    std::str::from_utf8(field).ok()?.parse().ok()
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
    fn prefixes_stop_where_the_plain_decimal_ends() {
        assert_eq!(decimal_prefix(b"185.12,1"), Some((185.12, 6)));
        assert_eq!(decimal_prefix(b"1.5e3"), Some((1.5, 3)));
        assert_eq!(decimal_prefix(b"7"), Some((7.0, 1)));
        assert_eq!(decimal_prefix(b",5"), None);
        assert_eq!(decimal_prefix(b"-5"), None);
        assert_eq!(decimal_prefix(b"12345678901234567890"), None);
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
        /// A decimal followed by anything is parsed up to its end, as std parses it.
        #[test]
        fn prefix_same_as_std(int in "[0-9]{0,9}", frac in proptest::option::of("[0-9]{0,9}"), tail in "[,a-z.0-9]{0,16}") {
            let text = match &frac { Some(f) => format!("{int}.{f}"), None => int.clone() };
            let row = format!("{text}{tail}");
            let scalar = scalar_decimal(row.as_bytes());
            if let Some((value, len)) = decimal_prefix(row.as_bytes()) {
                let expected: f64 = row[..len].parse().unwrap();
                prop_assert_eq!(value.to_bits(), expected.to_bits(), "{}", &row[..len]);
            } else {
                let (_, integer_digits, fraction_digits, _) = scalar;
                let digits = integer_digits + fraction_digits;
                prop_assert!(digits == 0 || digits > 15, "{} refused", row);
            }
        }

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
