//! The fault switchboard, exercised through the real `ibapi` 5.5 async client.

mod support;

use std::time::Duration;

use ibapi::orders::{Action, PlaceOrder, order_builder};
use support::*;

#[tokio::test]
async fn reject_next_orders_rejects_exactly_that_many() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.faults().reject_next_orders(1);
    let mut first =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("1");
    match next_item(&mut first).await {
        Err(ibapi::Error::Notice(n)) => {
            assert_eq!(n.code, 201);
            assert_eq!(
                n.message,
                "Order rejected - reason:Simulated rejection (tws-sim fault switchboard)"
            );
        }
        other => panic!("expected the 201 rejection, got {other:?}"),
    }
    let mut second =
        within(client.place_order(2, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("2");
    while !matches!(
        next_data(&mut second).await,
        PlaceOrder::CommissionReport(_)
    ) {}
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 1.0);
    assert_eq!(sim.faults().status().state.reject_next_orders, 0);
}

#[tokio::test]
async fn delayed_fills_wait_for_simulated_time() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.faults().delay_fills(Some(Duration::from_secs(3)));
    let mut events =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("1");
    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder")
    };
    assert_eq!(open.order_state.status.to_string(), "PreSubmitted");
    let PlaceOrder::OrderStatus(_) = next_data(&mut events).await else {
        panic!("orderStatus")
    };
    sim.step(2);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0, "not yet");
    sim.step(1);
    let PlaceOrder::ExecutionData(exec) = next_data(&mut events).await else {
        panic!("execDetails")
    };
    assert_eq!(exec.execution.time, "20250106-14:30:03");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 1.0);
}

#[tokio::test]
async fn dup_exec_report_repeats_the_same_exec_id() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.faults().duplicate_next_exec();
    let mut events =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("1");
    let mut exec_ids = Vec::new();
    loop {
        match next_data(&mut events).await {
            PlaceOrder::ExecutionData(e) => exec_ids.push(e.execution.execution_id),
            PlaceOrder::CommissionReport(_) => break,
            _ => {}
        }
    }
    assert_eq!(exec_ids.len(), 2);
    assert_eq!(exec_ids[0], exec_ids[1]);
    assert_eq!(
        sim.position(ACCOUNT, "AAPL").expect("AAPL"),
        1.0,
        "booked once"
    );
}

#[tokio::test]
async fn paused_market_data_skips_bars_until_resumed() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let mut bars = within(client.realtime_bars(&aapl()).subscribe())
        .await
        .expect("bars");
    sync(&client).await;
    sim.faults().pause_market_data(true);
    let skipped = sim.step_bar();
    sim.faults().pause_market_data(false);
    let next = sim.step_bar();
    let bar = next_data(&mut bars).await;
    assert_eq!(
        bar.date.unix_timestamp(),
        next.unix_timestamp() - 5,
        "the paused bar ({skipped}) was never sent"
    );
}

#[tokio::test]
async fn drop_after_messages_cuts_the_fill_sequence_short() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sync(&client).await;
    assert_eq!(sim.faults().drop_after_messages(3), 1);
    let mut events =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 2.0)))
            .await
            .expect("1");
    // openOrder, orderStatus, execDetails, then the socket closes.
    let PlaceOrder::OpenOrder(_) = next_data(&mut events).await else {
        panic!("openOrder")
    };
    let PlaceOrder::OrderStatus(_) = next_data(&mut events).await else {
        panic!("orderStatus")
    };
    let PlaceOrder::ExecutionData(_) = next_data(&mut events).await else {
        panic!("execDetails")
    };
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids.is_empty()).await,
        Some(vec![])
    );
    assert_eq!(
        sim.position(ACCOUNT, "AAPL").expect("AAPL"),
        2.0,
        "the fill happened at the gateway"
    );
    // ibapi reconnects by itself (same client id) and the gateway accepts it.
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids == [1]).await,
        Some(vec![1])
    );
}

#[tokio::test]
async fn next_valid_id_rollback_after_restart() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    for id in 1..=3 {
        let mut e =
            within(client.place_order(id, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
                .await
                .expect("placed");
        while !matches!(next_data(&mut e).await, PlaceOrder::CommissionReport(_)) {}
    }
    assert_eq!(within(client.next_valid_order_id()).await.expect("ids"), 4);
    sim.faults().restart(None);
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids.is_empty()).await,
        Some(vec![])
    );
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids == [1]).await,
        Some(vec![1]),
        "ibapi reconnects"
    );
    // The id sequence rolled back: the gateway hands out 1 again, which collides with a filled order.
    assert_eq!(within(client.next_valid_order_id()).await.expect("ids"), 1);
    let mut again =
        within(client.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
            .await
            .expect("placed");
    match next_item(&mut again).await {
        Err(ibapi::Error::Notice(n)) => {
            assert_eq!((n.code, n.message.as_str()), (103, "Duplicate order id 1"))
        }
        other => panic!("expected 103, got {other:?}"),
    }
    assert_eq!(
        sim.position(ACCOUNT, "AAPL").expect("AAPL"),
        3.0,
        "nothing re-executed"
    );
}

#[tokio::test]
async fn silent_gateway_keeps_the_socket_but_answers_nothing() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.faults().go_silent(true);
    let unanswered = tokio::time::timeout(Duration::from_millis(300), client.server_time()).await;
    assert!(
        unanswered.is_err(),
        "a silent gateway answered: {unanswered:?}"
    );
    assert_eq!(sim.clients(), vec![1], "the socket stays open");
    sim.faults().go_silent(false);
    assert_eq!(
        within(client.server_time())
            .await
            .expect("time")
            .unix_timestamp(),
        1_736_173_800
    );
}

#[tokio::test]
async fn connectivity_lost_and_restored_notices() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let mut notices = client.notice_stream().expect("notice stream");
    sim.faults().connectivity_lost();
    sim.faults().connectivity_restored();
    let mut codes = Vec::new();
    while codes.len() < 2 {
        let notice = within(notices.next()).await.expect("notice");
        if notice.code == 1100 || notice.code == 1102 {
            codes.push(notice.code);
        }
    }
    assert_eq!(codes, [1100, 1102]);
}

#[tokio::test]
async fn drop_all_connections_then_ibapi_reconnects() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let _other = connect(&sim, 2).await;
    assert_eq!(sim.faults().drop_all_connections(), 2);
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids.is_empty()).await,
        Some(vec![])
    );
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids == [1, 2]).await,
        Some(vec![1, 2])
    );
    assert_eq!(
        within(client.server_time())
            .await
            .expect("time")
            .unix_timestamp(),
        1_736_173_800
    );
}
