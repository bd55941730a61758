//! The `sandtrade` command line. Parsing and exit codes only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sandtrade::runtime::CompileCache;

/// Runs sandboxed WebAssembly trading strategies against Interactive Brokers.
#[derive(Debug, Parser)]
#[command(name = "sandtrade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Compiled-code cache directory (default: $SANDTRADE_CACHE_DIR or ~/.cache/sandtrade/wasm).
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the compiled-code cache.
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trades the strategies of the configured directory through TWS / IB Gateway until
    /// Ctrl-C or SIGTERM (see config/example.toml and docs/execution.md).
    Run {
        /// The configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Confirms that `mode = "live"` may trade real money.
        #[arg(long)]
        live: bool,
    },
    /// Says whether FILE is a strategy the host will run: its metadata and imports, or exactly
    /// why not. Exits non-zero when it is not.
    Check {
        /// The strategy component (`.wasm`).
        file: PathBuf,
    },
    /// Everything in one process, no IB account needed: tws-sim (a simulated paper TWS), the
    /// example strategies, and the REST API and status page on 127.0.0.1:5000. Prints where
    /// to look and the token to use; Ctrl-C stops. Build the strategies first
    /// (`cargo xtask guests`), or run `cargo xtask demo`, which does both.
    Demo {
        /// Where the API and the status page listen.
        #[arg(long, default_value = sandtrade::api::DEFAULT_ADDRESS)]
        listen: std::net::SocketAddr,
        /// The simulator's port (7497: TWS's paper port, as in the seed's curl examples).
        #[arg(long, default_value_t = sandtrade::demo::DEFAULT_SIM_PORT)]
        sim_port: u16,
        /// The built example strategies.
        #[arg(long, default_value = "target/guests/example-strategies")]
        strategies: PathBuf,
        /// Simulated seconds per wall-clock second.
        #[arg(long, default_value_t = 60.0)]
        accelerate: f64,
        /// The working directory (order database, strategies copy, .curlrc).
        #[arg(long, default_value = "target/demo")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A running host reports what it does; a one-shot command only what went wrong.
    init_logging(match cli.command {
        Command::Run { .. } | Command::Demo { .. } => "info",
        _ => "warn",
    });
    let cache = match open_cache(&cli) {
        Ok(cache) => cache,
        Err(e) => return fail(&e),
    };
    match cli.command {
        Command::Run { config, live } => run(&config, live, cache),
        Command::Demo {
            listen,
            sim_port,
            strategies,
            accelerate,
            dir,
        } => {
            let mut options = sandtrade::demo::DemoOptions::new(std::path::Path::new("."));
            options.listen = listen;
            options.sim_port = sim_port;
            options.strategies = strategies;
            options.accelerate = accelerate;
            options.dir = dir;
            options.token = std::env::var(sandtrade::api::auth::TRADE_TOKEN_ENV).ok();
            options.cache = cache;
            demo(options)
        }
        Command::Check { file } => match sandtrade::check::check(&file, cache.as_ref()) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
    }
}

fn run(path: &std::path::Path, live: bool, cache: Option<CompileCache>) -> ExitCode {
    let config = match sandtrade::config::Config::load(path) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e),
    };
    let options = sandtrade::trading::Options {
        allow_live: live,
        cache,
    };
    match runtime.block_on(sandtrade::trading::run(config, options, stop_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

fn demo(options: sandtrade::demo::DemoOptions) -> ExitCode {
    // The API and the simulator run on this runtime; the trading thread has its own.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e),
    };
    match runtime.block_on(sandtrade::demo::run(options, stop_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. Runs on the trading thread's runtime.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(e) => {
            eprintln!("warning: cannot listen for SIGTERM ({e}); stop with Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => eprintln!("Ctrl-C: stopping"),
        _ = terminate.recv() => eprintln!("SIGTERM: stopping"),
    }
}

fn open_cache(cli: &Cli) -> Result<Option<CompileCache>, std::io::Error> {
    if cli.no_cache {
        return Ok(None);
    }
    let dir = cli
        .cache_dir
        .clone()
        .unwrap_or_else(CompileCache::default_dir);
    CompileCache::new(dir).map(Some)
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}
