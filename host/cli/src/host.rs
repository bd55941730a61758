//! `sandtrade run` with its API: the trading thread, and the REST API and status page on the
//! configuration's `api_address` with its `[[api.tokens]]` (and the tokens in the
//! environment) and the limits in `[api]`.

use std::future::Future;

use anyhow::Context;

use sandtrade_api::{Server, Tokens, serve_with_limits};
use sandtrade_trading::{self as trading, Exit, Options, TradingHandle};

use crate::config::Config;

/// A host started by [`start`]: the trading thread and, if configured, its API.
#[derive(Debug)]
pub struct Host {
    /// The trading thread.
    pub trading: TradingHandle,
    /// The API server, when `api_address` is set; it stops when the trading loop ends.
    pub api: Option<Server>,
}

/// Starts the trading thread and, when `config.api_address` is set, the API on it.
///
/// The tokens are resolved, and a non-loopback address without any refused, before anything
/// starts.
///
/// # Errors
///
/// The tokens or the address are refused, the API cannot bind (the trading thread is then
/// stopped again), or the trading thread cannot start.
pub async fn start(
    config: Config,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Host> {
    let address = config.api_address;
    let tokens = Tokens::resolve(&config.api, |var| std::env::var(var).ok())?;
    let limits = config.api.limits();
    if let Some(addr) = address {
        tokens.check_bind(addr)?;
    }
    let database = config.trading.database.clone();
    let trading = trading::start(config.trading, options, shutdown).await?;
    let Some(addr) = address else {
        return Ok(Host { trading, api: None });
    };
    let until_stopped = trading.clone();
    let started = serve_with_limits(
        addr,
        trading.clone(),
        tokens,
        limits,
        &database,
        async move {
            until_stopped.stopped().await;
        },
    )
    .await;
    match started {
        Ok(server) => Ok(Host {
            trading,
            api: Some(server),
        }),
        Err(e) => {
            trading.shutdown();
            trading.stopped().await;
            Err(e).context("the REST API")
        }
    }
}

impl Host {
    /// Waits until the trading loop ends (after the shutdown future, or a failure), and the
    /// API with it.
    ///
    /// # Errors
    ///
    /// The trading loop failed.
    pub async fn stopped(self) -> anyhow::Result<()> {
        let exit = self.trading.stopped().await;
        if let Some(server) = self.api
            && let Err(e) = server.stopped().await
        {
            tracing::warn!("the API server ended with an error: {e}");
        }
        match exit {
            Exit::Stopped | Exit::Running => Ok(()),
            Exit::Failed(why) => Err(anyhow::anyhow!(why)),
        }
    }
}

/// `sandtrade run`: [`start`], then [`Host::stopped`].
///
/// # Errors
///
/// As [`start`] and [`Host::stopped`].
pub async fn run(
    config: Config,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    start(config, options, shutdown).await?.stopped().await
}
