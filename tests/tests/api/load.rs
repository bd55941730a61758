//! 100 clients at once, each with its own connection, reading and ordering.

use reqwest::StatusCode;
use sandtrade_tests::rig::Rig;
use serde_json::json;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, READ, TRADE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_clients_are_all_answered_exactly() {
    let api = ApiRig::start(Rig::new(SimConfig::ephemeral()).await, "").await;
    api.post("/api/ibkr/disconnect", json!({})).await; // orders stay queued: countable
    let url = api.url("");
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..100u32 {
        let url = url.clone();
        tasks.spawn(async move {
            // One connection per client (no pool shared between them).
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut statuses = Vec::new();
            for _ in 0..5 {
                let r = http
                    .get(format!("{url}/api/ibkr/status"))
                    .bearer_auth(READ)
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status());
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["account"], "DU1234567");
            }
            let r = http
                .post(format!("{url}/api/ibkr/order"))
                .bearer_auth(TRADE)
                .json(&json!({"symbol": "AAPL", "side": "buy", "quantity": 1,
                              "strategy": format!("client-{client}")}))
                .send()
                .await
                .unwrap();
            statuses.push(r.status());
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["action"], "open-long");
            (client, statuses, body["orderId"].as_u64().unwrap())
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let (client, statuses, id) = done.unwrap();
        assert_eq!(statuses[..5], [StatusCode::OK; 5], "client {client}");
        assert_eq!(statuses[5], StatusCode::CREATED, "client {client}");
        assert!(ids.insert(id), "order id {id} given twice");
    }
    assert_eq!(ids.len(), 100);
    let (_, orders) = api.get("/api/ibkr/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 100);
    let mut watch = api.host.watch_status();
    let status = watch
        .wait_for(|s| s.orders.queued == 100)
        .await
        .unwrap()
        .clone();
    assert_eq!(status.signals.accepted, 100);
    api.stop();
}
