//! The status page in a real browser (Debian's chromium, driven through chromedriver): it
//! loads against `sandtrade demo`, shows the demo's strategies, and updates live.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`cargo xtask test` installs them, and
//! fails when it cannot). Without them this test fails, unless a developer ran
//! `cargo xtask test --allow-no-browser` (which sets `SANDTRADE_NO_BROWSER=1`): then it prints
//! that it did not run. CI never passes that flag.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder};
use sandtrade::demo::{self, DemoOptions};
use serde_json::{Value, json};

/// chromedriver on a port of its choosing; killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let mut child = Command::new(xtask::browser::CHROMEDRIVER)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver; `cargo xtask test` does)");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("chromedriver says where it listens")
                .expect("readable");
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                break rest.trim_end_matches('.').trim().parse().expect("a port");
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": xtask::browser::CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--window-size=1400,1000",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// Waits in the page until `predicate` (a function body) returns something other than
/// `null`, and returns it: checked at once, then on every change of the document (a
/// `MutationObserver`), so the wait ends on the event itself, bounded by the WebDriver
/// script timeout.
async fn until(client: &Client, predicate: &str) -> Value {
    const WAITER: &str = r#"
        const check = new Function(arguments[0]);
        const done = arguments[arguments.length - 1];
        const first = check();
        if (first !== null) { done(first); return; }
        const observer = new MutationObserver(() => {
            const value = check();
            if (value !== null) { observer.disconnect(); done(value); }
        });
        observer.observe(document.documentElement,
            { subtree: true, childList: true, characterData: true, attributes: true });
    "#;
    client
        .execute_async(WAITER, vec![Value::String(predicate.to_owned())])
        .await
        .unwrap_or_else(|e| panic!("waiting for `{predicate}`: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_the_demo_and_updates_live() {
    if !xtask::browser::installed() && std::env::var_os(xtask::browser::NO_BROWSER_ENV).is_some() {
        eprintln!(
            "\n*** NOT RUN: the status page's browser test: chromium and chromium-driver are \
             missing, and the run allowed that (`cargo xtask test --allow-no-browser`) ***\n"
        );
        return;
    }
    let built = sandtrade_tests::guests::wasm("ma-crossover");
    let dir = tempfile::tempdir().unwrap();
    let mut options = DemoOptions::new(&xtask::workspace_root());
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.sim_port = 0;
    options.strategies = built.parent().unwrap().to_owned();
    options.dir = dir.path().join("demo");
    let demo = demo::start(options).await.expect("the demo starts");

    let driver = Driver::start();
    let client = browser(&driver, &dir.path().join("profile")).await;
    client
        .goto(&format!("http://{}/#token={}", demo.api, demo.token))
        .await
        .unwrap();

    // The token left the address bar for the tab's storage.
    let url = client.current_url().await.unwrap();
    assert_eq!(url.as_str(), format!("http://{}/", demo.api));

    let names = until(
        &client,
        "const n = [...document.querySelectorAll('#strategies tbody tr')].map(r => r.dataset.name).sort(); \
         return n.length === 5 ? n : null;",
    )
    .await;
    assert_eq!(
        names,
        json!([
            "hk_breakout",
            "ma_crossover",
            "pullback_bracket",
            "scale_in_out",
            "trend_stop"
        ])
    );
    until(
        &client,
        "return document.getElementById('connection-state').textContent === 'connected' || null;",
    )
    .await;

    // Where each contract's bars come from: the demo's tws-sim serves live data.
    let data = until(
        &client,
        "const t = document.getElementById('market-data').textContent; \
         return t.includes('AAPL live') ? t : null;",
    )
    .await;
    assert!(!data.as_str().unwrap().contains("failed"), "{data}");

    // The account's P&L as IB (here the embedded tws-sim) reports it.
    let pnl = until(
        &client,
        "const t = document.getElementById('account-pnl').textContent; \
         return t.startsWith('today ') ? t : null;",
    )
    .await;
    assert!(pnl.as_str().unwrap().contains("drawdown"), "{pnl}");

    // Live: the status time moves on by itself (server-sent events, no reload).
    let at = "return Number(document.getElementById('status-at').dataset.atMs || 0)";
    let first = until(
        &client,
        &format!("const t = (() => {{ {at} }})(); return t > 0 ? t : null;"),
    )
    .await;
    let first = first.as_f64().unwrap();
    let later = until(
        &client,
        &format!("const t = (() => {{ {at} }})(); return t > {first} ? t : null;"),
    )
    .await;
    assert!(later.as_f64().unwrap() > first);

    // Places an order through the demo's API and returns the answer.
    let place = |order: Value| {
        let request = reqwest::Client::new()
            .post(format!("http://{}/api/ibkr/order", demo.api))
            .bearer_auth(&demo.token)
            .json(&order);
        async move {
            let answer: Value = request.send().await.unwrap().json().await.unwrap();
            answer
        }
    };

    // An order placed through the API appears in the page's signal table.
    let answer =
        place(json!({"symbol": "AAPL", "side": "buy", "quantity": 10, "marketType": "USStock"}))
            .await;
    let id = answer["orderId"].as_u64().expect("the order is accepted");
    let row = until(
        &client,
        &format!("const r = document.querySelector('#signals tbody tr[data-id=\"{id}\"]'); return r ? r.innerText : null;"),
    )
    .await;
    let row = row.as_str().unwrap();
    assert!(
        row.contains("manual")
            && row.contains("open-long")
            && row.contains("AAPL")
            && row.contains("accepted"),
        "{row}"
    );

    // Once the buy has filled, a stop-loss under it rests at the venue and the open orders
    // show it with its type, trigger and time in force.
    until(
        &client,
        &format!("const r = document.querySelector('#signals tbody tr[data-id=\"{id}\"]'); return r && r.innerText.includes('filled') || null;"),
    )
    .await;
    let answer = place(json!({"symbol": "AAPL", "side": "sell", "quantity": 10,
                              "orderType": "stop", "stopPrice": 1.0, "tif": "GTC"}))
    .await;
    let stop = answer["orderId"]
        .as_u64()
        .expect("the stop-loss is accepted");
    let row = until(
        &client,
        &format!("const r = document.querySelector('#orders tbody tr[data-id=\"{stop}\"]'); return r ? r.innerText : null;"),
    )
    .await;
    assert!(row.as_str().unwrap().contains("stop 1 GTC"), "{row}");

    if let Ok(path) = std::env::var("SANDTRADE_PAGE_SCREENSHOT") {
        std::fs::write(path, client.screenshot().await.unwrap()).unwrap();
    }
    client.close().await.unwrap();
    demo.stop().await;
}
