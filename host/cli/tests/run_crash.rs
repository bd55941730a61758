//! Crash safety of `sandtrade run`: the real binary trades the `metronome` test guest (one
//! signal per five-second bar) against an in-process tws-sim, and is killed with SIGKILL at
//! random points — while it processes a bar (in the strategy, in a commit, between the commit
//! and the wire), while it connects and reconciles — then started again on the same database,
//! until 200 signals were accepted. At the end:
//!
//! - no order reached the broker twice (orders counted at the broker by `orderRef`), and IB
//!   order ids were never reused;
//! - every order at the broker is an accepted signal in the database, and every accepted
//!   signal is either filled (exactly one broker order) or `unknown` with no trace at the
//!   broker (killed between its `sending` commit and the socket write: held for an operator,
//!   never resent);
//! - the broker's position equals the strategy's ledger.
//!
//! The seed is printed; `SANDTRADE_CRASH_SEED=<n>` repeats a run.
//!
//! A full disk: the host runs with a file-size limit (`RLIMIT_FSIZE`) that leaves its
//! database room for a few bars. When a bar's commit fails, the host stops, non-zero, saying
//! the turn's signals were never sent; every order the broker has is in the database; started
//! again with room, it reconciles and the books agree with the broker.
//!
//! And protective orders across a crash: a GTC stop-loss placed through the REST API, and a
//! strategy's bracket (its exits working at the venue as its entry's children), rest at the
//! venue while the host is SIGKILLed; the restarted host reconciles them by `orderRef` (still
//! working, never resent), and when the price reaches one, it fills once, IB cancels a
//! bracket's other exit, and the ledger goes flat.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use ibapi::accounts::PositionUpdate;
use ibapi::orders::Orders;
use ibapi::subscriptions::SubscriptionItem;
use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tws_sim::{SimConfig, SimHandle, Simulator};

const SIGNALS: i64 = 200;
const ACCOUNT: &str = "DU1234567";
const CLIENT_ID: i32 = 7;
const WAIT: Duration = Duration::from_secs(30);
/// The REST API's trade token, for the tests that configure `api_address`.
const API_TOKEN: &str = "crash-test-token";
/// Logged by the host once its bar subscriptions are taken: it trades from then on.
const READY: &str = "market data subscribed";

fn metronome_wasm() -> PathBuf {
    guest_wasm("metronome")
}

/// The test guest `package`, built for wasm32-wasip2.
fn guest_wasm(package: &str) -> PathBuf {
    let layout = xtask::guests::Layout::new(xtask::workspace_root());
    let built = xtask::guests::build(&layout, xtask::guests::Output::Capture)
        .unwrap_or_else(|e| panic!("building the guests: {e}"));
    built
        .into_iter()
        .find(|b| b.guest.package == package)
        .unwrap_or_else(|| panic!("the {package} guest"))
        .wasm
}

/// A running `sandtrade run`, its log lines on a channel.
struct Host {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Host {
    fn spawn(config: &Path, cache: &Path) -> Self {
        Self::spawn_with_file_limit(config, cache, None)
    }

    /// [`spawn`](Self::spawn), no file of the host's to grow past `max_file_bytes`: what a full
    /// disk does to SQLite (a write that would grow the file fails), for real, from the
    /// kernel (`RLIMIT_FSIZE`; the signal that comes with it ignored, as a full disk sends
    /// none).
    fn spawn_with_file_limit(config: &Path, cache: &Path, max_file_bytes: Option<u64>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sandtrade"));
        command
            .arg("--cache-dir")
            .arg(cache)
            .arg("run")
            .arg("--config")
            .arg(config)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env("SANDTRADE_API_TOKEN", API_TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(max) = max_file_bytes {
            // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, signal).
            unsafe {
                command.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: max,
                        rlim_max: max,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("sandtrade starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Waits for a log line containing `marker`.
    async fn wait_line(&mut self, marker: &str) {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(marker) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "the host never logged {marker:?}");
    }

    /// Waits for the host to exit on its own, and returns how, with every line it logged
    /// since the last [`wait_line`](Self::wait_line).
    async fn exited(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let mut lines = Vec::new();
        let status = tokio::time::timeout(WAIT, async {
            while let Some(line) = self.lines.recv().await {
                lines.push(line);
            }
            self.child.wait().await.expect("reaped")
        })
        .await
        .expect("the host exits");
        (status, lines)
    }

    /// Whether the host has exited.
    fn has_exited(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_some()
    }

    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reaped");
    }

    async fn terminate(mut self) {
        let pid = self.child.id().expect("running");
        // SAFETY: `kill` with a pid this test started and has not reaped.
        let rc = unsafe { libc::kill(i32::try_from(pid).unwrap(), libc::SIGTERM) };
        assert_eq!(rc, 0);
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("stops on SIGTERM")
            .expect("reaped");
        assert!(
            status.success(),
            "sandtrade run exits 0 on SIGTERM: {status}"
        );
    }
}

/// Spins for `micros`: the jitter that spreads kill points over the bar's path.
fn spin(micros: u64) {
    let until = Instant::now() + Duration::from_micros(micros);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Orders at the broker, open or completed, as the audit client sees them.
async fn broker_orders(audit: &ibapi::Client) -> Vec<Orders> {
    let open = audit
        .all_open_orders()
        .await
        .unwrap()
        .collect_to_end_within(WAIT)
        .await
        .unwrap();
    let completed = audit
        .completed_orders(false)
        .await
        .unwrap()
        .collect_to_end_within(WAIT)
        .await
        .unwrap();
    open.into_iter()
        .chain(completed)
        .filter(|o| matches!(o, Orders::OrderData(_)))
        .collect()
}

fn accepted_signals(db: &Path) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens read-only");
    conn.query_row(
        "SELECT COUNT(*) FROM signals WHERE verdict = 'accepted'",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

/// What the books say after a clean reconciliation, once [`check_books`] found them sound.
struct Books {
    /// Accepted signals in the database.
    accepted: i64,
    /// Orders at the broker (each once).
    at_broker: usize,
    /// Accepted signals' orders by state.
    states: BTreeMap<String, u32>,
    /// The metronome's AAPL position in the database.
    ledger: i64,
    /// The broker's AAPL position.
    broker_position: f64,
}

/// Checks the database `db` against the broker after a clean reconciliation: no order reached
/// the broker twice or under a reused IB id; every order at the broker is an accepted signal
/// of ours; every accepted signal is filled (its order at the broker) or `unknown` (not
/// there); the ledger equals the broker's position and the shares filled.
async fn check_books(db: &Path, audit: &ibapi::Client, sim: &SimHandle) -> Books {
    // What the broker has, by orderRef.
    let mut at_broker: HashMap<String, Vec<(i32, String)>> = HashMap::new();
    for item in broker_orders(audit).await {
        if let Orders::OrderData(d) = item {
            at_broker
                .entry(d.order.order_ref.clone())
                .or_default()
                .push((d.order.order_id, d.order_state.status.to_string()));
        }
    }
    let duplicated: Vec<_> = at_broker.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(duplicated.is_empty(), "orders placed twice: {duplicated:?}");
    let mut ib_ids: Vec<i32> = at_broker.values().map(|v| v[0].0).collect();
    ib_ids.sort_unstable();
    ib_ids.dedup();
    assert_eq!(ib_ids.len(), at_broker.len(), "an IB order id was reused");

    // What the database has.
    let conn = rusqlite::Connection::open(db).unwrap();
    let accepted: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM signals WHERE verdict = 'accepted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT s.id, o.client_order_id, o.state, o.filled_qty FROM signals s
             LEFT JOIN orders o ON o.signal_id = s.id WHERE s.verdict = 'accepted'",
        )
        .unwrap();
    // (signal id, client order id, state, filled quantity) of every accepted signal.
    type AcceptedRow = (i64, Option<String>, Option<String>, Option<i64>);
    let rows: Vec<AcceptedRow> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len() as i64, accepted);
    let mut states: BTreeMap<String, u32> = BTreeMap::new();
    let mut filled_shares = 0;
    for (id, client_order_id, state, filled) in &rows {
        let (Some(client_order_id), Some(state)) = (client_order_id, state) else {
            panic!("accepted signal {id} has no order: lost");
        };
        *states.entry(state.clone()).or_default() += 1;
        let broker = at_broker.get(client_order_id);
        match state.as_str() {
            "filled" => {
                let broker =
                    broker.unwrap_or_else(|| panic!("filled order {id} is not at the broker"));
                assert_eq!(broker[0].1, "Filled", "order {id}");
                filled_shares += filled.unwrap_or(0);
            }
            "unknown" => assert!(
                broker.is_none(),
                "order {id} is unknown although the broker has it: reconciliation missed it"
            ),
            other => panic!("order {id} is still {other} after a clean reconciliation"),
        }
    }
    let ours: std::collections::HashSet<&str> =
        rows.iter().filter_map(|r| r.1.as_deref()).collect();
    for order_ref in at_broker.keys() {
        assert!(
            ours.contains(order_ref.as_str()),
            "{order_ref} at the broker is not ours"
        );
    }
    let ledger: i64 = conn
        .query_row(
            "SELECT quantity FROM positions WHERE strategy = 'metronome' AND symbol = 'AAPL'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let broker_position = sim.position(ACCOUNT, "AAPL").unwrap();
    assert_eq!(ledger as f64, broker_position);
    assert_eq!(ledger, filled_shares);
    Books {
        accepted,
        at_broker: at_broker.len(),
        states,
        ledger,
        broker_position,
    }
}

/// A directory with the `metronome` strategy and a config that trades it on `sim`.
struct MetronomeSetup {
    _dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
    cache: PathBuf,
}

impl MetronomeSetup {
    fn new(sim: &SimHandle) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let strategies = dir.path().join("strategies");
        std::fs::create_dir(&strategies).unwrap();
        std::fs::copy(metronome_wasm(), strategies.join("metronome.wasm")).unwrap();
        let db = dir.path().join("orders.sqlite");
        let config = dir.path().join("sandtrade.toml");
        std::fs::write(
            &config,
            format!(
                r#"mode = "paper"
strategies_dir = "strategies"
database = "orders.sqlite"

[ib]
port = {port}
client_id = {CLIENT_ID}
account = "{ACCOUNT}"
reconnect_initial_ms = 20
reconnect_max_ms = 200
heartbeat_interval_ms = 1000
messages_per_second = 1000
message_burst = 100

[market_data]
warmup_bars = 0

[limits]
max_signals_per_minute = 6000
"#,
                port = sim.addr().port()
            ),
        )
        .unwrap();
        let cache = dir.path().join("cache");
        Self {
            _dir: dir,
            config,
            db,
            cache,
        }
    }
}

/// A started tws-sim, the metronome set up to trade on it, and an independent audit client
/// connected to it.
async fn metronome_venue() -> (SimHandle, MetronomeSetup, ibapi::Client) {
    let sim = Simulator::start(SimConfig::ephemeral())
        .await
        .expect("the simulator starts");
    let setup = MetronomeSetup::new(&sim);
    let audit = ibapi::Client::connect(&sim.addr().to_string(), 99)
        .await
        .expect("audit client");
    (sim, setup, audit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let seed: u64 = std::env::var("SANDTRADE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id().into());
    println!("crash test seed: {seed} (SANDTRADE_CRASH_SEED={seed} repeats it)");
    let mut rng = XorShiftRng::seed_from_u64(seed);

    let (sim, setup, audit) = metronome_venue().await;
    let (config, db, cache) = (&setup.config, &setup.db, &setup.cache);
    // The independent client watches the account: one position update per fill.
    let mut positions = audit.positions().await.expect("positions");

    let mut kills = 0u32;
    let mut kill_points: BTreeMap<&str, u32> = BTreeMap::new();
    let mut host = Host::spawn(config, cache);
    host.wait_line(READY).await;
    let mut filled_seen = 0u64;
    while accepted_signals(db) < SIGNALS {
        // Sometimes kill the host while it processes the bar, anywhere along its path.
        let roll = rng.next_u32() % 8;
        let before = if roll == 0 {
            Some((accepted_signals(db), broker_orders(&audit).await.len()))
        } else {
            None
        };
        sim.step_bar();
        if let Some((accepted_before, at_broker_before)) = before {
            spin(u64::from(rng.next_u32() % 400));
            host.kill().await;
            kills += 1;
            // Where the kill landed, from what survived it (the broker may still be handling
            // an order written just before the kill: then it counts as "before the broker").
            let point = if accepted_signals(db) == accepted_before {
                "bar: before the signal was committed"
            } else if broker_orders(&audit).await.len() == at_broker_before {
                "bar: after the commit, before the broker had the order"
            } else {
                "bar: after the broker had the order"
            };
            *kill_points.entry(point).or_default() += 1;
        } else {
            // Otherwise wait for this bar's fill (a position update at the broker).
            let filled = tokio::time::timeout(WAIT, async {
                while let Some(item) = positions.next().await {
                    if let Ok(SubscriptionItem::Data(PositionUpdate::Position(p))) = item
                        && p.account == ACCOUNT
                        && p.position as u64 > filled_seen
                    {
                        return p.position as u64;
                    }
                }
                panic!("the audit position stream ended")
            })
            .await
            .expect("the bar's order fills");
            filled_seen = filled;
            continue;
        }
        // Restarted; sometimes killed again while it connects and reconciles.
        host = Host::spawn(config, cache);
        if rng.next_u32() % 4 == 0 {
            sim.wait_for_clients(WAIT, |ids| ids.contains(&CLIENT_ID))
                .await
                .expect("the host connects");
            spin(u64::from(rng.next_u32() % 3_000));
            host.kill().await;
            kills += 1;
            *kill_points.entry("connecting or reconciling").or_default() += 1;
            host = Host::spawn(config, cache);
        }
        host.wait_line(READY).await;
    }
    // One last clean run settles everything (reconciliation), then a clean stop.
    host.terminate().await;
    let mut host = Host::spawn(config, cache);
    host.wait_line(READY).await;
    host.terminate().await;

    let Books {
        accepted,
        at_broker,
        states,
        ledger,
        broker_position,
    } = check_books(db, &audit, &sim).await;
    assert!(accepted >= SIGNALS);
    assert!(
        kills >= 5,
        "only {kills} kills: the run did not exercise crashes"
    );
    // Straight to the process's stderr, not through `println!`, which the test harness
    // captures for a passing test: the count of kills survived belongs in every run's output.
    let summary = format!(
        "crash test (seed {seed}): {kills} SIGKILLs survived ({kill_points:?}); {accepted} \
         signals accepted, {} orders at the broker, none twice; order states {states:?}; \
         broker position {broker_position} = ledger {ledger}\n",
        at_broker
    );
    std::io::Write::write_all(&mut std::io::stderr(), summary.as_bytes()).expect("stderr");
    audit.disconnect().await;
    sim.shutdown().await;
}

/// Waits until the broker's AAPL position is above `shares`, and returns it.
async fn position_above(sim: &SimHandle, shares: f64) -> f64 {
    tokio::time::timeout(WAIT, async {
        loop {
            let position = sim.position(ACCOUNT, "AAPL").unwrap_or(0.0);
            if position > shares {
                return position;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the bar's order fills")
}

/// The orderRefs of the orders in the database `db`.
fn stored_order_refs(db: &Path) -> std::collections::HashSet<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens read-only");
    let mut stmt = conn.prepare("SELECT client_order_id FROM orders").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_host_and_nothing_it_did_not_store_reaches_the_broker() {
    let (sim, setup, audit) = metronome_venue().await;
    let (config, db, cache) = (&setup.config, &setup.db, &setup.cache);

    // A first run trades a few bars and stops cleanly (its write-ahead log folded into the
    // database file).
    let mut host = Host::spawn(config, cache);
    host.wait_line(READY).await;
    let mut shares = 0.0;
    for _ in 0..3 {
        sim.step_bar();
        shares = position_above(&sim, shares).await;
    }
    host.terminate().await;

    // Then the disk fills: room for the start and a few bars' commits in the write-ahead
    // log, and no more. Bars keep coming until the host gives up.
    let room = std::fs::metadata(db).expect("the database").len() + 192 * 1024;
    let mut host = Host::spawn_with_file_limit(config, cache, Some(room));
    host.wait_line(READY).await;
    let mut bars = 0;
    while !host.has_exited() {
        assert!(
            bars < 400,
            "the host kept trading for {bars} bars with no room left for its database"
        );
        sim.step_bar();
        bars += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, lines) = host.exited().await;
    assert!(
        !status.success(),
        "a host that cannot store its orders exits non-zero: {status}"
    );
    let said = lines
        .iter()
        .find(|l| l.contains("never sent"))
        .unwrap_or_else(|| {
            panic!("the host says the signals of the lost turn were never sent: {lines:#?}")
        })
        .clone();

    // Persist before sending: every order the broker has is in the file.
    let stored = stored_order_refs(db);
    for order in broker_orders(&audit).await {
        if let Orders::OrderData(d) = order {
            assert!(
                stored.contains(&d.order.order_ref),
                "{} reached the broker but is not in the database",
                d.order.order_ref
            );
        }
    }

    // With room again, the host reconciles and trades on; the books agree with the broker.
    let mut host = Host::spawn(config, cache);
    host.wait_line(READY).await;
    let shares = sim.position(ACCOUNT, "AAPL").unwrap_or(0.0);
    sim.step_bar();
    position_above(&sim, shares).await;
    host.terminate().await;
    let books = check_books(db, &audit, &sim).await;
    assert!(books.accepted > 3, "{} signals accepted", books.accepted);
    std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "full disk: the host stopped after {bars} bars ({said}); then {} signals \
             accepted, {} orders at the broker, order states {:?}, ledger {} = broker {}\n",
            books.accepted, books.at_broker, books.states, books.ledger, books.broker_position
        )
        .as_bytes(),
    )
    .expect("stderr");
    audit.disconnect().await;
    sim.shutdown().await;
}

/// The REST API of a `sandtrade run` on `base` (`http://127.0.0.1:PORT`), as a user calls it.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(API_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.ok()?;
        answer.json().await.ok()
    }

    async fn get(&self, path: &str) -> Option<serde_json::Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// Polls `path` until `done` holds for its answer (the host may still be starting).
    async fn until(
        &self,
        path: &str,
        mut done: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(answer) = self.get(path).await
                && done(&answer)
            {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never answered as expected"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_stop_loss_survives_a_sigkill_reconciled_not_resent_and_fills_once() {
    let mut sim_config = SimConfig::ephemeral();
    sim_config.market.volatility_bps = 0.0;
    let sim = Simulator::start(sim_config)
        .await
        .expect("the simulator starts");
    sim.set_price("AAPL", 200.0).unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("strategies")).unwrap();
    let api_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("sandtrade.toml");
    std::fs::write(
        &config,
        format!(
            r#"mode = "paper"
strategies_dir = "strategies"
database = "orders.sqlite"
api_address = "127.0.0.1:{api_port}"

[ib]
port = {port}
client_id = {CLIENT_ID}
account = "{ACCOUNT}"
reconnect_initial_ms = 20
reconnect_max_ms = 200
"#,
            port = sim.addr().port()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let api = Api {
        base: format!("http://127.0.0.1:{api_port}"),
        http: reqwest::Client::new(),
    };
    let connected = |s: &serde_json::Value| s["connected"] == true;

    let host = Host::spawn(&config, &cache);
    api.until("/api/ibkr/status", connected).await;
    let entry = api
        .call(
            reqwest::Method::POST,
            "/api/ibkr/order",
            Some(serde_json::json!({"symbol": "AAPL", "side": "buy", "quantity": 10})),
        )
        .await
        .expect("the buy is answered");
    let entry = entry["orderId"].as_u64().expect("the buy is accepted");
    api.until(&format!("/api/ibkr/order/{entry}"), |o| {
        sim.step(1);
        o["state"] == "filled"
    })
    .await;
    let stop = api
        .call(
            reqwest::Method::POST,
            "/api/ibkr/order",
            Some(
                serde_json::json!({"symbol": "AAPL", "side": "sell", "quantity": 10,
                                    "orderType": "stop", "stopPrice": 190, "tif": "GTC"}),
            ),
        )
        .await
        .expect("the stop is answered");
    let stop = stop["orderId"].as_u64().expect("the stop is accepted");
    let working = api
        .until(&format!("/api/ibkr/order/{stop}"), |o| {
            o["state"] == "submitted"
        })
        .await;
    let order_ref = working["client_order_id"].as_str().unwrap().to_owned();

    host.kill().await;
    let host = Host::spawn(&config, &cache);
    api.until("/api/ibkr/status", connected).await;
    // Reconciled: still working, the same IB order, nothing resent.
    let after = api.get(&format!("/api/ibkr/order/{stop}")).await.unwrap();
    assert_eq!(
        (
            &after["state"],
            &after["ib_order_id"],
            &after["order_type"],
            &after["tif"]
        ),
        (
            &working["state"],
            &working["ib_order_id"],
            &serde_json::json!("stop"),
            &serde_json::json!("gtc")
        ),
        "{after}"
    );
    let audit = ibapi::Client::connect(&sim.addr().to_string(), 99)
        .await
        .expect("audit client");
    let copies = |orders: &[Orders]| {
        orders
            .iter()
            .filter(|o| matches!(o, Orders::OrderData(d) if d.order.order_ref == order_ref))
            .count()
    };
    assert_eq!(copies(&broker_orders(&audit).await), 1);

    // The price falls through the stop: it fills once, and the ledger is flat.
    sim.set_price("AAPL", 189.0).unwrap();
    api.until(&format!("/api/ibkr/order/{stop}"), |o| {
        o["state"] == "filled"
    })
    .await;
    api.until("/api/ibkr/positions", |p| {
        p["strategies"]["manual"]["AAPL"]["quantity"] == 0
    })
    .await;
    assert_eq!(sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    assert_eq!(copies(&broker_orders(&audit).await), 1);
    host.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_bracket_survives_a_sigkill_reconciled_not_resent_and_exits_once() {
    let mut sim_config = SimConfig::ephemeral();
    sim_config.market.volatility_bps = 0.0;
    let sim = Simulator::start(sim_config)
        .await
        .expect("the simulator starts");
    sim.set_price("AAPL", 10.0).unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    let strategies = dir.path().join("strategies");
    std::fs::create_dir(&strategies).unwrap();
    std::fs::copy(guest_wasm("stop-guard"), strategies.join("stop_guard.wasm")).unwrap();
    // A market buy on its first bar, a take-profit at 11 and a stop-loss at 9.5 attached.
    std::fs::write(
        strategies.join("stop_guard.toml"),
        "[params]\nquantity = 10\nstop_pct = 5\ntake_profit_pct = 10\n",
    )
    .unwrap();
    let api_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("sandtrade.toml");
    std::fs::write(
        &config,
        format!(
            r#"mode = "paper"
strategies_dir = "strategies"
database = "orders.sqlite"
api_address = "127.0.0.1:{api_port}"

[ib]
port = {port}
client_id = {CLIENT_ID}
account = "{ACCOUNT}"
reconnect_initial_ms = 20
reconnect_max_ms = 200

[market_data]
warmup_bars = 0
"#,
            port = sim.addr().port()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let api = Api {
        base: format!("http://127.0.0.1:{api_port}"),
        http: reqwest::Client::new(),
    };

    let mut host = Host::spawn(&config, &cache);
    host.wait_line(READY).await;
    // Logged once written; a bar stepped before the simulator read it would go to nobody.
    while sim.real_time_bar_subscriptions() < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Its first minute bar: the bracket goes out, the buy fills, the exits start working.
    sim.step(60);
    let exits_working = |orders: &serde_json::Value| {
        let orders = orders.as_array().map(Vec::as_slice).unwrap_or_default();
        orders.len() == 2
            && orders
                .iter()
                .all(|o| o["state"] == "submitted" && o["exit_of"] == 1)
    };
    let before = api.until("/api/ibkr/orders", exits_working).await;
    assert_eq!(sim.position(ACCOUNT, "AAPL").unwrap(), 10.0);

    host.kill().await;
    let host = Host::spawn(&config, &cache);
    api.until("/api/ibkr/status", |s| s["connected"] == true)
        .await;
    // Reconciled: the same two IB orders, still working, nothing resent.
    let after = api.until("/api/ibkr/orders", exits_working).await;
    // Each order's id with its IB ids, `[clientId, orderId]`.
    let ib_ids = |orders: &serde_json::Value| -> Vec<(u64, serde_json::Value)> {
        orders
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["id"].as_u64().unwrap(), o["ib_order_id"].clone()))
            .collect()
    };
    assert_eq!(ib_ids(&after), ib_ids(&before), "{after}");
    let audit = ibapi::Client::connect(&sim.addr().to_string(), 99)
        .await
        .expect("audit client");
    let refs: Vec<String> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["client_order_id"].as_str().unwrap().to_owned())
        .collect();
    let copies = |orders: &[Orders]| -> Vec<usize> {
        refs.iter()
            .map(|r| {
                orders
                    .iter()
                    .filter(|o| matches!(o, Orders::OrderData(d) if &d.order.order_ref == r))
                    .count()
            })
            .collect()
    };
    assert_eq!(copies(&broker_orders(&audit).await), [1, 1]);

    // The price reaches the take-profit: it fills once, IB cancels the stop-loss, flat.
    sim.set_price("AAPL", 11.2).unwrap();
    api.until("/api/ibkr/order/2", |o| o["state"] == "filled")
        .await;
    api.until("/api/ibkr/order/3", |o| o["state"] == "cancelled")
        .await;
    api.until("/api/ibkr/positions", |p| {
        p["strategies"]["stop_guard"]["AAPL"]["quantity"] == 0
    })
    .await;
    assert_eq!(sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    assert_eq!(copies(&broker_orders(&audit).await), [1, 1]);
    host.terminate().await;
}
