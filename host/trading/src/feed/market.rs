//! Live market data: one real-time-bar subscription per contract the strategies need, and
//! the aggregators that turn its five-second bars into each strategy's bar size.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ibapi::market_data::realtime::Bar as RtBar;
use ibapi::subscriptions::{Subscription, SubscriptionItem};
use tokio_stream::{StreamExt, StreamMap};

use sandtrade_broker::bars::{Aggregator, REALTIME_BAR_SECONDS};
use sandtrade_broker::wire::millis;
use sandtrade_core::Bar;
use sandtrade_core::Instrument;
use sandtrade_runtime::{Desk, Fleet};

/// One contract the strategies need, and the bar sizes they need it in.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// The contract.
    pub instrument: Instrument,
    /// Bar sizes (seconds), each a multiple of five.
    pub bar_seconds: BTreeSet<u32>,
}

/// What every installed strategy needs, by contract symbol. A strategy whose bar size is not
/// a multiple of five seconds cannot be served from five-second bars: it is logged once here
/// and left out.
pub fn needs<D: Desk>(fleet: &Fleet<D>) -> BTreeMap<String, Need> {
    let mut needs: BTreeMap<String, Need> = BTreeMap::new();
    for status in fleet.status() {
        let Some(metadata) = fleet.metadata(&status.name) else {
            continue;
        };
        if !metadata.bar_seconds.is_multiple_of(REALTIME_BAR_SECONDS) {
            tracing::error!(
                strategy = status.name,
                bar_seconds = metadata.bar_seconds,
                "bar size is not a multiple of IB's 5-second real-time bars: this strategy gets \
                 no bars"
            );
            continue;
        }
        for instrument in &metadata.instruments {
            needs
                .entry(instrument.symbol.clone())
                .or_insert_with(|| Need {
                    instrument: instrument.clone(),
                    bar_seconds: BTreeSet::new(),
                })
                .bar_seconds
                .insert(metadata.bar_seconds);
        }
    }
    needs
}

/// Live subscriptions and aggregators.
pub struct Market {
    live: StreamMap<String, Subscription<RtBar>>,
    needs: BTreeMap<String, Need>,
    /// One aggregator per needed bar size, by symbol.
    aggregators: HashMap<String, Vec<Aggregator>>,
    /// Subscriptions that ended with an error, with it (until subscribed again).
    failed: BTreeMap<String, String>,
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("subscribed", &self.subscribed())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// The subscriptions to open and to close after the needs changed.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// Needed and not subscribed.
    pub subscribe: Vec<Instrument>,
    /// Subscribed and no longer needed.
    pub unsubscribe: Vec<String>,
}

impl Market {
    /// Nothing needed, nothing subscribed.
    pub fn new() -> Self {
        Self {
            live: StreamMap::new(),
            needs: BTreeMap::new(),
            aggregators: HashMap::new(),
            failed: BTreeMap::new(),
        }
    }

    /// Symbols with a live subscription.
    pub fn subscribed(&self) -> Vec<String> {
        let mut symbols: Vec<String> = self.live.keys().cloned().collect();
        symbols.sort();
        symbols
    }

    /// Subscriptions that failed, with why.
    pub fn failed(&self) -> &BTreeMap<String, String> {
        &self.failed
    }

    /// The needed contract of `symbol`.
    pub fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.needs.get(symbol).map(|n| &n.instrument)
    }

    /// Adopts new needs: aggregators follow at once (an unchanged size keeps its state); the
    /// subscriptions to open and close are returned (`connected`: whether any can be opened).
    pub fn set_needs(&mut self, needs: BTreeMap<String, Need>, connected: bool) -> Changes {
        self.aggregators
            .retain(|symbol, _| needs.contains_key(symbol));
        for (symbol, need) in &needs {
            let aggs = self.aggregators.entry(symbol.clone()).or_default();
            aggs.retain(|a| need.bar_seconds.contains(&a.bar_seconds()));
            for &seconds in &need.bar_seconds {
                if !aggs.iter().any(|a| a.bar_seconds() == seconds) {
                    aggs.push(Aggregator::new(seconds));
                }
            }
        }
        self.needs = needs;
        let subscribed: BTreeSet<String> = self.live.keys().cloned().collect();
        let unsubscribe = subscribed
            .iter()
            .filter(|s| !self.needs.contains_key(*s))
            .cloned()
            .collect();
        let subscribe = if connected {
            self.needs
                .iter()
                .filter(|(s, _)| !subscribed.contains(*s))
                .map(|(_, n)| n.instrument.clone())
                .collect()
        } else {
            Vec::new()
        };
        Changes {
            subscribe,
            unsubscribe,
        }
    }

    /// Every needed contract (to subscribe after a (re)connect).
    pub fn all_needed(&self) -> Vec<Instrument> {
        self.needs.values().map(|n| n.instrument.clone()).collect()
    }

    /// Adds a live subscription.
    pub fn add(&mut self, symbol: String, subscription: Subscription<RtBar>) {
        self.failed.remove(&symbol);
        self.live.insert(symbol, subscription);
    }

    /// Drops a subscription (dropping it sends IB the cancel). Returns whether there was one.
    pub fn remove(&mut self, symbol: &str) -> bool {
        self.live.remove(symbol).is_some()
    }

    /// Drops every subscription and restarts every aggregator (after a disconnect: the next
    /// bars come after a gap; a bucket that straddled it is not a whole bar).
    pub fn clear(&mut self) {
        self.live = StreamMap::new();
        for aggs in self.aggregators.values_mut() {
            for a in aggs.iter_mut() {
                *a = Aggregator::new(a.bar_seconds());
            }
        }
    }

    /// Records that `symbol`'s subscription ended with `why`.
    pub fn failed_with(&mut self, symbol: &str, why: String) {
        self.live.remove(symbol);
        self.failed.insert(symbol.to_owned(), why);
    }

    /// Whether nothing is subscribed (then [`next`](Self::next) must not be polled).
    pub fn is_idle(&self) -> bool {
        self.live.is_empty()
    }

    /// The next item of any subscription, with its symbol.
    pub async fn next(
        &mut self,
    ) -> Option<(String, Result<SubscriptionItem<RtBar>, ibapi::Error>)> {
        self.live.next().await
    }

    /// Feeds a live five-second bar of `symbol` to its aggregators; calls `emit` with each
    /// completed bar and its size.
    pub fn on_live_bar(&mut self, symbol: &str, bar: &RtBar, mut emit: impl FnMut(u32, Bar)) {
        let Some(aggs) = self.aggregators.get_mut(symbol) else {
            return;
        };
        let five = Bar {
            start_ms: millis(bar.date),
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
        };
        for agg in aggs.iter_mut() {
            let seconds = agg.bar_seconds();
            for done in agg.push(five, REALTIME_BAR_SECONDS) {
                emit(seconds, done);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use sandtrade_core::normalize;

    use super::*;

    fn need(symbol: &str, sizes: &[u32]) -> (String, Need) {
        let instrument = normalize(symbol).unwrap();
        (
            instrument.symbol.clone(),
            Need {
                instrument,
                bar_seconds: sizes.iter().copied().collect::<BTreeSet<u32>>(),
            },
        )
    }

    fn five(start_s: i64, close: f64) -> RtBar {
        RtBar {
            date: time::OffsetDateTime::from_unix_timestamp(start_s).unwrap(),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1.0,
            wap: close,
            count: 1,
        }
    }

    #[test]
    fn needs_become_subscriptions_only_while_connected() {
        let mut market = Market::new();
        let needs: BTreeMap<String, Need> = [need("AAPL", &[60]), need("0700.HK", &[60])].into();
        assert_eq!(market.set_needs(needs.clone(), false), Changes::default());
        let changes = market.set_needs(needs, true);
        let symbols: Vec<&str> = changes
            .subscribe
            .iter()
            .map(|i| i.symbol.as_str())
            .collect();
        assert_eq!(symbols, ["700", "AAPL"]);
        assert!(changes.unsubscribe.is_empty());
        assert_eq!(market.instrument("700").map(|i| i.currency), Some("HKD"));
        assert!(market.is_idle(), "nothing is subscribed until IB answers");
    }

    #[test]
    fn five_second_bars_aggregate_to_each_size_a_strategy_asked_for() {
        let mut market = Market::new();
        market.set_needs([need("AAPL", &[10, 15])].into(), true);
        let mut done: Vec<(u32, i64, f64)> = Vec::new();
        for (i, start) in (0..30).step_by(5).enumerate() {
            market.on_live_bar("AAPL", &five(start, i as f64), |seconds, bar| {
                done.push((seconds, bar.start_ms / 1000, bar.close));
            });
        }
        assert_eq!(
            done,
            [
                (10, 0, 1.0),
                (15, 0, 2.0),
                (10, 10, 3.0),
                (10, 20, 5.0),
                (15, 15, 5.0),
            ]
        );
        // A symbol nobody needs is ignored.
        market.on_live_bar("MSFT", &five(0, 1.0), |_, _| panic!("not needed"));
    }

    #[test]
    fn a_failed_subscription_is_remembered_until_subscribed_again() {
        let mut market = Market::new();
        market.failed_with("AAPL", "no market data permissions".into());
        assert_eq!(
            market.failed().get("AAPL").map(String::as_str),
            Some("no market data permissions")
        );
        assert!(market.subscribed().is_empty());
    }
}
