//! Bars into strategies: one real-time-bar subscription per contract the strategies need,
//! the aggregators that turn IB's five-second bars into each strategy's bar size, warm-ups
//! from history, and delivery to the fleet.
//!
//! ```text
//! IB ─ 5 s bars ─► market (aggregators) ─► due ─► strategies.on_bars ─► strategy on-bar(s)
//!                        └─► warm-ups buffer a warming strategy's live bars
//! IB ─ history ──► warm-ups ─► the strategy's history, then its buffered bars ─► live
//! IB ─ delayed ticks ─► ticks (5 s bars) ─┘ (where IB refused live data: the fallback)
//! ```
//!
//! The loop takes the live items that arrived together (IB sends the bars of every contract
//! at the end of the same five seconds) before it delivers their bars, so a strategy of
//! several contracts gets them in one `on-bars` call. Two bars of one contract never share a
//! call: the first is delivered before the second sets the price its signals are valued at.
//!
//! After a reconnect, each running strategy is backfilled the same way: the bars after the
//! last one it was given come from history before its live bars resume.
//!
//! When IB refuses a contract's real-time bars because the account has no market data
//! subscription for it (354, 10089, 10167, 10168: [`sandtrade_broker::codes::refuses_live_data`]),
//! `[market_data] fallback` decides: `none` reports it failed; `delayed` (or `frozen`) asks IB
//! for that market data type and subscribes to the contract's ticks, and [`ticks::TickBars`]
//! builds the five-second bars the aggregators take from its trades, delivered with source
//! `delayed` (or `frozen`).

mod fallback;
mod market;
mod ticks;
mod warmup;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use ibapi::market_data::TradingHours;
use ibapi::market_data::realtime::{Bar as RtBar, TickTypes};
use ibapi::subscriptions::SubscriptionItem;
use sandtrade_broker::codes::{delayed_disabled, refuses_live_data};
use sandtrade_broker::history::source_bar_size;
use sandtrade_broker::wire;
use sandtrade_core::clock::DurationText;
use sandtrade_core::{Bar, Instrument};
use sandtrade_runtime::BarEvent;
use sandtrade_runtime::bindings::DataSource;

use self::fallback::Refusal;
pub(crate) use self::market::LiveItem;
use self::market::Market;
use self::warmup::{Finished, HistoryDone, Purpose, Warmups};
use crate::config::{Fallback, MarketDataConfig};
use crate::connection::Connection;
use crate::events::{Events, TradingEvent};
use crate::orderflow::book::{self, SharedBook};
use crate::status::MarketDataView;
use crate::strategies::Strategies;

/// What the feed brings the loop.
pub(crate) enum FeedEvent {
    /// An item of a contract symbol's subscription: its real-time bars, or the fallback's
    /// ticks.
    Bar(String, LiveItem),
    /// A history request of a warm-up finished.
    History(HistoryDone),
}

/// The market data side of the loop.
pub(crate) struct Feed {
    market: Market,
    warmups: Warmups,
    hours: TradingHours,
    /// Where the last close of each contract goes: the reference price risk values market
    /// orders at.
    book: SharedBook,
    events: Events,
    /// The start of the last bar given to the strategies, by (IB symbol, bar size): where a
    /// backfill after a reconnect starts. Kept across disconnects.
    last_bar: HashMap<(String, u32), i64>,
    /// What a contract whose live data IB refuses gets instead.
    fallback: Fallback,
    /// Contracts refused live data, waiting for their fallback subscription.
    to_fall_back: Vec<String>,
    /// Whether this connection asked IB for the fallback's market data type already.
    data_type_asked: bool,
    /// Bars completed by the live items of this turn, not yet given to the strategies.
    due: Vec<DueBar>,
}

/// A completed live bar waiting for [`Feed::deliver_due`].
struct DueBar {
    instrument: Instrument,
    bar_seconds: u32,
    bar: Bar,
    source: DataSource,
}

/// How many live items one turn of the loop takes (the one that woke it and those that had
/// arrived with it) before delivering their bars: bounds how long other inputs wait behind
/// a flood.
pub(crate) const MAX_ITEMS_PER_TURN: usize = 64;

impl Feed {
    /// Nothing subscribed; warm-ups as `config` says, each history request bounded by
    /// `request_timeout`.
    pub(crate) fn new(
        config: &MarketDataConfig,
        request_timeout: Duration,
        book: SharedBook,
        events: Events,
    ) -> Self {
        Self {
            market: Market::new(),
            warmups: Warmups::new(
                config.warmup_bars,
                config.regular_hours_only,
                request_timeout,
            ),
            hours: if config.regular_hours_only {
                TradingHours::Regular
            } else {
                TradingHours::Extended
            },
            book,
            events,
            last_bar: HashMap::new(),
            fallback: config.fallback,
            to_fall_back: Vec::new(),
            data_type_asked: false,
            due: Vec::new(),
        }
    }

    /// The next live bar item or finished history request; pending forever while there is
    /// neither a subscription nor a request in flight.
    pub(crate) async fn next(&mut self) -> FeedEvent {
        let Self {
            market, warmups, ..
        } = self;
        tokio::select! {
            biased;
            Some((symbol, item)) = market.next(), if !market.is_idle() => FeedEvent::Bar(symbol, item),
            Some(done) = warmups.next_done(), if warmups.has_in_flight() => FeedEvent::History(done),
            else => std::future::pending().await,
        }
    }

    /// When a waiting warm-up request may go (while connected).
    pub(crate) fn next_deadline(&mut self, now: Instant) -> Option<Instant> {
        self.warmups.next_ready_at(now)
    }

    /// Sends the warm-up requests whose turn has come, keeping one pacer slot free for
    /// orders.
    pub(crate) fn launch_warmups(&mut self, connection: &mut Connection, now: Instant) {
        let Some((client, _)) = connection.client() else {
            return;
        };
        let client = Arc::clone(client);
        while connection.pacer().available(now) > 1 && self.warmups.launch_next(&client, now) {
            connection.pacer().record(now);
        }
    }

    /// One item of a contract's subscription: a bar (IB's, or one the fallback built from
    /// ticks) goes through the aggregators; the bars it completes wait for
    /// [`deliver_due`](Self::deliver_due) (the strategies' desks store their signals during
    /// the call; sending follows in the caller). A refusal of live data is recorded;
    /// [`fall_back`](Self::fall_back) acts on it.
    pub(crate) fn on_bar_item(
        &mut self,
        symbol: &str,
        item: LiveItem,
        strategies: &mut Strategies,
    ) {
        match item {
            LiveItem::Bars(item) => self.on_bars_item(symbol, item, strategies),
            LiveItem::Ticks(item) => self.on_ticks_item(symbol, item, strategies),
        }
    }

    fn on_bars_item(
        &mut self,
        symbol: &str,
        item: Result<SubscriptionItem<RtBar>, ibapi::Error>,
        strategies: &mut Strategies,
    ) {
        match item {
            Ok(SubscriptionItem::Data(bar)) => self.on_live_bar(symbol, &bar, strategies),
            Ok(SubscriptionItem::Notice(notice)) if refuses_live_data(notice.code) => {
                self.live_refused(symbol, notice.code, notice.message);
            }
            Ok(SubscriptionItem::Notice(notice)) => {
                tracing::info!(
                    symbol,
                    code = notice.code,
                    "real-time bars: {}",
                    notice.message
                );
            }
            Err(ibapi::Error::Notice(notice)) if refuses_live_data(notice.code) => {
                self.live_refused(symbol, notice.code, notice.message);
            }
            Err(e) => {
                tracing::error!(symbol, "real-time bars ended: {e}");
                self.market.failed_with(symbol, e.to_string());
            }
        }
    }

    /// IB refused `symbol`'s live data with `code`: without a fallback (or with delayed data
    /// disabled at IB, 10168) the contract has failed; else its fallback waits for
    /// [`fall_back`](Self::fall_back).
    fn live_refused(&mut self, symbol: &str, code: i32, message: String) {
        let why = format!("IB {code}: {message}");
        self.market.refused(symbol, Refusal { code, message });
        if self.fallback == Fallback::None {
            tracing::error!(
                symbol,
                code,
                "real-time bars refused ({why}); no fallback (`[market_data] fallback = \"none\"`): \
                 no bars for this contract"
            );
            self.market.failed_with(symbol, why);
        } else if delayed_disabled(code) {
            tracing::error!(
                symbol,
                code,
                "real-time bars refused ({why}); delayed data is not enabled for the account \
                 either: no bars for this contract"
            );
            self.market.failed_with(symbol, why);
        } else {
            tracing::warn!(
                symbol,
                code,
                fallback = self.fallback.as_str(),
                "real-time bars refused ({why}); falling back to {} data",
                self.fallback.as_str()
            );
            if !self.to_fall_back.iter().any(|s| s == symbol) {
                self.to_fall_back.push(symbol.to_owned());
            }
        }
    }

    /// One item of a fallback tick subscription: a trade may complete a five-second bar.
    fn on_ticks_item(
        &mut self,
        symbol: &str,
        item: Result<SubscriptionItem<TickTypes>, ibapi::Error>,
        strategies: &mut Strategies,
    ) {
        match item {
            Ok(SubscriptionItem::Data(tick)) => {
                if let Some((five, source)) = self.market.on_tick(symbol, &tick) {
                    self.on_five_seconds(symbol, five, source, strategies);
                }
            }
            Ok(SubscriptionItem::Notice(notice)) => {
                tracing::info!(
                    symbol,
                    code = notice.code,
                    "{} ticks: {}",
                    self.fallback.as_str(),
                    notice.message
                );
            }
            Err(e) => {
                let why = match &e {
                    ibapi::Error::Notice(n) => format!("IB {}: {}", n.code, n.message),
                    e => e.to_string(),
                };
                tracing::error!(symbol, "{} ticks ended: {why}", self.fallback.as_str());
                self.market.failed_with(symbol, why);
            }
        }
    }

    /// Subscribes the contracts whose live data was refused to the fallback's ticks: asks IB
    /// once per connection for the market data type (`reqMarketDataType` applies to the
    /// connection's later `reqMktData`; IB still serves live data where the account has it),
    /// drops the refused real-time bars, and subscribes to the contract's ticks.
    pub(crate) async fn fall_back(&mut self, connection: &mut Connection) {
        if self.to_fall_back.is_empty() {
            return;
        }
        let Some(data_type) = self.fallback.market_data_type() else {
            self.to_fall_back.clear();
            return;
        };
        for symbol in std::mem::take(&mut self.to_fall_back) {
            if self.market.remove_live(&symbol) {
                // Dropping the refused subscription sends IB its cancel.
                connection.pacer().record(Instant::now());
            }
            let Some(instrument) = self.market.instrument(&symbol).cloned() else {
                continue;
            };
            let Some((client, _)) = connection.client() else {
                // Disconnected meanwhile: the next connection asks for live data again.
                return;
            };
            let client = Arc::clone(client);
            if !self.data_type_asked {
                connection.pacer().acquire().await;
                if let Err(e) = client.switch_market_data_type(data_type).await {
                    tracing::error!(
                        "cannot ask IB for {} market data: {e}",
                        self.fallback.as_str()
                    );
                    self.market.failed_with(&symbol, e.to_string());
                    continue;
                }
                self.data_type_asked = true;
            }
            connection.pacer().acquire().await;
            let contract = wire::contract(&instrument);
            match client.market_data(&contract).subscribe().await {
                Ok(subscription) => {
                    tracing::info!(
                        symbol,
                        "subscribed to {} ticks: its bars are built from them",
                        self.fallback.as_str()
                    );
                    self.market
                        .add_ticks(symbol.clone(), subscription, data_type);
                    let refusal = self.market.data_views().remove(&symbol);
                    self.events.emit(TradingEvent::DataFallback {
                        symbol,
                        fallback: self.fallback.as_str().to_owned(),
                        code: refusal.as_ref().and_then(|r| r.code).unwrap_or_default(),
                        message: refusal.and_then(|r| r.message).unwrap_or_default(),
                    });
                }
                Err(e) => {
                    tracing::error!(
                        symbol,
                        "cannot subscribe to {} ticks: {e}",
                        self.fallback.as_str()
                    );
                    self.market.failed_with(&symbol, e.to_string());
                }
            }
        }
    }

    /// The hot path of a bar: IB's five-second bar, live.
    fn on_live_bar(&mut self, symbol: &str, bar: &RtBar, strategies: &mut Strategies) {
        let five = market::five_seconds(bar);
        self.on_five_seconds(symbol, five, DataSource::Live, strategies);
    }

    /// A five-second bar, IB's or one the fallback built from ticks: price, aggregators, and
    /// the bars it completes wait in `due` (told their `source`) for
    /// [`deliver_due`](Self::deliver_due). A contract's bar never waits behind another of the
    /// same contract: those before it are delivered first, so a strategy's signal is valued
    /// at the close of the bar it saw.
    fn on_five_seconds(
        &mut self,
        symbol: &str,
        five: Bar,
        source: DataSource,
        strategies: &mut Strategies,
    ) {
        if self.due.iter().any(|due| due.instrument.symbol == symbol) {
            self.deliver_due(strategies);
        }
        book::lock(&self.book).set_price(symbol, five.close);
        let Some(instrument) = self.market.instrument(symbol).cloned() else {
            return;
        };
        let Self {
            market,
            warmups,
            last_bar,
            due,
            ..
        } = self;
        market.on_five_seconds(symbol, five, |bar_seconds, done| {
            note_bar(last_bar, &instrument, bar_seconds, &done);
            warmups.buffer_live(symbol, bar_seconds, done);
            due.push(DueBar {
                instrument: instrument.clone(),
                bar_seconds,
                bar: done,
                source,
            });
        });
    }

    /// The next live item that has already arrived, if any: the loop takes what came together
    /// with a bar before delivering it ([`MAX_ITEMS_PER_TURN`] at most).
    pub(crate) fn next_ready(&mut self) -> Option<(String, LiveItem)> {
        if self.market.is_idle() {
            return None;
        }
        self.market.next().now_or_never().flatten()
    }

    /// Gives the strategies the bars completed since the last delivery: each strategy the ones
    /// it asked for, in one `on-bars` call where there are several (live bars of several
    /// contracts that arrived together).
    pub(crate) fn deliver_due(&mut self, strategies: &mut Strategies) {
        if self.due.is_empty() {
            return;
        }
        let events: Vec<BarEvent<'_>> = self
            .due
            .iter()
            .map(|due| bar_event(&due.instrument, due.bar_seconds, &due.bar, due.source))
            .collect();
        strategies.on_bars(&events);
        self.due.clear();
    }

    /// A history answer; delivers the warm-up it completes.
    pub(crate) fn on_history(&mut self, done: HistoryDone, strategies: &mut Strategies) {
        if let Some(finished) = self.warmups.on_done(done) {
            self.deliver_warmup(finished, strategies);
        }
    }

    fn deliver_warmup(&mut self, finished: Finished, strategies: &mut Strategies) {
        let Finished {
            strategy,
            purpose,
            bar_seconds,
            bars,
            historical,
        } = finished;
        // The history first, then the live bars buffered while it was asked for (from the
        // fallback's ticks where IB refused live data): all due now, so in batches.
        let events: Vec<BarEvent<'_>> = bars
            .iter()
            .enumerate()
            .map(|(i, (instrument, bar))| {
                let source = if i < historical {
                    DataSource::Historical
                } else {
                    self.market.source(&instrument.symbol)
                };
                bar_event(instrument, bar_seconds, bar, source)
            })
            .collect();
        strategies.on_bars_for(&strategy, &events);
        for (instrument, bar) in &bars {
            note_bar(&mut self.last_bar, instrument, bar_seconds, bar);
        }
        strategies.set_warming(&strategy, false);
        let event = match purpose {
            Purpose::WarmUp => TradingEvent::WarmedUp {
                strategy: strategy.to_string(),
                bars: historical,
            },
            Purpose::Backfill => {
                let history = &bars[..historical];
                TradingEvent::Backfilled {
                    strategy: strategy.to_string(),
                    bars: historical,
                    span_ms: history
                        .first()
                        .zip(history.last())
                        .map(|((_, first), (_, last))| (first.start_ms, last.start_ms)),
                }
            }
        };
        tracing::info!(
            strategy = &*strategy,
            historical,
            buffered_live = bars.len() - historical,
            "{}; trading from the next bar",
            match purpose {
                Purpose::WarmUp => "warmed up",
                Purpose::Backfill => "backfilled the bars missed while disconnected",
            }
        );
        self.events.emit(event);
    }

    /// After a reconnect: every running strategy that was given bars before gets, from
    /// history, the bars after the last of them, before its live bars resume; its signals
    /// are refused meanwhile, as in a warm-up (they would trade on the past). Strategies
    /// warming up are restarted by [`restart_warmups`](Self::restart_warmups) instead. With
    /// warm-ups off (`warmup_bars = 0`) there is no backfill either.
    pub(crate) fn begin_backfills(&mut self, strategies: &mut Strategies) {
        if !self.warmups.enabled() {
            return;
        }
        let names: Vec<Arc<str>> = strategies.fleet().names().cloned().collect();
        for name in names {
            if self.warmups.is_warming(&name) {
                continue;
            }
            let Some(metadata) = strategies.metadata(&name) else {
                continue;
            };
            let bar_seconds = metadata.bar_seconds;
            if source_bar_size(bar_seconds).is_none() {
                continue;
            }
            let instruments = metadata.instruments.clone();
            let since: Vec<Option<i64>> = instruments
                .iter()
                .map(|i| self.last_bar.get(&(i.symbol.clone(), bar_seconds)).copied())
                .collect();
            if since.iter().all(Option::is_none) {
                continue;
            }
            tracing::info!(
                strategy = &*name,
                "backfilling the bars missed while disconnected"
            );
            strategies.set_warming(&name, true);
            self.warmups
                .begin_backfill(name, bar_seconds, instruments, since);
        }
    }

    /// Starts the warm-up of a strategy just installed (or finishes it at once when warm-ups
    /// are off or its bar size cannot be served from history). `connected`: whether its
    /// requests can go now, else they wait for [`restart_warmups`](Self::restart_warmups).
    pub(crate) fn begin_warmup(
        &mut self,
        name: Arc<str>,
        strategies: &mut Strategies,
        connected: bool,
    ) {
        let Some(metadata) = strategies.metadata(&name) else {
            return;
        };
        let (bar_seconds, instruments) = (metadata.bar_seconds, metadata.instruments.clone());
        strategies.set_warming(&name, true);
        self.events.emit(TradingEvent::WarmupStarted {
            strategy: name.to_string(),
        });
        let servable = source_bar_size(bar_seconds).is_some();
        self.warmups
            .begin(name.clone(), bar_seconds, instruments, connected);
        if (!self.warmups.enabled() || !servable)
            && let Some(finished) = self.warmups.finish_now(&name)
        {
            self.deliver_warmup(finished, strategies);
        }
    }

    /// Forgets the warm-up of a strategy that was removed.
    pub(crate) fn cancel_warmup(&mut self, name: &str) {
        self.warmups.cancel(name);
    }

    /// Queues every warm-up's requests again (after a connect).
    pub(crate) fn restart_warmups(&mut self) {
        self.warmups.restart_all();
    }

    /// The connection is gone: subscriptions and requests in flight died with it; the
    /// aggregators start over (a bucket that straddles the gap is not a whole bar).
    pub(crate) fn on_disconnect(&mut self) {
        self.market.clear();
        self.to_fall_back.clear();
        self.data_type_asked = false;
        self.warmups.suspend_all();
    }

    /// Opens and closes subscriptions to match what the strategies need now.
    pub(crate) async fn sync_subscriptions(
        &mut self,
        strategies: &Strategies,
        connection: &mut Connection,
    ) {
        let needs = market::needs(strategies.fleet());
        let changes = self.market.set_needs(needs, connection.is_up());
        let now = Instant::now();
        for symbol in changes.unsubscribe {
            if self.market.remove(&symbol) {
                // Dropping the subscription sends IB the cancel.
                connection.pacer().record(now);
                tracing::info!(
                    symbol,
                    "real-time bars unsubscribed: no strategy needs them"
                );
            }
        }
        let subscribed = !changes.subscribe.is_empty();
        for instrument in changes.subscribe {
            self.subscribe(instrument, connection).await;
        }
        if subscribed {
            self.confirm_subscriptions(connection).await;
        }
    }

    /// Subscribes every needed contract (after a connect).
    pub(crate) async fn subscribe_all(
        &mut self,
        strategies: &Strategies,
        connection: &mut Connection,
    ) {
        let needs = market::needs(strategies.fleet());
        self.market.set_needs(needs, true);
        for instrument in self.market.all_needed() {
            self.subscribe(instrument, connection).await;
        }
        self.confirm_subscriptions(connection).await;
    }

    /// 1101 (connectivity restored, market data lost), or a market data farm back: every
    /// subscription is made again.
    pub(crate) async fn resubscribe(
        &mut self,
        strategies: &Strategies,
        connection: &mut Connection,
    ) {
        self.market.clear();
        self.subscribe_all(strategies, connection).await;
    }

    /// One round trip (`reqCurrentTime`) after subscribing: TWS handles a connection's
    /// requests in order, so when it answers, the subscriptions were taken. Then
    /// [`TradingEvent::Subscribed`] is reported.
    async fn confirm_subscriptions(&mut self, connection: &mut Connection) {
        let Some((client, _)) = connection.client() else {
            return;
        };
        let client = Arc::clone(client);
        let timeout = connection.ib().request_timeout;
        connection.pacer().acquire().await;
        match tokio::time::timeout(timeout, client.server_time()).await {
            Ok(Ok(_)) => {
                let symbols = self.market.subscribed();
                tracing::info!("market data subscribed: {}", symbols.join(", "));
                self.events.emit(TradingEvent::Subscribed { symbols });
            }
            Ok(Err(e)) => tracing::warn!("subscriptions not confirmed: {e}"),
            Err(_) => tracing::warn!(
                "subscriptions not confirmed within {}",
                DurationText(timeout)
            ),
        }
    }

    async fn subscribe(&mut self, instrument: Instrument, connection: &mut Connection) {
        let Some((client, _)) = connection.client() else {
            return;
        };
        let client = Arc::clone(client);
        connection.pacer().acquire().await;
        let contract = wire::contract(&instrument);
        match client
            .realtime_bars(&contract)
            .trading_hours(self.hours)
            .subscribe()
            .await
        {
            Ok(subscription) => {
                tracing::info!(symbol = instrument.symbol, "real-time bars subscribed");
                self.learn_min_tick(&instrument, &client, connection).await;
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

    /// Asks IB once for a US contract's minimum tick (contract details), so limit prices are
    /// rounded onto it before they are sent. SEHK's ticks come from its spread table. Without
    /// an answer, Reg NMS's tick applies (one cent from $1), which is what IB uses for nearly
    /// every US stock.
    async fn learn_min_tick(
        &mut self,
        instrument: &Instrument,
        client: &ibapi::Client,
        connection: &mut Connection,
    ) {
        if instrument.market != sandtrade_core::Market::UsStock
            || book::lock(&self.book).knows_min_tick(&instrument.symbol)
        {
            return;
        }
        let timeout = connection.ib().request_timeout;
        connection.pacer().acquire().await;
        let contract = wire::contract(instrument);
        match tokio::time::timeout(timeout, client.contract_details(&contract)).await {
            Ok(Ok(details)) => match details.first() {
                Some(d) if d.min_tick.is_finite() && d.min_tick > 0.0 => {
                    tracing::debug!(
                        symbol = instrument.symbol,
                        min_tick = d.min_tick,
                        "minimum tick"
                    );
                    book::lock(&self.book).set_min_tick(&instrument.symbol, d.min_tick);
                }
                _ => tracing::warn!(
                    symbol = instrument.symbol,
                    "IB's contract details name no minimum tick; limit prices go on the cent"
                ),
            },
            Ok(Err(e)) => tracing::warn!(
                symbol = instrument.symbol,
                "no contract details ({e}); limit prices go on the cent"
            ),
            Err(_) => tracing::warn!(
                symbol = instrument.symbol,
                "no contract details within {}; limit prices go on the cent",
                DurationText(timeout)
            ),
        }
    }

    /// Contracts with a live bar subscription.
    pub(crate) fn subscribed(&self) -> Vec<String> {
        self.market.subscribed()
    }

    /// Contracts whose subscription failed, with IB's reason.
    pub(crate) fn subscription_errors(&self) -> &BTreeMap<String, String> {
        self.market.failed()
    }

    /// Each needed contract's market data: live, delayed, frozen, failed or waiting, and why.
    pub(crate) fn data_views(&self) -> BTreeMap<String, MarketDataView> {
        self.market.data_views()
    }

    /// The strategies warming up.
    pub(crate) fn warming(&self) -> Vec<String> {
        self.warmups.strategies().map(|s| s.to_string()).collect()
    }

    /// Whether `strategy` is warming up.
    pub(crate) fn is_warming(&self, strategy: &str) -> bool {
        self.warmups.is_warming(strategy)
    }
}

/// Remembers `bar` as the latest given to the strategies of its contract and size.
fn note_bar(
    last_bar: &mut HashMap<(String, u32), i64>,
    instrument: &Instrument,
    bar_seconds: u32,
    bar: &Bar,
) {
    let last = last_bar
        .entry((instrument.symbol.clone(), bar_seconds))
        .or_insert(bar.start_ms);
    *last = (*last).max(bar.start_ms);
}

fn bar_event<'a>(
    instrument: &'a Instrument,
    bar_seconds: u32,
    bar: &Bar,
    source: DataSource,
) -> BarEvent<'a> {
    BarEvent {
        instrument,
        bar_seconds,
        bar: *bar,
        source,
    }
}
