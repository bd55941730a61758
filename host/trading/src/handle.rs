//! [`TradingHandle`]: the typed interface other threads (the REST API, `main`, tests) use to
//! see and steer the trading thread. It never exposes `ibapi` or SQLite: every request is a
//! [`Command`] on a channel, answered on a oneshot by the trading thread between two events,
//! so the hot path never shares memory with a reader.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use sandtrade_core::{
    Action, ExitRole, Exits, Exposure, Instrument, OrderType, PriceChange, Rejection, Side, Timing,
};
use sandtrade_orders::Settlement;
use sandtrade_risk::{TradingState, TradingSwitch};

use crate::events::{Events, TradingEvent};
use crate::status::{
    AccountView, OrderView, PositionsView, QuoteView, StrategyView, TradingStatus,
};

/// An order an operator submits by hand: a buy or a sell, which the trading thread maps onto
/// a long-only action from the ledger's position ([`plan`](crate::plan)) and passes through the
/// same risk checks as a strategy's signal, under the ledger's limits and rate window.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualOrder {
    /// The ledger it is attributed to: a strategy's name (e.g. to sell what that strategy
    /// holds, under that strategy's limits), or any other name, e.g. `manual`.
    pub strategy: String,
    /// Buy or sell.
    pub side: Side,
    /// The symbol, in any accepted form.
    pub symbol: String,
    /// Shares: exactly this many are bought or sold.
    pub quantity: u32,
    /// How it is priced.
    pub order_type: OrderType,
    /// How long it works.
    pub timing: Timing,
    /// Why, for the record.
    pub reason: String,
    /// Exits to attach, making a buy a bracket (refused for a sell).
    pub exits: Option<Exits>,
}

/// A manual order as it was validated and durably queued.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualAccepted {
    /// The order id.
    pub id: u64,
    /// The long-only action the side was mapped to.
    pub action: Action,
    /// The IB contract symbol.
    pub symbol: String,
    /// Shares, as validated.
    pub quantity: u32,
    /// The order type with its prices on the contract's tick (as it is sent).
    pub order_type: OrderType,
    /// How long it works.
    pub timing: Timing,
    /// A bracket's exits, as they are sent (none for a plain order).
    pub exits: Vec<ManualExit>,
}

/// An exit of a manual bracket as it was validated and durably queued.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualExit {
    /// Its order id.
    pub id: u64,
    /// Take-profit or stop-loss.
    pub role: ExitRole,
    /// Its order type with its prices on the contract's tick.
    pub order_type: OrderType,
    /// How long it works.
    pub timing: Timing,
}

/// Why a manual order was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ManualRefusal {
    /// A sell of more than the ledger may sell (held minus pending sells).
    SellExceedsPosition {
        /// Shares asked for.
        requested: u32,
        /// The ledger's exposure when it was planned.
        exposure: Exposure,
    },
    /// Refused by the risk checks (or the durable write failed: `unavailable`).
    Risk(Rejection),
}

/// Where to connect instead ([`TradingHandle::connect_to`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTarget {
    /// TWS / Gateway host.
    pub host: String,
    /// Its API port.
    pub port: u16,
    /// The API client id.
    pub client_id: i32,
    /// The account orders go to; `None` keeps the configured one.
    pub account: Option<String>,
}

/// What happened to a cancel request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CancelOutcome {
    /// It was still queued: cancelled here, never sent.
    CancelledBeforeSending,
    /// The cancel was sent to IB; the order's state follows IB's answer.
    SentToIb,
    /// Not connected: the cancel is recorded and sent once the next connection is
    /// reconciled (if the order is still working then).
    OnReconnect,
}

/// An operator's change of a working order: a new total quantity (filled shares included),
/// new prices by field; what is `None` stays.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ManualChange {
    /// Shares ordered in all.
    pub quantity: Option<u32>,
    /// New numbers of the order's own prices.
    pub prices: PriceChange,
}

/// What happened to a modify request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModifyOutcome {
    /// It was still queued: it will be sent with the new terms.
    ChangedBeforeSending,
    /// The change is recorded and sent to IB now; the order works on the new terms once IB
    /// has them (unless it fills first).
    SentToIb,
    /// Not connected: the change is recorded and sent once the next connection is reconciled.
    OnReconnect,
}

/// Why a command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The trading thread has stopped.
    #[error("the trading loop has stopped")]
    Stopped,
    /// No such order or strategy.
    #[error("not found: {0}")]
    NotFound(String),
    /// Refused, with the reason (e.g. cancel of an order whose fate is unknown).
    #[error("{0}")]
    Refused(String),
    /// IB cannot answer now (not connected, no answer in time), with the reason.
    #[error("{0}")]
    Unavailable(String),
}

/// A request to the trading thread. Public so the API layer can be tested against it; use
/// the [`TradingHandle`] methods.
#[derive(Debug)]
pub enum Command {
    /// [`TradingHandle::status`].
    Status(oneshot::Sender<TradingStatus>),
    /// [`TradingHandle::positions`].
    Positions(oneshot::Sender<PositionsView>),
    /// [`TradingHandle::orders`].
    Orders(oneshot::Sender<Vec<OrderView>>),
    /// [`TradingHandle::order`].
    Order(u64, oneshot::Sender<Result<OrderView, CommandError>>),
    /// [`TradingHandle::strategies`].
    Strategies(oneshot::Sender<Vec<StrategyView>>),
    /// [`TradingHandle::submit`].
    Submit(
        ManualOrder,
        oneshot::Sender<Result<Result<ManualAccepted, ManualRefusal>, CommandError>>,
    ),
    /// [`TradingHandle::cancel`].
    Cancel(u64, oneshot::Sender<Result<CancelOutcome, CommandError>>),
    /// [`TradingHandle::modify`].
    Modify(
        u64,
        ManualChange,
        oneshot::Sender<Result<Result<ModifyOutcome, Rejection>, CommandError>>,
    ),
    /// [`TradingHandle::settle_unknown`].
    SettleUnknown(
        u64,
        Settlement,
        String,
        oneshot::Sender<Result<OrderView, CommandError>>,
    ),
    /// [`TradingHandle::connect`] (`true`) / [`TradingHandle::disconnect`] (`false`).
    Connection(bool, oneshot::Sender<()>),
    /// [`TradingHandle::reconcile`].
    Reconcile(oneshot::Sender<Result<(), CommandError>>),
    /// [`TradingHandle::enable_strategy`] (`true`) / [`TradingHandle::disable_strategy`].
    EnableStrategy(String, bool, oneshot::Sender<Result<(), CommandError>>),
    /// [`TradingHandle::reload_strategy`].
    ReloadStrategy(String, oneshot::Sender<Result<(), CommandError>>),
    /// [`TradingHandle::account`].
    Account(oneshot::Sender<Result<AccountView, CommandError>>),
    /// [`TradingHandle::quote`].
    Quote(Instrument, oneshot::Sender<Result<QuoteView, CommandError>>),
    /// [`TradingHandle::connect_to`].
    ConnectTo(ConnectTarget, oneshot::Sender<Result<(), CommandError>>),
    /// [`TradingHandle::exposure`].
    Exposure(String, String, oneshot::Sender<Exposure>),
    /// The halt switch was flipped ([`TradingHandle::halt`], [`TradingHandle::resume`]):
    /// publish a new status picture now, so watchers (the event stream) see it.
    Republish,
}

/// How the trading thread ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Still running.
    Running,
    /// Stopped on request (shutdown signal or [`TradingHandle::shutdown`]).
    Stopped,
    /// Stopped by an error that retrying cannot fix (e.g. a paper/live mismatch at connect).
    Failed(String),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Running => f.write_str("it is still running"),
            Self::Stopped => f.write_str("it was stopped"),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

/// The handle to a running trading thread. Cheap to clone; every clone controls the same
/// thread.
#[derive(Debug, Clone)]
pub struct TradingHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: Events,
    switch: TradingSwitch,
    exit: watch::Receiver<Exit>,
    shutdown: Arc<tokio::sync::Notify>,
    status: watch::Receiver<Arc<TradingStatus>>,
}

impl TradingHandle {
    /// The handle of a trading thread that listens on `commands`, reports on `events` and
    /// `status`, ends on `shutdown` and says how on `exit`.
    pub(crate) fn new(
        commands: mpsc::UnboundedSender<Command>,
        events: Events,
        switch: TradingSwitch,
        exit: watch::Receiver<Exit>,
        shutdown: Arc<tokio::sync::Notify>,
        status: watch::Receiver<Arc<TradingStatus>>,
    ) -> Self {
        Self {
            commands,
            events,
            switch,
            exit,
            shutdown,
            status,
        }
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, CommandError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .map_err(|_| CommandError::Stopped)?;
        rx.await.map_err(|_| CommandError::Stopped)
    }

    /// Connection, queue, signals, drift, subscriptions.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn status(&self) -> Result<TradingStatus, CommandError> {
        self.ask(Command::Status).await
    }

    /// The status as the trading thread last published it: at most
    /// [`STATUS_REFRESH`](crate::STATUS_REFRESH) old while the loop is busy, current when it
    /// is idle. Costs a lock and a reference count, never a round trip to the trading
    /// thread, so any number of readers can ask any number of times.
    ///
    /// `halted` is read from the halt switch itself: halting and resuming flip it from any
    /// thread without waking the trading thread, so its last picture may predate them.
    pub fn status_now(&self) -> Arc<TradingStatus> {
        let published = Arc::clone(&self.status.borrow());
        let halted = match self.switch.state() {
            TradingState::Active => None,
            TradingState::Halted { reason } => Some(reason),
        };
        if published.halted == halted {
            published
        } else {
            Arc::new(TradingStatus {
                halted,
                ..TradingStatus::clone(&published)
            })
        }
    }

    /// A receiver notified each time a new status is published (the REST API's live stream).
    pub fn watch_status(&self) -> watch::Receiver<Arc<TradingStatus>> {
        self.status.clone()
    }

    /// Broker positions, each strategy's ledger, drift.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn positions(&self) -> Result<PositionsView, CommandError> {
        self.ask(Command::Positions).await
    }

    /// Every working (not filled, cancelled or rejected) order, oldest first.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn orders(&self) -> Result<Vec<OrderView>, CommandError> {
        self.ask(Command::Orders).await
    }

    /// One order, finished or not.
    ///
    /// # Errors
    ///
    /// [`CommandError::NotFound`], [`CommandError::Stopped`].
    pub async fn order(&self, id: u64) -> Result<OrderView, CommandError> {
        self.ask(|tx| Command::Order(id, tx)).await?
    }

    /// Every installed strategy.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn strategies(&self) -> Result<Vec<StrategyView>, CommandError> {
        self.ask(Command::Strategies).await
    }

    /// Submits a manual order through the same risk checks as a strategy's signal. The inner
    /// `Err` is the refusal; `Ok` is the order as validated and durably queued.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn submit(
        &self,
        order: ManualOrder,
    ) -> Result<Result<ManualAccepted, ManualRefusal>, CommandError> {
        self.ask(|tx| Command::Submit(order, tx)).await?
    }

    /// Cancels an order: a queued one here, a working one at IB (recorded first; sent on the
    /// next reconciled connection when disconnected).
    ///
    /// # Errors
    ///
    /// [`CommandError::NotFound`]; [`CommandError::Refused`] for a finished order, one whose
    /// fate is unknown (`sending`, `unknown`), or while disconnected.
    pub async fn cancel(&self, id: u64) -> Result<CancelOutcome, CommandError> {
        self.ask(|tx| Command::Cancel(id, tx)).await?
    }

    /// Changes a working order's quantity or prices, validated as a new order in its place
    /// would be (the inner `Err` is the refusal, as for a new order), recorded before it is
    /// sent, and sent again after a reconnect until IB reports the new terms.
    ///
    /// # Errors
    ///
    /// [`CommandError::NotFound`]; [`CommandError::Refused`] for a finished order, or one
    /// whose sending, last change or cancel IB has not acknowledged yet.
    pub async fn modify(
        &self,
        id: u64,
        change: ManualChange,
    ) -> Result<Result<ModifyOutcome, Rejection>, CommandError> {
        self.ask(|tx| Command::Modify(id, change, tx)).await?
    }

    /// Settles an `unknown` order (one reconciliation could not settle) as an operator
    /// decided after checking IB, keeping `reason` in the order's record:
    /// [`Settlement::Cancelled`] ends it and frees its pending shares;
    /// [`Settlement::Requeued`] sends it again with a new IB order id — **if IB does have it,
    /// IB gets it twice**. Returns the order as it is now.
    ///
    /// # Errors
    ///
    /// [`CommandError::NotFound`]; [`CommandError::Refused`] if it is not `unknown`.
    pub async fn settle_unknown(
        &self,
        id: u64,
        settlement: Settlement,
        reason: &str,
    ) -> Result<OrderView, CommandError> {
        self.ask(|tx| Command::SettleUnknown(id, settlement, reason.to_owned(), tx))
            .await?
    }

    /// Connects (again) after [`disconnect`](Self::disconnect).
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn connect(&self) -> Result<(), CommandError> {
        self.ask(|tx| Command::Connection(true, tx)).await
    }

    /// Disconnects and stays disconnected until [`connect`](Self::connect). Orders keep
    /// queueing; nothing is sent.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn disconnect(&self) -> Result<(), CommandError> {
        self.ask(|tx| Command::Connection(false, tx)).await
    }

    /// Drops the connection and reconnects at once, which reconciles before anything is sent.
    ///
    /// # Errors
    ///
    /// [`CommandError::Refused`] while disconnected by the operator.
    pub async fn reconcile(&self) -> Result<(), CommandError> {
        self.ask(Command::Reconcile).await?
    }

    /// Starts a disabled or quarantined strategy again.
    ///
    /// # Errors
    ///
    /// [`CommandError::NotFound`], or [`CommandError::Refused`] if it does not start.
    pub async fn enable_strategy(&self, name: &str) -> Result<(), CommandError> {
        self.ask(|tx| Command::EnableStrategy(name.to_owned(), true, tx))
            .await?
    }

    /// Stops a strategy without unloading it.
    ///
    /// # Errors
    ///
    /// [`CommandError::NotFound`].
    pub async fn disable_strategy(&self, name: &str) -> Result<(), CommandError> {
        self.ask(|tx| Command::EnableStrategy(name.to_owned(), false, tx))
            .await?
    }

    /// Reads, compiles and installs `name.wasm` from the strategies directory again.
    ///
    /// # Errors
    ///
    /// [`CommandError::Refused`] with the load error; the running version stays.
    pub async fn reload_strategy(&self, name: &str) -> Result<(), CommandError> {
        self.ask(|tx| Command::ReloadStrategy(name.to_owned(), tx))
            .await?
    }

    /// The account's values (cash, net liquidation, ... per currency), asked of IB now.
    ///
    /// # Errors
    ///
    /// [`CommandError::Unavailable`] while disconnected or if IB does not answer in the
    /// request timeout; [`CommandError::Stopped`].
    pub async fn account(&self) -> Result<AccountView, CommandError> {
        self.ask(Command::Account).await?
    }

    /// A snapshot quote of `instrument`, asked of IB now.
    ///
    /// # Errors
    ///
    /// [`CommandError::Unavailable`] while disconnected, or if IB sends no price in the
    /// request timeout; [`CommandError::Stopped`].
    pub async fn quote(&self, instrument: Instrument) -> Result<QuoteView, CommandError> {
        self.ask(|tx| Command::Quote(instrument, tx)).await?
    }

    /// Connects to another TWS / Gateway (or the same with another client id or account):
    /// the current connection is dropped and the new one made at once, reconciling first as
    /// every connection does. Returns when the attempt has started; its outcome arrives as
    /// [`TradingEvent::Reconciled`] or [`TradingEvent::ConnectFailed`].
    ///
    /// # Errors
    ///
    /// [`CommandError::Refused`] if the port or account contradicts the configured mode
    /// (paper/live); [`CommandError::Stopped`].
    pub async fn connect_to(&self, target: ConnectTarget) -> Result<(), CommandError> {
        self.ask(|tx| Command::ConnectTo(target, tx)).await?
    }

    /// What `strategy` (a strategy's or another ledger's name) holds, and has pending, in
    /// `symbol` (an IB contract symbol: `AAPL`, `700`), from the trading thread's memory.
    ///
    /// # Errors
    ///
    /// [`CommandError::Stopped`].
    pub async fn exposure(&self, strategy: &str, symbol: &str) -> Result<Exposure, CommandError> {
        self.ask(|tx| Command::Exposure(strategy.to_owned(), symbol.to_owned(), tx))
            .await
    }

    /// Halts trading now, from any thread: every signal is refused with `trading-halted`.
    pub fn halt(&self, reason: &str) {
        self.switch.halt(reason);
        // A stopped thread has nothing to publish.
        let _ = self.commands.send(Command::Republish);
    }

    /// Resumes trading.
    pub fn resume(&self) {
        self.switch.resume();
        let _ = self.commands.send(Command::Republish);
    }

    /// The halt switch itself.
    pub fn switch(&self) -> &TradingSwitch {
        &self.switch
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<TradingEvent> {
        self.events.subscribe()
    }

    /// Asks the trading thread to stop (queued orders stay durable for the next start).
    pub fn shutdown(&self) {
        self.shutdown.notify_one();
    }

    /// How the thread ended, or [`Exit::Running`].
    pub fn exit(&self) -> Exit {
        self.exit.borrow().clone()
    }

    /// Waits until the trading thread has ended, and says how.
    pub async fn stopped(&self) -> Exit {
        let mut exit = self.exit.clone();
        match exit.wait_for(|e| *e != Exit::Running).await {
            Ok(e) => e.clone(),
            // The thread dropped its end without saying how it ended: never a clean stop.
            Err(_) => Exit::Failed("the trading thread ended without reporting why".into()),
        }
    }
}
