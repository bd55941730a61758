//! Property tests: IB's events shuffled, duplicated and dropped, applied to a real store.
//! Whatever arrives, the order's totals, state, ledger and exposure follow from the distinct
//! executions and commissions that did arrive, and reopening the file rebuilds the same memory.

use std::collections::HashSet;

use proptest::prelude::*;
use sandtrade_core::{Action, Side};
use sandtrade_orders::{CommissionOutcome, ExecutionOutcome, IbStatus, OrderState};

use crate::{TempDb, accept, commission, exec, memory_image, signal, take_one};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    Exec(usize),
    Commission(usize),
    Status(IbStatus),
}

#[derive(Debug, Clone)]
struct Scenario {
    side: Side,
    /// (shares, price, commission) per execution.
    fills: Vec<(u32, f64, f64)>,
    /// Ordered shares: the sum of the fills plus `0..50`, so some scenarios can never complete.
    quantity: u32,
    /// What IB delivered, in the order it delivered it.
    delivered: Vec<Event>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let statuses = prop::sample::select(vec![
        IbStatus::PreSubmitted,
        IbStatus::Submitted,
        IbStatus::Filled,
        IbStatus::Cancelled,
    ]);
    (
        prop::bool::ANY,
        prop::collection::vec((1u32..150, 100u32..20_000, 0u32..500), 1..5),
        0u32..50,
        prop::collection::vec(statuses, 0..4),
    )
        .prop_flat_map(|(sell, fills, extra, statuses)| {
            let fills: Vec<(u32, f64, f64)> = fills
                .into_iter()
                .map(|(q, cents, fee)| (q, f64::from(cents) / 100.0, f64::from(fee) / 100.0))
                .collect();
            let quantity = fills.iter().map(|f| f.0).sum::<u32>() + extra;
            let mut all: Vec<Event> = (0..fills.len())
                .flat_map(|i| [Event::Exec(i), Event::Commission(i)])
                .collect();
            all.extend(statuses.into_iter().map(Event::Status));
            let n = all.len();
            (
                Just(if sell { Side::Sell } else { Side::Buy }),
                Just(fills),
                Just(quantity),
                Just(all),
                prop::collection::vec(prop::bool::weighted(0.8), n),
                prop::collection::vec(0..n, 0..5),
            )
        })
        .prop_flat_map(|(side, fills, quantity, all, keep, repeats)| {
            let mut delivered: Vec<Event> = all
                .iter()
                .zip(&keep)
                .filter(|(_, kept)| **kept)
                .map(|(event, _)| *event)
                .collect();
            delivered.extend(repeats.iter().map(|i| all[*i]));
            (
                Just(side),
                Just(fills),
                Just(quantity),
                Just(delivered).prop_shuffle(),
            )
        })
        .prop_map(|(side, fills, quantity, delivered)| Scenario {
            side,
            fills,
            quantity,
            delivered,
        })
}

const SEED_PRICE: f64 = 10.0;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_duplicated_and_dropped_events_keep_every_invariant(s in scenario()) {
        let db = TempDb::default();
        let mut store = db.open();
        store.observe_next_valid_id(1, 1).unwrap();

        // A sell needs shares: a filled buy of more than the sell can take.
        let seed = if s.side == Side::Sell { i64::from(s.quantity) + 100 } else { 0 };
        if seed > 0 {
            accept(&mut store, &signal("p", "AAPL", Action::OpenLong, seed as u32));
            let r = take_one(&mut store, 1);
            store.record_execution(&exec("seed", &r, Side::Buy, seed as u32, SEED_PRICE)).unwrap();
        }
        let action = if s.side == Side::Sell { Action::ReduceLong } else { Action::OpenLong };
        let id = accept(&mut store, &signal("p", "AAPL", action, s.quantity));
        let order_ref = take_one(&mut store, 1);

        let mut fills_seen = HashSet::new();
        let mut fees_seen = HashSet::new();
        for event in &s.delivered {
            match *event {
                Event::Exec(i) => {
                    let (q, p, _) = s.fills[i];
                    let outcome = store.record_execution(&exec(&format!("e{i}"), &order_ref, s.side, q, p)).unwrap();
                    if fills_seen.insert(i) {
                        prop_assert!(matches!(outcome, ExecutionOutcome::Recorded(_)), "{:?}", outcome);
                    } else {
                        prop_assert_eq!(outcome, ExecutionOutcome::Duplicate { signal_id: id });
                    }
                }
                Event::Commission(i) => {
                    let outcome = store.record_commission(&commission(&format!("e{i}"), s.fills[i].2)).unwrap();
                    let expected = if !fees_seen.insert(i) {
                        CommissionOutcome::Duplicate
                    } else if fills_seen.contains(&i) {
                        CommissionOutcome::Applied { signal_id: id }
                    } else {
                        CommissionOutcome::AwaitingExecution
                    };
                    prop_assert_eq!(outcome, expected);
                }
                Event::Status(status) => {
                    store.apply_status(id, status, Some(77)).unwrap();
                }
            }
        }

        let filled: i64 = fills_seen.iter().map(|i| i64::from(s.fills[*i].0)).sum();
        let notional: f64 = fills_seen.iter().map(|i| f64::from(s.fills[*i].0) * s.fills[*i].1).sum();
        let fees: f64 = fills_seen.intersection(&fees_seen).map(|i| s.fills[*i].2).sum();
        let saw = |wanted: &[IbStatus]| s.delivered.iter().any(|e| matches!(e, Event::Status(st) if wanted.contains(st)));
        let complete = filled >= i64::from(s.quantity);
        let expected_state = if complete {
            OrderState::Filled
        } else if saw(&[IbStatus::Cancelled]) {
            OrderState::Cancelled
        } else if filled > 0 {
            OrderState::PartiallyFilled
        } else if saw(&[IbStatus::Submitted, IbStatus::PreSubmitted]) {
            OrderState::Submitted
        } else {
            OrderState::Sending
        };

        let order = store.order(id).unwrap().unwrap();
        prop_assert_eq!(order.state, expected_state);
        prop_assert_eq!(order.filled_qty, filled);
        prop_assert!(close(order.commission, fees), "commission {} vs {}", order.commission, fees);
        match order.avg_price {
            Some(avg) => prop_assert!(close(avg, notional / filled as f64)),
            None => prop_assert_eq!(filled, 0),
        }
        prop_assert_eq!(store.fills(id).unwrap().len(), fills_seen.len());

        let pending = if expected_state.is_terminal() { 0 } else { i64::from(s.quantity) - filled };
        let exposure = store.exposure("p", "AAPL");
        let position = store.position("p", "AAPL").unwrap_or_default();
        prop_assert!(close(position.commissions, fees));
        match s.side {
            Side::Buy => {
                prop_assert_eq!((i64::from(exposure.held), i64::from(exposure.pending_buys), i64::from(exposure.pending_sells)), (filled, pending, 0));
                if filled > 0 {
                    prop_assert!(close(position.avg_cost, notional / filled as f64));
                }
                prop_assert_eq!(position.realized_pnl, 0.0);
            }
            Side::Sell => {
                prop_assert_eq!((i64::from(exposure.held), i64::from(exposure.pending_buys), i64::from(exposure.pending_sells)), (seed - filled, 0, pending));
                prop_assert_eq!(position.avg_cost, SEED_PRICE);
                prop_assert!(close(position.realized_pnl, notional - SEED_PRICE * filled as f64));
            }
        }

        let image = memory_image(&store);
        drop(store);
        let reopened = db.open();
        prop_assert_eq!(memory_image(&reopened), image);
        prop_assert_eq!(reopened.order(id).unwrap().unwrap(), order);
    }
}
