//! `sandtrade run` with its API: the trading thread, and the REST API and status page on the
//! configuration's `api_address` with its `[[api.tokens]]` (and the tokens in the
//! environment).

use std::future::Future;

use anyhow::Context;

use super::{Tokens, serve};
use crate::config::Config;
use crate::trading::{self, Exit, Options};

/// Starts the trading thread and, when `config.api_address` is set, the API; returns when
/// the trading loop ends (after `shutdown`, or a failure), the API stopping with it.
///
/// The tokens are resolved, and a non-loopback address without any refused, before anything
/// starts.
///
/// # Errors
///
/// The tokens or the address are refused, the API cannot bind, the trading thread cannot
/// start, or the trading loop failed.
pub async fn run(
    config: Config,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = config.api_address;
    let tokens = Tokens::resolve(&config.api, |var| std::env::var(var).ok())?;
    if let Some(addr) = address {
        tokens.check_bind(addr)?;
    }
    let database = config.database.clone();
    let trading = trading::start(config, options, shutdown).await?;
    let server = match address {
        Some(addr) => {
            let until_stopped = trading.clone();
            let started = serve(addr, trading.clone(), tokens, &database, async move {
                until_stopped.stopped().await;
            })
            .await;
            match started {
                Ok(server) => Some(server),
                Err(e) => {
                    trading.shutdown();
                    trading.stopped().await;
                    return Err(e).context("the REST API");
                }
            }
        }
        None => None,
    };
    let exit = trading.stopped().await;
    if let Some(server) = server
        && let Err(e) = server.stopped().await
    {
        tracing::warn!("the API server ended with an error: {e}");
    }
    match exit {
        Exit::Stopped | Exit::Running => Ok(()),
        Exit::Failed(why) => Err(anyhow::anyhow!(why)),
    }
}
