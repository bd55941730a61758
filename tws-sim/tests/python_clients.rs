//! IB's own Python client (ibapi-latest 10.51.1, protobuf at 226) and ib_async 2.1.0 (text at
//! 178) against the simulator: a market order to Filled with its execution and commission,
//! positions (the shares bought and an option the account holds on the same symbol, each
//! with its security type), account summary, account values and the account's P&L
//! subscription; IB's bracket order (parent, take-profit, stop-loss) with IB's client, and a
//! trailing stop limit in an OCA group with ib_async, read back through its own decoder.
//!
//! Python comes from `SANDTRADE_PYTHON`, else `<workspace>/target/venv/bin/python`. Without
//! either the test fails and says how to create the venv: it never passes silently.

mod support;

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use support::*;
use tws_sim::config::{HeldOption, OptionRight};

/// The default simulator, its account also holding two AAPL calls written at 3.50 (a covered
/// call): IB's clients must read them as an option, apart from the AAPL shares.
async fn sim_with_a_covered_call() -> tws_sim::SimHandle {
    let mut config = tws_sim::SimConfig::ephemeral();
    config.accounts[0].option_positions = vec![HeldOption {
        average_cost: 350.0,
        ..HeldOption::us_equity(
            712345678,
            "AAPL",
            "20250117",
            200.0,
            OptionRight::Call,
            -2.0,
        )
    }];
    sim_with(config).await
}

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("SANDTRADE_PYTHON") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "SANDTRADE_PYTHON={} does not exist",
            path.display()
        );
        return path;
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = workspace.join("target/venv/bin/python");
    assert!(
        venv.exists(),
        "no Python for the IB client tests: set SANDTRADE_PYTHON, or create the venv with\n  \
         python3 -m venv target/venv && target/venv/bin/pip install -r tws-sim/tests/python/requirements.txt\n\
         (run from the workspace root {})",
        workspace.display()
    );
    venv
}

/// Runs a script with the given ports as arguments and parses the JSON it prints.
async fn run_script(script: &str, ports: &[u16]) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let child = tokio::process::Command::new(python())
        .arg(&path)
        .args(ports.iter().map(u16::to_string))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the Python client finished within a minute")
        .expect("python ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stderr}",
        output.status
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stderr}"))
}

#[tokio::test]
async fn official_python_client_market_order_to_filled_positions_and_account() {
    let sim = sim_with_a_covered_call().await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let out = run_script("official_client.py", &[sim.addr().port()]).await;

    assert_eq!(out["serverVersion"], 226);
    assert_eq!(out["managedAccounts"], json!(["DU1234567"]));
    assert_eq!(
        (&out["nextValidId"], &out["currentTime"]),
        (&json!(1), &json!(1_736_173_800))
    );
    assert_eq!(
        out["contractDetails"],
        json!([{"conId": 265598, "primaryExchange": "NASDAQ", "longName": "APPLE INC", "minTick": 0.01}])
    );

    let events: Vec<String> = out["orderEvents"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["event"].as_str().unwrap_or(""),
                e["status"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            "openOrder:PreSubmitted",
            "orderStatus:PreSubmitted",
            "execDetails:",
            "openOrder:Filled",
            "orderStatus:Filled",
            "commission:"
        ]
    );
    let e = &out["orderEvents"];
    assert_eq!(
        (&e[0]["permId"], &e[0]["clientId"], &e[0]["orderRef"]),
        (&json!(1_000_000_001), &json!(11), &json!("py-0001"))
    );
    assert_eq!(
        (
            &e[2]["reqId"],
            &e[2]["side"],
            &e[2]["shares"],
            &e[2]["price"],
            &e[2]["orderRef"]
        ),
        (
            &json!(-1),
            &json!("BOT"),
            &json!("100"),
            &json!(190.0),
            &json!("py-0001")
        )
    );
    assert_eq!(
        (&e[4]["filled"], &e[4]["remaining"], &e[4]["avgFillPrice"]),
        (&json!("100"), &json!("0"), &json!(190.0))
    );
    assert_eq!(
        (&e[5]["execId"], &e[5]["commission"], &e[5]["currency"]),
        (&e[2]["execId"], &json!(1.0), &json!("USD"))
    );

    assert_eq!(
        out["positions"],
        json!([
            {"account": "DU1234567", "symbol": "AAPL", "secType": "STK", "conId": 265598,
             "expiry": "", "strike": null, "right": "", "multiplier": "",
             "position": "100", "avgCost": 190.0},
            {"account": "DU1234567", "symbol": "AAPL", "secType": "OPT", "conId": 712345678,
             "expiry": "20250117", "strike": 200.0, "right": "C", "multiplier": "100",
             "position": "-2", "avgCost": 350.0},
        ])
    );
    // The option is held, not valued: the account's numbers are the stock's alone.
    let hkd_in_usd = 1_000_000.0 / 7.8;
    let cash = format!("{:.2}", 1_000_000.0 - 19_001.0 + hkd_in_usd);
    let net = format!("{:.2}", 1_000_000.0 - 19_001.0 + hkd_in_usd + 19_000.0);
    assert_eq!(
        out["accountSummary"],
        json!([
            {"account": "DU1234567", "tag": "NetLiquidation", "value": net, "currency": "USD"},
            {"account": "DU1234567", "tag": "TotalCashValue", "value": cash, "currency": "USD"},
        ])
    );
    assert_eq!(out["accountValues"]["CashBalance/USD"], "980999.00");
    assert_eq!(out["accountValues"]["StockMarketValue/USD"], "19000.00");
    assert_eq!(
        out["portfolio"],
        json!([{"symbol": "AAPL", "position": "100", "marketValue": 19000.0}])
    );
    assert_eq!(out["executions"].as_array().map(Vec::len), Some(1));
    assert_eq!(out["executions"][0]["execId"], e[2]["execId"]);
    // The day's P&L since the start: the commission; the position is worth what it cost.
    assert_eq!(
        out["pnl"],
        json!({"reqId": 7004, "daily": -1.0, "unrealized": 0.0, "realized": 0.0})
    );
    assert_eq!(out["errors"], json!([]));
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 100.0);
}

/// One event as `name:orderId:status` (execDetails with `shares@price`).
fn order_event(e: &Value) -> String {
    let name = e["event"].as_str().unwrap_or("");
    match name {
        "execDetails" => format!(
            "{name}:{}:{}@{}",
            e["orderId"],
            e["shares"].as_str().unwrap_or(""),
            e["price"]
        ),
        "commission" => format!("{name}:{}", e["commission"]),
        _ => format!(
            "{name}:{}:{}",
            e["orderId"],
            e["status"].as_str().unwrap_or("")
        ),
    }
}

#[tokio::test]
async fn official_python_client_bracket_parent_fills_then_the_stop_loss_cancels_the_take_profit() {
    let sim = sim_with(tws_sim::SimConfig {
        control_port: Some(0),
        ..still_config()
    })
    .await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let control = sim.control_addr().expect("control interface").port();
    let out = run_script("official_bracket.py", &[sim.addr().port(), control]).await;
    let events = |phase: &str| -> Vec<String> {
        out[phase]
            .as_array()
            .expect("events")
            .iter()
            .map(order_event)
            .collect()
    };
    // The last order (transmit=true) sent the bracket: the parent works, its children wait.
    assert_eq!(
        events("placed"),
        [
            "openOrder:1:Submitted",
            "orderStatus:1:Submitted",
            "openOrder:2:PreSubmitted",
            "orderStatus:2:PreSubmitted",
            "openOrder:3:PreSubmitted",
            "orderStatus:3:PreSubmitted",
        ]
    );
    assert_eq!(
        (&out["placed"][2]["parentId"], &out["placed"][5]["parentId"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(out["placed"][4]["orderType"], "STP");
    assert_eq!(
        events("parentFilled"),
        [
            "execDetails:1:100@189.0",
            "openOrder:1:Filled",
            "orderStatus:1:Filled",
            "commission:1.0",
            "openOrder:2:Submitted",
            "orderStatus:2:Submitted",
        ]
    );
    assert_eq!(
        events("stopped"),
        [
            "execDetails:3:100@184.5",
            "openOrder:3:Filled",
            "orderStatus:3:Filled",
            "commission:1.0",
            "orderStatus:2:Cancelled",
        ]
    );
    assert_eq!(
        out["errors"],
        json!([{"id": 2, "code": 202, "message": "Order Canceled - reason:"}])
    );
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
    assert_eq!(sim.cash(ACCOUNT, "USD"), 1_000_000.0 - 450.0 - 2.0);
}

#[tokio::test]
async fn ib_async_over_the_text_dialect_places_a_trailing_stop_limit_and_reads_it_back() {
    let sim = sim_with(still_config()).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let out = run_script("ib_async_protective.py", &[sim.addr().port()]).await;
    assert_eq!(out["status"], "PreSubmitted");
    // The stop starts 2 under the last price: the trailing amount was read from auxPrice.
    assert_eq!(
        out["open"],
        json!([{"orderType": "TRAIL LIMIT", "auxPrice": 2.0,
                "trailStopPrice": 188.0, "lmtPriceOffset": 0.5, "ocaGroup": "ia-oca",
                "ocaType": 3, "parentId": 0, "status": "PreSubmitted"}])
    );
    // It trails, then triggers: a limit at 191 − 0.5 that the last price 191 fills.
    sim.set_price("AAPL", 193.0).expect("AAPL");
    sim.set_price("AAPL", 191.0).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), -10.0);
}

#[tokio::test]
async fn ib_async_over_the_text_dialect_market_order_to_filled_positions_and_account() {
    let sim = sim_with_a_covered_call().await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let out = run_script("ib_async_client.py", &[sim.addr().port()]).await;

    assert_eq!(
        out["serverVersion"], 178,
        "ib_async offers v157..178: text dialect"
    );
    assert_eq!(out["accounts"], json!(["DU1234567"]));
    assert_eq!(
        out["contractDetails"],
        json!([{"conId": 265598, "primaryExchange": "NASDAQ", "longName": "APPLE INC"}])
    );
    let order = &out["order"];
    assert_eq!(
        (
            &order["status"],
            &order["filled"],
            &order["remaining"],
            &order["avgFillPrice"],
            &order["permId"]
        ),
        (
            &json!("Filled"),
            &json!(100.0),
            &json!(0.0),
            &json!(190.0),
            &json!(1_000_000_001)
        )
    );
    assert_eq!(
        order["log"],
        json!(["PendingSubmit", "PreSubmitted", "PreSubmitted", "Filled"])
    );
    let fills = out["fills"].as_array().expect("fills");
    assert_eq!(fills.len(), 1);
    assert_eq!(
        (
            &fills[0]["side"],
            &fills[0]["shares"],
            &fills[0]["price"],
            &fills[0]["orderRef"],
            &fills[0]["commission"]
        ),
        (
            &json!("BOT"),
            &json!(100.0),
            &json!(190.0),
            &json!("ia-0001"),
            &json!(1.0)
        )
    );
    assert_eq!(out["commission"]["execId"], fills[0]["execId"]);
    assert_eq!(out["commission"]["currency"], "USD");
    assert_eq!(
        out["positions"],
        json!([
            {"account": "DU1234567", "symbol": "AAPL", "secType": "STK", "class": "Stock",
             "conId": 265598, "expiry": "", "strike": 0.0, "right": "", "multiplier": "",
             "position": 100.0, "avgCost": 190.0},
            {"account": "DU1234567", "symbol": "AAPL", "secType": "OPT", "class": "Option",
             "conId": 712345678, "expiry": "20250117", "strike": 200.0, "right": "C",
             "multiplier": "100", "position": -2.0, "avgCost": 350.0},
        ])
    );
    assert_eq!(
        out["portfolio"],
        json!([{"symbol": "AAPL", "position": 100.0, "marketValue": 19000.0}])
    );
    let hkd_in_usd = 1_000_000.0 / 7.8;
    let cash = format!("{:.2}", 1_000_000.0 - 19_001.0 + hkd_in_usd);
    let net = format!("{:.2}", 1_000_000.0 - 19_001.0 + hkd_in_usd + 19_000.0);
    assert_eq!(
        out["accountValues"],
        json!({"CashBalance/USD": "980999.00", "StockMarketValue/USD": "19000.00", "NetLiquidation/USD": net})
    );
    assert_eq!(
        out["summary"],
        json!({"NetLiquidation/USD": net, "TotalCashValue/USD": cash})
    );
    assert_eq!(
        out["pnl"],
        json!({"daily": -1.0, "unrealized": 0.0, "realized": 0.0})
    );
    assert_eq!(out["errors"], json!([]));
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 100.0);
}

#[tokio::test]
async fn ib_async_over_the_text_dialect_ticks_cancels_limits_bars_and_history() {
    let sim = sim_with(tws_sim::SimConfig {
        control_port: Some(0),
        ..tws_sim::SimConfig::ephemeral()
    })
    .await;
    let control = sim.control_addr().expect("control port").port();
    let out = run_script("ib_async_market.py", &[sim.addr().port(), control]).await;

    assert_eq!(out["conId"], 265598);
    assert_eq!(
        out["snapshot"],
        json!({"bid": 189.99, "ask": 190.01, "last": 190.0, "close": 190.0})
    );
    assert_eq!(out["cancelled"], "Cancelled");
    assert_eq!(
        out["limitFill"],
        json!({"status": "Filled", "avgFillPrice": 185.25, "fills": [[10.0, 185.25, "ia-limit"]], "commission": 1.0})
    );
    let bar = &out["realTimeBar"];
    assert_eq!(
        (&bar["time"], &bar["end"], &bar["count"]),
        (&json!(1_736_173_800), &json!(1_736_173_805), &json!(5))
    );
    assert_eq!(bar["close"], json!(sim.price("AAPL").expect("AAPL")));
    assert_eq!(
        out["history"],
        json!({"bars": 10, "first": "2025-01-06 09:20:00-05:00", "last": "2025-01-06 09:29:00-05:00"})
    );
    assert_eq!(out["executions"], json!([["BOT", 10.0, 185.25]]));
    assert_eq!(out["openOrders"], 0);
    assert_eq!(
        out["errors"],
        json!([202]),
        "the cancel's 202, nothing else"
    );
}
