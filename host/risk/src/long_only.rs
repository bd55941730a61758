//! Long-only rules: a strategy buys into positions and sells only what it holds.
//!
//! | action        | accepted when                                   | quantity           |
//! |---------------|-------------------------------------------------|--------------------|
//! | `open-long`   | flat: held 0 **and** pending buys 0             | as asked           |
//! | `add-long`    | held > 0 **or** pending buys > 0                | as asked           |
//! | `reduce-long` | asked ≤ sellable (held − pending sells)         | as asked           |
//! | `close-long`  | sellable > 0                                    | the whole sellable |
//!
//! `open-long` and `add-long` are deliberately exclusive, so that a strategy that loses track of
//! its position (e.g. opens twice because the first fill has not arrived yet) is told so instead
//! of doubling up; `add-long` counts pending buys as holding, so a strategy may scale in before
//! its first order fills. A wrong buy action is `position-limit`; a sell beyond the sellable
//! shares, and a `close-long` with nothing to sell, is `short-not-allowed`.
//!
//! Invariant: if every order passes these rules and sells are booked as pending until they fill,
//! `pending_sells <= held` always, so no sequence of signals can sell short.

use sandtrade_core::Exposure;
use sandtrade_core::Instrument;
use sandtrade_core::{Action, RejectCode, Rejection};

/// Applies the long-only rules to `action` with the `requested` quantity and returns the
/// quantity to trade (for `close-long`, the whole sellable position).
///
/// `requested` is assumed already checked to be positive for every action but `close-long`.
///
/// # Errors
///
/// `position-limit` for a buy action that does not match the position, `short-not-allowed`
/// for a sell beyond `held - pending sells`.
pub fn resolve_quantity(
    action: Action,
    requested: u32,
    instrument: &Instrument,
    exposure: Exposure,
) -> Result<u32, Rejection> {
    let Exposure {
        held,
        pending_buys,
        pending_sells,
    } = exposure;
    match action {
        Action::OpenLong if exposure.is_flat() => Ok(requested),
        Action::OpenLong => Err(Rejection::new(
            RejectCode::PositionLimit,
            format!(
                "open-long of {requested} {instrument} needs a flat position, but held {held}, \
                 pending buys {pending_buys}; use add-long to buy more"
            ),
        )),
        Action::AddLong if !exposure.is_flat() => Ok(requested),
        Action::AddLong => Err(Rejection::new(
            RejectCode::PositionLimit,
            format!(
                "add-long of {requested} {instrument} needs a position held or being bought, but \
                 held 0, pending buys 0; use open-long to start one"
            ),
        )),
        Action::ReduceLong if requested <= exposure.sellable() => Ok(requested),
        Action::ReduceLong => Err(Rejection::new(
            RejectCode::ShortNotAllowed,
            format!(
                "sell of {requested} {instrument} exceeds held {held} - pending sells \
                 {pending_sells} = {}",
                exposure.sellable()
            ),
        )),
        Action::CloseLong => match exposure.sellable() {
            0 => Err(Rejection::new(
                RejectCode::ShortNotAllowed,
                format!(
                    "close-long of {instrument} has nothing to sell: held {held} - pending sells \
                     {pending_sells} = 0"
                ),
            )),
            sellable => Ok(sellable),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_core::normalize;

    fn exp(held: u32, pending_buys: u32, pending_sells: u32) -> Exposure {
        Exposure {
            held,
            pending_buys,
            pending_sells,
        }
    }

    fn resolve(action: Action, qty: u32, e: Exposure) -> Result<u32, Rejection> {
        resolve_quantity(action, qty, &normalize("AAPL").unwrap(), e)
    }

    #[test]
    fn open_long_only_when_flat() {
        assert_eq!(resolve(Action::OpenLong, 100, exp(0, 0, 0)), Ok(100));
        assert_eq!(
            resolve(Action::OpenLong, 100, exp(0, 50, 0)),
            Err(Rejection::new(
                RejectCode::PositionLimit,
                "open-long of 100 AAPL needs a flat position, but held 0, pending buys 50; use \
                 add-long to buy more"
            ))
        );
        assert_eq!(
            resolve(Action::OpenLong, 100, exp(10, 0, 10))
                .unwrap_err()
                .code,
            RejectCode::PositionLimit
        );
    }

    #[test]
    fn add_long_when_holding_or_buying() {
        assert_eq!(resolve(Action::AddLong, 30, exp(100, 0, 0)), Ok(30));
        assert_eq!(resolve(Action::AddLong, 30, exp(0, 100, 0)), Ok(30));
        assert_eq!(resolve(Action::AddLong, 30, exp(100, 0, 100)), Ok(30));
        assert_eq!(
            resolve(Action::AddLong, 30, exp(0, 0, 0)),
            Err(Rejection::new(
                RejectCode::PositionLimit,
                "add-long of 30 AAPL needs a position held or being bought, but held 0, pending \
                 buys 0; use open-long to start one"
            ))
        );
    }

    #[test]
    fn reduce_long_up_to_the_sellable_shares() {
        assert_eq!(resolve(Action::ReduceLong, 60, exp(100, 0, 40)), Ok(60));
        assert_eq!(
            resolve(Action::ReduceLong, 150, exp(100, 0, 0)),
            Err(Rejection::new(
                RejectCode::ShortNotAllowed,
                "sell of 150 AAPL exceeds held 100 - pending sells 0 = 100"
            ))
        );
        assert_eq!(
            resolve(Action::ReduceLong, 61, exp(100, 500, 40)),
            Err(Rejection::new(
                RejectCode::ShortNotAllowed,
                "sell of 61 AAPL exceeds held 100 - pending sells 40 = 60"
            ))
        );
    }

    #[test]
    fn close_long_sells_everything_sellable_whatever_was_asked() {
        assert_eq!(resolve(Action::CloseLong, 0, exp(100, 0, 30)), Ok(70));
        assert_eq!(resolve(Action::CloseLong, 5, exp(100, 0, 0)), Ok(100));
        assert_eq!(
            resolve(Action::CloseLong, 0, exp(100, 20, 100)),
            Err(Rejection::new(
                RejectCode::ShortNotAllowed,
                "close-long of AAPL has nothing to sell: held 100 - pending sells 100 = 0"
            ))
        );
        assert_eq!(
            resolve(Action::CloseLong, 0, exp(0, 100, 0))
                .unwrap_err()
                .code,
            RejectCode::ShortNotAllowed
        );
    }
}
