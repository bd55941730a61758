//! The fallback's subscriptions: for each contract whose live data IB refused, its ticks of the
//! market data type `[market_data] fallback` asks for (`reqMarketDataType` 3 or 4, then
//! `reqMktData`), each with its [`TickBars`] builder, and why live data was refused.

use std::collections::{BTreeMap, HashMap};

use ibapi::market_data::MarketDataType;
use ibapi::market_data::realtime::TickTypes;
use ibapi::subscriptions::{Subscription, SubscriptionItem};
use sandtrade_core::Bar;
use sandtrade_runtime::bindings::DataSource;
use tokio_stream::{StreamExt, StreamMap};

use super::ticks::{self, TickBars};

/// Why IB refused a contract's live data: its code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// IB's code (354, 10089, 10167, 10168).
    pub code: i32,
    /// IB's text.
    pub message: String,
}

/// Tick subscriptions standing in for refused real-time bars, and the refusals.
pub struct TickFeeds {
    streams: StreamMap<String, Subscription<TickTypes>>,
    builders: HashMap<String, TickBars>,
    refusals: BTreeMap<String, Refusal>,
}

impl std::fmt::Debug for TickFeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TickFeeds")
            .field("subscribed", &self.streams.keys().collect::<Vec<_>>())
            .field("refusals", &self.refusals)
            .finish_non_exhaustive()
    }
}

impl TickFeeds {
    /// Nothing refused, nothing subscribed.
    pub fn new() -> Self {
        Self {
            streams: StreamMap::new(),
            builders: HashMap::new(),
            refusals: BTreeMap::new(),
        }
    }

    /// Records that IB refused `symbol`'s live data.
    pub fn refused(&mut self, symbol: &str, refusal: Refusal) {
        self.refusals.insert(symbol.to_owned(), refusal);
    }

    /// Why `symbol`'s live data was refused, if it was.
    pub fn refusal(&self, symbol: &str) -> Option<&Refusal> {
        self.refusals.get(symbol)
    }

    /// Adds `symbol`'s tick subscription, which asked for `asked`.
    pub fn add(
        &mut self,
        symbol: String,
        subscription: Subscription<TickTypes>,
        asked: MarketDataType,
    ) {
        self.builders.insert(symbol.clone(), TickBars::new(asked));
        self.streams.insert(symbol, subscription);
    }

    /// Symbols with a tick subscription.
    pub fn symbols(&self) -> impl Iterator<Item = &String> {
        self.streams.keys()
    }

    /// Drops `symbol`'s tick subscription (dropping it sends IB the cancel) and forgets its
    /// refusal. Returns whether there was a subscription.
    pub fn remove(&mut self, symbol: &str) -> bool {
        self.builders.remove(symbol);
        self.refusals.remove(symbol);
        self.streams.remove(symbol).is_some()
    }

    /// Drops `symbol`'s tick subscription after it ended with an error; the refusal stays (it
    /// is still why the contract has no live data).
    pub fn end(&mut self, symbol: &str) {
        self.builders.remove(symbol);
        self.streams.remove(symbol);
    }

    /// Drops everything (after a disconnect: the next connection asks for live data again).
    pub fn clear(&mut self) {
        self.streams = StreamMap::new();
        self.builders.clear();
        self.refusals.clear();
    }

    /// Whether nothing is subscribed (then [`next`](Self::next) must not be polled).
    pub fn is_idle(&self) -> bool {
        self.streams.is_empty()
    }

    /// The next item of any tick subscription, with its symbol.
    pub async fn next(
        &mut self,
    ) -> Option<(String, Result<SubscriptionItem<TickTypes>, ibapi::Error>)> {
        self.streams.next().await
    }

    /// One tick of `symbol`: the five-second bar it completes, with its source.
    pub fn on_tick(&mut self, symbol: &str, tick: &TickTypes) -> Option<(Bar, DataSource)> {
        let builder = self.builders.get_mut(symbol)?;
        let bar = builder.push(ticks::read(tick)?)?;
        Some((bar, builder.source()))
    }

    /// The source of `symbol`'s bars, while it has a tick subscription.
    pub fn source(&self, symbol: &str) -> Option<DataSource> {
        self.builders.get(symbol).map(TickBars::source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_kept_until_the_contract_is_removed_or_the_connection_goes() {
        let mut feeds = TickFeeds::new();
        let refusal = Refusal {
            code: 354,
            message: "Requested market data is not subscribed.".into(),
        };
        feeds.refused("AAPL", refusal.clone());
        assert_eq!(feeds.refusal("AAPL"), Some(&refusal));
        feeds.end("AAPL");
        assert_eq!(feeds.refusal("AAPL"), Some(&refusal), "still why");
        assert!(!feeds.remove("AAPL"), "no subscription to drop");
        assert_eq!(feeds.refusal("AAPL"), None);
        feeds.refused("MSFT", refusal);
        feeds.clear();
        assert_eq!(feeds.refusal("MSFT"), None);
        assert!(feeds.is_idle());
        assert_eq!(feeds.source("MSFT"), None);
    }
}
