//! Everything a simulator is started with: accounts, contracts, market, matching, commissions.
//!
//! [`SimConfig::default()`] is a complete paper gateway (one account, five US and three HK
//! stocks, a seeded random walk on a manual clock). A TOML file (see `docs/tws-sim.md`) or
//! the CLI ([`crate::Args`]) changes parts of it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::error::ConfigError;

/// The port `tws-sim` listens on unless told otherwise. Chosen so nobody mistakes it for a real
/// TWS (7496 live / 7497 paper) or IB Gateway (4001 live / 4002 paper).
pub const DEFAULT_PORT: u16 = 4242;

/// The port of the line-protocol control interface unless told otherwise.
pub const DEFAULT_CONTROL_PORT: u16 = 4243;

/// Highest server version served (protobuf dialect; `CONDITIONS_INCLUDE_OVERNIGHT`).
pub const MAX_SERVER_VERSION: i32 = 226;

/// Lowest server version at which every request and response of our operations is protobuf
/// (`PROTOBUF_REST_MESSAGES_3`). Clients offering less are refused (the text dialect is not
/// built yet).
pub const MIN_PROTOBUF_VERSION: i32 = 213;

/// The whole configuration of one simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// TCP port on 127.0.0.1 for IB clients (0: any free port; see [`crate::SimHandle::addr`]).
    pub port: u16,
    /// TCP port on 127.0.0.1 for the control interface (`None`: no control interface;
    /// `Some(0)`: any free port).
    pub control_port: Option<u16>,
    /// Accounts and their starting cash.
    pub accounts: Vec<AccountConfig>,
    /// Tradable contracts. Orders and requests for anything else get error 200.
    pub contracts: Vec<ContractSpec>,
    /// Where prices come from and how the clock runs.
    pub market: MarketConfig,
    /// How orders fill.
    pub matching: MatchingConfig,
    /// Commission schedule per currency (`"USD"`, `"HKD"`).
    pub commissions: BTreeMap<String, CommissionSchedule>,
    /// How many HKD one USD buys, for account values in the base currency (USD).
    pub usd_hkd: f64,
    /// The first order id handed to a client id never seen before (and after a `restart`).
    pub first_order_id: i32,
    /// The first permId handed out. permIds then increase by one per order, across all clients.
    pub first_perm_id: i64,
    /// A client id that also receives every other client's order events, like TWS's
    /// "Master API client ID" setting.
    pub master_client_id: Option<i32>,
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut commissions = BTreeMap::new();
        commissions.insert("USD".to_string(), CommissionSchedule::us_fixed());
        commissions.insert("HKD".to_string(), CommissionSchedule::hk_fixed());
        Self {
            port: DEFAULT_PORT,
            control_port: None,
            accounts: vec![AccountConfig::default()],
            contracts: ContractSpec::builtin(),
            market: MarketConfig::default(),
            matching: MatchingConfig::default(),
            commissions,
            usd_hkd: 7.8,
            first_order_id: 1,
            first_perm_id: 1_000_000_001,
            master_client_id: None,
        }
    }
}

impl SimConfig {
    /// The default configuration on any free port, without a control port: what tests and
    /// in-process embedding use.
    pub fn ephemeral() -> Self {
        Self {
            port: 0,
            ..Self::default()
        }
    }

    /// Checks what [`crate::Simulator::start`] relies on: at least one account, unique contract
    /// ids and symbols, positive prices, lots and factors, a commission schedule for every
    /// contract currency, and usable option positions (each held once per account, none on a
    /// stock's conId). Every problem is reported, not just the first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if self.accounts.is_empty() {
            problems
                .push("no account configured: add one, e.g. { id = \"DU1234567\" }".to_string());
        }
        let mut con_ids = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for c in &self.contracts {
            if !con_ids.insert(c.con_id) {
                problems.push(format!(
                    "contract {}: con_id {} is used twice",
                    c.symbol, c.con_id
                ));
            }
            if !keys.insert((c.symbol.clone(), c.currency.clone())) {
                problems.push(format!(
                    "contract {} {} is listed twice",
                    c.symbol, c.currency
                ));
            }
            if !(c.start_price > 0.0 && c.start_price.is_finite()) {
                problems.push(format!(
                    "contract {}: start_price {} must be > 0",
                    c.symbol, c.start_price
                ));
            }
            if c.lot_size == 0 {
                problems.push(format!(
                    "contract {}: lot_size must be at least 1",
                    c.symbol
                ));
            }
            if !self.commissions.contains_key(&c.currency) {
                let have: Vec<&str> = self.commissions.keys().map(String::as_str).collect();
                let have = match have.as_slice() {
                    [] => "there are none".to_owned(),
                    _ => format!("there are schedules for {}", have.join(", ")),
                };
                problems.push(format!(
                    "contract {}: no commission schedule for currency {:?} ({have})",
                    c.symbol, c.currency
                ));
            }
        }
        if !(self.market.acceleration > 0.0 && self.market.acceleration.is_finite()) {
            problems.push(format!(
                "market.acceleration {} must be > 0",
                self.market.acceleration
            ));
        }
        for account in &self.accounts {
            let mut con_ids = std::collections::HashSet::new();
            for option in &account.option_positions {
                if !con_ids.insert(option.con_id) {
                    problems.push(format!(
                        "account {}: option con_id {} is held twice",
                        account.id, option.con_id
                    ));
                }
                problems.extend(
                    option
                        .problems(&self.contracts)
                        .into_iter()
                        .map(|p| format!("account {}: {p}", account.id)),
                );
            }
        }
        if self.usd_hkd <= 0.0 || !self.usd_hkd.is_finite() {
            problems.push(format!("usd_hkd {} must be > 0", self.usd_hkd));
        }
        if self.first_order_id < 0 {
            problems.push(format!(
                "first_order_id {} must be >= 0",
                self.first_order_id
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Reads a TOML file and applies it over [`SimConfig::default()`] (see [`FileConfig`]).
    pub fn from_toml_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            error: source,
        })?;
        Self::from_toml_str(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: Some(path.to_path_buf()),
                message,
            },
            other => other,
        })
    }

    /// Parses TOML text and applies it over [`SimConfig::default()`].
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: None,
            message: e.to_string(),
        })?;
        let mut config = Self::default();
        file.apply_to(&mut config);
        config.validate()?;
        Ok(config)
    }
}

/// One account of the simulated login.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Account code as IB spells it (`DU…` for paper).
    pub id: String,
    /// Starting cash in USD.
    #[serde(default = "default_cash")]
    pub usd: f64,
    /// Starting cash in HKD.
    #[serde(default = "default_cash")]
    pub hkd: f64,
    /// Margin (the default, like IB's paper accounts) or cash: whether a sell may go short.
    #[serde(default)]
    pub account_type: AccountType,
    /// Options the account holds from the start, outside its stock book.
    #[serde(default)]
    pub option_positions: Vec<HeldOption>,
}

/// An option position an account holds beside its stocks, as a real account may (a covered
/// call on shares a program trades, say). `reqPositions` reports it with `secType` `OPT` and
/// the option's own conId; it is never traded, priced or valued here, so it changes no account
/// value, portfolio row or P&L. A client that counts the positions it reads must tell it from
/// the stock of the same symbol.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldOption {
    /// IB's contract id of the option: never a stock's.
    pub con_id: i32,
    /// The underlying's symbol (`AAPL`), which IB reports as the option's symbol too.
    pub symbol: String,
    /// Last trading day, `YYYYMMDD` (IB's `lastTradeDateOrContractMonth`).
    pub expiry: String,
    /// Strike price.
    pub strike: f64,
    /// Call or put (`"C"` or `"P"`).
    pub right: OptionRight,
    /// Contracts held (negative: written).
    pub quantity: f64,
    /// Average cost per contract, as IB reports it: the premium times the multiplier.
    #[serde(default)]
    pub average_cost: f64,
    /// Shares per contract (default 100, a US equity option's).
    #[serde(default = "hundred")]
    pub multiplier: u32,
    /// Currency (default `USD`).
    #[serde(default = "usd")]
    pub currency: String,
    /// The exchange its position reports (default `CBOE`).
    #[serde(default = "cboe")]
    pub exchange: String,
}

/// An option's right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OptionRight {
    /// The right to buy (`"C"`).
    #[serde(rename = "C")]
    Call,
    /// The right to sell (`"P"`).
    #[serde(rename = "P")]
    Put,
}

impl OptionRight {
    /// As IB writes it in a contract: `C` or `P`.
    pub fn code(self) -> &'static str {
        match self {
            OptionRight::Call => "C",
            OptionRight::Put => "P",
        }
    }
}

fn hundred() -> u32 {
    100
}

fn usd() -> String {
    "USD".to_string()
}

fn cboe() -> String {
    "CBOE".to_string()
}

impl HeldOption {
    /// `quantity` contracts of a US equity option with the file's defaults: multiplier 100,
    /// USD, reported on CBOE, an average cost of 0 (set the fields to change them).
    pub fn us_equity(
        con_id: i32,
        symbol: &str,
        expiry: &str,
        strike: f64,
        right: OptionRight,
        quantity: f64,
    ) -> Self {
        Self {
            con_id,
            symbol: symbol.to_string(),
            expiry: expiry.to_string(),
            strike,
            right,
            quantity,
            average_cost: 0.0,
            multiplier: hundred(),
            currency: usd(),
            exchange: cboe(),
        }
    }

    /// What makes it unusable, each problem a sentence naming the value: a conId that is a
    /// stock's in `contracts` (IB's conIds name one contract each), an empty symbol, an
    /// expiry that is not `YYYYMMDD`, a strike that is not a positive number, a quantity or
    /// average cost that is not finite, a zero multiplier, a currency that is not three
    /// letters.
    pub fn problems(&self, contracts: &[ContractSpec]) -> Vec<String> {
        let name = format!("option {} (con_id {})", self.symbol, self.con_id);
        let mut problems = Vec::new();
        if let Some(stock) = contracts.iter().find(|c| c.con_id == self.con_id) {
            problems.push(format!(
                "{name}: con_id {} is the stock {}'s",
                self.con_id, stock.symbol
            ));
        }
        if self.symbol.trim().is_empty() {
            problems.push(format!("{name}: symbol is empty"));
        }
        let is_date = self.expiry.len() == 8 && self.expiry.bytes().all(|b| b.is_ascii_digit());
        if !is_date {
            problems.push(format!("{name}: expiry {:?} must be YYYYMMDD", self.expiry));
        }
        if !(self.strike > 0.0 && self.strike.is_finite()) {
            problems.push(format!("{name}: strike {} must be > 0", self.strike));
        }
        if !self.quantity.is_finite() {
            problems.push(format!(
                "{name}: quantity {} is not a number",
                self.quantity
            ));
        }
        if !self.average_cost.is_finite() {
            problems.push(format!(
                "{name}: average_cost {} is not a number",
                self.average_cost
            ));
        }
        if self.multiplier == 0 {
            problems.push(format!("{name}: multiplier must be at least 1"));
        }
        let currency_ok =
            self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase());
        if !currency_ok {
            problems.push(format!(
                "{name}: currency {:?} must be three capital letters",
                self.currency
            ));
        }
        problems
    }

    /// The OCC symbol IB reports as an option's `localSymbol`: the underlying padded to six
    /// characters, the expiry as `YYMMDD`, the right, and the strike in thousandths on eight
    /// digits (`AAPL  250117C00200000`).
    pub fn occ_symbol(&self) -> String {
        let yymmdd = self.expiry.get(2..).unwrap_or(&self.expiry);
        let thousandths = (self.strike * 1000.0).round() as u64;
        format!(
            "{:<6}{yymmdd}{}{thousandths:08}",
            self.symbol,
            self.right.code()
        )
    }
}

/// What an account may do with a sell larger than its position, as IB's account types do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    /// Like IB's paper accounts: a sell beyond the position is a short sale, accepted for a
    /// shortable contract, and leaves a negative position; its proceeds are cash.
    #[default]
    Margin,
    /// Short sales are refused (201): a sell may be at most the position, less what working
    /// sells already promise.
    Cash,
}

fn default_cash() -> f64 {
    1_000_000.0
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            id: "DU1234567".to_string(),
            usd: default_cash(),
            hkd: default_cash(),
            account_type: AccountType::default(),
            option_positions: Vec::new(),
        }
    }
}

/// Which market's rules and hours a contract follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Market {
    /// US stocks: SMART routing, USD, 0.01 ticks, 09:30–16:00 America/New_York.
    Us,
    /// Hong Kong stocks: SEHK, HKD, the HKEX spread table, board lots, 09:30–12:00 and
    /// 13:00–16:00 Asia/Hong_Kong.
    Hk,
}

/// One tradable stock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSpec {
    /// IB's contract id.
    pub con_id: i32,
    /// IB symbol: `AAPL`, or the HKEX code without leading zeros (`700`).
    pub symbol: String,
    /// US or HK rules.
    pub market: Market,
    /// Listing exchange (`NASDAQ`, `NYSE`, `SEHK`).
    pub primary_exchange: String,
    /// `USD` or `HKD`.
    pub currency: String,
    /// Long name shown in contract details.
    pub long_name: String,
    /// Board lot (1 for US stocks).
    #[serde(default = "one")]
    pub lot_size: u32,
    /// Price the market starts at.
    pub start_price: f64,
    /// `tradingClass` (`NMS` for NASDAQ stocks; the code itself for HK).
    #[serde(default)]
    pub trading_class: Option<String>,
    /// Whether a margin account may sell it short (default true). A short sale of one that is
    /// not is refused (201), as IB refuses a stock it cannot borrow.
    #[serde(default = "yes")]
    pub shortable: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

impl ContractSpec {
    fn us(con_id: i32, symbol: &str, primary: &str, long_name: &str, price: f64) -> Self {
        Self {
            con_id,
            symbol: symbol.to_string(),
            market: Market::Us,
            primary_exchange: primary.to_string(),
            currency: "USD".to_string(),
            long_name: long_name.to_string(),
            lot_size: 1,
            start_price: price,
            trading_class: Some(if primary == "NASDAQ" {
                "NMS".to_string()
            } else {
                symbol.to_string()
            }),
            shortable: true,
        }
    }

    fn hk(con_id: i32, symbol: &str, long_name: &str, lot: u32, price: f64) -> Self {
        Self {
            con_id,
            symbol: symbol.to_string(),
            market: Market::Hk,
            primary_exchange: "SEHK".to_string(),
            currency: "HKD".to_string(),
            long_name: long_name.to_string(),
            lot_size: lot,
            start_price: price,
            trading_class: Some(symbol.to_string()),
            shortable: true,
        }
    }

    /// The built-in table. US conIds are IB's real ones; HK conIds are placeholders
    /// (`900000000 + code`), since the real ones could not be verified here.
    pub fn builtin() -> Vec<Self> {
        vec![
            Self::us(265598, "AAPL", "NASDAQ", "APPLE INC", 190.0),
            Self::us(272093, "MSFT", "NASDAQ", "MICROSOFT CORP", 410.0),
            Self::us(4815747, "NVDA", "NASDAQ", "NVIDIA CORP", 480.0),
            Self::us(756733, "SPY", "ARCA", "SPDR S&P 500 ETF TRUST", 470.0),
            Self::us(8314, "IBM", "NYSE", "INTL BUSINESS MACHINES CORP", 160.0),
            Self::hk(900000700, "700", "TENCENT HOLDINGS LTD", 100, 300.0),
            Self::hk(900000005, "5", "HSBC HOLDINGS PLC", 400, 60.0),
            Self::hk(900009988, "9988", "ALIBABA GROUP HOLDING LTD", 100, 75.0),
        ]
    }

    /// `tradingClass` as sent on the wire.
    pub fn trading_class(&self) -> &str {
        self.trading_class.as_deref().unwrap_or(&self.symbol)
    }

    /// The exchange clients route to: SMART for US, SEHK for HK.
    pub fn routing_exchange(&self) -> &'static str {
        match self.market {
            Market::Us => "SMART",
            Market::Hk => "SEHK",
        }
    }

    /// Minimum price increment at `price` (HKEX spread table A for HK; $0.01, or $0.0001 under
    /// $1, for US).
    pub fn tick_size(&self, price: f64) -> f64 {
        match self.market {
            Market::Us => {
                if price < 1.0 {
                    0.0001
                } else {
                    0.01
                }
            }
            Market::Hk => hk_tick_size(price),
        }
    }
}

/// HKEX spread table A: the price step for a price band.
pub fn hk_tick_size(price: f64) -> f64 {
    const BANDS: [(f64, f64); 10] = [
        (0.25, 0.001),
        (0.50, 0.005),
        (10.0, 0.01),
        (20.0, 0.02),
        (100.0, 0.05),
        (200.0, 0.10),
        (500.0, 0.20),
        (1000.0, 0.50),
        (2000.0, 1.0),
        (5000.0, 2.0),
    ];
    BANDS
        .iter()
        .find(|(upper, _)| price <= *upper)
        .map_or(5.0, |(_, tick)| *tick)
}

/// How the simulated clock advances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Time moves only when the library calls [`crate::SimHandle::step`] (or the control
    /// interface's `step`). Deterministic: what tests use.
    Manual,
    /// Time moves by itself, `MarketConfig::acceleration` simulated seconds per wall second.
    RealTime,
}

/// Where prices come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceSource {
    /// A seeded random walk per symbol.
    RandomWalk,
    /// Replay of a bars CSV (`time,symbol,open,high,low,close,volume`): one row per symbol per
    /// 5-second bar, in file order.
    Replay(PathBuf),
}

/// Market simulation settings.
#[derive(Debug, Clone)]
pub struct MarketConfig {
    /// Seed of every random walk. The same seed gives the same prices, tick for tick.
    pub seed: u64,
    /// Random walk or CSV replay.
    pub source: PriceSource,
    /// Manual (stepped) or real-time clock.
    pub clock: ClockMode,
    /// Simulated seconds per wall-clock second in [`ClockMode::RealTime`].
    pub acceleration: f64,
    /// Simulated time at start. `None`: wall-clock now (rounded down to 5 s) in real-time mode,
    /// 2025-01-06 14:30:00 UTC (a Monday, 09:30 New York) in manual mode.
    pub start_time: Option<OffsetDateTime>,
    /// Standard deviation of one tick's (one simulated second's) price change, in basis points.
    pub volatility_bps: f64,
    /// Enforce exchange hours: no ticks, bars or fills outside them (HK has a lunch break).
    pub session_hours: bool,
}

/// The manual clock's default start: a Monday at the New York open.
pub const DEFAULT_MANUAL_START: OffsetDateTime = datetime!(2025-01-06 14:30:00 UTC);

impl Default for MarketConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            source: PriceSource::RandomWalk,
            clock: ClockMode::Manual,
            acceleration: 1.0,
            start_time: None,
            volatility_bps: 0.6,
            session_hours: false,
        }
    }
}

impl MarketConfig {
    /// Wall-clock time between two market ticks in real-time mode.
    pub fn tick_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.acceleration)
    }
}

/// How orders are filled.
#[derive(Debug, Clone)]
pub struct MatchingConfig {
    /// Market orders fill this many basis points worse than the last price.
    pub slippage_bps: f64,
    /// If set, at most this many shares fill per tick; the rest fills on later ticks (partial
    /// fills). `None`: whole orders fill at once.
    pub max_fill_per_tick: Option<f64>,
    /// Reject HK orders whose quantity is not a whole number of board lots (error 201).
    pub reject_hk_odd_lots: bool,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            slippage_bps: 0.0,
            max_fill_per_tick: None,
            reject_hk_odd_lots: true,
        }
    }
}

/// A commission rule for one currency: `clamp(per_share * qty + rate * value, minimum,
/// maximum_rate * value)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionSchedule {
    /// Charge per share.
    #[serde(default)]
    pub per_share: f64,
    /// Charge as a fraction of trade value (0.0003 = 3 bp).
    #[serde(default)]
    pub rate: f64,
    /// Minimum per order execution.
    #[serde(default)]
    pub minimum: f64,
    /// Cap as a fraction of trade value (`None`: no cap).
    #[serde(default)]
    pub maximum_rate: Option<f64>,
}

impl CommissionSchedule {
    /// IBKR Pro fixed for US stocks: USD 0.005 a share, USD 1.00 minimum, at most 1% of value.
    pub fn us_fixed() -> Self {
        Self {
            per_share: 0.005,
            rate: 0.0,
            minimum: 1.0,
            maximum_rate: Some(0.01),
        }
    }

    /// IBKR Pro fixed for SEHK: 0.08% of value, HKD 18 minimum.
    pub fn hk_fixed() -> Self {
        Self {
            per_share: 0.0,
            rate: 0.0008,
            minimum: 18.0,
            maximum_rate: None,
        }
    }

    /// The commission for one execution of `shares` at `price`.
    pub fn charge(&self, shares: f64, price: f64) -> f64 {
        let value = shares * price;
        let raw = (self.per_share * shares + self.rate * value).max(self.minimum);
        let capped = match self.maximum_rate {
            Some(cap) => raw.min(cap * value),
            None => raw,
        };
        (capped * 100.0).round() / 100.0
    }
}

/// The TOML form of a configuration: every section optional, applied over the defaults.
///
/// ```toml
/// seed = 7
/// usd_hkd = 7.8
/// [[accounts]]
/// id = "DU1111111"
/// usd = 50000
/// account_type = "cash"  # no short sales (default "margin", like IB paper)
/// [[contracts]]          # added to (or replacing, by symbol) the built-in table
/// con_id = 900000001
/// symbol = "1"
/// market = "hk"
/// primary_exchange = "SEHK"
/// currency = "HKD"
/// long_name = "CK HUTCHISON HOLDINGS LTD"
/// lot_size = 500
/// start_price = 40.0
/// [matching]
/// slippage_bps = 2.0
/// [commissions.USD]
/// per_share = 0.005
/// minimum = 1.0
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Random-walk seed.
    pub seed: Option<u64>,
    /// USD→HKD rate.
    pub usd_hkd: Option<f64>,
    /// Replaces the default account list.
    pub accounts: Option<Vec<AccountConfig>>,
    /// Added to the built-in contracts; a symbol+currency already present is replaced.
    #[serde(default)]
    pub contracts: Vec<ContractSpec>,
    /// Matching settings.
    pub matching: Option<FileMatching>,
    /// Commission schedules by currency, replacing the built-in ones they name.
    #[serde(default)]
    pub commissions: BTreeMap<String, CommissionSchedule>,
    /// Start order id.
    pub first_order_id: Option<i32>,
    /// Master client id.
    pub master_client_id: Option<i32>,
    /// Enforce exchange hours.
    pub session_hours: Option<bool>,
    /// Per-tick volatility in basis points.
    pub volatility_bps: Option<f64>,
}

/// `[matching]` of [`FileConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMatching {
    /// See [`MatchingConfig::slippage_bps`].
    pub slippage_bps: Option<f64>,
    /// See [`MatchingConfig::max_fill_per_tick`].
    pub max_fill_per_tick: Option<f64>,
    /// See [`MatchingConfig::reject_hk_odd_lots`].
    pub reject_hk_odd_lots: Option<bool>,
}

impl FileConfig {
    fn apply_to(self, config: &mut SimConfig) {
        if let Some(seed) = self.seed {
            config.market.seed = seed;
        }
        if let Some(rate) = self.usd_hkd {
            config.usd_hkd = rate;
        }
        if let Some(accounts) = self.accounts {
            config.accounts = accounts;
        }
        for contract in self.contracts {
            config
                .contracts
                .retain(|c| !(c.symbol == contract.symbol && c.currency == contract.currency));
            config.contracts.push(contract);
        }
        if let Some(m) = self.matching {
            let target = &mut config.matching;
            if let Some(v) = m.slippage_bps {
                target.slippage_bps = v;
            }
            if m.max_fill_per_tick.is_some() {
                target.max_fill_per_tick = m.max_fill_per_tick;
            }
            if let Some(v) = m.reject_hk_odd_lots {
                target.reject_hk_odd_lots = v;
            }
        }
        config.commissions.extend(self.commissions);
        if let Some(id) = self.first_order_id {
            config.first_order_id = id;
        }
        if self.master_client_id.is_some() {
            config.master_client_id = self.master_client_id;
        }
        if let Some(v) = self.session_hours {
            config.market.session_hours = v;
        }
        if let Some(v) = self.volatility_bps {
            config.market.volatility_bps = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hk_spread_table_bands() {
        assert_eq!(hk_tick_size(0.2), 0.001);
        assert_eq!(hk_tick_size(5.0), 0.01);
        assert_eq!(hk_tick_size(300.0), 0.20);
        assert_eq!(hk_tick_size(500.0), 0.20);
        assert_eq!(hk_tick_size(500.5), 0.50);
        assert_eq!(hk_tick_size(9000.0), 5.0);
    }

    #[test]
    fn commission_minimum_and_cap() {
        let us = CommissionSchedule::us_fixed();
        assert_eq!(us.charge(100.0, 190.0), 1.0);
        assert_eq!(us.charge(1000.0, 190.0), 5.0);
        // 1% cap: 10 shares at $1 would be $1 minimum, capped to $0.10.
        assert_eq!(us.charge(10.0, 1.0), 0.1);
        let hk = CommissionSchedule::hk_fixed();
        assert_eq!(hk.charge(100.0, 300.0), 24.0);
        assert_eq!(hk.charge(100.0, 60.0), 18.0);
    }

    #[test]
    fn toml_adds_a_contract_and_reports_every_problem() {
        let config = SimConfig::from_toml_str(
            r#"
            seed = 7
            [[contracts]]
            con_id = 900000001
            symbol = "1"
            market = "hk"
            primary_exchange = "SEHK"
            currency = "HKD"
            long_name = "CK HUTCHISON HOLDINGS LTD"
            lot_size = 500
            start_price = 40.0
            "#,
        )
        .expect("valid config");
        assert_eq!(config.market.seed, 7);
        let ck = config
            .contracts
            .iter()
            .find(|c| c.symbol == "1")
            .expect("added");
        assert_eq!((ck.lot_size, ck.con_id), (500, 900000001));
        // Unsaid, like IB paper: a margin account, and a contract it may sell short.
        assert!(ck.shortable);
        assert_eq!(config.accounts[0].account_type, AccountType::Margin);
        assert!(SimConfig::default().contracts.iter().all(|c| c.shortable));

        let err = SimConfig::from_toml_str("accounts = []\n[[contracts]]\ncon_id = 265598\nsymbol = \"X\"\nmarket = \"us\"\nprimary_exchange = \"NYSE\"\ncurrency = \"EUR\"\nlong_name = \"X\"\nstart_price = 0\n")
            .expect_err("invalid");
        let text = err.to_string();
        assert!(text.contains("no account configured"), "{text}");
        assert!(text.contains("con_id 265598 is used twice"), "{text}");
        assert!(text.contains("start_price 0 must be > 0"), "{text}");
        assert!(
            text.contains(
                "no commission schedule for currency \"EUR\" (there are schedules for HKD, USD)"
            ),
            "{text}"
        );
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;

    #[test]
    fn an_account_holds_options_from_its_section_with_us_equity_defaults() {
        let config = SimConfig::from_toml_str(
            r#"
            [[accounts]]
            id = "DU1"
            [[accounts.option_positions]]
            con_id = 712345678
            symbol = "AAPL"
            expiry = "20250117"
            strike = 200.0
            right = "C"
            quantity = -2
            average_cost = 350.0
            "#,
        )
        .expect("valid config");
        let held = &config.accounts[0].option_positions;
        let call = HeldOption {
            average_cost: 350.0,
            ..HeldOption::us_equity(
                712345678,
                "AAPL",
                "20250117",
                200.0,
                OptionRight::Call,
                -2.0,
            )
        };
        assert_eq!(held, &[call]);
        assert_eq!(
            (
                held[0].multiplier,
                held[0].currency.as_str(),
                held[0].exchange.as_str()
            ),
            (100, "USD", "CBOE")
        );
        assert!(SimConfig::default().accounts[0].option_positions.is_empty());
    }

    #[test]
    fn an_unusable_option_is_refused_with_every_reason() {
        let err = SimConfig::from_toml_str(
            r#"
            [[accounts]]
            id = "DU1"
            [[accounts.option_positions]]
            con_id = 265598
            symbol = ""
            expiry = "2025-01-17"
            strike = 0
            right = "C"
            quantity = 1
            multiplier = 0
            currency = "usd"
            [[accounts.option_positions]]
            con_id = 265598
            symbol = "AAPL"
            expiry = "20250117"
            strike = 200
            right = "P"
            quantity = 1
            "#,
        )
        .expect_err("invalid");
        let text = err.to_string();
        for reason in [
            "account DU1: option  (con_id 265598): con_id 265598 is the stock AAPL's",
            "symbol is empty",
            "expiry \"2025-01-17\" must be YYYYMMDD",
            "strike 0 must be > 0",
            "multiplier must be at least 1",
            "currency \"usd\" must be three capital letters",
            "account DU1: option con_id 265598 is held twice",
        ] {
            assert!(text.contains(reason), "{reason:?} missing from: {text}");
        }
        let wrong_right = SimConfig::from_toml_str(
            "[[accounts]]\nid = \"DU1\"\n[[accounts.option_positions]]\ncon_id = 1\nsymbol = \"AAPL\"\nexpiry = \"20250117\"\nstrike = 200\nright = \"CALL\"\nquantity = 1\n",
        )
        .expect_err("C or P only");
        assert!(
            wrong_right.to_string().contains("unknown variant `CALL`"),
            "{wrong_right}"
        );
    }

    #[test]
    fn the_local_symbol_is_the_occ_symbol() {
        let call = HeldOption::us_equity(1, "AAPL", "20250117", 200.0, OptionRight::Call, 1.0);
        assert_eq!(call.occ_symbol(), "AAPL  250117C00200000");
        let put = HeldOption::us_equity(2, "SPY", "20250321", 472.5, OptionRight::Put, 1.0);
        assert_eq!(put.occ_symbol(), "SPY   250321P00472500");
    }
}

#[cfg(test)]
mod doc_tests {
    use super::*;

    /// The configuration example in docs/tws-sim.md parses and means what it says.
    #[test]
    fn the_documented_example_config_is_valid() {
        let doc = include_str!("../../docs/tws-sim.md");
        let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let end = start + doc[start..].find("```").expect("closed");
        let config =
            SimConfig::from_toml_str(&doc[start..end]).expect("the documented config is valid");
        assert_eq!(config.market.seed, 7);
        assert_eq!(config.master_client_id, Some(0));
        assert!(config.market.session_hours);
        assert_eq!(config.accounts.len(), 1);
        assert_eq!(config.accounts[0].id, "DU1111111");
        assert_eq!(config.accounts[0].account_type, AccountType::Cash);
        assert_eq!(
            config.accounts[0].option_positions,
            [HeldOption {
                average_cost: 350.0,
                ..HeldOption::us_equity(
                    712345678,
                    "AAPL",
                    "20250117",
                    200.0,
                    OptionRight::Call,
                    -2.0
                )
            }]
        );
        assert_eq!(config.matching.max_fill_per_tick, Some(100.0));
        assert_eq!(config.matching.slippage_bps, 2.0);
        assert!(
            config
                .contracts
                .iter()
                .any(|c| c.symbol == "1" && c.lot_size == 500 && !c.shortable)
        );
    }
}
