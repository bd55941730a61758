//! What the trading loop is configured with: the top-level keys it owns (`mode`,
//! `strategies_dir`, `database`, `synchronous`) and the sections `[ib]` (read by the broker),
//! `[market_data]`, `[positions]`, `[queue]`, `[limits]`, `[account]`, `[lots]` and
//! `[sandbox]`.
//!
//! Read in two steps so that the `sandtrade` binary, which assembles the whole file, reports
//! every problem in file order: [`TradingConfig::take`] takes this crate's keys and tables from
//! the top level (beside the other crates' keys), then [`TradingSections::read`] reads the
//! sections and checks what spans them — the paper/live rules of `mode`, `ib.port` and
//! `ib.account` ([`sandtrade_broker::safety`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sandtrade_broker::IbConfig;
use sandtrade_broker::safety::{self, TradingMode};
use sandtrade_core::LotTable;
use sandtrade_core::settings::{Problems, Section};
use sandtrade_orders::Synchronous;
use sandtrade_risk::{AccountLimits, Limits};
use sandtrade_runtime::SandboxConfig;

/// Everything the trading loop is started with.
#[derive(Debug, Clone, PartialEq)]
pub struct TradingConfig {
    /// Paper or live.
    pub mode: TradingMode,
    /// The strategies directory (absolute, or relative to the working directory).
    pub strategies_dir: PathBuf,
    /// The order database file.
    pub database: PathBuf,
    /// What a commit of the order database survives.
    pub synchronous: Synchronous,
    /// The IB connection.
    pub ib: IbConfig,
    /// Market data.
    pub market_data: MarketDataConfig,
    /// Broker positions against the strategies' ledger.
    pub positions: PositionsConfig,
    /// The order queue.
    pub queue: QueueConfig,
    /// Global risk limits (each strategy's sidecar may tighten them).
    pub limits: Limits,
    /// Limits over the whole account: caps across every ledger, the daily loss and drawdown.
    pub account: AccountLimits,
    /// HK board lots: the built-in table plus `[lots]`.
    pub lots: LotTable,
    /// Strategy sandbox limits.
    pub sandbox: SandboxConfig,
}

/// `[market_data]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketDataConfig {
    /// Bars of its own size each strategy is given from history before its first live bar.
    pub warmup_bars: u32,
    /// Only bars from regular trading hours (IB's `useRTH`).
    pub regular_hours_only: bool,
    /// What a contract whose live data IB refuses gets instead.
    pub fallback: Fallback,
}

/// `[market_data] fallback`: what a contract gets when IB refuses its live data (codes 354,
/// 10089, 10167, 10168: the account has no market data subscription for its exchange).
///
/// The default is [`Fallback::None`]: a strategy that never looks at its bars' `source` would
/// otherwise trade on prices about 15 minutes old without anyone having chosen that. The
/// refusal is shown plainly either way (the status's `market_data`, the status page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fallback {
    /// No fallback: the contract is reported failed, with IB's code and text, and gets no bars.
    #[default]
    None,
    /// IB's delayed data (`reqMarketDataType` 3): bars built from the delayed trades, with
    /// source `delayed`.
    Delayed,
    /// IB's delayed-frozen data (`reqMarketDataType` 4): delayed data while the market trades,
    /// and the last delayed values IB holds when it does not; bars have source `delayed`
    /// while IB says the data is delayed, `frozen` while it says frozen. (IB's frozen type 2
    /// needs the same subscription as live data, so it is no fallback.)
    Frozen,
}

impl Fallback {
    /// The value as the file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Delayed => "delayed",
            Self::Frozen => "frozen",
        }
    }

    /// IB's market data type to request (`None`: no fallback).
    pub fn market_data_type(self) -> Option<ibapi::market_data::MarketDataType> {
        use ibapi::market_data::MarketDataType;
        match self {
            Self::None => None,
            Self::Delayed => Some(MarketDataType::Delayed),
            Self::Frozen => Some(MarketDataType::DelayedFrozen),
        }
    }
}

impl std::str::FromStr for Fallback {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "delayed" => Ok(Self::Delayed),
            "frozen" => Ok(Self::Frozen),
            _ => Err("expected \"delayed\", \"frozen\" or \"none\"".to_owned()),
        }
    }
}

/// `[positions]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionsConfig {
    /// How long the broker's position may differ from the strategies' ledger before it is
    /// called drift (fills and position updates arrive on different streams).
    pub drift_grace: Duration,
    /// Halt trading when drift is found.
    pub halt_on_drift: bool,
}

/// `[queue]`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// A market order still queued after this long (through a long disconnect, a halt) is
    /// cancelled instead of sent: the market it was meant for has moved on.
    pub market_order_max_age: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            market_order_max_age: Duration::from_secs(60),
        }
    }
}

/// This crate's part of the file, taken from the top level but not read yet: see
/// [`TradingConfig::take`].
#[derive(Debug)]
pub struct TradingSections {
    mode: Option<TradingMode>,
    strategies_dir: String,
    database: String,
    synchronous: Synchronous,
    ib: Option<toml::Table>,
    market_data: Option<toml::Table>,
    positions: Option<toml::Table>,
    queue: Option<toml::Table>,
    limits: Option<Limits>,
    account: Option<AccountLimits>,
    lots: Option<LotTable>,
    sandbox: Option<SandboxConfig>,
}

impl TradingConfig {
    /// Step one: takes this crate's top-level keys and tables out of `top`, recording the
    /// problems of the keys.
    pub fn take(top: &mut Section<'_>) -> TradingSections {
        let mode = top.required_with("mode", |v: String| {
            // The problem quotes the value already: say only what is accepted.
            v.parse::<TradingMode>()
                .map_err(|_| "expected \"paper\" or \"live\"".to_owned())
        });
        let strategies_dir = top.string_or("strategies_dir", "strategies");
        let database = top.string_or("database", "sandtrade.sqlite");
        let synchronous = top
            .optional_with("synchronous", |v: String| {
                v.parse::<Synchronous>()
                    .map_err(|_| "expected \"off\", \"normal\" or \"full\"".to_owned())
            })
            .unwrap_or_default();
        TradingSections {
            mode,
            strategies_dir,
            database,
            synchronous,
            ib: top.table("ib", true),
            market_data: top.table("market_data", false),
            positions: top.table("positions", false),
            queue: top.table("queue", false),
            limits: top.typed("limits"),
            account: top.typed("account"),
            lots: top.typed("lots"),
            sandbox: top.typed("sandbox"),
        }
    }
}

impl TradingSections {
    /// Step two: reads the sections, checks the paper/live rules, and resolves relative paths
    /// against `base` (the configuration file's directory). `None` when a required part is
    /// missing (recorded in `p`, like every other problem).
    pub fn read(self, base: &Path, p: &mut Problems) -> Option<TradingConfig> {
        let ib = self.ib.map(|t| IbConfig::read(t, p));
        let market_data = MarketDataConfig::read(self.market_data.unwrap_or_default(), p);
        let positions = PositionsConfig::read(self.positions.unwrap_or_default(), p);
        let queue = QueueConfig::read(self.queue.unwrap_or_default(), p);
        let limits = self.limits.unwrap_or_default();
        if let Err(e) = limits.validate() {
            p.push(format!("[limits]: {e}"));
        }
        let account = self.account.unwrap_or_default();
        if let Err(e) = account.validate() {
            p.push(format!("[account]: {e}"));
        }
        if let (Some(mode), Some(ib)) = (self.mode, &ib) {
            for problem in safety::check_config(mode, ib.port, &ib.account) {
                p.push(problem);
            }
        }
        Some(TradingConfig {
            mode: self.mode?,
            strategies_dir: base.join(self.strategies_dir),
            database: base.join(self.database),
            synchronous: self.synchronous,
            ib: ib?,
            market_data,
            positions,
            queue,
            limits,
            account,
            lots: self.lots.unwrap_or_default(),
            sandbox: self.sandbox.unwrap_or_default(),
        })
    }
}

impl MarketDataConfig {
    /// Reads `[market_data]` (an empty table gives the defaults).
    pub fn read(table: toml::Table, p: &mut Problems) -> Self {
        let mut s = Section::new("market_data", table, p);
        let warmup_bars = s.number_or("warmup_bars", 50u32, 0..=5_000);
        let regular_hours_only = s.bool_or("regular_hours_only", true);
        let fallback = s
            .optional_with("fallback", |v: String| v.parse::<Fallback>())
            .unwrap_or_default();
        s.finish();
        Self {
            warmup_bars,
            regular_hours_only,
            fallback,
        }
    }
}

impl QueueConfig {
    /// Reads `[queue]` (an empty table gives the defaults).
    pub fn read(table: toml::Table, p: &mut Problems) -> Self {
        let mut s = Section::new("queue", table, p);
        let market_order_max_age =
            s.millis_or("market_order_max_age_ms", 60_000, 1_000..=86_400_000);
        s.finish();
        Self {
            market_order_max_age,
        }
    }
}

impl PositionsConfig {
    /// Reads `[positions]` (an empty table gives the defaults).
    pub fn read(table: toml::Table, p: &mut Problems) -> Self {
        let mut s = Section::new("positions", table, p);
        let drift_grace = s.millis_or("drift_grace_ms", 5_000, 0..=3_600_000);
        let halt_on_drift = s.bool_or("halt_on_drift", true);
        s.finish();
        Self {
            drift_grace,
            halt_on_drift,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market_data(text: &str) -> (MarketDataConfig, Vec<String>) {
        let mut p = Problems::default();
        let config = MarketDataConfig::read(toml::from_str(text).unwrap(), &mut p);
        (config, p.into_vec())
    }

    #[test]
    fn the_fallback_is_none_unless_asked_for() {
        let (config, problems) = market_data("");
        assert_eq!(config.fallback, Fallback::None);
        assert!(problems.is_empty(), "{problems:?}");
        for (text, fallback) in [
            ("delayed", Fallback::Delayed),
            ("frozen", Fallback::Frozen),
            ("none", Fallback::None),
        ] {
            let (config, problems) = market_data(&format!("fallback = \"{text}\""));
            assert_eq!(config.fallback, fallback);
            assert_eq!(fallback.as_str(), text);
            assert!(problems.is_empty(), "{problems:?}");
        }
        assert_eq!(Fallback::None.market_data_type(), None);
        assert_eq!(
            Fallback::Frozen.market_data_type(),
            Some(ibapi::market_data::MarketDataType::DelayedFrozen)
        );
    }

    #[test]
    fn a_bad_fallback_is_a_problem_naming_what_is_accepted() {
        let (config, problems) = market_data("fallback = \"live\"");
        assert_eq!(config.fallback, Fallback::None);
        assert_eq!(
            problems,
            [r#"market_data.fallback = "live": expected "delayed", "frozen" or "none""#]
        );
        let (_, problems) = market_data("fallback = 3");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("market_data.fallback = 3: "),
            "{problems:?}"
        );
    }
}
