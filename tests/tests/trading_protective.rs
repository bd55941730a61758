//! A strategy's protective order through the whole path against tws-sim: `stop-guard` buys,
//! protects the fill with a good-till-cancelled stop-loss that rests at the venue as IB's own
//! `STP` order, and the stop fills when the price falls through it — or the strategy cancels it
//! and the cancel reaches the venue. Prices are set minute by minute (volatility 0).

use sandtrade_tests::rig::{ACCOUNT, Rig, broker_orders, wait_for, wait_for_bar_subscriptions};
use sandtrade_trading::{TradingEvent, TradingHandle};
use tokio::sync::broadcast::Receiver;
use tws_sim::SimConfig;

/// A rig with `stop-guard` (with `sidecar`) and AAPL at 10, reconciled and subscribed, and a
/// subscription to the host's events from before it connected.
async fn guarded(sidecar: &str) -> (Rig, TradingHandle, Receiver<TradingEvent>) {
    let mut sim_config = SimConfig::ephemeral();
    sim_config.market.volatility_bps = 0.0;
    let rig = Rig::new(sim_config).await;
    rig.add_strategy("stop-guard", Some(sidecar));
    rig.sim.set_price("AAPL", 10.0).unwrap();
    let host = rig.start("[market_data]\nwarmup_bars = 0\n").await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    // The subscriptions are written before the loop reports anything else; one round trip
    // through the loop makes sure they were, before the first bar is stepped.
    assert_eq!(host.status().await.unwrap().subscriptions, ["AAPL"]);
    wait_for_bar_subscriptions(&rig.sim, 1).await;
    (rig, host, events)
}

/// The next fill of signal `id`'s order, with its quantity.
async fn fill_of(events: &mut Receiver<TradingEvent>, id: u64) -> u32 {
    wait_for(events, |e| match e {
        TradingEvent::Fill {
            id: filled,
            quantity,
            delivered,
            ..
        } if *filled == id => {
            assert!(delivered, "the strategy's on-fill was called");
            Some(*quantity)
        }
        _ => None,
    })
    .await
}

/// Order `id` reaches `state`.
async fn reaches(events: &mut Receiver<TradingEvent>, id: u64, state: &str) {
    wait_for(events, |e| match e {
        TradingEvent::OrderState { id: i, to, .. } if *i == id && to.as_str() == state => Some(()),
        _ => None,
    })
    .await;
}

/// The first minute: the entry (signal 1) fills 10 shares, and the strategy's stop (signal 2)
/// works at the venue.
async fn entered_and_protected(rig: &Rig, events: &mut Receiver<TradingEvent>) {
    rig.sim.step(60);
    assert_eq!(fill_of(events, 1).await, 10);
    reaches(events, 2, "submitted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_loss_rests_at_the_venue_and_fills_when_the_price_falls_through_it() {
    let (rig, host, mut events) = guarded("[params]\nquantity = 10\nstop_pct = 5\n").await;

    // Minute 1: the entry fills at 10, and the strategy places its stop at 9.5.
    entered_and_protected(&rig, &mut events).await;
    let at_broker = broker_orders(&rig.sim).await;
    let stop = at_broker
        .iter()
        .find(|o| o.order_ref.ends_with("-2"))
        .unwrap_or_else(|| panic!("the stop is at the broker: {at_broker:#?}"));
    assert_eq!(
        (stop.order_type.as_str(), stop.aux_price, stop.tif.as_str()),
        ("STP", Some(9.5), "GTC")
    );
    // IB shows a stop waiting for its trigger as PreSubmitted.
    assert_eq!(stop.status, "PreSubmitted");
    let order = host.order(2).await.unwrap();
    assert_eq!((order.action.as_str(), order.quantity), ("reduce-long", 10));

    // Minute 2 dips to 9.6: the stop rests. Minute 3 falls to 9.2: it triggers and fills.
    rig.sim.set_price("AAPL", 9.6).unwrap();
    rig.sim.step(60);
    rig.sim.set_price("AAPL", 9.2).unwrap();
    rig.sim.step(60);
    assert_eq!(fill_of(&mut events, 2).await, 10);
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    let positions = host.positions().await.unwrap();
    assert_eq!(positions.strategies["stop_guard"]["AAPL"].quantity, 0);
    assert_eq!(host.order(2).await.unwrap().state, "filled");
    host.shutdown();
    host.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_cancels_its_stop_at_the_venue_and_sells_instead() {
    let (rig, host, mut events) = guarded("[params]\nquantity = 10\ncancel_at = 3\n").await;
    entered_and_protected(&rig, &mut events).await;
    rig.sim.step(60);
    // Its 3rd bar: the strategy cancels the stop, and IB confirms.
    rig.sim.step(60);
    reaches(&mut events, 2, "cancelled").await;
    // Its 4th: the stop is no longer working, so its shares are free again, and the
    // close-long (signal 3) sells the position.
    rig.sim.step(60);
    assert_eq!(fill_of(&mut events, 3).await, 10);
    let at_broker = broker_orders(&rig.sim).await;
    let stop = at_broker
        .iter()
        .find(|o| o.order_ref.ends_with("-2"))
        .unwrap();
    assert_eq!(stop.status, "Cancelled");
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    host.shutdown();
    host.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_raises_its_stop_at_the_venue_and_it_fills_at_the_new_trigger() {
    let (rig, host, mut events) = guarded("[params]\nquantity = 10\nraise_at = 2\n").await;
    entered_and_protected(&rig, &mut events).await;
    // Its 2nd bar closes at 12: the stop (9.5) is raised to 11.4, at the venue.
    rig.sim.set_price("AAPL", 12.0).unwrap();
    rig.sim.step(60);
    let raised = async {
        loop {
            let at_broker = broker_orders(&rig.sim).await;
            let stop = at_broker
                .iter()
                .find(|o| o.order_ref.ends_with("-2"))
                .cloned();
            if let Some(stop) = stop
                && stop.aux_price == Some(11.4)
            {
                return stop;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let stop = tokio::time::timeout(std::time::Duration::from_secs(10), raised)
        .await
        .expect("the raised stop reaches the venue");
    assert_eq!(
        (stop.order_type.as_str(), stop.tif.as_str()),
        ("STP", "GTC")
    );
    let order = host.order(2).await.unwrap();
    assert_eq!(order.stop_price, Some(11.4));
    // IB's openOrder with the new trigger ends the request: nothing is sent again.
    let acknowledged = async {
        while host.order(2).await.unwrap().modify_requested_ms.is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), acknowledged)
        .await
        .expect("IB acknowledges the modify");
    // The venue's price falls through the new trigger, not yet the old one.
    rig.sim.set_price("AAPL", 11.3).unwrap();
    rig.sim.step(60);
    assert_eq!(fill_of(&mut events, 2).await, 10);
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    host.shutdown();
    host.stopped().await;
}

/// The bracket's first minute: the entry (signal 1) fills 10 shares at 10, and its exits (the
/// take-profit 2, the stop-loss 3) work at the venue as its children.
async fn bracketed(rig: &Rig, host: &TradingHandle, events: &mut Receiver<TradingEvent>) {
    rig.sim.step(60);
    assert_eq!(fill_of(events, 1).await, 10);
    // The fill released the exits at the venue (the host may hear of it just after the fill).
    let working = async {
        while host.order(3).await.unwrap().state != "submitted" {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), working)
        .await
        .expect("the stop-loss works at the venue");
    let at_broker = broker_orders(&rig.sim).await;
    let find = |suffix: &str| {
        at_broker
            .iter()
            .find(|o| o.order_ref.ends_with(suffix))
            .unwrap_or_else(|| panic!("order {suffix} is at the broker: {at_broker:#?}"))
    };
    let entry = find("-1").order_id;
    let (take_profit, stop_loss) = (find("-2"), find("-3"));
    assert_eq!(
        (
            take_profit.order_type.as_str(),
            take_profit.limit_price,
            take_profit.parent_id,
            take_profit.tif.as_str()
        ),
        ("LMT", Some(11.0), entry, "GTC")
    );
    assert_eq!(
        (
            stop_loss.order_type.as_str(),
            stop_loss.aux_price,
            stop_loss.parent_id
        ),
        ("STP", Some(9.5), entry)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_bracket_rests_at_the_venue_and_its_take_profit_cancels_the_stop() {
    let (rig, host, mut events) =
        guarded("[params]\nquantity = 10\nstop_pct = 5\ntake_profit_pct = 10\n").await;
    bracketed(&rig, &host, &mut events).await;
    let working = host.order(3).await.unwrap();
    assert_eq!(
        (working.action.as_str(), working.quantity, working.exit_of),
        ("reduce-long", 10, Some(1))
    );
    // The price rises through the take-profit: it fills, IB cancels the stop-loss, flat.
    rig.sim.set_price("AAPL", 11.2).unwrap();
    rig.sim.step(60);
    assert_eq!(fill_of(&mut events, 2).await, 10);
    reaches(&mut events, 3, "cancelled").await;
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    let positions = host.positions().await.unwrap();
    assert_eq!(positions.strategies["stop_guard"]["AAPL"].quantity, 0);
    assert!(host.orders().await.unwrap().is_empty());
    host.shutdown();
    host.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_bracket_stop_loss_fills_and_cancels_the_take_profit() {
    let (rig, host, mut events) =
        guarded("[params]\nquantity = 10\nstop_pct = 5\ntake_profit_pct = 10\n").await;
    bracketed(&rig, &host, &mut events).await;
    rig.sim.set_price("AAPL", 9.2).unwrap();
    rig.sim.step(60);
    assert_eq!(fill_of(&mut events, 3).await, 10);
    reaches(&mut events, 2, "cancelled").await;
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    assert_eq!(host.order(2).await.unwrap().state, "cancelled");
    host.shutdown();
    host.stopped().await;
}
