//! `tws-sim`: a TWS / IB Gateway protocol simulator on 127.0.0.1. CLI only; everything else
//! is the `tws_sim` library.

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
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr; stdout carries only the addresses, for scripts to read.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let config = cli.args.to_config()?;
    let handle = tws_sim::Simulator::start(config).await?;
    println!("tws-sim listening on {}", handle.addr());
    if let Some(control) = handle.control_addr() {
        println!(
            "control interface on {control} (try: echo help | nc {} {})",
            control.ip(),
            control.port()
        );
    }
    shutdown_signal().await;
    handle.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        _ = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
