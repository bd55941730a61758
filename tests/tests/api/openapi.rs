//! The OpenAPI document is true: every documented path and method is served, and every
//! endpoint `docs/api.md` lists is documented.

use std::collections::BTreeSet;

use reqwest::Method;
use sandtrade_tests::rig::Rig;
use serde_json::Value;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, TRADE};

/// Every route the server serves (the endpoints `docs/api.md` lists, the status page and its
/// files).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/assets/app.js"),
    ("get", "/assets/style.css"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
    ("get", "/api/events"),
    ("get", "/api/ibkr/status"),
    ("post", "/api/ibkr/connect"),
    ("post", "/api/ibkr/disconnect"),
    ("get", "/api/ibkr/account"),
    ("get", "/api/ibkr/positions"),
    ("get", "/api/ibkr/orders"),
    ("post", "/api/ibkr/order"),
    ("get", "/api/ibkr/order/{id}"),
    ("put", "/api/ibkr/order/{id}"),
    ("delete", "/api/ibkr/order/{id}"),
    ("post", "/api/ibkr/order/{id}/settle"),
    ("get", "/api/ibkr/quote"),
    ("get", "/api/strategies"),
    ("get", "/api/strategies/{name}"),
    ("post", "/api/strategies/{name}/enable"),
    ("post", "/api/strategies/{name}/disable"),
    ("post", "/api/strategies/{name}/reload"),
    ("get", "/api/signals"),
    ("post", "/api/trading/halt"),
    ("post", "/api/trading/resume"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_exactly_the_served_routes() {
    let api = ApiRig::start(Rig::new(SimConfig::ephemeral()).await, "").await;
    let (status, doc) = api.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);

    // Each documented route is served: whatever it answers, it is not the fallback's
    // `no-route` (nor 405, a method the path does not serve).
    for (method, path) in &documented {
        if path == "/api/events" {
            continue; // a stream that never ends; the beyond test reads it
        }
        let concrete = path.replace("{id}", "1").replace("{name}", "none");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = api
            .http
            .request(method.clone(), api.url(&concrete))
            .bearer_auth(TRADE)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(body["code"], "no-route", "{method} {concrete}");
        assert_ne!(
            status,
            reqwest::StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}"
        );
    }
    // And the one that is not documented is not served.
    let (status, body) = api
        .call(Method::GET, "/api/ibkr/secret", Some(TRADE), None)
        .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "no-route");
    api.stop();
}
