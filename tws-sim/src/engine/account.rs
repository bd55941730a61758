//! Account requests: positions, account summary, account updates (single and multi), and the
//! updates subscribers get after each fill. (P&L subscriptions are in `pnl.rs`.)

use super::Engine;
use super::clock;
use super::contracts::ContractIdx;
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
