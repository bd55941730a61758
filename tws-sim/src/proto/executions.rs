//! Execution family: reqExecutions, execDetails and commission reports.

use prost::Message;

use super::common::Contract;
use crate::messages::{
    CommissionView, ContractFields, DecodeError, ExecutionFilter, ExecutionView, Request,
    format_decimal,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub execution_filter: Option<ExecutionFilterProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionFilterProto {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub acct_code: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub side: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionDetails {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub execution: Option<Execution>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Execution {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub exec_id: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub acct_number: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub side: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub shares: Option<String>,
    #[prost(double, optional, tag = "8")]
    pub price: Option<f64>,
    #[prost(int64, optional, tag = "9")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "10")]
    pub client_id: Option<i32>,
    #[prost(bool, optional, tag = "11")]
    pub is_liquidation: Option<bool>,
    #[prost(string, optional, tag = "12")]
    pub cum_qty: Option<String>,
    #[prost(double, optional, tag = "13")]
    pub avg_price: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub order_ref: Option<String>,
    #[prost(int32, optional, tag = "18")]
    pub last_liquidity: Option<i32>,
    #[prost(bool, optional, tag = "19")]
    pub is_price_revision_pending: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CommissionAndFeesReport {
    #[prost(string, optional, tag = "1")]
    pub exec_id: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "3")]
    pub currency: Option<String>,
    #[prost(double, optional, tag = "4")]
    pub realized_pnl: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub bond_yield: Option<f64>,
    // Tag 6 (yieldRedemptionDate) is never sent: IB's Python client does int("") on an empty one.
}

pub fn decode_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = ExecutionRequest::decode(payload)?;
    let f = m.execution_filter.unwrap_or_default();
    Ok(Request::Executions {
        req_id: m.req_id.unwrap_or_default(),
        filter: ExecutionFilter {
            client_id: f.client_id.unwrap_or_default(),
            account: f.acct_code.unwrap_or_default(),
            time: f.time.unwrap_or_default(),
            symbol: f.symbol.unwrap_or_default(),
            sec_type: f.sec_type.unwrap_or_default(),
            exchange: f.exchange.unwrap_or_default(),
            side: f.side.unwrap_or_default(),
        },
    })
}

pub fn details(req_id: i32, contract: &ContractFields, e: &ExecutionView) -> ExecutionDetails {
    ExecutionDetails {
        req_id: Some(req_id),
        contract: Some(Contract::from_fields(contract)),
        execution: Some(Execution {
            order_id: Some(e.order_id),
            exec_id: Some(e.exec_id.clone()),
            time: Some(e.time.clone()),
            acct_number: Some(e.account.clone()),
            exchange: Some(e.exchange.clone()),
            side: Some(e.side.clone()),
            shares: Some(format_decimal(e.shares)),
            price: Some(e.price),
            perm_id: Some(e.perm_id),
            client_id: Some(e.client_id),
            is_liquidation: Some(false),
            cum_qty: Some(format_decimal(e.cum_qty)),
            avg_price: Some(e.avg_price),
            order_ref: (!e.order_ref.is_empty()).then(|| e.order_ref.clone()),
            // 2 = removed liquidity (a market order takes from the book).
            last_liquidity: Some(2),
            is_price_revision_pending: Some(false),
        }),
    }
}

pub fn commission(c: &CommissionView) -> CommissionAndFeesReport {
    CommissionAndFeesReport {
        exec_id: Some(c.exec_id.clone()),
        commission_and_fees: Some(c.commission),
        currency: Some(c.currency.clone()),
        realized_pnl: Some(c.realized_pnl.unwrap_or(f64::MAX)),
        bond_yield: Some(f64::MAX),
    }
}
