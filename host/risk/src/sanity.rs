//! Values no order may have, whatever the limits: oversized strings, zero or absurd
//! quantities, and limit prices that are not finite positive numbers.

use sandtrade_core::{
    Action, OrderType, REASON_MAX_BYTES, RejectCode, Rejection, SYMBOL_MAX_BYTES, SignalRequest,
};

/// Checks the sizes of a signal's strings, before anything reads them: a symbol longer than
/// any real one, or a reason longer than a sentence, is refused whole (neither is cut and
/// kept).
///
/// # Errors
///
/// `unknown-symbol` for a symbol over [`SYMBOL_MAX_BYTES`]; `unavailable` for a reason over
/// [`REASON_MAX_BYTES`] (no code names it better; the message does).
pub fn check_sizes(signal: &SignalRequest) -> Result<(), Rejection> {
    if signal.symbol.len() > SYMBOL_MAX_BYTES {
        return Err(Rejection::new(
            RejectCode::UnknownSymbol,
            format!(
                "the symbol is {} bytes; a symbol is at most {SYMBOL_MAX_BYTES}",
                signal.symbol.len()
            ),
        ));
    }
    if signal.reason.len() > REASON_MAX_BYTES {
        return Err(Rejection::new(
            RejectCode::Unavailable,
            format!(
                "the reason is {} bytes; a reason is at most {REASON_MAX_BYTES}",
                signal.reason.len()
            ),
        ));
    }
    Ok(())
}

/// Largest quantity any signal may ask for: a guard against garbage such as `u32::MAX`, far
/// above any real order (10 million shares). Real caps belong in `[limits]`.
pub const MAX_SIGNAL_QUANTITY: u32 = 10_000_000;

/// Checks the quantity a signal asks for. `close-long` ignores its quantity (it sells the
/// whole position), so any value is accepted for it.
///
/// # Errors
///
/// `invalid-quantity` for 0 or more than [`MAX_SIGNAL_QUANTITY`].
pub fn check_quantity(action: Action, quantity: u32, symbol: &str) -> Result<(), Rejection> {
    if action == Action::CloseLong {
        return Ok(());
    }
    if quantity == 0 {
        return Err(Rejection::new(
            RejectCode::InvalidQuantity,
            format!("{action} of 0 {symbol}: quantity must be at least 1"),
        ));
    }
    if quantity > MAX_SIGNAL_QUANTITY {
        return Err(Rejection::new(
            RejectCode::InvalidQuantity,
            format!(
                "{action} of {quantity} {symbol}: quantity exceeds the absolute cap \
                 {MAX_SIGNAL_QUANTITY}"
            ),
        ));
    }
    Ok(())
}

/// Checks a limit price: finite and greater than zero. Market orders always pass.
///
/// # Errors
///
/// `invalid-price` quoting the price (`NaN`, `inf`, `-1`, `0`).
pub fn check_limit_price(
    order_type: OrderType,
    action: Action,
    symbol: &str,
) -> Result<(), Rejection> {
    match order_type {
        OrderType::Limit(price) if !(price.is_finite() && price > 0.0) => Err(Rejection::new(
            RejectCode::InvalidPrice,
            format!(
                "{action} {symbol} with limit price {price}: a limit price must be a finite number > 0"
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_strings_are_refused_with_their_size() {
        let signal = |symbol: &str, reason: &str| SignalRequest {
            action: Action::OpenLong,
            symbol: symbol.to_owned(),
            quantity: 1,
            order_type: OrderType::Market,
            reason: reason.to_owned(),
        };
        assert!(check_sizes(&signal("AAPL", &"r".repeat(REASON_MAX_BYTES))).is_ok());
        let long_symbol = check_sizes(&signal(&"X".repeat(10_000), "")).unwrap_err();
        assert_eq!(long_symbol.code, RejectCode::UnknownSymbol);
        assert_eq!(
            long_symbol.message,
            "the symbol is 10000 bytes; a symbol is at most 32"
        );
        let long_reason = check_sizes(&signal("AAPL", &"r".repeat(1025))).unwrap_err();
        assert_eq!(long_reason.code, RejectCode::Unavailable);
        assert_eq!(
            long_reason.message,
            "the reason is 1025 bytes; a reason is at most 1024"
        );
    }

    #[test]
    fn zero_quantity_is_invalid_except_for_close_long() {
        assert_eq!(
            check_quantity(Action::OpenLong, 0, "AAPL"),
            Err(Rejection::new(
                RejectCode::InvalidQuantity,
                "open-long of 0 AAPL: quantity must be at least 1"
            ))
        );
        assert_eq!(
            check_quantity(Action::ReduceLong, 0, "AAPL")
                .unwrap_err()
                .code,
            RejectCode::InvalidQuantity
        );
        assert_eq!(check_quantity(Action::CloseLong, 0, "AAPL"), Ok(()));
        assert_eq!(check_quantity(Action::CloseLong, u32::MAX, "AAPL"), Ok(()));
    }

    #[test]
    fn quantity_above_the_cap_is_invalid() {
        assert_eq!(
            check_quantity(Action::AddLong, MAX_SIGNAL_QUANTITY, "AAPL"),
            Ok(())
        );
        assert_eq!(
            check_quantity(Action::AddLong, u32::MAX, "AAPL"),
            Err(Rejection::new(
                RejectCode::InvalidQuantity,
                "add-long of 4294967295 AAPL: quantity exceeds the absolute cap 10000000"
            ))
        );
    }

    #[test]
    fn limit_prices_must_be_finite_and_positive() {
        for (price, shown) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.0, "0"),
            (-0.0, "-0"),
            (-1.5, "-1.5"),
        ] {
            assert_eq!(
                check_limit_price(OrderType::Limit(price), Action::OpenLong, "AAPL"),
                Err(Rejection::new(
                    RejectCode::InvalidPrice,
                    format!(
                        "open-long AAPL with limit price {shown}: a limit price must be a finite number > 0"
                    )
                ))
            );
        }
        assert_eq!(
            check_limit_price(OrderType::Limit(0.01), Action::OpenLong, "AAPL"),
            Ok(())
        );
        assert_eq!(
            check_limit_price(OrderType::Market, Action::OpenLong, "AAPL"),
            Ok(())
        );
    }
}
