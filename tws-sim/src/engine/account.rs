//! Account requests: positions, account summary, account updates (single and multi), and the
//! updates subscribers get after each fill. (P&L subscriptions are in `pnl.rs`.)

use super::Engine;
use super::accounts::option_position_fields;
use super::clock;
use super::contracts::ContractIdx;
use crate::config::HeldOption;
use crate::error::OptionRefused;
use crate::messages::{AccountValueView, Response};

/// Tags `reqAccountSummary` answers, by the keys of [`super::accounts::Ledger::values`].
const SUMMARY_TAGS: &[&str] = &[
    "AccountType",
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "AccruedCash",
    "BuyingPower",
    "EquityWithLoanValue",
    "GrossPositionValue",
    "InitMarginReq",
    "MaintMarginReq",
    "AvailableFunds",
    "ExcessLiquidity",
];

/// Per-currency keys the `$LEDGER` tags select.
const LEDGER_KEYS: &[&str] = &[
    "CashBalance",
    "TotalCashBalance",
    "StockMarketValue",
    "NetLiquidationByCurrency",
    "UnrealizedPnL",
    "RealizedPnL",
    "ExchangeRate",
];

/// `$LEDGER` selects the base-currency aggregates, `$LEDGER:ALL` every currency,
/// `$LEDGER:HKD` one currency.
fn ledger_wanted(wanted: &[&str], currency: &str) -> bool {
    wanted.iter().any(|tag| match *tag {
        "$LEDGER" => currency == "BASE",
        "$LEDGER:ALL" => true,
        other => other.strip_prefix("$LEDGER:") == Some(currency),
    })
}

impl Engine {
    pub(super) fn positions(&mut self, client_id: i32) {
        for account in self.ledger.accounts() {
            for (&idx, h) in &account.holdings {
                self.clients.send(
                    client_id,
                    Response::Position {
                        account: account.id.clone(),
                        contract: self.book.position_fields(idx),
                        position: h.quantity,
                        avg_cost: h.avg_cost,
                    },
                );
            }
            for option in account.options.values() {
                self.clients
                    .send(client_id, option_position(&account.id, option));
            }
        }
        self.clients.send(client_id, Response::PositionEnd);
        self.with_subs(client_id, |s| s.positions = true);
    }

    pub(super) fn account_summary(&self, client_id: i32, req_id: i32, tags: &str) {
        let wanted: Vec<&str> = tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        for account in self.ledger.accounts() {
            for v in self.ledger.values(account, &self.book, &self.market) {
                let plain = SUMMARY_TAGS.contains(&v.key.as_str())
                    && wanted.contains(&v.key.as_str())
                    && (v.currency == "USD" || v.currency.is_empty());
                let ledger =
                    LEDGER_KEYS.contains(&v.key.as_str()) && ledger_wanted(&wanted, &v.currency);
                if plain || ledger {
                    self.clients.send(
                        client_id,
                        Response::AccountSummary {
                            req_id,
                            account: account.id.clone(),
                            tag: v.key,
                            value: v.value,
                            currency: v.currency,
                        },
                    );
                }
            }
        }
        self.clients
            .send(client_id, Response::AccountSummaryEnd(req_id));
    }

    pub(super) fn account_updates(&mut self, client_id: i32, subscribe: bool, account: &str) {
        if !subscribe {
            return self.with_subs(client_id, |s| s.account_updates = None);
        }
        let Some(acct) = self.ledger.find(account) else {
            return self
                .clients
                .send(client_id, self.account_not_managed(-1, account));
        };
        let id = acct.id.clone();
        for value in self.ledger.values(acct, &self.book, &self.market) {
            self.clients.send(client_id, Response::AccountValue(value));
        }
        for &idx in acct.holdings.keys() {
            if let Some(row) = self
                .ledger
                .portfolio_row(acct, idx, &self.book, &self.market)
            {
                self.clients.send(client_id, Response::PortfolioValue(row));
            }
        }
        self.clients.send(
            client_id,
            Response::AccountTime(clock::account_time(self.now)),
        );
        self.clients
            .send(client_id, Response::AccountDownloadEnd(id.clone()));
        self.with_subs(client_id, |s| s.account_updates = Some(id));
    }

    /// Error 321 for a request (`id`; −1 for requests without one) naming an account this
    /// login does not manage.
    pub(super) fn account_not_managed(&self, id: i32, account: &str) -> Response {
        let text =
            format!("Error validating request:-'bc' : cause - account {account} is not managed");
        self.notice(id, super::codes::VALIDATION_ERROR, text)
    }

    pub(super) fn account_updates_multi(&mut self, client_id: i32, req_id: i32, account: &str) {
        let accounts: Vec<_> = self
            .ledger
            .accounts()
            .iter()
            .filter(|a| account.is_empty() || account == "All" || a.id == account)
            .collect();
        for acct in &accounts {
            for value in self.ledger.values(acct, &self.book, &self.market) {
                self.clients
                    .send(client_id, Response::AccountUpdateMulti { req_id, value });
            }
        }
        self.clients
            .send(client_id, Response::AccountUpdateMultiEnd(req_id));
        let account = account.to_string();
        self.with_subs(client_id, |s| {
            _ = s.account_updates_multi.insert(req_id, account)
        });
    }

    /// Makes `account` hold `option` (replacing the one of the same conId) and tells the
    /// position subscribers at once, as TWS streams a position that changes.
    pub fn hold_option(&mut self, account: &str, option: HeldOption) -> Result<(), OptionRefused> {
        let problems = option.problems(self.book.all());
        if !problems.is_empty() {
            return Err(OptionRefused::Invalid(problems));
        }
        let update = option_position(account, &option);
        self.ledger
            .hold_option(account, option)
            .ok_or_else(|| OptionRefused::UnknownAccount(account.to_string()))?;
        for (_, client) in self.clients.iter() {
            if client.subs.positions {
                client.link.send(update.clone());
            }
        }
        Ok(())
    }

    /// After a fill: position and account-update subscribers hear about the change.
    pub(super) fn publish_account_change(&self, account: &str, contract: ContractIdx) {
        let listening = self.clients.iter().any(|(_, c)| {
            c.subs.positions
                || c.subs.account_updates.is_some()
                || !c.subs.account_updates_multi.is_empty()
        });
        if !listening {
            return;
        }
        let Some(acct) = self.ledger.find(account) else {
            return;
        };
        let holding = acct.holdings.get(&contract).copied().unwrap_or_default();
        let values: Vec<AccountValueView> = self.ledger.values(acct, &self.book, &self.market);
        for (_, client) in self.clients.iter() {
            let subs = &client.subs;
            if subs.positions {
                client.link.send(Response::Position {
                    account: acct.id.clone(),
                    contract: self.book.position_fields(contract),
                    position: holding.quantity,
                    avg_cost: holding.avg_cost,
                });
            }
            if subs.account_updates.as_deref() == Some(acct.id.as_str()) {
                for value in &values {
                    client.link.send(Response::AccountValue(value.clone()));
                }
                if let Some(row) =
                    self.ledger
                        .portfolio_row(acct, contract, &self.book, &self.market)
                {
                    client.link.send(Response::PortfolioValue(row));
                }
                client
                    .link
                    .send(Response::AccountTime(clock::account_time(self.now)));
            }
            for (&req_id, wanted) in &subs.account_updates_multi {
                if wanted.is_empty() || wanted == "All" || wanted == &acct.id {
                    for value in &values {
                        client.link.send(Response::AccountUpdateMulti {
                            req_id,
                            value: value.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// The `position` message of an option `account` holds.
fn option_position(account: &str, option: &HeldOption) -> Response {
    Response::Position {
        account: account.to_string(),
        contract: option_position_fields(option),
        position: option.quantity,
        avg_cost: option.average_cost,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::macros::datetime;
    use tokio::sync::mpsc;

    use super::*;
    use crate::config::{AccountConfig, OptionRight, SimConfig};
    use crate::engine::sessions::{ClientLink, Outbound};
    use crate::messages::{PlaceOrder, Request, Side};

    const ACCOUNT: &str = "DU1234567";

    /// A covered call on AAPL: two contracts written at 3.50.
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

    /// An engine whose account holds the covered call from its config and 5 AAPL bought at
    /// 190, with client 1 connected; its queue.
    fn engine() -> (Engine, mpsc::UnboundedReceiver<Outbound>) {
        let config = SimConfig {
            accounts: vec![AccountConfig {
                option_positions: vec![covered_call()],
                ..AccountConfig::default()
            }],
            ..SimConfig::ephemeral()
        };
        let mut engine =
            Engine::new(Arc::new(config), datetime!(2025-01-06 14:30:00 UTC)).expect("engine");
        let aapl = engine.book().by_symbol("AAPL").expect("AAPL");
        engine
            .ledger
            .book_execution(ACCOUNT, aapl, "USD", Side::Buy, 5.0, 190.0, 1.0);
        let (tx, rx) = mpsc::unbounded_channel();
        engine.start_client(1, ClientLink { conn_id: 1, tx });
        (engine, rx)
    }

    /// The positions queued so far, as (secType, conId, right, position, average cost); `END`
    /// for positionEnd.
    fn positions(
        rx: &mut mpsc::UnboundedReceiver<Outbound>,
    ) -> Vec<(String, i32, String, f64, f64)> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .filter_map(|out| match out {
                Outbound::Message(m) => match *m {
                    Response::Position {
                        contract,
                        position,
                        avg_cost,
                        ..
                    } => Some((
                        contract.sec_type,
                        contract.con_id,
                        contract.right,
                        position,
                        avg_cost,
                    )),
                    Response::PositionEnd => Some(("END".into(), 0, String::new(), 0.0, 0.0)),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    fn row(
        sec_type: &str,
        con_id: i32,
        right: &str,
        position: f64,
        cost: f64,
    ) -> (String, i32, String, f64, f64) {
        (sec_type.into(), con_id, right.into(), position, cost)
    }

    #[test]
    fn req_positions_reports_the_held_option_beside_the_stock() {
        let (mut engine, mut rx) = engine();
        engine.handle(1, Request::Positions);
        assert_eq!(
            positions(&mut rx),
            [
                row("STK", 265598, "", 5.0, 190.0),
                row("OPT", 712345678, "C", -2.0, 350.0),
                row("END", 0, "", 0.0, 0.0),
            ]
        );
        let fields = option_position_fields(&covered_call());
        assert_eq!(
            (
                fields.symbol.as_str(),
                fields.last_trade_date_or_contract_month.as_str(),
                fields.strike,
                fields.multiplier.as_str(),
                fields.exchange.as_str(),
                fields.local_symbol.as_str(),
            ),
            (
                "AAPL",
                "20250117",
                200.0,
                "100",
                "CBOE",
                "AAPL  250117C00200000"
            )
        );
    }

    #[test]
    fn an_option_held_later_streams_to_position_subscribers() {
        let (mut engine, mut rx) = engine();
        engine.handle(1, Request::Positions);
        positions(&mut rx);
        let put =
            HeldOption::us_equity(712345679, "AAPL", "20250117", 180.0, OptionRight::Put, 3.0);
        assert_eq!(engine.hold_option(ACCOUNT, put), Ok(()));
        assert_eq!(positions(&mut rx), [row("OPT", 712345679, "P", 3.0, 0.0)]);
        // Closing the call: reported at 0, as TWS reports a closed position.
        let closed = HeldOption {
            quantity: 0.0,
            ..covered_call()
        };
        assert_eq!(engine.hold_option(ACCOUNT, closed), Ok(()));
        assert_eq!(positions(&mut rx), [row("OPT", 712345678, "C", 0.0, 350.0)]);
        engine.handle(1, Request::Positions);
        assert_eq!(
            positions(&mut rx),
            [
                row("STK", 265598, "", 5.0, 190.0),
                row("OPT", 712345678, "C", 0.0, 350.0),
                row("OPT", 712345679, "P", 3.0, 0.0),
                row("END", 0, "", 0.0, 0.0),
            ]
        );
        // Options never reach the stock book.
        let aapl = engine.book().by_symbol("AAPL").expect("AAPL");
        assert_eq!(engine.ledger().quantity(ACCOUNT, aapl), 5.0);
    }

    #[test]
    fn an_unusable_option_or_account_is_refused_and_nothing_is_sent() {
        let (mut engine, mut rx) = engine();
        engine.handle(1, Request::Positions);
        positions(&mut rx);
        let on_the_stock = HeldOption {
            con_id: 265598,
            ..covered_call()
        };
        assert_eq!(
            engine.hold_option(ACCOUNT, on_the_stock),
            Err(OptionRefused::Invalid(vec![
                "option AAPL (con_id 265598): con_id 265598 is the stock AAPL's".into()
            ]))
        );
        assert_eq!(
            engine.hold_option("DU9", covered_call()),
            Err(OptionRefused::UnknownAccount("DU9".into()))
        );
        assert_eq!(positions(&mut rx), []);
    }

    #[test]
    fn a_held_option_is_not_for_trading() {
        let (mut engine, mut rx) = engine();
        let contract = option_position_fields(&covered_call());
        engine.handle(
            1,
            Request::PlaceOrder(PlaceOrder {
                order_id: 1,
                contract,
                action: "BUY".into(),
                total_quantity: 2.0,
                order_type: "MKT".into(),
                limit_price: None,
                tif: String::new(),
                account: String::new(),
                order_ref: String::new(),
                outside_rth: false,
                transmit: true,
                what_if: false,
                ..Default::default()
            }),
        );
        let codes: Vec<i32> = std::iter::from_fn(|| rx.try_recv().ok())
            .filter_map(|out| match out {
                Outbound::Message(m) => match *m {
                    Response::Error(notice) if notice.id == 1 => Some(notice.code),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(codes, [crate::engine::codes::NO_SECURITY_DEFINITION]);
        assert_eq!(
            engine.ledger().find(ACCOUNT).map(|a| a.options.len()),
            Some(1)
        );
    }
}
