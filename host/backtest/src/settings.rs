//! `sandtrade backtest --config FILE`: the settings a backtest takes from a config file.
//!
//! The sections `[backtest]` (the simulated account: slippage, commissions, starting cash),
//! `[limits]`, `[lots]` and `[sandbox]` are read; every other key (a live config's `[ib]`,
//! `mode`, …) is ignored, so the same file serves `sandtrade run` and backtests of its
//! strategies. Within a section, every key is checked.

use std::path::Path;

use serde::Deserialize;

use super::sim::SimConfig;
use sandtrade_core::LotTable;
use sandtrade_risk::Limits;
use sandtrade_runtime::SandboxConfig;

/// What a backtest reads from a config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BacktestSettings {
    /// `[backtest]`.
    pub sim: SimConfig,
    /// `[limits]`: global limits (a strategy's sidecar can only tighten them).
    pub limits: Limits,
    /// `[lots]`: board lots added to the built-in table.
    pub lots: LotTable,
    /// `[sandbox]`.
    pub sandbox: SandboxConfig,
}

#[derive(Deserialize)]
struct Sections {
    #[serde(default)]
    backtest: SimConfig,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    lots: LotTable,
    #[serde(default)]
    sandbox: SandboxConfig,
}

impl BacktestSettings {
    /// Reads the backtest's sections of the config file at `path`.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or a section has a bad key or value (with its line).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses config `text`.
    ///
    /// # Errors
    ///
    /// A section with a bad key or value, or an invalid `[backtest]` or `[limits]`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let sections: Sections = toml::from_str(text)?;
        sections.backtest.validate()?;
        sections.limits.validate()?;
        Ok(Self {
            sim: sections.backtest,
            limits: sections.limits,
            lots: sections.lots,
            sandbox: sections.sandbox,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_sections_and_ignores_the_rest() {
        let settings = BacktestSettings::parse(
            r#"
mode = "paper"
[ib]
port = 4002
[backtest]
slippage_bps = 2.5
[backtest.initial_cash]
USD = 5000.0
[limits]
max_order_shares = 7
[lots]
"9999.HK" = 250
"#,
        )
        .unwrap();
        assert_eq!(settings.sim.slippage_bps, 2.5);
        assert_eq!(settings.sim.initial_cash.get("USD"), Some(&5000.0));
        assert_eq!(settings.limits.max_order_shares, Some(7));
        let hk = sandtrade_core::normalize("9999.HK").unwrap();
        assert_eq!(settings.lots.lot_size(&hk), Some(250));
        assert_eq!(settings.sandbox, SandboxConfig::default());
    }

    #[test]
    fn a_bad_key_in_a_section_is_an_error() {
        let err = BacktestSettings::parse("[backtest]\nslipage_bps = 1\n").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `slipage_bps`"),
            "{err}"
        );
        let err = BacktestSettings::parse("[backtest]\nslippage_bps = -1\n").unwrap_err();
        assert!(err.to_string().contains("slippage_bps = -1"), "{err}");
    }

    #[test]
    fn the_example_run_config_serves_backtests_too() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/example.toml");
        let settings = BacktestSettings::from_file(&path).unwrap();
        assert_eq!(settings.sim.slippage_bps, 1.0);
        assert_eq!(settings.limits.max_order_shares, Some(500));
        assert_eq!(settings.sandbox.call_deadline_ms, 100);
    }
}
