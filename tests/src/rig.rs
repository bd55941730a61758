//! A test rig for live trading: a tws-sim on 127.0.0.1 (manual clock), a temporary
//! strategies directory with real guest components, a configuration pointing at both, and the
//! host's trading loop started in-process.
//!
//! ```no_run
//! # async fn demo() {
//! use sandtrade_tests::rig::{Rig, wait_for};
//! let rig = Rig::new(tws_sim::SimConfig::ephemeral()).await;
//! rig.add_strategy("metronome", Some("[params]\nevery = 1\n"));
//! let host = rig.start("").await;
//! let mut events = host.subscribe();
//! # }
//! ```

use std::path::PathBuf;
use std::time::Duration;

use sandtrade::config::Config;
use sandtrade_trading::{self as trading, Options, TradingEvent, TradingHandle};
use tokio::sync::broadcast;
use tws_sim::{SimConfig, SimHandle, Simulator};

use crate::guests;

/// Every wait in the rig is bounded by this.
pub const WAIT: Duration = Duration::from_secs(20);

/// The simulator's default account.
pub const ACCOUNT: &str = "DU1234567";

/// A simulator plus a directory for one host.
pub struct Rig {
    /// The simulator.
    pub sim: SimHandle,
    /// The temporary directory (strategies, database, config).
    pub dir: tempfile::TempDir,
}

impl Rig {
    /// A simulator started with `config` (its port forced to 0) and an empty strategies
    /// directory.
    pub async fn new(config: SimConfig) -> Self {
        let sim = Simulator::start(SimConfig { port: 0, ..config })
            .await
            .expect("the simulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("strategies")).expect("the strategies directory");
        Self { sim, dir }
    }

    /// The strategies directory.
    pub fn strategies(&self) -> PathBuf {
        self.dir.path().join("strategies")
    }

    /// The order database.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("orders.sqlite")
    }

    /// Copies the built guest `name` into the strategies directory (atomically, as an operator
    /// should), with `sidecar` as its `.toml` if given.
    pub fn add_strategy(&self, name: &str, sidecar: Option<&str>) -> PathBuf {
        self.add_component(&guests::wasm(name), sidecar)
    }

    /// Copies the component `wasm` (built by any means: `sandtrade build`, say) into the
    /// strategies directory, atomically, with `sidecar` as its `.toml` if given.
    pub fn add_component(&self, wasm: &std::path::Path, sidecar: Option<&str>) -> PathBuf {
        let file = wasm.file_name().expect("a file name");
        let target = self.strategies().join(file);
        if let Some(text) = sidecar {
            std::fs::write(target.with_extension("toml"), text).expect("sidecar written");
        }
        let tmp = self.dir.path().join(file).with_extension("partial");
        std::fs::copy(wasm, &tmp).expect("component copied");
        std::fs::rename(&tmp, &target).expect("component moved in");
        target
    }

    /// The configuration text: paper mode against this simulator, the rig's directory and
    /// database, fast heartbeats and reconnects (tests wait for events, never for time), then
    /// `extra` (more top-level keys first, then tables).
    pub fn config_text(&self, extra: &str) -> String {
        format!(
            r#"mode = "paper"
strategies_dir = "{strategies}"
database = "{database}"
{extra}
"#,
            strategies = self.strategies().display(),
            database = self.database().display(),
            extra = with_ib_table(extra, self.sim.addr().port()),
        )
    }

    /// The parsed configuration ([`config_text`](Self::config_text)).
    pub fn config(&self, extra: &str) -> Config {
        Config::parse(&self.config_text(extra), self.dir.path())
            .unwrap_or_else(|e| panic!("the rig's config is valid: {e}"))
    }

    /// Starts the host in-process with [`config`](Self::config)`(extra)`.
    pub async fn start(&self, extra: &str) -> TradingHandle {
        self.start_with(self.config(extra)).await
    }

    /// Starts the host with `config`.
    pub async fn start_with(&self, config: Config) -> TradingHandle {
        trading::start(config.trading, Options::default(), std::future::pending())
            .await
            .expect("trading starts")
    }
}

/// `extra` with an `[ib]` table for the simulator added, unless it has one (then `port` and
/// `account` are filled in if missing).
fn with_ib_table(extra: &str, port: u16) -> String {
    let defaults = format!(
        "port = {port}\nclient_id = 7\naccount = \"{ACCOUNT}\"\nheartbeat_interval_ms = 500\nheartbeat_timeout_ms = 2000\nreconnect_initial_ms = 20\nreconnect_max_ms = 200\nconnect_timeout_ms = 2000\nrequest_timeout_ms = 5000\nmessages_per_second = 1000\nmessage_burst = 100\n"
    );
    match extra.find("[ib]\n") {
        Some(at) => {
            let (head, tail) = extra.split_at(at + "[ib]\n".len());
            let wanted: String = defaults
                .lines()
                .filter(|line| {
                    let key = line.split('=').next().unwrap_or("").trim();
                    !tail
                        .lines()
                        .any(|l| l.trim_start().starts_with(&format!("{key} ")))
                })
                .map(|l| format!("{l}\n"))
                .collect();
            format!("{head}{wanted}{tail}")
        }
        None => format!("{extra}\n[ib]\n{defaults}"),
    }
}

/// Waits (bounded by [`WAIT`]) for the first event that `pick` maps to `Some`, skipping the
/// others; panics with the events seen on timeout.
pub async fn wait_for<T>(
    events: &mut broadcast::Receiver<TradingEvent>,
    mut pick: impl FnMut(&TradingEvent) -> Option<T>,
) -> T {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(found) = pick(&event) {
                        return found;
                    }
                    seen.push(event);
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    panic!("the test fell {n} events behind")
                }
                Err(broadcast::error::RecvError::Closed) => panic!("the trading loop ended"),
            }
        }
    })
    .await;
    match found {
        Ok(found) => found,
        Err(_) => panic!("timed out; events seen: {seen:#?}"),
    }
}

/// The next `OrderSent`: (signal id, IB order id).
pub async fn next_sent(events: &mut broadcast::Receiver<TradingEvent>) -> (u64, i32) {
    wait_for(events, |e| match e {
        TradingEvent::OrderSent { id, ib_order_id } => Some((*id, *ib_order_id)),
        _ => None,
    })
    .await
}

/// The next `Fill`: (signal id, quantity, whether it reached its strategy's `on-fill`).
pub async fn next_fill(events: &mut broadcast::Receiver<TradingEvent>) -> (u64, u32, bool) {
    wait_for(events, |e| match e {
        TradingEvent::Fill {
            id,
            quantity,
            delivered,
            ..
        } => Some((*id, *quantity, *delivered)),
        _ => None,
    })
    .await
}

/// One order as the broker (the simulator) reports it to an independent API client.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerOrder {
    /// `orderRef`: the host's client order id.
    pub order_ref: String,
    /// The client id that placed it.
    pub client_id: i32,
    /// IB's order id.
    pub order_id: i32,
    /// IB's status.
    pub status: String,
    /// Shares ordered.
    pub quantity: f64,
    /// The limit price, for a limit order.
    pub limit_price: Option<f64>,
    /// IB's order type: `MKT`, `LMT`, `STP`, `TRAIL`, ...
    pub order_type: String,
    /// A stop's trigger, or a trailing stop's amount.
    pub aux_price: Option<f64>,
    /// A trailing stop's percentage.
    pub trailing_percent: Option<f64>,
    /// IB's time in force: `DAY`, `GTC`, ...
    pub tif: String,
    /// Whether it may work outside regular trading hours.
    pub outside_rth: bool,
    /// `parentId`: for a bracket's exit, its entry's order id (0 otherwise).
    pub parent_id: i32,
}

/// Waits (bounded) until the simulator serves `count` real-time bar subscriptions: the host
/// has written them once it reports them, but the simulator may not have read them yet, and a
/// market stepped before that sends its bars to nobody.
pub async fn wait_for_bar_subscriptions(sim: &SimHandle, count: usize) {
    let subscribed = async {
        while sim.real_time_bar_subscriptions() < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(WAIT, subscribed)
        .await
        .unwrap_or_else(|_| panic!("{count} real-time bar subscriptions at the simulator in time"));
}

/// Waits (bounded) until the simulator serves `count` streaming market-data (reqMktData)
/// subscriptions: the tick subscriptions the host falls back to when IB refuses a contract's
/// real-time bars. As with [`wait_for_bar_subscriptions`], a market stepped before the
/// simulator has read them sends its ticks to nobody.
pub async fn wait_for_tick_subscriptions(sim: &SimHandle, count: usize) {
    let subscribed = async {
        while sim.market_data_subscriptions() < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(WAIT, subscribed)
        .await
        .unwrap_or_else(|_| panic!("{count} market data subscriptions at the simulator in time"));
}

/// Every order at the broker, open and completed, read through a separate `ibapi` client
/// (client id 99): how an operator would audit what reached IB.
pub async fn broker_orders(sim: &SimHandle) -> Vec<BrokerOrder> {
    use ibapi::orders::Orders;
    let client = tokio::time::timeout(WAIT, ibapi::Client::connect(&sim.addr().to_string(), 99))
        .await
        .expect("the audit client connects in time")
        .expect("the audit client connects");
    let mut orders = Vec::new();
    let open = client
        .all_open_orders()
        .await
        .expect("open orders")
        .collect_to_end_within(WAIT)
        .await
        .expect("open orders end");
    let completed = client
        .completed_orders(false)
        .await
        .expect("completed orders")
        .collect_to_end_within(WAIT)
        .await
        .expect("completed orders end");
    for item in open.into_iter().chain(completed) {
        if let Orders::OrderData(d) = item {
            orders.push(BrokerOrder {
                order_ref: d.order.order_ref,
                client_id: d.order.client_id,
                order_id: d.order.order_id,
                status: d.order_state.status.to_string(),
                quantity: d.order.total_quantity,
                limit_price: d.order.limit_price,
                order_type: d.order.order_type,
                aux_price: d.order.aux_price,
                trailing_percent: d.order.trailing_percent,
                tif: d.order.tif.to_string(),
                outside_rth: d.order.outside_rth,
                parent_id: d.order.parent_id,
            });
        }
    }
    client.disconnect().await;
    orders
}

/// One position as the broker (the simulator) reports it to an independent API client.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerPosition {
    /// The contract's symbol (an option's is its underlying's).
    pub symbol: String,
    /// IB's security type: `STK`, `OPT`.
    pub security_type: String,
    /// IB's contract id.
    pub con_id: i32,
    /// Shares or contracts (negative: short or written).
    pub position: f64,
}

/// Every position of the account, as `reqPositions` reports it to a separate `ibapi` client
/// (client id 99): what an operator comparing the host with TWS would see.
pub async fn broker_positions(sim: &SimHandle) -> Vec<BrokerPosition> {
    use ibapi::accounts::PositionUpdate;
    let client = tokio::time::timeout(WAIT, ibapi::Client::connect(&sim.addr().to_string(), 99))
        .await
        .expect("the audit client connects in time")
        .expect("the audit client connects");
    let mut updates = client.positions().await.expect("positions");
    // The subscription stays open after its end marker (later changes would stream), so the
    // snapshot is what came before the marker.
    let snapshot = updates
        .collect_until(WAIT, |rows| {
            matches!(rows.last(), Some(PositionUpdate::PositionEnd))
        })
        .await;
    assert!(
        matches!(snapshot.last(), Some(PositionUpdate::PositionEnd)),
        "no end of the positions within {WAIT:?}: {snapshot:?}"
    );
    let positions = snapshot
        .into_iter()
        .filter_map(|update| match update {
            PositionUpdate::Position(p) => Some(BrokerPosition {
                symbol: p.contract.symbol.to_string(),
                security_type: p.contract.security_type.as_str().to_string(),
                con_id: p.contract.contract_id,
                position: p.position,
            }),
            PositionUpdate::PositionEnd => None,
        })
        .collect();
    drop(updates);
    client.disconnect().await;
    positions
}
