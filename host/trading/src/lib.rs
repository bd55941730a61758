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
//! The loop ([`trader`]) owns four parts and routes each input to the one it concerns:
//!
//! | part | owns |
//! |---|---|
//! | [`connection`] | the session, reconnects with backoff, the heartbeat, the pacer |
//! | [`feed`] | bar subscriptions and aggregators, warm-ups, delivery to the strategies |
//! | [`orderflow`] | the book (order store), sending, IB's order events, fills, drift, manual orders |
//! | [`strategies`] | the fleet, its supervisor's clock, the watched directory, reloads |
//!
//! One thread owns the IB client, the strategies, the store and the validator, because a
//! wake-up that crosses vCPUs costs ~90 µs on the machines this runs on, more than the whole
//! bar → order path. Everything slow — compiling strategies, reading the directory — runs on
//! other threads and arrives here as a message. Connecting and reconciling run as futures
//! polled by the same loop, so status and commands are answered while they run.
//!
//! [`start`] starts it and returns a [`TradingHandle`]; [`run`] is `start` plus waiting for
//! the end. The `sandtrade` binary starts it with the REST API beside it (`sandtrade run`) or
//! with an in-process tws-sim as well (`sandtrade demo`). `docs/execution.md` describes the
//! whole path, the guarantees and the configuration.
//!
//! # Example
//!
//! With a [`TradingConfig`] (the `sandtrade` binary assembles one from the configuration
//! file; the end-to-end tests run this against tws-sim):
//!
//! ```no_run
//! use sandtrade_trading::{self as trading, ConnectionState, Options, TradingConfig, TradingEvent};
//!
//! # async fn example(config: TradingConfig) -> Result<(), Box<dyn std::error::Error>> {
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
//! # Ok(())
//! # }
//! ```

mod config;
mod connection;
mod events;
mod feed;
mod handle;
mod loss_guard;
mod orderflow;
mod publisher;
mod snapshot;
mod status;
mod strategies;
mod trader;

use std::future::Future;
use std::sync::{Arc, Mutex};

use sandtrade_broker::safety::TradingMode;
use sandtrade_orders::{OrderStore, OrderStoreError, StoreConfig};
use sandtrade_risk::{TradingSwitch, Validator};
use sandtrade_runtime::{CompileCache, CpuBudget, DeskSpec, Fleet, Runtime, StrategyDir};
use tokio::sync::{Notify, mpsc, oneshot, watch};

pub use self::config::{
    Fallback, MarketDataConfig, PositionsConfig, QueueConfig, TradingConfig, TradingSections,
};
use self::connection::Connection;
use self::events::Events;
pub use self::events::{EVENT_CAPACITY, TradingEvent};
use self::feed::Feed;
pub use self::handle::{
    CancelOutcome, Command, CommandError, ConnectTarget, Exit, ManualAccepted, ManualChange,
    ManualExit, ManualOrder, ManualRefusal, ModifyOutcome, TradingHandle,
};
use self::loss_guard::LossGuard;
pub use self::loss_guard::{AccountPnl, AccountRisk};
use self::orderflow::OrderFlow;
pub use self::orderflow::book::{LiveBook, SharedBook};
pub use self::orderflow::desk::LiveDesk;
pub use self::orderflow::operator::plan;
pub use self::publisher::STATUS_REFRESH;
pub use self::status::{
    AccountView, ConnectionState, ConnectionStatus, DataState, Drift, LedgerLine, MarketDataView,
    OrderCounts, OrderView, PositionsView, QuoteView, ReconcileSummary, SignalSummary,
    StrategyView, TradingStatus, UnknownOrder,
};
use self::strategies::Strategies;
use self::trader::{Parts, Trader};
pub use sandtrade_orders::Settlement;

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
    #[error("{path}: {error}")]
    Store {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        error: OrderStoreError,
    },
    /// The wasm engine cannot be built.
    #[error("cannot start the wasm engine: {0:#}")]
    Engine(anyhow::Error),
    /// The strategies directory cannot be read or watched.
    #[error("{0:#}")]
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
    let events = Events::new();
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
            let (trader, status) = Trader::new(parts);
            let _ = ready_tx.send(Ok(status));
            let exit = run_guarded(|| runtime.block_on(trader.run()));
            let _ = exit_tx.send(exit);
        })
        .map_err(StartError::Thread)?;
    match ready_rx.await {
        Ok(Ok(status)) => Ok(TradingHandle::new(
            command_tx,
            handle_events,
            handle_switch,
            exit_rx,
            handle_stop,
            status,
        )),
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

/// Runs the trading loop; a panic in it (a bug: nothing IB or a strategy sends may cause one)
/// becomes [`Exit::Failed`] with the panic's message, so the process ends non-zero and says why
/// instead of reporting a clean stop.
fn run_guarded(run: impl FnOnce() -> Exit) -> Exit {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(exit) => exit,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Exit::Failed(format!("the trading thread panicked: {what}"))
        }
    }
}

fn setup(
    config: TradingConfig,
    options: Options,
    switch: TradingSwitch,
    events: Events,
    commands: mpsc::UnboundedReceiver<handle::Command>,
    shutdown: Arc<Notify>,
    external_stop: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Result<Parts, StartError> {
    let store = OrderStore::open(
        &config.database,
        StoreConfig {
            synchronous: config.synchronous,
        },
    )
    .map_err(|source| StartError::Store {
        path: config.database.clone(),
        error: source,
    })?;
    let book = Arc::new(Mutex::new(LiveBook::new(store)));
    let runtime =
        Runtime::new(config.sandbox.clone(), CpuBudget::Deadline).map_err(StartError::Engine)?;
    let validator =
        Validator::new(config.lots.clone(), switch).with_account_limits(config.account.clone());
    let make_desk = {
        let (limits, validator, book) = (config.limits.clone(), validator.clone(), book.clone());
        Box::new(move |spec: &DeskSpec| {
            LiveDesk::new(spec, &limits, validator.clone(), book.clone())
        })
    };
    let fleet = Fleet::new(runtime.clone(), make_desk).map_err(StartError::Engine)?;
    let (dir_tx, dir_changes) = mpsc::unbounded_channel();
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
    let request_timeout = config.ib.request_timeout;
    Ok(Parts {
        feed: Feed::new(
            &config.market_data,
            request_timeout,
            book.clone(),
            events.clone(),
        ),
        orders: OrderFlow::new(
            book,
            validator.clone(),
            config.limits,
            (&config.positions, &config.queue),
            events.clone(),
        ),
        strategies: Strategies::new(
            fleet,
            runtime,
            options.cache,
            config.strategies_dir,
            Some(watch),
        ),
        connection: Connection::new(config.ib, config.mode, events.clone()),
        loss_guard: LossGuard::new(&config.account, validator.switch().clone(), events.clone()),
        validator,
        events,
        commands,
        dir_changes,
        shutdown,
        external_stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_loop_is_a_failure_with_its_message() {
        assert_eq!(run_guarded(|| Exit::Stopped), Exit::Stopped);
        let exit = run_guarded(|| panic!("byte index 4 is not a char boundary"));
        assert_eq!(
            exit,
            Exit::Failed("the trading thread panicked: byte index 4 is not a char boundary".into())
        );
        let exit = run_guarded(|| std::panic::panic_any(7_u8));
        assert_eq!(
            exit,
            Exit::Failed("the trading thread panicked: no message".into())
        );
    }
}
