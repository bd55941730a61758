//! The trading thread's loop: one owner for the IB client, the fleet of strategies, the order
//! store and the risk validator, on one current-thread tokio runtime.
//!
//! Every input is a branch of one `select!` ([`Trader::next_wake`]): live bars, IB's order
//! events, notices and positions, operator commands, strategy-directory changes, history
//! answers, a connect in progress, and one timer for everything scheduled (reconnect, pacer,
//! heartbeat, warm-up pacing, housekeeping). Each is handled to completion before the next:
//! a bar runs the strategies, whose signals are committed by their desks during the call,
//! and the queue is drained to the wire right after — all on this thread, with no hand-off.
//!
//! The connection's life: `disconnected → connecting → reconciling → connected`. The connect
//! and the reconciliation reads run as one future ([`establish`]) that touches no state of
//! the loop, so commands are answered while it runs; nothing is sent before the store has
//! reconciled what IB reports.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use futures::stream::FuturesUnordered;
use ibapi::Client;
use ibapi::accounts::PositionUpdate;
use ibapi::market_data::realtime::Bar as RtBar;
use ibapi::orders::OrderUpdate;
use ibapi::subscriptions::{NoticeStream, Subscription, SubscriptionItem};
use rand_core::Rng;
use tokio::sync::{Notify, broadcast, mpsc, watch};
use tokio_stream::StreamExt;

use super::book::{self, SharedBook};
use super::desk::LiveDesk;
use super::drift::DriftMonitor;
use super::events::TradingEvent;
use super::handle::Command;
use super::market::Market;
use super::status::{ConnectionState, ConnectionStatus, Drift, ReconcileSummary, TradingStatus};
use super::warmup::{HistoryDone, Warmups};
use crate::config::TradingConfig;
use sandtrade_broker::backoff::Backoff;
use sandtrade_broker::pacer::Pacer;
use sandtrade_broker::session::{self, ConnectError, Connected};
use sandtrade_core::clock;
use sandtrade_orders::BrokerSnapshot;
use sandtrade_risk::Validator;
use sandtrade_runtime::{CompileCache, DirChange, DirWatch, Fleet, Runtime};

/// How often housekeeping runs: restarts after a strategy's backoff, the drift check.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// The published status ([`super::TradingHandle::status_now`]) is refreshed after any input,
/// but at most once per this interval: readers (the REST API's `GET /api/ibkr/status`, at tens
/// of thousands of requests per second) never queue behind the hot path, and the hot path
/// pays for at most 50 pictures a second, however busy it is.
pub const STATUS_REFRESH: Duration = Duration::from_millis(20);

/// A connection that is up and reconciled.
pub(super) struct Session {
    pub(super) client: Arc<Client>,
    pub(super) client_id: i32,
    orders: Subscription<OrderUpdate>,
    notices: NoticeStream,
    positions: Subscription<PositionUpdate>,
    /// A `reqCurrentTime` in flight, and when it was sent.
    heartbeat: Option<(Instant, LocalBoxFuture<'static, Result<(), ibapi::Error>>)>,
    next_heartbeat: Instant,
}

/// What [`establish`] brings back: a connection, its streams, and everything IB knows.
pub(super) struct Established {
    connected: Connected,
    orders: Subscription<OrderUpdate>,
    positions: Subscription<PositionUpdate>,
    broker_positions: BTreeMap<String, f64>,
    snapshot: BrokerSnapshot,
}

/// Why [`establish`] failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum EstablishError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Snapshot(#[from] session::SnapshotError),
    #[error("{0}")]
    Other(String),
}

/// Connects, opens the order-event stream *before* reading what IB knows (so no event falls
/// between the two; one that arrives both ways is applied idempotently), reads the
/// reconciliation snapshot and the account's positions.
async fn establish(config: Arc<TradingConfig>) -> Result<Established, EstablishError> {
    let connected = session::connect(&config.ib, config.mode).await?;
    let client = Arc::clone(&connected.client);
    let orders = client
        .order_update_stream()
        .await
        .map_err(|e| EstablishError::Other(format!("cannot open the order event stream: {e}")))?;
    let snapshot = session::snapshot(
        &client,
        connected.client_id,
        &config.ib.account,
        config.ib.request_timeout,
    )
    .await?;
    let mut positions = client
        .positions()
        .await
        .map_err(|e| EstablishError::Other(format!("cannot read positions: {e}")))?;
    let mut broker_positions = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + config.ib.request_timeout;
    loop {
        match tokio::time::timeout_at(deadline, positions.next()).await {
            Err(_) => {
                return Err(EstablishError::Other(
                    "positions: no end marker within the request timeout".into(),
                ));
            }
            Ok(Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(p))))) => {
                if p.account == config.ib.account {
                    broker_positions.insert(p.contract.symbol.to_string(), p.position);
                }
            }
            Ok(Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd)))) => break,
            Ok(Some(Ok(SubscriptionItem::Notice(n)))) => {
                tracing::info!(code = n.code, "positions: {}", n.message);
            }
            Ok(Some(Err(e))) => return Err(EstablishError::Other(format!("positions: {e}"))),
            Ok(None) => return Err(EstablishError::Other("positions: stream ended".into())),
        }
    }
    Ok(Established {
        connected,
        orders,
        positions,
        broker_positions,
        snapshot,
    })
}

/// One input for the loop.
#[expect(
    clippy::large_enum_variant,
    reason = "made and consumed once per loop turn, on the stack; boxing would allocate per IB event"
)]
pub(super) enum Wake {
    Stop,
    Bar(String, Result<SubscriptionItem<RtBar>, ibapi::Error>),
    Session(SessionEvent),
    Command(Command),
    Dir(Vec<DirChange>),
    Established(Result<Established, EstablishError>),
    History(HistoryDone),
    Reloaded(super::control::Reloaded),
    Timer,
}

/// One input from the connected session.
#[expect(
    clippy::large_enum_variant,
    reason = "made and consumed once per loop turn, on the stack; boxing would allocate per IB event"
)]
pub(super) enum SessionEvent {
    Order(Option<Result<SubscriptionItem<OrderUpdate>, ibapi::Error>>),
    Notice(Option<ibapi::Notice>),
    Position(Option<Result<SubscriptionItem<PositionUpdate>, ibapi::Error>>),
    Heartbeat(Result<(), ibapi::Error>),
}

/// The state of the trading thread.
pub(super) struct Trader {
    pub(super) config: Arc<TradingConfig>,
    pub(super) fleet: Fleet<LiveDesk>,
    pub(super) book: SharedBook,
    pub(super) validator: Validator,
    pub(super) runtime: Runtime,
    pub(super) cache: Option<CompileCache>,
    pub(super) pacer: Pacer,
    /// When the pacer frees a slot for an order that waits.
    pub(super) pacer_wake: Option<Instant>,
    /// The queue length last reported as held (1100), so it is reported once per change.
    pub(super) held_reported: usize,
    backoff: Backoff,
    rng: rand_xorshift::XorShiftRng,
    pub(super) conn: ConnectionStatus,
    /// When the next connect is due (`None`: now, unless held down).
    retry_at: Option<Instant>,
    pub(super) session: Option<Session>,
    connecting: Option<LocalBoxFuture<'static, Result<Established, EstablishError>>>,
    pub(super) market: Market,
    pub(super) warmups: Warmups,
    pub(super) broker_positions: BTreeMap<String, f64>,
    pub(super) positions_known: bool,
    drift: DriftMonitor,
    pub(super) drift_now: Vec<Drift>,
    pub(super) last_reconcile: Option<ReconcileSummary>,
    pub(super) events: broadcast::Sender<TradingEvent>,
    commands: mpsc::UnboundedReceiver<Command>,
    dir_changes: mpsc::UnboundedReceiver<Vec<DirChange>>,
    shutdown: Arc<Notify>,
    external_stop: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    pub(super) reloads: FuturesUnordered<LocalBoxFuture<'static, super::control::Reloaded>>,
    /// The supervisor's monotonic clock starts here.
    epoch: Instant,
    next_housekeeping: Instant,
    /// Set when the loop must end (with this exit).
    pub(super) exit: Option<super::handle::Exit>,
    _watch: Option<DirWatch>,
    /// The status picture readers get without asking this thread.
    status_tx: watch::Sender<Arc<TradingStatus>>,
    /// When the picture was last taken, and when a newer one is due (something changed
    /// within [`STATUS_REFRESH`] of the last one).
    status_taken: Instant,
    status_due: Option<Instant>,
    /// The connection changed state, or the halt switch was flipped: publish at the end of
    /// this turn, whatever the interval (so whoever changed it reads the new state back).
    pub(super) status_urgent: bool,
}

/// Everything [`Trader::new`] needs.
pub(super) struct Parts {
    pub(super) config: Arc<TradingConfig>,
    pub(super) fleet: Fleet<LiveDesk>,
    pub(super) book: SharedBook,
    pub(super) validator: Validator,
    pub(super) runtime: Runtime,
    pub(super) cache: Option<CompileCache>,
    pub(super) events: broadcast::Sender<TradingEvent>,
    pub(super) commands: mpsc::UnboundedReceiver<Command>,
    pub(super) dir_changes: mpsc::UnboundedReceiver<Vec<DirChange>>,
    pub(super) shutdown: Arc<Notify>,
    pub(super) external_stop: Pin<Box<dyn Future<Output = ()> + Send>>,
    pub(super) watch: Option<DirWatch>,
}

impl Parts {
    /// The [`Trader`], and the receiver of its published status (already holding a first
    /// picture).
    pub(super) fn into_trader(self) -> (Trader, watch::Receiver<Arc<TradingStatus>>) {
        Trader::new(self)
    }
}

impl Trader {
    fn new(parts: Parts) -> (Self, watch::Receiver<Arc<TradingStatus>>) {
        let Parts {
            config,
            fleet,
            book,
            validator,
            runtime,
            cache,
            events,
            commands,
            dir_changes,
            shutdown,
            external_stop,
            watch,
        } = parts;
        let ib = &config.ib;
        let seed = u64::try_from(clock::unix_ms()).unwrap_or(0) ^ u64::from(std::process::id());
        let now = Instant::now();
        // A placeholder until the first picture below (the channel needs a value).
        let (status_tx, status_rx) = watch::channel(Arc::new(TradingStatus::placeholder(
            config.mode,
            &config.ib.account,
        )));
        let mut trader = Self {
            status_tx,
            status_taken: now,
            status_due: None,
            status_urgent: false,
            pacer: Pacer::new(ib.messages_per_second, ib.message_burst),
            pacer_wake: None,
            held_reported: 0,
            backoff: Backoff::new(ib.reconnect_initial, ib.reconnect_max),
            rng: rand_core::SeedableRng::seed_from_u64(seed),
            conn: ConnectionStatus {
                state: ConnectionState::Disconnected,
                address: ib.address(),
                client_id: None,
                since_ms: clock::unix_ms(),
                connects: 0,
                last_error: None,
                ib_connectivity: true,
                farms: BTreeMap::new(),
                heartbeat_rtt_us: None,
                held_down: false,
            },
            retry_at: None,
            session: None,
            connecting: None,
            market: Market::new(),
            warmups: Warmups::new(
                config.market_data.warmup_bars,
                config.market_data.regular_hours_only,
                ib.request_timeout,
            ),
            broker_positions: BTreeMap::new(),
            positions_known: false,
            drift: DriftMonitor::new(config.positions.drift_grace),
            drift_now: Vec::new(),
            last_reconcile: None,
            commands,
            dir_changes,
            shutdown,
            external_stop: Some(external_stop),
            reloads: FuturesUnordered::new(),
            epoch: now,
            next_housekeeping: now + HOUSEKEEPING,
            exit: None,
            _watch: watch,
            config,
            fleet,
            book,
            validator,
            runtime,
            cache,
            events,
        };
        trader.publish_status(now);
        (trader, status_rx)
    }

    /// Takes a new status picture now if the last is older than [`STATUS_REFRESH`] or the
    /// connection changed state, else schedules one (the timer takes it).
    fn refresh_status(&mut self, now: Instant) {
        if self.status_urgent || now.duration_since(self.status_taken) >= STATUS_REFRESH {
            self.publish_status(now);
        } else if self.status_due.is_none() {
            self.status_due = Some(self.status_taken + STATUS_REFRESH);
        }
    }

    fn publish_status(&mut self, now: Instant) {
        self.status_taken = now;
        self.status_due = None;
        self.status_urgent = false;
        // Nobody reading is fine: the handle may have been dropped.
        self.status_tx.send_replace(Arc::new(self.status()));
    }

    /// The supervisor's clock: ms since the loop started (monotonic).
    pub(super) fn mono_ms(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Sends an event to whoever listens (nothing if nobody does).
    pub(super) fn emit(&self, event: TradingEvent) {
        let _nobody_listening = self.events.send(event);
    }

    /// Runs until shutdown or a fatal error.
    pub(super) async fn run(mut self) -> super::handle::Exit {
        loop {
            if let Some(exit) = self.exit.take() {
                self.stop().await;
                return exit;
            }
            match self.next_wake().await {
                Wake::Stop => self.exit = Some(super::handle::Exit::Stopped),
                Wake::Bar(symbol, item) => self.on_bar_item(&symbol, item).await,
                Wake::Session(event) => self.on_session_event(event).await,
                Wake::Command(command) => self.on_command(command).await,
                Wake::Dir(changes) => {
                    for change in changes {
                        self.apply_dir_change(change).await;
                    }
                }
                Wake::Established(result) => self.on_established(result).await,
                Wake::History(done) => self.on_history(done),
                Wake::Reloaded(reloaded) => self.on_reloaded(reloaded).await,
                Wake::Timer => self.on_timer().await,
            }
            self.refresh_status(Instant::now());
        }
    }

    /// When the one timer must fire next.
    fn next_deadline(&mut self, now: Instant) -> Instant {
        let mut at = self.next_housekeeping;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                at = at.min(t);
            }
        };
        consider(self.pacer_wake);
        consider(self.status_due);
        if self.session.is_none() && self.connecting.is_none() && !self.conn.held_down {
            consider(Some(self.retry_at.unwrap_or(now)));
        }
        if let Some(session) = &self.session {
            match &session.heartbeat {
                Some((sent, _)) => consider(Some(*sent + self.config.ib.heartbeat_timeout)),
                None => consider(Some(session.next_heartbeat)),
            }
            consider(self.warmups.next_ready_at(now));
        }
        at
    }

    async fn next_wake(&mut self) -> Wake {
        let deadline = self.next_deadline(Instant::now());
        let Self {
            session,
            market,
            warmups,
            commands,
            dir_changes,
            shutdown,
            external_stop,
            connecting,
            reloads,
            ..
        } = self;
        tokio::select! {
            biased;
            () = shutdown.notified() => Wake::Stop,
            () = async { external_stop.as_mut().expect("guarded").await }, if external_stop.is_some() => {
                *external_stop = None;
                Wake::Stop
            }
            Some((symbol, item)) = market.next(), if !market.is_idle() => Wake::Bar(symbol, item),
            event = next_session_event(session), if session.is_some() => Wake::Session(event),
            Some(command) = commands.recv() => Wake::Command(command),
            result = async { connecting.as_mut().expect("guarded").await }, if connecting.is_some() => {
                *connecting = None;
                Wake::Established(result)
            }
            Some(done) = warmups.next_done(), if warmups.has_in_flight() => Wake::History(done),
            Some(changes) = dir_changes.recv() => Wake::Dir(changes),
            Some(reloaded) = reloads.next(), if !reloads.is_empty() => Wake::Reloaded(reloaded),
            () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
        }
    }

    async fn on_timer(&mut self) {
        let now = Instant::now();
        if self.pacer_wake.is_some_and(|at| at <= now) {
            self.pacer_wake = None;
            self.send_queued().await;
        }
        if self.session.is_none()
            && self.connecting.is_none()
            && !self.conn.held_down
            && self.retry_at.is_none_or(|at| at <= now)
        {
            self.start_connect();
        }
        self.heartbeat(now).await;
        if let Some(session) = &self.session {
            let client = Arc::clone(&session.client);
            while self.pacer.available(now) > 1 && self.warmups.launch_next(&client, now) {
                self.pacer.record(now);
            }
        }
        if now >= self.next_housekeeping {
            self.next_housekeeping = now + HOUSEKEEPING;
            self.housekeeping(now).await;
        }
    }

    async fn housekeeping(&mut self, now: Instant) {
        let mono = self.mono_ms();
        self.fleet.restart_due(mono);
        self.check_drift(now);
        // Strategies that restarted after a fault run again: a fill or signal may be pending.
        self.send_queued().await;
    }

    fn check_drift(&mut self, now: Instant) {
        if !self.positions_known {
            self.drift_now.clear();
            return;
        }
        let ledger = {
            let book = book::lock(&self.book);
            let mut sums: BTreeMap<String, i64> = BTreeMap::new();
            for (_, symbol, _, position) in book.store.positions() {
                *sums.entry(symbol.to_owned()).or_default() += position.quantity;
            }
            sums
        };
        let drift = self.drift.check(&self.broker_positions, &ledger, now);
        for d in drift.iter().filter(|d| !self.drift_now.contains(d)) {
            tracing::error!(
                symbol = d.symbol,
                broker = d.broker,
                ledger = d.ledger,
                "position drift: the broker's position differs from the strategies' ledger"
            );
            self.emit(TradingEvent::Drift {
                symbol: d.symbol.clone(),
                broker: d.broker,
                ledger: d.ledger,
            });
            if self.config.positions.halt_on_drift {
                self.validator.switch().halt(format!(
                    "position drift on {}: broker {}, strategies {}",
                    d.symbol, d.broker, d.ledger
                ));
            }
        }
        self.drift_now = drift;
    }

    fn start_connect(&mut self) {
        self.set_state(ConnectionState::Connecting);
        self.connecting = Some(establish(Arc::clone(&self.config)).boxed_local());
    }

    pub(super) fn set_state(&mut self, state: ConnectionState) {
        if self.conn.state != state {
            self.conn.state = state;
            self.conn.since_ms = clock::unix_ms();
            self.status_urgent = true;
        }
    }

    async fn on_established(&mut self, result: Result<Established, EstablishError>) {
        let established = match result {
            Ok(established) => established,
            Err(EstablishError::Connect(e)) if !e.is_retryable() => {
                let why = e.to_string();
                tracing::error!("{why}");
                self.set_state(ConnectionState::Refused);
                self.conn.last_error = Some(why.clone());
                self.emit(TradingEvent::ConnectFailed {
                    reason: why.clone(),
                    retry_in_ms: None,
                });
                self.exit = Some(super::handle::Exit::Failed(why));
                return;
            }
            Err(e) => {
                self.connect_failed(e.to_string());
                return;
            }
        };
        let Established {
            connected,
            orders,
            positions,
            broker_positions,
            snapshot,
        } = established;
        self.set_state(ConnectionState::Reconciling);
        self.conn.client_id = Some(connected.client_id);
        self.conn.connects += 1;
        self.conn.ib_connectivity = true;
        self.emit(TradingEvent::Connected {
            client_id: connected.client_id,
        });
        // Executions first, one by one, so that a fill made while we were away reaches its
        // strategy's on-fill like any other; `reconcile` then finds them recorded.
        let fills_found = self.apply_reconciled_executions(&snapshot);
        let report = book::lock(&self.book).store.reconcile(&snapshot);
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                connected.client.disconnect().await;
                self.connect_failed(format!("reconciliation could not be stored: {e}"));
                return;
            }
        };
        let issues: Vec<String> = report.issues.iter().map(|i| format!("{i:?}")).collect();
        for issue in &issues {
            tracing::warn!("reconciliation: {issue}");
        }
        tracing::info!(
            client_id = connected.client_id,
            next_order_id = report.next_order_id,
            new_fills = fills_found + report.new_fills,
            changed = report.changed.len(),
            issues = issues.len(),
            "connected and reconciled"
        );
        for (id, change) in &report.changed {
            self.emit(TradingEvent::OrderState {
                id: id.get(),
                from: change.from,
                to: change.to,
            });
        }
        self.last_reconcile = Some(ReconcileSummary {
            at_ms: clock::unix_ms(),
            new_fills: fills_found + report.new_fills,
            changed: report.changed.len(),
            issues,
        });
        self.emit(TradingEvent::Reconciled {
            new_fills: fills_found + report.new_fills,
            changed: report.changed.len(),
            issues: report.issues.len(),
        });
        self.broker_positions = broker_positions;
        self.positions_known = true;
        self.drift.reset();
        self.backoff.reset();
        let now = Instant::now();
        self.session = Some(Session {
            client: connected.client,
            client_id: connected.client_id,
            orders,
            notices: connected.notices,
            positions,
            heartbeat: None,
            next_heartbeat: now + self.config.ib.heartbeat_interval,
        });
        self.set_state(ConnectionState::Connected);
        self.conn.last_error = None;
        {
            // Reconciliation may have settled orders: re-arm the queue flag from the store.
            let mut book = book::lock(&self.book);
            book.queued = book.store.queued_len() > 0;
        }
        self.subscribe_all().await;
        self.warmups.restart_all();
        self.send_queued().await;
    }

    fn connect_failed(&mut self, why: String) {
        let jitter = self.random_unit();
        let delay = self.backoff.next_delay(jitter);
        tracing::warn!(
            attempt = self.backoff.attempts(),
            retry_in_ms = delay.as_millis(),
            "IB connection failed: {why}"
        );
        self.conn.last_error = Some(why.clone());
        self.set_state(ConnectionState::Disconnected);
        self.retry_at = Some(Instant::now() + delay);
        self.emit(TradingEvent::ConnectFailed {
            reason: why,
            retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
        });
    }

    fn random_unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Ends the session: streams dropped, the client shut down, market data and warm-ups
    /// suspended, a reconnect scheduled with backoff (unless the operator holds it down).
    pub(super) async fn lose_connection(&mut self, why: String) {
        let Some(session) = self.session.take() else {
            return;
        };
        tracing::warn!("IB connection lost: {why}");
        self.market.clear();
        self.warmups.suspend_all();
        self.positions_known = false;
        self.pacer_wake = None;
        session.client.disconnect().await;
        drop(session);
        self.conn.client_id = None;
        self.conn.last_error = Some(why.clone());
        self.conn.heartbeat_rtt_us = None;
        self.conn.farms.clear();
        self.set_state(ConnectionState::Disconnected);
        self.emit(TradingEvent::Disconnected { reason: why });
        let jitter = self.random_unit();
        let delay = self.backoff.next_delay(jitter);
        self.retry_at = Some(Instant::now() + delay);
    }

    async fn heartbeat(&mut self, now: Instant) {
        let timeout = self.config.ib.heartbeat_timeout;
        let Some(session) = &mut self.session else {
            return;
        };
        match &session.heartbeat {
            Some((sent, _)) if now.duration_since(*sent) >= timeout => {
                let waited = now.duration_since(*sent);
                self.lose_connection(format!(
                    "no answer to the heartbeat (reqCurrentTime) in {waited:?}: the gateway is silent"
                ))
                .await;
            }
            Some(_) => {}
            None if now >= session.next_heartbeat => {
                if !self.pacer.try_take(now) {
                    session.next_heartbeat = self.pacer.next_free(now);
                    return;
                }
                let client = Arc::clone(&session.client);
                session.heartbeat = Some((
                    now,
                    async move { client.server_time().await.map(drop) }.boxed_local(),
                ));
            }
            None => {}
        }
    }

    pub(super) fn heartbeat_answered(
        &mut self,
        result: Result<(), ibapi::Error>,
    ) -> Option<String> {
        let interval = self.config.ib.heartbeat_interval;
        let session = self.session.as_mut()?;
        let (sent, _) = session.heartbeat.take()?;
        let now = Instant::now();
        session.next_heartbeat = now + interval;
        match result {
            Ok(()) => {
                self.conn.heartbeat_rtt_us =
                    Some(u64::try_from(now.duration_since(sent).as_micros()).unwrap_or(u64::MAX));
                None
            }
            Err(e) => Some(format!("heartbeat failed: {e}")),
        }
    }

    /// Replaces the configuration the next connection is made with (its `[ib]` part), and
    /// abandons a connect in progress to the old address.
    pub(super) fn retarget(&mut self, config: Arc<TradingConfig>) {
        self.conn.address = config.ib.address();
        if self.connecting.take().is_some() {
            self.set_state(ConnectionState::Disconnected);
        }
        self.config = config;
    }

    pub(super) fn hold_down(&mut self, held: bool) {
        self.conn.held_down = held;
        if held && self.connecting.take().is_some() {
            // A connect in progress is abandoned with its half-made session.
            self.set_state(ConnectionState::Disconnected);
        }
        if !held {
            self.retry_at = None;
            self.backoff.reset();
        }
    }

    async fn stop(&mut self) {
        if let Some(session) = self.session.take() {
            session.client.disconnect().await;
        }
        self.connecting = None;
        self.set_state(ConnectionState::Disconnected);
        self.publish_status(Instant::now());
        if let Err(e) = book::lock(&self.book).store.checkpoint() {
            tracing::warn!("final checkpoint of the order database failed: {e}");
        }
        tracing::info!("trading loop stopped");
    }
}

/// The next input of the connected session; pending forever if there is none.
async fn next_session_event(session: &mut Option<Session>) -> SessionEvent {
    let Some(session) = session else {
        return std::future::pending().await;
    };
    let Session {
        orders,
        notices,
        positions,
        heartbeat,
        ..
    } = session;
    tokio::select! {
        biased;
        item = orders.next() => SessionEvent::Order(item),
        result = async { heartbeat.as_mut().expect("guarded").1.as_mut().await }, if heartbeat.is_some() => {
            SessionEvent::Heartbeat(result)
        }
        notice = notices.next() => SessionEvent::Notice(notice),
        item = positions.next() => SessionEvent::Position(item),
    }
}
