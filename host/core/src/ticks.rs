//! Price ticks: the steps a limit price must sit on, and rounding to them.
//!
//! IB refuses a limit price off the contract's tick with error 110, and the order is lost to
//! that notice. The host rounds every limit price onto the tick before it is stored, always in
//! the strategy's favour: a buy's limit down, a sell's up, so the order never trades at a price
//! the strategy did not accept.
//!
//! - **Hong Kong (SEHK)**: the tick depends on the price band (the exchange's spread table).
//! - **US**: the contract's minimum tick from IB's contract details, where the host has it;
//!   otherwise Reg NMS's: one cent from $1, one hundredth of a cent below.

use crate::{Market, Side};

/// SEHK's minimum price step at a price, both in thousandths of a Hong Kong dollar: the
/// spread table for stocks, from 0.001 up to 0.25 to 5 above 5,000. A price on a band's upper
/// bound belongs to that band.
pub const fn sehk_tick_thousandths(price_milli: i64) -> i64 {
    match price_milli {
        i64::MIN..=250 => 1,
        251..=500 => 5,
        501..=10_000 => 10,
        10_001..=20_000 => 20,
        20_001..=100_000 => 50,
        100_001..=200_000 => 100,
        200_001..=500_000 => 200,
        500_001..=1_000_000 => 500,
        1_000_001..=2_000_000 => 1_000,
        2_000_001..=5_000_000 => 2_000,
        _ => 5_000,
    }
}

/// The SEHK tick for `price` (HKD).
pub fn sehk_tick(price: f64) -> f64 {
    sehk_tick_thousandths((price * 1000.0).round() as i64) as f64 / 1000.0
}

/// The Reg NMS tick for a US stock at `price`.
pub fn us_tick(price: f64) -> f64 {
    if price >= 1.0 { 0.01 } else { 0.0001 }
}

/// The tick for `price` in `market`; `min_tick` is IB's minimum tick for the contract, when
/// known (used for US stocks; SEHK's table already is the exchange's rule).
pub fn tick_size(market: Market, price: f64, min_tick: Option<f64>) -> f64 {
    match market {
        Market::HkStock => sehk_tick(price),
        Market::UsStock => match min_tick {
            Some(tick) if tick.is_finite() && tick > 0.0 => tick.max(us_tick(price)),
            _ => us_tick(price),
        },
    }
}

/// `price` on the tick of `market`, rounded in the favour of whoever trades on `side`: down for
/// a buy, up for a sell. A price already on the tick comes back unchanged (to within binary
/// noise, which is removed). A buy rounded down to nothing gets the smallest tick instead.
pub fn round_limit(market: Market, side: Side, price: f64, min_tick: Option<f64>) -> f64 {
    if !(price.is_finite() && price > 0.0) {
        return price;
    }
    let tick = tick_size(market, price, min_tick);
    let steps = price / tick;
    // A price on the tick may divide to 1999.9999999: within a millionth of a step is on it.
    let nearest = steps.round();
    let steps = if (steps - nearest).abs() < 1e-6 {
        nearest
    } else {
        match side {
            Side::Buy => steps.floor(),
            Side::Sell => steps.ceil(),
        }
    };
    let rounded = clean(steps * tick);
    if rounded > 0.0 { rounded } else { clean(tick) }
}

/// Removes binary noise (190.01999999 → 190.02), so prices print and compare cleanly.
fn clean(price: f64) -> f64 {
    (price * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sehk_spread_table() {
        for (price, tick) in [
            (0.01, 0.001),
            (0.25, 0.001),
            (0.255, 0.005),
            (0.5, 0.005),
            (9.99, 0.01),
            (10.0, 0.01),
            (10.02, 0.02),
            (99.95, 0.05),
            (150.0, 0.1),
            (388.2, 0.2),
            (500.0, 0.2),
            (600.5, 0.5),
            (1500.0, 1.0),
            (3000.0, 2.0),
            (9000.0, 5.0),
        ] {
            assert_eq!(sehk_tick(price), tick, "{price}");
        }
    }

    #[test]
    fn limits_round_in_the_traders_favour() {
        let hk = Market::HkStock;
        assert_eq!(round_limit(hk, Side::Buy, 388.3, None), 388.2);
        assert_eq!(round_limit(hk, Side::Sell, 388.3, None), 388.4);
        assert_eq!(round_limit(hk, Side::Buy, 388.4, None), 388.4);
        assert_eq!(round_limit(hk, Side::Sell, 4.123, None), 4.13);
        let us = Market::UsStock;
        assert_eq!(round_limit(us, Side::Buy, 190.057, None), 190.05);
        assert_eq!(round_limit(us, Side::Sell, 190.051, None), 190.06);
        assert_eq!(round_limit(us, Side::Buy, 190.02, None), 190.02);
        assert_eq!(round_limit(us, Side::Buy, 0.12345, None), 0.1234);
        // IB's minimum tick for the contract, when coarser, is the one used.
        assert_eq!(round_limit(us, Side::Buy, 190.07, Some(0.05)), 190.05);
        assert_eq!(round_limit(us, Side::Sell, 190.07, Some(0.05)), 190.1);
        // Nothing rounds to zero.
        assert_eq!(round_limit(hk, Side::Buy, 0.0004, None), 0.001);
    }

    #[test]
    fn prices_on_the_tick_are_unchanged() {
        for cents in 100..100_000_u32 {
            let price = f64::from(cents) / 100.0;
            assert_eq!(round_limit(Market::UsStock, Side::Buy, price, None), price);
            assert_eq!(round_limit(Market::UsStock, Side::Sell, price, None), price);
        }
    }
}
