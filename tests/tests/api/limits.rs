//! What one client may cost the host, over real connections: a request head that never ends
//! (sent at once or dribbled) is dropped after the header-read timeout, an idle keep-alive
//! connection lives until the idle timeout and no longer, an event stream outlives both; an
//! oversized body is answered 413 and queues nothing; event streams beyond the cap are
//! answered 503 until one closes. The limits are set in `[api]` of a `sandtrade run`
//! configuration, except the body limit's default, which the plain `serve` uses.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Bytes, Frame};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper_util::rt::TokioIo;
use reqwest::{Method, StatusCode};
use sandtrade_tests::rig::{Rig, WAIT};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tws_sim::SimConfig;

use crate::rig::{ApiRig, READ, TRADE, code};

const HEADER_READ: Duration = Duration::from_millis(300);
const IDLE: Duration = Duration::from_millis(1500);
/// How late a deadline may act on a busy 2-core machine and still count as on time.
const LATE: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_heads_and_idle_connections_are_dropped_and_streams_are_not() {
    let api = ApiRig::run(
        Rig::new(SimConfig::ephemeral()).await,
        &format!(
            "header_read_timeout_ms = {}\nidle_timeout_ms = {}\n",
            HEADER_READ.as_millis(),
            IDLE.as_millis()
        ),
    )
    .await;
    // An event stream, open throughout: a response in progress has no deadline.
    let mut stream = open_stream(&api).await;
    let opened = Instant::now();

    // Half a request head, then nothing: closed, unanswered, after the header-read timeout.
    let start = Instant::now();
    let mut silent = TcpStream::connect(api.addr).await.unwrap();
    silent
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let (took, answer) = until_closed(&mut silent, start).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(took >= HEADER_READ, "closed after {took:?}");

    // A head dribbled a byte every 50 ms: the bytes do not put the deadline off.
    let start = Instant::now();
    let (mut reading, mut writing) = TcpStream::connect(api.addr).await.unwrap().into_split();
    let dribble = tokio::spawn(async move {
        let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writing.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let (took, answer) = until_closed(&mut reading, start).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(took >= HEADER_READ, "closed after {took:?}");
    dribble.abort();

    // A keep-alive connection idle for longer than the header-read timeout is still served;
    // once idle for the idle timeout it is closed.
    let (mut sender, connection) = one_connection(api.addr).await;
    assert_eq!(healthz(&mut sender).await, StatusCode::OK);
    // Long enough that the header-read timeout would have closed it.
    tokio::time::sleep(HEADER_READ * 2).await;
    assert!(!connection.is_finished());
    assert_eq!(healthz(&mut sender).await, StatusCode::OK);
    let start = Instant::now();
    tokio::time::timeout(IDLE + LATE, connection)
        .await
        .expect("the idle connection is closed")
        .unwrap()
        .unwrap();
    let took = start.elapsed();
    // The server's idle wait began a moment before the answer reached us.
    assert!(
        took >= IDLE - Duration::from_millis(100),
        "closed after {took:?}"
    );

    // The stream, open for longer than either timeout, still delivers.
    assert!(opened.elapsed() > IDLE + HEADER_READ);
    api.post("/api/trading/halt", json!({"reason": "limits test"}))
        .await;
    let mut seen = String::new();
    // The status names the halt's reason.
    while !seen.contains("\"halted\":\"operator: limits test\"") {
        let chunk = tokio::time::timeout(WAIT, stream.chunk())
            .await
            .expect("the stream delivers the halt")
            .expect("the stream is open")
            .expect("the stream has not ended");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    api.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_with_413_and_queues_nothing() {
    // The default limit: 64 KiB.
    const MAX: usize = 64 * 1024;
    let api = ApiRig::start(Rig::new(SimConfig::ephemeral()).await, "").await;
    let too_large = json!({
        "error": "the request body is larger than the 65536 bytes this API accepts",
        "code": "body-too-large",
        "detail": {"max_bytes": 65536},
    });

    // A valid order, padded with whitespace (still valid JSON) past the limit: with its
    // length declared ...
    let (status, body) = post_order(&api, padded_order(MAX + 1)).await;
    assert_eq!((status, &body), (StatusCode::PAYLOAD_TOO_LARGE, &too_large));
    // ... and sent chunked, with no length declared: the bytes are counted as they come.
    let (mut sender, _connection) = one_connection(api.addr).await;
    let order = padded_order(MAX + 1);
    let chunks: Vec<Result<Frame<Bytes>, Infallible>> = order
        .as_bytes()
        .chunks(16 * 1024)
        .map(|chunk| Ok(Frame::data(Bytes::copy_from_slice(chunk))))
        .collect();
    let request = hyper::Request::post("/api/ibkr/order")
        .header("host", api.addr.to_string())
        .header("authorization", format!("Bearer {TRADE}"))
        .header("content-type", "application/json")
        .body(StreamBody::new(futures::stream::iter(chunks)))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), too_large);

    // Nothing reached the queue or the signal log.
    assert_eq!(api.get("/api/ibkr/orders").await.1, json!([]));
    assert_eq!(api.get("/api/signals").await.1, json!([]));

    // The same order at exactly the limit is accepted: the refusals were the size's.
    let (status, body) = post_order(&api, padded_order(MAX)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["action"], "open-long");
    let (_, signals) = api.get("/api/signals").await;
    assert_eq!(signals.as_array().unwrap().len(), 1, "{signals}");
    api.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_beyond_the_cap_are_refused_until_one_closes() {
    let api = ApiRig::run(
        Rig::new(SimConfig::ephemeral()).await,
        "max_event_streams = 2\n",
    )
    .await;
    let refused = json!({
        "error": "2 event streams are open, as many as this server allows; close one or try \
                  again later",
        "code": "too-many-event-streams",
        "detail": {"max_event_streams": 2},
    });
    let first = open_stream(&api).await;
    let _second = open_stream(&api).await;
    let (status, body) = api.call(Method::GET, "/api/events", Some(READ), None).await;
    assert_eq!((status, &body), (StatusCode::SERVICE_UNAVAILABLE, &refused));

    // Closing one frees its place (once the server sees the connection go).
    drop(first);
    let _third = tokio::time::timeout(WAIT, async {
        loop {
            let response = api
                .http
                .get(api.url("/api/events"))
                .bearer_auth(READ)
                .send()
                .await
                .unwrap();
            if response.status() == StatusCode::OK {
                return response;
            }
            let body: Value = response.json().await.unwrap();
            assert_eq!(code(&body), "too-many-event-streams", "{body}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a closed stream frees its place");
    // Exactly one place was freed.
    let (status, body) = api.call(Method::GET, "/api/events", Some(READ), None).await;
    assert_eq!((status, &body), (StatusCode::SERVICE_UNAVAILABLE, &refused));
    api.stop();
}

/// An event stream that has delivered its first event.
async fn open_stream(api: &ApiRig) -> reqwest::Response {
    let mut stream = api
        .http
        .get(api.url("/api/events"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let first = tokio::time::timeout(WAIT, stream.chunk())
        .await
        .expect("the first event in time")
        .unwrap()
        .expect("an event");
    assert!(first.starts_with(b"event: status\n"));
    stream
}

/// Reads until the server closes the connection (bounded): how long after `start`, and what
/// the server sent meanwhile.
async fn until_closed(
    socket: &mut (impl AsyncRead + Unpin),
    start: Instant,
) -> (Duration, Vec<u8>) {
    let mut read = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(HEADER_READ + LATE, async {
        // A reset closes it as surely as an end of stream.
        while let Ok(n @ 1..) = socket.read(&mut buf).await {
            read.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the server closes the connection");
    (start.elapsed(), read)
}

/// One HTTP/1 connection (no pool to hide a new one behind), and its task, which ends when
/// the server closes it.
async fn one_connection<B>(addr: SocketAddr) -> (SendRequest<B>, JoinHandle<hyper::Result<()>>)
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let socket = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = handshake(TokioIo::new(socket)).await.unwrap();
    (sender, tokio::spawn(connection))
}

async fn healthz(sender: &mut SendRequest<http_body_util::Empty<Bytes>>) -> StatusCode {
    let request = hyper::Request::get("/healthz")
        .header("host", "127.0.0.1")
        .body(http_body_util::Empty::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    response.into_body().collect().await.unwrap();
    status
}

/// A buy of one AAPL, padded with trailing spaces to `size` bytes.
fn padded_order(size: usize) -> String {
    let order = r#"{"symbol": "AAPL", "side": "buy", "quantity": 1, "marketType": "USStock"}"#;
    // By hand: a format width above 65535 is out of range.
    let mut padded = order.to_owned();
    padded.extend(std::iter::repeat_n(' ', size - order.len()));
    padded
}

async fn post_order(api: &ApiRig, body: String) -> (StatusCode, Value) {
    let response = api
        .http
        .post(api.url("/api/ibkr/order"))
        .bearer_auth(TRADE)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the request is answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
