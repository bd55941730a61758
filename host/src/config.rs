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
//! The paper/live safety rules checked here (the account's prefix is checked again against
//! what IB reports at every connect, see [`crate::broker::safety`]):
//!
//! - `mode` must be given: there is no default between paper and live;
//! - a standard live port (7496, 4001) with `mode = "paper"`, or a paper port (7497, 4002) with
//!   `mode = "live"`, is refused;
//! - a paper account starts with `D` (`DU…`), a live one does not;
//! - `mode = "live"` starts only with the explicit `--live` flag ([`crate::trading::Options`]).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::broker::safety::{self, TradingMode};
use crate::orders::Synchronous;
use crate::risk::{Limits, LotTable};
use crate::runtime::SandboxConfig;

/// The checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Paper or live.
    pub mode: TradingMode,
    /// The strategies directory (absolute, or relative to the working directory).
    pub strategies_dir: PathBuf,
    /// The order database file.
    pub database: PathBuf,
    /// What a commit of the order database survives.
    pub synchronous: Synchronous,
    /// Where the REST API listens (issue 6); `None` for no API.
    pub api_address: Option<SocketAddr>,
    /// The IB connection.
    pub ib: IbConfig,
    /// Market data.
    pub market_data: MarketDataConfig,
    /// Broker positions against the strategies' ledger.
    pub positions: PositionsConfig,
    /// Global risk limits (each strategy's sidecar may tighten them).
    pub limits: Limits,
    /// HK board lots: the built-in table plus `[lots]`.
    pub lots: LotTable,
    /// Strategy sandbox limits.
    pub sandbox: SandboxConfig,
}

/// `[ib]`: the one connection to TWS or IB Gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct IbConfig {
    /// Host of TWS / Gateway. Use `127.0.0.1` rather than `localhost` (TWS may refuse IPv6).
    pub host: String,
    /// Its API port.
    pub port: u16,
    /// The API client id this host connects with.
    pub client_id: i32,
    /// Client ids tried in order when IB answers 326 ("client id already in use").
    pub fallback_client_ids: Vec<i32>,
    /// The account orders go to; must be one IB reports at connect.
    pub account: String,
    /// The pacer's rate: messages per second sent to IB, every kind counted (IB allows 50).
    pub messages_per_second: u32,
    /// The pacer's burst: messages that may go at once after a quiet spell.
    pub message_burst: u32,
    /// How long a connect (TCP + handshake) may take.
    pub connect_timeout: Duration,
    /// How long one reconciliation request may take to its end marker.
    pub request_timeout: Duration,
    /// How often the connection is checked with `reqCurrentTime` while quiet.
    pub heartbeat_interval: Duration,
    /// How long the answer may take before the connection is declared dead.
    pub heartbeat_timeout: Duration,
    /// The first reconnect delay; it doubles up to `reconnect_max`, with jitter.
    pub reconnect_initial: Duration,
    /// The longest reconnect delay.
    pub reconnect_max: Duration,
}

impl IbConfig {
    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The client id, then the fallbacks, in the order they are tried.
    pub fn client_ids(&self) -> impl Iterator<Item = i32> + '_ {
        std::iter::once(self.client_id).chain(self.fallback_client_ids.iter().copied())
    }
}

/// `[market_data]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketDataConfig {
    /// Bars of its own size each strategy is given from history before its first live bar.
    pub warmup_bars: u32,
    /// Only bars from regular trading hours (IB's `useRTH`).
    pub regular_hours_only: bool,
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
        let mode = top.required_with("mode", |v: String| {
            v.parse::<TradingMode>().map_err(|e| e.to_string())
        });
        let strategies_dir = top.string_or("strategies_dir", "strategies");
        let database = top.string_or("database", "sandtrade.sqlite");
        let synchronous = top
            .optional_with("synchronous", |v: String| {
                v.parse::<Synchronous>()
                    .map_err(|_| "expected \"off\", \"normal\" or \"full\"".to_owned())
            })
            .unwrap_or_default();
        let api_address = top.optional_with("api_address", |v: String| {
            v.parse::<SocketAddr>()
                .map_err(|_| "expected an address like \"127.0.0.1:5000\"".to_owned())
        });
        let ib_table = top.table("ib", true);
        let md_table = top.table("market_data", false);
        let positions_table = top.table("positions", false);
        let limits: Option<Limits> = top.typed("limits");
        let lots: Option<LotTable> = top.typed("lots");
        let sandbox: Option<SandboxConfig> = top.typed("sandbox");
        // `[backtest]` is for `sandtrade backtest --config` (one file serves both); checked
        // here too, so a typo in it is not found only on the next backtest.
        let _backtest: Option<crate::backtest::sim::SimConfig> = top.typed("backtest");
        top.finish();

        let ib = ib_table.map(|t| ib_section(t, &mut p));
        let market_data = {
            let mut s = Section::new("market_data", md_table.unwrap_or_default(), &mut p);
            let warmup_bars = s.number_or("warmup_bars", 50u32, 0..=5_000);
            let regular_hours_only = s.bool_or("regular_hours_only", true);
            s.finish();
            MarketDataConfig {
                warmup_bars,
                regular_hours_only,
            }
        };
        let positions = {
            let mut s = Section::new("positions", positions_table.unwrap_or_default(), &mut p);
            let drift_grace = s.millis_or("drift_grace_ms", 5_000, 0..=3_600_000);
            let halt_on_drift = s.bool_or("halt_on_drift", true);
            s.finish();
            PositionsConfig {
                drift_grace,
                halt_on_drift,
            }
        };
        let limits = limits.unwrap_or_default();
        if let Err(e) = limits.validate() {
            p.push(format!("[limits]: {e}"));
        }
        if let (Some(mode), Some(ib)) = (mode, &ib) {
            for problem in safety::check_config(mode, ib.port, &ib.account) {
                p.push(problem);
            }
        }
        p.into_result()?;
        let (Some(mode), Some(ib)) = (mode, ib) else {
            unreachable!("a missing mode or [ib] is a recorded problem")
        };
        Ok(Self {
            mode,
            strategies_dir: base.join(strategies_dir),
            database: base.join(database),
            synchronous,
            api_address,
            ib,
            market_data,
            positions,
            limits,
            lots: lots.unwrap_or_default(),
            sandbox: sandbox.unwrap_or_default(),
        })
    }
}

fn ib_section(table: toml::Table, p: &mut Problems) -> IbConfig {
    let mut s = Section::new("ib", table, p);
    let host = s.string_or("host", "127.0.0.1");
    let port = s.required_number("port", 1u16..=u16::MAX);
    let client_id = s.required_number("client_id", 0i32..=i32::MAX);
    let fallback_client_ids: Vec<i32> = s
        .optional_with("fallback_client_ids", |v: Vec<i64>| {
            v.into_iter()
                .map(|id| i32::try_from(id).ok().filter(|id| *id >= 0).ok_or(id))
                .collect::<Result<Vec<i32>, i64>>()
                .map_err(|bad| format!("{bad} is not a client id (0 to {})", i32::MAX))
        })
        .unwrap_or_default();
    let account = s.required_with("account", |v: String| {
        let v = v.trim().to_owned();
        if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
            Err("expected an IB account id like \"DU1234567\"".to_owned())
        } else {
            Ok(v)
        }
    });
    let messages_per_second = s.number_or("messages_per_second", 40u32, 1..=1_000_000);
    let message_burst = s.number_or("message_burst", 8u32, 1..=1_000_000);
    let connect_timeout = s.millis_or("connect_timeout_ms", 10_000, 100..=600_000);
    let request_timeout = s.millis_or("request_timeout_ms", 30_000, 100..=600_000);
    let heartbeat_interval = s.millis_or("heartbeat_interval_ms", 10_000, 10..=600_000);
    let heartbeat_timeout = s.millis_or("heartbeat_timeout_ms", 5_000, 10..=600_000);
    let reconnect_initial = s.millis_or("reconnect_initial_ms", 500, 1..=600_000);
    let reconnect_max = s.millis_or("reconnect_max_ms", 30_000, 1..=3_600_000);
    s.finish();
    if let Some(id) = client_id
        && fallback_client_ids.contains(&id)
    {
        p.push(format!(
            "ib.fallback_client_ids contains ib.client_id = {id}: list other ids"
        ));
    }
    if reconnect_max < reconnect_initial {
        p.push(format!(
            "ib.reconnect_max_ms = {}: must not be below ib.reconnect_initial_ms = {}",
            reconnect_max.as_millis(),
            reconnect_initial.as_millis()
        ));
    }
    if messages_per_second > 45 {
        tracing::warn!(
            messages_per_second,
            "ib.messages_per_second is above 45: IB allows 50 per second for all clients together"
        );
    }
    IbConfig {
        host,
        port: port.unwrap_or(0),
        client_id: client_id.unwrap_or(0),
        fallback_client_ids,
        account: account.unwrap_or_default(),
        messages_per_second,
        message_burst,
        connect_timeout,
        request_timeout,
        heartbeat_interval,
        heartbeat_timeout,
        reconnect_initial,
        reconnect_max,
    }
}

/// The problems found so far.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, problem: String) {
        self.0.push(problem);
    }

    fn into_result(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                path: None,
                problems: self.0,
            })
        }
    }
}

/// One table of the file: typed reads that record a problem instead of stopping, and a final
/// check that no key was left unread (a misspelt key is a problem, never ignored).
struct Section<'p> {
    name: &'static str,
    table: toml::Table,
    problems: &'p mut Problems,
}

impl<'p> Section<'p> {
    fn new(name: &'static str, table: toml::Table, problems: &'p mut Problems) -> Self {
        Self {
            name,
            table,
            problems,
        }
    }

    fn key(&self, key: &str) -> String {
        if self.name.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.name)
        }
    }

    /// Reads `key` as `T` and converts it with `check`; a missing key is `None`.
    fn optional_with<T: DeserializeOwned, U>(
        &mut self,
        key: &str,
        check: impl FnOnce(T) -> Result<U, String>,
    ) -> Option<U> {
        let value = self.table.remove(key)?;
        let shown = show(&value);
        match value.try_into::<T>() {
            Ok(v) => match check(v) {
                Ok(u) => Some(u),
                Err(why) => {
                    let key = self.key(key);
                    self.problems.push(format!("{key} = {shown}: {why}"));
                    None
                }
            },
            Err(e) => {
                let key = self.key(key);
                self.problems
                    .push(format!("{key} = {shown}: {}", type_error(&e)));
                None
            }
        }
    }

    fn required_with<T: DeserializeOwned, U>(
        &mut self,
        key: &str,
        check: impl FnOnce(T) -> Result<U, String>,
    ) -> Option<U> {
        if !self.table.contains_key(key) {
            let key = self.key(key);
            self.problems.push(format!("{key} is missing"));
            return None;
        }
        self.optional_with(key, check)
    }

    fn string_or(&mut self, key: &str, default: &str) -> String {
        self.optional_with(key, Ok::<String, String>)
            .unwrap_or_else(|| default.to_owned())
    }

    fn bool_or(&mut self, key: &str, default: bool) -> bool {
        self.optional_with(key, Ok::<bool, String>)
            .unwrap_or(default)
    }

    fn in_range<N>(value: i64, range: &std::ops::RangeInclusive<N>) -> Result<N, String>
    where
        N: TryFrom<i64> + PartialOrd + fmt::Display + Copy,
    {
        N::try_from(value)
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            })
    }

    fn number_or<N>(&mut self, key: &str, default: N, range: std::ops::RangeInclusive<N>) -> N
    where
        N: TryFrom<i64> + PartialOrd + fmt::Display + Copy,
    {
        self.optional_with(key, |v: i64| Self::in_range(v, &range))
            .unwrap_or(default)
    }

    fn required_number<N>(&mut self, key: &str, range: std::ops::RangeInclusive<N>) -> Option<N>
    where
        N: TryFrom<i64> + PartialOrd + fmt::Display + Copy,
    {
        self.required_with(key, |v: i64| Self::in_range(v, &range))
    }

    fn millis_or(
        &mut self,
        key: &str,
        default_ms: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Duration {
        Duration::from_millis(self.number_or(key, default_ms, range))
    }

    /// A sub-table, read by its own section; `required` records its absence as a problem.
    fn table(&mut self, key: &str, required: bool) -> Option<toml::Table> {
        match self.table.remove(key) {
            Some(toml::Value::Table(t)) => Some(t),
            Some(other) => {
                let key = self.key(key);
                self.problems.push(format!(
                    "{key} = {}: expected a table ([{key}])",
                    show(&other)
                ));
                None
            }
            None if required => {
                let key = self.key(key);
                self.problems.push(format!("[{key}] is missing"));
                None
            }
            None => None,
        }
    }

    /// A sub-table deserialized as a whole by its own type (which reports its own problems).
    fn typed<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.table.remove(key)?;
        match value.try_into::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                let key = self.key(key);
                self.problems
                    .push(format!("[{key}]: {}", e.to_string().trim_end()));
                None
            }
        }
    }

    /// Records every key nobody read.
    fn finish(self) {
        let Self {
            name,
            table,
            problems,
        } = self;
        for (key, _) in table {
            let key = if name.is_empty() {
                key
            } else {
                format!("{name}.{key}")
            };
            problems.push(format!("{key}: unknown key"));
        }
    }
}

/// A value as it was written (strings quoted), for messages.
fn show(value: &toml::Value) -> String {
    let text = value.to_string();
    if text.len() > 60 {
        format!("{}…", &text[..text.floor_char_boundary(60)])
    } else {
        text
    }
}

/// serde's type error without the TOML position noise: `expected an integer, found a string`.
fn type_error(e: &toml::de::Error) -> String {
    let message = e.message().trim();
    match message.strip_prefix("invalid type: ") {
        Some(rest) => match rest.split_once(", expected ") {
            Some((found, expected)) => format!("expected {}, found {found}", plain(expected)),
            None => rest.to_owned(),
        },
        None => message.to_owned(),
    }
}

/// Rust's type names as a config author reads them.
fn plain(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        other => other,
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(c.mode, TradingMode::Paper);
        assert_eq!(c.strategies_dir, Path::new("/etc/sandtrade/strategies"));
        assert_eq!(c.database, Path::new("/etc/sandtrade/sandtrade.sqlite"));
        assert_eq!(c.synchronous, Synchronous::Normal);
        assert_eq!(c.api_address, None);
        assert_eq!(c.ib.address(), "127.0.0.1:4002");
        assert_eq!(c.ib.client_ids().collect::<Vec<_>>(), [17]);
        assert_eq!(c.ib.messages_per_second, 40);
        assert_eq!(c.ib.heartbeat_interval, Duration::from_secs(10));
        assert_eq!(c.market_data.warmup_bars, 50);
        assert!(c.positions.halt_on_drift);
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.lots, LotTable::builtin());
        assert_eq!(c.sandbox, SandboxConfig::default());
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
                "mode = \"papr\": unknown mode \"papr\": expected \"paper\" or \"live\"",
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
    fn the_example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/example.toml");
        let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.mode, TradingMode::Paper);
        assert_eq!(c.ib.port, 4002);
        assert_eq!(c.ib.account, "DU1234567");
        assert_eq!(c.ib.fallback_client_ids, [18, 19]);
        assert_eq!(c.api_address, Some("127.0.0.1:5000".parse().unwrap()));
        assert_eq!(c.limits.max_position_shares, Some(1000));
        assert_eq!(c.sandbox.memory_mib, 64);
        assert!(c.strategies_dir.ends_with("config/strategies"));
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
