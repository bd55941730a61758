//! Requests per second against `sandtrade demo` (tws-sim at 60× time, the three example
//! strategies trading, the API on 127.0.0.1): `GET /api/ibkr/status` and `POST
//! /api/ibkr/order`, from keep-alive HTTP/1.1 connections in this process (so client and
//! server share the machine's cores). For scale, the status read without HTTP: the published
//! snapshot (`TradingHandle::status_now`, what the endpoint serves) against a command round
//! trip to the trading thread (`TradingHandle::status`, what it would cost otherwise).
//!
//! Run: `cargo bench -p sandtrade-tests --bench api_load` (`-- --quick`: 2 short rounds).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_kit::{Machine, Samples, Table, Target};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use sandtrade::demo::{self, Demo, DemoOptions};
use sandtrade_trading::ConnectionState;

/// The throughput target for status on 2 cores.
const TARGET_STATUS_RPS: f64 = 20_000.0;
/// Keep-alive connections (and in-process callers) per row.
const CONNECTIONS: usize = 32;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, span) = if quick {
        (2, Duration::from_millis(500))
    } else {
        (5, Duration::from_secs(1))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(rounds, span));
}

async fn bench(rounds: usize, span: Duration) {
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
        "API load against `sandtrade demo` (client and server in one process, {CONNECTIONS} \
         keep-alive connections), {rounds} rounds of {} ms a row: the reads interleaved round by round, then the orders; {}",
        span.as_millis(),
        Machine::now()
    );
    let mut rows: [(Samples, u64); 4] = Default::default();
    // The reads first, interleaved round by round, with an idle queue: every accepted order
    // stays queued behind the pacer (40 messages/s to IB), and a queue of tens of thousands
    // would make the reads measure the backlog.
    for _ in 0..rounds {
        let (rps, errors) = load(demo.api, &demo.token, span, |_, _| {
            (Method::GET, "/api/ibkr/status".to_owned(), None)
        })
        .await;
        rows[0].0.push(rps);
        rows[0].1 += errors;
        rows[2].0.push(in_process(span, snapshot(&demo)).await);
        rows[3].0.push(in_process(span, command(&demo)).await);
    }
    let order_seq = Arc::new(AtomicU64::new(0));
    for _ in 0..rounds {
        let seq = Arc::clone(&order_seq);
        let (rps, errors) = load(demo.api, &demo.token, span, move |_, _| {
            // A ledger per order: each is a flat `open-long`, never refused by a position
            // limit or a rate limit that would make the row measure refusals.
            let n = seq.fetch_add(1, Ordering::Relaxed);
            let body = format!(
                r#"{{"symbol":"AAPL","side":"buy","quantity":1,"marketType":"USStock","strategy":"bench-{n}"}}"#
            );
            (Method::POST, "/api/ibkr/order".to_owned(), Some(body))
        })
        .await;
        rows[1].0.push(rps);
        rows[1].1 += errors;
    }

    let mut table = Table::new(
        "requests (calls) per second",
        "req/s",
        Target::AtLeast(TARGET_STATUS_RPS),
    );
    table.row("GET /api/ibkr/status over HTTP", &rows[0].0);
    table.row_with_target("POST /api/ibkr/order over HTTP", &rows[1].0, Target::None);
    table.row_with_target(
        "status_now() in process (the published snapshot)",
        &rows[2].0,
        Target::None,
    );
    table.row_with_target(
        "status() in process (a command to the trading thread)",
        &rows[3].0,
        Target::None,
    );
    println!("{}", table.render());
    println!(
        "answers that were not 2xx: status {}, order {}; orders accepted (durably queued): {}",
        rows[0].1,
        rows[1].1,
        order_seq.load(Ordering::Relaxed) - rows[1].1
    );
    println!(
        "published snapshot vs a command to the trading thread, in process: {:.1}x",
        rows[2].0.median() / rows[3].0.median()
    );
    demo.stop().await;
}

/// One call of the published status (what `GET /api/ibkr/status` serves).
fn snapshot(demo: &Demo) -> impl Fn() -> std::future::Ready<()> + Clone + Send + Sync + 'static {
    let trading = demo.trading.clone();
    move || {
        std::hint::black_box(trading.status_now());
        std::future::ready(())
    }
}

/// One status command round trip to the trading thread (what status would cost without the
/// published snapshot).
fn command(
    demo: &Demo,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    let trading = demo.trading.clone();
    move || {
        let trading = trading.clone();
        Box::pin(async move {
            std::hint::black_box(trading.status().await.expect("status"));
        })
    }
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
