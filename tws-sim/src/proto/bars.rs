//! Bars family: real-time five-second bars and historical data.

use prost::Message;

use super::common::{Contract, ReqIdOnly, fields};
use crate::messages::{
    BarView, DecodeError, HistoricalBarView, HistoricalRequest, Request, format_decimal,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct RealTimeBarsRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(int32, optional, tag = "3")]
    pub bar_size: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub what_to_show: Option<String>,
    #[prost(bool, optional, tag = "5")]
    pub use_rth: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RealTimeBarTick {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    pub time: Option<i64>,
    #[prost(double, optional, tag = "3")]
    pub open: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub high: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub low: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub close: Option<f64>,
    #[prost(string, optional, tag = "7")]
    pub volume: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub wap: Option<String>,
    #[prost(int32, optional, tag = "9")]
    pub count: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub end_date_time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub bar_size_setting: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub duration: Option<String>,
    #[prost(bool, optional, tag = "6")]
    pub use_rth: Option<bool>,
    #[prost(string, optional, tag = "7")]
    pub what_to_show: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub format_date: Option<i32>,
    #[prost(bool, optional, tag = "9")]
    pub keep_up_to_date: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataBar {
    #[prost(string, optional, tag = "1")]
    pub date: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub open: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub high: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub low: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub close: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub volume: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub wap: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub bar_count: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub historical_data_bars: Vec<HistoricalDataBar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataEnd {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub start_date_str: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub end_date_str: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataUpdate {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub historical_data_bar: Option<HistoricalDataBar>,
}

pub fn decode_real_time_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = RealTimeBarsRequest::decode(payload)?;
    Ok(Request::RealTimeBars {
        req_id: m.req_id.unwrap_or_default(),
        contract: fields(m.contract),
        what_to_show: m.what_to_show.unwrap_or_else(|| "TRADES".to_string()),
    })
}

pub fn decode_real_time_cancel(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelRealTimeBars {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn decode_historical_request(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = HistoricalDataRequest::decode(payload)?;
    Ok(Request::HistoricalData(HistoricalRequest {
        req_id: m.req_id.unwrap_or_default(),
        contract: fields(m.contract),
        end_date_time: m.end_date_time.unwrap_or_default(),
        bar_size: m.bar_size_setting.unwrap_or_default(),
        duration: m.duration.unwrap_or_default(),
        what_to_show: m.what_to_show.unwrap_or_else(|| "TRADES".to_string()),
        format_date: m.format_date.unwrap_or(1),
        keep_up_to_date: m.keep_up_to_date.unwrap_or(false),
    }))
}

pub fn decode_historical_cancel(payload: &[u8]) -> Result<Request, DecodeError> {
    Ok(Request::CancelHistoricalData {
        req_id: ReqIdOnly::decode(payload)?.req_id.unwrap_or_default(),
    })
}

pub fn real_time_bar(req_id: i32, b: &BarView) -> RealTimeBarTick {
    RealTimeBarTick {
        req_id: Some(req_id),
        time: Some(b.time),
        open: Some(b.open),
        high: Some(b.high),
        low: Some(b.low),
        close: Some(b.close),
        volume: Some(format_decimal(b.volume)),
        wap: Some(format_decimal(b.wap)),
        count: Some(b.count),
    }
}

fn bar(row: &HistoricalBarView) -> HistoricalDataBar {
    let b = &row.bar;
    HistoricalDataBar {
        date: Some(row.date.clone()),
        open: Some(b.open),
        high: Some(b.high),
        low: Some(b.low),
        close: Some(b.close),
        volume: Some(format_decimal(b.volume)),
        wap: Some(format_decimal(b.wap)),
        bar_count: Some(b.count),
    }
}

pub fn historical_data(req_id: i32, rows: &[HistoricalBarView]) -> HistoricalData {
    HistoricalData {
        req_id: Some(req_id),
        historical_data_bars: rows.iter().map(bar).collect(),
    }
}

pub fn historical_end(req_id: i32, start: &str, end: &str) -> HistoricalDataEnd {
    HistoricalDataEnd {
        req_id: Some(req_id),
        start_date_str: Some(start.to_string()),
        end_date_str: Some(end.to_string()),
    }
}

pub fn historical_update(req_id: i32, row: &HistoricalBarView) -> HistoricalDataUpdate {
    HistoricalDataUpdate {
        req_id: Some(req_id),
        historical_data_bar: Some(bar(row)),
    }
}
