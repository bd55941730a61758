//! Protective orders through `POST /api/ibkr/order`: a stop-loss and a trailing stop rest at
//! the venue (tws-sim) with their type and time in force, count against what is held, trigger
//! when the price crosses, and cancel with `DELETE` (while disconnected: on the next
//! connection).

use reqwest::StatusCode;
use sandtrade_tests::rig::{ACCOUNT, Rig, broker_orders};
use sandtrade_trading::TradingEvent;
use serde_json::json;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, code};

/// Places `order` through the API and waits until IB works it; its id.
async fn working(
    api: &ApiRig,
    events: &mut tokio::sync::broadcast::Receiver<TradingEvent>,
    order: serde_json::Value,
) -> u64 {
    let (status, body) = api.post("/api/ibkr/order", order).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["orderId"].as_u64().unwrap();
    api.wait_event(events, |e| {
        matches!(e, TradingEvent::OrderState { id: i, to, .. }
            if *i == id && to.as_str() == "submitted")
        .then_some(())
    })
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_loss_rests_at_the_venue_guards_the_position_and_fills_when_the_price_falls() {
    let mut config = SimConfig::ephemeral();
    config.market.volatility_bps = 0.0;
    let api = ApiRig::start(Rig::new(config).await, "").await;
    api.rig.sim.set_price("AAPL", 200.0).unwrap();
    let mut events = api.host.subscribe();
    let sent = |id: u64| {
        move |e: &TradingEvent| {
            matches!(e, TradingEvent::OrderSent { id: i, .. } if *i == id).then_some(())
        }
    };
    let filled = |id: u64| {
        move |e: &TradingEvent| {
            matches!(e, TradingEvent::Fill { id: i, .. } if *i == id).then_some(())
        }
    };

    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entry = body["orderId"].as_u64().unwrap();
    api.wait_event(&mut events, sent(entry)).await;
    api.rig.sim.step(1);
    api.wait_event(&mut events, filled(entry)).await;

    // The stop-loss: a GTC sell stop, its trigger a fraction of a cent off the tick (a sell's
    // is rounded up: it never triggers later than asked).
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 10, "orderType": "stop",
                   "stopPrice": 190.004, "tif": "GTC"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stop = body["orderId"].as_u64().unwrap();
    assert_eq!(
        body,
        json!({"orderId": stop, "action": "close-long", "strategy": "manual", "symbol": "AAPL",
               "quantity": 10, "orderType": "stop", "stopPrice": 190.01, "tif": "GTC",
               "outsideRth": false, "state": "queued"})
    );
    api.wait_event(&mut events, sent(stop)).await;

    // It rests at the venue as IB's STP with the trigger in auxPrice, GTC.
    let client_order_id = api.host.order(stop).await.unwrap().client_order_id;
    let at_venue = broker_orders(&api.rig.sim)
        .await
        .into_iter()
        .find(|o| o.order_ref == client_order_id)
        .expect("the stop is at the venue");
    assert_eq!(
        (
            at_venue.order_type.as_str(),
            at_venue.aux_price,
            at_venue.tif.as_str()
        ),
        ("STP", Some(190.01), "GTC")
    );
    let (_, body) = api.get("/api/ibkr/orders").await;
    assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    assert_eq!(
        (
            &body[0]["order_type"],
            &body[0]["stop_price"],
            &body[0]["tif"]
        ),
        (&json!("stop"), &json!(190.01), &json!("gtc"))
    );

    // The resting stop already sells everything held: no other sell can go on top of it.
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "sell-exceeds-position");
    assert_eq!(body["detail"]["pendingSells"], 10);

    // Above the trigger nothing happens; at it, the stop fills and the position is flat.
    api.rig.sim.set_price("AAPL", 190.02).unwrap();
    let (_, body) = api.get(&format!("/api/ibkr/order/{stop}")).await;
    assert_eq!(body["filled"], 0, "{body}");
    api.rig.sim.set_price("AAPL", 189.5).unwrap();
    api.wait_event(&mut events, filled(stop)).await;
    assert_eq!(api.rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    let (_, body) = api.get("/api/ibkr/positions").await;
    assert_eq!(
        body["strategies"]["manual"]["AAPL"]["quantity"], 0,
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_and_plain_stops_are_cancelled_at_the_venue_even_from_a_disconnect() {
    let mut config = SimConfig::ephemeral();
    config.market.volatility_bps = 0.0;
    let api = ApiRig::start(Rig::new(config).await, "").await;
    api.rig.sim.set_price("AAPL", 200.0).unwrap();
    let mut events = api.host.subscribe();

    let (_, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 10}),
        )
        .await;
    let entry = body["orderId"].as_u64().unwrap();
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::OrderSent { id, .. } if *id == entry).then_some(())
    })
    .await;
    api.rig.sim.step(1);
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::Fill { id, .. } if *id == entry).then_some(())
    })
    .await;

    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 4, "orderType": "trailing_stop",
                   "trailingPercent": 5, "tif": "gtc", "outsideRth": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            &body["action"],
            &body["trailingPercent"],
            &body["outsideRth"]
        ),
        (&json!("reduce-long"), &json!(5.0), &json!(true))
    );
    let trailing = body["orderId"].as_u64().unwrap();
    // Working at IB (not merely sent: a `sending` order cannot be cancelled until IB answers).
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::OrderState { id, to, .. }
            if *id == trailing && to.as_str() == "submitted")
        .then_some(())
    })
    .await;
    let client_order_id = api.host.order(trailing).await.unwrap().client_order_id;
    let at_venue = broker_orders(&api.rig.sim)
        .await
        .into_iter()
        .find(|o| o.order_ref == client_order_id)
        .expect("the trailing stop is at the venue");
    assert_eq!(
        (
            at_venue.order_type.as_str(),
            at_venue.trailing_percent,
            at_venue.tif.as_str(),
            at_venue.outside_rth
        ),
        ("TRAIL", Some(5.0), "GTC", true)
    );

    let (status, body) = api.delete(&format!("/api/ibkr/order/{trailing}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "sent-to-ib");
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::OrderState { id, to, .. }
            if *id == trailing && to.as_str() == "cancelled")
        .then_some(())
    })
    .await;
    // Six shares remain sellable again once the trailing stop is gone.
    let (_, body) = api.get("/api/ibkr/positions").await;
    assert_eq!(
        body["strategies"]["manual"]["AAPL"]["quantity"], 10,
        "{body}"
    );
    let stop = working(
        &api,
        &mut events,
        json!({"symbol": "AAPL", "side": "sell", "quantity": 10, "orderType": "stop",
                   "stopPrice": 150, "tif": "GTC"}),
    )
    .await;

    // Disconnected, a cancel of an order working at IB is recorded and sent once the next
    // connection is reconciled.
    let (status, _) = api.post("/api/ibkr/disconnect", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.delete(&format!("/api/ibkr/order/{stop}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"orderId": stop, "outcome": "on-reconnect"}));
    let (_, body) = api.get(&format!("/api/ibkr/order/{stop}")).await;
    assert_eq!(body["state"], "submitted", "{body}");
    assert!(body["cancel_requested_ms"].as_i64().is_some(), "{body}");
    let port = api.rig.sim.addr().port();
    let (status, body) = api
        .post(
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": port, "clientId": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::OrderState { id, to, .. }
            if *id == stop && to.as_str() == "cancelled")
        .then_some(())
    })
    .await;
    let client_order_id = api.host.order(stop).await.unwrap().client_order_id;
    let at_venue = broker_orders(&api.rig.sim)
        .await
        .into_iter()
        .find(|o| o.order_ref == client_order_id)
        .expect("the stop is known at the venue");
    assert_eq!(at_venue.status, "Cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_modifies_a_resting_stop_at_the_venue_under_the_same_rules_as_a_new_order() {
    let mut config = SimConfig::ephemeral();
    config.market.volatility_bps = 0.0;
    let api = ApiRig::start(Rig::new(config).await, "").await;
    api.rig.sim.set_price("AAPL", 200.0).unwrap();
    let mut events = api.host.subscribe();
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entry = body["orderId"].as_u64().unwrap();
    api.rig.sim.step(1);
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::Fill { id, .. } if *id == entry).then_some(())
    })
    .await;
    let stop = working(
        &api,
        &mut events,
        json!({"symbol": "AAPL", "side": "sell", "quantity": 10, "orderType": "stop",
                   "stopPrice": 190, "tif": "GTC"}),
    )
    .await;

    // Raised to 195 (on the tick, a sell stop rounded up) and sent to the venue.
    let (status, body) = api
        .put(
            &format!("/api/ibkr/order/{stop}"),
            json!({"stopPrice": 194.996}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "sent-to-ib", "{body}");
    assert_eq!(
        (&body["order"]["stop_price"], &body["order"]["quantity"]),
        (&json!(195.0), &json!(10)),
        "{body}"
    );
    let client_order_id = api.host.order(stop).await.unwrap().client_order_id;
    let at_venue = async {
        loop {
            let found = broker_orders(&api.rig.sim)
                .await
                .into_iter()
                .find(|o| o.order_ref == client_order_id && o.aux_price == Some(195.0));
            if let Some(order) = found {
                return order;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let at_venue = tokio::time::timeout(std::time::Duration::from_secs(10), at_venue)
        .await
        .expect("the new trigger reaches the venue");
    assert_eq!(
        (at_venue.order_type.as_str(), at_venue.tif.as_str()),
        ("STP", "GTC")
    );
    let acknowledged = async {
        while api
            .host
            .order(stop)
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
        .expect("IB acknowledges the change");

    // What a new order could not do, a change cannot either.
    let path = format!("/api/ibkr/order/{stop}");
    let (status, body) = api.put(&path, json!({"quantity": 11})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "short-not-allowed", "{body}");
    let (status, body) = api.put(&path, json!({"price": 194})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "invalid-order", "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("a stop order has no limit price"),
        "{body}"
    );
    let (status, body) = api.put(&path, json!({"stopPrice": -1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "invalid-body", "{body}");
    let (status, body) = api.put(&path, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "invalid-body", "{body}");
    let (status, _) = api
        .put("/api/ibkr/order/999999", json!({"quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Smaller is fine.
    let (status, body) = api.put(&path, json!({"quantity": 6})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["quantity"], 6, "{body}");
    // Until IB has it, another change waits.
    let (status, body) = api.put(&path, json!({"quantity": 5})).await;
    if status == StatusCode::CONFLICT {
        assert!(
            body["error"].as_str().unwrap().contains("with a change"),
            "{body}"
        );
    }
    let venue_has = |quantity: f64, trigger: f64| {
        let api = &api;
        let client_order_id = client_order_id.clone();
        async move {
            loop {
                let found = broker_orders(&api.rig.sim).await.into_iter().any(|o| {
                    o.order_ref == client_order_id
                        && o.aux_price == Some(trigger)
                        && o.quantity == quantity
                });
                let acknowledged = api
                    .host
                    .order(stop)
                    .await
                    .unwrap()
                    .modify_requested_ms
                    .is_none();
                if found && acknowledged {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    let want = if status == StatusCode::OK { 5.0 } else { 6.0 };
    tokio::time::timeout(std::time::Duration::from_secs(10), venue_has(want, 195.0))
        .await
        .expect("the venue has the new quantity");

    // Disconnected, a change is recorded and sent once the next connection is reconciled.
    let (status, _) = api.post("/api/ibkr/disconnect", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .put(&path, json!({"quantity": 6, "stopPrice": 196}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "on-reconnect", "{body}");
    assert!(
        body["order"]["modify_requested_ms"].as_i64().is_some(),
        "{body}"
    );
    let port = api.rig.sim.addr().port();
    let (status, body) = api
        .post(
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": port, "clientId": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    tokio::time::timeout(std::time::Duration::from_secs(10), venue_has(6.0, 196.0))
        .await
        .expect("the change reaches the venue after the reconnect");

    // The price falls through the new trigger, not the old one.
    api.rig.sim.set_price("AAPL", 195.5).unwrap();
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::Fill { id, quantity, .. } if *id == stop && *quantity == 6)
            .then_some(())
    })
    .await;
    assert_eq!(api.rig.sim.position(ACCOUNT, "AAPL").unwrap(), 4.0);
    // A filled order cannot be changed.
    let (status, body) = api.put(&path, json!({"quantity": 5})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_venue_refuses_leaves_the_order_working_on_its_earlier_terms() {
    let mut config = SimConfig::ephemeral();
    config.market.volatility_bps = 0.0;
    let api = ApiRig::start(Rig::new(config).await, "").await;
    api.rig.sim.set_price("AAPL", 200.0).unwrap();
    let mut events = api.host.subscribe();
    // A buy limit far under the market rests at the venue.
    let id = working(
        &api,
        &mut events,
        json!({"symbol": "AAPL", "side": "buy", "quantity": 10, "orderType": "limit",
                   "price": 100, "tif": "GTC"}),
    )
    .await;
    // The host's limits allow a million shares; the venue's account cannot pay for them, and
    // refuses the change with a notice. The order is not ended by it: IB still works it.
    let path = format!("/api/ibkr/order/{id}");
    let (status, body) = api.put(&path, json!({"quantity": 1_000_000})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let settled = async {
        loop {
            let order = api.host.order(id).await.unwrap();
            if order.modify_requested_ms.is_none() {
                return order;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let order = tokio::time::timeout(std::time::Duration::from_secs(10), settled)
        .await
        .expect("the venue answers the change");
    assert_eq!(order.state, "submitted", "{order:?}");
    assert_eq!(order.quantity, 10, "the earlier terms are back: {order:?}");
    assert!(
        order
            .note
            .as_deref()
            .unwrap_or("")
            .contains("IB refused the change"),
        "{order:?}"
    );
    let client_order_id = order.client_order_id;
    let at_venue = broker_orders(&api.rig.sim)
        .await
        .into_iter()
        .find(|o| o.order_ref == client_order_id)
        .expect("the order is at the venue");
    assert_eq!(
        (at_venue.quantity, at_venue.status.as_str()),
        (10.0, "Submitted")
    );
    // It can still be changed, and cancelled.
    let (status, body) = api.put(&path, json!({"price": 101})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api.get("/api/ibkr/positions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
