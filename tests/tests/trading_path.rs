//! The whole live path against tws-sim on 127.0.0.1: bar → strategy → signal → risk →
//! durable queue → placeOrder (orderRef) → fill → store, ledger and the strategy's on-fill.

use sandtrade_tests::rig::{ACCOUNT, Rig, next_fill, next_sent, wait_for};
use sandtrade_trading::{ConnectionState, TradingEvent};
use tws_sim::SimConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metronome_trades_bar_to_fill_and_hears_of_it() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    rig.add_strategy("metronome", Some("[params]\nevery = 1\nquantity = 3\n"));
    let host = rig.start("[market_data]\nwarmup_bars = 4\n").await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    let history = wait_for(&mut events, |e| match e {
        TradingEvent::WarmedUp { strategy, bars } if strategy == "metronome" => Some(*bars),
        _ => None,
    })
    .await;
    assert_eq!(history, 4, "four historical 5 s bars before the live ones");

    rig.sim.step_bar();
    let sent = next_sent(&mut events).await;
    let (id, quantity, delivered) = next_fill(&mut events).await;
    assert_eq!((id, quantity, delivered), (sent.0, 3, true));

    let order = host.order(id).await.expect("the order");
    assert_eq!(order.state, "filled");
    assert_eq!(order.filled, 3);
    assert_eq!(order.action, "open-long");
    assert!(
        order.client_order_id.starts_with("st-"),
        "{}",
        order.client_order_id
    );
    assert_eq!(order.ib_order_id, Some((7, sent.1)));
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 3.0);

    let strategies = host.strategies().await.unwrap();
    assert_eq!(strategies.len(), 1);
    assert_eq!(
        strategies[0].status.counters.fills, 1,
        "on-fill was called once"
    );
    assert!(!strategies[0].warming_up);

    let status = host.status().await.unwrap();
    assert_eq!(status.connection.state, ConnectionState::Connected);
    assert_eq!(status.connection.client_id, Some(7));
    assert_eq!(status.subscriptions, ["AAPL"]);
    assert_eq!(status.signals.accepted, 1);
    assert_eq!(status.orders.queued, 0);
    host.shutdown();
    host.stopped().await;
}

/// Waits until `metronome` has been given `bars` bars in all (its `on-bar` calls).
async fn bars_given(host: &sandtrade_trading::TradingHandle, bars: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let given = host.strategies().await.unwrap()[0].status.counters.bars;
        if given == bars {
            return;
        }
        assert!(
            given < bars && std::time::Instant::now() < deadline,
            "metronome was given {given} bars, expected {bars}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// How many guest calls have carried metronome's bars.
async fn bar_calls(host: &sandtrade_trading::TradingHandle) -> u64 {
    host.strategies().await.unwrap()[0]
        .status
        .counters
        .bar_calls
}

/// Bars that close while the host is disconnected are not lost: after the reconnect, the
/// strategy is given them from history, in time order and right after the last bar it saw,
/// before its live bars resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bars_missed_while_disconnected_are_backfilled_before_live_bars_resume() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    rig.add_strategy("metronome", Some("[params]\nevery = 1000\n"));
    let host = rig.start("[market_data]\nwarmup_bars = 4\n").await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| match e {
        TradingEvent::WarmedUp { strategy, bars } if strategy == "metronome" => Some(*bars),
        _ => None,
    })
    .await;
    let last_live = rig.sim.step_bar();
    bars_given(&host, 5).await;
    // The four bars of the warm-up were due at once: one `on-bars` call; the live bar, one.
    assert_eq!(bar_calls(&host).await, 2);

    host.disconnect().await.unwrap();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Disconnected { .. }).then_some(())
    })
    .await;
    // Three bars close while nobody listens.
    for _ in 0..3 {
        rig.sim.step_bar();
    }
    bars_given(&host, 5).await;

    host.connect().await.unwrap();
    let (bars, span) = wait_for(&mut events, |e| match e {
        TradingEvent::Backfilled {
            strategy,
            bars,
            span_ms,
        } if strategy == "metronome" => Some((*bars, *span_ms)),
        _ => None,
    })
    .await;
    assert_eq!(bars, 3, "the three missed bars, no more");
    // The last live bar started 5 s before `last_live` (its end); the missed ones follow it.
    let last_live_start = (last_live.unix_timestamp() - 5) * 1000;
    assert_eq!(
        span,
        Some((last_live_start + 5_000, last_live_start + 15_000)),
        "right after the last bar it saw, without a gap"
    );
    bars_given(&host, 8).await;
    let views = host.strategies().await.unwrap();
    assert!(!views[0].warming_up);
    assert_eq!(
        bar_calls(&host).await,
        3,
        "the backfill's three bars in one call"
    );

    rig.sim.step_bar();
    bars_given(&host, 9).await;
    assert_eq!(bar_calls(&host).await, 4);
    host.shutdown();
    host.stopped().await;
}
