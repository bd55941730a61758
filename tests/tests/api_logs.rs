//! No token or account secret reaches a log: every log line of a whole API session, at the
//! most verbose level, is captured and searched.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use sandtrade_api::{self as api, Scope, Tokens};
use sandtrade_tests::rig::{Rig, wait_for};
use sandtrade_trading::TradingEvent;
use serde_json::json;
use tws_sim::SimConfig;

/// Every log line written, shared with the subscriber's writer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const TRADE: &str = "secret-trade-token-5f1c9a7e";
const WRONG: &str = "wrong-token-guess-8d2b6c40";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_a_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let rig = Rig::new(SimConfig::ephemeral()).await;
    let host = rig.start("").await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    let tokens = Tokens::none().with("ops", Scope::Trade, TRADE).unwrap();
    let server = api::serve(
        "127.0.0.1:0".parse().unwrap(),
        host.clone(),
        tokens,
        &rig.database(),
        std::future::pending(),
    )
    .await
    .unwrap();
    let url = |p: &str| format!("http://{}{p}", server.addr);
    let http = reqwest::Client::new();

    let ok = http
        .get(url("/api/ibkr/status"))
        .bearer_auth(TRADE)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let refused = http
        .get(url("/api/ibkr/status"))
        .bearer_auth(WRONG)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let order = http
        .post(url("/api/ibkr/order"))
        .bearer_auth(TRADE)
        .json(&json!({"symbol": "AAPL", "side": "buy", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), StatusCode::CREATED);
    // A connect with the IBKR REST examples' body, account included.
    let connect = http
        .post(url("/api/ibkr/connect"))
        .bearer_auth(TRADE)
        .json(
            &json!({"host": "127.0.0.1", "port": rig.sim.addr().port(), "clientId": 3,
                      "account": "DU1234567"}),
        )
        .send()
        .await
        .unwrap();
    let connect_status = connect.status();
    assert_eq!(
        connect_status,
        StatusCode::OK,
        "{}",
        connect.text().await.unwrap()
    );

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("REST API and status page listening"),
        "the capture works:\n{logs}"
    );
    assert!(
        logs.contains("manual order accepted"),
        "the capture sees the trading thread"
    );
    for secret in [TRADE, WRONG, "Bearer", "authorization"] {
        assert!(
            !logs.to_lowercase().contains(&secret.to_lowercase()),
            "{secret:?} was logged:\n{logs}"
        );
    }
}
