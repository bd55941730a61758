//! `sandtrade demo`: everything in one process, with no IB account. tws-sim (a simulated
//! paper TWS, real-time market accelerated), the example strategies, the trading thread, and
//! the REST API with its status page on `127.0.0.1:5000`.
//!
//! The simulator listens on TWS's paper port 7497 by default, so the IBKR REST examples'
//! `POST /api/ibkr/connect {"host": "127.0.0.1", "port": 7497, "clientId": 1}` works as
//! written. A fresh `trade` token is made for each run (or taken from `SANDTRADE_API_TOKEN`);
//! it is printed, and written to `<dir>/.curlrc` so that `CURL_HOME=<dir>` makes plain
//! `curl` commands carry it.
//!
//! [`start`] brings it all up and returns a [`Demo`] (the load benchmark and the browser test
//! run against it); [`run`] is `start`, the printed directions, and waiting for Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use sandtrade_api::{self as api, Scope, Tokens};
use sandtrade_trading::{self as trading, Options, TradingHandle};

/// The simulator's default port: TWS's paper port, as in the IBKR REST examples.
pub const DEFAULT_SIM_PORT: u16 = 7497;
/// The simulated account.
pub const ACCOUNT: &str = "DU1234567";
/// The example strategies the demo loads, with parameters for a lively demo (short averages,
/// so they trade within seconds of accelerated time). File stems, as `cargo xtask guests`
/// names the components.
pub const STRATEGIES: [(&str, &str); 5] = [
    (
        "ma_crossover",
        "[params]\nfast = 3\nslow = 8\nquantity = 10\n\n[limits]\nmax_signals_per_minute = 30\n",
    ),
    (
        "scale_in_out",
        "[params]\nperiod = 3\nstep = 5\nmax_steps = 3\n\n[limits]\nmax_signals_per_minute = 30\n",
    ),
    (
        "trend_stop",
        "[params]\nentry_window = 5\nquantity = 10\ntrail_pct = 0.5\ntighten_at_pct = 0.6\ntight_trail_pct = 0.25\n\n[limits]\nmax_signals_per_minute = 30\n",
    ),
    (
        "pullback_bracket",
        "[params]\nfast = 3\nslow = 8\nquantity = 10\ntake_profit_pct = 0.4\nstop_loss_pct = 0.3\ncancel_after_bars = 5\n\n[limits]\nmax_signals_per_minute = 30\n",
    ),
    (
        "hk_breakout",
        "[params]\nlot = 100\nlots = 1\nentry_window = 4\nexit_window = 3\n\n[limits]\nmax_signals_per_minute = 30\n",
    ),
];

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the API and page listen.
    pub listen: SocketAddr,
    /// The simulator's port (0: any free port).
    pub sim_port: u16,
    /// Where the built example strategies are (`cargo xtask guests`:
    /// `target/guests/example-strategies`).
    pub strategies: PathBuf,
    /// Simulated seconds per wall-clock second.
    pub accelerate: f64,
    /// The working directory (strategies copy, order database, `.curlrc`); created if missing,
    /// its database replaced.
    pub dir: PathBuf,
    /// The token; `None`: a fresh random one.
    pub token: Option<String>,
    /// The compiled-strategy cache.
    pub cache: Option<sandtrade_runtime::CompileCache>,
}

impl DemoOptions {
    /// The defaults: `127.0.0.1:5000`, simulator on 7497, 60× time, under `target/demo`.
    pub fn new(workspace: &Path) -> Self {
        Self {
            listen: api::DEFAULT_ADDRESS
                .parse()
                .expect("the default address is valid"),
            sim_port: DEFAULT_SIM_PORT,
            strategies: workspace.join("target/guests/example-strategies"),
            accelerate: 60.0,
            dir: workspace.join("target/demo"),
            token: None,
            cache: None,
        }
    }
}

/// A running demo.
pub struct Demo {
    /// The simulator.
    pub sim: tws_sim::SimHandle,
    /// The trading thread.
    pub trading: TradingHandle,
    /// Where the API listens.
    pub api: SocketAddr,
    /// The `trade` token.
    pub token: String,
    /// The working directory.
    pub dir: PathBuf,
    stop_api: tokio_util::sync::CancellationToken,
    server: api::Server,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Demo")
            .field("sim", &self.sim.addr())
            .field("api", &self.api)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Starts the simulator, the trading thread with the example strategies, and the API.
///
/// # Errors
///
/// A port is taken, the strategies are not built, or a part fails to start; the message
/// says which and what to do.
pub async fn start(options: DemoOptions) -> anyhow::Result<Demo> {
    let strategies_dir = options.dir.join("strategies");
    prepare_dir(&options, &strategies_dir)?;
    let token = match options.token.clone() {
        Some(token) => token,
        None => random_token()?,
    };
    let tokens = Tokens::none()
        .with("demo", Scope::Trade, &token)
        .context("the demo token")?;
    write_curlrc(&options.dir, &token)?;

    let mut sim_config = tws_sim::SimConfig {
        port: options.sim_port,
        ..tws_sim::SimConfig::default()
    };
    sim_config.market.clock = tws_sim::config::ClockMode::RealTime;
    sim_config.market.acceleration = options.accelerate;
    let sim = tws_sim::Simulator::start(sim_config)
        .await
        .with_context(|| {
            format!(
                "cannot start the simulator on 127.0.0.1:{} (a TWS running there? use --sim-port)",
                options.sim_port
            )
        })?;

    let config = Config::parse(
        &format!(
            "mode = \"paper\"\nstrategies_dir = \"strategies\"\ndatabase = \"orders.sqlite\"\n\
             [ib]\nport = {port}\nclient_id = 17\naccount = \"{ACCOUNT}\"\n\
             [market_data]\nwarmup_bars = 20\nregular_hours_only = false\n",
            port = sim.addr().port()
        ),
        &options.dir,
    )
    .context("the demo's configuration")?;
    let database = config.trading.database.clone();
    let trading = trading::start(
        config.trading,
        Options {
            allow_live: false,
            cache: options.cache.clone(),
        },
        std::future::pending(),
    )
    .await
    .context("the trading thread")?;

    let stop_api = tokio_util::sync::CancellationToken::new();
    let stopped = stop_api.clone();
    let server = api::serve(
        options.listen,
        trading.clone(),
        tokens,
        &database,
        async move {
            stopped.cancelled().await;
        },
    )
    .await
    .with_context(|| format!("the API on {} (in use? use --listen)", options.listen))?;
    Ok(Demo {
        sim,
        trading,
        api: server.addr,
        token,
        dir: options.dir,
        stop_api,
        server,
    })
}

impl Demo {
    /// What to do next, for people: where to look, which token to use.
    pub fn directions(&self) -> String {
        let api = self.api;
        let token = &self.token;
        // Absolute, so the printed `export CURL_HOME=...` works from any directory.
        let dir = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        let dir = dir.display();
        format!(
            "Sandtrade demo: tws-sim on {sim} (simulated paper TWS, account {ACCOUNT}), \
             strategies {names}.\n\
             \n  status page   http://{api}/#token={token}\
             \n  API           http://{api}/api/ibkr/status   (docs/api.md, http://{api}/api/openapi.json)\
             \n  metrics       http://{api}/metrics\
             \n  token         {token}   (scope: trade)\
             \n\nTry the IBKR REST examples (the token is in {dir}/.curlrc):\
             \n  export CURL_HOME={dir}\
             \n  curl http://localhost:{port}/api/ibkr/status\
             \n  curl -X POST http://localhost:{port}/api/ibkr/order -H \"Content-Type: application/json\" \\\
             \n    -d '{{\"symbol\": \"AAPL\", \"side\": \"buy\", \"quantity\": 10, \"marketType\": \"USStock\"}}'\
             \nor add -H \"Authorization: Bearer {token}\" to each.\
             \n\nDrop a strategy (its .wasm and .toml) into {dir}/strategies: it starts trading \
             without a restart.\
             \n\nCtrl-C stops.\n",
            sim = self.sim.addr(),
            names = STRATEGIES.map(|(n, _)| n).join(", "),
            port = api.port(),
        )
    }

    /// Stops the API, the trading thread and the simulator, in that order.
    pub async fn stop(self) {
        self.stop_api.cancel();
        if let Err(e) = self.server.stopped().await {
            tracing::warn!("the API server ended with an error: {e}");
        }
        self.trading.shutdown();
        self.trading.stopped().await;
        self.sim.shutdown().await;
    }
}

/// [`start`], print the directions, wait for `shutdown`, stop.
///
/// # Errors
///
/// As [`start`].
pub async fn run(
    options: DemoOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let demo = start(options).await?;
    println!("{}", demo.directions());
    tokio::select! {
        () = shutdown => {}
        exit = demo.trading.stopped() => {
            anyhow::bail!("the trading loop ended: {exit}");
        }
    }
    demo.stop().await;
    Ok(())
}

/// A fresh working directory: the strategies copied in with the demo's sidecars, no database.
fn prepare_dir(options: &DemoOptions, strategies_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(strategies_dir)
        .with_context(|| format!("cannot create {}", strategies_dir.display()))?;
    for old in ["orders.sqlite", "orders.sqlite-wal", "orders.sqlite-shm"] {
        match std::fs::remove_file(options.dir.join(old)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context(format!("cannot remove the old {old}")),
        }
    }
    for (name, sidecar) in STRATEGIES {
        let from = options.strategies.join(format!("{name}.wasm"));
        if !from.is_file() {
            anyhow::bail!(
                "{} is missing: build the example strategies first (`cargo xtask guests`, or \
                 run the demo with `cargo xtask demo`)",
                from.display()
            );
        }
        std::fs::write(strategies_dir.join(format!("{name}.toml")), sidecar)?;
        std::fs::copy(&from, strategies_dir.join(format!("{name}.wasm")))
            .with_context(|| format!("cannot copy {}", from.display()))?;
    }
    Ok(())
}

/// 32 random bytes, hex.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    Ok(hex::encode(bytes))
}

/// `<dir>/.curlrc` (mode 0600) with the token's header: `CURL_HOME=<dir> curl ...` sends it.
fn write_curlrc(dir: &Path, token: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(".curlrc");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "# Written by `sandtrade demo`: the demo's API token.")?;
    writeln!(file, "header = \"Authorization: Bearer {token}\"")?;
    Ok(())
}
