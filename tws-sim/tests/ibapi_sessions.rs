//! Sessions through the real `ibapi` 5.5 async client: client ids, order ids per client,
//! permIds, and what a closed connection leaves behind.

mod support;

use ibapi::orders::{Action, PlaceOrder, order_builder};
use support::*;

#[tokio::test]
async fn a_duplicate_client_id_gets_326_and_is_closed() {
    let sim = sim().await;
    let _first = connect(&sim, 5).await;
    let second = within(ibapi::Client::connect(&sim.addr().to_string(), 5)).await;
    match second {
        Err(ibapi::Error::ClientIdInUse { client_id }) => assert_eq!(client_id, 5),
        Err(other) => panic!("expected ClientIdInUse, got {other:?}"),
        Ok(_) => panic!("a second client with id 5 was accepted"),
    }
    assert_eq!(sim.clients(), vec![5]);
    // Another id is fine meanwhile.
    let _other = connect(&sim, 6).await;
    assert_eq!(sim.clients(), vec![5, 6]);
}

#[tokio::test]
async fn order_ids_are_per_client_and_perm_ids_are_global() {
    let sim = sim().await;
    let one = connect(&sim, 1).await;
    let two = connect(&sim, 2).await;
    assert_eq!((one.next_order_id(), two.next_order_id()), (1, 1));
    let mut a = within(one.place_order(5, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
        .await
        .expect("a");
    let mut b = within(two.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 1.0)))
        .await
        .expect("b");
    let PlaceOrder::OpenOrder(oa) = next_data(&mut a).await else {
        panic!("openOrder a")
    };
    let PlaceOrder::OpenOrder(ob) = next_data(&mut b).await else {
        panic!("openOrder b")
    };
    assert_eq!((oa.order_id, oa.order.perm_id), (5, 1_000_000_001));
    assert_eq!((ob.order_id, ob.order.perm_id), (1, 1_000_000_002));
    assert_eq!(within(one.next_valid_order_id()).await.expect("ids"), 6);
    assert_eq!(within(two.next_valid_order_id()).await.expect("ids"), 2);
}

#[tokio::test]
async fn a_closed_connection_frees_its_id_and_its_orders_keep_working() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let mut order = order_builder::limit_order(Action::Buy, 10.0, 185.0);
    order.order_ref = "survives-disconnect".into();
    let mut events = within(client.place_order(1, &aapl(), &order))
        .await
        .expect("placed");
    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder")
    };
    let perm_id = open.order.perm_id;
    drop(events);
    within(client.disconnect()).await;
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids.is_empty()).await,
        Some(vec![])
    );

    // The order fills while nobody is connected.
    sim.set_price("AAPL", 184.5).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 10.0);

    // Same client id again: accepted; the id sequence continued; the fill is there by orderRef.
    let again = connect(&sim, 1).await;
    assert_eq!(again.next_order_id(), 2);
    let completed = within(again.completed_orders(false))
        .await
        .expect("completed")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    let found: Vec<_> = completed
        .iter()
        .filter_map(|o| match o {
            ibapi::orders::Orders::OrderData(d) => Some((
                d.order.perm_id,
                d.order.order_ref.clone(),
                d.order_state.status.to_string(),
            )),
            ibapi::orders::Orders::OrderStatus(_) => None,
        })
        .collect();
    assert_eq!(
        found,
        [(
            perm_id,
            "survives-disconnect".to_string(),
            "Filled".to_string()
        )]
    );
    let executions = within(again.executions(Default::default()))
        .await
        .expect("executions")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    let fills: Vec<_> = executions
        .iter()
        .filter_map(|e| match e {
            ibapi::orders::Executions::ExecutionData(d) => Some((
                d.execution.perm_id,
                d.execution.price,
                d.execution.order_reference.clone(),
            )),
            ibapi::orders::Executions::CommissionReport(_) => None,
        })
        .collect();
    assert_eq!(fills, [(perm_id, 184.5, "survives-disconnect".to_string())]);
}
