//! Contract details, market data, real-time bars and historical bars through the real
//! `ibapi` 5.5 async client, driven by the simulator's manual clock.

mod support;

use ibapi::market_data::historical::{BarSize, BarTimestamp, ToDuration};
use ibapi::market_data::realtime::TickTypes;
use ibapi::prelude::*;
use support::*;

#[tokio::test]
async fn contract_details_for_us_and_hk_and_200_for_unknown() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;

    let us = within(client.contract_details(&aapl()))
        .await
        .expect("AAPL details");
    assert_eq!(us.len(), 1);
    let d = &us[0];
    assert_eq!(d.contract.contract_id, 265598);
    assert_eq!(d.contract.primary_exchange.to_string(), "NASDAQ");
    assert_eq!(d.contract.exchange.to_string(), "SMART");
    assert_eq!(
        (d.contract.trading_class.as_str(), d.min_tick),
        ("NMS", 0.01)
    );
    assert_eq!(
        (d.long_name.as_str(), d.time_zone_id.as_str()),
        ("APPLE INC", "US/Eastern")
    );
    assert_eq!(
        d.trading_hours.first().map(String::as_str),
        Some("20250106:0930-20250106:1600")
    );

    let hk = within(client.contract_details(&tencent()))
        .await
        .expect("700 details");
    assert_eq!(hk.len(), 1);
    let d = &hk[0];
    assert_eq!(d.contract.symbol.to_string(), "700");
    assert_eq!(d.contract.currency.to_string(), "HKD");
    assert_eq!(
        (
            d.contract.exchange.to_string().as_str(),
            d.contract.primary_exchange.to_string().as_str()
        ),
        ("SEHK", "SEHK")
    );
    assert_eq!(
        (
            d.long_name.as_str(),
            d.min_tick,
            d.min_size,
            d.size_increment
        ),
        ("TENCENT HOLDINGS LTD", 0.2, Some(100.0), Some(100.0))
    );
    assert_eq!(
        d.trading_hours
            .iter()
            .take(2)
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["20250106:0930-20250106:1200", "20250106:1300-20250106:1600"]
    );

    let err = within(client.contract_details(&Contract::stock("NOPE").build()))
        .await
        .expect_err("unknown");
    assert!(err.to_string().contains("200"), "{err}");
}

/// A tick as `(kind, type, value)` for exact comparisons.
fn describe(tick: &TickTypes) -> Option<(String, String, f64)> {
    match tick {
        TickTypes::Price(p) => Some(("price".into(), format!("{:?}", p.tick_type), p.price)),
        TickTypes::PriceSize(p) => {
            Some(("price".into(), format!("{:?}", p.price_tick_type), p.price))
        }
        TickTypes::Size(s) => Some(("size".into(), format!("{:?}", s.tick_type), s.size)),
        _ => None,
    }
}

#[tokio::test]
async fn market_data_snapshot_then_streaming_ticks_on_each_step() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");

    let mut snapshot = within(client.market_data(&aapl()).snapshot().subscribe())
        .await
        .expect("snapshot");
    let ticks = snapshot.collect_for(WAIT).await;
    let prices: Vec<_> = ticks.iter().filter_map(describe).collect();
    assert!(
        prices.contains(&("price".into(), "Bid".into(), 189.99)),
        "{prices:?}"
    );
    assert!(
        prices.contains(&("price".into(), "Ask".into(), 190.01)),
        "{prices:?}"
    );
    assert!(
        prices.contains(&("price".into(), "Last".into(), 190.0)),
        "{prices:?}"
    );

    let mut stream = within(client.market_data(&aapl()).subscribe())
        .await
        .expect("stream");
    // The initial quote first.
    loop {
        if let Some((_, kind, price)) = describe(&next_data(&mut stream).await)
            && kind == "Last"
        {
            assert_eq!(price, 190.0);
            break;
        }
    }
    sim.step(1);
    let moved = sim.price("AAPL").expect("AAPL");
    let last = loop {
        if let Some((_, kind, price)) = describe(&next_data(&mut stream).await)
            && kind == "Last"
        {
            break price;
        }
    };
    assert_eq!(last, moved);
}

#[tokio::test]
async fn real_time_bars_arrive_when_the_clock_crosses_five_seconds() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars");
    sync(&client).await;
    let bar_end = sim.step_bar();
    let bar = next_data(&mut bars).await;
    assert_eq!(bar.date.unix_timestamp(), bar_end.unix_timestamp() - 5);
    assert_eq!(bar.count, 5);
    assert_eq!(bar.close, sim.price("AAPL").expect("AAPL"));
    assert!(
        bar.low <= bar.open.min(bar.close) && bar.high >= bar.open.max(bar.close),
        "{bar:?}"
    );

    sim.step(5);
    let next = next_data(&mut bars).await;
    assert_eq!(next.date.unix_timestamp(), bar.date.unix_timestamp() + 5);

    // HK closes bars on the same clock.
    let mut hk = within(client.realtime_bars(&tencent()).subscribe())
        .await
        .expect("hk bars");
    sync(&client).await;
    sim.step_bar();
    assert_eq!(next_data(&mut hk).await.count, 5);
}

#[tokio::test]
async fn historical_bars_are_deterministic_and_end_with_the_recorded_ones() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.step(60);
    let fetch = || async {
        within(
            client
                .historical_data(&aapl(), BarSize::Min)
                .duration(3600.seconds())
                .fetch(),
        )
        .await
        .expect("history")
    };
    let data = fetch().await;
    assert_eq!(
        data.bars.len(),
        60,
        "59 synthetic minutes before the start, then the recorded one"
    );
    let times: Vec<i64> = data
        .bars
        .iter()
        .map(|b| match b.date {
            BarTimestamp::DateTime(t) => t.unix_timestamp(),
            BarTimestamp::Date(_) => panic!("intraday bars carry times"),
        })
        .collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] == 60), "{times:?}");
    assert_eq!(times.last(), Some(&1_736_173_800));
    let recorded = data.bars.last().expect("bars");
    assert_eq!(
        (recorded.count, recorded.close),
        (60, sim.price("AAPL").expect("AAPL"))
    );
    assert_eq!(data.end.unix_timestamp(), 1_736_173_860);
    assert_eq!(fetch().await.bars, data.bars, "same seed, same history");

    let daily = within(
        client
            .historical_data(&tencent(), BarSize::Day)
            .duration(5.days())
            .fetch(),
    )
    .await
    .expect("daily");
    assert_eq!(daily.bars.len(), 5);
    assert!(matches!(daily.bars[0].date, BarTimestamp::Date(_)));
}

#[tokio::test]
async fn the_probe_pairs_each_bar_written_with_the_next_order_read() {
    use ibapi::orders::{Action, order_builder};
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let probe = sim.probe();

    // An order with no bar before it is not a sample.
    let mut first =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("placed");
    next_data(&mut first).await;
    assert_eq!(probe.samples(), vec![]);

    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars");
    sync(&client).await;
    sim.step_bar();
    next_data(&mut bars).await;
    let before_order = std::time::Instant::now();
    let mut second =
        within(client.place_order(2, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("placed");
    next_data(&mut second).await;
    let samples = probe.take();
    assert_eq!(samples.len(), 1, "{samples:?}");
    let s = samples[0];
    assert_eq!(s.client_id, 1);
    assert!(
        s.bar_written < before_order,
        "the bar was written before the client ordered"
    );
    assert!(
        s.order_read > before_order,
        "the order was read after it was sent"
    );
    assert_eq!(s.latency(), s.order_read - s.bar_written);
    assert_eq!(probe.samples(), vec![], "take() empties the probe");
}
