//! The simulated trading day: when one begins, and where every account stood then (the day's
//! P&L is measured from there).
//!
//! A day is a UTC calendar day. It begins at 00:00 UTC, when neither market trades (New York
//! trades 14:30–21:00 UTC in winter, 13:30–20:00 in summer; Hong Kong 01:30–08:00 UTC), so
//! no session is cut in two. The first day begins when the simulator starts.

use std::collections::{BTreeMap, HashMap};

use time::{Date, OffsetDateTime, UtcOffset};

use super::accounts::{CurrencyTotals, Ledger};
use super::contracts::ContractBook;
use super::market::Market;

/// Every account's books, per currency, as the day began.
#[derive(Debug)]
pub struct DayStart {
    day: Date,
    accounts: HashMap<String, BTreeMap<String, CurrencyTotals>>,
}

impl DayStart {
    /// Marks every account at `now`, valued at the last prices: the start of `now`'s day.
    pub fn mark(
        now: OffsetDateTime,
        ledger: &Ledger,
        book: &ContractBook,
        market: &Market,
    ) -> Self {
        let accounts = ledger
            .accounts()
            .iter()
            .map(|a| (a.id.clone(), ledger.totals(a, book, market)))
            .collect();
        Self {
            day: utc_day(now),
            accounts,
        }
    }

    /// Whether `now` falls in a later day than the one marked.
    pub fn is_over(&self, now: OffsetDateTime) -> bool {
        utc_day(now) != self.day
    }

    /// `account`'s books in `currency` as the day began (nothing: zeros).
    pub fn totals(&self, account: &str, currency: &str) -> CurrencyTotals {
        self.accounts
            .get(account)
            .and_then(|by_currency| by_currency.get(currency))
            .copied()
            .unwrap_or_default()
    }
}

fn utc_day(at: OffsetDateTime) -> Date {
    at.to_offset(UtcOffset::UTC).date()
}
