//! What IB's error and notice codes mean for the connection. Pure: the trading loop decides
//! what to do with the class.

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
