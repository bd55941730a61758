//! A running simulator, as the code that embeds it sees it: where it listens, the switchboard,
//! the probe, the market and the accounts, and shutting it down.

use std::net::SocketAddr;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::HeldOption;
use crate::engine::clock::BAR_SECONDS;
use crate::error::OptionRefused;
use crate::faults::Faults;
use crate::messages::PnlView;
use crate::probe::LatencyProbe;
use crate::server::Shared;

/// A symbol the contract table does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown symbol {0:?}")]
pub struct UnknownSymbol(pub String);

/// A running simulator. Dropping it leaves the simulator running until the runtime ends; call
/// [`SimHandle::shutdown`] to stop it and close every connection.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    control_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

impl SimHandle {
    /// The handle of a simulator that has just started its tasks.
    pub(super) fn new(
        addr: SocketAddr,
        control_addr: Option<SocketAddr>,
        shared: Arc<Shared>,
        shutdown: CancellationToken,
        tasks: JoinSet<()>,
    ) -> Self {
        Self {
            addr,
            control_addr,
            shared,
            shutdown,
            tasks,
        }
    }

    /// Where IB clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the control interface listens, if configured.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// The fault switchboard.
    pub fn faults(&self) -> Faults {
        Faults::new(self.shared.clone())
    }

    /// The bar → order latency probe.
    pub fn probe(&self) -> LatencyProbe {
        self.shared.probe.clone()
    }

    /// Simulated now.
    pub fn now(&self) -> OffsetDateTime {
        self.shared.engine().now()
    }

    /// Advances the market by `ticks` simulated seconds; ticks, bars (every 5 s) and fills
    /// are queued to the clients before this returns. Returns the new simulated time.
    pub fn step(&self, ticks: u32) -> OffsetDateTime {
        let mut engine = self.shared.engine();
        for _ in 0..ticks {
            engine.step();
        }
        engine.now()
    }

    /// Advances to the next five-second boundary, so every open market closes a real-time
    /// bar now. Returns the new simulated time (the bar's end).
    pub fn step_bar(&self) -> OffsetDateTime {
        let mut engine = self.shared.engine();
        loop {
            engine.step();
            if engine.now().unix_timestamp() % BAR_SECONDS == 0 {
                return engine.now();
            }
        }
    }

    /// The last trade price of `symbol`.
    pub fn price(&self, symbol: &str) -> Result<f64, UnknownSymbol> {
        let engine = self.shared.engine();
        let idx = engine
            .book()
            .by_symbol(symbol)
            .ok_or_else(|| UnknownSymbol(symbol.to_string()))?;
        Ok(engine.market().get(idx).last)
    }

    /// Moves `symbol` to `price` (rounded to its tick) and matches resting orders against it.
    pub fn set_price(&self, symbol: &str, price: f64) -> Result<(), UnknownSymbol> {
        let mut engine = self.shared.engine();
        let idx = engine
            .book()
            .by_symbol(symbol)
            .ok_or_else(|| UnknownSymbol(symbol.to_string()))?;
        engine.set_price(idx, price);
        Ok(())
    }

    /// Cash of `account` in `currency`.
    pub fn cash(&self, account: &str, currency: &str) -> f64 {
        self.shared.engine().ledger().cash(account, currency)
    }

    /// Shares of `symbol` held by `account`.
    pub fn position(&self, account: &str, symbol: &str) -> Result<f64, UnknownSymbol> {
        let engine = self.shared.engine();
        let idx = engine
            .book()
            .by_symbol(symbol)
            .ok_or_else(|| UnknownSymbol(symbol.to_string()))?;
        Ok(engine.ledger().quantity(account, idx))
    }

    /// Makes `account` hold `option` beside its stocks, as if bought elsewhere (replacing
    /// what it held in the same conId; a quantity of 0 closes it). Position subscribers are
    /// told at once; reqPositions reports it from now on. It never trades here.
    pub fn hold_option(&self, account: &str, option: HeldOption) -> Result<(), OptionRefused> {
        self.shared.engine().hold_option(account, option)
    }

    /// The options `account` holds beside its stocks, by conId (none for an unknown account).
    pub fn held_options(&self, account: &str) -> Vec<HeldOption> {
        self.shared
            .engine()
            .ledger()
            .find(account)
            .map(|a| a.options.values().cloned().collect())
            .unwrap_or_default()
    }

    /// `account`'s P&L as a reqPnL subscriber would be told it now: the day's (since 00:00 UTC,
    /// or the start), unrealized and realized, in the base currency. `None` for an account the
    /// simulator does not have.
    pub fn pnl(&self, account: &str) -> Option<PnlView> {
        self.shared.engine().account_pnl(account)
    }

    /// Streaming market-data (reqMktData) subscriptions over every client.
    pub fn market_data_subscriptions(&self) -> usize {
        self.shared.engine().market_data_subscriptions()
    }

    /// How many real-time bar subscriptions are active, over every client: a test steps the
    /// market only once the bars it expects are subscribed, or the first ones go to nobody.
    pub fn real_time_bar_subscriptions(&self) -> usize {
        self.shared.engine().real_time_bar_subscriptions()
    }

    /// Client ids of the started connections.
    pub fn clients(&self) -> Vec<i32> {
        self.shared.engine().client_ids()
    }

    /// Waits until the started client ids satisfy `done` (e.g. a client has connected, or every
    /// client is gone after a drop), or `timeout` passes. Returns the ids at that moment, or
    /// `None` on timeout.
    pub async fn wait_for_clients(
        &self,
        timeout: std::time::Duration,
        mut done: impl FnMut(&[i32]) -> bool,
    ) -> Option<Vec<i32>> {
        let mut rx = self.shared.watch_clients();
        let wait = async {
            match rx.wait_for(|ids| done(ids)).await {
                Ok(ids) => Some(ids.clone()),
                Err(_closed) => None,
            }
        };
        tokio::time::timeout(timeout, wait).await.ok().flatten()
    }

    /// Stops accepting, closes every connection, and waits for every task to end.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        while let Some(joined) = self.tasks.join_next().await {
            if let Err(e) = joined {
                tracing::error!("simulator task failed: {e}");
            }
        }
        tracing::info!(addr = %self.addr, "tws-sim stopped");
    }
}
