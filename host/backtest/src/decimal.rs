//! Numbers with a fixed number of decimals, as `format!("{:.N}")` writes them, fast.
//!
//! A backtest's `trades.csv` writes three such numbers per fill, and std's exact formatting often
//! falls back to its bignum algorithm (Dragon4) for them: for a million-bar run with 39,000
//! fills that was the largest cost after the replay itself. Scaling by 10^N and rounding to an
//! integer gives the same digits whenever the scaled value is not within its rounding error of
//! a half; those few, and anything too large, NaN or infinite, go to std.

use std::fmt;

/// `value` with `places` decimals (at most [`Fixed::MAX_PLACES`]), written exactly as
/// `format!("{value:.places$}")` writes it.
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub f64, pub usize);

impl Fixed {
    /// The most decimals the fast path takes; more go to std.
    pub const MAX_PLACES: usize = 9;
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

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(value, places) = *self;
        match scaled(value, places) {
            Some(units) => write_units(f, value.is_sign_negative(), units, places),
            None => write!(f, "{value:.places$}"),
        }
    }
}

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

fn write_units(
    f: &mut fmt::Formatter<'_>,
    negative: bool,
    units: u64,
    places: usize,
) -> fmt::Result {
    // std writes the sign of any negative value, also one that rounds to zero (`-0.00`).
    if negative {
        f.write_str("-")?;
    }
    let unit = POW10[places];
    write!(f, "{}", units / unit)?;
    if places > 0 {
        write!(f, ".{:0places$}", units % unit)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: f64, places: usize) {
        assert_eq!(
            Fixed(value, places).to_string(),
            format!("{value:.places$}"),
            "{value:e} with {places} places"
        );
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
