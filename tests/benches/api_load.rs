//! Requests per second against `sandtrade demo` (tws-sim at 60× time, the three example
//! strategies trading, the API on 127.0.0.1): `GET /api/ibkr/status` and `POST
//! /api/ibkr/order`, from keep-alive HTTP/1.1 connections in this process (so client and
//! server share the machine's cores). For scale, the status read without HTTP: the published
//! snapshot (`TradingHandle::status_now`, what the endpoint serves) against a command round
//! trip to the trading thread (`TradingHandle::status`, what it would cost otherwise).
//!
//! Run: `cargo bench -p sandtrade-tests --bench api_load` (`-- --quick`: 2 s a row).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use sandtrade::demo::{self, DemoOptions};
use sandtrade::trading::ConnectionState;

/// Issue 6's target for status on 2 cores.
const TARGET_STATUS_RPS: f64 = 20_000.0;
const CONNECTIONS: usize = 32;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let seconds = if quick { 2 } else { 5 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(Duration::from_secs(seconds)));
}

async fn bench(span: Duration) {
    let built = sandtrade_tests::guests::wasm("ma-crossover");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut options = DemoOptions::new(&xtask::workspace_root());
    options.listen = "127.0.0.1:0".parse().expect("an address");
    options.sim_port = 0;
    options.strategies = built.parent().expect("a directory").to_owned();
    options.dir = dir.path().join("demo");
    let demo = demo::start(options).await.expect("the demo starts");
    let mut watch = demo.trading.watch_status();
    tokio::time::timeout(
        Duration::from_secs(30),
        watch.wait_for(|s| s.connection.state == ConnectionState::Connected),
    )
    .await
    .expect("the demo connects")
    .expect("the trading loop runs");

    println!(
        "API load against `sandtrade demo` ({} cores, client and server in one process), {} s a row",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        span.as_secs()
    );
    println!("{:<52} {:>12} {:>8}", "", "requests/s", "errors");
    let status = load(demo.api, &demo.token, span, |_, _| {
        (Method::GET, "/api/ibkr/status".to_owned(), None)
    })
    .await;
    row(
        &format!("GET /api/ibkr/status ({CONNECTIONS} connections)"),
        status,
    );
    let orders = load(demo.api, &demo.token, span, |conn, n| {
        let body = format!(
            r#"{{"symbol":"AAPL","side":"buy","quantity":1,"marketType":"USStock","strategy":"bench-{conn}-{n}"}}"#
        );
        (Method::POST, "/api/ibkr/order".to_owned(), Some(body))
    })
    .await;
    row(
        &format!("POST /api/ibkr/order ({CONNECTIONS} connections)"),
        orders,
    );

    let handle = demo.trading.clone();
    let snapshot = in_process(span, move || {
        let trading = handle.clone();
        async move {
            std::hint::black_box(trading.status_now());
        }
    })
    .await;
    row(
        "status_now() in process (published snapshot)",
        (snapshot, 0),
    );
    let handle = demo.trading.clone();
    let command = in_process(span, move || {
        let trading = handle.clone();
        async move {
            std::hint::black_box(trading.status().await.expect("status"));
        }
    })
    .await;
    row(
        "status() in process (command to the trading thread)",
        (command, 0),
    );
    println!(
        "\nstatus over HTTP: {:.0} req/s, {:.2}× the {:.0} target; snapshot vs command in process: {:.1}×",
        status.0,
        status.0 / TARGET_STATUS_RPS,
        TARGET_STATUS_RPS,
        snapshot / command
    );
    demo.stop().await;
}

fn row(name: &str, (rps, errors): (f64, u64)) {
    println!("{name:<52} {rps:>12.0} {errors:>8}");
}

/// `CONNECTIONS` keep-alive connections, each sending `request(connection, n)` back to back
/// for `span`; returns requests/s and the answers that were not 2xx.
async fn load(
    addr: SocketAddr,
    token: &str,
    span: Duration,
    request: impl Fn(usize, u64) -> (Method, String, Option<String>) + Send + Sync + 'static,
) -> (f64, u64) {
    let request = Arc::new(request);
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let auth = format!("Bearer {token}");
    let started = Instant::now();
    let deadline = started + span;
    let mut tasks = tokio::task::JoinSet::new();
    for conn in 0..CONNECTIONS {
        let (request, done, errors, auth) =
            (request.clone(), done.clone(), errors.clone(), auth.clone());
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr)
                .await
                .expect("connects");
            stream.set_nodelay(true).expect("nodelay");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(connection);
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (method, path, body) = request(conn, n);
                n += 1;
                let mut builder = Request::builder()
                    .method(method)
                    .uri(path)
                    .header("host", addr.to_string())
                    .header("authorization", &auth);
                if body.is_some() {
                    builder = builder.header("content-type", "application/json");
                }
                let req = builder
                    .body(Full::new(Bytes::from(body.unwrap_or_default())))
                    .expect("a request");
                let response = sender.send_request(req).await.expect("an answer");
                let status = response.status();
                response.into_body().collect().await.expect("a body");
                if status.is_success() || status == StatusCode::CREATED {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    (
        done.load(Ordering::Relaxed) as f64 / elapsed,
        errors.load(Ordering::Relaxed),
    )
}

/// `CONNECTIONS` tasks calling `call` back to back for `span`; calls per second.
async fn in_process<F, Fut>(span: Duration, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + span;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (done, call) = (done.clone(), call.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                call().await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
