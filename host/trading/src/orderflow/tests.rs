//! The order flow on its own: a real order store in a temporary directory, IB's order events
//! as `ibapi` delivers them, no connection and no simulator.

use std::sync::{Arc, Mutex};

use ibapi::orders::{
    Execution, ExecutionData, ExecutionSide, OrderStatus, OrderStatusKind, OrderUpdate,
};
use sandtrade_core::{Action, Exposure, LotTable, OrderType, RejectCode, Side, normalize};
use sandtrade_orders::{OrderStore, SignalRecord, StoreConfig};
use sandtrade_risk::{AccountLimits, Limits, TradingSwitch, Validator};
use sandtrade_runtime::{CpuBudget, DeskSpec, Fleet, Runtime, SandboxConfig};
use tokio::sync::broadcast;

use super::book::LiveBook;
use super::desk::LiveDesk;
use super::*;
use crate::handle::{ManualAccepted, ManualOrder, ManualRefusal};

const CLIENT: i32 = 7;

struct Rig {
    _dir: tempfile::TempDir,
    flow: OrderFlow,
    book: SharedBook,
    strategies: Strategies,
    events: broadcast::Receiver<TradingEvent>,
}

fn rig() -> Rig {
    rig_with(AccountLimits::default())
}

/// A rig whose validator also checks `account`'s caps.
fn rig_with(account: AccountLimits) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = OrderStore::open(dir.path().join("orders.sqlite"), StoreConfig::default())
        .expect("a store in a fresh directory");
    let book: SharedBook = Arc::new(Mutex::new(LiveBook::new(store)));
    let validator =
        Validator::new(LotTable::builtin(), TradingSwitch::new()).with_account_limits(account);
    let events = Events::new();
    let listener = events.subscribe();
    let positions = PositionsConfig {
        drift_grace: std::time::Duration::ZERO,
        halt_on_drift: true,
    };
    let flow = OrderFlow::new(
        book.clone(),
        validator.clone(),
        Limits::default(),
        (&positions, &crate::config::QueueConfig::default()),
        events,
    );
    let runtime = Runtime::new(SandboxConfig::default(), CpuBudget::Deadline).unwrap();
    let make_desk = {
        let (validator, book) = (validator.clone(), book.clone());
        Box::new(move |spec: &DeskSpec| {
            LiveDesk::new(spec, &Limits::default(), validator.clone(), book.clone())
        })
    };
    let fleet = Fleet::new(runtime.clone(), make_desk).unwrap();
    let strategies = Strategies::new(fleet, runtime, None, dir.path().to_owned(), None);
    Rig {
        _dir: dir,
        flow,
        book,
        strategies,
        events: listener,
    }
}

impl Rig {
    /// A strategy's signal accepted into the queue, then taken for sending as IB order
    /// `1000 + n` of `CLIENT` (what `send_queued` does before the wire write).
    fn sent_order(&mut self, quantity: u32) -> (u64, i32) {
        let mut book = book::lock(&self.book);
        let signal = SignalRecord {
            strategy: "s",
            wasm_hash: "h",
            symbol: "AAPL",
            action: Action::OpenLong,
            quantity,
            order_type: OrderType::Market,
            timing: sandtrade_core::Timing::DAY,
            reason: "",
            time_ms: 0,
        };
        let id = book
            .store
            .accept(&signal, &normalize("AAPL").unwrap())
            .unwrap();
        book.store.observe_next_valid_id(CLIENT, 1000).unwrap();
        let taken = book.store.take_next(CLIENT, 1).unwrap();
        (id.get(), taken[0].ib.order_id)
    }

    fn state(&self, id: u64) -> String {
        self.flow.order(id).unwrap().state
    }

    fn next_event(&mut self) -> TradingEvent {
        self.events.try_recv().expect("an event")
    }
}

fn status(order_id: i32, kind: OrderStatusKind) -> OrderUpdate {
    OrderUpdate::OrderStatus(OrderStatus {
        order_id,
        status: kind,
        client_id: CLIENT,
        perm_id: 55,
        ..OrderStatus::default()
    })
}

#[test]
fn statuses_move_an_order_and_are_reported() {
    let mut rig = rig();
    let (id, ib) = rig.sent_order(10);
    assert_eq!(rig.state(id), "sending");
    rig.flow.on_order_update(
        status(ib, OrderStatusKind::Submitted),
        CLIENT,
        &mut rig.strategies,
    );
    assert_eq!(rig.state(id), "submitted");
    assert!(matches!(
        rig.next_event(),
        TradingEvent::OrderState { id: got, .. } if got == id
    ));
    // Another client's order id is not ours.
    rig.flow.on_order_update(
        OrderUpdate::OrderStatus(OrderStatus {
            order_id: ib,
            status: OrderStatusKind::Cancelled,
            client_id: CLIENT + 1,
            ..OrderStatus::default()
        }),
        CLIENT,
        &mut rig.strategies,
    );
    assert_eq!(rig.state(id), "submitted");
}

#[test]
fn a_status_of_another_programs_order_with_the_same_ids_is_not_applied() {
    let mut rig = rig();
    let (id, ib) = rig.sent_order(10);
    rig.flow.on_order_update(
        status(ib, OrderStatusKind::Submitted),
        CLIENT,
        &mut rig.strategies,
    );
    assert_eq!(rig.flow.order(id).unwrap().perm_id, Some(55));
    // Reconnected under a fallback client id; another program now connects as CLIENT and
    // has an order with the same id: its statuses carry its own permanent id.
    let theirs = |perm_id| {
        OrderUpdate::OrderStatus(OrderStatus {
            order_id: ib,
            status: OrderStatusKind::Cancelled,
            client_id: CLIENT,
            perm_id,
            ..OrderStatus::default()
        })
    };
    rig.flow
        .on_order_update(theirs(77), CLIENT + 1, &mut rig.strategies);
    assert_eq!(rig.state(id), "submitted", "not ours: another permanent id");
    rig.flow
        .on_order_update(theirs(0), CLIENT + 1, &mut rig.strategies);
    assert_eq!(rig.state(id), "submitted", "not provably ours");
    // Our own order, reported under the client id it was sent with: same permanent id.
    rig.flow
        .on_order_update(theirs(55), CLIENT + 1, &mut rig.strategies);
    assert_eq!(rig.state(id), "cancelled");
}

#[test]
fn an_execution_fills_the_order_once_and_reports_an_undelivered_fill() {
    let mut rig = rig();
    let (id, ib) = rig.sent_order(10);
    let order_ref = rig.flow.order(id).unwrap().client_order_id;
    let execution = |exec_id: &str| {
        OrderUpdate::ExecutionData(ExecutionData {
            execution: Execution {
                order_id: ib,
                client_id: CLIENT,
                execution_id: exec_id.into(),
                time: "20250106-14:30:00".into(),
                side: ExecutionSide::Bought,
                shares: 10.0,
                price: 190.5,
                order_reference: order_ref.clone(),
                ..Execution::default()
            },
            ..ExecutionData::default()
        })
    };
    rig.flow
        .on_order_update(execution("e.01"), CLIENT, &mut rig.strategies);
    rig.flow
        .on_order_update(execution("e.01"), CLIENT, &mut rig.strategies);
    assert_eq!(rig.state(id), "filled");
    assert_eq!(rig.flow.exposure("s", "AAPL").held, 10);
    let mut fills = 0;
    while let Ok(event) = rig.events.try_recv() {
        if let TradingEvent::Fill {
            quantity,
            delivered,
            ..
        } = event
        {
            fills += 1;
            // No strategy `s` runs here: the fill is recorded but not delivered.
            assert_eq!((quantity, delivered), (10, false));
        }
    }
    assert_eq!(fills, 1, "the repeated report is ignored");
}

#[test]
fn manual_orders_are_planned_and_validated_like_signals() {
    let mut rig = rig();
    let order = |side, quantity| ManualOrder {
        strategy: "manual".into(),
        side,
        symbol: "AAPL".into(),
        quantity,
        order_type: OrderType::Limit(190.004),
        timing: sandtrade_core::Timing::DAY,
        reason: "by hand".into(),
        exits: None,
    };
    assert_eq!(
        rig.flow.submit(&order(Side::Sell, 5)),
        Err(ManualRefusal::SellExceedsPosition {
            requested: 5,
            exposure: Exposure::default()
        })
    );
    let accepted = rig.flow.submit(&order(Side::Buy, 5)).unwrap();
    assert_eq!(
        (accepted.action, accepted.symbol.as_str(), accepted.quantity),
        (Action::OpenLong, "AAPL", 5)
    );
    assert_eq!(
        accepted.order_type,
        OrderType::Limit(190.0),
        "the answer reports the price as it is sent"
    );
    assert_eq!(rig.state(accepted.id), "queued");
    assert_eq!(
        rig.flow.submit(&order(Side::Buy, 5)).unwrap().action,
        Action::AddLong,
        "shares being bought make the next buy an add"
    );
    assert_eq!(rig.flow.counts().queued, 2);
    assert_eq!(rig.flow.exposure("manual", "AAPL").pending_buys, 10);
}

#[test]
fn manual_orders_obey_their_ledger_limits_and_one_lasting_rate_window() {
    let mut rig = rig();
    let own = Limits {
        max_order_shares: Some(10),
        max_signals_per_minute: Some(2),
        ..Limits::default()
    };
    book::lock(&rig.book)
        .ledgers
        .strategy_started("momentum", &own);
    let buy = |quantity| ManualOrder {
        strategy: "momentum".into(),
        side: Side::Buy,
        symbol: "AAPL".into(),
        quantity,
        order_type: OrderType::Limit(190.0),
        timing: sandtrade_core::Timing::DAY,
        reason: String::new(),
        exits: None,
    };
    let refused = |result: Result<ManualAccepted, ManualRefusal>| match result {
        Err(ManualRefusal::Risk(rejection)) => rejection.code,
        other => panic!("not a risk refusal: {other:?}"),
    };
    assert_eq!(
        refused(rig.flow.submit(&buy(20))),
        RejectCode::OrderLimit,
        "the strategy's own max_order_shares"
    );
    rig.flow.submit(&buy(10)).unwrap();
    assert_eq!(
        refused(rig.flow.submit(&buy(10))),
        RejectCode::RateLimit,
        "two signals a minute, counted across requests"
    );
}

#[tokio::test]
async fn nothing_is_sent_without_a_connection_and_a_queued_order_cancels_here() {
    let mut rig = rig();
    let id = rig
        .flow
        .submit(&ManualOrder {
            strategy: "manual".into(),
            side: Side::Buy,
            symbol: "AAPL".into(),
            quantity: 5,
            order_type: OrderType::Market,
            timing: sandtrade_core::Timing::DAY,
            reason: String::new(),
            exits: None,
        })
        .unwrap()
        .id;
    let ib = sandtrade_broker::IbConfig::read(
        "port = 4002\nclient_id = 7\naccount = \"DU1234567\"\n"
            .parse()
            .unwrap(),
        &mut sandtrade_core::settings::Problems::default(),
    );
    let mut connection = Connection::new(
        ib,
        sandtrade_broker::safety::TradingMode::Paper,
        Events::new(),
    );
    assert_eq!(rig.flow.send_queued(&mut connection).await, None);
    assert_eq!(rig.state(id), "queued", "waits in the durable queue");
    assert_eq!(
        rig.flow.cancel(id, &mut connection).await,
        Ok(CancelOutcome::CancelledBeforeSending)
    );
    assert_eq!(rig.state(id), "cancelled");
    assert_eq!(
        rig.flow.cancel(id, &mut connection).await,
        Err(CommandError::Refused(format!(
            "order {id} is already cancelled"
        )))
    );
    assert_eq!(
        rig.flow.cancel(999, &mut connection).await,
        Err(CommandError::NotFound("order 999".into()))
    );
}

#[test]
fn positions_of_another_account_are_ignored_and_drift_needs_a_connect() {
    let mut rig = rig();
    rig.flow.check_drift(std::time::Instant::now());
    assert!(rig.flow.drift().is_empty());
    assert!(!rig.flow.positions().broker_known);
}

#[test]
fn an_order_ending_notice_rejects_the_order_and_frees_its_shares() {
    let mut rig = rig();
    let (id, ib) = rig.sent_order(10);
    assert_eq!(rig.flow.exposure("s", "AAPL").pending_buys, 10);
    // A warning about the order changes nothing; another client's order id is not ours.
    rig.flow
        .on_order_notice(ib, CLIENT, 399, "held until the open");
    rig.flow.on_order_notice(ib, CLIENT + 1, 201, "rejected");
    assert_eq!(rig.state(id), "sending");
    rig.flow.on_order_notice(
        ib,
        CLIENT,
        110,
        "The price does not conform to the minimum price variation for this contract.",
    );
    let order = rig.flow.order(id).unwrap();
    assert_eq!(order.state, "rejected");
    assert_eq!(
        order.note.as_deref(),
        Some(
            "IB 110: The price does not conform to the minimum price variation for this contract."
        )
    );
    assert_eq!(rig.flow.exposure("s", "AAPL").pending_buys, 0);
    assert!(matches!(
        rig.next_event(),
        TradingEvent::OrderState { id: got, .. } if got == id
    ));
    // The Inactive status that may follow is stale.
    rig.flow.on_order_update(
        status(ib, OrderStatusKind::Inactive),
        CLIENT,
        &mut rig.strategies,
    );
    assert_eq!(rig.state(id), "rejected");
}

#[test]
fn a_stale_market_order_expires_and_a_limit_order_waits() {
    let mut rig = rig();
    let order = |order_type| ManualOrder {
        strategy: "manual".into(),
        side: Side::Buy,
        symbol: "AAPL".into(),
        quantity: 5,
        order_type,
        timing: sandtrade_core::Timing::DAY,
        reason: String::new(),
        exits: None,
    };
    let market = rig.flow.submit(&order(OrderType::Market)).unwrap().id;
    let limit = rig.flow.submit(&order(OrderType::Limit(190.0))).unwrap().id;
    rig.flow.expire_stale();
    assert_eq!(rig.state(market), "queued", "younger than the maximum age");
    rig.flow.market_order_max_age = std::time::Duration::ZERO;
    std::thread::sleep(std::time::Duration::from_millis(2));
    rig.flow.expire_stale();
    let expired = rig.flow.order(market).unwrap();
    assert_eq!(expired.state, "cancelled");
    assert!(
        expired
            .note
            .unwrap()
            .starts_with("expired unsent: a market order queued longer than"),
    );
    assert_eq!(rig.state(limit), "queued");
    assert_eq!(rig.flow.exposure("manual", "AAPL").pending_buys, 5);
}

#[test]
fn limit_prices_go_onto_the_tick_in_the_traders_favour() {
    let mut rig = rig();
    let order = |symbol: &str, quantity, price| ManualOrder {
        strategy: "manual".into(),
        side: Side::Buy,
        symbol: symbol.into(),
        quantity,
        order_type: OrderType::Limit(price),
        timing: sandtrade_core::Timing::DAY,
        reason: String::new(),
        exits: None,
    };
    let buy = rig.flow.submit(&order("0700.HK", 100, 388.3)).unwrap().id;
    assert_eq!(
        rig.flow.order(buy).unwrap().limit_price,
        Some(388.2),
        "a buy's limit goes down onto SEHK's 0.2 tick"
    );
    book::lock(&rig.book).set_min_tick("AAPL", 0.05);
    let buy = rig.flow.submit(&order("AAPL", 10, 190.07)).unwrap().id;
    assert_eq!(rig.flow.order(buy).unwrap().limit_price, Some(190.05));
}

#[test]
fn account_caps_count_every_ledger() {
    let mut rig = rig_with(AccountLimits {
        max_symbol_shares: Some(30),
        max_gross_notional_usd: Some(5_000.0),
        ..AccountLimits::default()
    });
    let buy = |ledger: &str, symbol: &str, quantity| ManualOrder {
        strategy: ledger.into(),
        side: Side::Buy,
        symbol: symbol.into(),
        quantity,
        order_type: OrderType::Limit(100.0),
        timing: sandtrade_core::Timing::DAY,
        reason: String::new(),
        exits: None,
    };
    rig.flow.submit(&buy("manual", "AAPL", 6)).unwrap();
    let refused = rig.flow.submit(&buy("momentum", "AAPL", 25)).unwrap_err();
    let ManualRefusal::Risk(rejection) = refused else {
        panic!("not a risk refusal: {refused:?}")
    };
    assert_eq!(rejection.code, RejectCode::PositionLimit);
    assert!(
        rejection
            .message
            .contains("31 shares held and being bought over every ledger"),
        "{rejection:?}"
    );
    rig.flow.submit(&buy("momentum", "AAPL", 24)).unwrap();
    // 30 AAPL at 100 are being bought: 3000 of the 5000 USD; 25 MSFT more is too much.
    let refused = rig.flow.submit(&buy("carry", "MSFT", 25)).unwrap_err();
    assert!(
        matches!(&refused, ManualRefusal::Risk(r) if r.message.contains("max_gross_notional_usd")),
        "{refused:?}"
    );
    rig.flow.submit(&buy("carry", "MSFT", 20)).unwrap();
}
