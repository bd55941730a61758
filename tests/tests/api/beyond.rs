//! Beyond `/api/ibkr`: strategies, the signal log, halt/resume, health, metrics, the event stream.

use reqwest::StatusCode;
use sandtrade_tests::rig::Rig;
use sandtrade_trading::TradingEvent;
use serde_json::json;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, READ, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategies_signals_halt_metrics_and_events() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    rig.add_strategy("metronome", Some("[params]\nevery = 1\nsignals = 1\n"));
    let api = ApiRig::start(rig, "[market_data]\nwarmup_bars = 0\n").await;
    let mut events = api.host.subscribe();
    // Subscriptions are made right after reconciliation; a round trip makes sure they were.
    assert_eq!(api.host.status().await.unwrap().subscriptions, ["AAPL"]);

    // One bar: metronome tries add-long (refused while flat), then open-long (accepted).
    api.rig.sim.step_bar();
    let id = api
        .wait_event(&mut events, |e| match e {
            TradingEvent::OrderSent { id, .. } => Some(*id),
            _ => None,
        })
        .await;
    api.rig.sim.step(1);
    api.wait_event(&mut events, |e| {
        matches!(e, TradingEvent::Fill { id: i, .. } if *i == id).then_some(())
    })
    .await;

    let (status, body) = api.get("/api/strategies").await;
    assert_eq!(status, StatusCode::OK);
    let strategies = body.as_array().unwrap();
    assert_eq!(strategies.len(), 1);
    let s = &strategies[0];
    assert_eq!(s["name"], "metronome");
    assert_eq!(s["state"], "running");
    assert_eq!(s["metadata"]["symbols"], json!(["AAPL"]));
    assert_eq!(s["metadata"]["bar_seconds"], 5);
    assert_eq!(s["wasm_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(s["counters"]["bars"], 1);
    assert_eq!(s["counters"]["signals"], 2);
    assert_eq!(s["counters"]["rejected"], 1);
    assert_eq!(s["counters"]["fills"], 1);
    assert_eq!(s["last_error"], serde_json::Value::Null);

    let (_, body) = api
        .post("/api/strategies/metronome/disable", json!({}))
        .await;
    assert_eq!(body["state"], "disabled");
    let (_, body) = api
        .post("/api/strategies/metronome/enable", json!({}))
        .await;
    assert_eq!(body["state"], "running");
    let (status, body) = api
        .post("/api/strategies/metronome/reload", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "metronome");
    let (status, body) = api.post("/api/strategies/ghost/disable", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not found: strategy ghost");

    // The signal log: newest first, with verdicts and what became of the order.
    let (_, body) = api.get("/api/signals?strategy=metronome").await;
    let rows = body.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    assert_eq!(rows[0]["id"], id);
    assert_eq!(rows[0]["action"], "open-long");
    assert_eq!(rows[0]["verdict"], "accepted");
    assert_eq!(rows[0]["order_state"], "filled");
    assert_eq!(rows[0]["filled"], 1);
    assert_eq!(rows[1]["action"], "add-long");
    assert_eq!(rows[1]["verdict"], "rejected");
    assert_eq!(rows[1]["reject_code"], "position-limit");
    let (_, body) = api.get("/api/signals?verdict=rejected").await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    let (_, body) = api.get("/api/signals?symbol=0700.HK").await;
    assert_eq!(body, json!([]));
    let (_, body) = api.get("/api/signals?symbol=AAPL&limit=1").await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], id);

    // A manual order refused by risk is in the log too (700 trades in lots of 100).
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "700", "side": "buy", "quantity": 50, "marketType": "HShare"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&body), "lot-size");
    let (_, body) = api.get("/api/signals?strategy=manual").await;
    assert_eq!(body[0]["verdict"], "rejected");
    assert_eq!(body[0]["reject_code"], "lot-size");
    assert_eq!(body[0]["symbol"], "700");

    // Halt: manual orders are refused with the reason, then resume.
    let (_, body) = api
        .post("/api/trading/halt", json!({"reason": "maintenance"}))
        .await;
    assert_eq!(
        body,
        json!({"halted": true, "reason": "operator: maintenance"})
    );
    let (status, body) = api
        .post(
            "/api/ibkr/order",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&body), "trading-halted");
    // The published status (what the event stream carries) follows the switch at once.
    let mut watch = api.host.watch_status();
    tokio::time::timeout(
        sandtrade_tests::rig::WAIT,
        watch.wait_for(|s| s.halted.as_deref() == Some("operator: maintenance")),
    )
    .await
    .expect("the halt is published")
    .unwrap();
    assert_eq!(
        api.get("/api/ibkr/status").await.1["halted"],
        "operator: maintenance"
    );
    let (_, body) = api.post("/api/trading/resume", json!({})).await;
    assert_eq!(body, json!({"halted": false, "reason": null}));

    let (status, body) = api.call(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));

    // Metrics: the same numbers, in Prometheus's text format.
    let response = api
        .http
        .get(api.url("/metrics"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    for line in [
        "sandtrade_ib_connected 1",
        "sandtrade_ib_connection_state{state=\"connected\"} 1",
        "sandtrade_ib_connects_total 1",
        "sandtrade_orders{state=\"queued\"} 0",
        "sandtrade_signals_accepted_total 1",
        "sandtrade_signals_rejected_total{code=\"position-limit\"} 1",
        "sandtrade_signals_rejected_total{code=\"lot-size\"} 1",
        "sandtrade_strategy_up{strategy=\"metronome\",state=\"running\"} 1",
        "sandtrade_strategy_signals_total{strategy=\"metronome\"} 2",
        "sandtrade_strategy_fills_total{strategy=\"metronome\"} 1",
        "sandtrade_position_drift_symbols 0",
        "sandtrade_trading_halted 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
    assert!(text.contains("# TYPE sandtrade_strategy_call_seconds_total counter"));

    // The event stream: a status picture first, then trading events as they happen.
    let mut stream = api
        .http
        .get(api.url("/api/events"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    let first = tokio::time::timeout(sandtrade_tests::rig::WAIT, stream.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    seen.push_str(std::str::from_utf8(&first).unwrap());
    assert!(
        seen.starts_with("event: status\ndata: {\"connected\":true,"),
        "{seen}"
    );
    api.post("/api/ibkr/disconnect", json!({})).await;
    while !seen.contains("event: trading\ndata: {\"event\":\"disconnected\",\"reason\":\"disconnected by the operator\"}") {
        let chunk = tokio::time::timeout(sandtrade_tests::rig::WAIT, stream.chunk()).await.unwrap().unwrap().unwrap();
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    api.stop();
}
