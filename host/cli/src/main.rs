//! The `sandtrade` command line: parses the arguments, sets up logging and the compile cache,
//! and runs each command. `run`, `demo` and `check` call into the libraries and print what they
//! return; `backtest` assembles its settings from the sidecar, `--config` and the flags, shows
//! a progress bar on a terminal, prints the report and writes `trades.csv` and `equity.svg`;
//! `bars` writes a generated bar file; `sim` serves tws-sim. A command that fails prints
//! `error: ` and one sentence, its causes included, and exits 1 (a usage error, clap's, exits
//! 2).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sandtrade_runtime::CompileCache;

/// Runs sandboxed WebAssembly trading strategies against Interactive Brokers.
#[derive(Debug, Parser)]
#[command(name = "sandtrade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Where compiled strategy code is kept, for the commands that compile strategies.
#[derive(Debug, clap::Args)]
struct CacheArgs {
    /// Compiled-code cache directory (default: $SANDTRADE_CACHE_DIR or ~/.cache/sandtrade/wasm),
    /// created with mode 0700; refused when another user owns it or may write it.
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the compiled-code cache.
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trades the strategies of the configured directory through TWS / IB Gateway until
    /// Ctrl-C or SIGTERM (see config/example.toml and docs/execution.md), serving the REST
    /// API and status page on `api_address` when set (docs/api.md).
    Run {
        /// The configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Confirms that `mode = "live"` may trade real money.
        #[arg(long)]
        live: bool,
    },
    /// Settles an order whose fate is `unknown` (one reconciliation could not settle) as you
    /// found it at IB, while the host is stopped (with the host running, use
    /// `POST /api/ibkr/order/{id}/settle`). Your reason is kept in the order's record.
    Settle {
        /// The configuration file (its `database` is the one settled in).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The order id.
        id: u64,
        /// `cancelled`: it is not working at IB (it ends, its pending shares are freed);
        /// `requeued`: it never reached IB (it is sent again at the next start, with a new IB
        /// order id; if IB does have it, IB gets it twice).
        #[arg(long, value_enum)]
        outcome: SettleOutcome,
        /// What you checked at IB.
        #[arg(long)]
        reason: String,
    },
    /// Replays a bar file through a strategy against a simulated account, with the same risk
    /// rules as live trading. Prints the result and writes trades.csv and equity.svg.
    Backtest(BacktestArgs),
    /// Writes a synthetic bar file (a seeded random walk) in the backtest format.
    Bars(BarsArgs),
    /// Runs tws-sim, the TWS / IB Gateway protocol simulator, on 127.0.0.1 (the same as the
    /// `tws-sim` binary; see docs/tws-sim.md).
    Sim(tws_sim::Args),
    /// Says whether FILE is a strategy the host will run: its metadata and imports, or exactly
    /// why not. Exits non-zero when it is not.
    Check {
        /// The strategy component (`.wasm`).
        file: PathBuf,
        /// A config file whose [sandbox] section applies (`max_wasm_mib`, `memory_mib`, ...), as
        /// it would in the host; other sections are ignored, so a `sandtrade run` config works.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Makes a ready strategy project in the new directory NAME (like `cargo new`): an SMA
    /// trend on AAPL, its unit test, its sidecar NAME.toml and a README with the author's
    /// loop (build, check, backtest, deploy).
    New {
        /// The project's directory; its last component is the strategy's name (lowercase
        /// letters, digits and `-`).
        name: PathBuf,
        /// The language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: sandtrade::build::Language,
    },
    /// Builds the strategy project in DIR (Rust, Python or TypeScript, told from its files)
    /// into the component the host loads: DIR/<name>.wasm beside its sidecar DIR/<name>.toml,
    /// <name> being the directory's name with `-` turned into `_`.
    Build {
        /// The project directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where the component goes instead.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Everything in one process, no IB account needed: tws-sim (a simulated paper TWS), the
    /// example strategies, and the REST API and status page on 127.0.0.1:5000. Prints where
    /// to look and the token to use; Ctrl-C stops. Build the strategies first
    /// (`cargo xtask guests`), or run `cargo xtask demo`, which does both.
    Demo {
        /// Where the API and the status page listen.
        #[arg(long, default_value = sandtrade_api::DEFAULT_ADDRESS)]
        listen: std::net::SocketAddr,
        /// The simulator's port (7497: TWS's paper port, as in the IBKR REST examples).
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

/// What `sandtrade settle` decides.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SettleOutcome {
    /// Not working at IB: end it.
    Cancelled,
    /// Never reached IB: queue it again.
    Requeued,
}

/// `sandtrade backtest`.
#[derive(Debug, clap::Args)]
struct BacktestArgs {
    /// The strategy component (`.wasm`); its sidecar `.toml`, if any, gives params and limits.
    strategy: PathBuf,
    /// The bar file (CSV: time,symbol,open,high,low,close,volume; see docs/backtest.md).
    #[arg(long)]
    bars: PathBuf,
    /// Where trades.csv and equity.svg go (default: backtest-out/<strategy>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// A config file whose [backtest] (account: slippage, commissions, starting cash),
    /// [limits], [lots] and [sandbox] sections apply; other sections are ignored, so a
    /// `sandtrade run` config works here too.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Overrides or adds a strategy parameter (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,
    /// Slippage against the strategy on every fill, in basis points.
    #[arg(long, value_name = "BPS")]
    slippage_bps: Option<f64>,
    /// Starting cash in a currency (repeatable), e.g. `--cash USD=50000`.
    #[arg(long, value_name = "CCY=AMOUNT", value_parser = parse_key_value)]
    cash: Vec<(String, String)>,
    /// Instruction budget ("fuel") of one strategy call.
    #[arg(long, default_value_t = sandtrade_backtest::run::DEFAULT_FUEL_PER_CALL)]
    fuel: u64,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// `sandtrade bars`.
#[derive(Debug, clap::Args)]
struct BarsArgs {
    /// Symbols, comma-separated (any accepted form: AAPL, 0700.HK, 700).
    #[arg(long, value_delimiter = ',', required = true)]
    symbols: Vec<String>,
    /// Rows to write in all (over all symbols).
    #[arg(long, conflicts_with = "days")]
    count: Option<u64>,
    /// Calendar days to cover instead.
    #[arg(long)]
    days: Option<u32>,
    /// Only regular market hours on weekdays (else around the clock).
    #[arg(long)]
    sessions: bool,
    /// Seed of the random walk.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write integer epoch milliseconds instead of RFC 3339 times.
    #[arg(long)]
    epoch_ms: bool,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `KEY=VALUE`, trimmed. The error says only what is wrong: clap's message quotes the value
/// already (`invalid value 'x' for '--param <KEY=VALUE>': expected KEY=VALUE`).
fn parse_key_value(s: &str) -> Result<(String, String), String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| "expected KEY=VALUE".to_owned())?;
    let key = key.trim();
    if key.is_empty() {
        return Err("the key before '=' is empty".to_owned());
    }
    Ok((key.to_owned(), value.trim().to_owned()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A running host reports what it does; a one-shot command only what went wrong.
    init_logging(match cli.command {
        Command::Run { .. } | Command::Demo { .. } => "info",
        _ => "warn",
    });
    let cache = &cli.cache;
    match cli.command {
        Command::Backtest(args) => with_cache(cache, |cache| exit(backtest(args, cache.as_ref()))),
        Command::Bars(args) => exit(bars(args)),
        Command::Sim(args) => exit(sim(&args)),
        Command::Run { config, live } => with_cache(cache, |cache| run(&config, live, cache)),
        Command::Settle {
            config,
            id,
            outcome,
            reason,
        } => exit(settle(&config, id, outcome, &reason)),
        Command::Demo {
            listen,
            sim_port,
            strategies,
            accelerate,
            dir,
        } => with_cache(cache, |cache| {
            let mut options = sandtrade::demo::DemoOptions::new(std::path::Path::new("."));
            options.listen = listen;
            options.sim_port = sim_port;
            options.strategies = strategies;
            options.accelerate = accelerate;
            options.dir = dir;
            options.token = std::env::var(sandtrade_api::auth::TRADE_TOKEN_ENV).ok();
            options.cache = cache;
            demo(options)
        }),
        Command::New { name, lang } => {
            let tools = sandtrade::build::Toolchain::from_env();
            match sandtrade::new::new_project(&name, lang, &tools) {
                Ok(files) => {
                    let mut said = format!(
                        "created the {lang} strategy project {} ({} files)\n",
                        name.display(),
                        files.len()
                    );
                    said += &format!(
                        "next: edit it, then `sandtrade build {0}` and `sandtrade check \
                         {0}/{1}.wasm` (see {0}/README.md)\n",
                        name.display(),
                        sandtrade::build::stem_of(&name).unwrap_or_default()
                    );
                    print_out(&said);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format_args!("{e:#}")),
            }
        }
        Command::Build { dir, out } => {
            let tools = sandtrade::build::Toolchain::from_env();
            match sandtrade::build::build(&dir, out.as_deref(), &tools) {
                Ok(built) => {
                    print_out(&format!(
                        "built {} ({} strategy, {:.1} MiB, WASI profile {}) in {:.1} s\n",
                        built.wasm.display(),
                        built.language,
                        built.bytes as f64 / f64::from(1 << 20),
                        built.profile,
                        built.took.as_secs_f64()
                    ));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format_args!("{e:#}")),
            }
        }
        Command::Check { file, config } => with_cache(cache, |cache| {
            match check(&file, config.as_deref(), cache.as_ref()) {
                Ok(report) => {
                    print_out(&report);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format_args!("{e:#}")),
            }
        }),
    }
}

fn check(
    file: &std::path::Path,
    config: Option<&std::path::Path>,
    cache: Option<&CompileCache>,
) -> anyhow::Result<String> {
    let sandbox = match config {
        Some(path) => sandtrade_backtest::BacktestSettings::from_file(path)?.sandbox,
        None => sandtrade_runtime::SandboxConfig::default(),
    };
    Ok(sandtrade_runtime::check::check(file, &sandbox, cache)?.to_string())
}

fn settle(
    config: &std::path::Path,
    id: u64,
    outcome: SettleOutcome,
    reason: &str,
) -> anyhow::Result<()> {
    use sandtrade_orders::{OrderStore, Settlement, SignalId, StoreConfig};

    let reason = reason.trim();
    anyhow::ensure!(
        !reason.is_empty(),
        "--reason is empty: say what was checked at IB"
    );
    anyhow::ensure!(
        reason.len() <= sandtrade_api::SETTLE_REASON_MAX_BYTES,
        "--reason is {} bytes; at most {}",
        reason.len(),
        sandtrade_api::SETTLE_REASON_MAX_BYTES
    );
    let config = sandtrade::config::Config::load(config)?;
    let database = &config.trading.database;
    let mut store = OrderStore::open(
        database,
        StoreConfig {
            synchronous: config.trading.synchronous,
        },
    )
    .with_context(|| format!("order database {}", database.display()))?;
    let settlement = match outcome {
        SettleOutcome::Cancelled => Settlement::Cancelled,
        SettleOutcome::Requeued => Settlement::Requeued,
    };
    let change = store.settle_unknown(SignalId::from_u64(id), settlement, reason)?;
    print_out(&format!("order {id}: {} → {}\n", change.from, change.to));
    Ok(())
}

fn backtest(args: BacktestArgs, cache: Option<&CompileCache>) -> anyhow::Result<()> {
    use sandtrade_backtest::{self as backtest, BacktestSettings, BacktestSpec};
    use sandtrade_runtime::sidecar;

    let sidecar = sidecar::load_for(&args.strategy)?.unwrap_or_default();
    let mut params = sidecar.params;
    for (key, value) in args.params {
        match params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => params.push((key, value)),
        }
    }
    let settings = match &args.config {
        Some(path) => BacktestSettings::from_file(path)?,
        None => BacktestSettings::default(),
    };
    let mut sim = settings.sim;
    if let Some(bps) = args.slippage_bps {
        sim.slippage_bps = bps;
    }
    for (currency, amount) in args.cash {
        let amount: f64 = amount
            .parse()
            .map_err(|_| anyhow::anyhow!("--cash {currency}={amount}: not a number"))?;
        sim.initial_cash
            .insert(currency.to_ascii_uppercase(), amount);
    }
    let spec = BacktestSpec {
        strategy: args.strategy.clone(),
        bars: args.bars.clone(),
        params,
        limits: settings.limits.stricter(&sidecar.limits),
        lots: settings.lots,
        sim,
        sandbox: settings.sandbox,
        fuel_per_call: args.fuel,
    };
    let progress = progress_bar(&args.bars, args.quiet);
    let outcome = backtest::run(&spec, cache, &mut |done| progress.set_position(done))?;
    progress.finish_and_clear();

    use std::fmt::Write as _;
    let name = sandtrade_runtime::strategy_name(&args.strategy);
    let mut text = String::new();
    writeln!(
        text,
        "{} ({}…) on {}",
        outcome.metadata,
        &outcome.wasm_sha256[..12],
        args.bars.display()
    )?;
    write!(text, "{}", outcome.report)?;
    write!(text, "{}", outcome.report.recent_trades(10))?;
    for (symbol, bars) in &outcome.skipped {
        writeln!(
            text,
            "Skipped {bars} bars of {symbol} (not a symbol the strategy declared)"
        )?;
    }
    for (time_ms, what) in &outcome.faults {
        let time = backtest::bars::timestamp::format_time(*time_ms, 0);
        writeln!(text, "Fault at {time}: {what}")?;
    }
    if let Some(reason) = &outcome.quarantined {
        writeln!(text, "Quarantined: {reason}")?;
    }
    let seconds = outcome.elapsed.as_secs_f64();
    writeln!(
        text,
        "Replayed {} bars in {seconds:.3} s ({:.0} bars/s)",
        outcome.report.bars,
        outcome.report.bars as f64 / seconds.max(1e-9)
    )?;
    let dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("backtest-out").join(name));
    let (trades, svg) = backtest::run::write_outputs(&outcome.report, &dir)?;
    writeln!(text, "Wrote {} and {}", trades.display(), svg.display())?;
    print_out(&text);
    Ok(())
}

/// Writes `text` to stdout; a closed pipe (`sandtrade ... | head`) is not an error.
fn print_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to stdout: {e}");
    }
}

/// A progress bar over the file's lines, shown only on a terminal (counting the lines first
/// costs a read of the file, which a terminal user will not notice and a benchmark must not
/// pay).
fn progress_bar(bars: &std::path::Path, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let lines = std::fs::read(bars)
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count() as u64)
        .unwrap_or(0);
    let bar = indicatif::ProgressBar::new(lines.saturating_sub(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {wide_bar} {pos}/{len} bars ({per_sec}, {eta} left)",
        )
        .expect("the template is valid"),
    );
    bar
}

fn bars(args: BarsArgs) -> anyhow::Result<()> {
    use sandtrade_backtest::generate::{GenConfig, Length, TimeFormat, write_csv};
    let length = match (args.count, args.days) {
        (Some(count), _) => Length::Bars(count),
        (None, Some(days)) => Length::Days(days),
        (None, None) => anyhow::bail!("give --count N (rows) or --days N"),
    };
    let symbols: Vec<&str> = args.symbols.iter().map(String::as_str).collect();
    let config = GenConfig {
        seed: args.seed,
        time_format: if args.epoch_ms {
            TimeFormat::EpochMs
        } else {
            TimeFormat::Rfc3339
        },
        ..GenConfig::new(&symbols, length, args.sessions)
    };
    let rows = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            write_csv(&config, file)?
        }
        None => write_csv(&config, std::io::stdout().lock())?,
    };
    if let Some(path) = &args.out {
        eprintln!("wrote {rows} bars to {}", path.display());
    }
    Ok(())
}

fn sim(args: &tws_sim::Args) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(tws_sim::cli::serve(args))
}

fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format_args!("{e:#}")),
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
        Err(e) => return fail(&format_args!("cannot start the async runtime: {e}")),
    };
    let options = sandtrade_trading::Options {
        allow_live: live,
        cache,
    };
    match runtime.block_on(sandtrade::host::run(
        config,
        options,
        tws_sim::cli::shutdown_signal(),
    )) {
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
        Err(e) => return fail(&format_args!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(sandtrade::demo::run(
        options,
        tws_sim::cli::shutdown_signal(),
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Runs `command` with the compile cache, or fails when the cache cannot be created or is
/// refused. A refused cache stops the command rather than running without one: the operator
/// learns that someone else could have planted code there, and `--no-cache` says it on purpose.
fn with_cache(
    args: &CacheArgs,
    command: impl FnOnce(Option<CompileCache>) -> ExitCode,
) -> ExitCode {
    if args.no_cache {
        return command(None);
    }
    let dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(CompileCache::default_dir);
    match CompileCache::new(dir) {
        Ok(cache) => command(Some(cache)),
        Err(e) => fail(&format_args!(
            "{e}; use --cache-dir DIR for another directory, or --no-cache for none"
        )),
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal: `sandtrade demo > file` stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}
