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
    /// Says whether FILE is a strategy the host will run: its metadata and imports, or exactly
    /// why not. Exits non-zero when it is not.
    Check {
        /// The strategy component (`.wasm`).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let cache = match open_cache(&cli) {
        Ok(cache) => cache,
        Err(e) => return fail(&e),
    };
    match cli.command {
        Command::Check { file } => match sandtrade::check::check(&file, cache.as_ref()) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
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

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}
