//! A bracket through `POST /api/ibkr/order`: the entry and its exits reach the venue
//! (tws-sim) together, the exits as the entry's children; they guard the position once it is
//! bought, move with `PUT`, and one filling cancels the other, leaving the position flat.

use reqwest::StatusCode;
use sandtrade_tests::rig::{ACCOUNT, Rig, broker_orders};
use sandtrade_trading::TradingEvent;
use serde_json::json;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bracket_guards_the_position_at_the_venue_and_one_exit_cancels_the_other() {
    let mut config = SimConfig::ephemeral();
    config.market.volatility_bps = 0.0;
    let api = ApiRig::start(Rig::new(config).await, "").await;
    api.rig.sim.set_price("AAPL", 200.0).unwrap();
    let mut events = api.host.subscribe();
    let state = |id: u64, state: &'static str| {
        move |e: &TradingEvent| {
            matches!(e, TradingEvent::OrderState { id: i, to, .. }
                if *i == id && to.as_str() == state)
            .then_some(())
        }
    };

    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 10,
                   "bracket": {"takeProfit": 210.004, "stopLoss": 190}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entry = body["orderId"].as_u64().unwrap();
    let (take_profit, stop_loss) = (entry + 1, entry + 2);
    assert_eq!(
        body["exits"],
        json!([
            {"orderId": take_profit, "role": "take-profit", "orderType": "limit",
             "price": 210.01, "tif": "GTC"},
            {"orderId": stop_loss, "role": "stop-loss", "orderType": "stop",
             "stopPrice": 190.0, "tif": "GTC"},
        ])
    );
    // The market entry fills as IB receives the bracket; its fill releases the exits.
    api.wait_event(&mut events, state(stop_loss, "submitted"))
        .await;
    let filled = async {
        while api.host.order(entry).await.unwrap().state != "filled" {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), filled)
        .await
        .expect("the entry fills");

    // At the venue: the exits are children of the entry, GTC, with their prices.
    let refs = [
        api.host.order(entry).await.unwrap(),
        api.host.order(take_profit).await.unwrap(),
        api.host.order(stop_loss).await.unwrap(),
    ];
    let venue = broker_orders(&api.rig.sim).await;
    let at_venue = |i: usize| {
        venue
            .iter()
            .find(|o| o.order_ref == refs[i].client_order_id)
            .unwrap_or_else(|| panic!("order {i} of the bracket is at the venue: {venue:?}"))
    };
    let entry_ib = at_venue(0).order_id;
    assert_eq!(at_venue(0).parent_id, 0);
    assert_eq!(
        (
            at_venue(1).order_type.as_str(),
            at_venue(1).limit_price,
            at_venue(1).parent_id,
            at_venue(1).tif.as_str()
        ),
        ("LMT", Some(210.01), entry_ib, "GTC")
    );
    assert_eq!(
        (
            at_venue(2).order_type.as_str(),
            at_venue(2).aux_price,
            at_venue(2).parent_id
        ),
        ("STP", Some(190.0), entry_ib)
    );

    // The exits are one sell of the 10 bought: nothing else can be sold on top of them.
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "sell-exceeds-position");
    assert_eq!(body["detail"]["pendingSells"], 10);

    // An exit's prices move; its quantity is its entry's.
    let (status, body) = api
        .put(
            &format!("/api/ibkr/order/{stop_loss}"),
            json!({"stopPrice": 195}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api
        .put(
            &format!("/api/ibkr/order/{take_profit}"),
            json!({"quantity": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "invalid-order");
    let acknowledged = async {
        while api
            .host
            .order(stop_loss)
            .await
            .unwrap()
            .modify_requested_ms
            .is_some()
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), acknowledged)
        .await
        .expect("IB acknowledges the new stop");
    let stop_at_venue = broker_orders(&api.rig.sim)
        .await
        .into_iter()
        .find(|o| o.order_ref == refs[2].client_order_id)
        .unwrap();
    assert_eq!(
        (stop_at_venue.aux_price, stop_at_venue.parent_id),
        (Some(195.0), entry_ib)
    );

    // The price reaches the take-profit: it fills, IB cancels the stop, the position is flat.
    api.rig.sim.set_price("AAPL", 210.5).unwrap();
    api.wait_event(&mut events, state(take_profit, "filled"))
        .await;
    api.wait_event(&mut events, state(stop_loss, "cancelled"))
        .await;
    assert_eq!(api.rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    let (_, body) = api.get("/api/ibkr/positions").await;
    assert_eq!(
        body["strategies"]["manual"]["AAPL"]["quantity"], 0,
        "{body}"
    );
    let (_, body) = api.get("/api/ibkr/orders").await;
    assert_eq!(body.as_array().unwrap().len(), 0, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bracket_body_that_is_not_one_is_refused_with_the_field() {
    let api = ApiRig::start(Rig::new(SimConfig::ephemeral()).await, "").await;
    for (bracket, side, message) in [
        (
            json!({}),
            "buy",
            "a bracket needs bracket.takeProfit, bracket.stopLoss or both",
        ),
        (
            json!({"stopLossLimit": 180}),
            "buy",
            "bracket.stopLossLimit needs bracket.stopLoss, its trigger",
        ),
        (
            json!({"takeProfit": 210}),
            "sell",
            "a bracket's entry is a buy: its exits sell what it buys",
        ),
        (json!({"takeProfit": -1}), "buy", "takeProfit"),
    ] {
        let (status, body) = api
            .post(
                "/api/ibkr/order",
                json!({"symbol": "AAPL", "side": side, "quantity": 10, "bracket": bracket}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"].as_str().unwrap().contains(message), "{body}");
    }
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 10,
                   "bracket": {"takeProfit": 190, "stopLoss": 195}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "invalid-price");
}
