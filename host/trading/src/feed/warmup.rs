//! Warm-up: a strategy that starts (or is replaced) gets `warmup_bars` bars of its own size
//! from IB's history before its first live bar, so its indicators are ready when it trades.
//!
//! Backfill: after a reconnect, a running strategy gets the bars it missed while the connection
//! was down, from the same history and in the same way: a backfill is a warm-up that keeps only
//! the bars after the last one the strategy was given, so it never sees a silent gap.
//!
//! While it warms up, its live bars are held back and buffered ([`sandtrade_runtime::Fleet::hold_bars`])
//! and its signals are refused (they would trade on the past). When the history of every
//! contract it declared has arrived, it is given, in time order, the historical bars that
//! precede its first buffered live bar, then the buffered live bars; then it goes live.
//! Requests follow IB's historical pacing ([`HistoryPacer`]). A failed request leaves that
//! contract without history (logged); it never keeps the strategy from going live.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;
use futures::stream::FuturesUnordered;
use ibapi::Client;
use ibapi::market_data::TradingHours;
use ibapi::market_data::historical::{BarTimestamp, Duration as IbDuration};

use sandtrade_broker::bars::Aggregator;
use sandtrade_broker::history::{HistoryKey, HistoryPacer, source_bar_size};
use sandtrade_broker::wire;
use sandtrade_core::clock::DurationText;
use sandtrade_core::{Bar, Instrument};

/// A finished history request.
#[derive(Debug)]
pub struct HistoryDone {
    strategy: Arc<str>,
    job: u64,
    index: usize,
    result: Result<Vec<Bar>, String>,
}

/// Why a strategy is given history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// It starts: its indicators fill before its first live bar.
    WarmUp,
    /// It missed bars while the connection was down.
    Backfill,
}

/// A warm-up that finished: what to deliver, in order.
#[derive(Debug)]
pub struct Finished {
    /// The strategy.
    pub strategy: Arc<str>,
    /// A warm-up or a backfill.
    pub purpose: Purpose,
    /// Its bar size.
    pub bar_seconds: u32,
    /// Historical bars first, then the buffered live ones, each with its contract.
    pub bars: Vec<(Instrument, Bar)>,
    /// How many of them are historical.
    pub historical: usize,
}

#[derive(Debug)]
struct Job {
    id: u64,
    purpose: Purpose,
    bar_seconds: u32,
    instruments: Vec<Instrument>,
    /// Per instrument: the start of the last bar the strategy was given, if any (a backfill
    /// keeps only the bars after it).
    since: Vec<Option<i64>>,
    /// Per instrument: `None` until its history arrived (or failed: empty).
    history: Vec<Option<Vec<Bar>>>,
    /// Live bars held back meanwhile: (instrument index, bar).
    live: Vec<(usize, Bar)>,
}

/// One history request waiting for its turn.
#[derive(Debug, Clone)]
struct Request {
    strategy: Arc<str>,
    job: u64,
    index: usize,
}

/// The warm-ups in progress.
pub struct Warmups {
    bars: u32,
    hours: TradingHours,
    timeout: Duration,
    jobs: BTreeMap<Arc<str>, Job>,
    waiting: VecDeque<Request>,
    in_flight: FuturesUnordered<LocalBoxFuture<'static, HistoryDone>>,
    pacer: HistoryPacer,
    next_id: u64,
}

impl std::fmt::Debug for Warmups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warmups")
            .field("jobs", &self.jobs.keys().collect::<Vec<_>>())
            .field("waiting", &self.waiting.len())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl Warmups {
    /// Warm-ups of `bars` bars, regular hours only or not, each request bounded by `timeout`.
    pub fn new(bars: u32, regular_hours_only: bool, timeout: Duration) -> Self {
        Self {
            bars,
            hours: if regular_hours_only {
                TradingHours::Regular
            } else {
                TradingHours::Extended
            },
            timeout,
            jobs: BTreeMap::new(),
            waiting: VecDeque::new(),
            in_flight: FuturesUnordered::new(),
            pacer: HistoryPacer::new(),
            next_id: 0,
        }
    }

    /// Whether warm-ups are configured at all (`warmup_bars > 0`).
    pub fn enabled(&self) -> bool {
        self.bars > 0
    }

    /// The strategies warming up.
    pub fn strategies(&self) -> impl Iterator<Item = &Arc<str>> {
        self.jobs.keys()
    }

    /// Whether `strategy` is warming up.
    pub fn is_warming(&self, strategy: &str) -> bool {
        self.jobs.contains_key(strategy)
    }

    /// Starts (or restarts) the warm-up of `strategy`: its requests queue up; with
    /// `connected` false they wait for [`restart_all`](Self::restart_all).
    pub fn begin(
        &mut self,
        strategy: Arc<str>,
        bar_seconds: u32,
        instruments: Vec<Instrument>,
        connected: bool,
    ) {
        let since = vec![None; instruments.len()];
        self.start(
            Purpose::WarmUp,
            strategy,
            bar_seconds,
            instruments,
            since,
            connected,
        );
    }

    /// Starts the backfill of `strategy`, connected: for each instrument, the bars after
    /// `since` (the start of the last bar it was given), within the warm-up's window.
    pub fn begin_backfill(
        &mut self,
        strategy: Arc<str>,
        bar_seconds: u32,
        instruments: Vec<Instrument>,
        since: Vec<Option<i64>>,
    ) {
        self.start(
            Purpose::Backfill,
            strategy,
            bar_seconds,
            instruments,
            since,
            true,
        );
    }

    fn start(
        &mut self,
        purpose: Purpose,
        strategy: Arc<str>,
        bar_seconds: u32,
        instruments: Vec<Instrument>,
        since: Vec<Option<i64>>,
        connected: bool,
    ) {
        self.next_id += 1;
        let job = Job {
            id: self.next_id,
            purpose,
            bar_seconds,
            history: vec![None; instruments.len()],
            instruments,
            since,
            live: Vec::new(),
        };
        self.waiting.retain(|r| r.strategy != strategy);
        if connected {
            self.queue(&strategy, &job);
        }
        self.jobs.insert(strategy, job);
    }

    fn queue(&mut self, strategy: &Arc<str>, job: &Job) {
        for index in 0..job.instruments.len() {
            self.waiting.push_back(Request {
                strategy: strategy.clone(),
                job: job.id,
                index,
            });
        }
    }

    /// Forgets the warm-up of `strategy` (it was removed).
    pub fn cancel(&mut self, strategy: &str) {
        self.jobs.remove(strategy);
        self.waiting.retain(|r| &*r.strategy != strategy);
    }

    /// After a disconnect: requests in flight are lost; every warm-up starts over when the
    /// next connection is up ([`restart_all`](Self::restart_all)).
    pub fn suspend_all(&mut self) {
        self.waiting.clear();
        self.in_flight = FuturesUnordered::new();
        for job in self.jobs.values_mut() {
            job.history.iter_mut().for_each(|h| *h = None);
            job.live.clear();
        }
    }

    /// Queues every warm-up's requests (after a connect).
    pub fn restart_all(&mut self) {
        self.waiting.clear();
        let jobs: Vec<(Arc<str>, u64, usize)> = self
            .jobs
            .iter()
            .map(|(s, j)| (s.clone(), j.id, j.instruments.len()))
            .collect();
        for (strategy, job, n) in jobs {
            for index in 0..n {
                self.waiting.push_back(Request {
                    strategy: strategy.clone(),
                    job,
                    index,
                });
            }
        }
    }

    /// Buffers a live bar for every warming strategy that wants it.
    pub fn buffer_live(&mut self, symbol: &str, bar_seconds: u32, bar: Bar) {
        for job in self.jobs.values_mut() {
            if job.bar_seconds != bar_seconds {
                continue;
            }
            if let Some(index) = job.instruments.iter().position(|i| i.symbol == symbol) {
                job.live.push((index, bar));
            }
        }
    }

    fn key(&self, request: &Request) -> Option<HistoryKey> {
        let job = self.jobs.get(&request.strategy)?;
        Some(HistoryKey {
            symbol: job.instruments.get(request.index)?.symbol.clone(),
            bar_seconds: job.bar_seconds,
            duration_seconds: u64::from(self.bars) * u64::from(job.bar_seconds),
        })
    }

    /// When the next waiting request may go (`None` if none waits).
    pub fn next_ready_at(&mut self, now: Instant) -> Option<Instant> {
        loop {
            let request = self.waiting.front()?;
            match self.key(request) {
                Some(key) => return Some(self.pacer.ready_at(&key, now)),
                // Its strategy was removed or replaced since: drop it.
                None => {
                    self.waiting.pop_front();
                }
            }
        }
    }

    /// Sends the next waiting request through `client` if pacing allows it at `now`.
    /// Returns whether one was sent (the caller counts it in the message pacer).
    pub fn launch_next(&mut self, client: &Arc<Client>, now: Instant) -> bool {
        let Some(at) = self.next_ready_at(now) else {
            return false;
        };
        if at > now {
            return false;
        }
        let Some(request) = self.waiting.pop_front() else {
            return false;
        };
        let (Some(key), Some(job)) = (self.key(&request), self.jobs.get(&request.strategy)) else {
            return false;
        };
        if job.id != request.job {
            return false;
        }
        self.pacer.record(&key, now);
        let instrument = job.instruments[request.index].clone();
        let bar_seconds = job.bar_seconds;
        let (bars, hours, timeout) = (self.bars, self.hours, self.timeout);
        let client = Arc::clone(client);
        self.in_flight.push(Box::pin(async move {
            let result = fetch(&client, &instrument, bar_seconds, bars, hours, timeout).await;
            HistoryDone {
                strategy: request.strategy,
                job: request.job,
                index: request.index,
                result,
            }
        }));
        true
    }

    /// Whether a request is in flight (then [`next_done`](Self::next_done) may be polled).
    pub fn has_in_flight(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// The next finished request.
    pub async fn next_done(&mut self) -> Option<HistoryDone> {
        use futures::StreamExt;
        self.in_flight.next().await
    }

    /// Takes a finished request; returns the warm-up it completes, if it does.
    pub fn on_done(&mut self, done: HistoryDone) -> Option<Finished> {
        let job = self.jobs.get_mut(&done.strategy)?;
        if job.id != done.job {
            return None;
        }
        let purpose = job.purpose;
        let bars = done.result.unwrap_or_else(|why| {
            let without = match purpose {
                Purpose::WarmUp => "warm-up history unavailable, starting without it",
                Purpose::Backfill => {
                    "history unavailable, the bars missed while disconnected are not backfilled"
                }
            };
            tracing::warn!(
                strategy = &*done.strategy,
                symbol = job.instruments[done.index].symbol,
                "{without}: {why}"
            );
            Vec::new()
        });
        job.history[done.index] = Some(bars);
        if job.history.iter().any(Option::is_none) {
            return None;
        }
        let (strategy, job) = self.jobs.remove_entry(&done.strategy)?;
        Some(finish(strategy, job))
    }

    /// Finishes the warm-up of `strategy` at once, without history (warm-ups disabled, or a
    /// bar size history cannot serve).
    pub fn finish_now(&mut self, strategy: &str) -> Option<Finished> {
        let (strategy, mut job) = self.jobs.remove_entry(strategy)?;
        self.waiting.retain(|r| r.strategy != strategy);
        job.history.iter_mut().for_each(|h| *h = Some(Vec::new()));
        Some(finish(strategy, job))
    }
}

/// Merges a job's history and buffered live bars in time order: for each contract, the
/// historical bars after the last bar the strategy was given (all of them in a warm-up) that
/// start before its first live bar, then the live ones.
fn finish(strategy: Arc<str>, job: Job) -> Finished {
    let mut merged: Vec<(usize, Bar)> = Vec::new();
    for (index, history) in job.history.into_iter().enumerate() {
        let history = history.unwrap_or_default();
        let since = job.since[index];
        if let (Some(since), Some(oldest)) = (since, history.first())
            && oldest.start_ms > since
        {
            // The history does not reach back to the last bar the strategy saw: the gap was
            // longer than the window asked for.
            tracing::warn!(
                strategy = &*strategy,
                symbol = job.instruments[index].symbol,
                "the connection was down longer than the warm-up window: bars between {} and \
                 {} are not backfilled",
                format_ms(since),
                format_ms(oldest.start_ms)
            );
        }
        let first_live = job
            .live
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b.start_ms);
        merged.extend(
            history
                .into_iter()
                .filter(|b| since.is_none_or(|since| b.start_ms > since))
                .filter(|b| first_live.is_none_or(|live| b.start_ms < live))
                .map(|b| (index, b)),
        );
    }
    merged.sort_by_key(|(index, bar)| (bar.start_ms, *index));
    let historical = merged.len();
    merged.extend(job.live);
    Finished {
        strategy,
        purpose: job.purpose,
        bar_seconds: job.bar_seconds,
        bars: merged
            .into_iter()
            .map(|(index, bar)| (job.instruments[index].clone(), bar))
            .collect(),
        historical,
    }
}

/// A bar start for the log: RFC 3339, UTC.
fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// Fetches the last `count` bars of `bar_seconds` of `instrument`: IB history in the largest
/// IB bar size that divides it, aggregated; an incomplete last bar is left out.
async fn fetch(
    client: &Client,
    instrument: &Instrument,
    bar_seconds: u32,
    count: u32,
    hours: TradingHours,
    timeout: Duration,
) -> Result<Vec<Bar>, String> {
    let (size, source_seconds) = source_bar_size(bar_seconds)
        .ok_or_else(|| format!("no IB bar size divides {bar_seconds} s"))?;
    let seconds = u64::from(count) * u64::from(bar_seconds);
    let duration = if seconds <= 86_400 {
        IbDuration::seconds(i32::try_from(seconds).unwrap_or(86_400))
    } else {
        IbDuration::days(i32::try_from(seconds.div_ceil(86_400)).unwrap_or(365))
    };
    let contract = wire::contract(instrument);
    let request = client
        .historical_data(&contract, size)
        .duration(duration)
        .trading_hours(hours)
        .fetch();
    let data = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| format!("no answer within {}", DurationText(timeout)))?
        .map_err(|e| e.to_string())?;
    let mut aggregator = Aggregator::new(bar_seconds);
    let mut out = Vec::new();
    for bar in data.bars {
        let start_ms = match bar.date {
            BarTimestamp::DateTime(at) => wire::millis(at),
            BarTimestamp::Date(date) => wire::millis(date.midnight().assume_utc()),
        };
        let bar = Bar {
            start_ms,
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
        };
        out.extend(aggregator.push(bar, source_seconds));
    }
    let keep = usize::try_from(count).unwrap_or(usize::MAX);
    if out.len() > keep {
        out.drain(..out.len() - keep);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_core::normalize;

    fn bar(start_s: i64, close: f64) -> Bar {
        Bar {
            start_ms: start_s * 1000,
            open: close,
            high: close,
            low: close,
            close,
            volume: 1.0,
        }
    }

    #[test]
    fn history_before_the_first_live_bar_then_the_live_bars_in_time_order() {
        let aapl = normalize("AAPL").unwrap();
        let msft = normalize("MSFT").unwrap();
        let job = Job {
            id: 1,
            purpose: Purpose::WarmUp,
            bar_seconds: 60,
            instruments: vec![aapl.clone(), msft.clone()],
            since: vec![None, None],
            history: vec![
                Some(vec![bar(0, 1.0), bar(60, 2.0), bar(120, 3.0)]),
                Some(vec![bar(60, 20.0)]),
            ],
            // AAPL's 120 arrived live too: the historical one is left out.
            live: vec![(0, bar(120, 3.5)), (1, bar(120, 30.0))],
        };
        let done = finish("s".into(), job);
        assert_eq!(done.historical, 3);
        let got: Vec<(String, i64, f64)> = done
            .bars
            .iter()
            .map(|(i, b)| (i.symbol.clone(), b.start_ms / 1000, b.close))
            .collect();
        assert_eq!(
            got,
            [
                ("AAPL".into(), 0, 1.0),
                ("AAPL".into(), 60, 2.0),
                ("MSFT".into(), 60, 20.0),
                ("AAPL".into(), 120, 3.5),
                ("MSFT".into(), 120, 30.0),
            ]
        );
    }

    #[test]
    fn a_replaced_strategy_ignores_its_old_requests() {
        let mut w = Warmups::new(10, true, Duration::from_secs(1));
        let aapl = normalize("AAPL").unwrap();
        w.begin("s".into(), 60, vec![aapl.clone()], true);
        w.begin("s".into(), 60, vec![aapl], true);
        assert_eq!(w.waiting.len(), 1);
        let stale = HistoryDone {
            strategy: "s".into(),
            job: 1,
            index: 0,
            result: Ok(vec![bar(0, 1.0)]),
        };
        assert!(w.on_done(stale).is_none());
        let fresh = HistoryDone {
            strategy: "s".into(),
            job: 2,
            index: 0,
            result: Err("162: pacing violation".into()),
        };
        let done = w.on_done(fresh).expect("the warm-up completes");
        assert_eq!((done.historical, done.bars.len()), (0, 0));
        assert!(!w.is_warming("s"));
    }
}
