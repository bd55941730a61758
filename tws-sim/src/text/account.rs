//! Account family in text: positions, account summary, account updates (single and multi),
//! P&L.

use super::wire::{Reader, Writer};
use crate::messages::{
    AccountValueView, ContractFields, DecodeError, PnlView, PortfolioView, Request,
};

/// `62,1,reqId,group,tags`.
pub fn decode_summary_request(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::AccountSummary {
        req_id: r.int("reqId")?,
        group: r.str("group")?.to_string(),
        tags: r.str("tags")?.to_string(),
    })
}

/// `63,1,reqId`.
pub fn decode_cancel_summary(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::CancelAccountSummary {
        req_id: r.int("reqId")?,
    })
}

/// `6,2,subscribe,acctCode`.
pub fn decode_account_updates(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::AccountUpdates {
        subscribe: r.bool("subscribe")?,
        account: r.str_or_empty().to_string(),
    })
}

/// `76,1,reqId,account,modelCode,ledgerAndNLV`.
pub fn decode_updates_multi(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::AccountUpdatesMulti {
        req_id: r.int("reqId")?,
        account: r.str_or_empty().to_string(),
        model_code: r.str_or_empty().to_string(),
    })
}

/// `77,1,reqId`.
pub fn decode_cancel_updates_multi(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::CancelAccountUpdatesMulti {
        req_id: r.int("reqId")?,
    })
}

/// `92,reqId,account,modelCode`: no version field (IB's clients send none for reqPnL).
pub fn decode_pnl_request(r: &mut Reader) -> Result<Request, DecodeError> {
    Ok(Request::Pnl {
        req_id: r.int("reqId")?,
        account: r.str_or_empty().to_string(),
        model_code: r.str_or_empty().to_string(),
    })
}

/// `93,reqId`: no version field.
pub fn decode_cancel_pnl(r: &mut Reader) -> Result<Request, DecodeError> {
    Ok(Request::CancelPnl {
        req_id: r.int("reqId")?,
    })
}

/// `61,3,account,contract-11,position,avgCost`.
pub fn position(account: &str, contract: &ContractFields, position: f64, avg_cost: f64) -> Writer {
    let mut w = Writer::new(61);
    w.int(3)
        .str(account)
        .contract(contract, &contract.exchange)
        .decimal(position)
        .float(avg_cost);
    w
}

/// `63,1,reqId,account,tag,value,currency`.
pub fn summary(req_id: i32, account: &str, tag: &str, value: &str, currency: &str) -> Writer {
    let mut w = Writer::new(63);
    w.int(1)
        .int(req_id)
        .str(account)
        .str(tag)
        .str(value)
        .str(currency);
    w
}

/// `6,2,key,value,currency,accountName`.
pub fn value(v: &AccountValueView) -> Writer {
    let mut w = Writer::new(6);
    w.int(2)
        .str(&v.key)
        .str(&v.value)
        .str(&v.currency)
        .str(&v.account);
    w
}

/// `7,8,contract (primary exchange in the exchange slot),position,marketPrice,marketValue,
/// averageCost,unrealizedPNL,realizedPNL,accountName`.
pub fn portfolio(row: &PortfolioView) -> Writer {
    let mut w = Writer::new(7);
    w.int(8)
        .contract(&row.contract, &row.contract.primary_exchange);
    w.decimal(row.position)
        .float(row.market_price)
        .float(row.market_value)
        .float(row.average_cost);
    w.float(row.unrealized_pnl)
        .float(row.realized_pnl)
        .str(&row.account);
    w
}

/// `8,1,HH:mm`.
pub fn update_time(stamp: &str) -> Writer {
    let mut w = Writer::new(8);
    w.int(1).str(stamp);
    w
}

/// `54,1,accountName`.
pub fn download_end(account: &str) -> Writer {
    let mut w = Writer::new(54);
    w.int(1).str(account);
    w
}

/// `73,1,reqId,account,modelCode,key,value,currency`.
pub fn update_multi(req_id: i32, v: &AccountValueView) -> Writer {
    let mut w = Writer::new(73);
    w.int(1)
        .int(req_id)
        .str(&v.account)
        .str("")
        .str(&v.key)
        .str(&v.value)
        .str(&v.currency);
    w
}

/// `94,reqId,dailyPnL,unrealizedPnL,realizedPnL`: no version field (IB's decoders read the
/// request id right after the message id; the last two exist from server versions 129 and 135).
pub fn pnl(req_id: i32, v: &PnlView) -> Writer {
    let mut w = Writer::new(94);
    w.int(req_id)
        .float(v.daily)
        .float(v.unrealized)
        .float(v.realized);
    w
}
