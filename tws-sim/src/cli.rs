//! The command line, shared by `tws-sim` and `sandtrade sim`.

use std::path::PathBuf;

use crate::config::{ClockMode, DEFAULT_CONTROL_PORT, DEFAULT_PORT, PriceSource, SimConfig};
use crate::error::ConfigError;
use crate::simulator::Simulator;

/// `tws-sim` options. Embed with `#[command(flatten)]` or as a subcommand's arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Port for IB clients on 127.0.0.1 (deliberately none of TWS's 7496/7497 or Gateway's
    /// 4001/4002).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Port of the line-protocol control interface on 127.0.0.1.
    #[arg(long, default_value_t = DEFAULT_CONTROL_PORT)]
    pub control_port: u16,
    /// Run without the control interface.
    #[arg(long)]
    pub no_control: bool,
    /// TOML file with accounts, contracts, matching and commission settings.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed of the random walk (same seed, same prices).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated seconds per wall-clock second.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub accelerate: f64,
    /// Do not run the clock: time moves only on the control interface's `step`/`bar`.
    #[arg(long)]
    pub manual_clock: bool,
    /// Replay a bars CSV (`time,symbol,open,high,low,close,volume`, one row per 5 s bar)
    /// instead of the random walk.
    #[arg(long, value_name = "CSV")]
    pub replay: Option<PathBuf>,
    /// Enforce US and HK exchange hours (no ticks, bars or fills outside them).
    #[arg(long)]
    pub session_hours: bool,
    /// Market orders fill this many basis points worse than the last price.
    #[arg(long, value_name = "BPS")]
    pub slippage_bps: Option<f64>,
    /// Fill at most this many shares per simulated second (partial fills).
    #[arg(long, value_name = "SHARES")]
    pub max_fill_per_tick: Option<f64>,
}

impl Args {
    /// The configuration these options describe.
    pub fn to_config(&self) -> Result<SimConfig, ConfigError> {
        let mut config = match &self.config {
            Some(path) => SimConfig::from_toml_file(path)?,
            None => SimConfig::default(),
        };
        config.port = self.port;
        config.control_port = (!self.no_control).then_some(self.control_port);
        if let Some(seed) = self.seed {
            config.market.seed = seed;
        }
        config.market.acceleration = self.accelerate;
        config.market.clock = if self.manual_clock {
            ClockMode::Manual
        } else {
            ClockMode::RealTime
        };
        if let Some(path) = &self.replay {
            config.market.source = PriceSource::Replay(path.clone());
        }
        config.market.session_hours |= self.session_hours;
        if let Some(bps) = self.slippage_bps {
            config.matching.slippage_bps = bps;
        }
        if self.max_fill_per_tick.is_some() {
            config.matching.max_fill_per_tick = self.max_fill_per_tick;
        }
        config.validate()?;
        Ok(config)
    }
}

/// Runs the simulator as the command line does: starts it, prints where it listens (stdout
/// carries only the addresses, for scripts to read), and serves until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// An invalid configuration, or a port that cannot be bound.
pub async fn serve(args: &Args) -> anyhow::Result<()> {
    let config = args.to_config()?;
    let handle = Simulator::start(config).await?;
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

/// Resolves on Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn defaults_are_a_real_time_gateway_on_the_sim_ports() {
        let config = Cli::parse_from(["tws-sim"])
            .args
            .to_config()
            .expect("valid");
        assert_eq!((config.port, config.control_port), (4242, Some(4243)));
        assert_eq!(config.market.clock, ClockMode::RealTime);
        assert_eq!(config.market.acceleration, 1.0);
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::parse_from([
            "tws-sim",
            "--port",
            "7000",
            "--no-control",
            "--seed",
            "9",
            "--accelerate",
            "60",
            "--manual-clock",
            "--session-hours",
            "--slippage-bps",
            "3",
            "--max-fill-per-tick",
            "50",
        ]);
        let config = cli.args.to_config().expect("valid");
        assert_eq!((config.port, config.control_port), (7000, None));
        assert_eq!((config.market.seed, config.market.acceleration), (9, 60.0));
        assert_eq!(config.market.clock, ClockMode::Manual);
        assert!(config.market.session_hours);
        assert_eq!(config.matching.slippage_bps, 3.0);
        assert_eq!(config.matching.max_fill_per_tick, Some(50.0));
        let bad = Cli::parse_from(["tws-sim", "--accelerate", "0"])
            .args
            .to_config();
        assert!(
            bad.expect_err("zero acceleration")
                .to_string()
                .contains("market.acceleration 0 must be > 0")
        );
    }
}
