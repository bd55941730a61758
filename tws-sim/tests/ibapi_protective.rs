//! Protective order types through the real `ibapi` 5.5 async client: stops, stop limits,
//! trailing stops (by amount and by percentage) and trailing stop limits. Prices stand still
//! (no random walk) and move only when a test sets them, so every trigger and fill is exact.

mod support;

use ibapi::orders::{Action, Order, PlaceOrder, order_builder};
use ibapi::prelude::*;

use support::*;

#[tokio::test]
async fn sell_stop_waits_presubmitted_and_fills_at_market_once_the_last_reaches_the_stop() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut events = place(
        &sim,
        &client,
        1,
        190.0,
        &order_builder::stop(Action::Sell, 10.0, 185.0),
    )
    .await;
    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder first")
    };
    assert_eq!(open.order_state.status.to_string(), "PreSubmitted");
    assert_eq!(
        (open.order.order_type.as_str(), open.order.aux_price),
        ("STP", Some(185.0))
    );
    assert_eq!(event(&mut events).await, "status:PreSubmitted");

    sim.set_price("AAPL", 185.01).expect("AAPL");
    let still = query(&client, &mut events, 1).await;
    assert_eq!(still.order_state.status.to_string(), "PreSubmitted");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);

    sim.set_price("AAPL", 185.0).expect("AAPL");
    assert_eq!(take(&mut events, 4).await, filled_at(10.0, 185.0));
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), -10.0);
}

#[tokio::test]
async fn buy_stop_limit_triggers_then_rests_as_a_limit_until_the_price_comes_back() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut order = order_builder::limit_order(Action::Buy, 10.0, 196.0);
    order.order_type = "STP LMT".into();
    order.aux_price = Some(195.0);
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    assert_eq!(
        take(&mut events, 2).await,
        ["open:PreSubmitted", "status:PreSubmitted"]
    );

    // Gaps through the stop and the limit: triggered, but 197 is above the limit.
    sim.set_price("AAPL", 197.0).expect("AAPL");
    assert_eq!(
        take(&mut events, 2).await,
        ["open:Submitted", "status:Submitted"]
    );
    let working = query(&client, &mut events, 1).await;
    assert_eq!(
        (
            working.order.order_type.as_str(),
            working.order.limit_price,
            working.order.aux_price
        ),
        ("STP LMT", Some(196.0), Some(195.0))
    );

    sim.set_price("AAPL", 195.5).expect("AAPL");
    assert_eq!(take(&mut events, 4).await, filled_at(10.0, 195.5));
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 10.0);
}

#[tokio::test]
async fn sell_trailing_stop_by_amount_follows_the_high_and_never_comes_down() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let order = Order {
        action: Action::Sell,
        order_type: "TRAIL".into(),
        total_quantity: 10.0,
        aux_price: Some(2.0),
        ..Order::default()
    };
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    let PlaceOrder::OpenOrder(open) = next_data(&mut events).await else {
        panic!("openOrder first")
    };
    // No trailStopPrice given: the stop starts at the last price less the amount.
    assert_eq!(open.order.trail_stop_price, Some(188.0));
    assert_eq!(event(&mut events).await, "status:PreSubmitted");

    sim.set_price("AAPL", 195.0).expect("AAPL");
    sim.set_price("AAPL", 193.5).expect("AAPL");
    let trailing = query(&client, &mut events, 1).await;
    assert_eq!(trailing.order.trail_stop_price, Some(193.0));
    assert_eq!(trailing.order_state.status.to_string(), "PreSubmitted");

    sim.set_price("AAPL", 193.0).expect("AAPL");
    assert_eq!(take(&mut events, 4).await, filled_at(10.0, 193.0));
}

#[tokio::test]
async fn buy_trailing_stop_by_percentage_starts_at_the_given_stop_and_only_comes_down() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    // 1 % trail, the stop given at 195: the last 190 puts it at 191.9 at once.
    let order = order_builder::trailing_stop(Action::Buy, 10.0, 1.0, 195.0);
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    assert_eq!(
        take(&mut events, 2).await,
        ["open:PreSubmitted", "status:PreSubmitted"]
    );
    let trailing = query(&client, &mut events, 1).await;
    assert_eq!(
        (
            trailing.order.trail_stop_price,
            trailing.order.trailing_percent
        ),
        (Some(191.9), Some(1.0))
    );

    sim.set_price("AAPL", 180.0).expect("AAPL");
    sim.set_price("AAPL", 181.7).expect("AAPL");
    let trailing = query(&client, &mut events, 1).await;
    assert_eq!(trailing.order.trail_stop_price, Some(181.8));

    sim.set_price("AAPL", 181.8).expect("AAPL");
    assert_eq!(take(&mut events, 4).await, filled_at(10.0, 181.8));
}

#[tokio::test]
async fn sell_trailing_stop_limit_rests_at_the_stop_less_the_offset() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let order = Order {
        action: Action::Sell,
        order_type: "TRAIL LIMIT".into(),
        total_quantity: 10.0,
        aux_price: Some(1.0),
        limit_price_offset: Some(0.5),
        ..Order::default()
    };
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    assert_eq!(
        take(&mut events, 2).await,
        ["open:PreSubmitted", "status:PreSubmitted"]
    );

    sim.set_price("AAPL", 192.0).expect("AAPL");
    // Gaps below the stop (191) and its limit (190.5): triggered, resting at 190.5.
    sim.set_price("AAPL", 190.0).expect("AAPL");
    assert_eq!(
        take(&mut events, 2).await,
        ["open:Submitted", "status:Submitted"]
    );
    let working = query(&client, &mut events, 1).await;
    assert_eq!(
        (
            working.order.limit_price,
            working.order.trail_stop_price,
            working.order.limit_price_offset
        ),
        (Some(190.5), Some(191.0), Some(0.5))
    );

    sim.set_price("AAPL", 190.6).expect("AAPL");
    assert_eq!(take(&mut events, 4).await, filled_at(10.0, 190.6));
}

#[tokio::test]
async fn a_stop_without_its_stop_price_is_refused() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let order = Order {
        action: Action::Sell,
        order_type: "STP".into(),
        total_quantity: 10.0,
        ..Order::default()
    };
    let mut events = place(&sim, &client, 1, 190.0, &order).await;
    let (code, message) = refusal(&mut events).await;
    assert_eq!(code, 321);
    assert!(
        message.ends_with("cause - a STP order needs a positive stop price (auxPrice)"),
        "{message}"
    );
    assert_eq!(open_order(&client, 1).await.map(|o| o.order_id), None);
}

/// IB's bracket through `ibapi`'s own builder: a parent BUY LMT at 189 and its take-profit
/// (SELL LMT 195) held with `transmit = false`, the stop-loss (SELL STP 185) transmitting all
/// three; the market at 190.
async fn bracket(
    sim: &tws_sim::SimHandle,
    client: &Client,
) -> Vec<ibapi::subscriptions::Subscription<PlaceOrder>> {
    use ibapi::orders::builder::BracketPrices;
    let prices = BracketPrices {
        entry: 189.0,
        take_profit: 195.0,
        stop_loss: 185.0,
    };
    let orders = order_builder::bracket_order(1, Action::Buy, 100.0, prices).expect("bracket");
    sim.set_price("AAPL", 190.0).expect("AAPL");
    let mut subscriptions = Vec::new();
    for order in &orders {
        if order.transmit {
            // Held orders are neither working nor reported until their bracket is sent.
            assert_eq!(open_order(client, 1).await.map(|o| o.order_id), None);
        }
        subscriptions.push(
            within(client.place_order(order.order_id, &aapl(), order))
                .await
                .expect("placed"),
        );
    }
    let [parent, profit, loss] = &mut subscriptions[..] else {
        unreachable!("three orders")
    };
    assert_eq!(
        take(parent, 2).await,
        ["open:Submitted", "status:Submitted"]
    );
    // The children wait for the parent's fill.
    let PlaceOrder::OpenOrder(child) = next_data(profit).await else {
        panic!("the take-profit's openOrder")
    };
    assert_eq!(
        (
            child.order_state.status.to_string(),
            child.order.parent_id,
            child.order.limit_price
        ),
        ("PreSubmitted".to_string(), 1, Some(195.0))
    );
    assert_eq!(take(profit, 1).await, ["status:PreSubmitted"]);
    let PlaceOrder::OpenOrder(child) = next_data(loss).await else {
        panic!("the stop-loss's openOrder")
    };
    assert_eq!(
        (
            child.order_state.status.to_string(),
            child.order.order_type,
            child.order.aux_price
        ),
        ("PreSubmitted".to_string(), "STP".to_string(), Some(185.0))
    );
    assert_eq!(take(loss, 1).await, ["status:PreSubmitted"]);
    subscriptions
}

/// A bracket on `sim` through to its take-profit: the parent fills at 189, the take-profit
/// works and fills at 195, the stop-loss is cancelled, the position is flat again.
async fn bracket_to_its_take_profit(sim: &tws_sim::SimHandle, client: &Client) {
    let mut subscriptions = bracket(sim, client).await;
    let [parent, profit, loss] = &mut subscriptions[..] else {
        unreachable!("three orders")
    };

    // The take-profit's price before the parent has filled: nothing happens (the parent's
    // fill is the next event of all three).
    sim.set_price("AAPL", 195.0).expect("AAPL");
    sim.set_price("AAPL", 189.0).expect("AAPL");
    assert_eq!(take(parent, 4).await, filled_at(100.0, 189.0));
    // The parent filled: the take-profit works; the stop-loss waits for its trigger.
    assert_eq!(
        take(profit, 2).await,
        ["open:Submitted", "status:Submitted"]
    );

    sim.set_price("AAPL", 195.0).expect("AAPL");
    assert_eq!(take(profit, 4).await, filled_at(100.0, 195.0));
    assert_eq!(take(loss, 1).await, ["status:Cancelled"]);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
}

#[tokio::test]
async fn bracket_take_profit_fills_after_the_parent_and_cancels_the_stop_loss() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    bracket_to_its_take_profit(&sim, &client).await;
    assert_eq!(sim.cash(ACCOUNT, "USD"), 1_000_000.0 + 600.0 - 2.0);
    assert_eq!(open_order(&client, 3).await.map(|o| o.order_id), None);
}

/// In a cash account, where no sale may go short, a bracket is accepted all the same: its
/// sell children sell what their parent buys, and the two of them are one exit, not two.
#[tokio::test]
async fn a_cash_account_takes_a_bracket_whose_exits_sell_what_the_entry_buys() {
    let mut config = still_config();
    for account in &mut config.accounts {
        account.account_type = tws_sim::config::AccountType::Cash;
    }
    let sim = sim_with(config).await;
    let client = connect(&sim, 1).await;
    bracket_to_its_take_profit(&sim, &client).await;
}

#[tokio::test]
async fn bracket_stop_loss_triggers_and_cancels_the_take_profit() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut subscriptions = bracket(&sim, &client).await;
    let [parent, profit, loss] = &mut subscriptions[..] else {
        unreachable!("three orders")
    };
    // The stop-loss does not trigger before its parent has filled.
    sim.set_price("AAPL", 189.0).expect("AAPL");
    assert_eq!(take(parent, 4).await, filled_at(100.0, 189.0));
    assert_eq!(
        take(profit, 2).await,
        ["open:Submitted", "status:Submitted"]
    );

    sim.set_price("AAPL", 185.5).expect("AAPL");
    sim.set_price("AAPL", 184.9).expect("AAPL");
    assert_eq!(take(loss, 4).await, filled_at(100.0, 184.9));
    assert_eq!(take(profit, 1).await, ["status:Cancelled"]);
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
}

#[tokio::test]
async fn cancelling_a_bracket_parent_cancels_its_children() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let mut subscriptions = bracket(&sim, &client).await;
    let mut cancel = within(client.cancel_order(1, "")).await.expect("cancel");
    assert!(matches!(
        next_data(&mut cancel).await,
        ibapi::orders::CancelOrder::OrderStatus(s) if s.status.to_string() == "Cancelled"
    ));
    let [_, profit, loss] = &mut subscriptions[..] else {
        unreachable!("three orders")
    };
    assert_eq!(take(profit, 1).await, ["status:Cancelled"]);
    assert_eq!(take(loss, 1).await, ["status:Cancelled"]);
    // Prices that would have filled every one of them: nothing trades.
    sim.set_price("AAPL", 180.0).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 0.0);
    assert_eq!(open_order(&client, 3).await.map(|o| o.order_id), None);
}

/// A BUY LMT for AAPL in OCA group `group` of `oca_type`.
fn oca_buy(quantity: f64, limit: f64, group: &str, oca_type: ibapi::orders::OcaType) -> Order {
    let mut order = order_builder::limit_order(Action::Buy, quantity, limit);
    order.oca_group = group.into();
    order.oca_type = oca_type;
    order
}

#[tokio::test]
async fn oca_type_1_cancels_the_others_at_the_first_fill() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let group = ibapi::orders::OcaType::CancelWithBlock;
    let mut first = place(&sim, &client, 1, 190.0, &oca_buy(10.0, 189.0, "g1", group)).await;
    let mut second = place(&sim, &client, 2, 190.0, &oca_buy(10.0, 188.0, "g1", group)).await;
    let PlaceOrder::OpenOrder(open) = next_data(&mut second).await else {
        panic!("openOrder")
    };
    assert_eq!(
        (open.order.oca_group.as_str(), open.order.oca_type),
        ("g1", group)
    );
    assert_eq!(take(&mut second, 1).await, ["status:Submitted"]);
    assert_eq!(
        take(&mut first, 2).await,
        ["open:Submitted", "status:Submitted"]
    );

    sim.set_price("AAPL", 189.0).expect("AAPL");
    assert_eq!(take(&mut first, 4).await, filled_at(10.0, 189.0));
    assert_eq!(take(&mut second, 1).await, ["status:Cancelled"]);
    sim.set_price("AAPL", 188.0).expect("AAPL");
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 10.0);
}

#[tokio::test]
async fn oca_type_3_reduces_the_others_by_the_quantity_filled() {
    let sim = sim_with(still_config()).await;
    let client = connect(&sim, 1).await;
    let group = ibapi::orders::OcaType::ReduceWithoutBlock;
    let mut first = place(&sim, &client, 1, 190.0, &oca_buy(40.0, 189.0, "g3", group)).await;
    let mut second = place(&sim, &client, 2, 190.0, &oca_buy(100.0, 188.0, "g3", group)).await;
    assert_eq!(
        take(&mut first, 2).await,
        ["open:Submitted", "status:Submitted"]
    );
    assert_eq!(
        take(&mut second, 2).await,
        ["open:Submitted", "status:Submitted"]
    );

    sim.set_price("AAPL", 189.0).expect("AAPL");
    assert_eq!(take(&mut first, 4).await, filled_at(40.0, 189.0));
    let PlaceOrder::OpenOrder(reduced) = next_data(&mut second).await else {
        panic!("openOrder of the reduced order")
    };
    assert_eq!(
        (
            reduced.order.total_quantity,
            reduced.order_state.status.to_string().as_str()
        ),
        (60.0, "Submitted")
    );
    let PlaceOrder::OrderStatus(status) = next_data(&mut second).await else {
        panic!("orderStatus of the reduced order")
    };
    assert_eq!((status.filled, status.remaining), (0.0, 60.0));

    sim.set_price("AAPL", 188.0).expect("AAPL");
    assert_eq!(take(&mut second, 4).await, filled_at(60.0, 188.0));
    assert_eq!(sim.position(ACCOUNT, "AAPL").expect("AAPL"), 100.0);
}
