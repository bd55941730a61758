//! Orders through the real `ibapi` 5.5 async client: placement, fills, cancels, queries,
//! rejects, executions.

mod support;

use ibapi::accounts::PositionUpdate;
use ibapi::orders::{Action, PlaceOrder, TimeInForce, order_builder};
use ibapi::prelude::*;
use tws_sim::config::{AccountConfig, AccountType};

use support::*;

#[tokio::test]
async fn handshake_greets_like_tws() {
    let sim = sim().await;
    let client = connect(&sim, 7).await;
    assert_eq!(client.server_version(), 226);
    assert_eq!(
        client.handshake_managed_accounts(),
        ["DU1234567".to_string()]
    );
    assert_eq!(client.next_order_id(), 1);
    assert_eq!(
        client.connection_time().map(|t| t.unix_timestamp()),
        Some(1_736_173_800)
    );
    assert_eq!(
        within(client.server_time())
            .await
            .expect("time")
            .unix_timestamp(),
        1_736_173_800
    );
    assert_eq!(
        within(client.managed_accounts()).await.expect("accounts"),
        vec!["DU1234567".to_string()]
    );
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
    let mut events = within(client.place_order(1, &aapl(), &order))
        .await
        .expect("placed");

    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder first")
    };
    assert_eq!(open.order_state.status.to_string(), "PreSubmitted");
    assert_eq!(
        (open.order_id, open.order.perm_id, open.order.client_id),
        (1, 1_000_000_001, 1)
    );
    assert_eq!(open.order.order_ref, "strategy-a:0001");
    assert_eq!(open.contract.contract_id, 265598);
    let PlaceOrder::OrderStatus(status) = next_data(&mut events).await else {
        panic!("orderStatus")
    };
    assert_eq!(
        (
            status.status.to_string().as_str(),
            status.filled,
            status.remaining
        ),
        ("PreSubmitted", 0.0, 100.0)
    );

    let PlaceOrder::ExecutionData(exec) = next_data(&mut events).await else {
        panic!("execDetails")
    };
    assert_eq!(exec.request_id, -1);
    let e = &exec.execution;
    assert_eq!((e.order_id, e.client_id, e.perm_id), (1, 1, 1_000_000_001));
    assert_eq!(
        (e.shares, e.price, e.cumulative_quantity, e.average_price),
        (100.0, price, 100.0, price)
    );
    assert_eq!(e.order_reference, "strategy-a:0001");
    assert_eq!(e.account_number, ACCOUNT);
    assert_eq!(e.time, "20250106-14:30:00");

    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder Filled")
    };
    assert_eq!(open.order_state.status.to_string(), "Filled");
    let PlaceOrder::OrderStatus(status) = next_data(&mut events).await else {
        panic!("orderStatus Filled")
    };
    assert_eq!(status.status.to_string(), "Filled");
    assert_eq!(
        (status.filled, status.remaining, status.average_fill_price),
        (100.0, 0.0, Some(price))
    );

    let PlaceOrder::CommissionReport(report) = next_data(&mut events).await else {
        panic!("commission")
    };
    assert_eq!(report.execution_id, e.execution_id);
    assert_eq!((report.commission, report.currency.as_str()), (1.0, "USD"));

    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 100.0);
    assert_eq!(sim.cash(ACCOUNT, "USD"), 1_000_000.0 - 100.0 * price - 1.0);
}

/// Status strings of every openOrder/orderStatus, in order, until one matches `last`.
async fn statuses_until(
    events: &mut ibapi::subscriptions::Subscription<PlaceOrder>,
    last: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let status = match next_data(events).await {
            PlaceOrder::OpenOrder(o) => format!("open:{}", o.order_state.status),
            PlaceOrder::OrderStatus(s) => format!("status:{}", s.status),
            PlaceOrder::ExecutionData(e) => format!("exec:{}", e.execution.shares),
            PlaceOrder::CommissionReport(c) => format!("commission:{}", c.commission),
        };
        let done = status == last;
        seen.push(status);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn limit_order_rests_then_fills_at_the_crossing_price() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let order = order_builder::limit_order(Action::Buy, 10.0, 185.5);
    let mut events = within(client.place_order(1, &aapl(), &order))
        .await
        .expect("placed");
    assert_eq!(
        statuses_until(&mut events, "status:Submitted").await,
        ["open:Submitted", "status:Submitted"]
    );

    sim.step(3);
    sim.set_price("AAPL", 185.25).expect("AAPL");
    assert_eq!(
        statuses_until(&mut events, "commission:1").await,
        ["exec:10", "open:Filled", "status:Filled", "commission:1"]
    );
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 10.0);
    assert_eq!(sim.cash(ACCOUNT, "USD"), 1_000_000.0 - 1_852.5 - 1.0);
}

#[tokio::test]
async fn sell_gtc_with_account_and_ref_is_echoed_everywhere() {
    let sim = sim().await;
    let client = connect(&sim, 3).await;
    let mut buy = order_builder::market_order(Action::Buy, 200.0);
    buy.account = ACCOUNT.into();
    let mut events = within(client.place_order(1, &tencent(), &buy))
        .await
        .expect("placed");
    statuses_until(&mut events, "commission:48").await;

    let mut sell = order_builder::limit_order(Action::Sell, 100.0, 301.0);
    sell.tif = TimeInForce::GoodTillCanceled;
    sell.account = ACCOUNT.into();
    sell.order_ref = "sell-700".into();
    let mut events = within(client.place_order(2, &tencent(), &sell))
        .await
        .expect("placed");
    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder")
    };
    assert_eq!(open.order.tif, TimeInForce::GoodTillCanceled);
    assert_eq!(
        (open.order.account.as_str(), open.order.order_ref.as_str()),
        (ACCOUNT, "sell-700")
    );
    assert_eq!(open.order.limit_price, Some(301.0));
    assert_eq!(
        (
            open.contract.symbol.to_string().as_str(),
            open.contract.currency.to_string().as_str()
        ),
        ("700", "HKD")
    );

    sim.set_price("700", 301.4).expect("700");
    let fill = loop {
        if let PlaceOrder::ExecutionData(e) = next_data(&mut events).await {
            break e;
        }
    };
    assert_eq!(fill.execution.side.to_string(), "SLD");
    assert_eq!(
        (fill.execution.price, fill.execution.shares),
        (301.4, 100.0)
    );
    assert_eq!(fill.execution.order_reference, "sell-700");
    assert_eq!(fill.contract.exchange.to_string(), "SEHK");
    let PlaceOrder::OpenOrder(_) = next_data(&mut events).await else {
        panic!("openOrder Filled")
    };
    let PlaceOrder::OrderStatus(_) = next_data(&mut events).await else {
        panic!("orderStatus Filled")
    };
    let PlaceOrder::CommissionReport(report) = next_data(&mut events).await else {
        panic!("commission")
    };
    // HKD: 0.08% of 30,140 = 24.11; realized = (301.4 - 300.0) * 100 - 24.11.
    assert_eq!(
        (report.commission, report.currency.as_str()),
        (24.11, "HKD")
    );
    assert_eq!(report.realized_pnl, Some(115.89));
    assert_eq!(sim.position(ACCOUNT, "700").expect("700"), 100.0);
}

#[tokio::test]
async fn cancels_answer_202_10147_and_10148() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let order = order_builder::limit_order(Action::Buy, 10.0, 100.0);
    let mut placed = within(client.place_order(1, &aapl(), &order))
        .await
        .expect("placed");
    statuses_until(&mut placed, "status:Submitted").await;

    let mut cancel = within(client.cancel_order(1, ""))
        .await
        .expect("cancel sent");
    let mut saw_202 = false;
    let status = loop {
        match next_item(&mut cancel).await.expect("cancel item") {
            SubscriptionItem::Notice(n) => {
                assert_eq!((n.code, n.request_id), (202, Some(1)));
                saw_202 = true;
            }
            SubscriptionItem::Data(ibapi::orders::CancelOrder::OrderStatus(s)) => break s,
        }
    };
    assert!(saw_202, "202 comes before the Cancelled status");
    assert_eq!(
        (
            status.status.to_string().as_str(),
            status.filled,
            status.remaining
        ),
        ("Cancelled", 0.0, 0.0)
    );

    // Cancelling it again: it is final.
    let mut again = within(client.cancel_order(1, ""))
        .await
        .expect("cancel sent");
    let err = next_item(&mut again)
        .await
        .expect_err("10148 ends the request");
    assert!(err.to_string().contains("10148"), "{err}");

    let mut unknown = within(client.cancel_order(77, ""))
        .await
        .expect("cancel sent");
    let err = next_item(&mut unknown)
        .await
        .expect_err("10147 ends the request");
    assert!(err.to_string().contains("10147"), "{err}");
}

#[tokio::test]
async fn open_all_open_and_completed_orders_across_two_clients() {
    let sim = sim().await;
    let one = connect(&sim, 1).await;
    let two = connect(&sim, 2).await;
    let resting = order_builder::limit_order(Action::Buy, 5.0, 150.0);
    let mut a = within(one.place_order(1, &aapl(), &resting))
        .await
        .expect("placed");
    statuses_until(&mut a, "status:Submitted").await;
    let mut b = within(two.place_order(1, &aapl(), &resting))
        .await
        .expect("placed");
    statuses_until(&mut b, "status:Submitted").await;
    let filled = order_builder::market_order(Action::Buy, 1.0);
    let mut c = within(two.place_order(2, &aapl(), &filled))
        .await
        .expect("placed");
    statuses_until(&mut c, "commission:1").await;

    let summarize = |items: Vec<ibapi::orders::Orders>| {
        items
            .into_iter()
            .filter_map(|item| match item {
                ibapi::orders::Orders::OrderData(d) => Some((
                    d.order.client_id,
                    d.order.order_id,
                    d.order.perm_id,
                    d.order_state.status.to_string(),
                )),
                ibapi::orders::Orders::OrderStatus(_) => None,
            })
            .collect::<Vec<_>>()
    };
    let mine = within(one.open_orders())
        .await
        .expect("open")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    assert_eq!(
        summarize(mine),
        [(1, 1, 1_000_000_001, "Submitted".to_string())]
    );
    let all = within(one.all_open_orders())
        .await
        .expect("all")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    assert_eq!(
        summarize(all),
        [
            (1, 1, 1_000_000_001, "Submitted".to_string()),
            (2, 1, 1_000_000_002, "Submitted".to_string())
        ]
    );
    let completed = within(two.completed_orders(false))
        .await
        .expect("completed")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    assert_eq!(
        summarize(completed),
        [(2, 2, 1_000_000_003, "Filled".to_string())]
    );
}

/// The notice (error) a refused order gets, and the order's last status if it was recorded.
async fn refusal(
    client: &Client,
    order_id: i32,
    contract: &Contract,
    order: &ibapi::orders::Order,
) -> (i32, String, Option<String>) {
    let mut events = within(client.place_order(order_id, contract, order))
        .await
        .expect("placed");
    let mut notice = None;
    let mut last_status = None;
    loop {
        match next_item(&mut events).await {
            Ok(SubscriptionItem::Notice(n)) => notice = Some((n.code, n.message)),
            Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(s))) => {
                last_status = Some(s.status.to_string());
                break;
            }
            Ok(SubscriptionItem::Data(_)) => {}
            Err(ibapi::Error::Notice(n)) => {
                notice = Some((n.code, n.message));
                break;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    let (code, message) = notice.expect("a notice");
    (code, message, last_status)
}

#[tokio::test]
async fn refusals_use_the_real_codes() {
    let config = tws_sim::SimConfig {
        // A cash account, so that a sell without a position is refused too.
        accounts: vec![tws_sim::config::AccountConfig {
            id: "DU5".into(),
            usd: 1_000.0,
            hkd: 1_000_000.0,
            account_type: AccountType::Cash,
            ..Default::default()
        }],
        ..tws_sim::SimConfig::ephemeral()
    };
    let sim = sim_with(config).await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");

    // ibapi ends the order's subscription at the 201, before the Inactive openOrder/orderStatus
    // that follow it; the completed orders below show them.
    let (code, text, status) = refusal(
        &client,
        1,
        &aapl(),
        &order_builder::market_order(Action::Buy, 10.0),
    )
    .await;
    assert_eq!((code, status.as_deref()), (201, None));
    assert_eq!(
        text,
        "Order rejected - reason:Insufficient cash: the order needs 1901.00 USD and 1000.00 is available"
    );

    let (code, text, status) = refusal(
        &client,
        2,
        &tencent(),
        &order_builder::market_order(Action::Buy, 150.0),
    )
    .await;
    assert_eq!((code, status.as_deref()), (201, None));
    assert_eq!(
        text,
        "Order rejected - reason:The order size 150 is not a multiple of the board lot size 100 (odd lot)"
    );

    let (code, text, status) = refusal(
        &client,
        3,
        &aapl(),
        &order_builder::market_order(Action::Sell, 1.0),
    )
    .await;
    assert_eq!((code, status.as_deref()), (201, None));
    assert_eq!(
        text,
        "Order rejected - reason:Short sales are not allowed in a cash account: selling 1 with 0 available"
    );

    let unknown = Contract::stock("NOPE").build();
    let (code, text, status) = refusal(
        &client,
        4,
        &unknown,
        &order_builder::market_order(Action::Buy, 1.0),
    )
    .await;
    assert_eq!(
        (code, text.as_str(), status),
        (
            200,
            "No security definition has been found for the request",
            None
        )
    );

    let (code, _, status) = refusal(
        &client,
        5,
        &tencent(),
        &order_builder::limit_order(Action::Buy, 100.0, 300.1),
    )
    .await;
    assert_eq!((code, status), (110, None));

    // Rejected orders are completed orders (Inactive) with their reason.
    let completed = within(client.completed_orders(false))
        .await
        .expect("completed")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    let inactive = completed
        .iter()
        .filter(|o| matches!(o, ibapi::orders::Orders::OrderData(d) if d.order_state.status.to_string() == "Inactive"))
        .count();
    assert_eq!(inactive, 3);
    assert_eq!(sim.cash("DU5", "USD"), 1_000.0);
}

/// A market order for `qty` of `contract` in `account`.
fn market_in(account: &str, action: Action, qty: f64) -> ibapi::orders::Order {
    let mut order = order_builder::market_order(action, qty);
    order.account = account.into();
    order
}

#[tokio::test]
async fn a_margin_account_sells_short_and_a_cash_account_cannot() {
    const MARGIN: &str = "DU1";
    const CASH: &str = "DU2";
    let mut config = still_config();
    config.accounts = vec![
        AccountConfig {
            id: MARGIN.into(),
            ..AccountConfig::default()
        },
        AccountConfig {
            id: CASH.into(),
            account_type: AccountType::Cash,
            ..AccountConfig::default()
        },
    ];
    let ibm = config
        .contracts
        .iter_mut()
        .find(|c| c.symbol == "IBM")
        .expect("IBM is built in");
    ibm.shortable = false;
    let sim = sim_with(config).await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");

    // The margin account (the default type) sells 10 it does not hold: a short sale. The
    // proceeds, less the commission, are cash.
    let mut events = within(client.place_order(1, &aapl(), &market_in(MARGIN, Action::Sell, 10.0)))
        .await
        .expect("placed");
    assert_eq!(
        statuses_until(&mut events, "commission:1").await,
        [
            "open:PreSubmitted",
            "status:PreSubmitted",
            "exec:10",
            "open:Filled",
            "status:Filled",
            "commission:1"
        ]
    );
    drop(events);
    assert_eq!(sim.position(MARGIN, "AAPL").expect("AAPL"), -10.0);
    assert_eq!(sim.cash(MARGIN, "USD"), 1_000_000.0 + 1_900.0 - 1.0);
    let mut positions = within(client.positions()).await.expect("positions");
    let mut rows = Vec::new();
    while let PositionUpdate::Position(p) = next_data(&mut positions).await {
        rows.push((
            p.account,
            p.contract.symbol.to_string(),
            p.position,
            p.average_cost,
        ));
    }
    drop(positions);
    assert_eq!(
        rows,
        [(MARGIN.to_string(), "AAPL".to_string(), -10.0, 190.0)]
    );

    // Buying 10 back at 180 covers it: 10 a share realized, less the cover's commission.
    sim.set_price("AAPL", 180.0).expect("AAPL");
    let mut events = within(client.place_order(2, &aapl(), &market_in(MARGIN, Action::Buy, 10.0)))
        .await
        .expect("placed");
    let report = loop {
        if let PlaceOrder::CommissionReport(report) = next_data(&mut events).await {
            break report;
        }
    };
    drop(events);
    assert_eq!(report.realized_pnl, Some(99.0));
    assert_eq!(sim.position(MARGIN, "AAPL").expect("AAPL"), 0.0);
    assert_eq!(sim.cash(MARGIN, "USD"), 1_000_000.0 + 100.0 - 2.0);

    // A contract IB cannot borrow is refused, as IB words it.
    let (code, text, _) = refusal(
        &client,
        3,
        &Contract::stock("IBM").build(),
        &market_in(MARGIN, Action::Sell, 1.0),
    )
    .await;
    assert_eq!(
        (code, text.as_str()),
        (
            201,
            "Order rejected - reason:The contract is not available for short sale"
        )
    );

    // The cash account may sell what it holds, never more.
    let (code, text, _) = refusal(&client, 4, &aapl(), &market_in(CASH, Action::Sell, 1.0)).await;
    assert_eq!(
        (code, text.as_str()),
        (
            201,
            "Order rejected - reason:Short sales are not allowed in a cash account: selling 1 with 0 available"
        )
    );
    let mut events = within(client.place_order(5, &aapl(), &market_in(CASH, Action::Buy, 5.0)))
        .await
        .expect("placed");
    statuses_until(&mut events, "commission:1").await;
    drop(events);
    let mut resting = order_builder::limit_order(Action::Sell, 5.0, 200.0);
    resting.account = CASH.into();
    let mut events = within(client.place_order(6, &aapl(), &resting))
        .await
        .expect("placed");
    statuses_until(&mut events, "status:Submitted").await;
    drop(events);
    // Asking the working sell for one more share would sell short: refused, and it keeps
    // working as it was.
    resting.total_quantity = 6.0;
    let (code, text, _) = refusal(&client, 6, &aapl(), &resting).await;
    assert_eq!(
        (code, text.as_str()),
        (
            201,
            "Order rejected - reason:Short sales are not allowed in a cash account: selling 6 with 5 available"
        )
    );
    // At its limit it sells the 5 it was for (6 would leave the cash account short).
    sim.set_price("AAPL", 200.0).expect("AAPL");
    assert_eq!(sim.position(CASH, "AAPL").expect("AAPL"), 0.0);
    assert_eq!(sim.position(MARGIN, "IBM").expect("IBM"), 0.0);
}

#[tokio::test]
async fn executions_filter_by_client_symbol_and_side() {
    let sim = sim().await;
    let one = connect(&sim, 1).await;
    let two = connect(&sim, 2).await;
    let mut a =
        within(one.place_order(1, &aapl(), &order_builder::market_order(Action::Buy, 10.0)))
            .await
            .expect("a");
    statuses_until(&mut a, "commission:1").await;
    let mut b = within(two.place_order(
        1,
        &tencent(),
        &order_builder::market_order(Action::Buy, 100.0),
    ))
    .await
    .expect("b");
    statuses_until(&mut b, "commission:24").await;
    let mut c =
        within(one.place_order(2, &aapl(), &order_builder::market_order(Action::Sell, 4.0)))
            .await
            .expect("c");
    statuses_until(&mut c, "commission:1").await;
    // ibapi routes an execution to a live order subscription before the request's; drop them.
    drop((a, b, c));

    let fetch = |filter: ibapi::orders::ExecutionFilter| {
        let one = &one;
        async move {
            let rows = within(one.executions(filter))
                .await
                .expect("executions")
                .collect_to_end_within(WAIT)
                .await
                .expect("end");
            let mut execs = Vec::new();
            let mut commissions = Vec::new();
            for row in rows {
                match row {
                    ibapi::orders::Executions::ExecutionData(e) => execs.push((
                        e.execution.client_id,
                        e.contract.symbol.to_string(),
                        e.execution.side.to_string(),
                        e.execution.shares,
                    )),
                    ibapi::orders::Executions::CommissionReport(c) => {
                        commissions.push(c.execution_id)
                    }
                }
            }
            assert_eq!(
                commissions.len(),
                execs.len(),
                "one commission report per execution"
            );
            execs
        }
    };
    let all = fetch(Default::default()).await;
    assert_eq!(all.len(), 3);
    let mine = fetch(ibapi::orders::ExecutionFilter {
        client_id: Some(1),
        ..Default::default()
    })
    .await;
    assert_eq!(
        mine,
        [
            (1, "AAPL".into(), "BOT".into(), 10.0),
            (1, "AAPL".into(), "SLD".into(), 4.0)
        ]
    );
    let hk = fetch(ibapi::orders::ExecutionFilter {
        symbol: "700".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(hk, [(2, "700".into(), "BOT".into(), 100.0)]);
    let sells = fetch(ibapi::orders::ExecutionFilter {
        side: Some(ibapi::orders::ExecutionFilterSide::Sell),
        ..Default::default()
    })
    .await;
    assert_eq!(sells, [(1, "AAPL".into(), "SLD".into(), 4.0)]);
}

#[tokio::test]
async fn global_cancel_and_order_modification() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let mut first = within(client.place_order(
        1,
        &aapl(),
        &order_builder::limit_order(Action::Buy, 5.0, 180.0),
    ))
    .await
    .expect("1");
    statuses_until(&mut first, "status:Submitted").await;
    // Same id again: a modification (new limit), answered with the order's state.
    let mut modified = within(client.place_order(
        1,
        &aapl(),
        &order_builder::limit_order(Action::Buy, 5.0, 181.0),
    ))
    .await
    .expect("mod");
    let PlaceOrder::OpenOrder(open) = next_data(&mut modified).await else {
        panic!("openOrder")
    };
    assert_eq!(
        (open.order.limit_price, open.order.perm_id),
        (Some(181.0), 1_000_000_001)
    );
    drop(modified);
    let mut second = within(client.place_order(
        2,
        &aapl(),
        &order_builder::limit_order(Action::Buy, 5.0, 170.0),
    ))
    .await
    .expect("2");
    statuses_until(&mut second, "status:Submitted").await;

    within(client.global_cancel()).await.expect("global cancel");
    assert_eq!(
        statuses_until(&mut second, "status:Cancelled").await,
        ["status:Cancelled"]
    );
    let open = within(client.open_orders())
        .await
        .expect("open")
        .collect_to_end_within(WAIT)
        .await
        .expect("end");
    assert!(open.is_empty(), "{open:?}");
}
