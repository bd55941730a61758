//! Bar in → placeOrder on the wire, through the whole live path, timed by tws-sim itself: its
//! latency probe pairs the instant a real-time-bar frame was written to the host's socket
//! with the instant the next placeOrder frame was read from it.
//!
//! The path measured: ibapi decodes the bar → the five-second aggregator → the `metronome`
//! wasm strategy's `on-bar` → `emit` → risk check → accept → back in the loop, the order taken
//! `sending` → one SQLite commit for both (the bar's group) → pacer → `placeOrder` with
//! `orderRef`. One row per `synchronous` setting, and, for scale, a bare `ibapi` 5.5 client
//! that answers each bar with an order and does nothing else (its own current-thread runtime
//! on its own thread, like the host's trading thread).
//!
//! Bars are stepped one at a time, each after the previous order's fill came back and the
//! host finished storing its reports: either
//! back to back (the trading thread idles only for that round trip), or paced 10 ms apart
//! (the thread falls asleep between bars, as it does between real five-second bars, and each
//! bar pays the wake-up). A row stays below the strategy's rate limit of 6,000 signals a minute;
//! the message pacer is opened wide (see `host`).
//!
//! Run: `cargo bench -p sandtrade-tests --bench bar_to_order` (`-- --quick`: 300 bars a row).

use std::time::{Duration, Instant};

use bench_kit::{Latency, Samples};
use sandtrade_core::{Action, OrderType, Timing, normalize};
use sandtrade_orders::{OrderStore, SignalRecord, StoreConfig};
use sandtrade_tests::rig::{Rig, wait_for};
use sandtrade_trading::TradingEvent;
use tws_sim::{SimConfig, SimHandle, Simulator};

/// The latency targets, at the default setting.
const TARGET_P50_US: f64 = 45.0;
const TARGET_P99_US: f64 = 250.0;
/// The most the host's p50 may be of the bare client's, in the same run.
const TARGET_P50_RATIO: f64 = 1.35;
/// Samples dropped at the start of each row (caches, first allocations).
const WARMUP: usize = 50;
/// The gap between bars in the paced rows.
const PACED_GAP: Duration = Duration::from_millis(10);

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let bars = if quick { 300 } else { 2_000 };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "bar → placeOrder latency, timed by tws-sim's probe; {bars} bars per row after {WARMUP} \
         unmeasured ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if let Some(idle) = idle_policy() {
        println!("{idle}");
    }
    println!();
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "path", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs"
    );
    let mut default = None;
    let mut floor = None;
    runtime.block_on(async {
        let bare = bare_ibapi(bars, Duration::ZERO).await;
        print_row("bare ibapi 5.5, back to back", &bare);
        floor = Some(bare);
        for sync in ["off", "normal", "full"] {
            let row = host(bars, sync, Duration::ZERO).await;
            print_row(&format!("sandtrade {sync}, back to back"), &row);
            if sync == "normal" {
                default = Some(row);
            }
        }
        let bare = bare_ibapi(bars, PACED_GAP).await;
        print_row("bare ibapi 5.5, paced 10 ms", &bare);
        let paced = host(bars, "normal", PACED_GAP).await;
        print_row("sandtrade normal, paced 10 ms", &paced);
    });
    if let (Some(row), Some(bare)) = (default, floor) {
        println!();
        println!(
            "default (normal), back to back: p50 {:.1} µs (target ≤ {TARGET_P50_US}), p99 {:.1} µs \
             (target ≤ {TARGET_P99_US}); {:.2}× the bare client's p50 (target ≤ \
             {TARGET_P50_RATIO}×), {:.2}× its p99",
            row.p50,
            row.p99,
            row.p50 / bare.p50,
            row.p99 / bare.p99
        );
        if row.p50 > TARGET_P50_US || row.p50 / bare.p50 > TARGET_P50_RATIO {
            print_floor(&row, &bare, bars);
        }
    }
}

/// How this machine's idle CPUs wait, where Linux says: a CPU that halts at once when idle
/// takes a wake-up of tens of µs in a virtual machine (an exit to the hypervisor and back),
/// which every leg of the path pays when its thread was asleep.
fn idle_policy() -> Option<String> {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let driver = read("/sys/devices/system/cpu/cpuidle/current_driver")?;
    let mut line = format!("idle CPUs: cpuidle driver {driver}");
    if let Some(poll_ns) = read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") {
        line.push_str(&format!(
            ", guest_halt_poll_ns = {poll_ns} (how long an idle vCPU polls before it halts)"
        ));
    }
    Some(line)
}

/// What bounds the host's p50 from below, measured in this run: the bare client's own path,
/// plus the durable work the host must finish before an order may leave (the signal and its
/// order stored, the order taken `sending`, the bar's one commit), timed in process on a
/// store at the default `synchronous`. Prints it beside the host's p50, and which targets lie
/// below it.
fn print_floor(host: &Latency, bare: &Latency, bars: usize) {
    let durable = durable_work_us(bars);
    let floor = bare.p50 + durable;
    let ratio = floor / bare.p50;
    println!(
        "what limits it: the bare client's path ({:.1} µs) plus the durable work the host must \
         finish before its order may leave ({durable:.1} µs: accept, take, commit; median, in \
         process, `normal`) is {floor:.1} µs, {ratio:.2}× the bare client, before the wasm call \
         and the risk check; the host's p50 is {:.1} µs above that",
        bare.p50,
        host.p50 - floor
    );
    let below: Vec<String> = [
        (floor > TARGET_P50_US).then(|| format!("p50 ≤ {TARGET_P50_US} µs")),
        (ratio > TARGET_P50_RATIO).then(|| format!("≤ {TARGET_P50_RATIO}× the bare client")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !below.is_empty() {
        println!(
            "in this run that floor alone is above the target of {}",
            below.join(" and ")
        );
    }
}

/// The median µs of one bar's durable work as the trading loop does it for `metronome`'s
/// signal: `group`, `accept`, `take_next`, `commit_group`, on a fresh store file.
fn durable_work_us(bars: usize) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = OrderStore::open(dir.path().join("orders.db"), StoreConfig::default())
        .expect("a fresh store");
    store.observe_next_valid_id(1, 1).expect("the id floor");
    let instrument = normalize("AAPL").expect("a US ticker");
    let record = SignalRecord {
        strategy: "metronome",
        wasm_hash: "0f3a9c2d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19",
        symbol: "AAPL",
        action: Action::OpenLong,
        quantity: 1,
        order_type: OrderType::Market,
        timing: Timing::DAY,
        reason: "bench",
        time_ms: 1_760_000_000_000,
    };
    let mut took = Vec::with_capacity(bars + WARMUP);
    for _ in 0..bars + WARMUP {
        let started = Instant::now();
        store.group();
        store.accept(&record, &instrument).expect("accepted");
        let taken = store.take_next(1, 1).expect("taken");
        store.commit_group().expect("committed");
        took.push(started.elapsed());
        assert_eq!(taken.len(), 1, "the order just accepted");
    }
    row(took).p50
}

fn print_row(name: &str, r: &Latency) {
    println!(
        "{:<34} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>9.1}",
        name, r.p50, r.p90, r.p99, r.p999, r.max
    );
}

/// The row of a run's probe latencies, in µs, without the warm-up's.
fn row(latencies: Vec<Duration>) -> Latency {
    Samples::micros(latencies.into_iter().skip(WARMUP)).latency()
}

/// Waits out the rest of `gap` since `started` (a benchmark's pacing, not a test wait).
async fn pace(started: Instant, gap: Duration) {
    let next = started + gap;
    if next > Instant::now() {
        tokio::time::sleep_until(next.into()).await;
    }
}

/// The host with `metronome` (one signal per bar) at `synchronous`, bars `gap` apart.
async fn host(bars: usize, synchronous: &str, gap: Duration) -> Latency {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    rig.add_strategy("metronome", Some("[params]\nquantity = 1\n"));
    // The pacer is opened wide: back-to-back bars come at ~1,000 a second, far above IB's 50
    // messages a second, and with a real rate the rows would time the pacer's waits (whole
    // timer ticks), not the path.
    let host = rig
        .start(&format!(
            "synchronous = \"{synchronous}\"\n[market_data]\nwarmup_bars = 0\n[limits]\n\
             max_signals_per_minute = 6000\n[ib]\nmessages_per_second = 1000000\n\
             message_burst = 1000000\n"
        ))
        .await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Subscribed { .. }).then_some(())
    })
    .await;
    rig.sim.probe().take();
    for _ in 0..bars + WARMUP {
        let started = Instant::now();
        rig.sim.step_bar();
        wait_for(&mut events, |e| {
            matches!(e, TradingEvent::Fill { .. }).then_some(())
        })
        .await;
        // The fill's last reports (status Filled, commission) are still being stored; a
        // round trip through the loop's command queue, which it serves after IB's events,
        // lets it finish them, so the next bar finds it idle as a real five-second bar would.
        host.status().await.expect("status");
        pace(started, gap).await;
    }
    let latencies = rig.sim.probe().take_latencies();
    assert_eq!(latencies.len(), bars + WARMUP, "one order per bar");
    host.shutdown();
    host.stopped().await;
    rig.sim.shutdown().await;
    row(latencies)
}

/// A bare ibapi client on its own current-thread runtime and thread: on each real-time bar,
/// one market order, nothing else.
async fn bare_ibapi(bars: usize, gap: Duration) -> Latency {
    let sim: SimHandle = Simulator::start(SimConfig::ephemeral())
        .await
        .expect("simulator");
    let addr = sim.addr().to_string();
    let (sent_tx, mut sent) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (ready_tx, ready) = tokio::sync::oneshot::channel::<()>();
    let client_thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            use futures::StreamExt;
            use ibapi::orders::{Action, order_builder};
            use ibapi::prelude::*;
            let client = Client::connect(&addr, 1).await.expect("connect");
            let contract = Contract::stock("AAPL").build();
            let mut bar_stream = client
                .realtime_bars(&contract)
                .subscribe()
                .await
                .expect("bars");
            client.server_time().await.expect("round trip");
            ready_tx.send(()).expect("bench waits");
            let mut order_id = client.next_order_id();
            while let Some(item) = bar_stream.next().await {
                if let Ok(SubscriptionItem::Data(_bar)) = item {
                    let order = order_builder::market_order(Action::Buy, 1.0);
                    client
                        .submit_order(order_id, &contract, &order)
                        .await
                        .expect("order");
                    order_id += 1;
                    if sent_tx.send(()).is_err() {
                        break;
                    }
                }
            }
        });
    });
    ready.await.expect("client ready");
    sim.probe().take();
    for _ in 0..bars + WARMUP {
        let started = Instant::now();
        sim.step_bar();
        sent.recv().await.expect("order sent");
        pace(started, gap).await;
    }
    let latencies = sim.probe().take_latencies();
    drop(sent);
    sim.shutdown().await;
    client_thread.join().expect("client thread");
    row(latencies)
}
