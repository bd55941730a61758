//! An API over a live host: tws-sim (manual clock), the trading thread, and the REST API on
//! 127.0.0.1 (port 0), with one `trade` and one `read` token; and an HTTP client.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use sandtrade::host;
use sandtrade_api::{self as api, Scope, Tokens};
use sandtrade_tests::rig::{Rig, WAIT, wait_for};
use sandtrade_trading::{ConnectionState, Options, TradingEvent, TradingHandle};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const TRADE: &str = "test-trade-token-0123456789";
pub const READ: &str = "test-read-token-0123456789";

pub struct ApiRig {
    pub rig: Rig,
    pub host: TradingHandle,
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    stop: CancellationToken,
}

impl ApiRig {
    /// The host started with `extra` configuration (see `Rig::config_text`), connected and
    /// reconciled, and the API serving it.
    pub async fn start(rig: Rig, extra: &str) -> Self {
        let host = rig.start(extra).await;
        connected(&host).await;
        Self::serve(rig, host).await
    }

    /// `sandtrade run`'s host (`sandtrade::host::start`) with `api` (keys of `[api]`) and the
    /// two tokens in its configuration, serving on 127.0.0.1 (port 0), connected and
    /// reconciled. [`stop`](Self::stop) stops the trading loop, and the API with it.
    pub async fn run(rig: Rig, api: &str) -> Self {
        let config = rig.config(&format!(
            "api_address = \"127.0.0.1:0\"\n[api]\n{api}\n\
             [[api.tokens]]\nname = \"ops\"\nscope = \"trade\"\ntoken = \"{TRADE}\"\n\
             [[api.tokens]]\nname = \"viewer\"\nscope = \"read\"\ntoken = \"{READ}\"\n"
        ));
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let started = host::start(config, Options::default(), async move {
            stopped.cancelled().await;
        })
        .await
        .expect("the host starts");
        let addr = started.api.as_ref().expect("api_address is set").addr;
        connected(&started.trading).await;
        Self {
            rig,
            host: started.trading,
            addr,
            http: reqwest::Client::new(),
            stop,
        }
    }

    pub async fn serve(rig: Rig, host: TradingHandle) -> Self {
        let tokens = Tokens::none()
            .with("ops", Scope::Trade, TRADE)
            .unwrap()
            .with("viewer", Scope::Read, READ)
            .unwrap();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let server = api::serve(
            "127.0.0.1:0".parse().unwrap(),
            host.clone(),
            tokens,
            &rig.database(),
            async move { stopped.cancelled().await },
        )
        .await
        .expect("the API starts");
        Self {
            rig,
            host,
            addr: server.addr,
            http: reqwest::Client::new(),
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with `token` (if any) and a JSON `body` (if any): status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(READ), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(TRADE), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(TRADE), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(TRADE), None).await
    }

    /// Waits (bounded) until `pick` finds what it wants in an event.
    pub async fn wait_event<T>(
        &self,
        events: &mut tokio::sync::broadcast::Receiver<TradingEvent>,
        pick: impl FnMut(&TradingEvent) -> Option<T>,
    ) -> T {
        wait_for(events, pick).await
    }

    pub fn stop(&self) {
        self.stop.cancel();
    }
}

/// Waits until the published status, which the API serves, says connected (once reconciled).
async fn connected(host: &TradingHandle) {
    let mut status = host.watch_status();
    tokio::time::timeout(
        WAIT,
        status.wait_for(|s| s.connection.state == ConnectionState::Connected),
    )
    .await
    .expect("the host connects and reconciles in time")
    .expect("the trading loop runs");
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("<no code>")
}
