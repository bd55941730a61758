//! Account P&L subscriptions (reqPnL, cancelPnL): one account's P&L of the day, unrealized and
//! realized, in its base currency.
//!
//! The first answer goes out at once. After that a subscription hears again whenever its
//! numbers change (a price moves, an order fills, a new day begins), but at most once per
//! simulated second, as TWS sends about one update a second: a change within the second of
//! the last update waits for the clock's next step. Subscriptions live with their client, so
//! a closed connection drops them.

use super::Engine;
use super::accounts::{Account, Ledger, round2};
use super::contracts::ContractBook;
use super::market::Market;
use super::sessions::PnlSub;
use super::trading_day::DayStart;
use crate::messages::{PnlView, Response};

/// The shortest simulated time between two updates of one subscription.
const MIN_INTERVAL: time::Duration = time::Duration::SECOND;

impl Engine {
    /// `account`'s P&L as reqPnL reports it now (`None`: this login does not manage it; empty:
    /// the first account).
    pub fn account_pnl(&self, account: &str) -> Option<PnlView> {
        let acct = self.ledger.find(account)?;
        Some(pnl_of(
            acct,
            &self.ledger,
            &self.book,
            &self.market,
            &self.day_start,
        ))
    }

    /// reqPnL: the numbers now, then updates; an account this login does not manage gets 321.
    pub(super) fn pnl(&mut self, client_id: i32, req_id: i32, account: &str) {
        let Some(acct) = self.ledger.find(account) else {
            return self
                .clients
                .send(client_id, self.account_not_managed(req_id, account));
        };
        let sub = PnlSub {
            account: acct.id.clone(),
            sent: pnl_of(
                acct,
                &self.ledger,
                &self.book,
                &self.market,
                &self.day_start,
            ),
            sent_at: self.now,
        };
        self.clients.send(
            client_id,
            Response::Pnl {
                req_id,
                pnl: sub.sent,
            },
        );
        self.with_subs(client_id, |s| _ = s.pnl.insert(req_id, sub));
    }

    /// Sends every subscription whose numbers changed its update, once the last one is a
    /// simulated second old. Called after whatever can change them: a step, a price set, a
    /// placed or modified order (which may fill at once).
    pub(super) fn publish_pnl(&mut self) {
        let now = self.now;
        for (_, client) in self.clients.iter_mut() {
            for (&req_id, sub) in &mut client.subs.pnl {
                if now - sub.sent_at < MIN_INTERVAL {
                    continue;
                }
                let Some(acct) = self.ledger.find(&sub.account) else {
                    continue;
                };
                let pnl = pnl_of(
                    acct,
                    &self.ledger,
                    &self.book,
                    &self.market,
                    &self.day_start,
                );
                if pnl != sub.sent {
                    client.link.send(Response::Pnl { req_id, pnl });
                    sub.sent = pnl;
                    sub.sent_at = now;
                }
            }
        }
    }

    /// Starts a new trading day if the clock has passed into one: the day's P&L counts from
    /// the books as they stand now.
    pub(super) fn begin_day_if_new(&mut self) {
        if self.day_start.is_over(self.now) {
            self.day_start = DayStart::mark(self.now, &self.ledger, &self.book, &self.market);
        }
    }
}

/// `account`'s P&L, in the base currency and rounded to the cent like every account value:
///
/// - daily: the change of the net liquidation value (cash plus stock at the last prices) since
///   the day began. Each currency's change is taken first, then converted at the ledger's fixed
///   rate, so no cent is lost to the size of the balances. Commissions are in it, since they
///   left the cash; so are positions held from an earlier day, from the day's opening mark.
/// - unrealized: Σ (last − average cost) × quantity over the positions.
/// - realized: what the day's closing trades realized, commissions included.
fn pnl_of(
    account: &Account,
    ledger: &Ledger,
    book: &ContractBook,
    market: &Market,
    day_start: &DayStart,
) -> PnlView {
    let mut pnl = PnlView::default();
    for (currency, now) in ledger.totals(account, book, market) {
        let start = day_start.totals(&account.id, &currency);
        let rate = ledger.to_base(&currency);
        pnl.daily += (now.net_liquidation() - start.net_liquidation()) * rate;
        pnl.unrealized += now.unrealized * rate;
        pnl.realized += (now.realized - start.realized) * rate;
    }
    PnlView {
        daily: cents(pnl.daily),
        unrealized: cents(pnl.unrealized),
        realized: cents(pnl.realized),
    }
}

/// Rounded to the cent; a loss rounded away is 0, not −0 (text clients would print `-0`).
fn cents(v: f64) -> f64 {
    round2(v) + 0.0
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::macros::datetime;
    use tokio::sync::mpsc;

    use super::*;
    use crate::config::{MarketConfig, SimConfig};
    use crate::engine::sessions::{ClientLink, Outbound};
    use crate::messages::{PlaceOrder, Request};

    const ACCOUNT: &str = "DU1234567";

    /// An engine whose prices move only when set, with client 1 connected; its queue.
    fn engine(start: time::OffsetDateTime) -> (Engine, mpsc::UnboundedReceiver<Outbound>) {
        let config = SimConfig {
            market: MarketConfig {
                volatility_bps: 0.0,
                ..MarketConfig::default()
            },
            ..SimConfig::ephemeral()
        };
        let mut engine = Engine::new(Arc::new(config), start).expect("engine");
        let (tx, rx) = mpsc::unbounded_channel();
        engine.start_client(1, ClientLink { conn_id: 1, tx });
        let aapl = engine.book().by_symbol("AAPL").expect("AAPL");
        engine.set_price(aapl, 200.0);
        (engine, rx)
    }

    /// The P&L updates queued so far, as (reqId, daily, unrealized, realized).
    fn updates(rx: &mut mpsc::UnboundedReceiver<Outbound>) -> Vec<(i32, f64, f64, f64)> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .filter_map(|out| match out {
                Outbound::Message(m) => match *m {
                    Response::Pnl { req_id, pnl } => {
                        Some((req_id, pnl.daily, pnl.unrealized, pnl.realized))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    fn order(order_id: i32, action: &str, quantity: f64) -> Request {
        Request::PlaceOrder(PlaceOrder {
            order_id,
            contract: crate::messages::ContractFields {
                symbol: "AAPL".into(),
                sec_type: "STK".into(),
                exchange: "SMART".into(),
                currency: "USD".into(),
                ..Default::default()
            },
            action: action.into(),
            total_quantity: quantity,
            order_type: "MKT".into(),
            limit_price: None,
            tif: String::new(),
            account: String::new(),
            order_ref: String::new(),
            outside_rth: false,
            transmit: true,
            what_if: false,
            ..Default::default()
        })
    }

    fn subscribe(engine: &mut Engine, req_id: i32) {
        engine.handle(
            1,
            Request::Pnl {
                req_id,
                account: ACCOUNT.into(),
                model_code: String::new(),
            },
        );
    }

    fn set_aapl(engine: &mut Engine, price: f64) {
        let aapl = engine.book().by_symbol("AAPL").expect("AAPL");
        engine.set_price(aapl, price);
    }

    #[test]
    fn changes_within_a_second_wait_for_the_next_step() {
        let (mut engine, mut rx) = engine(datetime!(2025-01-06 14:30:00 UTC));
        subscribe(&mut engine, 7);
        assert_eq!(updates(&mut rx), [(7, 0.0, 0.0, 0.0)]);
        // 100 at 200, commission 1: the same second as the first answer, so it waits.
        engine.handle(1, order(1, "BUY", 100.0));
        set_aapl(&mut engine, 199.0);
        assert_eq!(updates(&mut rx), []);
        engine.step();
        assert_eq!(updates(&mut rx), [(7, -101.0, -100.0, 0.0)]);
        // Nothing changed: nothing sent.
        engine.step();
        assert_eq!(updates(&mut rx), []);
        // A second later a change goes out at once; the next within that second waits.
        set_aapl(&mut engine, 198.0);
        set_aapl(&mut engine, 197.5);
        assert_eq!(updates(&mut rx), [(7, -201.0, -200.0, 0.0)]);
        engine.step();
        assert_eq!(updates(&mut rx), [(7, -251.0, -250.0, 0.0)]);
        // Selling half at 197.5 realizes (197.5 − 200) × 50 − 1 commission.
        engine.step();
        engine.handle(1, order(2, "SELL", 50.0));
        assert_eq!(updates(&mut rx), [(7, -252.0, -125.0, -126.0)]);
    }

    #[test]
    fn a_short_position_gains_as_the_price_falls() {
        let (mut engine, mut rx) = engine(datetime!(2025-01-06 14:30:00 UTC));
        subscribe(&mut engine, 7);
        // The default account is a margin account: selling 100 from flat opens a short at
        // 200, and its commission is the day's only loss.
        engine.handle(1, order(1, "SELL", 100.0));
        let aapl = engine.book().by_symbol("AAPL").expect("AAPL");
        assert_eq!(engine.ledger().quantity(ACCOUNT, aapl), -100.0);
        engine.step();
        assert_eq!(updates(&mut rx), [(7, 0.0, 0.0, 0.0), (7, -1.0, 0.0, 0.0)]);
        set_aapl(&mut engine, 190.0);
        engine.step();
        assert_eq!(updates(&mut rx), [(7, 999.0, 1000.0, 0.0)]);
        // Covering at 190 realizes the 10 a share, less the cover's commission.
        engine.handle(1, order(2, "BUY", 100.0));
        engine.step();
        assert_eq!(updates(&mut rx), [(7, 998.0, 0.0, 999.0)]);
        assert_eq!(engine.ledger().quantity(ACCOUNT, aapl), 0.0);
        assert_eq!(engine.ledger().cash(ACCOUNT, "USD"), 1_000_998.0);
    }

    #[test]
    fn a_new_day_counts_from_the_books_at_midnight() {
        let (mut engine, mut rx) = engine(datetime!(2025-01-06 23:59:58 UTC));
        engine.handle(1, order(1, "BUY", 100.0));
        engine.handle(1, order(2, "SELL", 40.0));
        set_aapl(&mut engine, 195.0);
        subscribe(&mut engine, 7);
        // Two commissions, 60 shares 5 down, and 40 sold flat for −1.
        assert_eq!(updates(&mut rx), [(7, -302.0, -300.0, -1.0)]);
        engine.step(); // 23:59:59
        assert_eq!(updates(&mut rx), []);
        engine.step(); // 00:00:00: the day's P&L starts again; the position keeps its cost.
        assert_eq!(updates(&mut rx), [(7, 0.0, -300.0, 0.0)]);
        engine.step();
        set_aapl(&mut engine, 194.0);
        assert_eq!(updates(&mut rx), [(7, -60.0, -360.0, 0.0)]);
    }

    #[test]
    fn a_closed_connection_takes_its_subscriptions_along() {
        let (mut engine, _closed) = engine(datetime!(2025-01-06 14:30:00 UTC));
        subscribe(&mut engine, 7);
        engine.end_client(1, 1);
        // The same client id on a new connection starts with no subscription.
        let (tx, mut rx) = mpsc::unbounded_channel();
        engine.start_client(1, ClientLink { conn_id: 2, tx });
        engine.step();
        engine.handle(1, order(1, "BUY", 100.0));
        set_aapl(&mut engine, 150.0);
        assert_eq!(updates(&mut rx), []);
    }

    #[test]
    fn cancel_stops_updates_and_an_unknown_account_is_refused() {
        let (mut engine, mut rx) = engine(datetime!(2025-01-06 14:30:00 UTC));
        subscribe(&mut engine, 7);
        subscribe(&mut engine, 8);
        engine.handle(1, Request::CancelPnl { req_id: 7 });
        engine.step();
        engine.handle(1, order(1, "BUY", 100.0));
        assert_eq!(
            updates(&mut rx),
            [(7, 0.0, 0.0, 0.0), (8, 0.0, 0.0, 0.0), (8, -1.0, 0.0, 0.0)]
        );

        engine.handle(
            1,
            Request::Pnl {
                req_id: 9,
                account: "DU999".into(),
                model_code: String::new(),
            },
        );
        let Ok(Outbound::Message(notice)) = rx.try_recv() else {
            panic!("an answer")
        };
        let Response::Error(notice) = *notice else {
            panic!("an error, not {notice:?}")
        };
        assert_eq!((notice.id, notice.code), (9, 321));
        assert!(notice.message.contains("DU999"), "{}", notice.message);
        engine.step();
        set_aapl(&mut engine, 150.0);
        assert_eq!(updates(&mut rx), [(8, -5001.0, -5000.0, 0.0)]);
    }
}
