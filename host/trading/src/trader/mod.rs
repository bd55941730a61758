//! The trading thread's loop: it owns the parts — the connection, the feed, the order flow,
//! the strategies — and routes each input to the part it concerns, on one current-thread
//! tokio runtime.
//!
//! Every input is a branch of one `select!` ([`Trader::next_wake`]): live bars and history
//! answers (the feed), IB's order events, notices and positions and a connect in progress
//! (the connection), operator commands, strategy-directory changes, finished reloads, and one
//! timer for everything scheduled (reconnect, pacer, heartbeat, warm-up pacing,
//! housekeeping, status). Each is handled to completion before the next: a bar runs the
//! strategies, whose signals their desks store during the call, and the queue is drained to
//! the wire right after, the signals and their taking committed once just before the write
//! (`orderflow/group.rs`) — all on this thread, with no hand-off.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibapi::subscriptions::SubscriptionItem;
use sandtrade_broker::codes::{self, NoticeClass};
use sandtrade_risk::Validator;
use sandtrade_runtime::DirChange;
use tokio::sync::{Notify, mpsc};

mod commands;

use crate::connection::{self, Connection, ConnectionEvent, Established, SessionEvent};
use crate::events::{Events, TradingEvent};
use crate::feed::{Feed, FeedEvent, MAX_ITEMS_PER_TURN};
use crate::handle::{Command, CommandError, Exit};
use crate::loss_guard::LossGuard;
use crate::orderflow::OrderFlow;
use crate::publisher::Publisher;
use crate::snapshot::picture;
use crate::status::TradingStatus;
use crate::strategies::{Reloaded, Strategies};

/// How often housekeeping runs: restarts after a strategy's backoff, the drift check.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// One input for the loop.
#[expect(
    clippy::large_enum_variant,
    reason = "made and consumed once per loop turn, on the stack; boxing would allocate per IB event"
)]
enum Wake {
    Stop,
    Feed(FeedEvent),
    Connection(ConnectionEvent),
    Command(Command),
    Dir(Vec<DirChange>),
    Reloaded(Reloaded),
    Timer,
}

/// The parts the loop is made of, and what it listens to.
pub(crate) struct Parts {
    pub(crate) connection: Connection,
    pub(crate) feed: Feed,
    pub(crate) orders: OrderFlow,
    pub(crate) strategies: Strategies,
    pub(crate) loss_guard: LossGuard,
    pub(crate) validator: Validator,
    pub(crate) events: Events,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) dir_changes: mpsc::UnboundedReceiver<Vec<DirChange>>,
    pub(crate) shutdown: Arc<Notify>,
    pub(crate) external_stop: Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// The state of the trading thread.
pub(crate) struct Trader {
    connection: Connection,
    feed: Feed,
    orders: OrderFlow,
    strategies: Strategies,
    /// The account's loss limits, watched on IB's P&L.
    loss_guard: LossGuard,
    /// The halt switch and the signal counters, for the status.
    validator: Validator,
    events: Events,
    publisher: Publisher,
    commands: mpsc::UnboundedReceiver<Command>,
    dir_changes: mpsc::UnboundedReceiver<Vec<DirChange>>,
    shutdown: Arc<Notify>,
    external_stop: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    next_housekeeping: Instant,
    /// The halt switch was flipped: publish at the end of this turn, whatever the interval
    /// (so whoever flipped it reads the new state back).
    republish: bool,
    /// Set when the loop must end (with this exit).
    exit: Option<Exit>,
}

impl Trader {
    /// The loop over `parts`, and the receiver of its published status (already holding a
    /// first picture).
    pub(crate) fn new(parts: Parts) -> (Self, tokio::sync::watch::Receiver<Arc<TradingStatus>>) {
        let Parts {
            connection,
            feed,
            orders,
            strategies,
            loss_guard,
            validator,
            events,
            commands,
            dir_changes,
            shutdown,
            external_stop,
        } = parts;
        let placeholder = TradingStatus::placeholder(connection.mode(), &connection.ib().account);
        let (publisher, status) = Publisher::new(placeholder);
        let mut trader = Self {
            connection,
            feed,
            orders,
            strategies,
            loss_guard,
            validator,
            events,
            publisher,
            commands,
            dir_changes,
            shutdown,
            external_stop: Some(external_stop),
            next_housekeeping: Instant::now() + HOUSEKEEPING,
            republish: false,
            exit: None,
        };
        let now = Instant::now();
        let first = trader.status();
        trader.publisher.publish(now, first);
        (trader, status)
    }

    /// Runs until shutdown or a fatal error.
    pub(crate) async fn run(mut self) -> Exit {
        loop {
            if let Some(exit) = self.exit.take() {
                self.stop().await;
                return exit;
            }
            match self.next_wake().await {
                Wake::Stop => self.exit = Some(Exit::Stopped),
                Wake::Feed(FeedEvent::Bar(symbol, item)) => {
                    // The bar's signals and their taking for IB: one commit (`send_queued`).
                    self.orders.group();
                    self.feed.on_bar_item(&symbol, item, &mut self.strategies);
                    // Bars of other contracts that came with it go to the strategies with it:
                    // a strategy of several contracts gets them in one call.
                    for _ in 1..MAX_ITEMS_PER_TURN {
                        let Some((symbol, item)) = self.feed.next_ready() else {
                            break;
                        };
                        self.feed.on_bar_item(&symbol, item, &mut self.strategies);
                    }
                    self.feed.deliver_due(&mut self.strategies);
                    self.feed.fall_back(&mut self.connection).await;
                    self.send_queued().await;
                }
                Wake::Feed(FeedEvent::History(done)) => {
                    self.feed.on_history(done, &mut self.strategies);
                }
                Wake::Connection(ConnectionEvent::Established(result)) => {
                    self.on_established(result).await;
                }
                Wake::Connection(ConnectionEvent::Session(event)) => {
                    self.on_session_event(event).await;
                }
                Wake::Command(command) => self.on_command(command).await,
                Wake::Dir(changes) => {
                    for change in changes {
                        self.apply_dir_change(change).await;
                    }
                }
                Wake::Reloaded(reloaded) => self.on_reloaded(reloaded).await,
                Wake::Timer => self.on_timer().await,
            }
            // Whatever the turn wrote and did not send is stored before anyone hears of it.
            self.orders.commit_group();
            if let Some(why) = self.orders.lost() {
                self.exit = Some(Exit::Failed(why.to_owned()));
            }
            let urgent = self.connection.take_urgent() || std::mem::take(&mut self.republish);
            let now = Instant::now();
            let Self {
                publisher,
                connection,
                feed,
                orders,
                loss_guard,
                validator,
                ..
            } = &mut self;
            publisher.refresh(now, urgent, || {
                picture(connection, feed, orders, loss_guard, validator)
            });
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
        consider(self.orders.next_deadline());
        consider(self.publisher.due());
        consider(self.connection.next_deadline(now));
        if self.connection.is_up() {
            consider(self.feed.next_deadline(now));
        }
        at
    }

    async fn next_wake(&mut self) -> Wake {
        let deadline = self.next_deadline(Instant::now());
        let Self {
            feed,
            connection,
            strategies,
            commands,
            dir_changes,
            shutdown,
            external_stop,
            ..
        } = self;
        tokio::select! {
            biased;
            () = shutdown.notified() => Wake::Stop,
            () = async { external_stop.as_mut().expect("guarded").await }, if external_stop.is_some() => {
                *external_stop = None;
                Wake::Stop
            }
            event = feed.next() => Wake::Feed(event),
            event = connection.next() => Wake::Connection(event),
            Some(command) = commands.recv() => Wake::Command(command),
            Some(changes) = dir_changes.recv() => Wake::Dir(changes),
            reloaded = strategies.next_reloaded() => Wake::Reloaded(reloaded),
            () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
        }
    }

    async fn on_timer(&mut self) {
        let now = Instant::now();
        if self.orders.take_pacer_due(now) {
            self.send_queued().await;
        }
        if self.connection.connect_due(now) {
            self.connection.start_connect();
        }
        if let Some(why) = self.connection.heartbeat(now) {
            self.lose_connection(why).await;
        }
        self.feed.launch_warmups(&mut self.connection, now);
        if now >= self.next_housekeeping {
            self.next_housekeeping = now + HOUSEKEEPING;
            self.strategies.restart_due();
            self.orders.check_drift(now);
            self.orders.expire_stale();
            // Strategies that restarted after a fault run again: a fill or signal may be pending.
            self.send_queued().await;
        }
    }

    /// Settles the cancels strategies asked for, then drains the order queue to IB (in this
    /// order: a queued order whose cancel was asked is never sent); gives up the connection if
    /// a write showed it is gone.
    async fn send_queued(&mut self) {
        self.orders.send_due_cancels(&mut self.connection).await;
        self.orders.send_due_modifies(&mut self.connection).await;
        if let Some(why) = self.orders.send_queued(&mut self.connection).await {
            self.lose_connection(why).await;
        }
    }

    /// Ends the session, and with it what lived on it: subscriptions, history requests, the
    /// broker's picture of positions. A reconnect follows with backoff.
    async fn lose_connection(&mut self, why: String) {
        if self.connection.lose(why).await {
            self.feed.on_disconnect();
            self.orders.on_disconnect();
        }
    }

    async fn on_established(&mut self, result: Result<Established, connection::EstablishError>) {
        let established = match result {
            Ok(established) => established,
            Err(e) if !e.is_retryable() => {
                let why = e.to_string();
                self.connection.refused(&why);
                self.exit = Some(Exit::Failed(why));
                return;
            }
            Err(e) => {
                self.connection.connect_failed(e.to_string());
                return;
            }
        };
        let Established {
            connected,
            orders,
            positions,
            pnl,
            broker_positions,
            snapshot,
        } = established;
        self.connection.reconciling(connected.client_id);
        let reconciled = self.orders.reconcile(
            &snapshot,
            broker_positions,
            connected.client_id,
            &mut self.strategies,
        );
        if let Err(e) = reconciled {
            connected.client.disconnect().await;
            self.connection
                .connect_failed(format!("reconciliation could not be stored: {e}"));
            return;
        }
        self.connection.up(connected, orders, positions, pnl);
        self.orders.resend_cancels(&mut self.connection).await;
        self.orders.resend_modifies(&mut self.connection).await;
        self.feed
            .subscribe_all(&self.strategies, &mut self.connection)
            .await;
        self.feed.restart_warmups();
        self.feed.begin_backfills(&mut self.strategies);
        self.send_queued().await;
    }

    /// One event of the connected session.
    async fn on_session_event(&mut self, event: SessionEvent) {
        match event {
            SessionEvent::Order(Some(Ok(SubscriptionItem::Data(update)))) => {
                let client_id = self.connection.client().map_or(0, |(_, id)| id);
                self.orders
                    .on_order_update(update, client_id, &mut self.strategies);
                self.send_queued().await;
            }
            SessionEvent::Order(Some(Ok(SubscriptionItem::Notice(notice)))) => {
                if notice.code == ibapi::SUBSCRIPTION_LAG_CODE {
                    // Order events were lost: only a fresh reconciliation can tell what happened.
                    self.lose_connection(format!("order events lost: {}", notice.message))
                        .await;
                } else {
                    self.on_notice(&notice).await;
                }
            }
            SessionEvent::Order(Some(Err(e))) => {
                self.lose_connection(format!("order event stream failed: {e}"))
                    .await;
            }
            SessionEvent::Order(None) => {
                self.lose_connection("the connection closed".into()).await;
            }
            SessionEvent::Notice(Some(notice)) => self.on_notice(&notice).await,
            SessionEvent::Notice(None) => {
                self.lose_connection("the connection closed (notice stream ended)".into())
                    .await;
            }
            SessionEvent::Position(Some(Ok(SubscriptionItem::Data(update)))) => {
                let account = self.connection.ib().account.clone();
                self.orders.on_position(&account, update);
            }
            SessionEvent::Position(Some(Ok(SubscriptionItem::Notice(_)))) => {}
            SessionEvent::Position(Some(Err(e))) => {
                self.lose_connection(format!("position stream failed: {e}"))
                    .await;
            }
            SessionEvent::Position(None) => {
                self.lose_connection("the connection closed (position stream ended)".into())
                    .await;
            }
            SessionEvent::Pnl(item) => {
                if !self
                    .loss_guard
                    .on_stream(item, sandtrade_core::clock::unix_ms())
                {
                    self.connection.drop_pnl();
                }
                self.republish = true;
            }
            SessionEvent::Heartbeat(result) => {
                if let Some(why) = self.connection.heartbeat_answered(result) {
                    self.lose_connection(why).await;
                }
            }
        }
    }

    /// A notice from IB: to the part it concerns.
    async fn on_notice(&mut self, notice: &ibapi::Notice) {
        if let (Some(order_id), Some((_, client_id))) =
            (notice.request_id, self.connection.client())
        {
            self.orders
                .on_order_notice(order_id, client_id, notice.code, &notice.message);
        }
        match codes::classify(notice.code, &notice.message) {
            NoticeClass::ConnectivityLost => {
                tracing::warn!(
                    code = notice.code,
                    "{}: orders wait until it is restored",
                    notice.message
                );
                self.connection.set_ib_connectivity(false);
            }
            NoticeClass::RestoredDataLost => {
                tracing::warn!(
                    code = notice.code,
                    "{}: resubscribing market data",
                    notice.message
                );
                self.connection.set_ib_connectivity(true);
                self.feed
                    .resubscribe(&self.strategies, &mut self.connection)
                    .await;
                self.feed.begin_backfills(&mut self.strategies);
                self.send_queued().await;
            }
            NoticeClass::RestoredDataMaintained => {
                tracing::info!(code = notice.code, "{}", notice.message);
                self.connection.set_ib_connectivity(true);
                self.send_queued().await;
            }
            NoticeClass::FarmBroken { farm } => {
                tracing::warn!(code = notice.code, farm, "{}", notice.message);
                self.connection.set_farm(farm, false);
            }
            NoticeClass::FarmOk { farm } => {
                let was_broken = self.connection.set_farm(farm.clone(), true);
                if was_broken && notice.code == 2104 {
                    // A market data farm came back: subscriptions may have gone silent.
                    tracing::info!(farm, "market data farm restored: resubscribing");
                    self.feed
                        .resubscribe(&self.strategies, &mut self.connection)
                        .await;
                    self.feed.begin_backfills(&mut self.strategies);
                }
            }
            NoticeClass::FarmIdle { farm } => self.connection.farm_idle(farm),
            NoticeClass::Pacing => {
                tracing::error!(code = notice.code, "IB pacing: {}", notice.message);
            }
            NoticeClass::Order => {
                tracing::warn!(
                    code = notice.code,
                    order_id = notice.request_id,
                    "order notice: {}",
                    notice.message
                );
            }
            NoticeClass::ClientIdInUse | NoticeClass::NotConnected => {
                self.lose_connection(format!("IB {}: {}", notice.code, notice.message))
                    .await;
                return;
            }
            NoticeClass::Warning | NoticeClass::Other => {
                tracing::info!(code = notice.code, "IB: {}", notice.message);
                return;
            }
        }
        self.events.emit(TradingEvent::Notice {
            code: notice.code,
            message: notice.message.clone(),
        });
    }

    /// Applies a change of the strategies directory: install (then warm up), refuse, remove;
    /// then the subscriptions follow the new needs.
    async fn apply_dir_change(&mut self, change: DirChange) {
        let installed = match &change {
            DirChange::Upsert { name, .. } => Some(name.clone()),
            DirChange::Removed { name } => {
                self.feed.cancel_warmup(name);
                None
            }
            DirChange::Refused { .. } => None,
        };
        let before = installed
            .as_ref()
            .and_then(|name| self.strategies.serial(name));
        self.strategies.apply(change);
        if let Some(name) = installed {
            let after = self.strategies.serial(&name);
            if after.is_some() && after != before {
                let connected = self.connection.is_up();
                self.feed
                    .begin_warmup(name, &mut self.strategies, connected);
            }
        }
        self.feed
            .sync_subscriptions(&self.strategies, &mut self.connection)
            .await;
        self.send_queued().await;
    }

    /// Installs what an operator's reload compiled (the same path as a directory change).
    async fn on_reloaded(&mut self, reloaded: Reloaded) {
        let Reloaded {
            name,
            result,
            reply,
        } = reloaded;
        let outcome = match result.and_then(|change| self.strategies.install(change)) {
            Ok(outcome) => {
                if outcome != sandtrade_runtime::Installed::Unchanged {
                    let connected = self.connection.is_up();
                    self.feed
                        .begin_warmup(name.clone(), &mut self.strategies, connected);
                }
                self.feed
                    .sync_subscriptions(&self.strategies, &mut self.connection)
                    .await;
                tracing::info!(strategy = &*name, ?outcome, "reloaded by the operator");
                Ok(())
            }
            Err(why) => Err(CommandError::Refused(why)),
        };
        let _ = reply.send(outcome);
        self.send_queued().await;
    }

    /// The whole picture now.
    fn status(&self) -> TradingStatus {
        picture(
            &self.connection,
            &self.feed,
            &self.orders,
            &self.loss_guard,
            &self.validator,
        )
    }

    async fn stop(&mut self) {
        self.connection.close().await;
        let now = Instant::now();
        let last = self.status();
        self.publisher.publish(now, last);
        self.orders.checkpoint();
        tracing::info!("trading loop stopped");
    }
}
