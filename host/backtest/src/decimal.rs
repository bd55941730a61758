//! Numbers written into a byte buffer as `format!` would write them, fast: integers, and
//! numbers with a fixed number of decimals (`format!("{:.N}")`).
//!
//! A backtest's `trades.csv` writes several per fill, and std's exact formatting often falls
//! back to its bignum algorithm (Dragon4) for fixed decimals: for a million-bar run with 39,000
//! fills, that and the formatting machinery were the largest cost after the replay itself.
//! Scaling by 10^N and rounding to an integer gives the same digits whenever the scaled value
//! is not within its rounding error of a half; those few, and anything too large, NaN or
//! infinite, go to std.

use std::io::Write as _;

/// `value` with `places` decimals, written exactly as `format!("{value:.places$}")` writes it.
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub f64, pub usize);

impl Fixed {
    /// The most decimals the fast path takes; more go to std.
    pub const MAX_PLACES: usize = 9;

    /// Appends the text to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        let Self(value, places) = self;
        match scaled(value, places) {
            Some(units) => {
                // std writes the sign of any negative value, also one that rounds to zero
                // (`-0.00`).
                if value.is_sign_negative() {
                    out.push(b'-');
                }
                let unit = POW10[places];
                push_uint(out, units / unit);
                if places > 0 {
                    out.push(b'.');
                    // Exactly `places` digits, leading zeros included.
                    let mut fraction = units % unit;
                    let start = out.len();
                    out.resize(start + places, b'0');
                    for digit in out[start..].iter_mut().rev() {
                        *digit = b'0' + (fraction % 10) as u8;
                        fraction /= 10;
                    }
                }
            }
            // Writing into a Vec cannot fail.
            None => drop(write!(out, "{value:.places$}")),
        }
    }
}

/// Appends `n` in decimal, as `format!("{n}")` writes it.
pub fn push_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Powers of ten, exact as f64 and u64.
const POW10: [u64; Fixed::MAX_PLACES + 1] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// Scaled values from here on may have no exact integer neighbours: std decides.
const MAX_SCALED: f64 = (1u64 << 52) as f64;

/// `|value| × 10^places` rounded to the nearest integer, when that is certainly the rounding
/// of the exact product (which is what std rounds).
fn scaled(value: f64, places: usize) -> Option<u64> {
    if places > Fixed::MAX_PLACES || !value.is_finite() {
        return None;
    }
    let scaled = value.abs() * POW10[places] as f64;
    if scaled >= MAX_SCALED {
        return None;
    }
    // One multiplication by an exact power of ten: the product is within half an ulp of the
    // exact one, far less than this margin. Near a half, the exact product could be on either
    // side: std decides (and breaks exact ties its own way).
    let fraction = scaled - scaled.floor();
    let margin = scaled * 1e-15 + f64::MIN_POSITIVE;
    if (fraction - 0.5).abs() <= margin {
        return None;
    }
    // Below 2^52, a non-negative value's rounding fits and converts exactly.
    Some(scaled.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: f64, places: usize) {
        let mut out = b"x".to_vec();
        Fixed(value, places).write_to(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("x{value:.places$}"),
            "{value:e} with {places} places"
        );
    }

    #[test]
    fn integers_as_std_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            push_uint(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn writes_what_std_writes() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1.5,
            2.5,
            0.125,
            0.375,
            -0.001,
            -0.005,
            0.005,
            0.015,
            1.005,
            100.6499,
            100.64995,
            96.4596,
            99.99995,
            1e-300,
            -1e-300,
            123_456_789.123_456,
            4.5e15,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for value in specials {
            for places in 0..=12 {
                check(value, places);
            }
        }
    }

    #[test]
    fn writes_what_std_writes_for_prices_and_amounts() {
        // A deterministic spread of prices and P&L amounts, with many values on or near a
        // half at 2 and 4 places.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let bits = next();
            let magnitude = [1e-3, 1.0, 100.0, 1e4, 1e7][(bits % 5) as usize];
            let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if bits & 4 == 0 { 1.0 } else { -1.0 };
            let value = sign * unit * magnitude;
            // And the same value snapped to a half of the last place, the hard case.
            let places = (bits >> 3) as usize % 7;
            let step = 10f64.powi(places as i32);
            let half = ((value * step).trunc() + 0.5) / step;
            for v in [value, half] {
                check(v, places);
            }
        }
    }
}
