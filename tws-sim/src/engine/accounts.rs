//! Cash and positions per account, and the account values TWS reports from them.

use std::collections::BTreeMap;

use super::contracts::{ContractBook, ContractIdx};
use super::market::Market;
use crate::config::{AccountConfig, AccountType, HeldOption};
use crate::messages::{AccountValueView, ContractFields, PortfolioView, Side};

/// A holding in one contract.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Holding {
    /// Shares (negative: short).
    pub quantity: f64,
    /// Average cost per share.
    pub avg_cost: f64,
    /// Realized P&L from closing trades.
    pub realized: f64,
}

/// An account's books in one currency, valued at the last prices.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CurrencyTotals {
    /// Cash.
    pub cash: f64,
    /// Σ quantity × last price (short positions count negative).
    pub stock: f64,
    /// Σ |quantity × last price|: long and short positions alike.
    pub gross: f64,
    /// Σ (last − average cost) × quantity.
    pub unrealized: f64,
    /// Realized P&L of every closing trade so far, commissions included.
    pub realized: f64,
}

impl CurrencyTotals {
    /// What the account is worth in this currency: cash plus stock.
    pub fn net_liquidation(&self) -> f64 {
        self.cash + self.stock
    }
}

/// One account's books.
#[derive(Debug, Clone)]
pub struct Account {
    /// Account code.
    pub id: String,
    /// Margin or cash: whether it may sell short.
    pub account_type: AccountType,
    /// Cash per currency (short-sale proceeds included, as IB books them).
    pub cash: BTreeMap<String, f64>,
    /// Holdings per contract (kept at zero once closed, as TWS reports closed positions).
    pub holdings: BTreeMap<ContractIdx, Holding>,
    /// Options held outside the stock book, by conId: reported by reqPositions, never traded
    /// or valued.
    pub options: BTreeMap<i32, HeldOption>,
}

/// All accounts of the login.
#[derive(Debug)]
pub struct Ledger {
    accounts: Vec<Account>,
    usd_hkd: f64,
}

impl Ledger {
    /// Opens the configured accounts with their starting cash.
    pub fn new(configs: &[AccountConfig], usd_hkd: f64) -> Self {
        let accounts = configs
            .iter()
            .map(|c| Account {
                id: c.id.clone(),
                account_type: c.account_type,
                cash: BTreeMap::from([("USD".to_string(), c.usd), ("HKD".to_string(), c.hkd)]),
                holdings: BTreeMap::new(),
                options: c
                    .option_positions
                    .iter()
                    .map(|o| (o.con_id, o.clone()))
                    .collect(),
            })
            .collect();
        Self { accounts, usd_hkd }
    }

    /// Comma-separated account codes (managedAccounts).
    pub fn managed_accounts(&self) -> String {
        self.accounts
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every account.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The account an order names (empty: the first one).
    pub fn find(&self, id: &str) -> Option<&Account> {
        if id.is_empty() {
            self.accounts.first()
        } else {
            self.accounts.iter().find(|a| a.id == id)
        }
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.id == id)
    }

    /// Cash of `account` in `currency`.
    pub fn cash(&self, account: &str, currency: &str) -> f64 {
        self.find(account)
            .and_then(|a| a.cash.get(currency))
            .copied()
            .unwrap_or(0.0)
    }

    /// Shares of `contract` held by `account`.
    pub fn quantity(&self, account: &str, contract: ContractIdx) -> f64 {
        self.find(account)
            .and_then(|a| a.holdings.get(&contract))
            .map_or(0.0, |h| h.quantity)
    }

    /// Makes `account` hold `option` (replacing what it held in the same conId, a quantity
    /// of 0 included, which TWS reports as a closed position). `None` if there is no such
    /// account; the caller checks the option itself ([`HeldOption::problems`]).
    pub fn hold_option(&mut self, account: &str, option: HeldOption) -> Option<()> {
        let acct = self.find_mut(account)?;
        acct.options.insert(option.con_id, option);
        Some(())
    }

    /// Books one execution and returns the realized P&L it closed (if it closed anything).
    #[allow(
        clippy::too_many_arguments,
        reason = "one execution's fields, kept flat at the one call site"
    )]
    pub fn book_execution(
        &mut self,
        account: &str,
        contract: ContractIdx,
        currency: &str,
        side: Side,
        shares: f64,
        price: f64,
        commission: f64,
    ) -> Option<f64> {
        let acct = self.find_mut(account)?;
        let signed = match side {
            Side::Buy => shares,
            Side::Sell => -shares,
        };
        *acct.cash.entry(currency.to_string()).or_default() -= signed * price + commission;
        let h = acct.holdings.entry(contract).or_default();
        let mut realized = None;
        if h.quantity == 0.0 || h.quantity.signum() == signed.signum() {
            // Opening or adding: the average cost moves.
            let total = h.quantity + signed;
            h.avg_cost = (h.avg_cost * h.quantity.abs() + price * shares) / total.abs();
            h.quantity = total;
        } else {
            // Closing (and maybe flipping): P&L on the closed part, commission included.
            let closed = shares.min(h.quantity.abs());
            let pnl = (price - h.avg_cost) * closed * h.quantity.signum() - commission;
            h.realized += pnl;
            realized = Some((pnl * 100.0).round() / 100.0);
            h.quantity += signed;
            if h.quantity.abs() < 1e-9 {
                h.quantity = 0.0;
            } else if h.quantity.signum() == signed.signum() {
                h.avg_cost = price;
            }
        }
        realized
    }

    /// HKD → USD (base currency) conversion factor for `currency`.
    pub fn to_base(&self, currency: &str) -> f64 {
        if currency == "HKD" {
            1.0 / self.usd_hkd
        } else {
            1.0
        }
    }

    /// A portfolio row for one holding, valued at the last price.
    pub fn portfolio_row(
        &self,
        account: &Account,
        contract: ContractIdx,
        book: &ContractBook,
        market: &Market,
    ) -> Option<PortfolioView> {
        let h = account.holdings.get(&contract)?;
        let price = market.get(contract).last;
        let value = h.quantity * price;
        Some(PortfolioView {
            contract: book.portfolio_fields(contract),
            position: h.quantity,
            market_price: price,
            market_value: round2(value),
            average_cost: h.avg_cost,
            unrealized_pnl: round2(value - h.avg_cost * h.quantity),
            realized_pnl: round2(h.realized),
            account: account.id.clone(),
        })
    }

    /// The account's books per currency, valued at the last prices: every currency it holds
    /// cash in (booking a trade opens its currency's cash entry, so that is every currency it
    /// trades).
    pub fn totals(
        &self,
        account: &Account,
        book: &ContractBook,
        market: &Market,
    ) -> BTreeMap<String, CurrencyTotals> {
        let mut totals: BTreeMap<String, CurrencyTotals> = account
            .cash
            .iter()
            .map(|(currency, &cash)| {
                let totals = CurrencyTotals {
                    cash,
                    ..CurrencyTotals::default()
                };
                (currency.clone(), totals)
            })
            .collect();
        for (&idx, h) in &account.holdings {
            let price = market.get(idx).last;
            let t = totals.entry(book.spec(idx).currency.clone()).or_default();
            t.stock += h.quantity * price;
            t.gross += (h.quantity * price).abs();
            t.unrealized += (price - h.avg_cost) * h.quantity;
            t.realized += h.realized;
        }
        totals
    }

    /// The account values of `reqAccountUpdates` (and of the summary tags), in TWS's keys.
    pub fn values(
        &self,
        account: &Account,
        book: &ContractBook,
        market: &Market,
    ) -> Vec<AccountValueView> {
        let mut out = Vec::new();
        let mut push = |key: &str, value: String, currency: &str| {
            out.push(AccountValueView {
                key: key.to_string(),
                value,
                currency: currency.to_string(),
                account: account.id.clone(),
            })
        };
        push("AccountCode", account.id.clone(), "");
        push("AccountType", "INDIVIDUAL".to_string(), "");
        push("Currency", "USD".to_string(), "USD");
        let (mut cash_base, mut stock_base, mut unreal_base, mut real_base) = (0.0, 0.0, 0.0, 0.0);
        let mut gross_base = 0.0;
        for (currency, t) in &self.totals(account, book, market) {
            let rate = self.to_base(currency);
            cash_base += t.cash * rate;
            stock_base += t.stock * rate;
            gross_base += t.gross * rate;
            unreal_base += t.unrealized * rate;
            real_base += t.realized * rate;
            push("CashBalance", money(t.cash), currency);
            push("TotalCashBalance", money(t.cash), currency);
            push("StockMarketValue", money(t.stock), currency);
            push(
                "NetLiquidationByCurrency",
                money(t.net_liquidation()),
                currency,
            );
            push("UnrealizedPnL", money(t.unrealized), currency);
            push("RealizedPnL", money(t.realized), currency);
            push("ExchangeRate", format!("{rate:.8}"), currency);
        }
        let net = cash_base + stock_base;
        for (key, value) in [
            ("CashBalance", cash_base),
            ("NetLiquidationByCurrency", net),
            ("StockMarketValue", stock_base),
            ("UnrealizedPnL", unreal_base),
            ("RealizedPnL", real_base),
        ] {
            push(key, money(value), "BASE");
        }
        for (key, value) in [
            ("NetLiquidation", net),
            ("TotalCashValue", cash_base),
            ("SettledCash", cash_base),
            ("AccruedCash", 0.0),
            ("BuyingPower", cash_base.max(0.0)),
            ("AvailableFunds", cash_base.max(0.0)),
            ("ExcessLiquidity", cash_base.max(0.0)),
            ("EquityWithLoanValue", net),
            ("GrossPositionValue", gross_base),
            ("InitMarginReq", 0.0),
            ("MaintMarginReq", 0.0),
        ] {
            push(key, money(value), "USD");
        }
        out
    }
}

/// An option as `position` carries it: the option's own conId, `OPT`, expiry, strike, right
/// and multiplier, the OCC symbol as its local symbol, the configured exchange in `exchange`
/// (no primary exchange, as for a stock's position).
pub fn option_position_fields(option: &HeldOption) -> ContractFields {
    ContractFields {
        con_id: option.con_id,
        symbol: option.symbol.clone(),
        sec_type: "OPT".to_string(),
        last_trade_date_or_contract_month: option.expiry.clone(),
        strike: option.strike,
        right: option.right.code().to_string(),
        multiplier: option.multiplier.to_string(),
        exchange: option.exchange.clone(),
        primary_exchange: String::new(),
        currency: option.currency.clone(),
        local_symbol: option.occ_symbol(),
        trading_class: option.symbol.clone(),
    }
}

/// Rounded to the cent, as TWS reports money.
pub(super) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Money as TWS writes account values: two decimals.
fn money(v: f64) -> String {
    format!("{:.2}", round2(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Ledger {
        Ledger::new(
            &[AccountConfig {
                id: "DU1".into(),
                usd: 10_000.0,
                hkd: 50_000.0,
                account_type: AccountType::Margin,
                option_positions: Vec::new(),
            }],
            7.8,
        )
    }

    #[test]
    fn buy_then_sell_books_cash_position_and_realized_pnl() {
        let mut l = ledger();
        assert_eq!(
            l.book_execution("DU1", 0, "USD", Side::Buy, 10.0, 100.0, 1.0),
            None
        );
        assert_eq!(l.cash("DU1", "USD"), 10_000.0 - 1_000.0 - 1.0);
        assert_eq!(l.quantity("DU1", 0), 10.0);
        assert_eq!(
            l.book_execution("DU1", 0, "USD", Side::Buy, 10.0, 110.0, 1.0),
            None
        );
        assert_eq!(
            l.find("DU1")
                .and_then(|a| a.holdings.get(&0))
                .map(|h| h.avg_cost),
            Some(105.0)
        );
        assert_eq!(
            l.book_execution("DU1", 0, "USD", Side::Sell, 20.0, 120.0, 1.0),
            Some(299.0)
        );
        assert_eq!(l.quantity("DU1", 0), 0.0);
        assert_eq!(
            l.cash("DU1", "USD"),
            10_000.0 - 1_000.0 - 1_100.0 + 2_400.0 - 3.0
        );
    }

    #[test]
    fn a_short_position_opens_adds_covers_and_flips() {
        let mut l = ledger();
        let holding = |l: &Ledger| l.find("DU1").and_then(|a| a.holdings.get(&0)).copied();
        // Selling from flat opens a short: the proceeds are cash, nothing is realized.
        assert_eq!(
            l.book_execution("DU1", 0, "USD", Side::Sell, 10.0, 100.0, 1.0),
            None
        );
        assert_eq!(l.cash("DU1", "USD"), 10_000.0 + 1_000.0 - 1.0);
        assert_eq!(l.quantity("DU1", 0), -10.0);
        assert_eq!(
            l.book_execution("DU1", 0, "USD", Side::Sell, 10.0, 110.0, 1.0),
            None
        );
        assert_eq!(
            holding(&l).map(|h| (h.quantity, h.avg_cost)),
            Some((-20.0, 105.0))
        );
        // Buying 30 at 100 covers the 20 (5 a share gained, less the commission) and leaves
        // 10 long at the fill price.
        assert_eq!(
            l.book_execution("DU1", 0, "USD", Side::Buy, 30.0, 100.0, 1.0),
            Some(99.0)
        );
        assert_eq!(
            holding(&l).map(|h| (h.quantity, h.avg_cost, h.realized)),
            Some((10.0, 100.0, 99.0))
        );
        assert_eq!(
            l.cash("DU1", "USD"),
            10_000.0 + 1_000.0 + 1_100.0 - 3_000.0 - 3.0
        );
    }

    #[test]
    fn account_values_count_a_short_position_against_the_cash_it_raised() {
        let mut l = ledger();
        let book = ContractBook::new(crate::config::ContractSpec::builtin());
        let mut market =
            Market::new(&crate::config::MarketConfig::default(), &book).expect("a market");
        let aapl = book.by_symbol("AAPL").expect("AAPL");
        let msft = book.by_symbol("MSFT").expect("MSFT");
        l.book_execution("DU1", aapl, "USD", Side::Buy, 10.0, 100.0, 0.0);
        l.book_execution("DU1", msft, "USD", Side::Sell, 20.0, 100.0, 0.0);
        market.set_price(&book, aapl, 110.0);
        market.set_price(&book, msft, 90.0);
        let account = l.find("DU1").expect("DU1");
        let values: BTreeMap<(String, String), String> = l
            .values(account, &book, &market)
            .into_iter()
            .map(|v| ((v.key, v.currency), v.value))
            .collect();
        let value =
            |key: &str, currency: &str| values[&(key.to_owned(), currency.to_owned())].as_str();
        // Cash: 10,000 − 1,000 + 2,000. Stock: 1,100 long − 1,800 short.
        assert_eq!(value("CashBalance", "USD"), "11000.00");
        assert_eq!(value("StockMarketValue", "USD"), "-700.00");
        assert_eq!(value("GrossPositionValue", "USD"), "2900.00");
        // Both positions gained: AAPL 10 up on 10 long, MSFT 10 down on 20 short.
        assert_eq!(value("UnrealizedPnL", "USD"), "300.00");
        let net = 11_000.0 - 700.0 + 50_000.0 / 7.8;
        assert_eq!(value("NetLiquidation", "USD"), format!("{net:.2}"));
        let portfolio = l
            .portfolio_row(account, msft, &book, &market)
            .expect("a row");
        assert_eq!(
            (
                portfolio.position,
                portfolio.market_value,
                portfolio.unrealized_pnl
            ),
            (-20.0, -1_800.0, 200.0)
        );
    }

    #[test]
    fn unknown_account_books_nothing() {
        let mut l = ledger();
        assert_eq!(
            l.book_execution("DU9", 0, "USD", Side::Buy, 1.0, 1.0, 0.0),
            None
        );
        assert_eq!(l.cash("DU1", "USD"), 10_000.0);
        assert_eq!(l.managed_accounts(), "DU1");
        assert_eq!(l.find("").map(|a| a.id.as_str()), Some("DU1"));
    }
}
