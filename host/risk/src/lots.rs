//! HK board lots: an HK order must be a whole number of its stock's board lot. The table
//! itself ([`LotTable`]) is configuration and lives with the vocabulary.

use sandtrade_core::{Instrument, LotTable, RejectCode, Rejection};

/// Checks that `quantity` shares of `instrument` is a whole number of board lots.
///
/// # Errors
///
/// `lot-size` if the quantity is not a multiple of the lot, or if an HK stock has no lot
/// configured.
pub fn check(lots: &LotTable, instrument: &Instrument, quantity: u32) -> Result<(), Rejection> {
    let Some(lot) = lots.lot_size(instrument) else {
        return Err(Rejection::new(
            RejectCode::LotSize,
            format!(
                "no board lot configured for HK stock {0}; add its lot (HKEX lists it per \
                 stock) to the config: [lots] \"{0}.HK\" = <shares per lot>",
                instrument.symbol
            ),
        ));
    };
    if !quantity.is_multiple_of(lot) {
        return Err(Rejection::new(
            RejectCode::LotSize,
            format!(
                "quantity {quantity} of {} is not a multiple of the board lot {lot}",
                instrument.symbol
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use sandtrade_core::normalize;

    use super::*;

    fn inst(raw: &str) -> Instrument {
        normalize(raw).unwrap()
    }

    #[test]
    fn us_lot_is_one() {
        assert_eq!(check(&LotTable::empty(), &inst("AAPL"), 37), Ok(()));
    }

    #[test]
    fn hk_multiple_of_lot_is_accepted() {
        let t = LotTable::builtin();
        assert_eq!(check(&t, &inst("0700.HK"), 100), Ok(()));
        assert_eq!(check(&t, &inst("700"), 300), Ok(()));
        assert_eq!(check(&t, &inst("5"), 800), Ok(()));
    }

    #[test]
    fn hk_odd_lot_is_lot_size() {
        let r = check(&LotTable::builtin(), &inst("0700.HK"), 150).unwrap_err();
        assert_eq!(
            r,
            Rejection::new(
                RejectCode::LotSize,
                "quantity 150 of 700 is not a multiple of the board lot 100"
            )
        );
    }

    #[test]
    fn hk_without_lot_is_lot_size() {
        let r = check(&LotTable::builtin(), &inst("1234.HK"), 100).unwrap_err();
        assert_eq!(
            r,
            Rejection::new(
                RejectCode::LotSize,
                "no board lot configured for HK stock 1234; add its lot (HKEX lists it per \
                 stock) to the config: [lots] \"1234.HK\" = <shares per lot>"
            )
        );
    }

    proptest! {
        #[test]
        fn check_accepts_exactly_the_multiples(lot in 1u32..5_000, qty in 0u32..1_000_000) {
            let mut t = LotTable::empty();
            t.extend([("1234", i64::from(lot))]).unwrap();
            let ok = check(&t, &inst("1234"), qty).is_ok();
            prop_assert_eq!(ok, qty % lot == 0);
        }
    }
}
