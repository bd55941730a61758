//! Contract family: reqContractDetails, contractData and its end.

use prost::Message;

use super::common::{Contract, ReqIdOnly, fields, non_empty};
use crate::messages::{ContractDetailsView, DecodeError, Request};

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub contract_details: Option<ContractDetails>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDetails {
    #[prost(string, optional, tag = "1")]
    pub market_name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub min_tick: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub order_types: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub valid_exchanges: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub price_magnifier: Option<i32>,
    #[prost(string, optional, tag = "7")]
    pub long_name: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub time_zone_id: Option<String>,
    #[prost(string, optional, tag = "13")]
    pub trading_hours: Option<String>,
    #[prost(string, optional, tag = "14")]
    pub liquid_hours: Option<String>,
    #[prost(string, optional, tag = "21")]
    pub market_rule_ids: Option<String>,
    #[prost(string, optional, tag = "23")]
    pub stock_type: Option<String>,
    #[prost(string, optional, tag = "24")]
    pub min_size: Option<String>,
    #[prost(string, optional, tag = "25")]
    pub size_increment: Option<String>,
    #[prost(string, optional, tag = "26")]
    pub suggested_size_increment: Option<String>,
}

pub fn decode_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = ContractDataRequest::decode(payload)?;
    Ok(Request::ContractDetails {
        req_id: m.req_id.unwrap_or_default(),
        contract: fields(m.contract),
    })
}

pub fn decode_cancel(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelContractDetails {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn contract_data(req_id: i32, d: &ContractDetailsView) -> ContractData {
    ContractData {
        req_id: Some(req_id),
        contract: Some(Contract::from_fields(&d.contract)),
        contract_details: Some(ContractDetails {
            market_name: non_empty(&d.market_name),
            min_tick: non_empty(&d.min_tick),
            order_types: non_empty(&d.order_types),
            valid_exchanges: non_empty(&d.valid_exchanges),
            price_magnifier: Some(1),
            long_name: non_empty(&d.long_name),
            time_zone_id: non_empty(&d.time_zone_id),
            trading_hours: non_empty(&d.trading_hours),
            liquid_hours: non_empty(&d.liquid_hours),
            market_rule_ids: non_empty(&d.market_rule_ids),
            stock_type: non_empty(&d.stock_type),
            min_size: non_empty(&d.min_size),
            size_increment: non_empty(&d.size_increment),
            suggested_size_increment: non_empty(&d.suggested_size_increment),
        }),
    }
}
