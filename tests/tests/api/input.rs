//! Bad input: every body validated, unknown fields refused, the same error shape throughout.

use reqwest::{Method, StatusCode};
use sandtrade_tests::rig::Rig;
use serde_json::{Value, json};
use tws_sim::SimConfig;

use crate::rig::{ApiRig, READ, TRADE, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_queries_and_paths_get_clear_errors() {
    let api = ApiRig::start(Rig::new(SimConfig::ephemeral()).await, "").await;
    let order = |extra: Value| {
        let mut body = json!({"symbol": "AAPL", "side": "buy", "quantity": 1});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(&str, Value, StatusCode, &str, &str)> = vec![
        (
            "/api/ibkr/order",
            order(json!({"colour": "red"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "unknown field `colour`",
        ),
        (
            "/api/ibkr/order",
            order(json!({"side": "short"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "unknown variant `short`, expected `buy` or `sell`",
        ),
        (
            "/api/ibkr/order",
            order(json!({"quantity": 1.5})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "quantity",
        ),
        (
            "/api/ibkr/order",
            order(json!({"quantity": -1})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "quantity",
        ),
        (
            "/api/ibkr/order",
            order(json!({"quantity": 0})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "quantity must be at least 1",
        ),
        (
            "/api/ibkr/order",
            order(json!({"price": 10})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "price is only for limit orders: add \"orderType\": \"limit\" or drop price",
        ),
        (
            "/api/ibkr/order",
            order(json!({"orderType": "limit"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "a limit order needs a price",
        ),
        (
            "/api/ibkr/order",
            order(json!({"orderType": "limit", "price": -3})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "price = -3: must be a positive number",
        ),
        (
            "/api/ibkr/order",
            order(json!({"orderType": "stop"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "a stop order needs stopPrice",
        ),
        (
            "/api/ibkr/order",
            order(json!({"stopPrice": 190})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "stopPrice does not apply to a market order",
        ),
        (
            "/api/ibkr/order",
            order(json!({"orderType": "stop", "stopPrice": 190, "price": 189})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "price does not apply to a stop order",
        ),
        (
            "/api/ibkr/order",
            order(json!({"orderType": "stop_limit", "stopPrice": 0, "price": 189})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "stopPrice = 0: must be a positive number",
        ),
        (
            "/api/ibkr/order",
            order(json!({"orderType": "trailing_stop", "trailingAmount": 1, "trailingPercent": 2})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "give trailingAmount or trailingPercent, not both",
        ),
        (
            "/api/ibkr/order",
            order(json!({"tif": "GTD"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "unknown variant `GTD`",
        ),
        (
            "/api/ibkr/order",
            order(json!({"marketType": "HShare"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "symbol \"AAPL\" is a USStock symbol, but marketType is HShare (US: \"AAPL\"; HK: \"0700.HK\", \"00700\" or \"700\")",
        ),
        (
            "/api/ibkr/order",
            order(json!({"symbol": "@@@"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-symbol",
            "@@@",
        ),
        (
            "/api/ibkr/order",
            order(json!({"strategy": " "})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "strategy is empty",
        ),
        (
            "/api/ibkr/order",
            json!({"symbol": "AAPL"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "missing field `side`",
        ),
        (
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": 70000, "clientId": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "port",
        ),
        (
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": 7497, "clientId": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "clientId = -1: must be 0 or more",
        ),
        (
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": 7497, "clientId": 1, "password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "unknown field `password`",
        ),
        (
            "/api/ibkr/connect",
            json!({"host": "127.0.0.1", "port": 7497, "clientId": 1, "account": "DU 1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "account: expected an IB account id like \"DU1234567\"",
        ),
        (
            "/api/trading/halt",
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "missing field `reason`",
        ),
        (
            "/api/trading/halt",
            json!({"reason": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "reason is empty: say why (it is shown in every refusal)",
        ),
    ];
    for (path, body, status, want_code, says) in cases {
        let (got, answer) = api
            .call(Method::POST, path, Some(TRADE), Some(body.clone()))
            .await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert_eq!(code(&answer), want_code, "{path} {body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(
            error.contains(says),
            "{path} {body}: {error:?} should say {says:?}"
        );
        assert!(
            answer.get("detail").is_some(),
            "every error has a detail field"
        );
    }

    // Not JSON, and JSON without its content type.
    let response = api
        .http
        .post(api.url("/api/ibkr/order"))
        .bearer_auth(TRADE)
        .header("Content-Type", "application/json")
        .body("{\"symbol\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        code(&response.json::<Value>().await.unwrap()),
        "invalid-json"
    );
    let response = api
        .http
        .post(api.url("/api/ibkr/order"))
        .bearer_auth(TRADE)
        .body(r#"{"symbol": "AAPL", "side": "buy", "quantity": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        code(&response.json::<Value>().await.unwrap()),
        "unsupported-media-type"
    );

    // Queries and paths.
    for (path, status, want_code) in [
        (
            "/api/signals?colour=red",
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        (
            "/api/signals?verdict=maybe",
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        (
            "/api/signals?limit=-1",
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        ("/api/ibkr/quote", StatusCode::BAD_REQUEST, "invalid-query"),
        (
            "/api/ibkr/quote?symbol=AAPL&marketType=Bond",
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        (
            "/api/ibkr/quote?symbol=700&marketType=USStock",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "/api/ibkr/order/abc",
            StatusCode::BAD_REQUEST,
            "invalid-path",
        ),
        ("/api/ibkr/order/424242", StatusCode::NOT_FOUND, "not-found"),
        ("/api/strategies/nope", StatusCode::NOT_FOUND, "not-found"),
        ("/api/nothing-here", StatusCode::NOT_FOUND, "no-route"),
    ] {
        let (got, answer) = api.call(Method::GET, path, Some(READ), None).await;
        assert_eq!(got, status, "{path}: {answer}");
        assert_eq!(code(&answer), want_code, "{path}: {answer}");
    }
    // Nothing above reached the queue.
    assert_eq!(api.get("/api/ibkr/orders").await.1, json!([]));
    assert_eq!(api.get("/api/signals").await.1, json!([]));
    api.stop();
}
