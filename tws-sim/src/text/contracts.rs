//! Contract family in text: reqContractDetails and contractData.

use super::wire::{Reader, Writer};
use crate::messages::{ContractDetailsView, DecodeError, Request};

/// `9,8,reqId,contract-12,includeExpired,secIdType,secId[,issuerId]`.
pub fn decode_request(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    let req_id = r.int("reqId")?;
    Ok(Request::ContractDetails {
        req_id,
        contract: r.contract()?,
    })
}

/// `10,reqId,symbol,secType,lastTradeDate,strike,right,exchange,currency,localSymbol,
/// marketName,tradingClass,conId,minTick,multiplier,orderTypes,validExchanges,priceMagnifier,
/// underConId,longName,primaryExchange,contractMonth,industry,category,subcategory,timeZoneId,
/// tradingHours,liquidHours,evRule,evMultiplier,secIdCount,aggGroup,underSymbol,underSecType,
/// marketRuleIds,realExpirationDate,stockType,minSize,sizeIncrement,suggestedSizeIncrement`
/// (no version field at 164 ≤ version < 182).
pub fn contract_data(req_id: i32, d: &ContractDetailsView) -> Writer {
    let c = &d.contract;
    let mut w = Writer::new(10);
    w.int(req_id)
        .str(&c.symbol)
        .str(&c.sec_type)
        .str("")
        .float(0.0)
        .str("")
        .str(&c.exchange)
        .str(&c.currency);
    w.str(&c.local_symbol)
        .str(&d.market_name)
        .str(&c.trading_class)
        .int(c.con_id)
        .str(&d.min_tick)
        .str("");
    w.str(&d.order_types)
        .str(&d.valid_exchanges)
        .int(1)
        .int(0)
        .str(&d.long_name)
        .str(&c.primary_exchange);
    w.str("")
        .str("")
        .str("")
        .str("")
        .str(&d.time_zone_id)
        .str(&d.trading_hours)
        .str(&d.liquid_hours);
    w.str("").str("").int(0); // evRule, evMultiplier, secIdList count
    w.int(0)
        .str("")
        .str("")
        .str(&d.market_rule_ids)
        .str("")
        .str(&d.stock_type);
    w.str(&d.min_size)
        .str(&d.size_increment)
        .str(&d.suggested_size_increment);
    w
}
