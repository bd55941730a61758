//! Time in force and session hours through the real `ibapi` 5.5 async client: DAY orders end
//! with their trading day, GTC ones outlive it and a gateway restart, IOC fills what it can at
//! once, OPG waits for the opening, and a stop neither triggers nor fills outside the session.
//! The clock starts on Monday 6 January 2025 at 14:30 UTC (09:30 in New York).

mod support;

use ibapi::orders::{Action, TimeInForce, order_builder};
use tws_sim::SimConfig;

use support::*;

/// Still prices, US and HK session hours enforced.
fn with_session_hours() -> SimConfig {
    let mut config = still_config();
    config.market.session_hours = true;
    config
}

fn buy_limit(limit: f64, tif: TimeInForce) -> ibapi::orders::Order {
    let mut order = order_builder::limit_order(Action::Buy, 10.0, limit);
    order.tif = tif;
    order
}

#[tokio::test]
async fn day_orders_end_with_the_utc_trading_day_and_gtc_orders_outlive_it_and_a_restart() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut day = place(&sim, &client, 1, 190.0, &buy_limit(180.0, TimeInForce::Day)).await;
    let mut gtc = place(
        &sim,
        &client,
        2,
        190.0,
        &buy_limit(180.0, TimeInForce::GoodTillCanceled),
    )
    .await;
    assert_eq!(
        take(&mut day, 2).await,
        ["open:Submitted", "status:Submitted"]
    );
    assert_eq!(
        take(&mut gtc, 2).await,
        ["open:Submitted", "status:Submitted"]
    );

    // 23:59:59 UTC: both still work. 00:00: the DAY order is cancelled.
    sim.step(9 * 3600 + 1799);
    assert_eq!(open_order(&client, 1).await.map(|o| o.order_id), Some(1));
    take(&mut day, 2).await; // reqOpenOrders' copies
    take(&mut gtc, 2).await;
    sim.step(1);
    assert_eq!(take(&mut day, 1).await, ["status:Cancelled"]);

    sim.faults().restart(None);
    let client = connect(&sim, 1).await;
    assert_eq!(open_order(&client, 1).await.map(|o| o.order_id), None);
    let kept = open_order(&client, 2)
        .await
        .expect("the GTC order works on");
    assert_eq!(
        (kept.order.tif, kept.order_state.status.to_string().as_str()),
        (TimeInForce::GoodTillCanceled, "Submitted")
    );
    sim.set_price("AAPL", 180.0).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 10.0);
}

#[tokio::test]
async fn with_session_hours_a_day_order_ends_at_the_close() {
    let sim = sim_with(with_session_hours()).await;
    let client = connect(&sim, 1).await;
    let mut day = place(&sim, &client, 1, 190.0, &buy_limit(180.0, TimeInForce::Day)).await;
    assert_eq!(
        take(&mut day, 2).await,
        ["open:Submitted", "status:Submitted"]
    );
    sim.step(6 * 3600 + 1799); // 15:59:59 in New York
    sim.set_price("AAPL", 185.0).expect("AAPL");
    sim.step(1);
    assert_eq!(take(&mut day, 1).await, ["status:Cancelled"]);
    sim.set_price("AAPL", 179.0).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
}

#[tokio::test]
async fn ioc_fills_what_it_can_at_once_and_cancels_the_rest() {
    let mut config = still_config();
    config.matching.max_fill_per_tick = Some(40.0);
    let sim = sim_with(config).await;
    let client = connect(&sim, 1).await;
    let mut order = order_builder::limit_order(Action::Buy, 100.0, 190.0);
    order.tif = TimeInForce::ImmediateOrCancel;
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    assert_eq!(
        take(&mut events, 6).await,
        [
            "open:PreSubmitted",
            "status:PreSubmitted",
            "exec:40@190",
            "status:Submitted",
            "commission:1",
            "status:Cancelled"
        ]
    );
    sim.step(5);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 40.0);

    let mut order = order_builder::limit_order(Action::Buy, 10.0, 185.0);
    order.tif = TimeInForce::ImmediateOrCancel;
    let mut events = place(&sim, &client, 2, 190.0, &order).await;
    assert_eq!(
        take(&mut events, 3).await,
        ["open:Submitted", "status:Submitted", "status:Cancelled"]
    );
}

#[tokio::test]
async fn opg_waits_for_the_next_opening_and_fills_at_the_opening_price() {
    let sim = sim_with(with_session_hours()).await;
    let client = connect(&sim, 1).await;
    let mut order = order_builder::market_order(Action::Buy, 10.0);
    order.tif = TimeInForce::OnOpen;
    let mut opg = place(&sim, &client, 1, 190.0, &order).await;
    // An unmarketable OPG limit: cancelled at the opening.
    let mut limit = place(
        &sim,
        &client,
        2,
        190.0,
        &buy_limit(185.0, TimeInForce::OnOpen),
    )
    .await;
    assert_eq!(
        take(&mut opg, 2).await,
        ["open:PreSubmitted", "status:PreSubmitted"]
    );
    assert_eq!(
        take(&mut limit, 2).await,
        ["open:PreSubmitted", "status:PreSubmitted"]
    );

    sim.step(6 * 3600 + 1800); // the close
    sim.set_price("AAPL", 191.0).expect("AAPL");
    sim.step(24 * 3600 - (6 * 3600 + 1800) - 1); // Tuesday 09:29:59
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
    sim.step(1);
    assert_eq!(take(&mut opg, 4).await, filled_at(10.0, 191.0));
    assert_eq!(take(&mut limit, 1).await, ["status:Cancelled"]);
}

#[tokio::test]
async fn opg_without_session_hours_is_refused() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut events = place(
        &sim,
        &client,
        1,
        190.0,
        &buy_limit(185.0, TimeInForce::OnOpen),
    )
    .await;
    let (code, message) = refusal(&mut events).await;
    assert_eq!(code, 321);
    assert!(
        message.contains("OPG orders need session hours"),
        "{message}"
    );
}

#[tokio::test]
async fn a_stop_neither_triggers_nor_fills_outside_the_session() {
    let sim = sim_with(with_session_hours()).await;
    let client = connect(&sim, 1).await;
    let mut order = order_builder::stop(Action::Sell, 10.0, 185.0);
    order.tif = TimeInForce::GoodTillCanceled;
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    assert_eq!(
        take(&mut events, 2).await,
        ["open:PreSubmitted", "status:PreSubmitted"]
    );

    sim.step(6 * 3600 + 1800); // the close
    sim.set_price("AAPL", 184.0).expect("AAPL");
    sim.step(3600);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
    sim.step(24 * 3600 - (7 * 3600 + 1800)); // Tuesday's opening
    assert_eq!(take(&mut events, 4).await, filled_at(10.0, 184.0));
}

#[tokio::test]
async fn moc_fills_at_the_close_and_loc_only_when_the_close_is_at_or_better_than_its_limit() {
    let sim = sim_with(with_session_hours()).await;
    let client = connect(&sim, 1).await;
    let mut moc = order_builder::market_order(Action::Buy, 10.0);
    moc.order_type = "MOC".into();
    let mut loc = order_builder::limit_order(Action::Buy, 10.0, 189.0);
    loc.order_type = "LOC".into();
    let mut below = order_builder::limit_order(Action::Buy, 10.0, 186.0);
    below.order_type = "LOC".into();
    let mut moc = place(&sim, &client, 1, 190.0, &moc).await;
    let mut loc = place(&sim, &client, 2, 190.0, &loc).await;
    let mut below = place(&sim, &client, 3, 190.0, &below).await;
    for events in [&mut moc, &mut loc, &mut below] {
        assert_eq!(
            take(events, 2).await,
            ["open:PreSubmitted", "status:PreSubmitted"]
        );
    }

    // During the day the limits are crossed, but nothing trades before the close.
    sim.set_price("AAPL", 185.0).expect("AAPL");
    sim.step(6 * 3600 + 1798); // 15:59:58 in New York
    sim.set_price("AAPL", 188.5).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
    sim.step(1); // the session's last second: 188.5 is the close
    assert_eq!(take(&mut moc, 4).await, filled_at(10.0, 188.5));
    assert_eq!(take(&mut loc, 4).await, filled_at(10.0, 188.5));
    assert_eq!(take(&mut below, 1).await, ["status:Cancelled"]);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 20.0);
}

#[tokio::test]
async fn an_on_close_order_must_be_a_day_order() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut moc = order_builder::market_order(Action::Buy, 10.0);
    moc.order_type = "MOC".into();
    moc.tif = TimeInForce::GoodTillCanceled;
    let mut events = place(&sim, &client, 1, 190.0, &moc).await;
    let (code, message) = refusal(&mut events).await;
    assert_eq!(code, 321);
    assert!(
        message.ends_with("a MOC order is a DAY order, not GTC"),
        "{message}"
    );
}
