//! What IB's error and notice codes mean for the connection and for the orders they name. Pure:
//! the trading loop decides what to do with the class.

use sandtrade_orders::NoticeEnd;

/// The kind of an IB notice (message 4: `error(reqId, code, text)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeClass {
    /// 1100: IB ↔ TWS connectivity lost. TWS stays up; orders cannot reach IB until restored.
    ConnectivityLost,
    /// 1101: restored, market data subscriptions lost: resubscribe.
    RestoredDataLost,
    /// 1102: restored, subscriptions kept.
    RestoredDataMaintained,
    /// 2103, 2105, 2157: a data farm is broken (market, historical, security definitions).
    FarmBroken {
        /// The farm named at the end of the message (`usfarm`).
        farm: String,
    },
    /// 2104, 2106, 2158: a data farm is OK (also sent at every connect).
    FarmOk {
        /// The farm.
        farm: String,
    },
    /// 2107, 2108, 2119: a farm is inactive or connecting; it works on demand.
    FarmIdle {
        /// The farm.
        farm: String,
    },
    /// 326: this client id is in use by another connection.
    ClientIdInUse,
    /// 502, 504: not connected / could not connect.
    NotConnected,
    /// 100 (more than 50 messages per second) and 162 with a pacing text: slow down.
    Pacing,
    /// 200–299 on an order id: IB refused or cancelled an order (201 rejected, 202 cancelled,
    /// 203 not allowed, 10148 already final, ...).
    Order,
    /// 2100–2199 not listed above: warnings that change nothing.
    Warning,
    /// Anything else: logged.
    Other,
}

/// Codes of an order-scoped notice (its request id is the order's id) after which IB never
/// works the order, whether or not a status follows: the order was refused. IB's documented
/// meanings: 103 duplicate order id, 107 incomplete order, 109 price outside the percentage
/// band, 110 price off the minimum tick, 111 time in force and order type incompatible, 113 MOC
/// or LOC not a day order, 200 no security definition, 201 order rejected, 203 security not
/// available to the account, 321 error validating request, 434 order size zero, 10006 missing
/// parent order.
const REFUSING: [i32; 12] = [
    103, 107, 109, 110, 111, 113, 200, 201, 203, 321, 434, 10_006,
];

/// How an order-scoped notice with `code` ends the order it names, if it does: IB answers some
/// refusals with the error alone (no `Inactive` status follows), so the order must be settled
/// from the notice or it would stay `sending` forever. 202 (cancelled) ends it cancelled.
pub fn ends_order(code: i32) -> Option<NoticeEnd> {
    match code {
        202 => Some(NoticeEnd::Cancelled),
        _ if REFUSING.contains(&code) => Some(NoticeEnd::Rejected),
        _ => None,
    }
}

/// IB's codes for market data the account may not have live: real-time bars or ticks of a
/// contract whose exchange the account has no (API) subscription for. IB's texts:
///
/// - 354: "Requested market data is not subscribed." (often followed by "Delayed market data
///   is available."): the request is refused.
/// - 10089: "Requested market data requires additional subscription for API. … Delayed market
///   data is available.": the request stands, but no live data comes.
/// - 10167: "Requested market data is not subscribed. Displaying delayed market data.": delayed
///   data comes instead (after `reqMarketDataType` 3 or 4).
/// - 10168: "Requested market data is not subscribed. Delayed market data is not enabled.": the
///   request is refused, and delayed data is not enabled for the account either.
pub const NO_LIVE_DATA: [i32; 4] = [354, 10_089, 10_167, 10_168];

/// Whether `code` says that live market data of the contract is not available to the account
/// (one of [`NO_LIVE_DATA`]).
pub fn refuses_live_data(code: i32) -> bool {
    NO_LIVE_DATA.contains(&code)
}

/// Whether IB says, with a refusal of live data, that delayed data cannot be had either (10168).
pub fn delayed_disabled(code: i32) -> bool {
    code == 10_168
}

/// Classifies `code` with its `message` (the farm name comes from the message).
pub fn classify(code: i32, message: &str) -> NoticeClass {
    let farm = || {
        message
            .rsplit_once(':')
            .map_or(String::new(), |(_, farm)| farm.trim().to_owned())
    };
    match code {
        1100 => NoticeClass::ConnectivityLost,
        1101 => NoticeClass::RestoredDataLost,
        1102 => NoticeClass::RestoredDataMaintained,
        2103 | 2105 | 2157 => NoticeClass::FarmBroken { farm: farm() },
        2104 | 2106 | 2158 => NoticeClass::FarmOk { farm: farm() },
        2107 | 2108 | 2119 => NoticeClass::FarmIdle { farm: farm() },
        326 => NoticeClass::ClientIdInUse,
        502 | 504 => NoticeClass::NotConnected,
        100 => NoticeClass::Pacing,
        162 if message.to_ascii_lowercase().contains("pacing") => NoticeClass::Pacing,
        200..=299 | 10147..=10149 => NoticeClass::Order,
        2100..=2199 => NoticeClass::Warning,
        _ => NoticeClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_codes() {
        assert_eq!(classify(1100, "lost"), NoticeClass::ConnectivityLost);
        assert_eq!(classify(1101, ""), NoticeClass::RestoredDataLost);
        assert_eq!(classify(1102, ""), NoticeClass::RestoredDataMaintained);
        assert_eq!(classify(326, ""), NoticeClass::ClientIdInUse);
        assert_eq!(classify(504, "Not connected"), NoticeClass::NotConnected);
    }

    #[test]
    fn farms_are_named_from_the_message() {
        assert_eq!(
            classify(2104, "Market data farm connection is OK:usfarm"),
            NoticeClass::FarmOk {
                farm: "usfarm".into()
            }
        );
        assert_eq!(
            classify(2105, "HMDS data farm connection is broken:ushmds"),
            NoticeClass::FarmBroken {
                farm: "ushmds".into()
            }
        );
        assert_eq!(
            classify(2158, "Sec-def data farm connection is OK:secdefnj"),
            NoticeClass::FarmOk {
                farm: "secdefnj".into()
            }
        );
    }

    #[test]
    fn notices_that_end_an_order() {
        assert_eq!(ends_order(201), Some(NoticeEnd::Rejected));
        assert_eq!(ends_order(110), Some(NoticeEnd::Rejected));
        assert_eq!(ends_order(200), Some(NoticeEnd::Rejected));
        assert_eq!(ends_order(321), Some(NoticeEnd::Rejected));
        assert_eq!(ends_order(202), Some(NoticeEnd::Cancelled));
        // Warnings, cancel-request answers and held orders leave the order working.
        for code in [399, 404, 161, 10_147, 10_148, 2_109, 1_100] {
            assert_eq!(ends_order(code), None, "{code}");
        }
    }

    #[test]
    fn codes_that_refuse_live_market_data() {
        for code in [354, 10_089, 10_167, 10_168] {
            assert!(refuses_live_data(code), "{code}");
        }
        // Farm notices, pacing, a missing contract and a cancelled request are not refusals.
        for code in [2104, 2106, 162, 200, 300, 420, 10_090, 10_197] {
            assert!(!refuses_live_data(code), "{code}");
        }
        assert!(delayed_disabled(10_168));
        assert!(!delayed_disabled(354) && !delayed_disabled(10_167));
    }

    #[test]
    fn orders_pacing_and_the_rest() {
        assert_eq!(classify(201, "Order rejected"), NoticeClass::Order);
        assert_eq!(classify(202, "Order Canceled"), NoticeClass::Order);
        assert_eq!(classify(10148, "already final"), NoticeClass::Order);
        assert_eq!(classify(100, "Max rate"), NoticeClass::Pacing);
        assert_eq!(
            classify(
                162,
                "Historical Market Data Service error message:Historical data request pacing violation"
            ),
            NoticeClass::Pacing
        );
        assert_eq!(classify(162, "query returned no data"), NoticeClass::Other);
        assert_eq!(classify(2137, "cross side warning"), NoticeClass::Warning);
        assert_eq!(classify(399, "held until RTH"), NoticeClass::Other);
    }
}
