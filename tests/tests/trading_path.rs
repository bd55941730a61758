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
