//! Between IB's types (the `ibapi` crate) and the host's: contracts and orders going out,
//! statuses, executions, commissions and bars coming in. Pure conversions; a value IB sent
//! that cannot be represented is an `Err` with the reason, never a guess.

use ibapi::contracts::{Contract, SecurityType};
use ibapi::orders::{
    Action as IbAction, CommissionReport as IbCommission, Execution as IbExecution, ExecutionSide,
    Order, OrderStatusKind, TimeInForce as IbTimeInForce,
};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use sandtrade_core::Instrument;
use sandtrade_core::{OrderType, Side, TimeInForce, Trail};
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

/// The IB order for `outgoing`: `orderRef` is the client order id, in `account`, with the
/// order type's prices in IB's fields (a stop's trigger in `auxPrice`, a trailing stop's
/// amount in `auxPrice` or its percent in `trailingPercent`, a trailing stop-limit's offset in
/// `lmtPriceOffset`) and its time in force.
pub fn order(outgoing: &OutgoingOrder, account: &str) -> Order {
    let action = match outgoing.side {
        Side::Buy => IbAction::Buy,
        Side::Sell => IbAction::Sell,
    };
    let mut order = Order {
        action,
        total_quantity: f64::from(outgoing.quantity),
        ..Order::default()
    };
    order.order_type = ib_order_type(outgoing.order_type).to_owned();
    order.limit_price = outgoing.order_type.limit_price();
    match outgoing.order_type {
        OrderType::Stop(trigger) | OrderType::StopLimit { trigger, .. } => {
            order.aux_price = Some(trigger);
        }
        OrderType::TrailingStop {
            trail,
            limit_offset,
        } => {
            match trail {
                Trail::Amount(amount) => order.aux_price = Some(amount),
                Trail::Percent(percent) => order.trailing_percent = Some(percent),
            }
            order.limit_price_offset = limit_offset;
        }
        _ => {}
    }
    order.tif = match outgoing.timing.tif {
        TimeInForce::Day => IbTimeInForce::Day,
        TimeInForce::Gtc => IbTimeInForce::GoodTillCanceled,
        TimeInForce::Ioc => IbTimeInForce::ImmediateOrCancel,
        TimeInForce::Opg => IbTimeInForce::OnOpen,
    };
    order.outside_rth = outgoing.timing.outside_rth;
    order.order_id = outgoing.ib.order_id;
    // A bracket: IB works an exit only once its parent has filled, and holds every order of
    // the bracket until the last one transmits them together.
    order.parent_id = outgoing.parent.unwrap_or(0);
    order.transmit = outgoing.transmit;
    order.order_ref.clone_from(&outgoing.client_order_id);
    order.account = account.to_owned();
    order
}

/// IB's name for an order type (`Order.orderType`).
pub const fn ib_order_type(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::Market => "MKT",
        OrderType::Limit(_) => "LMT",
        OrderType::Stop(_) => "STP",
        OrderType::StopLimit { .. } => "STP LMT",
        OrderType::TrailingStop {
            limit_offset: None, ..
        } => "TRAIL",
        OrderType::TrailingStop { .. } => "TRAIL LIMIT",
        OrderType::MarketOnClose => "MOC",
        OrderType::LimitOnClose(_) => "LOC",
    }
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
/// An execution id that is empty, longer than 64 bytes or not printable ASCII; a share count
/// that is not a positive whole number below 2³² (IB reports shares as a float); a price that
/// is not a positive finite number. The message names the values, for the operator.
pub fn execution(e: &IbExecution, received_ms: i64) -> Result<Execution, String> {
    if !usable_exec_id(&e.execution_id) {
        return Err(format!(
            "an execution carries an unusable execution id {:?}",
            Shown(&e.execution_id)
        ));
    }
    let quantity = whole_shares(e.shares).ok_or_else(|| {
        format!(
            "execution {} reports {} shares: not a positive whole number",
            e.execution_id, e.shares
        )
    })?;
    if !(e.price.is_finite() && e.price > 0.0) {
        return Err(format!(
            "execution {} reports a price of {}: not a positive number",
            e.execution_id, e.price
        ));
    }
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

/// A position IB reported, as the drift check counts it: `(contract symbol, shares)` for a
/// stock of `account`; `None` for another account's, or for any other kind of contract (an
/// option or a future on `AAPL` is reported with the symbol `AAPL` too, and must not
/// overwrite the stock's shares).
pub fn stock_position(p: &ibapi::accounts::Position, account: &str) -> Option<(String, f64)> {
    if p.account != account {
        return None;
    }
    if p.contract.security_type != SecurityType::Stock {
        tracing::debug!(
            symbol = p.contract.symbol.as_str(),
            con_id = p.contract.contract_id,
            kind = ?p.contract.security_type,
            "a position in a contract that is not a stock: not Sandtrade's, left out of drift"
        );
        return None;
    }
    Some((p.contract.symbol.to_string(), p.position))
}

/// A commission report as the store records it. IB's "no value" for realized P&L (a huge
/// number) and anything not finite become `None`.
///
/// # Errors
///
/// An unusable execution id (as for [`execution`]), a commission that is not a finite number,
/// or a currency that is not three ASCII letters.
pub fn commission(c: &IbCommission) -> Result<CommissionReport, String> {
    if !usable_exec_id(&c.execution_id) {
        return Err(format!(
            "a commission report carries an unusable execution id {:?}",
            Shown(&c.execution_id)
        ));
    }
    if !c.commission.is_finite() {
        return Err(format!(
            "the commission report of execution {} reports a commission of {}",
            c.execution_id, c.commission
        ));
    }
    let currency_ok = c.currency.is_empty()
        || (c.currency.len() == 3 && c.currency.bytes().all(|b| b.is_ascii_alphabetic()));
    if !currency_ok {
        return Err(format!(
            "the commission report of execution {} names an unusable currency {:?}",
            c.execution_id,
            Shown(&c.currency)
        ));
    }
    Ok(CommissionReport {
        exec_id: c.execution_id.clone(),
        commission: c.commission,
        currency: c.currency.clone(),
        realized_pnl: c.realized_pnl.filter(|p| p.is_finite() && p.abs() < 1e300),
    })
}

/// IB's execution ids look like `0000e0d5.6787a5e1.01.01`: an id the store can key on is
/// 1–64 printable ASCII bytes.
fn usable_exec_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// At most the first 64 characters of a field from IB, for a message about it: a hostile
/// peer's megabyte never reaches the log whole.
struct Shown<'a>(&'a str);

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut chars = self.0.char_indices();
        match chars.nth(64) {
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
            None => write!(f, "{:?}", self.0),
        }
    }
}

fn whole_shares(shares: f64) -> Option<u32> {
    (shares.is_finite() && shares >= 1.0 && shares.fract() == 0.0 && shares <= f64::from(u32::MAX))
        .then_some(shares as u32)
}

/// IB's execution time as ms since the epoch: `20250106-14:30:00` (UTC, as the protobuf
/// dialect sends it) or `20250106 14:30:00` with an optional ` UTC`/` GMT` suffix. `None` for
/// anything else (a local time zone name: the caller uses the time it received the report).
/// Never panics, whatever the peer sent: the slicing below is by byte offsets, so anything
/// but ASCII is refused first.
pub fn execution_time_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_ascii() {
        return None;
    }
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
            timing: sandtrade_core::Timing::DAY,
            parent: None,
            transmit: true,
        };
        let o = order(&outgoing, "DU1234567");
        assert_eq!((o.parent_id, o.transmit), (0, true));
        let child = order(
            &OutgoingOrder {
                parent: Some(41),
                transmit: false,
                ..outgoing.clone()
            },
            "DU1234567",
        );
        assert_eq!((child.parent_id, child.transmit), (41, false));
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
    fn only_the_accounts_stock_positions_count() {
        let position = |account: &str, kind: SecurityType| ibapi::accounts::Position {
            account: account.into(),
            contract: Contract {
                symbol: "AAPL".into(),
                security_type: kind,
                ..Contract::default()
            },
            position: 3.0,
            average_cost: 190.0,
        };
        assert_eq!(
            stock_position(&position("DU1", SecurityType::Stock), "DU1"),
            Some(("AAPL".to_owned(), 3.0))
        );
        assert_eq!(
            stock_position(&position("DU1", SecurityType::Option), "DU1"),
            None,
            "an AAPL option must not overwrite the AAPL stock position"
        );
        assert_eq!(
            stock_position(&position("DU2", SecurityType::Stock), "DU1"),
            None
        );
    }

    #[test]
    fn hostile_fields_are_refused_not_panicked_on() {
        // Each of these once reached a byte-offset slice or the store unchecked.
        for time in [
            "202\u{e9}0106-14:30:00",
            "2025\u{e9}106-14:30:00",
            "\u{1F600}\u{1F600}-14:30:00",
            "20250106-\u{e9}4:30:00",
            "",
            "        ",
            "20250106-14:30:00:00",
            "20250106-99:30:00",
        ] {
            assert_eq!(execution_time_ms(time), None, "{time:?}");
        }
        let good = IbExecution {
            execution_id: "0001.01".into(),
            shares: 10.0,
            price: 190.0,
            time: "202\u{e9}0106-14:30:00".into(),
            ..IbExecution::default()
        };
        // An unreadable time falls back to when the report was received.
        assert_eq!(execution(&good, 77).unwrap().time_ms, 77);
        for (id, price) in [
            ("", 190.0),
            ("id with spaces", 190.0),
            ("\u{e9}t\u{e9}", 190.0),
            ("0001.01", f64::NAN),
            ("0001.01", -1.0),
            ("0001.01", 0.0),
        ] {
            let e = IbExecution {
                execution_id: id.into(),
                price,
                ..good.clone()
            };
            assert!(execution(&e, 0).is_err(), "{id:?} at {price}");
        }
        let long = "x".repeat(1 << 20);
        let e = IbExecution {
            execution_id: long,
            ..good
        };
        let why = execution(&e, 0).unwrap_err();
        assert!(why.len() < 200, "{why}");

        let report = |id: &str, commission: f64, currency: &str| IbCommission {
            execution_id: id.into(),
            commission,
            currency: currency.into(),
            realized_pnl: Some(f64::MAX),
            ..IbCommission::default()
        };
        let ok = commission(&report("0001.01", 1.0, "USD")).unwrap();
        assert_eq!(ok.realized_pnl, None);
        assert!(commission(&report("0001.01", f64::INFINITY, "USD")).is_err());
        assert!(commission(&report("0001.01", 1.0, "U\u{e9}D")).is_err());
        assert!(commission(&report("", 1.0, "USD")).is_err());
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
