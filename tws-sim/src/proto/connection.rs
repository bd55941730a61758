//! Connection family: startApi, ids, accounts list, time, errors and notices.

use prost::Message;

use crate::messages::{DecodeError, ErrorNotice, Request};

#[derive(Clone, PartialEq, prost::Message)]
pub struct StartApiRequest {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub optional_capabilities: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NextValidId {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ManagedAccounts {
    #[prost(string, optional, tag = "1")]
    pub accounts_list: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CurrentTime {
    #[prost(int64, optional, tag = "1")]
    pub current_time: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CurrentTimeInMillis {
    #[prost(int64, optional, tag = "1")]
    pub current_time_in_millis: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ErrorMessage {
    #[prost(int32, optional, tag = "1")]
    pub id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    pub error_time: Option<i64>,
    #[prost(int32, optional, tag = "3")]
    pub error_code: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub error_msg: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub advanced_order_reject_json: Option<String>,
}

pub fn decode_start_api(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = StartApiRequest::decode(payload)?;
    let client_id = m
        .client_id
        .ok_or_else(|| DecodeError("startApi without clientId".into()))?;
    Ok(Request::StartApi { client_id })
}

pub fn next_valid_id(order_id: i32) -> NextValidId {
    NextValidId {
        order_id: Some(order_id),
    }
}

pub fn managed_accounts(list: &str) -> ManagedAccounts {
    ManagedAccounts {
        accounts_list: Some(list.to_string()),
    }
}

pub fn current_time(secs: i64) -> CurrentTime {
    CurrentTime {
        current_time: Some(secs),
    }
}

pub fn current_time_millis(ms: i64) -> CurrentTimeInMillis {
    CurrentTimeInMillis {
        current_time_in_millis: Some(ms),
    }
}

pub fn error(notice: &ErrorNotice) -> ErrorMessage {
    ErrorMessage {
        id: Some(notice.id),
        error_time: Some(notice.time_ms),
        error_code: Some(notice.code),
        error_msg: Some(notice.message.clone()),
        advanced_order_reject_json: None,
    }
}
