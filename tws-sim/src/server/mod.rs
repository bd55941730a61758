//! Running a simulator: the accept loop, the clock, and the handle to control it.

mod connection;
pub(crate) mod handshake;
mod shared;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub(crate) use self::shared::Shared;
use crate::config::{ClockMode, DEFAULT_MANUAL_START, SimConfig};
use crate::control;
use crate::engine::Engine;
use crate::engine::clock::BAR_SECONDS;
use crate::error::StartError;
use crate::faults::Faults;
use crate::probe::LatencyProbe;

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `127.0.0.1:config.port` (and the control port, if configured) and starts serving.
    pub async fn start(config: SimConfig) -> Result<SimHandle, StartError> {
        config.validate()?;
        let listener = bind(config.port).await?;
        let control = match config.control_port {
            Some(port) => Some(bind(port).await?),
            None => None,
        };
        Self::start_on(listener, control, config)
    }

    /// Starts serving on listeners the caller bound.
    pub fn start_on(
        listener: TcpListener,
        control: Option<TcpListener>,
        config: SimConfig,
    ) -> Result<SimHandle, StartError> {
        config.validate()?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: "listener".into(),
            source,
        })?;
        let control_addr = match &control {
            Some(l) => Some(l.local_addr().map_err(|source| StartError::Bind {
                addr: "control".into(),
                source,
            })?),
            None => None,
        };
        let start = start_time(&config);
        let config = Arc::new(config);
        let engine = Engine::new(config.clone(), start)?;
        let shared = Arc::new(Shared::new(config.clone(), engine));
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(accept_loop(listener, shared.clone(), shutdown.clone()));
        if let Some(control) = control {
            tasks.spawn(control::serve(control, shared.clone(), shutdown.clone()));
        }
        if config.market.clock == ClockMode::RealTime {
            tasks.spawn(run_clock(shared.clone(), shutdown.clone()));
        }
        tracing::info!(%addr, ?control_addr, clock = ?config.market.clock, "tws-sim listening");
        Ok(SimHandle {
            addr,
            control_addr,
            shared,
            shutdown,
            tasks,
        })
    }
}

async fn bind(port: u16) -> Result<TcpListener, StartError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })
}

fn start_time(config: &SimConfig) -> OffsetDateTime {
    let start = match (config.market.start_time, config.market.clock) {
        (Some(t), _) => t,
        (None, ClockMode::Manual) => DEFAULT_MANUAL_START,
        (None, ClockMode::RealTime) => OffsetDateTime::now_utc(),
    };
    // Bars are aligned to five seconds, like IB's.
    let secs = start.unix_timestamp();
    OffsetDateTime::from_unix_timestamp(secs - secs.rem_euclid(BAR_SECONDS))
        .unwrap_or(DEFAULT_MANUAL_START)
}

/// Serves IB clients on `listener` until `shutdown` completes (mini-redis style).
pub async fn run(
    listener: TcpListener,
    config: SimConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let handle = Simulator::start_on(listener, None, config)?;
    shutdown.await;
    handle.shutdown().await;
    Ok(())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    connections.spawn(connection::serve(socket, peer, shared.clone(), shutdown.child_token()));
                }
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    while connections.join_next().await.is_some() {}
}

async fn run_clock(shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(shared.config.market.tick_interval());
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = interval.tick() => shared.engine().step(),
        }
    }
}

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
