//! Between IB's types (the `ibapi` crate) and the host's: contracts and orders going out,
//! statuses, executions, commissions and bars coming in. Pure conversions; a value IB sent
//! that cannot be represented is an `Err` with the reason, never a guess.

use ibapi::contracts::Contract;
use ibapi::orders::{
    Action as IbAction, CommissionReport as IbCommission, Execution as IbExecution, ExecutionSide,
    Order, OrderStatusKind,
};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use sandtrade_core::Instrument;
use sandtrade_core::{OrderType, Side};
use sandtrade_orders::{CommissionReport, Execution, IbStatus, OutgoingOrder};

/// The IB stock contract of `instrument` (SMART/USD or SEHK/HKD).
pub fn contract(instrument: &Instrument) -> Contract {
    let builder = Contract::stock(instrument.symbol.as_str())
        .on_exchange(instrument.exchange)
        .in_currency(instrument.currency);
    match instrument.primary_exchange {
        Some(primary) => builder.primary(primary).build(),
        None => builder.build(),
    }
}

/// The IB order for `outgoing`: `orderRef` is the client order id, a day order in `account`.
pub fn order(outgoing: &OutgoingOrder, account: &str) -> Order {
    let action = match outgoing.side {
        Side::Buy => IbAction::Buy,
        Side::Sell => IbAction::Sell,
    };
    let quantity = f64::from(outgoing.quantity);
    let mut order = match outgoing.order_type {
        OrderType::Market => ibapi::orders::order_builder::market_order(action, quantity),
        OrderType::Limit(price) => {
            ibapi::orders::order_builder::limit_order(action, quantity, price)
        }
    };
    order.order_id = outgoing.ib.order_id;
    order.order_ref.clone_from(&outgoing.client_order_id);
    order.account = account.to_owned();
    order
}

/// IB's status kind as the store's [`IbStatus`]; `None` for a status string this build does
/// not know (logged by the caller, changes nothing).
pub fn status(kind: &OrderStatusKind) -> Option<IbStatus> {
    IbStatus::parse(kind.as_str())
}

/// An execution as the store records it.
///
/// # Errors
///
/// A share count that is not a positive whole number below 2³² (IB reports shares as a
/// float), with the values, for the operator.
pub fn execution(e: &IbExecution, received_ms: i64) -> Result<Execution, String> {
    let quantity = whole_shares(e.shares).ok_or_else(|| {
        format!(
            "execution {} reports {} shares: not a positive whole number",
            e.execution_id, e.shares
        )
    })?;
    Ok(Execution {
        exec_id: e.execution_id.clone(),
        order_ref: e.order_reference.clone(),
        perm_id: (e.perm_id != 0).then_some(e.perm_id),
        side: match e.side {
            ExecutionSide::Bought => Side::Buy,
            ExecutionSide::Sold => Side::Sell,
        },
        quantity,
        price: e.price,
        time_ms: execution_time_ms(&e.time).unwrap_or(received_ms),
    })
}

/// A commission report as the store records it.
pub fn commission(c: &IbCommission) -> CommissionReport {
    CommissionReport {
        exec_id: c.execution_id.clone(),
        commission: c.commission,
        currency: c.currency.clone(),
        realized_pnl: c.realized_pnl.filter(|p| p.is_finite() && p.abs() < 1e300),
    }
}

fn whole_shares(shares: f64) -> Option<u32> {
    (shares.is_finite() && shares >= 1.0 && shares.fract() == 0.0 && shares <= f64::from(u32::MAX))
        .then_some(shares as u32)
}

/// IB's execution time as ms since the epoch: `20250106-14:30:00` (UTC, as the protobuf
/// dialect sends it) or `20250106 14:30:00` with an optional ` UTC`/` GMT` suffix. `None` for
/// anything else (a local time zone name: the caller uses the time it received the report).
pub fn execution_time_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(8)?;
    let rest = rest.trim_start_matches(['-', ' ']);
    let (clock, zone) = match rest.split_once(' ') {
        Some((clock, zone)) => (clock, zone.trim()),
        None => (rest, ""),
    };
    if !matches!(zone, "" | "UTC" | "GMT") {
        return None;
    }
    let number = |s: &str| s.parse::<u32>().ok();
    let year = i32::try_from(number(&date[..4])?).ok()?;
    let month = Month::try_from(u8::try_from(number(&date[4..6])?).ok()?).ok()?;
    let day = u8::try_from(number(&date[6..8])?).ok()?;
    let mut parts = clock
        .split(':')
        .map(|p| number(p).and_then(|n| u8::try_from(n).ok()));
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    let at = PrimitiveDateTime::new(
        Date::from_calendar_date(year, month, day).ok()?,
        Time::from_hms(h, m, s).ok()?,
    )
    .assume_utc();
    Some(millis(at))
}

/// Milliseconds since the Unix epoch.
pub fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_core::normalize;
    use sandtrade_orders::{IbOrderId, SignalId};

    #[test]
    fn contracts_for_us_and_hk() {
        let aapl = contract(&normalize("AAPL").unwrap());
        assert_eq!(
            (
                aapl.symbol.to_string(),
                aapl.exchange.to_string(),
                aapl.currency.to_string()
            ),
            ("AAPL".into(), "SMART".into(), "USD".into())
        );
        let tencent = contract(&normalize("0700.HK").unwrap());
        assert_eq!(
            (
                tencent.symbol.to_string(),
                tencent.exchange.to_string(),
                tencent.currency.to_string()
            ),
            ("700".into(), "SEHK".into(), "HKD".into())
        );
    }

    #[test]
    fn orders_carry_the_client_order_id_and_account() {
        let outgoing = OutgoingOrder {
            signal_id: SignalId::from_u64(3),
            client_order_id: "st-abcdefgh-3".into(),
            ib: IbOrderId {
                client_id: 7,
                order_id: 42,
            },
            instrument: normalize("AAPL").unwrap(),
            side: Side::Sell,
            quantity: 25,
            order_type: OrderType::Limit(190.5),
        };
        let o = order(&outgoing, "DU1234567");
        assert_eq!(o.order_id, 42);
        assert_eq!(o.action, IbAction::Sell);
        assert_eq!(o.total_quantity, 25.0);
        assert_eq!((o.order_type.as_str(), o.limit_price), ("LMT", Some(190.5)));
        assert_eq!(o.order_ref, "st-abcdefgh-3");
        assert_eq!(o.account, "DU1234567");
        assert!(o.transmit);
    }

    #[test]
    fn execution_times() {
        assert_eq!(
            execution_time_ms("20250106-14:30:00"),
            Some(1_736_173_800_000)
        );
        assert_eq!(
            execution_time_ms("20250106 14:30:00"),
            Some(1_736_173_800_000)
        );
        assert_eq!(
            execution_time_ms("20250106 14:30:00 UTC"),
            Some(1_736_173_800_000)
        );
        assert_eq!(execution_time_ms("20250106 09:30:00 US/Eastern"), None);
        assert_eq!(execution_time_ms("2025"), None);
        assert_eq!(execution_time_ms("20251306-14:30:00"), None);
    }

    #[test]
    fn fractional_shares_are_refused() {
        let e = IbExecution {
            execution_id: "0001.01".into(),
            shares: 1.5,
            ..IbExecution::default()
        };
        assert_eq!(
            execution(&e, 0).unwrap_err(),
            "execution 0001.01 reports 1.5 shares: not a positive whole number"
        );
    }
}
