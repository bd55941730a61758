//! `tws-sim`: a TWS / IB Gateway protocol simulator on 127.0.0.1. CLI only; everything else
//! is the `tws_sim` library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A paper TWS on loopback that real IB API clients accept.
#[derive(Debug, Parser)]
#[command(name = "tws-sim", version, about)]
struct Cli {
    #[command(flatten)]
    args: tws_sim::Args,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr; stdout carries only the addresses, for scripts to read.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match tws_sim::cli::serve(&cli.args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line with its causes, as `sandtrade` prints errors, not anyhow's Debug.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
