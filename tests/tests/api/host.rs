//! `sandtrade run`'s API (`sandtrade::host`): served on the configuration's `api_address` with its
//! `[[api.tokens]]`, and refused before anything starts when open to the network without one.

use reqwest::StatusCode;
use sandtrade::host;
use sandtrade_tests::rig::{Rig, WAIT};
use sandtrade_trading::{ConnectionState, Options};
use tws_sim::SimConfig;

const OPS: &str = "ops-read-token-from-config-0123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_the_api_with_the_configured_tokens() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let config = rig.config(&format!(
        "api_address = \"127.0.0.1:0\"\n\
         [[api.tokens]]\nname = \"ops\"\nscope = \"read\"\ntoken = \"{OPS}\"\n"
    ));
    let host = host::start(config, Options::default(), std::future::pending())
        .await
        .expect("the host starts");
    let addr = host.api.as_ref().expect("api_address is set").addr;
    let mut status = host.trading.watch_status();
    tokio::time::timeout(
        WAIT,
        status.wait_for(|s| s.connection.state == ConnectionState::Connected),
    )
    .await
    .expect("connected in time")
    .expect("the trading loop runs");

    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/ibkr/status");
    let answer = http.get(&url).bearer_auth(OPS).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["connected"], true);
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // The configured token has scope `read`: it cannot halt.
    let halt = http
        .post(format!("http://{addr}/api/trading/halt"))
        .bearer_auth(OPS)
        .json(&serde_json::json!({"reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(halt.status(), StatusCode::FORBIDDEN);

    // The API ends with the trading loop.
    host.trading.shutdown();
    host.stopped().await.expect("a clean stop");
    assert!(http.get(&url).bearer_auth(OPS).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refuses_an_open_address_without_tokens_before_starting() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let config = rig.config("api_address = \"0.0.0.0:0\"\n");
    let refused = host::start(config, Options::default(), std::future::pending())
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "refusing to serve the API on 0.0.0.0:0 without tokens: anyone who can reach it could \
         trade. Add [[api.tokens]] to the configuration or set SANDTRADE_API_TOKEN, or bind \
         127.0.0.1"
    );
    // Nothing started: the trading thread never opened its database.
    assert!(!rig.database().exists());
}
