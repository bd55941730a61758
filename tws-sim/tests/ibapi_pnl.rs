//! The account's P&L (reqPnL / cancelPnL) through the real `ibapi` 5.5 async client.
//!
//! Prices move only when a test sets them (no random walk), so every number is exact.

mod support;

use ibapi::accounts::PnL;
use ibapi::accounts::types::AccountId;
use ibapi::prelude::*;
use time::macros::datetime;
use tws_sim::SimHandle;
use tws_sim::messages::PnlView;

use support::*;

/// A simulator whose prices stay where they are set, its clock at `start`, AAPL at 200.
async fn still_sim(start: time::OffsetDateTime) -> SimHandle {
    let mut config = still_config();
    config.market.start_time = Some(start);
    let sim = sim_with(config).await;
    sim.set_price("AAPL", 200.0).expect("AAPL");
    sim
}

/// (daily, unrealized, realized) as ibapi decoded them.
fn numbers(pnl: &PnL) -> (f64, Option<f64>, Option<f64>) {
    (pnl.daily_pnl, pnl.unrealized_pnl, pnl.realized_pnl)
}

/// The same, as the simulator computes them now.
fn sim_numbers(sim: &SimHandle) -> (f64, Option<f64>, Option<f64>) {
    let PnlView {
        daily,
        unrealized,
        realized,
    } = sim.pnl(ACCOUNT).expect("the account");
    (daily, Some(unrealized), Some(realized))
}

#[tokio::test]
async fn pnl_follows_fills_and_prices_to_the_cent_until_cancelled() {
    let sim = still_sim(datetime!(2025-01-06 14:30:00 UTC)).await;
    let client = connect(&sim, 1).await;
    let mut pnl = within(client.pnl(&AccountId(ACCOUNT.into()), None))
        .await
        .expect("pnl");
    assert_eq!(
        numbers(&next_data(&mut pnl).await),
        (0.0, Some(0.0), Some(0.0))
    );

    // 100 AAPL at 200 for a commission of 1 (USD: 0.005 a share, at least 1). It fills in the
    // second of the first answer, so its update comes with the next second.
    buy(&client, 1, &aapl(), 100.0).await;
    sim.step(1);
    let bought = next_data(&mut pnl).await;
    assert_eq!(numbers(&bought), (-1.0, Some(0.0), Some(0.0)));

    // A second later, 2.50 lower: the day's P&L drops by exactly 100 × 2.50.
    sim.step(1);
    sim.set_price("AAPL", 197.5).expect("AAPL");
    let lower = next_data(&mut pnl).await;
    assert_eq!(bought.daily_pnl - lower.daily_pnl, 250.0);
    assert_eq!(numbers(&lower), (-251.0, Some(-250.0), Some(0.0)));
    assert_eq!(numbers(&lower), sim_numbers(&sim));

    // Selling 40 realizes 40 × −2.50 and another commission of 1.
    sim.step(1);
    trade(&client, 2, &aapl(), Action::Sell, 40.0).await;
    let sold = next_data(&mut pnl).await;
    assert_eq!(numbers(&sold), (-252.0, Some(-150.0), Some(-101.0)));

    pnl.cancel().await;
    assert!(
        matches!(
            within(futures::StreamExt::next(&mut pnl)).await,
            None | Some(Err(ibapi::Error::Cancelled))
        ),
        "the stream ends at the cancel"
    );
}

#[tokio::test]
async fn the_days_pnl_starts_again_at_midnight_utc() {
    // The clock starts on a five-second boundary, like IB's bars.
    let sim = still_sim(datetime!(2025-01-06 23:59:55 UTC)).await;
    let client = connect(&sim, 1).await;
    buy(&client, 1, &aapl(), 100.0).await;
    sim.set_price("AAPL", 198.0).expect("AAPL");
    let mut pnl = within(client.pnl(&AccountId(ACCOUNT.into()), None))
        .await
        .expect("pnl");
    assert_eq!(
        numbers(&next_data(&mut pnl).await),
        (-201.0, Some(-200.0), Some(0.0))
    );

    // 00:00:00: a new day. Its P&L counts from the books at midnight; the position keeps its cost.
    assert_eq!(sim.step(5), datetime!(2025-01-07 00:00:00 UTC));
    assert_eq!(
        numbers(&next_data(&mut pnl).await),
        (0.0, Some(-200.0), Some(0.0))
    );
    sim.step(1);
    sim.set_price("AAPL", 197.0).expect("AAPL");
    assert_eq!(
        numbers(&next_data(&mut pnl).await),
        (-100.0, Some(-300.0), Some(0.0))
    );
}

#[tokio::test]
async fn an_account_the_login_does_not_manage_is_refused_with_321() {
    let sim = still_sim(datetime!(2025-01-06 14:30:00 UTC)).await;
    let client = connect(&sim, 1).await;
    let mut pnl = within(client.pnl(&AccountId("DU7654321".into()), None))
        .await
        .expect("request sent");
    match next_item(&mut pnl).await {
        Err(ibapi::Error::Notice(n)) => {
            assert_eq!(n.code, 321);
            assert!(n.message.contains("DU7654321"), "{}", n.message);
        }
        other => panic!("expected error 321, got {other:?}"),
    }
    assert_eq!(sim.pnl("DU7654321"), None);
}
