//! The contract table: resolving what a client names to one of the configured stocks.

use time::OffsetDateTime;

use super::clock;
use crate::config::{ContractSpec, Market};
use crate::messages::{ContractDetailsView, ContractFields};

/// Index of a contract in the table (stable for the simulator's life).
pub type ContractIdx = usize;

/// All tradable contracts.
#[derive(Debug)]
pub struct ContractBook {
    specs: Vec<ContractSpec>,
}

impl ContractBook {
    /// The configured contracts.
    pub fn new(specs: Vec<ContractSpec>) -> Self {
        Self { specs }
    }

    /// The contract at `idx`.
    pub fn spec(&self, idx: ContractIdx) -> &ContractSpec {
        &self.specs[idx]
    }

    /// Every contract.
    pub fn all(&self) -> &[ContractSpec] {
        &self.specs
    }

    /// Every contract matching a request: by conId when given, else by symbol, narrowed by
    /// currency, security type and exchange (SMART, the listing exchange, or empty).
    pub fn matching(&self, query: &ContractFields) -> Vec<ContractIdx> {
        (0..self.specs.len())
            .filter(|&i| Self::matches(&self.specs[i], query))
            .collect()
    }

    /// The single contract an order or subscription names, if exactly one matches.
    pub fn resolve(&self, query: &ContractFields) -> Option<ContractIdx> {
        match self.matching(query).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Index of a symbol (first match, any currency).
    pub fn by_symbol(&self, symbol: &str) -> Option<ContractIdx> {
        self.specs
            .iter()
            .position(|s| s.symbol.eq_ignore_ascii_case(symbol))
    }

    fn matches(spec: &ContractSpec, q: &ContractFields) -> bool {
        if q.con_id != 0 {
            return q.con_id == spec.con_id;
        }
        let same =
            |wanted: &str, have: &str| wanted.is_empty() || wanted.eq_ignore_ascii_case(have);
        let exchange_ok = q.exchange.is_empty()
            || q.exchange.eq_ignore_ascii_case("SMART")
            || q.exchange.eq_ignore_ascii_case(&spec.primary_exchange)
            || q.exchange.eq_ignore_ascii_case(spec.routing_exchange());
        !q.symbol.is_empty()
            && q.symbol.eq_ignore_ascii_case(&spec.symbol)
            && same(&q.currency, &spec.currency)
            && same(&q.sec_type, "STK")
            && same(&q.primary_exchange, &spec.primary_exchange)
            && exchange_ok
    }

    /// The contract as order, execution and market-data messages carry it (routing exchange).
    pub fn fields(&self, idx: ContractIdx) -> ContractFields {
        let s = &self.specs[idx];
        ContractFields {
            con_id: s.con_id,
            symbol: s.symbol.clone(),
            sec_type: "STK".to_string(),
            exchange: s.routing_exchange().to_string(),
            primary_exchange: s.primary_exchange.clone(),
            currency: s.currency.clone(),
            local_symbol: s.symbol.clone(),
            trading_class: s.trading_class().to_string(),
            ..ContractFields::default()
        }
    }

    /// The contract as `position` carries it: the listing exchange in `exchange`, no primary.
    pub fn position_fields(&self, idx: ContractIdx) -> ContractFields {
        let mut f = self.fields(idx);
        f.exchange = std::mem::take(&mut f.primary_exchange);
        f
    }

    /// The contract as `updatePortfolio` carries it: primary exchange set, exchange empty.
    pub fn portfolio_fields(&self, idx: ContractIdx) -> ContractFields {
        let mut f = self.fields(idx);
        f.exchange.clear();
        f
    }

    /// Contract details at `now`, with the minimum tick at `price`.
    pub fn details(
        &self,
        idx: ContractIdx,
        price: f64,
        now: OffsetDateTime,
    ) -> ContractDetailsView {
        let s = &self.specs[idx];
        let (zone, _) = clock::market_zone(s.market);
        let hours = clock::trading_hours(s.market, now);
        let (valid_exchanges, rule) = match s.market {
            Market::Us => ("SMART,NASDAQ,NYSE,ARCA,BATS,IEX,EDGX", "26"),
            Market::Hk => ("SEHK", "1723"),
        };
        let lot = s.lot_size.to_string();
        ContractDetailsView {
            contract: self.fields(idx),
            market_name: s.trading_class().to_string(),
            min_tick: format_tick(s.tick_size(price)),
            order_types: "LMT,MKT,DAY,GTC".to_string(),
            valid_exchanges: valid_exchanges.to_string(),
            long_name: s.long_name.clone(),
            time_zone_id: zone.to_string(),
            trading_hours: hours.clone(),
            liquid_hours: hours,
            stock_type: if s.long_name.contains("ETF") {
                "ETF"
            } else {
                "COMMON"
            }
            .to_string(),
            min_size: lot.clone(),
            size_increment: lot.clone(),
            suggested_size_increment: lot,
            market_rule_ids: rule.to_string(),
        }
    }
}

/// A tick size as TWS writes it (`0.01`, `0.2`).
pub fn format_tick(tick: f64) -> String {
    let text = format!("{tick:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Whether `price` lies on the tick ladder at that price (within float noise).
pub fn on_tick(price: f64, tick: f64) -> bool {
    let steps = price / tick;
    (steps - steps.round()).abs() < 1e-6
}

/// Rounds `price` to the nearest tick.
pub fn round_to_tick(price: f64, tick: f64) -> f64 {
    let rounded = (price / tick).round() * tick;
    // Remove binary noise (190.01999999 → 190.02) so prices print and compare cleanly.
    (rounded * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> ContractBook {
        ContractBook::new(ContractSpec::builtin())
    }

    fn query(symbol: &str, exchange: &str, currency: &str) -> ContractFields {
        ContractFields {
            symbol: symbol.into(),
            sec_type: "STK".into(),
            exchange: exchange.into(),
            currency: currency.into(),
            ..Default::default()
        }
    }

    #[test]
    fn resolves_us_and_hk_the_ways_clients_name_them() {
        let b = book();
        let aapl = b.resolve(&query("AAPL", "SMART", "USD")).expect("AAPL");
        assert_eq!(b.spec(aapl).con_id, 265598);
        let tencent = b
            .resolve(&query("700", "SEHK", "HKD"))
            .expect("700 on SEHK");
        assert_eq!(b.spec(tencent).lot_size, 100);
        let mut smart_hk = query("700", "SMART", "HKD");
        smart_hk.primary_exchange = "SEHK".into();
        assert_eq!(b.resolve(&smart_hk), Some(tencent));
        assert_eq!(
            b.resolve(&ContractFields {
                con_id: 265598,
                ..Default::default()
            }),
            Some(aapl)
        );
        assert_eq!(b.resolve(&query("AAPL", "SMART", "HKD")), None);
        assert_eq!(b.resolve(&query("NOPE", "SMART", "USD")), None);
    }

    #[test]
    fn tick_helpers() {
        assert_eq!(format_tick(0.01), "0.01");
        assert_eq!(format_tick(0.2), "0.2");
        assert!(on_tick(300.2, 0.2));
        assert!(!on_tick(300.1, 0.2));
        assert_eq!(round_to_tick(190.0149, 0.01), 190.01);
    }
}
