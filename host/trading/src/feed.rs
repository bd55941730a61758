//! Bars into strategies: live five-second bars through the aggregators to every subscribed
//! strategy, warm-ups, and keeping the subscriptions in step with what the strategies need.

use std::sync::Arc;

use ibapi::market_data::TradingHours;
use ibapi::market_data::realtime::Bar as RtBar;
use ibapi::subscriptions::SubscriptionItem;

use super::book;
use super::events::TradingEvent;
use super::market;
use super::trader::Trader;
use super::warmup::{Finished, HistoryDone};
use sandtrade_broker::wire;
use sandtrade_core::Bar;
use sandtrade_core::Instrument;
use sandtrade_runtime::{BarEvent, DirChange, Installed};

impl Trader {
    /// One item of a live bar subscription.
    pub(super) async fn on_bar_item(
        &mut self,
        symbol: &str,
        item: Result<SubscriptionItem<RtBar>, ibapi::Error>,
    ) {
        match item {
            Ok(SubscriptionItem::Data(bar)) => {
                self.on_live_bar(symbol, &bar);
                self.send_queued().await;
            }
            Ok(SubscriptionItem::Notice(notice)) => {
                tracing::info!(
                    symbol,
                    code = notice.code,
                    "real-time bars: {}",
                    notice.message
                );
            }
            Err(e) => {
                tracing::error!(symbol, "real-time bars ended: {e}");
                self.market.failed_with(symbol, e.to_string());
            }
        }
    }

    /// The hot path of a bar: price, aggregators, strategies (whose desks commit their
    /// signals during the call). Sending follows in the caller.
    fn on_live_bar(&mut self, symbol: &str, bar: &RtBar) {
        book::lock(&self.book).set_price(symbol, bar.close);
        let Some(instrument) = self.market.instrument(symbol).cloned() else {
            return;
        };
        let now = self.mono_ms();
        let Self {
            market,
            fleet,
            warmups,
            ..
        } = self;
        market.on_live_bar(symbol, bar, |bar_seconds, done| {
            fleet.on_bar(&bar_event(&instrument, bar_seconds, &done), now);
            warmups.buffer_live(symbol, bar_seconds, done);
        });
    }

    /// A history answer; delivers the warm-up it completes.
    pub(super) fn on_history(&mut self, done: HistoryDone) {
        if let Some(finished) = self.warmups.on_done(done) {
            self.deliver_warmup(finished);
        }
    }

    fn deliver_warmup(&mut self, finished: Finished) {
        let Finished {
            strategy,
            bar_seconds,
            bars,
            historical,
        } = finished;
        let now = self.mono_ms();
        for (instrument, bar) in &bars {
            self.fleet
                .on_bar_for(&strategy, &bar_event(instrument, bar_seconds, bar), now);
        }
        self.fleet.hold_bars(&strategy, false);
        if let Some(desk) = self.fleet.desk_mut(&strategy) {
            desk.set_warming(false);
        }
        tracing::info!(
            strategy = &*strategy,
            historical,
            buffered_live = bars.len() - historical,
            "warmed up; trading from the next bar"
        );
        self.emit(TradingEvent::WarmedUp {
            strategy: strategy.to_string(),
            bars: historical,
        });
    }

    /// Starts the warm-up of a strategy just installed (or finishes it at once when warm-ups
    /// are off).
    fn begin_warmup(&mut self, name: Arc<str>) {
        let Some(metadata) = self.fleet.metadata(&name) else {
            return;
        };
        let (bar_seconds, instruments) = (metadata.bar_seconds, metadata.instruments.clone());
        self.fleet.hold_bars(&name, true);
        if let Some(desk) = self.fleet.desk_mut(&name) {
            desk.set_warming(true);
        }
        self.emit(TradingEvent::WarmupStarted {
            strategy: name.to_string(),
        });
        let servable = sandtrade_broker::history::source_bar_size(bar_seconds).is_some();
        self.warmups.begin(
            name.clone(),
            bar_seconds,
            instruments,
            self.session.is_some(),
        );
        if (!self.warmups.enabled() || !servable)
            && let Some(finished) = self.warmups.finish_now(&name)
        {
            self.deliver_warmup(finished);
        }
    }

    /// Applies a change of the strategies directory: install (then warm up), refuse, remove;
    /// then the subscriptions follow the new needs.
    pub(super) async fn apply_dir_change(&mut self, change: DirChange) {
        let installed = match &change {
            DirChange::Upsert { name, .. } => Some(name.clone()),
            DirChange::Removed { name } => {
                self.warmups.cancel(name);
                None
            }
            DirChange::Refused { .. } => None,
        };
        let before = installed
            .as_ref()
            .and_then(|name| self.fleet.desk_mut(name))
            .map(|desk| desk.serial());
        self.fleet.apply(change);
        if let Some(name) = installed {
            let after = self.fleet.desk_mut(&name).map(|desk| desk.serial());
            if after.is_some() && after != before {
                self.begin_warmup(name);
            }
        }
        self.sync_subscriptions().await;
        self.send_queued().await;
    }

    /// Installs what a reload compiled (the same path as a directory change).
    pub(super) async fn install(&mut self, change: DirChange) -> Result<Installed, String> {
        let DirChange::Upsert {
            name,
            compiled,
            sidecar,
        } = change
        else {
            return Err("nothing to install".into());
        };
        let outcome = self
            .fleet
            .install(name.clone(), compiled, sidecar)
            .map_err(|e| e.to_string())?;
        if outcome != Installed::Unchanged {
            self.begin_warmup(name);
        }
        self.sync_subscriptions().await;
        Ok(outcome)
    }

    /// Opens and closes subscriptions to match what the strategies need now.
    pub(super) async fn sync_subscriptions(&mut self) {
        let needs = market::needs(&self.fleet);
        let changes = self.market.set_needs(needs, self.session.is_some());
        let now = std::time::Instant::now();
        for symbol in changes.unsubscribe {
            if self.market.remove(&symbol) {
                // Dropping the subscription sends IB the cancel.
                self.pacer.record(now);
                tracing::info!(
                    symbol,
                    "real-time bars unsubscribed: no strategy needs them"
                );
            }
        }
        let subscribed = !changes.subscribe.is_empty();
        for instrument in changes.subscribe {
            self.subscribe(instrument).await;
        }
        if subscribed {
            self.confirm_subscriptions().await;
        }
    }

    /// Subscribes every needed contract (after a connect).
    pub(super) async fn subscribe_all(&mut self) {
        let needs = market::needs(&self.fleet);
        self.market.set_needs(needs, true);
        for instrument in self.market.all_needed() {
            self.subscribe(instrument).await;
        }
        self.confirm_subscriptions().await;
    }

    /// One round trip (`reqCurrentTime`) after subscribing: TWS handles a connection's
    /// requests in order, so when it answers, the subscriptions were taken. Then
    /// [`TradingEvent::Subscribed`] is reported.
    async fn confirm_subscriptions(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        let client = Arc::clone(&session.client);
        self.pacer.acquire().await;
        let timeout = self.config.ib.request_timeout;
        match tokio::time::timeout(timeout, client.server_time()).await {
            Ok(Ok(_)) => {
                let symbols = self.market.subscribed();
                tracing::info!("market data subscribed: {}", symbols.join(", "));
                self.emit(TradingEvent::Subscribed { symbols });
            }
            Ok(Err(e)) => tracing::warn!("subscriptions not confirmed: {e}"),
            Err(_) => tracing::warn!("subscriptions not confirmed within {timeout:?}"),
        }
    }

    async fn subscribe(&mut self, instrument: Instrument) {
        let Some(session) = &self.session else {
            return;
        };
        self.pacer.acquire().await;
        let contract = wire::contract(&instrument);
        let hours = if self.config.market_data.regular_hours_only {
            TradingHours::Regular
        } else {
            TradingHours::Extended
        };
        match session
            .client
            .realtime_bars(&contract)
            .trading_hours(hours)
            .subscribe()
            .await
        {
            Ok(subscription) => {
                tracing::info!(symbol = instrument.symbol, "real-time bars subscribed");
                self.market.add(instrument.symbol, subscription);
            }
            Err(e) => {
                tracing::error!(
                    symbol = instrument.symbol,
                    "cannot subscribe to real-time bars: {e}"
                );
                self.market.failed_with(&instrument.symbol, e.to_string());
            }
        }
    }

    /// 1101 (connectivity restored, market data lost): every subscription is made again.
    pub(super) async fn resubscribe(&mut self) {
        self.market.clear();
        self.subscribe_all().await;
    }
}

fn bar_event<'a>(instrument: &'a Instrument, bar_seconds: u32, bar: &Bar) -> BarEvent<'a> {
    BarEvent {
        instrument,
        bar_seconds,
        start_ms: bar.start_ms,
        open: bar.open,
        high: bar.high,
        low: bar.low,
        close: bar.close,
        volume: bar.volume,
    }
}
