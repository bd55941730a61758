//! The live path under tws-sim's faults: rejects, partial fills, duplicate execution reports,
//! a connection dropped with an order working, fills made while disconnected, a gateway
//! restart that rolls `nextValidId` back, a silent gateway, IB ↔ TWS connectivity loss,
//! client id 326, and a paper host pointed at a live login. Each waits for the host's events
//! (bounded), never sleeps, and checks exact values at the host, the store and the broker.
//!
//! [`trust`]: what a trader trusting the host with a live account relies on.

mod trust;

use std::time::Duration;

use sandtrade_tests::rig::{ACCOUNT, Rig, broker_orders, next_fill, next_sent, wait_for};
use sandtrade_trading::{ConnectionState, Exit, TradingEvent, TradingHandle};
use tokio::sync::broadcast::Receiver;
use tws_sim::SimConfig;

/// Starts a host trading `metronome` with `params`, waits until it is connected, reconciled
/// and subscribed (no history: `warmup_bars = 0`).
async fn metronome(
    rig: &Rig,
    params: &str,
    extra: &str,
) -> (TradingHandle, Receiver<TradingEvent>) {
    rig.add_strategy("metronome", Some(&format!("[params]\n{params}\n")));
    let config = format!("[market_data]\nwarmup_bars = 0\n{extra}");
    let host = rig.start(&config).await;
    let mut events = host.subscribe();
    subscribed(&mut events).await;
    (host, events)
}

/// Waits until the host's bar subscriptions are taken (after a connect).
async fn subscribed(events: &mut Receiver<TradingEvent>) {
    let symbols = wait_for(events, |e| match e {
        TradingEvent::Subscribed { symbols } => Some(symbols.clone()),
        _ => None,
    })
    .await;
    assert_eq!(symbols, ["AAPL"]);
}

async fn stop(host: TradingHandle) {
    host.shutdown();
    assert_eq!(host.stopped().await, Exit::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_order_is_rejected_and_the_next_one_trades() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 2", "").await;
    rig.sim.faults().reject_next_orders(1);
    rig.sim.step_bar();
    let (first, _) = next_sent(&mut events).await;
    let (id, to) = wait_for(&mut events, |e| match e {
        TradingEvent::OrderState { id, to, .. } if to.is_terminal() => Some((*id, *to)),
        _ => None,
    })
    .await;
    assert_eq!((id, to.as_str()), (first, "rejected"));

    rig.sim.step_bar();
    let (second, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (second, 2, true));
    assert_eq!(host.order(first).await.unwrap().state, "rejected");
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 2.0);
    let statuses: Vec<String> = broker_orders(&rig.sim)
        .await
        .into_iter()
        .map(|o| o.status)
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&"Inactive".to_string()), "{statuses:?}");
    assert!(statuses.contains(&"Filled".to_string()), "{statuses:?}");
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_fills_each_reach_the_strategy() {
    let mut config = SimConfig::ephemeral();
    config.matching.max_fill_per_tick = Some(2.0);
    let rig = Rig::new(config).await;
    let (host, mut events) = metronome(&rig, "quantity = 5\nsignals = 1", "").await;
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    let mut parts = vec![next_fill(&mut events).await];
    let states = |host: TradingHandle| async move { host.order(id).await.unwrap() };
    while parts.iter().map(|p| p.1).sum::<u32>() < 5 {
        assert_eq!(states(host.clone()).await.state, "partially-filled");
        rig.sim.step(1);
        parts.push(next_fill(&mut events).await);
    }
    assert_eq!(parts, [(id, 2, true), (id, 2, true), (id, 1, true)]);
    let order = host.order(id).await.unwrap();
    assert_eq!((order.state.as_str(), order.filled), ("filled", 5));
    let strategies = host.strategies().await.unwrap();
    assert_eq!(strategies[0].status.counters.fills, 3);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dup_exec_report_is_counted_once() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 3\nsignals = 2", "").await;
    rig.sim.faults().duplicate_next_exec();
    rig.sim.step_bar();
    let (first, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (first, 3, true));
    // The duplicate came right behind the first report on the same socket; the second order's
    // fill comes after both.
    rig.sim.step_bar();
    let (second, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (second, 3, true));
    let strategies = host.strategies().await.unwrap();
    assert_eq!(
        strategies[0].status.counters.fills, 2,
        "on-fill once per execution"
    );
    let positions = host.positions().await.unwrap();
    assert_eq!(positions.strategies["metronome"]["AAPL"].quantity, 6);
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 6.0);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_mid_order_reconnects_reconciles_and_fills_once() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 4\nsignals = 1", "").await;
    rig.sim.faults().delay_fills(Some(Duration::from_secs(3)));
    rig.sim.step_bar();
    let (id, ib_order_id) = next_sent(&mut events).await;
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::OrderState { id: i, to, .. } if *i == id && to.as_str() == "submitted")
            .then_some(())
    })
    .await;

    // The connection drops while the order works at IB.
    assert_eq!(rig.sim.faults().drop_all_connections(), 1);
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Disconnected { .. }).then_some(())
    })
    .await;
    let changed = wait_for(&mut events, |e| match e {
        TradingEvent::Reconciled { changed, .. } => Some(*changed),
        _ => None,
    })
    .await;
    assert_eq!(changed, 0, "the order is still submitted at IB");
    assert_eq!(host.order(id).await.unwrap().state, "submitted");

    // It fills on the new connection, and is reported once.
    rig.sim.step(3);
    assert_eq!(next_fill(&mut events).await, (id, 4, true));
    let at_broker = broker_orders(&rig.sim).await;
    assert_eq!(at_broker.len(), 1, "{at_broker:#?}");
    assert_eq!(at_broker[0].order_id, ib_order_id);
    let status = host.status().await.unwrap();
    assert_eq!(status.connection.connects, 2);
    assert_eq!(status.connection.state, ConnectionState::Connected);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_made_while_disconnected_is_recovered_and_delivered() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 4\nsignals = 1", "").await;
    rig.sim.faults().delay_fills(Some(Duration::from_secs(3)));
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::OrderState { id: i, to, .. } if *i == id && to.as_str() == "submitted")
            .then_some(())
    })
    .await;
    host.disconnect().await.unwrap();
    // IB fills the order while nobody listens.
    rig.sim.step(3);
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 4.0);
    assert_eq!(host.order(id).await.unwrap().state, "submitted");

    host.connect().await.unwrap();
    // The fill is found by reconciliation (reqExecutions) and reaches the strategy.
    assert_eq!(next_fill(&mut events).await, (id, 4, true));
    let new_fills = wait_for(&mut events, |e| match e {
        TradingEvent::Reconciled { new_fills, .. } => Some(*new_fills),
        _ => None,
    })
    .await;
    assert_eq!(new_fills, 1);
    let order = host.order(id).await.unwrap();
    assert_eq!((order.state.as_str(), order.filled), ("filled", 4));
    assert_eq!(host.strategies().await.unwrap()[0].status.counters.fills, 1);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_valid_id_rollback_never_reuses_an_order_id() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 1", "").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        rig.sim.step_bar();
        let (id, ib) = next_sent(&mut events).await;
        assert_eq!(next_fill(&mut events).await.0, id);
        ids.push(ib);
    }
    assert_eq!(ids, [1, 2]);

    // The gateway restarts and hands out order id 1 again.
    rig.sim.faults().restart(Some(1));
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Disconnected { .. }).then_some(())
    })
    .await;
    subscribed(&mut events).await;
    rig.sim.step_bar();
    let (id, ib) = next_sent(&mut events).await;
    assert_eq!(
        ib, 3,
        "the store's floor wins over IB's rolled-back nextValidId"
    );
    assert_eq!(next_fill(&mut events).await, (id, 1, true));
    let mut at_broker: Vec<i32> = broker_orders(&rig.sim)
        .await
        .into_iter()
        .map(|o| o.order_id)
        .collect();
    at_broker.sort_unstable();
    assert_eq!(
        at_broker,
        [1, 2, 3],
        "three distinct orders, none modified by a reused id"
    );
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 3.0);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_gateway_is_detected_and_left() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 1", "").await;
    rig.sim.faults().go_silent(true);
    let reason = wait_for(&mut events, |e| match e {
        TradingEvent::Disconnected { reason } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("heartbeat"), "{reason}");
    // While it stays silent, connecting times out.
    let failed = wait_for(&mut events, |e| match e {
        TradingEvent::ConnectFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(failed.contains("no answer"), "{failed}");
    rig.sim.faults().go_silent(false);
    subscribed(&mut events).await;
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 1, true));
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_wait_while_ib_connectivity_is_lost() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 1\nsignals = 1", "").await;
    rig.sim.faults().connectivity_lost();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Notice { code: 1100, .. }).then_some(())
    })
    .await;
    rig.sim.step_bar();
    let queued = wait_for(&mut events, |e| match e {
        TradingEvent::OrdersHeld { queued, .. } => Some(*queued),
        _ => None,
    })
    .await;
    assert_eq!(queued, 1);
    let status = host.status().await.unwrap();
    assert!(!status.connection.ib_connectivity);
    assert_eq!(status.orders.queued, 1);

    rig.sim.faults().connectivity_restored();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 1, true));
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_id_in_use_falls_back_to_the_next_id() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let squatter = ibapi::Client::connect(&rig.sim.addr().to_string(), 7)
        .await
        .expect("another program holds client id 7");
    let (host, mut events) = metronome(
        &rig,
        "quantity = 1\nsignals = 1",
        "[ib]\nfallback_client_ids = [8]\n",
    )
    .await;
    assert_eq!(host.status().await.unwrap().connection.client_id, Some(8));
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 1, true));
    assert_eq!(
        host.order(id).await.unwrap().ib_order_id.map(|ib| ib.0),
        Some(8)
    );
    squatter.disconnect().await;
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_host_refuses_a_live_login() {
    let mut config = SimConfig::ephemeral();
    config.accounts[0].id = "U7654321".into();
    let rig = Rig::new(config).await;
    rig.add_strategy("metronome", None);
    let host = rig.start("[market_data]\nwarmup_bars = 0\n").await;
    let Exit::Failed(why) = host.stopped().await else {
        panic!("the host must stop")
    };
    assert_eq!(
        why,
        format!(
            "refusing to trade at 127.0.0.1:{}: IB reports live accounts (U7654321) but mode = \
             \"paper\": refusing to trade; check the port and the login",
            rig.sim.addr().port()
        )
    );
    assert!(broker_orders(&rig.sim).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_mode_needs_the_explicit_flag() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let text = rig
        .config_text("")
        .replace("mode = \"paper\"", "mode = \"live\"")
        .replace(ACCOUNT, "U7654321");
    let config = sandtrade::config::Config::parse(&text, rig.dir.path()).unwrap();
    let err = sandtrade_trading::start(config.trading, Default::default(), std::future::pending())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "mode = \"live\" trades real money: start with `sandtrade run --live` to confirm (or use \
         mode = \"paper\")"
    );
}
