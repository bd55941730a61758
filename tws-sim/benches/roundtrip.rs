//! placeOrder → fill round trips against tws-sim on loopback, printed as round trips/second
//! and p50/p99 latency.
//!
//! `cargo bench -p tws-sim --bench roundtrip` (`BENCH_ORDERS=N` to change the count).
//!
//! A round trip is: send a 1-share market order, receive its `orderStatus(Filled)`. Three
//! clients run it, side by side, so the simulator's own share is visible:
//! - a bare protobuf client (the floor: the simulator plus one socket hop each way), one order
//!   at a time and 32 in flight (the simulator's own throughput),
//! - `ibapi` 5.5, one order at a time, with a `place_order` subscription per order,
//! - `ibapi` 5.5, one order at a time, fire-and-forget `submit_order` with one
//!   `order_update_stream` for all orders (the shape of Sandtrade's broker),
//! - `ibapi` 5.5 with 32 orders in flight (throughput).
//!
//! The simulator runs on its own current-thread runtime and thread, the client on another,
//! as a host would run beside it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bench_kit::{Samples, per_second};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use ibapi::orders::{Action, OrderStatusKind, PlaceOrder, order_builder};
use ibapi::prelude::*;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tws_sim::config::AccountConfig;
use tws_sim::{SimConfig, Simulator};

const WARM_UP: usize = 2_000;
const IN_FLIGHT: usize = 32;

fn main() {
    let orders: usize = std::env::var("BENCH_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sim_thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("sim runtime");
        runtime.block_on(async move {
            let config = SimConfig {
                // Enough cash that no order of the run is refused.
                accounts: vec![AccountConfig {
                    id: "DU1234567".into(),
                    usd: 1e12,
                    hkd: 1e12,
                    ..AccountConfig::default()
                }],
                ..SimConfig::ephemeral()
            };
            let sim = Simulator::start(config).await.expect("simulator starts");
            addr_tx
                .send(sim.addr())
                .expect("bench waits for the address");
            let _stop = stop_rx.await;
            sim.shutdown().await;
        });
    });
    let addr = addr_rx.recv().expect("simulator address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let rows = runtime.block_on(async move {
        let raw = raw_sequential(addr, orders).await;
        let raw_pipelined = raw_pipelined(addr, orders).await;
        let client = Client::connect(&addr.to_string(), 2)
            .await
            .expect("ibapi connects");
        let mut next_id = client.next_order_id();
        let sequential = ibapi_sequential(&client, &mut next_id, orders).await;
        let streamed = ibapi_update_stream(&client, &mut next_id, orders).await;
        let pipelined = ibapi_pipelined(&client, &mut next_id, orders).await;
        vec![
            ("raw protobuf, 1 in flight", raw),
            ("raw protobuf, 32 in flight", raw_pipelined),
            ("ibapi 5.5, 1 in flight", sequential),
            ("ibapi 5.5 submit+stream, 1", streamed),
            ("ibapi 5.5, 32 in flight", pipelined),
        ]
    });
    let _stopped = stop_tx.send(());
    sim_thread.join().expect("simulator thread");

    println!(
        "tws-sim placeOrder -> orderStatus(Filled) round trips on 127.0.0.1: {orders} market orders per client"
    );
    println!(
        "{:<28} {:>14} {:>10} {:>10}",
        "client", "round trips/s", "p50 (µs)", "p99 (µs)"
    );
    let floor = rows[0].1.rate();
    for (name, run) in &rows {
        let latency = Samples::micros(run.latencies.iter().copied()).latency();
        println!(
            "{:<28} {:>14.0} {:>10.1} {:>10.1}   ({:.2}x the raw client's time per round trip)",
            name,
            run.rate(),
            latency.p50,
            latency.p99,
            floor / run.rate()
        );
    }
}

/// Latencies of one run and its wall time.
struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        per_second(self.elapsed, self.latencies.len() as u64)
    }
}

fn aapl() -> Contract {
    Contract::stock("AAPL").build()
}

/// Places one market order and waits for its Filled status.
async fn ibapi_round_trip(client: &Client, order_id: i32, contract: &Contract) -> Duration {
    let order = order_builder::market_order(Action::Buy, 1.0);
    let start = Instant::now();
    let mut events = client
        .place_order(order_id, contract, &order)
        .await
        .expect("placeOrder sent");
    loop {
        match events.next().await {
            Some(Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(s))))
                if s.status == OrderStatusKind::Filled =>
            {
                return start.elapsed();
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("order {order_id} failed: {e:?}"),
            None => panic!("order {order_id}: stream ended before Filled"),
        }
    }
}

async fn ibapi_sequential(client: &Client, next_id: &mut i32, orders: usize) -> Run {
    let contract = aapl();
    for _ in 0..WARM_UP {
        ibapi_round_trip(client, *next_id, &contract).await;
        *next_id += 1;
    }
    let mut latencies = Vec::with_capacity(orders);
    let start = Instant::now();
    for _ in 0..orders {
        latencies.push(ibapi_round_trip(client, *next_id, &contract).await);
        *next_id += 1;
    }
    Run {
        latencies,
        elapsed: start.elapsed(),
    }
}

async fn ibapi_update_stream(client: &Client, next_id: &mut i32, orders: usize) -> Run {
    use ibapi::orders::OrderUpdate;
    let contract = aapl();
    let order = order_builder::market_order(Action::Buy, 1.0);
    let mut updates = client
        .order_update_stream()
        .await
        .expect("order update stream");
    let mut one = async |order_id: i32| {
        let start = Instant::now();
        client
            .submit_order(order_id, &contract, &order)
            .await
            .expect("submitted");
        loop {
            match updates.next().await {
                Some(Ok(SubscriptionItem::Data(OrderUpdate::OrderStatus(s))))
                    if s.order_id == order_id && s.status == OrderStatusKind::Filled =>
                {
                    return start.elapsed();
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("order {order_id} failed: {e:?}"),
                None => panic!("order {order_id}: update stream ended"),
            }
        }
    };
    for _ in 0..WARM_UP {
        one(*next_id).await;
        *next_id += 1;
    }
    let mut latencies = Vec::with_capacity(orders);
    let start = Instant::now();
    for _ in 0..orders {
        latencies.push(one(*next_id).await);
        *next_id += 1;
    }
    Run {
        latencies,
        elapsed: start.elapsed(),
    }
}

async fn ibapi_pipelined(client: &Client, next_id: &mut i32, orders: usize) -> Run {
    let contract = aapl();
    let mut in_flight = FuturesUnordered::new();
    let mut latencies = Vec::with_capacity(orders);
    let start = Instant::now();
    let mut sent = 0;
    while latencies.len() < orders {
        while sent < orders && in_flight.len() < IN_FLIGHT {
            in_flight.push(ibapi_round_trip(client, *next_id, &contract));
            *next_id += 1;
            sent += 1;
        }
        if let Some(latency) = in_flight.next().await {
            latencies.push(latency);
        }
    }
    Run {
        latencies,
        elapsed: start.elapsed(),
    }
}

// --- The bare protobuf client: the same frames ibapi sends, nothing else. ---

#[derive(Clone, PartialEq, Message)]
struct Contract12 {
    #[prost(string, optional, tag = "2")]
    symbol: Option<String>,
    #[prost(string, optional, tag = "3")]
    sec_type: Option<String>,
    #[prost(string, optional, tag = "8")]
    exchange: Option<String>,
    #[prost(string, optional, tag = "10")]
    currency: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct MarketOrder {
    #[prost(string, optional, tag = "5")]
    action: Option<String>,
    #[prost(string, optional, tag = "6")]
    total_quantity: Option<String>,
    #[prost(string, optional, tag = "8")]
    order_type: Option<String>,
    #[prost(bool, optional, tag = "66")]
    transmit: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct PlaceOrderRequest {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract12>,
    #[prost(message, optional, tag = "3")]
    order: Option<MarketOrder>,
}

#[derive(Clone, PartialEq, Message)]
struct StatusOnly {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    status: Option<String>,
}

struct RawClient {
    socket: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    async fn connect(addr: SocketAddr, client_id: u8) -> Self {
        let mut socket = TcpStream::connect(addr).await.expect("connect");
        socket.set_nodelay(true).expect("nodelay");
        let mut hello = b"API\0".to_vec();
        hello.extend_from_slice(&9u32.to_be_bytes());
        hello.extend_from_slice(b"v213..226");
        socket.write_all(&hello).await.expect("handshake");
        let mut client = Self {
            socket,
            buf: Vec::new(),
        };
        client.read_frame().await; // handshake reply
        client.send(71, &[0x08, client_id]).await;
        while client.read_frame().await[..4] != 209i32.to_be_bytes() {} // nextValidId
        client
    }

    async fn send(&mut self, msg_id: i32, payload: &[u8]) {
        let mut frame = ((4 + payload.len()) as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&(msg_id + 200).to_be_bytes());
        frame.extend_from_slice(payload);
        self.socket.write_all(&frame).await.expect("send");
    }

    async fn read_frame(&mut self) -> &[u8] {
        let mut len = [0u8; 4];
        self.socket
            .read_exact(&mut len)
            .await
            .expect("frame length");
        self.buf.resize(u32::from_be_bytes(len) as usize, 0);
        self.socket
            .read_exact(&mut self.buf)
            .await
            .expect("frame body");
        &self.buf
    }

    fn place_order_payload(order_id: i32) -> Vec<u8> {
        let request = PlaceOrderRequest {
            order_id: Some(order_id),
            contract: Some(Contract12 {
                symbol: Some("AAPL".into()),
                sec_type: Some("STK".into()),
                exchange: Some("SMART".into()),
                currency: Some("USD".into()),
            }),
            order: Some(MarketOrder {
                action: Some("BUY".into()),
                total_quantity: Some("1".into()),
                order_type: Some("MKT".into()),
                transmit: Some(true),
            }),
        };
        request.encode_to_vec()
    }

    async fn round_trip(&mut self, order_id: i32) -> Duration {
        let payload = Self::place_order_payload(order_id);
        let start = Instant::now();
        self.send(3, &payload).await;
        loop {
            let frame = self.read_frame().await;
            if frame[..4] == 203i32.to_be_bytes() {
                let status = StatusOnly::decode(&frame[4..]).expect("orderStatus");
                if status.status.as_deref() == Some("Filled") && status.order_id == Some(order_id) {
                    return start.elapsed();
                }
            }
        }
    }
}

async fn raw_sequential(addr: SocketAddr, orders: usize) -> Run {
    let mut client = RawClient::connect(addr, 1).await;
    for id in 1..=WARM_UP as i32 {
        client.round_trip(id).await;
    }
    let mut latencies = Vec::with_capacity(orders);
    let start = Instant::now();
    for id in 0..orders as i32 {
        latencies.push(client.round_trip(WARM_UP as i32 + 1 + id).await);
    }
    Run {
        latencies,
        elapsed: start.elapsed(),
    }
}

async fn raw_pipelined(addr: SocketAddr, orders: usize) -> Run {
    let mut client = RawClient::connect(addr, 3).await;
    let mut sent_at = std::collections::HashMap::new();
    let mut latencies = Vec::with_capacity(orders);
    let mut next_id = 1;
    let start = Instant::now();
    while latencies.len() < orders {
        while (next_id as usize) <= orders && sent_at.len() < IN_FLIGHT {
            let payload = RawClient::place_order_payload(next_id);
            sent_at.insert(next_id, Instant::now());
            client.send(3, &payload).await;
            next_id += 1;
        }
        let frame = client.read_frame().await;
        if frame[..4] == 203i32.to_be_bytes() {
            let status = StatusOnly::decode(&frame[4..]).expect("orderStatus");
            if status.status.as_deref() == Some("Filled")
                && let Some(sent) = status.order_id.and_then(|id| sent_at.remove(&id))
            {
                latencies.push(sent.elapsed());
            }
        }
    }
    Run {
        latencies,
        elapsed: start.elapsed(),
    }
}
