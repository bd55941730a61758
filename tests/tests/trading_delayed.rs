//! Market data without a live subscription, against tws-sim refusing AAPL's live data
//! (`no-live`): with `[market_data] fallback = "delayed"` the host builds AAPL's bars from
//! IB's delayed ticks, the strategy is given them with source `delayed` and trades on them, and
//! the status says so with IB's code; without a fallback the contract is reported failed.

use std::time::{Duration, Instant};

use sandtrade_orders::signal_log::{SignalFilter, SignalLog};
use sandtrade_tests::rig::{
    ACCOUNT, Rig, WAIT, next_fill, next_sent, wait_for, wait_for_tick_subscriptions,
};
use sandtrade_trading::{DataState, MarketDataView, TradingEvent, TradingHandle, TradingStatus};
use tws_sim::SimConfig;

const REFUSED_354: &str =
    "Requested market data is not subscribed.Delayed market data is available.";

/// Polls the status (bounded by [`WAIT`]) until `done` holds; panics with the last one.
async fn status_until(
    host: &TradingHandle,
    done: impl Fn(&TradingStatus) -> bool,
) -> TradingStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        let status = host.status().await.unwrap();
        if done(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "status not reached in time: {:#?}",
            status.market_data
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A rig whose simulator refuses AAPL's live data with `code`, `metronome` (two shares on its
/// first bar, once) installed, and the host started with `[market_data]` `extra`.
async fn refused(
    code: i32,
    extra: &str,
) -> (
    Rig,
    TradingHandle,
    tokio::sync::broadcast::Receiver<TradingEvent>,
) {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    rig.sim.faults().refuse_live_data("AAPL", code).unwrap();
    rig.add_strategy(
        "metronome",
        Some("[params]\nevery = 1\nquantity = 2\nsignals = 1\n"),
    );
    let host = rig
        .start(&format!("[market_data]\nwarmup_bars = 0\n{extra}\n"))
        .await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    (rig, host, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_live_data_falls_back_to_delayed_bars_that_a_strategy_trades_on() {
    let (rig, host, mut events) = refused(354, "fallback = \"delayed\"").await;
    let (fallback, code, message) = wait_for(&mut events, |e| match e {
        TradingEvent::DataFallback {
            symbol,
            fallback,
            code,
            message,
        } if symbol == "AAPL" => Some((fallback.clone(), *code, message.clone())),
        _ => None,
    })
    .await;
    assert_eq!(
        (fallback.as_str(), code, message.as_str()),
        ("delayed", 354, REFUSED_354)
    );
    wait_for_tick_subscriptions(&rig.sim, 1).await;
    assert_eq!(rig.sim.real_time_bar_subscriptions(), 0);

    let status = host.status().await.unwrap();
    assert_eq!(
        status.market_data["AAPL"],
        MarketDataView {
            state: DataState::Delayed,
            code: Some(354),
            message: Some(REFUSED_354.into()),
        }
    );
    assert_eq!(status.subscriptions, ["AAPL"]);
    assert!(
        status.subscription_errors.is_empty(),
        "{:?}",
        status.subscription_errors
    );

    // Trades every second: the first five seconds after the subscription may be partial and
    // are dropped; the next five are a bar once the trade after them arrives.
    rig.sim.step(15);
    let (id, ib_order_id) = next_sent(&mut events).await;
    assert!(ib_order_id > 0);
    let (filled, quantity, delivered) = next_fill(&mut events).await;
    assert_eq!((filled, quantity, delivered), (id, 2, true));
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 2.0);

    // The strategy was told where its bar came from: its reason says so (its `add-long`,
    // refused while flat, and the `open-long` that bought).
    let log = SignalLog::open(&rig.database()).unwrap();
    let signals = log.query(&SignalFilter::default()).unwrap();
    let reasons: Vec<(u64, &str)> = signals.iter().map(|s| (s.id, s.reason.as_str())).collect();
    assert_eq!(
        reasons,
        [(id, "bar 1, delayed data"), (id - 1, "bar 1, delayed data")]
    );

    // The JSON the API serves says it plainly.
    let json = serde_json::to_value(host.status().await.unwrap()).unwrap();
    assert_eq!(
        json["market_data"]["AAPL"],
        serde_json::json!({"state": "delayed", "code": 354, "message": REFUSED_354})
    );
    host.shutdown();
    host.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_fallback_a_refused_contract_is_reported_failed_and_gets_no_bars() {
    let (rig, host, _events) = refused(354, "").await;
    let status = status_until(&host, |s| {
        s.market_data
            .get("AAPL")
            .is_some_and(|d| d.state == DataState::Failed)
    })
    .await;
    assert_eq!(
        status.market_data["AAPL"],
        MarketDataView {
            state: DataState::Failed,
            code: Some(354),
            message: Some(format!("IB 354: {REFUSED_354}")),
        }
    );
    assert_eq!(
        status.subscription_errors.get("AAPL").map(String::as_str),
        Some(format!("IB 354: {REFUSED_354}").as_str())
    );
    // Nothing is subscribed at the venue, so stepping the market gives the strategy nothing.
    assert_eq!(rig.sim.real_time_bar_subscriptions(), 0);
    assert_eq!(rig.sim.market_data_subscriptions(), 0);
    rig.sim.step(15);
    let views = host.strategies().await.unwrap();
    assert_eq!(views[0].status.counters.bars, 0);
    host.shutdown();
    host.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_data_not_enabled_at_ib_fails_the_contract_with_10168() {
    let (rig, host, _events) = refused(10168, "fallback = \"frozen\"").await;
    let status = status_until(&host, |s| {
        s.market_data
            .get("AAPL")
            .is_some_and(|d| d.state == DataState::Failed)
    })
    .await;
    let view = &status.market_data["AAPL"];
    assert_eq!(view.code, Some(10168));
    assert_eq!(
        view.message.as_deref(),
        Some(
            "IB 10168: Requested market data is not subscribed. Delayed market data is not enabled."
        )
    );
    assert_eq!(rig.sim.market_data_subscriptions(), 0);
    host.shutdown();
    host.stopped().await;
}
