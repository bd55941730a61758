//! The `/api/ibkr` endpoints with the bodies of the IBKR REST examples, as users already
//! script against them.

use reqwest::StatusCode;
use sandtrade_tests::rig::{ACCOUNT, Rig, broker_orders};
use sandtrade_trading::TradingEvent;
use serde_json::json;
use tokio::sync::broadcast::Receiver;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, code};

fn quiet_market() -> SimConfig {
    let mut config = SimConfig::ephemeral();
    config.market.volatility_bps = 0.0;
    config
}

/// Waits until order `id` is sent, lets tws-sim's market take one step (a market order fills
/// there), and waits for the fill.
async fn fill(api: &ApiRig, events: &mut Receiver<TradingEvent>, id: u64) {
    api.wait_event(events, |e| {
        matches!(e, TradingEvent::OrderSent { id: i, .. } if *i == id).then_some(())
    })
    .await;
    api.rig.sim.step(1);
    api.wait_event(events, |e| {
        matches!(e, TradingEvent::Fill { id: i, .. } if *i == id).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ibkr_endpoints_connect_trade_and_report() {
    let api = ApiRig::start(Rig::new(quiet_market()).await, "").await;
    api.rig.sim.set_price("AAPL", 200.0).unwrap();
    let mut events = api.host.subscribe();

    let (status, body) = api.get("/api/ibkr/status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["connected"], true);
    assert_eq!(body["account"], ACCOUNT);
    assert_eq!(body["mode"], "paper");
    assert_eq!(body["connection"]["state"], "connected");

    let (status, body) = api.get("/api/ibkr/account").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account"], ACCOUNT);
    assert_eq!(body["values"]["CashBalance"]["USD"], 1_000_000.0);
    assert_eq!(body["values"]["CashBalance"]["HKD"], 1_000_000.0);

    let (status, body) = api
        .get("/api/ibkr/quote?symbol=AAPL&marketType=USStock")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["symbol"], "AAPL");
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["last"], 200.0);

    // The examples' market order: buy 10 AAPL. Flat, so it opens the manual ledger's position.
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 10, "marketType": "USStock"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["orderId"].as_u64().unwrap();
    assert_eq!(
        body,
        json!({"orderId": id, "action": "open-long", "strategy": "manual", "symbol": "AAPL",
               "quantity": 10, "orderType": "market", "tif": "DAY", "outsideRth": false,
               "state": "queued"})
    );
    fill(&api, &mut events, id).await;

    let (_, body) = api.get(&format!("/api/ibkr/order/{id}")).await;
    assert_eq!(body["state"], "filled");
    assert_eq!(body["filled"], 10);
    let (status, body) = api.get("/api/ibkr/positions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["strategies"]["manual"]["AAPL"]["quantity"], 10);
    assert_eq!(body["broker"]["AAPL"], 10.0);

    // Holding now: a buy adds.
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["action"], "add-long");
    let add = body["orderId"].as_u64().unwrap();
    fill(&api, &mut events, add).await;

    // The examples' limit order: sell 100 Tencent. Nothing held: refused, clearly.
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "0700.HK", "side": "sell", "quantity": 100, "marketType": "HShare",
                   "orderType": "limit", "price": 300}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"error": "cannot sell 100: the position holds 0, so at most 0 can be sold (no short selling)",
               "code": "sell-exceeds-position",
               "detail": {"requested": 100, "held": 0, "pendingSells": 0, "sellable": 0}})
    );
    // More than held: refused too.
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 16}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&body), "sell-exceeds-position");

    // Part, then the rest: reduce (a limit a fraction of a cent off the tick, answered as it
    // is sent: a sell's limit rounded up), then close.
    let (_, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 5, "orderType": "limit",
                   "price": 150.001}),
        )
        .await;
    assert_eq!(body["action"], "reduce-long");
    assert_eq!(
        (&body["orderType"], &body["price"]),
        (&json!("limit"), &json!(150.01))
    );
    let reduce = body["orderId"].as_u64().unwrap();
    fill(&api, &mut events, reduce).await;
    let (_, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "sell", "quantity": 10}),
        )
        .await;
    assert_eq!(body["action"], "close-long");
    let close = body["orderId"].as_u64().unwrap();
    fill(&api, &mut events, close).await;
    assert_eq!(api.rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    let (_, body) = api.get("/api/ibkr/orders").await;
    assert_eq!(body, json!([]));
    // The two refused sells never reached IB, which would have filled them: tws-sim's account,
    // like IB paper, sells short. The broker has exactly the four orders accepted here (sent
    // in order, so a refused one would have arrived before the close), and no Tencent.
    let mut at_broker: Vec<String> = broker_orders(&api.rig.sim)
        .await
        .into_iter()
        .map(|o| o.order_ref)
        .collect();
    let mut accepted = Vec::new();
    for accepted_id in [id, add, reduce, close] {
        accepted.push(api.host.order(accepted_id).await.unwrap().client_order_id);
    }
    at_broker.sort();
    accepted.sort();
    assert_eq!(at_broker, accepted);
    assert_eq!(api.rig.sim.position(ACCOUNT, "700").unwrap(), 0.0);
    // Money is shown to the cent, whatever the sums of fills came to in binary.
    let (_, body) = api.get("/api/ibkr/positions").await;
    let line = &body["strategies"]["manual"]["AAPL"];
    for field in ["realized_pnl", "commissions"] {
        let shown = line[field].to_string();
        let decimals = shown.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 2, "{field} = {shown}");
    }

    // Disconnected, an order stays queued; cancelling it cancels it here.
    let (status, body) = api.post("/api/ibkr/disconnect", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["connected"], false);
    assert_eq!(body["state"], "disconnected");
    let (_, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 1}),
        )
        .await;
    let queued = body["orderId"].as_u64().unwrap();
    let (_, body) = api.get("/api/ibkr/orders").await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], queued);
    assert_eq!(body[0]["state"], "queued");
    let (status, body) = api.delete(&format!("/api/ibkr/order/{queued}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"orderId": queued, "outcome": "cancelled-before-sending"})
    );
    let (status, body) = api.delete(&format!("/api/ibkr/order/{queued}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["error"],
        format!("order {queued} is already cancelled")
    );
    let (status, body) = api.delete("/api/ibkr/order/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code(&body), "not-found");
    let (status, body) = api.get("/api/ibkr/account").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "not connected to IB");

    // The examples' connect body, to the simulator, as client 1.
    let port = api.rig.sim.addr().port();
    let (status, body) = api
        .post(
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": port, "clientId": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"connected": true, "state": "connected", "address": format!("127.0.0.1:{port}"),
               "client_id": 1, "account": ACCOUNT, "error": null})
    );
    // A live port in paper mode is refused before anything is dropped.
    let (status, body) = api
        .post(
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": 7496, "clientId": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["error"],
        "ib.port = 7496 is TWS's live port, but mode = \"paper\" (paper ports: 7497 TWS, 4002 IB Gateway)"
    );
    assert_eq!(api.get("/api/ibkr/status").await.1["connected"], true);
    api.stop();
}
