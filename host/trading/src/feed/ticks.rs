//! Bars from ticks: when IB refuses a contract's real-time bars and the fallback subscribes to
//! its delayed (or frozen) ticks instead, [`TickBars`] turns the trades they report into the
//! five-second bars the aggregators take, on the grid of IB's real-time bars (`[5k, 5k+5)`
//! seconds since the epoch), so every strategy's bar size keeps working.
//!
//! - A trade is a last price with its size (tick 68 with 71 delayed, 4 with 5 live); a size
//!   alone repeats the last price. IB sends the trade's time after it (tick 88 delayed, 45
//!   live, epoch seconds): the trade is placed in the bucket of that time.
//! - A bucket is complete when the first trade of a later one arrives (ticks say nothing of a
//!   bucket's end), so a five-second bar comes one trade late, and a quiet market delivers the
//!   bar when it trades again. A bucket with no trade is no bar.
//! - The first bucket after the subscription is dropped: it may have begun before it.
//! - Volume is the sum of the sizes of the trades reported.
//! - The source is what IB says the ticks are (its `marketDataType` message for the
//!   subscription): delayed (3) or frozen (2, 4); live (1) if IB serves live data after all.

use ibapi::contracts::tick_types::TickType;
use ibapi::market_data::MarketDataType;
use ibapi::market_data::realtime::TickTypes;
use sandtrade_broker::bars::REALTIME_BAR_SECONDS;
use sandtrade_core::Bar;
use sandtrade_runtime::bindings::DataSource;

/// What a tick means to the bar builder.
#[derive(Debug, Clone, PartialEq)]
pub enum Tick {
    /// A last trade: its price and size.
    Trade {
        /// Price.
        price: f64,
        /// Shares (0 when IB sent the price alone).
        size: f64,
    },
    /// The size of a trade at the last price.
    Size(f64),
    /// The time of the last trade, epoch seconds.
    Time(i64),
    /// What IB says the subscription's data is.
    DataType(MarketDataType),
}

/// What `tick` means to the bar builder (`None`: nothing; bids, asks, the day's figures).
pub fn read(tick: &TickTypes) -> Option<Tick> {
    let usable_price = |p: f64| (p.is_finite() && p > 0.0).then_some(p);
    let usable_size = |s: f64| if s.is_finite() && s > 0.0 { s } else { 0.0 };
    match tick {
        TickTypes::PriceSize(t) if is_last(&t.price_tick_type) => Some(Tick::Trade {
            price: usable_price(t.price)?,
            size: usable_size(t.size),
        }),
        TickTypes::Price(t) if is_last(&t.tick_type) => Some(Tick::Trade {
            price: usable_price(t.price)?,
            size: 0.0,
        }),
        TickTypes::Size(t)
            if matches!(t.tick_type, TickType::LastSize | TickType::DelayedLastSize) =>
        {
            Some(Tick::Size(usable_size(t.size)))
        }
        TickTypes::String(t)
            if matches!(
                t.tick_type,
                TickType::LastTimestamp | TickType::DelayedLastTimestamp
            ) =>
        {
            t.value.trim().parse().ok().map(Tick::Time)
        }
        TickTypes::MarketDataType(t) => Some(Tick::DataType(*t)),
        _ => None,
    }
}

fn is_last(tick_type: &TickType) -> bool {
    matches!(tick_type, TickType::Last | TickType::DelayedLast)
}

/// The bar source of IB's market data type.
pub fn source_of(data_type: MarketDataType) -> DataSource {
    match data_type {
        MarketDataType::Realtime => DataSource::Live,
        MarketDataType::Frozen | MarketDataType::DelayedFrozen => DataSource::Frozen,
        MarketDataType::Delayed | MarketDataType::Unknown => DataSource::Delayed,
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    bar: Bar,
    /// Whether it began after the subscription did (else it may lack its first trades).
    whole: bool,
}

/// Five-second bars from one subscription's ticks.
#[derive(Debug, Clone)]
pub struct TickBars {
    data_type: MarketDataType,
    last_price: Option<f64>,
    /// A trade reported whose time has not come yet.
    pending: Option<(f64, f64)>,
    /// The time of the last trade, epoch seconds.
    time: Option<i64>,
    bucket: Option<Bucket>,
}

impl TickBars {
    /// A builder for a subscription that asked for `asked` (its source until IB says what it
    /// sends).
    pub fn new(asked: MarketDataType) -> Self {
        Self {
            data_type: asked,
            last_price: None,
            pending: None,
            time: None,
            bucket: None,
        }
    }

    /// The source of the bars it builds now.
    pub fn source(&self) -> DataSource {
        source_of(self.data_type)
    }

    /// Takes one tick; returns the five-second bar it completes, if it does.
    pub fn push(&mut self, tick: Tick) -> Option<Bar> {
        match tick {
            Tick::DataType(data_type) => {
                self.data_type = data_type;
                None
            }
            Tick::Trade { price, size } => {
                let done = self.commit_pending();
                self.last_price = Some(price);
                self.pending = Some((price, size));
                done
            }
            Tick::Size(size) => {
                let price = self.last_price?;
                let done = self.commit_pending();
                self.pending = Some((price, size));
                done
            }
            Tick::Time(at) => {
                // A time older than the last one (a correction, a repeat) times nothing.
                if self.time.is_some_and(|t| at < t) {
                    return None;
                }
                self.time = Some(at);
                self.commit_pending()
            }
        }
    }

    /// Places the pending trade at the last trade time (a trade before any time is dropped).
    fn commit_pending(&mut self) -> Option<Bar> {
        let (price, size) = self.pending.take()?;
        let at = self.time?;
        self.trade(price, size, at)
    }

    fn trade(&mut self, price: f64, size: f64, at: i64) -> Option<Bar> {
        let seconds = i64::from(REALTIME_BAR_SECONDS);
        let start_ms = (at - at.rem_euclid(seconds)) * 1000;
        let fresh = |whole| Bucket {
            bar: Bar {
                start_ms,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: size,
            },
            whole,
        };
        match &mut self.bucket {
            Some(bucket) if start_ms < bucket.bar.start_ms => None,
            Some(bucket) if start_ms == bucket.bar.start_ms => {
                let bar = &mut bucket.bar;
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += size;
                None
            }
            Some(bucket) => {
                let done = bucket.whole.then_some(bucket.bar);
                *bucket = fresh(true);
                done
            }
            None => {
                self.bucket = Some(fresh(false));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ibapi::market_data::realtime::{
        TickAttribute, TickPrice, TickPriceSize, TickSize, TickString,
    };

    use super::*;

    fn delayed_trade(price: f64, size: f64) -> TickTypes {
        TickTypes::PriceSize(TickPriceSize {
            price_tick_type: TickType::DelayedLast,
            price,
            attributes: TickAttribute::default(),
            size_tick_type: TickType::DelayedLastSize,
            size,
        })
    }

    fn delayed_time(at: i64) -> TickTypes {
        TickTypes::String(TickString {
            tick_type: TickType::DelayedLastTimestamp,
            value: at.to_string(),
        })
    }

    /// Feeds `ticks` (read as IB's client hands them over); the bars completed.
    fn feed(bars: &mut TickBars, ticks: &[TickTypes]) -> Vec<Bar> {
        ticks
            .iter()
            .filter_map(read)
            .filter_map(|t| bars.push(t))
            .collect()
    }

    /// One trade a second from `from` (inclusive) to `to` (exclusive), price = the second.
    fn every_second(from: i64, to: i64) -> Vec<TickTypes> {
        (from..to)
            .flat_map(|s| [delayed_trade(s as f64, 10.0), delayed_time(s)])
            .collect()
    }

    #[test]
    fn delayed_ticks_are_read_and_others_ignored() {
        assert_eq!(
            read(&delayed_trade(190.5, 100.0)),
            Some(Tick::Trade {
                price: 190.5,
                size: 100.0
            })
        );
        assert_eq!(
            read(&delayed_time(1_700_000_000)),
            Some(Tick::Time(1_700_000_000))
        );
        assert_eq!(
            read(&TickTypes::MarketDataType(MarketDataType::Delayed)),
            Some(Tick::DataType(MarketDataType::Delayed))
        );
        assert_eq!(
            read(&TickTypes::Size(TickSize {
                tick_type: TickType::DelayedLastSize,
                size: 300.0
            })),
            Some(Tick::Size(300.0))
        );
        // Live last ticks are trades too (IB serves live data when it has it).
        assert_eq!(
            read(&TickTypes::Price(TickPrice {
                tick_type: TickType::Last,
                price: 10.0,
                attributes: TickAttribute::default()
            })),
            Some(Tick::Trade {
                price: 10.0,
                size: 0.0
            })
        );
        // Bids, asks, the day's volume, "no price" (-1) and an unreadable time are nothing.
        let bid = TickTypes::PriceSize(TickPriceSize {
            price_tick_type: TickType::DelayedBid,
            price: 190.0,
            attributes: TickAttribute::default(),
            size_tick_type: TickType::DelayedBidSize,
            size: 100.0,
        });
        let volume = TickTypes::Size(TickSize {
            tick_type: TickType::DelayedVolume,
            size: 1e6,
        });
        let garbled = TickTypes::String(TickString {
            tick_type: TickType::DelayedLastTimestamp,
            value: "soon".into(),
        });
        for tick in [bid, volume, delayed_trade(-1.0, 0.0), garbled] {
            assert_eq!(read(&tick), None, "{tick:?}");
        }
    }

    #[test]
    fn trades_become_five_second_bars_on_ibs_grid() {
        let mut bars = TickBars::new(MarketDataType::Delayed);
        // Subscribed at second 102: the bucket 100..105 may lack trades and is dropped.
        let done = feed(&mut bars, &every_second(102, 110));
        assert_eq!(
            done,
            [],
            "105..110 is complete only when a later trade comes"
        );
        let done = feed(&mut bars, &every_second(110, 111));
        assert_eq!(
            done,
            [Bar {
                start_ms: 105_000,
                open: 105.0,
                high: 109.0,
                low: 105.0,
                close: 109.0,
                volume: 50.0,
            }]
        );
        assert_eq!(bars.source(), DataSource::Delayed);
    }

    #[test]
    fn the_time_follows_the_trade_and_sizes_alone_repeat_the_price() {
        let mut bars = TickBars::new(MarketDataType::Delayed);
        let size = |size| {
            TickTypes::Size(TickSize {
                tick_type: TickType::DelayedLastSize,
                size,
            })
        };
        let ticks = [
            delayed_trade(10.0, 1.0),
            delayed_time(99),
            // 100..105: a trade, a second trade at the same price (size alone), a third.
            delayed_trade(11.0, 2.0),
            delayed_time(100),
            size(3.0),
            delayed_time(101),
            delayed_trade(9.0, 4.0),
            delayed_time(104),
            // 105: completes 100..105.
            delayed_trade(12.0, 5.0),
            delayed_time(105),
        ];
        assert_eq!(
            feed(&mut bars, &ticks),
            [Bar {
                start_ms: 100_000,
                open: 11.0,
                high: 11.0,
                low: 9.0,
                close: 9.0,
                volume: 9.0,
            }]
        );
    }

    #[test]
    fn a_gap_an_old_time_and_a_trade_before_any_time() {
        let mut bars = TickBars::new(MarketDataType::DelayedFrozen);
        // A trade before any time is dropped; a size before any price is nothing.
        assert_eq!(bars.push(Tick::Size(5.0)), None);
        assert_eq!(feed(&mut bars, &[delayed_trade(1.0, 1.0)]), []);
        let mut ticks = every_second(200, 206);
        // 205..210 has one trade; then nothing until 230 (a quiet market): 205 completes at 230.
        ticks.extend([delayed_trade(7.0, 1.0), delayed_time(230)]);
        let done = feed(&mut bars, &ticks);
        assert_eq!(done.len(), 1);
        assert_eq!(
            (done[0].start_ms, done[0].close, done[0].volume),
            (205_000, 205.0, 10.0)
        );
        // A time older than the last trade's places nothing.
        assert_eq!(
            feed(&mut bars, &[delayed_trade(8.0, 1.0), delayed_time(229)]),
            []
        );
        assert_eq!(
            bars.source(),
            DataSource::Frozen,
            "what was asked, until IB says"
        );
        let said = feed(
            &mut bars,
            &[TickTypes::MarketDataType(MarketDataType::Delayed)],
        );
        assert_eq!(said, []);
        assert_eq!(bars.source(), DataSource::Delayed, "what IB says it sends");
    }

    #[test]
    fn sources_of_ibs_market_data_types() {
        assert_eq!(source_of(MarketDataType::Realtime), DataSource::Live);
        assert_eq!(source_of(MarketDataType::Delayed), DataSource::Delayed);
        assert_eq!(source_of(MarketDataType::Frozen), DataSource::Frozen);
        assert_eq!(source_of(MarketDataType::DelayedFrozen), DataSource::Frozen);
    }
}
