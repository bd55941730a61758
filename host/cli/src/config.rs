//! The host's configuration file (`sandtrade run --config FILE`): read, checked, resolved.
//!
//! The file is TOML; `config/example.toml` is the documented example and is parsed by a test,
//! so it stays true. Every section but `[ib]` is optional:
//!
//! ```toml
//! mode = "paper"                   # "paper" or "live"; live also needs `sandtrade run --live`
//! strategies_dir = "strategies"    # relative paths are relative to this file
//! database = "sandtrade.sqlite"
//! synchronous = "normal"           # "off", "normal" or "full" (docs/orders.md)
//! api_address = "127.0.0.1:5000"
//!
//! [ib]
//! host = "127.0.0.1"
//! port = 4002                      # TWS live 7496, TWS paper 7497, Gateway live 4001, paper 4002
//! client_id = 17
//! account = "DU1234567"
//! ```
//!
//! Reading collects **every** problem before giving up ([`ConfigError`] lists them), and each
//! message names the key, quotes the bad value and says what is accepted:
//! `ib.port = 7496: TWS's live port, but mode = "paper" (paper ports: 7497 TWS, 4002 Gateway)`.
//!
//! Each section is defined and read by the crate it configures (the trading loop's keys and
//! sections by `sandtrade-trading` and, for `[ib]`, `sandtrade-broker`; `[api]` by
//! `sandtrade-api`; `[backtest]` by `sandtrade-backtest`); this module assembles them.
//!
//! The paper/live safety rules checked here (the account's prefix is checked again against
//! what IB reports at every connect, see [`sandtrade_broker::safety`]):
//!
//! - `mode` must be given: there is no default between paper and live;
//! - a standard live port (7496, 4001) with `mode = "paper"`, or a paper port (7497, 4002) with
//!   `mode = "live"`, is refused;
//! - a paper account starts with `D` (`DU…`), a live one does not;
//! - `mode = "live"` starts only with the explicit `--live` flag ([`sandtrade_trading::Options`]).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use sandtrade_api::ApiConfig;
use sandtrade_core::settings::{Problems, Section};
use sandtrade_trading::TradingConfig;

/// The checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The trading loop's: `mode`, `strategies_dir`, `database`, `synchronous`, `[ib]`,
    /// `[market_data]`, `[positions]`, `[limits]`, `[lots]`, `[sandbox]`.
    pub trading: TradingConfig,
    /// Where the REST API listens; `None` for no API.
    pub api_address: Option<SocketAddr>,
    /// `[api]`: the REST API's bearer tokens.
    pub api: ApiConfig,
}

/// Every problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when it came from one.
    pub path: Option<PathBuf>,
    /// One message per problem, in file order where there is one.
    pub problems: Vec<String>,
}

impl std::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: ", path.display())?,
            None => f.write_str("configuration: ")?,
        }
        match self.problems.as_slice() {
            [one] => f.write_str(one),
            many => {
                write!(f, "{} problems:", many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl Config {
    /// Reads and checks the file at `path`; relative paths in it are relative to its directory.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem found, or the one that the file cannot be read.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: Some(path.to_owned()),
            problems: vec![format!("cannot read: {e}")],
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|mut e| {
            e.path = Some(path.to_owned());
            e
        })
    }

    /// Parses `text`; relative paths are resolved against `base`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem found.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            path: None,
            problems: vec![e.to_string().trim_end().replace('\n', " ")],
        })?;
        let mut p = Problems::default();
        let mut top = Section::new("", table, &mut p);
        let trading = TradingConfig::take(&mut top);
        let api_address = top.optional_with("api_address", |v: String| {
            v.parse::<SocketAddr>()
                .map_err(|_| "expected an address like \"127.0.0.1:5000\"".to_owned())
        });
        let api: ApiConfig = top.typed("api").unwrap_or_default();
        // `[backtest]` is for `sandtrade backtest --config` (one file serves both); checked
        // here too, so a typo in it is not found only on the next backtest.
        let _backtest: Option<sandtrade_backtest::SimConfig> = top.typed("backtest");
        top.finish();
        for problem in api.problems() {
            p.push(problem);
        }
        let trading = trading.read(base, &mut p);
        match trading {
            Some(trading) if p.is_empty() => Ok(Self {
                trading,
                api_address,
                api,
            }),
            _ => Err(ConfigError {
                path: None,
                problems: p.into_vec(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sandtrade_broker::safety::TradingMode;
    use sandtrade_core::LotTable;
    use sandtrade_orders::Synchronous;
    use sandtrade_risk::Limits;
    use sandtrade_runtime::SandboxConfig;

    use super::*;

    const MINIMAL: &str = r#"
        mode = "paper"
        [ib]
        port = 4002
        client_id = 17
        account = "DU1234567"
    "#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/sandtrade"))
    }

    #[test]
    fn minimal_config_gets_the_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.trading.mode, TradingMode::Paper);
        assert_eq!(
            c.trading.strategies_dir,
            Path::new("/etc/sandtrade/strategies")
        );
        assert_eq!(
            c.trading.database,
            Path::new("/etc/sandtrade/sandtrade.sqlite")
        );
        assert_eq!(c.trading.synchronous, Synchronous::Normal);
        assert_eq!(c.api_address, None);
        assert_eq!(c.api, ApiConfig::default());
        assert_eq!(c.trading.ib.address(), "127.0.0.1:4002");
        assert_eq!(c.trading.ib.client_ids().collect::<Vec<_>>(), [17]);
        assert_eq!(c.trading.ib.messages_per_second, 40);
        assert_eq!(c.trading.ib.heartbeat_interval, Duration::from_secs(10));
        assert_eq!(c.trading.market_data.warmup_bars, 50);
        assert!(c.trading.positions.halt_on_drift);
        assert_eq!(c.trading.limits, Limits::default());
        assert_eq!(c.trading.lots, LotTable::builtin());
        assert_eq!(c.trading.sandbox, SandboxConfig::default());
    }

    #[test]
    fn every_problem_is_reported_with_its_value() {
        let err = parse(
            r#"
            mode = "papr"
            synchronous = "fast"
            colour = "blue"
            [ib]
            port = "4002"
            client_id = -3
            account = "DU 123"
            fallback_client_ids = [18, -1]
            heartbeat_interval_ms = 5
            [market_data]
            warmup_bars = 9999999
            [limits]
            max_order_notional = -5.0
            "#,
        )
        .unwrap_err();
        assert_eq!(
            err.problems,
            [
                "mode = \"papr\": expected \"paper\" or \"live\"",
                "synchronous = \"fast\": expected \"off\", \"normal\" or \"full\"",
                "colour: unknown key",
                "ib.port = \"4002\": expected a whole number, found string \"4002\"",
                "ib.client_id = -3: must be a whole number from 0 to 2147483647",
                "ib.fallback_client_ids = [18, -1]: -1 is not a client id (0 to 2147483647)",
                "ib.account = \"DU 123\": expected an IB account id like \"DU1234567\"",
                "ib.heartbeat_interval_ms = 5: must be a whole number from 10 to 600000",
                "market_data.warmup_bars = 9999999: must be a whole number from 0 to 5000",
                "[limits]: invalid [limits]: max_order_notional = -5 (must be a finite number >= 0)",
            ]
        );
    }

    #[test]
    fn paper_and_live_must_agree_with_port_and_account() {
        let err = parse(
            r#"
            mode = "paper"
            [ib]
            port = 7496
            client_id = 1
            account = "U1234567"
            "#,
        )
        .unwrap_err();
        assert_eq!(
            err.problems,
            [
                "ib.port = 7496 is TWS's live port, but mode = \"paper\" (paper ports: 7497 TWS, 4002 IB Gateway)",
                "ib.account = \"U1234567\" is not a paper account (paper accounts start with \"D\", e.g. \"DU1234567\"), but mode = \"paper\"",
            ]
        );
        let err = parse(
            r#"
            mode = "live"
            [ib]
            port = 4002
            client_id = 1
            account = "DU1234567"
            "#,
        )
        .unwrap_err();
        assert_eq!(
            err.problems,
            [
                "ib.port = 4002 is IB Gateway's paper port, but mode = \"live\" (live ports: 7496 TWS, 4001 IB Gateway)",
                "ib.account = \"DU1234567\" is a paper account, but mode = \"live\"",
            ]
        );
        // A non-standard port (e.g. a simulator) says nothing; the account still must agree.
        assert!(
            parse("mode = \"live\"\n[ib]\nport = 4242\nclient_id = 1\naccount = \"U7\"\n").is_ok()
        );
    }

    #[test]
    fn missing_mode_and_ib_are_problems() {
        let err = parse("database = \"x.sqlite\"\n").unwrap_err();
        assert_eq!(err.problems, ["mode is missing", "[ib] is missing"]);
        assert_eq!(
            err.to_string(),
            "configuration: 2 problems:\n  - mode is missing\n  - [ib] is missing"
        );
    }

    #[test]
    fn each_problem_is_said_once() {
        let err = parse(
            r#"
            mode = "paper"
            [ib]
            port = 4002
            client_id = 1
            [lots]
            "AAPL" = 100
            "#,
        )
        .unwrap_err();
        // No "is not a paper account" for the missing account, no "[lots]" twice.
        assert_eq!(
            err.problems,
            [
                "[lots]: invalid board lots: \"AAPL\" (not an HK code; expected an HK code like \
                 \"0700.HK\", \"00700\" or \"700\")",
                "ib.account is missing",
            ]
        );
    }

    #[test]
    fn the_example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/example.toml");
        let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.trading.mode, TradingMode::Paper);
        assert_eq!(c.trading.ib.port, 4002);
        assert_eq!(c.trading.ib.account, "DU1234567");
        assert_eq!(c.trading.ib.fallback_client_ids, [18, 19]);
        assert_eq!(c.api_address, Some("127.0.0.1:5000".parse().unwrap()));
        assert_eq!(c.trading.limits.max_position_shares, Some(1000));
        assert_eq!(c.trading.account.max_daily_loss, Some(5000.0));
        assert_eq!(c.trading.account.max_gross_notional_hkd, Some(5_000_000.0));
        assert_eq!(c.trading.sandbox.memory_mib, 128);
        assert!(c.trading.strategies_dir.ends_with("config/strategies"));
        assert_eq!(c.api.tokens.len(), 1);
        assert_eq!(c.api.tokens[0].env.as_deref(), Some("SANDTRADE_OPS_TOKEN"));
    }

    #[test]
    fn account_limit_problems_are_reported() {
        let err = parse(&format!(
            "{MINIMAL}\n[account]\nmax_daily_loss = 0\nmax_symbol_shares = 10\nmax_loss = 5\n"
        ))
        .unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert!(err.problems[0].contains("max_loss"), "{err}");
        let err = parse(&format!("{MINIMAL}\n[account]\nmax_daily_loss = 0\n")).unwrap_err();
        assert_eq!(
            err.problems,
            ["[account]: invalid [account]: max_daily_loss = 0 (must be a finite number > 0)"]
        );
    }

    #[test]
    fn api_token_problems_are_reported() {
        let err = parse(&format!(
            "{MINIMAL}\n[[api.tokens]]\nname = \"x\"\nscope = \"admin\"\n"
        ))
        .unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(
            err.problems[0]
                .starts_with("[api]: unknown variant `admin`, expected `read` or `trade`"),
            "{}",
            err.problems[0]
        );
    }

    #[test]
    fn the_backtest_section_is_checked_not_refused() {
        let base = "mode = \"paper\"\n[ib]\nport = 4002\nclient_id = 1\naccount = \"DU1234567\"\n";
        parse(&format!("{base}[backtest]\nslippage_bps = 2.0\n")).unwrap();
        let err = parse(&format!("{base}[backtest]\nslipage_bps = 2.0\n")).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert!(
            err.problems[0].contains("unknown field `slipage_bps`"),
            "{err}"
        );
    }
}
