//! Amounts of money as answers show them: rounded to the currency's minor unit, so that a
//! P&L summed from fills reads `-80.0`, not `-79.99999999999545`. Only what is shown is
//! rounded; the ledger keeps full precision (rounding every fill would drift).
//!
//! Every currency traded here (USD, HKD) has cents. Use the serde helpers on answer fields:
//!
//! ```
//! #[derive(serde::Serialize)]
//! struct Line {
//!     #[serde(serialize_with = "sandtrade_core::money::cents")]
//!     realized_pnl: f64,
//! }
//! let json = serde_json::to_string(&Line { realized_pnl: -79.99999999999545 }).unwrap();
//! assert_eq!(json, r#"{"realized_pnl":-80.0}"#);
//! ```

use serde::Serializer;

/// `amount` rounded to cents (half away from zero). Not finite stays as it is.
pub fn round_cents(amount: f64) -> f64 {
    if !amount.is_finite() {
        return amount;
    }
    let rounded = (amount * 100.0).round() / 100.0;
    // No "-0.0" in answers.
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Serializes an amount rounded to cents.
///
/// # Errors
///
/// The serializer's.
pub fn cents<S: Serializer>(amount: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(round_cents(*amount))
}

/// Serializes an optional amount rounded to cents.
///
/// # Errors
///
/// The serializer's.
pub fn cents_opt<S: Serializer>(amount: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(amount) => serializer.serialize_some(&round_cents(*amount)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_to_cents() {
        assert_eq!(round_cents(-79.99999999999545), -80.0);
        assert_eq!(round_cents(1.005000001), 1.01);
        assert_eq!(round_cents(-0.001), 0.0);
        assert!(round_cents(-0.001).is_sign_positive());
        assert!(round_cents(f64::NAN).is_nan());
    }
}
