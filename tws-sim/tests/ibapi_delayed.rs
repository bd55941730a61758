//! An account without live data for a contract (the `no-live` fault), through the real `ibapi`
//! 5.5 async client: real-time bars, live ticks and history are refused with IB's codes, and
//! after `reqMarketDataType(3)` the contract's ticks come in IB's delayed tick types.

mod support;

use ibapi::contracts::tick_types::TickType;
use ibapi::market_data::MarketDataType;
use ibapi::market_data::historical::{BarSize, ToDuration};
use ibapi::market_data::realtime::TickTypes;
use ibapi::prelude::*;
use support::*;

/// The notice or error a refused subscription yields first.
async fn refusal<T, S>(sub: &mut S) -> (i32, String)
where
    S: futures::Stream<Item = Result<SubscriptionItem<T>, ibapi::Error>> + Unpin,
    T: std::fmt::Debug,
{
    match next_item(sub).await {
        Ok(SubscriptionItem::Notice(n)) => (n.code, n.message),
        Err(ibapi::Error::Notice(n)) => (n.code, n.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn real_time_bars_live_ticks_and_history_are_refused_with_the_code_armed() {
    let sim = sim().await;
    sim.faults().refuse_live_data("AAPL", 354).unwrap();
    let client = connect(&sim, 1).await;

    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars requested");
    let (code, text) = refusal(&mut bars).await;
    assert_eq!(code, 354);
    assert_eq!(
        text,
        "Requested market data is not subscribed.Delayed market data is available."
    );
    sync(&client).await;
    assert_eq!(sim.real_time_bar_subscriptions(), 0, "nothing kept");

    // Live ticks (the default market data type, 1) are refused the same way.
    let mut ticks = within(client.market_data(&aapl()).subscribe())
        .await
        .expect("ticks requested");
    assert_eq!(refusal(&mut ticks).await.0, 354);
    sync(&client).await;
    assert_eq!(sim.market_data_subscriptions(), 0);

    // History needs the same subscription.
    let history = within(
        client
            .historical_data(&aapl(), BarSize::Sec5)
            .duration(60.seconds())
            .fetch(),
    )
    .await;
    let Err(ibapi::Error::Notice(n)) = history else {
        panic!("history must be refused: {history:?}");
    };
    assert_eq!(n.code, 162);
    assert!(
        n.message
            .contains("No market data permissions for NASDAQ STK"),
        "{}",
        n.message
    );

    // Another contract is not affected; lifting the fault gives AAPL its bars again.
    let mut msft = within(
        client
            .realtime_bars(&Contract::stock("MSFT").build())
            .subscribe(),
    )
    .await
    .expect("MSFT bars");
    sim.faults().allow_live_data("AAPL");
    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars requested");
    sync(&client).await;
    sim.step_bar();
    let bar = next_data(&mut bars).await;
    assert!(bar.close > 0.0);
    assert!(next_data(&mut msft).await.close > 0.0);

    // Codes that are no refusal, and symbols the table has not, are refused by the switchboard.
    assert_eq!(
        sim.faults()
            .refuse_live_data("AAPL", 200)
            .unwrap_err()
            .to_string(),
        "200 is not a code IB refuses live market data with (354, 10089, 10167, 10168)"
    );
    assert!(sim.faults().refuse_live_data("ZZZZ", 354).is_err());
}

#[tokio::test]
async fn delayed_ticks_come_in_ibs_delayed_tick_types_after_req_market_data_type_3() {
    let sim = sim_with(still_config()).await;
    sim.set_price("AAPL", 190.0).unwrap();
    sim.faults().refuse_live_data("AAPL", 10089).unwrap();
    let client = connect(&sim, 1).await;
    within(client.switch_market_data_type(MarketDataType::Delayed))
        .await
        .expect("market data type");

    let mut ticks = within(client.market_data(&aapl()).subscribe())
        .await
        .expect("ticks requested");
    let (code, text) = refusal(&mut ticks).await;
    assert_eq!(
        (code, text.as_str()),
        (
            10167,
            "Requested market data is not subscribed. Displaying delayed market data."
        ),
        "the notice leaves the subscription standing"
    );
    // First what the data is (3, delayed), then the current values in delayed tick types.
    let mut seen = Vec::new();
    loop {
        let tick = next_data(&mut ticks).await;
        let done =
            matches!(&tick, TickTypes::String(s) if s.tick_type == TickType::DelayedLastTimestamp);
        seen.push(tick);
        if done {
            break;
        }
    }
    assert!(
        matches!(seen[0], TickTypes::MarketDataType(MarketDataType::Delayed)),
        "{seen:?}"
    );
    let last = seen.iter().find_map(|t| match t {
        TickTypes::PriceSize(p) if p.price_tick_type == TickType::DelayedLast => {
            Some((p.price, p.size_tick_type == TickType::DelayedLastSize))
        }
        _ => None,
    });
    assert_eq!(last, Some((190.0, true)), "{seen:?}");
    for tick in &seen {
        let live = match tick {
            TickTypes::Price(p) => Some(&p.tick_type),
            TickTypes::PriceSize(p) => Some(&p.price_tick_type),
            TickTypes::Size(s) => Some(&s.tick_type),
            _ => None,
        };
        assert!(
            !matches!(
                live,
                Some(TickType::Bid | TickType::Ask | TickType::Last | TickType::Volume)
            ),
            "no live tick types: {tick:?}"
        );
    }
    for expected in [
        TickType::DelayedBid,
        TickType::DelayedAsk,
        TickType::DelayedHigh,
        TickType::DelayedLow,
        TickType::DelayedClose,
    ] {
        assert!(
            seen.iter().any(
                |t| matches!(t, TickTypes::PriceSize(p) if p.price_tick_type == expected)
                    || matches!(t, TickTypes::Price(p) if p.tick_type == expected)
            ),
            "{expected:?} missing: {seen:?}"
        );
    }
    sync(&client).await;
    assert_eq!(sim.market_data_subscriptions(), 1);

    // Every trade streams as a delayed last with its size, the day's delayed volume and the
    // trade's time (epoch seconds).
    sim.set_price("AAPL", 191.5).unwrap();
    let now = sim.now().unix_timestamp();
    let mut trade = None;
    let mut volume = false;
    loop {
        match next_data(&mut ticks).await {
            TickTypes::PriceSize(p) if p.price_tick_type == TickType::DelayedLast => {
                trade = Some(p.price)
            }
            TickTypes::Size(s) if s.tick_type == TickType::DelayedVolume => volume = true,
            TickTypes::String(s) if s.tick_type == TickType::DelayedLastTimestamp => {
                assert_eq!(s.value, now.to_string());
                break;
            }
            _ => {}
        }
    }
    assert_eq!((trade, volume), (Some(191.5), true));

    // A contract the account has live data for gets live ticks, whatever type was asked for.
    let mut msft = within(
        client
            .market_data(&Contract::stock("MSFT").build())
            .subscribe(),
    )
    .await
    .expect("MSFT ticks");
    assert!(matches!(
        next_data(&mut msft).await,
        TickTypes::MarketDataType(MarketDataType::Realtime)
    ));
    let live = next_data(&mut msft).await;
    assert!(
        matches!(&live, TickTypes::RequestParameters(_))
            || matches!(&live, TickTypes::PriceSize(p) if p.price_tick_type == TickType::Bid),
        "{live:?}"
    );
}

#[tokio::test]
async fn delayed_data_not_enabled_is_refused_with_10168() {
    let sim = sim().await;
    sim.faults().refuse_live_data("AAPL", 10168).unwrap();
    let client = connect(&sim, 1).await;
    within(client.switch_market_data_type(MarketDataType::DelayedFrozen))
        .await
        .expect("market data type");
    let mut ticks = within(client.market_data(&aapl()).subscribe())
        .await
        .expect("ticks requested");
    let (code, text) = refusal(&mut ticks).await;
    assert_eq!(
        (code, text.as_str()),
        (
            10168,
            "Requested market data is not subscribed. Delayed market data is not enabled."
        )
    );
    sync(&client).await;
    assert_eq!(sim.market_data_subscriptions(), 0);
}
