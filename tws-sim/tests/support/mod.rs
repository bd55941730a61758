//! Shared helpers of the integration tests: a simulator on port 0, an `ibapi` client, and
//! bounded waits (never sleeps).

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::future::Future;
use std::time::Duration;

use ibapi::prelude::*;
use tws_sim::{SimConfig, SimHandle, Simulator};

/// Every wait in the tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// The default account.
pub const ACCOUNT: &str = "DU1234567";

/// A simulator with the default config on a free port and a manual clock.
pub async fn sim() -> SimHandle {
    sim_with(SimConfig::ephemeral()).await
}

/// The default config, except that prices stay where they are set (no random walk), so
/// every account number is exact.
pub fn still_config() -> SimConfig {
    SimConfig {
        market: tws_sim::config::MarketConfig {
            volatility_bps: 0.0,
            ..Default::default()
        },
        ..SimConfig::ephemeral()
    }
}

/// A simulator with `config` (port forced to 0).
pub async fn sim_with(config: SimConfig) -> SimHandle {
    Simulator::start(SimConfig { port: 0, ..config })
        .await
        .expect("simulator starts")
}

/// An `ibapi` 5.5 client connected as `client_id`.
pub async fn connect(sim: &SimHandle, client_id: i32) -> Client {
    within(Client::connect(&sim.addr().to_string(), client_id))
        .await
        .expect("ibapi connects")
}

/// Awaits `future`, failing the test after [`WAIT`].
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("timed out waiting")
}

/// The next data item of a subscription, skipping notices (failing on error, end or timeout).
pub async fn next_data<T, S>(sub: &mut S) -> T
where
    S: futures::Stream<Item = Result<SubscriptionItem<T>, ibapi::Error>> + Unpin,
{
    use futures::StreamExt;
    loop {
        match within(sub.next()).await {
            Some(Ok(SubscriptionItem::Data(item))) => return item,
            Some(Ok(SubscriptionItem::Notice(_))) => continue,
            Some(Err(e)) => panic!("subscription error: {e:?}"),
            None => panic!("subscription ended"),
        }
    }
}

/// The next item (data or notice) of a subscription.
pub async fn next_item<T, S>(sub: &mut S) -> Result<SubscriptionItem<T>, ibapi::Error>
where
    S: futures::Stream<Item = Result<SubscriptionItem<T>, ibapi::Error>> + Unpin,
{
    use futures::StreamExt;
    within(sub.next()).await.expect("subscription ended")
}

/// Places a market order for `qty` of `contract` and waits for its commission report (the
/// last message of a fill).
pub async fn trade(client: &Client, order_id: i32, contract: &Contract, action: Action, qty: f64) {
    let mut events = within(client.place_order(
        order_id,
        contract,
        &order_builder::market_order(action, qty),
    ))
    .await
    .expect("placed");
    while !matches!(
        next_data(&mut events).await,
        PlaceOrder::CommissionReport(_)
    ) {}
}

/// Buys `qty` of `contract` at market and waits for its commission report.
pub async fn buy(client: &Client, order_id: i32, contract: &Contract, qty: f64) {
    trade(client, order_id, contract, Action::Buy, qty).await;
}

/// AAPL on SMART in USD.
pub fn aapl() -> Contract {
    Contract::stock("AAPL").build()
}

/// Tencent (`700`) on SEHK in HKD.
pub fn tencent() -> Contract {
    Contract::stock("700")
        .on_exchange("SEHK")
        .in_currency("HKD")
        .build()
}

/// Waits until the simulator has handled everything `client` sent so far: requests on one
/// connection are handled in order, so the answer to reqCurrentTime comes after them all.
/// (Subscriptions such as real-time bars have no acknowledgement to wait for.)
pub async fn sync(client: &Client) {
    within(client.server_time()).await.expect("server time");
}

/// Places `order` for AAPL after setting its price to `at`.
pub async fn place(
    sim: &tws_sim::SimHandle,
    client: &Client,
    order_id: i32,
    at: f64,
    order: &ibapi::orders::Order,
) -> ibapi::subscriptions::Subscription<PlaceOrder> {
    sim.set_price("AAPL", at).expect("AAPL");
    within(client.place_order(order_id, &aapl(), order))
        .await
        .expect("placed")
}

/// The next event, as `open:<status>`, `status:<status>`, `exec:<shares>@<price>` or
/// `commission:<amount>`.
pub async fn event(events: &mut ibapi::subscriptions::Subscription<PlaceOrder>) -> String {
    match next_data(events).await {
        PlaceOrder::OpenOrder(o) => format!("open:{}", o.order_state.status),
        PlaceOrder::OrderStatus(s) => format!("status:{}", s.status),
        PlaceOrder::ExecutionData(e) => {
            format!("exec:{}@{}", e.execution.shares, e.execution.price)
        }
        PlaceOrder::CommissionReport(c) => format!("commission:{}", c.commission),
    }
}

/// The refusal an order got instead of its events: IB's error code and message.
pub async fn refusal(events: &mut ibapi::subscriptions::Subscription<PlaceOrder>) -> (i32, String) {
    match next_item(events).await {
        Ok(SubscriptionItem::Notice(n)) | Err(ibapi::Error::Notice(n)) => (n.code, n.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub async fn take(
    events: &mut ibapi::subscriptions::Subscription<PlaceOrder>,
    n: usize,
) -> Vec<String> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        seen.push(event(events).await);
    }
    seen
}

/// The order as reqOpenOrders reports it now (`None`: not open).
pub async fn open_order(client: &Client, order_id: i32) -> Option<ibapi::orders::OrderData> {
    within(client.open_orders())
        .await
        .expect("open orders")
        .collect_to_end_within(WAIT)
        .await
        .expect("end")
        .into_iter()
        .find_map(|item| match item {
            ibapi::orders::Orders::OrderData(o) if o.order_id == order_id => Some(o),
            _ => None,
        })
}

/// The order as reqOpenOrders reports it now; `ibapi` also hands that answer's openOrder and
/// orderStatus to the order's own subscription, where they are consumed and checked.
pub async fn query(
    client: &Client,
    events: &mut ibapi::subscriptions::Subscription<PlaceOrder>,
    order_id: i32,
) -> ibapi::orders::OrderData {
    let order = open_order(client, order_id).await.expect("open");
    let status = order.order_state.status.to_string();
    assert_eq!(
        take(events, 2).await,
        [format!("open:{status}"), format!("status:{status}")]
    );
    order
}

/// Fill after the trigger: execution, openOrder and orderStatus Filled, commission.
pub fn filled_at(shares: f64, price: f64) -> Vec<String> {
    vec![
        format!("exec:{shares}@{price}"),
        "open:Filled".into(),
        "status:Filled".into(),
        "commission:1".into(),
    ]
}
