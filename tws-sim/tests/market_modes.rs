//! Market modes through the real `ibapi` 5.5 client: the real-time (accelerated) clock, CSV
//! replay, partial fills, and exchange hours with the HK lunch break.

mod support;

use ibapi::orders::{Action, PlaceOrder, order_builder};
use time::macros::datetime;
use tws_sim::SimConfig;
use tws_sim::config::{ClockMode, MarketConfig, MatchingConfig, PriceSource};

use support::*;

/// A simulator with this market configuration and the rest default.
async fn sim_with_market(market: MarketConfig) -> tws_sim::SimHandle {
    sim_with(SimConfig {
        market,
        ..SimConfig::ephemeral()
    })
    .await
}

#[tokio::test]
async fn the_real_time_clock_runs_by_itself_when_accelerated() {
    let market = MarketConfig {
        clock: ClockMode::RealTime,
        acceleration: 500.0,
        ..MarketConfig::default()
    };
    let sim = sim_with_market(market).await;
    let client = connect(&sim, 1).await;
    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars");
    // 500 simulated seconds per second: a bar every 10 ms of wall time, no step() needed.
    let first = next_data(&mut bars).await;
    let second = next_data(&mut bars).await;
    assert_eq!(
        second.date.unix_timestamp() - first.date.unix_timestamp(),
        5
    );
    assert_eq!(second.count, 5);
}

#[tokio::test]
async fn replayed_bars_come_back_as_real_time_bars() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("bars.csv");
    std::fs::write(
        &csv,
        "time,symbol,open,high,low,close,volume\n\
         20250106 09:30:00,AAPL,100,101,99.5,100.5,1000\n\
         20250106 09:30:05,AAPL,100.5,102,100.25,101.75,500\n",
    )
    .expect("write csv");
    let market = MarketConfig {
        source: PriceSource::Replay(csv),
        ..MarketConfig::default()
    };
    let sim = sim_with_market(market).await;
    let client = connect(&sim, 1).await;
    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars");
    sync(&client).await;
    sim.step(10);
    let a = next_data(&mut bars).await;
    let b = next_data(&mut bars).await;
    assert_eq!(
        (a.open, a.high, a.low, a.close, a.volume),
        (100.0, 101.0, 99.5, 100.5, 1000.0)
    );
    assert_eq!(
        (b.open, b.high, b.low, b.close, b.volume),
        (100.5, 102.0, 100.25, 101.75, 500.0)
    );
    assert_eq!(sim.price("AAPL").expect("AAPL"), 101.75);
}

#[tokio::test]
async fn partial_fills_one_slice_per_tick() {
    let matching = MatchingConfig {
        max_fill_per_tick: Some(40.0),
        ..MatchingConfig::default()
    };
    let sim = sim_with(SimConfig {
        matching,
        ..SimConfig::ephemeral()
    })
    .await;
    let client = connect(&sim, 1).await;
    let mut events =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 100.0)))
            .await
            .expect("placed");
    let mut fills = Vec::new();
    let step = || sim.step(1);
    loop {
        match next_data(&mut events).await {
            PlaceOrder::ExecutionData(e) => {
                fills.push((e.execution.shares, e.execution.cumulative_quantity))
            }
            PlaceOrder::OrderStatus(s) if s.status.to_string() == "Submitted" => {
                step();
            }
            PlaceOrder::OrderStatus(s) if s.status.to_string() == "Filled" => break,
            _ => {}
        }
    }
    assert_eq!(fills, [(40.0, 40.0), (40.0, 80.0), (20.0, 100.0)]);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 100.0);
}

#[tokio::test]
async fn hk_orders_wait_out_the_lunch_break() {
    let market = MarketConfig {
        session_hours: true,
        // 12:30 in Hong Kong: lunch. (04:30 UTC; New York is closed too.)
        start_time: Some(datetime!(2025-01-06 04:30:00 UTC)),
        ..MarketConfig::default()
    };
    let sim = sim_with_market(market).await;
    let client = connect(&sim, 1).await;
    let before = sim.price("700").expect("700");
    let mut events = within(client.place_order(
        1,
        &tencent(),
        &order_builder::market_order(Action::Buy, 100.0),
    ))
    .await
    .expect("placed");
    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder")
    };
    assert_eq!(
        open.order_state.status.to_string(),
        "PreSubmitted",
        "held over lunch"
    );
    sim.step(1799);
    assert_eq!(
        (
            sim.position(ACCOUNT, "700").expect("700"),
            sim.price("700").expect("700")
        ),
        (0.0, before),
        "no trading"
    );
    sim.step(1);
    let fill = loop {
        if let PlaceOrder::ExecutionData(e) = next_data(&mut events).await {
            break e;
        }
    };
    assert_eq!(fill.execution.time, "20250106-05:00:00");
    assert_eq!(sim.position(ACCOUNT, "700").expect("700"), 100.0);
}

#[tokio::test]
async fn market_orders_pay_the_configured_slippage() {
    let matching = MatchingConfig {
        slippage_bps: 10.0,
        ..MatchingConfig::default()
    };
    let sim = sim_with(SimConfig {
        matching,
        ..SimConfig::ephemeral()
    })
    .await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let mut fills = Vec::new();
    for (id, action) in [(1, Action::Buy), (2, Action::Sell)] {
        let order = order_builder::market_order(action, 10.0);
        let mut events = within(client.place_order(id, &aapl(), &order))
            .await
            .expect("placed");
        loop {
            if let PlaceOrder::ExecutionData(e) = next_data(&mut events).await {
                fills.push(e.execution.price);
                break;
            }
        }
    }
    // 10 bp of 190 is 0.19: buys pay it, sells give it up.
    assert_eq!(fills, [190.19, 189.81]);
}
