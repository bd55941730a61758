//! Tokens and scopes: `read` for GET, `trade` for everything else; public routes need none.

use reqwest::{Method, StatusCode};
use sandtrade_api::{self as api, AuthError, ServeError, Tokens};
use sandtrade_tests::rig::Rig;
use serde_json::json;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, READ, TRADE, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_the_token_and_its_scope() {
    let api = ApiRig::start(Rig::new(SimConfig::ephemeral()).await, "").await;

    // No token, an unknown one, a malformed header: 401 with the challenge.
    for token in [None, Some("not-a-known-token-000000")] {
        let (status, body) = api.call(Method::GET, "/api/ibkr/status", token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&body), "unauthorized");
    }
    let response = api
        .http
        .get(api.url("/api/ibkr/positions"))
        .header("Authorization", format!("Basic {TRADE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");

    // A read token reads, and may change nothing.
    for path in [
        "/api/ibkr/status",
        "/api/ibkr/orders",
        "/api/strategies",
        "/metrics",
    ] {
        let (status, _) = api.call(Method::GET, path, Some(READ), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let mutations = [
        (
            Method::POST,
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 1}),
        ),
        (Method::POST, "/api/ibkr/disconnect", json!({})),
        (
            Method::POST,
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": 1, "clientId": 1}),
        ),
        (Method::DELETE, "/api/ibkr/order/1", json!({})),
        (Method::POST, "/api/trading/halt", json!({"reason": "x"})),
        (Method::POST, "/api/trading/resume", json!({})),
        (Method::POST, "/api/strategies/x/enable", json!({})),
        (Method::POST, "/api/strategies/x/disable", json!({})),
        (Method::POST, "/api/strategies/x/reload", json!({})),
    ];
    for (method, path, body) in &mutations {
        let (status, answer) = api
            .call(method.clone(), path, Some(READ), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            answer["error"],
            format!("token \"viewer\" has scope `read`; {method} {path} needs `trade`")
        );
    }
    // Nothing happened: still connected, not halted, no order.
    let (_, status) = api.get("/api/ibkr/status").await;
    assert_eq!(status["connected"], true);
    assert_eq!(status["halted"], serde_json::Value::Null);
    assert_eq!(api.get("/api/ibkr/orders").await.1, json!([]));

    // A trade token does both.
    let (status, _) = api
        .call(Method::GET, "/api/ibkr/status", Some(TRADE), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .post("/api/trading/halt", json!({"reason": "scope test"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"halted": true, "reason": "operator: scope test"})
    );
    let (status, _) = api.post("/api/trading/resume", json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // Public: health, the document, the page.
    for path in [
        "/healthz",
        "/api/openapi.json",
        "/",
        "/assets/app.js",
        "/assets/style.css",
    ] {
        let (status, _) = api.call(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    api.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_address_without_tokens_is_refused_at_start() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let host = rig.start("").await;
    let refused = api::serve(
        "0.0.0.0:0".parse().unwrap(),
        host.clone(),
        Tokens::none(),
        &rig.database(),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        &refused,
        ServeError::Auth(AuthError::OpenToTheNetwork(addr)) if addr.to_string() == "0.0.0.0:0"
    ));
    assert_eq!(
        refused.to_string(),
        "refusing to serve the API on 0.0.0.0:0 without tokens: anyone who can reach it could \
         trade. Add [[api.tokens]] to the configuration or set SANDTRADE_API_TOKEN, or bind \
         127.0.0.1"
    );
    // Loopback without tokens starts (and refuses every protected request).
    let server = api::serve(
        "127.0.0.1:0".parse().unwrap(),
        host,
        Tokens::none(),
        &rig.database(),
        std::future::pending(),
    )
    .await
    .expect("loopback without tokens starts");
    let status = reqwest::get(format!("http://{}/api/ibkr/status", server.addr))
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
