//! Market-data family: reqMktData, its cancel, the data type, and the ticks.

use prost::Message;

use super::common::{Contract, ReqIdOnly, fields};
use crate::messages::{DecodeError, Request, format_decimal};

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub generic_tick_list: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub snapshot: Option<bool>,
    #[prost(bool, optional, tag = "5")]
    pub regulatory_snapshot: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataTypeRequest {
    #[prost(int32, optional, tag = "1")]
    pub market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataType {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickReqParams {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub min_tick: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub bbo_exchange: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub snapshot_permissions: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickPrice {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(double, optional, tag = "3")]
    pub price: Option<f64>,
    #[prost(string, optional, tag = "4")]
    pub size: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub attr_mask: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickSize {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub size: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickString {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub value: Option<String>,
}

pub fn decode_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = MarketDataRequest::decode(payload)?;
    Ok(Request::MarketData {
        req_id: m.req_id.unwrap_or_default(),
        contract: fields(m.contract),
        snapshot: m.snapshot.unwrap_or(false) || m.regulatory_snapshot.unwrap_or(false),
    })
}

pub fn decode_cancel(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelMarketData {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn decode_data_type(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = MarketDataTypeRequest::decode(payload)?;
    Ok(Request::MarketDataType {
        data_type: m.market_data_type.unwrap_or(1),
    })
}

pub fn data_type(req_id: i32, data_type: i32) -> MarketDataType {
    MarketDataType {
        req_id: Some(req_id),
        market_data_type: Some(data_type),
    }
}

pub fn req_params(
    req_id: i32,
    min_tick: &str,
    bbo_exchange: &str,
    snapshot_permissions: i32,
) -> TickReqParams {
    TickReqParams {
        req_id: Some(req_id),
        min_tick: Some(min_tick.to_string()),
        bbo_exchange: Some(bbo_exchange.to_string()),
        snapshot_permissions: Some(snapshot_permissions),
    }
}

pub fn tick_price(
    req_id: i32,
    tick_type: i32,
    price: f64,
    size: Option<f64>,
    attr_mask: i32,
) -> TickPrice {
    TickPrice {
        req_id: Some(req_id),
        tick_type: Some(tick_type),
        price: Some(price),
        size: size.map(format_decimal),
        attr_mask: Some(attr_mask),
    }
}

pub fn tick_size(req_id: i32, tick_type: i32, size: f64) -> TickSize {
    TickSize {
        req_id: Some(req_id),
        tick_type: Some(tick_type),
        size: Some(format_decimal(size)),
    }
}

pub fn tick_string(req_id: i32, tick_type: i32, value: &str) -> TickString {
    TickString {
        req_id: Some(req_id),
        tick_type: Some(tick_type),
        value: Some(value.to_string()),
    }
}
