//! Starting a simulator: bind the listeners, build the engine and the state the tasks share,
//! and start the tasks: the IB accept loop, the control listener and, in real time, the clock.
//!
//! This is the top of the crate. The server serves connections and knows nothing of the
//! switchboard or the control interface; starting all of them here keeps every import pointing
//! down (control and faults → server → engine).

mod handle;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use self::handle::{SimHandle, UnknownSymbol};
use crate::config::{ClockMode, DEFAULT_MANUAL_START, SimConfig};
use crate::control;
use crate::engine::Engine;
use crate::engine::clock::BAR_SECONDS;
use crate::error::StartError;
use crate::server::{self, Shared};

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
            error: source,
        })?;
        let control_addr = match &control {
            Some(l) => Some(l.local_addr().map_err(|source| StartError::Bind {
                addr: "control".into(),
                error: source,
            })?),
            None => None,
        };
        let start = start_time(&config);
        let config = Arc::new(config);
        let engine = Engine::new(config.clone(), start)?;
        let shared = Arc::new(Shared::new(config.clone(), engine));
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(server::accept_loop(
            listener,
            shared.clone(),
            shutdown.clone(),
        ));
        if let Some(control) = control {
            tasks.spawn(control::serve(control, shared.clone(), shutdown.clone()));
        }
        if config.market.clock == ClockMode::RealTime {
            tasks.spawn(run_clock(shared.clone(), shutdown.clone()));
        }
        tracing::info!(%addr, ?control_addr, clock = ?config.market.clock, "tws-sim listening");
        Ok(SimHandle::new(addr, control_addr, shared, shutdown, tasks))
    }
}

async fn bind(port: u16) -> Result<TcpListener, StartError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            error: source,
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
