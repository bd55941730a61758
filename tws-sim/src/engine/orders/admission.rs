//! What an account can take: the cash a buy needs, and whether a sell beyond the position is a
//! short sale the account and the contract allow.
//!
//! Checked when an order is placed and again when a working order is modified, since a
//! modification can ask for more than the order it replaces.

use std::collections::HashMap;

use super::Kind;
use crate::config::AccountType;
use crate::engine::Engine;
use crate::engine::contracts::ContractIdx;
use crate::messages::{Side, format_decimal};

/// What an order asks of its account.
#[derive(Debug, Clone, Copy)]
pub(super) struct Demand<'a> {
    /// The account's code (resolved: never empty).
    pub account: &'a str,
    pub contract: ContractIdx,
    pub side: Side,
    pub kind: Kind,
    /// Shares still to fill.
    pub quantity: f64,
    /// The working order a modification replaces: what it promised is not held against it.
    pub replacing: Option<usize>,
    /// The parent a bracket child waits for: a sell child sells what a buy parent brings.
    pub parent: Option<usize>,
}

impl Engine {
    /// Why the account cannot take `demand` (the reason of a 201), if it cannot.
    pub(super) fn account_refusal(&self, demand: &Demand) -> Option<String> {
        match demand.side {
            Side::Buy => self.cash_refusal(demand),
            Side::Sell => self.short_sale_refusal(demand),
        }
    }

    /// A buy needs its value and commission in cash, less what working buys already promise.
    /// No margin loan is simulated, in either account type.
    fn cash_refusal(&self, d: &Demand) -> Option<String> {
        let spec = self.book.spec(d.contract);
        let price = match d.kind {
            Kind::Limit(limit) => limit,
            Kind::Market => self.market_fill_price(d.contract, Side::Buy),
        };
        let schedule = self
            .config
            .commissions
            .get(&spec.currency)
            .copied()
            .unwrap_or_default();
        let needed = d.quantity * price + schedule.charge(d.quantity, price);
        let available = self.ledger.cash(d.account, &spec.currency)
            - self.reserved_cash(d.account, d.contract, d.replacing);
        (needed > available + 1e-9).then(|| {
            format!(
                "Insufficient cash: the order needs {needed:.2} {} and {available:.2} is available",
                spec.currency
            )
        })
    }

    /// A sell of more than the position (less working sells) is a short sale: a margin account
    /// may make one in a shortable contract, a cash account never.
    fn short_sale_refusal(&self, d: &Demand) -> Option<String> {
        let sellable = self.ledger.quantity(d.account, d.contract)
            - self.reserved_sells(d.account, d.contract, d.replacing)
            + self.incoming(d);
        if d.quantity <= sellable + 1e-9 {
            return None;
        }
        let account_type = self.ledger.find(d.account)?.account_type;
        match account_type {
            AccountType::Cash => Some(format!(
                "Short sales are not allowed in a cash account: selling {} with {} available",
                format_decimal(d.quantity),
                format_decimal(sellable.max(0.0))
            )),
            AccountType::Margin if !self.book.spec(d.contract).shortable => {
                Some("The contract is not available for short sale".to_owned())
            }
            AccountType::Margin => None,
        }
    }

    /// Cash already promised to working buys in the contract's currency.
    fn reserved_cash(&self, account: &str, contract: ContractIdx, except: Option<usize>) -> f64 {
        let currency = &self.book.spec(contract).currency;
        self.orders
            .working
            .iter()
            .filter(|&&i| Some(i) != except)
            .map(|&i| &self.orders.orders[i])
            .filter(|o| {
                o.side == Side::Buy
                    && o.account == account
                    && &self.book.spec(o.contract).currency == currency
            })
            .map(|o| {
                let price = match o.kind {
                    Kind::Limit(p) => p,
                    Kind::Market => self.market.get(o.contract).last,
                };
                (o.total - o.filled) * price
            })
            .sum()
    }

    /// Shares a bracket child's parent will bring: what a buy parent of the same contract and
    /// account has still to fill.
    fn incoming(&self, d: &Demand) -> f64 {
        let Some(parent) = d.parent.map(|i| &self.orders.orders[i]) else {
            return 0.0;
        };
        if parent.side == Side::Buy && parent.account == d.account && parent.contract == d.contract
        {
            parent.total - parent.filled
        } else {
            0.0
        }
    }

    /// Shares already promised to working sells. A bracket child still waiting for its parent
    /// promises none of the shares held (it sells what its parent buys), and the children of
    /// one parent are one exit (a fill of one reduces the others): they promise the largest
    /// of their quantities once, not their sum.
    fn reserved_sells(&self, account: &str, contract: ContractIdx, except: Option<usize>) -> f64 {
        let mut plain = 0.0;
        let mut brackets: HashMap<(i32, i32), f64> = HashMap::new();
        let sells = self
            .orders
            .working
            .iter()
            .filter(|&&i| Some(i) != except)
            .map(|&i| &self.orders.orders[i])
            .filter(|o| o.side == Side::Sell && o.account == account && o.contract == contract);
        for o in sells {
            let left = o.total - o.filled;
            if o.awaiting_parent {
                continue;
            }
            if o.parent_id == 0 {
                plain += left;
            } else {
                let group = brackets.entry((o.client_id, o.parent_id)).or_default();
                *group = group.max(left);
            }
        }
        plain + brackets.values().sum::<f64>()
    }
}
