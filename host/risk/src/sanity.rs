//! Values no order may have, whatever the limits: oversized strings, zero or absurd
//! quantities, prices that are not finite positive numbers, and order types with a time in
//! force IB does not take for them.

use sandtrade_core::{
    Action, OrderType, REASON_MAX_BYTES, RejectCode, Rejection, SYMBOL_MAX_BYTES, SignalRequest,
    TimeInForce, Timing,
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

/// Checks an order's prices: each finite and greater than zero (a trailing stop-limit's limit
/// offset may be zero; a trailing percent is below 100). Market orders always pass.
///
/// # Errors
///
/// `invalid-price` naming the price and quoting it (`NaN`, `inf`, `-1`, `0`).
pub fn check_prices(order_type: OrderType, action: Action, symbol: &str) -> Result<(), Rejection> {
    for (field, price) in order_type.prices() {
        if !field.accepts(price) {
            let name = field.name();
            return Err(Rejection::new(
                RejectCode::InvalidPrice,
                format!(
                    "{action} {symbol} with {name} {price}: a {name} must be {}",
                    field.rule()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that the order type and its timing go together, as IB requires: the closing
/// auction takes day orders in regular hours only, the opening auction (`opg`) and `ioc` take
/// market and limit orders, and a market order cannot work outside regular hours.
///
/// # Errors
///
/// `invalid-order` naming the combination.
pub fn check_timing(
    order_type: OrderType,
    timing: Timing,
    action: Action,
    symbol: &str,
) -> Result<(), Rejection> {
    let refuse = |why: &str| {
        Err(Rejection::new(
            RejectCode::InvalidOrder,
            format!(
                "{action} {symbol} as {} {}: {why}",
                order_type.name(),
                timing
            ),
        ))
    };
    let market_or_limit = matches!(order_type, OrderType::Market | OrderType::Limit(_));
    if order_type.is_on_close() && timing != Timing::DAY {
        return refuse("an on-close order is a day order in regular hours");
    }
    match timing.tif {
        TimeInForce::Opg | TimeInForce::Ioc if !market_or_limit => {
            return refuse("opg and ioc take market and limit orders only");
        }
        _ => {}
    }
    if timing.outside_rth && matches!(order_type, OrderType::Market) {
        return refuse("a market order works in regular hours only; use a limit outside them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_core::Trail;

    #[test]
    fn oversized_strings_are_refused_with_their_size() {
        let signal = |symbol: &str, reason: &str| SignalRequest {
            action: Action::OpenLong,
            symbol: symbol.to_owned(),
            quantity: 1,
            order_type: OrderType::Market,
            timing: Timing::DAY,
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
                check_prices(OrderType::Limit(price), Action::OpenLong, "AAPL"),
                Err(Rejection::new(
                    RejectCode::InvalidPrice,
                    format!(
                        "open-long AAPL with limit price {shown}: a limit price must be a finite number > 0"
                    )
                ))
            );
        }
        assert_eq!(
            check_prices(OrderType::Limit(0.01), Action::OpenLong, "AAPL"),
            Ok(())
        );
        assert_eq!(
            check_prices(OrderType::Market, Action::OpenLong, "AAPL"),
            Ok(())
        );
    }

    #[test]
    fn every_price_of_a_protective_order_is_checked_by_name() {
        let refused = |order_type| {
            check_prices(order_type, Action::ReduceLong, "AAPL")
                .unwrap_err()
                .message
        };
        assert_eq!(
            refused(OrderType::StopLimit {
                trigger: 95.0,
                limit: f64::NAN
            }),
            "reduce-long AAPL with limit price NaN: a limit price must be a finite number > 0"
        );
        assert_eq!(
            refused(OrderType::Stop(-1.0)),
            "reduce-long AAPL with stop price -1: a stop price must be a finite number > 0"
        );
        assert_eq!(
            refused(OrderType::TrailingStop {
                trail: Trail::Percent(100.0),
                limit_offset: None
            }),
            "reduce-long AAPL with trailing percent 100: a trailing percent must be a finite \
             number > 0 and < 100"
        );
        assert_eq!(
            refused(OrderType::TrailingStop {
                trail: Trail::Amount(1.0),
                limit_offset: Some(-0.5)
            }),
            "reduce-long AAPL with limit offset -0.5: a limit offset must be a finite number >= 0"
        );
        let zero_offset = OrderType::TrailingStop {
            trail: Trail::Amount(1.0),
            limit_offset: Some(0.0),
        };
        assert_eq!(
            check_prices(zero_offset, Action::ReduceLong, "AAPL"),
            Ok(())
        );
    }

    #[test]
    fn timing_must_suit_the_order_type() {
        let timing = |tif, outside_rth| Timing { tif, outside_rth };
        let check = |order_type, t| check_timing(order_type, t, Action::ReduceLong, "AAPL");
        let gtc = timing(TimeInForce::Gtc, false);
        assert_eq!(check(OrderType::Stop(95.0), gtc), Ok(()));
        assert_eq!(
            check(OrderType::Stop(95.0), timing(TimeInForce::Gtc, true)),
            Ok(())
        );
        assert_eq!(
            check(OrderType::MarketOnClose, gtc).unwrap_err().message,
            "reduce-long AAPL as market-on-close gtc: an on-close order is a day order in \
             regular hours"
        );
        let opg_stop = check(OrderType::Stop(95.0), timing(TimeInForce::Opg, false));
        assert_eq!(opg_stop.unwrap_err().code, RejectCode::InvalidOrder);
        assert_eq!(
            check(OrderType::Limit(1.0), timing(TimeInForce::Ioc, false)),
            Ok(())
        );
        assert_eq!(
            check(OrderType::Market, timing(TimeInForce::Day, true))
                .unwrap_err()
                .message,
            "reduce-long AAPL as market day outside-rth: a market order works in regular hours \
             only; use a limit outside them"
        );
    }
}
