//! Account family: positions, account summary, account updates (single and multi), P&L.

use prost::Message;

use super::common::{Contract, ReqIdOnly};
use crate::messages::{
    AccountValueView, ContractFields, DecodeError, PnlView, PortfolioView, Request, format_decimal,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct Position {
    #[prost(string, optional, tag = "1")]
    pub account: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "4")]
    pub avg_cost: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountSummaryRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub group: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub tags: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountSummary {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub tag: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub currency: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountDataRequest {
    #[prost(bool, optional, tag = "1")]
    pub subscribe: Option<bool>,
    #[prost(string, optional, tag = "2")]
    pub acct_code: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountValue {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub currency: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PortfolioValue {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "2")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "3")]
    pub market_price: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub market_value: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub average_cost: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub unrealized_pnl: Option<f64>,
    #[prost(double, optional, tag = "7")]
    pub realized_pnl: Option<f64>,
    #[prost(string, optional, tag = "8")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdateTime {
    #[prost(string, optional, tag = "1")]
    pub time_stamp: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountDataEnd {
    #[prost(string, optional, tag = "1")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdatesMultiRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub ledger_and_nlv: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdateMulti {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub currency: Option<String>,
}

/// IB's `PnLRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PnlRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
}

/// IB's `PnL` message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Pnl {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(double, optional, tag = "2")]
    pub daily_pnl: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub unrealized_pnl: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub realized_pnl: Option<f64>,
}

pub fn decode_summary_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = AccountSummaryRequest::decode(payload)?;
    Ok(Request::AccountSummary {
        req_id: m.req_id.unwrap_or_default(),
        group: m.group.unwrap_or_default(),
        tags: m.tags.unwrap_or_default(),
    })
}

pub fn decode_cancel_summary(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelAccountSummary {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn decode_account_updates(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = AccountDataRequest::decode(payload)?;
    Ok(Request::AccountUpdates {
        subscribe: m.subscribe.unwrap_or(false),
        account: m.acct_code.unwrap_or_default(),
    })
}

pub fn decode_updates_multi(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = AccountUpdatesMultiRequest::decode(payload)?;
    Ok(Request::AccountUpdatesMulti {
        req_id: m.req_id.unwrap_or_default(),
        account: m.account.unwrap_or_default(),
        model_code: m.model_code.unwrap_or_default(),
    })
}

pub fn decode_cancel_updates_multi(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelAccountUpdatesMulti {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn decode_pnl_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = PnlRequest::decode(payload)?;
    Ok(Request::Pnl {
        req_id: m.req_id.unwrap_or_default(),
        account: m.account.unwrap_or_default(),
        model_code: m.model_code.unwrap_or_default(),
    })
}

pub fn decode_cancel_pnl(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelPnl {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn position(
    account: &str,
    contract: &ContractFields,
    position: f64,
    avg_cost: f64,
) -> Position {
    Position {
        account: Some(account.to_string()),
        contract: Some(Contract::from_fields(contract)),
        position: Some(format_decimal(position)),
        avg_cost: Some(avg_cost),
    }
}

pub fn summary(
    req_id: i32,
    account: &str,
    tag: &str,
    value: &str,
    currency: &str,
) -> AccountSummary {
    AccountSummary {
        req_id: Some(req_id),
        account: Some(account.to_string()),
        tag: Some(tag.to_string()),
        value: Some(value.to_string()),
        currency: Some(currency.to_string()),
    }
}

pub fn value(v: &AccountValueView) -> AccountValue {
    AccountValue {
        key: Some(v.key.clone()),
        value: Some(v.value.clone()),
        currency: Some(v.currency.clone()),
        account_name: Some(v.account.clone()),
    }
}

pub fn portfolio(row: &PortfolioView) -> PortfolioValue {
    PortfolioValue {
        contract: Some(Contract::from_fields(&row.contract)),
        position: Some(format_decimal(row.position)),
        market_price: Some(row.market_price),
        market_value: Some(row.market_value),
        average_cost: Some(row.average_cost),
        unrealized_pnl: Some(row.unrealized_pnl),
        realized_pnl: Some(row.realized_pnl),
        account_name: Some(row.account.clone()),
    }
}

pub fn update_time(stamp: &str) -> AccountUpdateTime {
    AccountUpdateTime {
        time_stamp: Some(stamp.to_string()),
    }
}

pub fn download_end(account: &str) -> AccountDataEnd {
    AccountDataEnd {
        account_name: Some(account.to_string()),
    }
}

pub fn update_multi(req_id: i32, v: &AccountValueView) -> AccountUpdateMulti {
    AccountUpdateMulti {
        req_id: Some(req_id),
        account: Some(v.account.clone()),
        model_code: None,
        key: Some(v.key.clone()),
        value: Some(v.value.clone()),
        currency: Some(v.currency.clone()),
    }
}

pub fn pnl(req_id: i32, v: &PnlView) -> Pnl {
    Pnl {
        req_id: Some(req_id),
        daily_pnl: Some(v.daily),
        unrealized_pnl: Some(v.unrealized),
        realized_pnl: Some(v.realized),
    }
}
