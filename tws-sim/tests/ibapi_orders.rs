//! Orders through the real `ibapi` 5.5 async client: placement, fills, cancels, queries,
//! rejects, executions.

mod support;

use ibapi::orders::{Action, PlaceOrder, order_builder};

use support::*;

#[tokio::test]
async fn handshake_greets_like_tws() {
    let sim = sim().await;
    let client = connect(&sim, 7).await;
    assert_eq!(client.server_version(), 226);
    assert_eq!(client.handshake_managed_accounts(), ["DU1234567".to_string()]);
    assert_eq!(client.next_order_id(), 1);
    assert_eq!(client.connection_time().map(|t| t.unix_timestamp()), Some(1_736_173_800));
    assert_eq!(within(client.server_time()).await.expect("time").unix_timestamp(), 1_736_173_800);
    assert_eq!(within(client.managed_accounts()).await.expect("accounts"), vec!["DU1234567".to_string()]);
    assert_eq!(within(client.next_valid_order_id()).await.expect("ids"), 1);
    assert_eq!(sim.clients(), vec![7]);
}

#[tokio::test]
async fn market_order_fills_with_execution_then_commission() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let price = sim.price("AAPL").expect("AAPL");
    let mut order = order_builder::market_order(Action::Buy, 100.0);
    order.order_ref = "strategy-a:0001".into();
    let mut events = within(client.place_order(1, &aapl(), &order)).await.expect("placed");

    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else { panic!("openOrder first") };
    assert_eq!(open.order_state.status.to_string(), "PreSubmitted");
    assert_eq!((open.order_id, open.order.perm_id, open.order.client_id), (1, 1_000_000_001, 1));
    assert_eq!(open.order.order_ref, "strategy-a:0001");
    assert_eq!(open.contract.contract_id, 265598);
    let PlaceOrder::OrderStatus(status) = next_data(&mut events).await else { panic!("orderStatus") };
    assert_eq!((status.status.to_string().as_str(), status.filled, status.remaining), ("PreSubmitted", 0.0, 100.0));

    let PlaceOrder::ExecutionData(exec) = next_data(&mut events).await else { panic!("execDetails") };
    assert_eq!(exec.request_id, -1);
    let e = &exec.execution;
    assert_eq!((e.order_id, e.client_id, e.perm_id), (1, 1, 1_000_000_001));
    assert_eq!((e.shares, e.price, e.cumulative_quantity, e.average_price), (100.0, price, 100.0, price));
    assert_eq!(e.order_reference, "strategy-a:0001");
    assert_eq!(e.account_number, ACCOUNT);
    assert_eq!(e.time, "20250106-14:30:00");

    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else { panic!("openOrder Filled") };
    assert_eq!(open.order_state.status.to_string(), "Filled");
    let PlaceOrder::OrderStatus(status) = next_data(&mut events).await else { panic!("orderStatus Filled") };
    assert_eq!(status.status.to_string(), "Filled");
    assert_eq!((status.filled, status.remaining, status.average_fill_price), (100.0, 0.0, Some(price)));

    let PlaceOrder::CommissionReport(report) = next_data(&mut events).await else { panic!("commission") };
    assert_eq!(report.execution_id, e.execution_id);
    assert_eq!((report.commission, report.currency.as_str()), (1.0, "USD"));

    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 100.0);
    assert_eq!(sim.cash(ACCOUNT, "USD"), 1_000_000.0 - 100.0 * price - 1.0);
}
