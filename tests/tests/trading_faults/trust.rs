//! What a trader trusting the host with a live account relies on, proved against tws-sim's
//! faults: an order IB refuses with a notice alone is rejected (not left `sending`), a limit
//! price off the contract's tick is rounded onto it before it is sent, a hostile execution
//! time does not stop the host, a market order that waited too long is expired instead of
//! sent late, a halt holds the queue, an order whose fate nobody knows is settled by an
//! operator, and options held on a traded symbol are not taken for its shares. Each waits for
//! the host's events (bounded), never sleeps, and checks exact values at the host and the
//! broker.

use std::collections::BTreeMap;

use sandtrade_core::{OrderType, RejectCode, Side};
use sandtrade_tests::rig::{
    ACCOUNT, BrokerPosition, Rig, broker_orders, broker_positions, next_fill, next_sent, wait_for,
};
use sandtrade_trading::{
    Exit, ManualOrder, ManualRefusal, Settlement, TradingEvent, TradingHandle,
};
use tokio::sync::broadcast::Receiver;
use tws_sim::SimConfig;
use tws_sim::config::{HeldOption, OptionRight};

use super::{metronome, stop};

/// Waits for order `id` to reach the state `want`.
async fn reaches(events: &mut Receiver<TradingEvent>, id: u64, want: &str) {
    wait_for(events, |e| {
        matches!(e, TradingEvent::OrderState { id: i, to, .. } if *i == id && to.as_str() == want)
            .then_some(())
    })
    .await;
}

/// Waits until `connectivity_lost` has reached the host (IB's 1100).
async fn cut_off(events: &mut Receiver<TradingEvent>) {
    wait_for(events, |e| {
        matches!(e, TradingEvent::Notice { code: 1100, .. }).then_some(())
    })
    .await;
}

/// Waits until the host holds `queued` orders, and returns why.
async fn held(events: &mut Receiver<TradingEvent>, queued: usize) -> String {
    wait_for(events, |e| match e {
        TradingEvent::OrdersHeld { queued: q, reason } if *q == queued => Some(reason.clone()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_refused_by_a_notice_alone_is_rejected_and_frees_its_shares() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 3\nsignals = 2", "").await;
    rig.sim.faults().reject_by_notice_only(1);
    rig.sim.step_bar();
    let (first, _) = next_sent(&mut events).await;
    reaches(&mut events, first, "rejected").await;
    let order = host.order(first).await.unwrap();
    let note = order.note.expect("IB's code and text are kept");
    assert!(
        note.starts_with("IB 201: Order rejected - reason:Simulated rejection by notice alone"),
        "{note}"
    );
    let exposure = host.exposure("metronome", "AAPL").await.unwrap();
    assert_eq!(
        (exposure.held, exposure.pending_buys),
        (0, 0),
        "nothing is counted as being bought any more"
    );

    // The next signal trades as if nothing happened.
    rig.sim.step_bar();
    let (second, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (second, 3, true));
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_price_off_the_tick_is_rounded_onto_it_and_the_order_rests() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "every = 1000000", "").await;
    // A cent below the market, then a fraction of a cent more: IB refuses such a price (110).
    let market = (rig.sim.price("AAPL").unwrap() * 100.0).round() / 100.0;
    let on_tick = market - 1.0;
    let accepted = host
        .submit(ManualOrder {
            strategy: "manual".into(),
            side: Side::Buy,
            symbol: "AAPL".into(),
            quantity: 5,
            order_type: OrderType::Limit(on_tick + 0.004),
            timing: sandtrade_core::Timing::DAY,
            reason: "a price off the tick".into(),
            exits: None,
        })
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(accepted.order_type, OrderType::Limit(p) if (p - on_tick).abs() < 1e-9),
        "the answer reports the price as it is sent: {accepted:?}"
    );
    let id = accepted.id;
    let (sent, _) = next_sent(&mut events).await;
    assert_eq!(sent, id);
    reaches(&mut events, id, "submitted").await;
    let order = host.order(id).await.unwrap();
    let price = order.limit_price.expect("a limit order");
    assert!(
        (price - on_tick).abs() < 1e-9,
        "a buy's price is rounded down onto the cent: {price} vs {on_tick}"
    );
    let at_broker = broker_orders(&rig.sim).await;
    assert_eq!(at_broker.len(), 1, "{at_broker:#?}");
    assert_eq!(at_broker[0].status, "Submitted", "it rests at IB");
    assert!(
        (at_broker[0].limit_price.unwrap() - on_tick).abs() < 1e-9,
        "{at_broker:#?}"
    );
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_execution_time_is_survived_and_the_fill_kept() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 2\nsignals = 2", "").await;
    rig.sim.faults().garble_next_exec_time();
    rig.sim.step_bar();
    let (first, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (first, 2, true));

    // Reconciling replays the same garbled execution: counted once, still no crash.
    host.disconnect().await.unwrap();
    host.connect().await.unwrap();
    let new_fills = wait_for(&mut events, |e| match e {
        TradingEvent::Reconciled { new_fills, .. } => Some(*new_fills),
        _ => None,
    })
    .await;
    assert_eq!(new_fills, 0);
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Subscribed { .. }).then_some(())
    })
    .await;
    rig.sim.step_bar();
    let (second, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (second, 2, true));
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 4.0);
    assert_eq!(host.exit(), Exit::Running);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_market_order_queued_too_long_expires_instead_of_being_sent_late() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(
        &rig,
        "quantity = 1\nsignals = 1",
        "[queue]\nmarket_order_max_age_ms = 1000\n",
    )
    .await;
    rig.sim.faults().connectivity_lost();
    cut_off(&mut events).await;
    rig.sim.step_bar();
    assert_eq!(held(&mut events, 1).await, "IB connectivity lost (1100)");
    let id = host.orders().await.unwrap()[0].id;
    reaches(&mut events, id, "cancelled").await;
    let order = host.order(id).await.unwrap();
    assert_eq!(
        order.note.as_deref(),
        Some(
            "expired unsent: a market order queued longer than 1 s ([queue] \
             market_order_max_age_ms) is not sent"
        )
    );

    rig.sim.faults().connectivity_restored();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Notice { code: 1102, .. }).then_some(())
    })
    .await;
    assert_eq!(host.status().await.unwrap().orders.queued, 0);
    assert!(
        broker_orders(&rig.sim).await.is_empty(),
        "nothing reached IB"
    );
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_halt_holds_the_queue_until_trading_resumes() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 1\nsignals = 1", "").await;
    rig.sim.faults().connectivity_lost();
    cut_off(&mut events).await;
    rig.sim.step_bar();
    held(&mut events, 1).await;
    host.halt("operator: checking the account");

    // IB is back, but trading is halted: the order stays queued.
    rig.sim.faults().connectivity_restored();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Notice { code: 1102, .. }).then_some(())
    })
    .await;
    let status = host.status().await.unwrap();
    assert_eq!(status.orders.queued, 1);
    assert!(
        broker_orders(&rig.sim).await.is_empty(),
        "nothing reached IB"
    );

    host.resume();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 1, true));
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_lost_on_the_way_to_ib_is_settled_by_the_operator() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 2\nsignals = 1", "").await;
    rig.sim.faults().lose_next_orders(1);
    rig.sim.step_bar();
    let (id, first_ib_id) = next_sent(&mut events).await;

    // After a reconnect, IB does not know the order: nobody can tell whether it got there.
    host.disconnect().await.unwrap();
    host.connect().await.unwrap();
    reaches(&mut events, id, "unknown").await;
    let status = host.status().await.unwrap();
    let unknown: Vec<u64> = status.orders.unknown.iter().map(|u| u.id).collect();
    assert_eq!(unknown, [id]);
    assert_eq!(
        host.exposure("metronome", "AAPL")
            .await
            .unwrap()
            .pending_buys,
        2,
        "an unknown order's shares stay pending until it is settled"
    );

    // The operator checked TWS: it is not there. Sent again, under a new IB order id.
    let settled = host
        .settle_unknown(id, Settlement::Requeued, "checked TWS: no such order")
        .await
        .unwrap();
    assert_eq!(settled.state, "queued");
    assert!(
        settled
            .note
            .as_deref()
            .unwrap()
            .contains("checked TWS: no such order"),
        "{settled:?}"
    );
    let (again, second_ib_id) = next_sent(&mut events).await;
    assert_eq!(again, id);
    assert_ne!(second_ib_id, first_ib_id);
    assert_eq!(next_fill(&mut events).await, (id, 2, true));
    assert!(host.status().await.unwrap().orders.unknown.is_empty());
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 2.0);
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settling_an_order_that_is_not_unknown_is_refused() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 1\nsignals = 1", "").await;
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 1, true));
    let refused = host
        .settle_unknown(id, Settlement::Cancelled, "just in case")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("filled"),
        "says what state it is in: {refused}"
    );
    assert_eq!(host.order(id).await.unwrap().state, "filled");
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonsense_next_valid_id_is_refused_and_the_id_floor_kept() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(&rig, "quantity = 1\nsignals = 2", "").await;
    rig.sim.step_bar();
    let (first, ib) = next_sent(&mut events).await;
    assert_eq!(ib, 1);
    assert_eq!(next_fill(&mut events).await, (first, 1, true));

    // The gateway comes back handing out ids just below where ibapi's own request ids
    // begin (1,500,000,000): a few hundred thousand orders would collide with them.
    rig.sim.faults().restart(Some(1_499_500_000));
    let refused = wait_for(&mut events, |e| match e {
        TradingEvent::ConnectFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        refused.contains("IB's nextValidId 1499500000 for clientId 7 is not usable"),
        "{refused}"
    );

    // Once it hands out sane ids again, trading resumes from the host's own floor.
    rig.sim.faults().restart(Some(1));
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Subscribed { .. }).then_some(())
    })
    .await;
    rig.sim.step_bar();
    let (second, ib) = next_sent(&mut events).await;
    assert_eq!(ib, 2, "the floor was not moved by the nonsense");
    assert_eq!(next_fill(&mut events).await, (second, 1, true));
    stop(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_loss_past_the_account_limit_halts_trading() {
    let rig = Rig::new(SimConfig::ephemeral()).await;
    let (host, mut events) = metronome(
        &rig,
        "quantity = 10\nsignals = 1",
        "[account]\nmax_daily_loss = 100.0\n",
    )
    .await;
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 10, true));
    let status = host.status().await.unwrap();
    assert_eq!(status.halted, None);
    assert_eq!(status.account_risk.max_daily_loss, Some(100.0));

    // AAPL falls 30 under the ten shares: a loss of about 300 (plus commission).
    let price = rig.sim.price("AAPL").unwrap();
    rig.sim.set_price("AAPL", price - 30.0).unwrap();
    rig.sim.step(1);
    let reason = wait_for(&mut events, |e| match e {
        TradingEvent::LossLimit { reason } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        reason.starts_with("account loss limit: the day's P&L is -"),
        "{reason}"
    );
    assert!(reason.contains("max_daily_loss 100.00"), "{reason}");
    let status = host.status().await.unwrap();
    assert_eq!(status.halted.as_deref(), Some(reason.as_str()));
    let pnl = status.account_risk.pnl.expect("IB's P&L is shown");
    let expected = rig.sim.pnl(ACCOUNT).expect("the account's P&L").daily;
    assert!(pnl.daily <= -290.0, "{pnl:?}");
    assert!((pnl.daily - expected).abs() < 20.0, "{pnl:?} vs {expected}");

    // Halted: an operator's buy is refused too.
    let refused = host
        .submit(ManualOrder {
            strategy: "manual".into(),
            side: Side::Buy,
            symbol: "AAPL".into(),
            quantity: 1,
            order_type: OrderType::Market,
            timing: sandtrade_core::Timing::DAY,
            reason: "buy the dip".into(),
            exits: None,
        })
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&refused, ManualRefusal::Risk(r) if r.code == RejectCode::TradingHalted),
        "{refused:?}"
    );
    stop(host).await;
}

/// Two AAPL calls written against shares (a covered call), held outside Sandtrade: IB reports
/// them under the symbol `AAPL`, as it does the shares.
fn covered_call() -> HeldOption {
    HeldOption {
        average_cost: 350.0,
        ..HeldOption::us_equity(
            712345678,
            "AAPL",
            "20250117",
            200.0,
            OptionRight::Call,
            -2.0,
        )
    }
}

/// Returns once the host's housekeeping has checked drift at least twice from now, the two
/// checks more than a second apart: long enough for any difference between the broker's
/// positions and the ledger to outlast a grace period under a second. The checks report
/// nothing when they find nothing, but the same housekeeping pass (once a second) also expires
/// market orders queued longer than `[queue] market_order_max_age_ms`, which must be 2 s: a
/// market order held back by a connectivity loss expires in the first pass at least 2 s after
/// it was queued, and the pass before that one came over a second after it was queued.
async fn drift_checked_twice(rig: &Rig, host: &TradingHandle, events: &mut Receiver<TradingEvent>) {
    rig.sim.faults().connectivity_lost();
    cut_off(events).await;
    let probe = host
        .submit(ManualOrder {
            strategy: "manual".into(),
            side: Side::Buy,
            symbol: "MSFT".into(),
            quantity: 1,
            order_type: OrderType::Market,
            timing: sandtrade_core::Timing::DAY,
            reason: "to see housekeeping pass".into(),
            exits: None,
        })
        .await
        .unwrap()
        .unwrap();
    held(events, 1).await;
    reaches(events, probe.id, "cancelled").await;
    rig.sim.faults().connectivity_restored();
    wait_for(events, |e| {
        matches!(e, TradingEvent::Notice { code: 1102, .. }).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_on_a_traded_symbol_are_not_taken_for_its_shares() {
    let mut config = SimConfig::ephemeral();
    config.accounts[0].option_positions = vec![covered_call()];
    let rig = Rig::new(config).await;
    // Any difference that lasts 200 ms halts trading: the grace only lets a fill and its
    // position update, which arrive on different streams, catch up with each other.
    let (host, mut events) = metronome(
        &rig,
        "quantity = 5\nsignals = 1",
        "[positions]\ndrift_grace_ms = 200\nhalt_on_drift = true\n\
         [queue]\nmarket_order_max_age_ms = 2000\n",
    )
    .await;
    rig.sim.step_bar();
    let (id, _) = next_sent(&mut events).await;
    assert_eq!(next_fill(&mut events).await, (id, 5, true));

    // A reconnect reads the positions anew: the shares and the calls, both under AAPL.
    host.disconnect().await.unwrap();
    host.connect().await.unwrap();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    let shares_only = BTreeMap::from([("AAPL".to_string(), 5.0)]);
    assert_eq!(host.positions().await.unwrap().broker, shares_only);

    // A put bought while the host is connected reaches it as a live position update.
    let put = HeldOption::us_equity(712345679, "AAPL", "20250117", 180.0, OptionRight::Put, 1.0);
    rig.sim.hold_option(ACCOUNT, put).unwrap();
    let position = |security_type: &str, con_id, position| BrokerPosition {
        symbol: "AAPL".into(),
        security_type: security_type.into(),
        con_id,
        position,
    };
    assert_eq!(
        broker_positions(&rig.sim).await,
        [
            position("STK", 265598, 5.0),
            position("OPT", 712345678, -2.0),
            position("OPT", 712345679, 1.0),
        ],
        "the broker reports the shares and both options"
    );

    drift_checked_twice(&rig, &host, &mut events).await;
    let status = host.status().await.unwrap();
    assert_eq!(status.halted, None);
    assert!(status.drift.is_empty(), "{:?}", status.drift);
    let positions = host.positions().await.unwrap();
    assert_eq!(positions.broker, shares_only, "the shares alone count");
    assert_eq!(positions.strategies["metronome"]["AAPL"].quantity, 5);
    assert!(positions.drift.is_empty(), "{:?}", positions.drift);
    stop(host).await;
}
