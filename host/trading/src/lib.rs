//! Live trading: the loop that ties the strategies, risk, the durable order store and the one
//! IBKR connection together, and the handle the rest of the host steers it with.
//!
//! ```text
//!                      ┌────────────── trading thread (current-thread tokio) ──────────────┐
//! IB ─ 5 s bars ──────►│ aggregate ─► fleet.on_bar ─► strategy ─emit─► desk: risk check,   │
//!                      │                                         durable accept (queued)   │
//!                      │ after the call: take queued ─► pacer ─► placeOrder(orderRef) ─────┼─► IB
//! IB ─ order events ──►│ statuses, executions (dedup by execId), commissions ─► store;     │
//!                      │ fills ─► strategy on-fill                                          │
//! IB ─ positions ─────►│ broker positions vs the strategies' ledger ─► drift (may halt)    │
//!                      └───────────────▲───────────────────────────────────┬───────────────┘
//!   TradingHandle (API, main, tests) ──┘ commands              events, status ┘
//! ```
//!
//! One thread owns the IB client, the strategies, the store and the validator, because a
//! wake-up that crosses vCPUs costs ~90 µs on the machines this runs on, more than the whole
//! bar → order path. Everything slow — compiling strategies, reading the directory — runs on
//! other threads and arrives here as a message. Connecting and reconciling run as futures
//! polled by the same loop, so status and commands are answered while they run.
//!
//! [`start`] starts it and returns a [`TradingHandle`]; [`run`] is `start` plus waiting for
//! the end, which `sandtrade run` calls. `docs/execution.md` describes the whole path, the
//! guarantees and the configuration.
//!
//! # Example
//!
//! In-process against tws-sim (what `sandtrade demo` does), with an empty strategies
//! directory:
//!
//! ```
//! use sandtrade::config::Config;
//! use sandtrade_trading::{self as trading, ConnectionState, Options, TradingEvent};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = tws_sim::Simulator::start(tws_sim::SimConfig::ephemeral()).await?;
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("strategies"))?;
//! let config = Config::parse(
//!     &format!(
//!         "mode = \"paper\"\n[ib]\nport = {}\nclient_id = 1\naccount = \"DU1234567\"\n",
//!         sim.addr().port()
//!     ),
//!     dir.path(),
//! )?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let host = trading::start(config, Options::default(), async {
//!     let _ = stopped.await;
//! })
//! .await?;
//! let mut events = host.subscribe();
//! while !matches!(events.recv().await?, TradingEvent::Reconciled { .. }) {}
//! assert_eq!(host.status().await?.connection.state, ConnectionState::Connected);
//! host.halt("maintenance"); // every signal is refused until `resume`
//! assert_eq!(host.status().await?.halted.as_deref(), Some("maintenance"));
//! stop.send(()).ok();
//! host.stopped().await;
//! # sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod book;
mod config;
mod control;
mod desk;
mod drift;
mod events;
mod feed;
mod handle;
mod market;
mod orderflow;
mod queries;
mod status;
mod trader;
mod warmup;

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, broadcast, mpsc, oneshot, watch};

pub use self::book::{LiveBook, SharedBook};
pub use self::config::{MarketDataConfig, PositionsConfig, TradingConfig, TradingSections};
pub use self::desk::LiveDesk;
pub use self::events::{EVENT_CAPACITY, TradingEvent};
pub use self::handle::{CancelOutcome, Command, CommandError, Exit, ManualOrder, TradingHandle};
pub use self::queries::{AccountView, ConnectTarget, QuoteView};
pub use self::status::{
    ConnectionState, ConnectionStatus, Drift, LedgerLine, OrderCounts, OrderView, PositionsView,
    ReconcileSummary, SignalSummary, StrategyView, TradingStatus,
};

use self::trader::Parts;
pub use self::trader::STATUS_REFRESH;
use sandtrade_broker::safety::TradingMode;
use sandtrade_orders::{OrderStore, OrderStoreError, StoreConfig};
use sandtrade_risk::{TradingSwitch, Validator};
use sandtrade_runtime::{CompileCache, CpuBudget, Fleet, Runtime, StrategyDir};

/// The receiving end of the status the trading thread publishes.
type StatusWatch = watch::Receiver<Arc<TradingStatus>>;

/// How to start besides the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The explicit permission to trade a live account (`sandtrade run --live`).
    pub allow_live: bool,
    /// The compiled-strategy cache, if any.
    pub cache: Option<CompileCache>,
}

/// Why trading did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `mode = "live"` without the explicit permission.
    #[error(
        "mode = \"live\" trades real money: start with `sandtrade run --live` to confirm (or use \
         mode = \"paper\")"
    )]
    LiveNotAllowed,
    /// The order database cannot be opened.
    #[error("order database {path}: {source}")]
    Store {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: OrderStoreError,
    },
    /// The wasm engine cannot be built.
    #[error("cannot start the wasm engine: {0:#}")]
    Engine(anyhow::Error),
    /// The strategies directory cannot be read or watched.
    #[error("strategies directory: {0:#}")]
    Strategies(anyhow::Error),
    /// The trading thread could not be started.
    #[error("cannot start the trading thread: {0}")]
    Thread(std::io::Error),
}

/// Starts the trading thread: opens the order database, loads the strategies directory (and
/// watches it), then connects to IB with backoff until `shutdown` completes or
/// [`TradingHandle::shutdown`] is called. Returns once the database and the directory are
/// loaded; the connection comes up in the background (see [`TradingHandle::status`] and
/// [`TradingHandle::subscribe`]).
///
/// # Errors
///
/// A [`StartError`]; nothing was started.
pub async fn start(
    config: TradingConfig,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<TradingHandle, StartError> {
    if config.mode == TradingMode::Live && !options.allow_live {
        return Err(StartError::LiveNotAllowed);
    }
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(EVENT_CAPACITY);
    let (exit_tx, exit_rx) = watch::channel(Exit::Running);
    let (ready_tx, ready_rx) = oneshot::channel::<Result<StatusWatch, StartError>>();
    let stop = Arc::new(Notify::new());
    let switch = TradingSwitch::new();
    let handle_events = events.clone();
    let handle_switch = switch.clone();
    let handle_stop = Arc::clone(&stop);
    let shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(shutdown);
    std::thread::Builder::new()
        .name("trading".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(StartError::Thread(e)));
                    return;
                }
            };
            let parts = match setup(config, options, switch, events, command_rx, stop, shutdown) {
                Ok(parts) => parts,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let (trader, status) = parts.into_trader();
            let _ = ready_tx.send(Ok(status));
            let exit = runtime.block_on(trader.run());
            let _ = exit_tx.send(exit);
        })
        .map_err(StartError::Thread)?;
    match ready_rx.await {
        Ok(Ok(status)) => Ok(TradingHandle {
            commands: command_tx,
            events: handle_events,
            switch: handle_switch,
            exit: exit_rx,
            shutdown: handle_stop,
            status,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(StartError::Thread(std::io::Error::other(
            "the trading thread ended during startup",
        ))),
    }
}

/// [`start`], then waits until the trading thread ends.
///
/// # Errors
///
/// A [`StartError`], or the reason the loop failed (e.g. a paper/live mismatch at connect).
pub async fn run(
    config: TradingConfig,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let handle = start(config, options, shutdown).await?;
    match handle.stopped().await {
        Exit::Stopped | Exit::Running => Ok(()),
        Exit::Failed(why) => Err(anyhow::anyhow!(why)),
    }
}

fn setup(
    config: TradingConfig,
    options: Options,
    switch: TradingSwitch,
    events: broadcast::Sender<TradingEvent>,
    commands: mpsc::UnboundedReceiver<handle::Command>,
    stop: Arc<Notify>,
    shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Result<Parts, StartError> {
    let config = Arc::new(config);
    let store = OrderStore::open(
        &config.database,
        StoreConfig {
            synchronous: config.synchronous,
        },
    )
    .map_err(|source| StartError::Store {
        path: config.database.clone(),
        source,
    })?;
    let book = Arc::new(Mutex::new(LiveBook::new(store)));
    let runtime =
        Runtime::new(config.sandbox.clone(), CpuBudget::Deadline).map_err(StartError::Engine)?;
    let validator = Validator::new(config.lots.clone(), switch);
    let make_desk = {
        let (limits, validator, book) = (config.limits.clone(), validator.clone(), book.clone());
        Box::new(move |spec: &sandtrade_runtime::DeskSpec| {
            LiveDesk::new(spec, &limits, validator.clone(), book.clone())
        })
    };
    let fleet = Fleet::new(runtime.clone(), make_desk).map_err(StartError::Engine)?;
    let (dir_tx, dir_rx) = mpsc::unbounded_channel();
    let dir = StrategyDir::new(
        &config.strategies_dir,
        runtime.clone(),
        options.cache.clone(),
    );
    let watch = sandtrade_runtime::watch(dir, move |changes| {
        // The receiver is gone only when the trading loop ended.
        let _ = dir_tx.send(changes);
    })
    .map_err(StartError::Strategies)?;
    Ok(Parts {
        config,
        fleet,
        book,
        validator,
        runtime,
        cache: options.cache,
        events,
        commands,
        dir_changes: dir_rx,
        shutdown: stop,
        external_stop: shutdown,
        watch: Some(watch),
    })
}
