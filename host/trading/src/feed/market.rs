//! Live market data: one real-time-bar subscription per contract the strategies need (or,
//! where IB refused its live data, the fallback's tick subscription: [`TickFeeds`]), and the
//! aggregators that turn its five-second bars into each strategy's bar size.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ibapi::market_data::MarketDataType;
use ibapi::market_data::realtime::{Bar as RtBar, TickTypes};
use ibapi::subscriptions::{Subscription, SubscriptionItem};
use sandtrade_runtime::bindings::DataSource;
use tokio_stream::{StreamExt, StreamMap};

use super::fallback::{Refusal, TickFeeds};
use crate::status::{DataState, MarketDataView};

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

/// An item of a contract's subscription: its real-time bars, or the fallback's ticks.
#[derive(Debug)]
pub enum LiveItem {
    /// Of the real-time bar subscription.
    Bars(Result<SubscriptionItem<RtBar>, ibapi::Error>),
    /// Of the fallback's tick subscription.
    Ticks(Result<SubscriptionItem<TickTypes>, ibapi::Error>),
}

/// Live subscriptions and aggregators.
pub struct Market {
    live: StreamMap<String, Subscription<RtBar>>,
    /// The fallback's tick subscriptions, and why live data was refused.
    ticks: TickFeeds,
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
            .field("ticks", &self.ticks)
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
            ticks: TickFeeds::new(),
            needs: BTreeMap::new(),
            aggregators: HashMap::new(),
            failed: BTreeMap::new(),
        }
    }

    /// Symbols with a subscription: real-time bars, or the fallback's ticks.
    pub fn subscribed(&self) -> Vec<String> {
        let mut symbols: Vec<String> = self
            .live
            .keys()
            .chain(self.ticks.symbols())
            .cloned()
            .collect();
        symbols.sort();
        symbols.dedup();
        symbols
    }

    /// Each needed contract's market data: live, delayed, frozen, failed or waiting, and why.
    pub fn data_views(&self) -> BTreeMap<String, MarketDataView> {
        self.needs
            .keys()
            .map(|symbol| {
                let refusal = self.ticks.refusal(symbol);
                let state = if let Some(source) = self.ticks.source(symbol) {
                    match source {
                        DataSource::Frozen => DataState::Frozen,
                        DataSource::Live => DataState::Live,
                        _ => DataState::Delayed,
                    }
                } else if self.live.contains_key(symbol) {
                    DataState::Live
                } else if self.failed.contains_key(symbol) {
                    DataState::Failed
                } else {
                    DataState::Waiting
                };
                let message = match (state, self.failed.get(symbol)) {
                    (DataState::Failed, Some(why)) => Some(why.clone()),
                    _ => refusal.map(|r| r.message.clone()),
                };
                let view = MarketDataView {
                    state,
                    code: refusal.map(|r| r.code),
                    message,
                };
                (symbol.clone(), view)
            })
            .collect()
    }

    /// Records that IB refused `symbol`'s live data (the caller falls back or fails it).
    pub fn refused(&mut self, symbol: &str, refusal: Refusal) {
        self.ticks.refused(symbol, refusal);
    }

    /// Adds `symbol`'s fallback tick subscription, which asked for `asked`.
    pub fn add_ticks(
        &mut self,
        symbol: String,
        subscription: Subscription<TickTypes>,
        asked: MarketDataType,
    ) {
        self.failed.remove(&symbol);
        self.ticks.add(symbol, subscription, asked);
    }

    /// Drops `symbol`'s real-time bar subscription only (dropping it sends IB the cancel).
    /// Returns whether there was one.
    pub fn remove_live(&mut self, symbol: &str) -> bool {
        self.live.remove(symbol).is_some()
    }

    /// The source of `symbol`'s bars now: the fallback's, or live.
    pub fn source(&self, symbol: &str) -> DataSource {
        self.ticks.source(symbol).unwrap_or(DataSource::Live)
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
        let subscribed: BTreeSet<String> = self.subscribed().into_iter().collect();
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

    /// Drops a contract's subscriptions (dropping one sends IB the cancel) and forgets why its
    /// live data was refused. Returns whether there was one.
    pub fn remove(&mut self, symbol: &str) -> bool {
        let live = self.live.remove(symbol).is_some();
        self.ticks.remove(symbol) || live
    }

    /// Drops every subscription and restarts every aggregator (after a disconnect: the next
    /// bars come after a gap; a bucket that straddled it is not a whole bar).
    pub fn clear(&mut self) {
        self.live = StreamMap::new();
        self.ticks.clear();
        for aggs in self.aggregators.values_mut() {
            for a in aggs.iter_mut() {
                *a = Aggregator::new(a.bar_seconds());
            }
        }
    }

    /// Records that `symbol`'s subscription ended with `why`.
    pub fn failed_with(&mut self, symbol: &str, why: String) {
        self.live.remove(symbol);
        self.ticks.end(symbol);
        self.failed.insert(symbol.to_owned(), why);
    }

    /// Whether nothing is subscribed (then [`next`](Self::next) must not be polled).
    pub fn is_idle(&self) -> bool {
        self.live.is_empty() && self.ticks.is_idle()
    }

    /// The next item of any subscription, with its symbol.
    pub async fn next(&mut self) -> Option<(String, LiveItem)> {
        let Self { live, ticks, .. } = self;
        tokio::select! {
            Some((symbol, item)) = live.next(), if !live.is_empty() => {
                Some((symbol, LiveItem::Bars(item)))
            }
            Some((symbol, item)) = ticks.next(), if !ticks.is_idle() => {
                Some((symbol, LiveItem::Ticks(item)))
            }
            else => None,
        }
    }

    /// One tick of `symbol`'s fallback subscription: the five-second bar it completes, with
    /// its source.
    pub fn on_tick(&mut self, symbol: &str, tick: &TickTypes) -> Option<(Bar, DataSource)> {
        self.ticks.on_tick(symbol, tick)
    }

    /// Feeds a five-second bar of `symbol` (IB's, or built from ticks) to its aggregators;
    /// calls `emit` with each completed bar and its size.
    pub fn on_five_seconds(&mut self, symbol: &str, five: Bar, mut emit: impl FnMut(u32, Bar)) {
        let Some(aggs) = self.aggregators.get_mut(symbol) else {
            return;
        };
        for agg in aggs.iter_mut() {
            let seconds = agg.bar_seconds();
            for done in agg.push(five, REALTIME_BAR_SECONDS) {
                emit(seconds, done);
            }
        }
    }
}

/// IB's real-time bar as the aggregators take it.
pub fn five_seconds(bar: &RtBar) -> Bar {
    Bar {
        start_ms: millis(bar.date),
        open: bar.open,
        high: bar.high,
        low: bar.low,
        close: bar.close,
        volume: bar.volume,
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
            market.on_five_seconds(
                "AAPL",
                five_seconds(&five(start, i as f64)),
                |seconds, bar| {
                    done.push((seconds, bar.start_ms / 1000, bar.close));
                },
            );
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
        market.on_five_seconds("MSFT", five_seconds(&five(0, 1.0)), |_, _| {
            panic!("not needed")
        });
    }

    #[test]
    fn each_needed_contract_says_whether_its_data_is_live_and_why_not() {
        let mut market = Market::new();
        market.set_needs([need("AAPL", &[60]), need("MSFT", &[5])].into(), true);
        let views = market.data_views();
        assert_eq!(views["AAPL"].state, DataState::Waiting);
        market.refused(
            "AAPL",
            Refusal {
                code: 10_168,
                message:
                    "Requested market data is not subscribed. Delayed market data is not enabled."
                        .into(),
            },
        );
        assert_eq!(market.data_views()["AAPL"].code, Some(10_168));
        market.failed_with("AAPL", "IB 10168: no delayed data either".into());
        let views = market.data_views();
        assert_eq!(
            views["AAPL"],
            MarketDataView {
                state: DataState::Failed,
                code: Some(10_168),
                message: Some("IB 10168: no delayed data either".into()),
            }
        );
        assert_eq!(
            views["MSFT"],
            MarketDataView {
                state: DataState::Waiting,
                code: None,
                message: None,
            }
        );
        assert_eq!(market.source("AAPL"), DataSource::Live);
        // No longer needed: forgotten.
        market.set_needs([need("MSFT", &[5])].into(), true);
        assert_eq!(market.data_views().keys().collect::<Vec<_>>(), ["MSFT"]);
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
