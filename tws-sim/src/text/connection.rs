//! Connection family in text: startApi, ids, accounts list, time, errors and notices.

use super::wire::{Reader, Writer};
use crate::messages::{DecodeError, ErrorNotice, Request};

/// `71,2,clientId,optionalCapabilities`.
pub fn decode_start_api(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::StartApi {
        client_id: r.int("clientId")?,
    })
}

pub fn managed_accounts(list: &str) -> Writer {
    let mut w = Writer::new(15);
    w.int(1).str(list);
    w
}

pub fn next_valid_id(order_id: i32) -> Writer {
    let mut w = Writer::new(9);
    w.int(1).int(order_id);
    w
}

pub fn current_time(secs: i64) -> Writer {
    let mut w = Writer::new(49);
    w.int(1).int(secs);
    w
}

pub fn current_time_millis(ms: i64) -> Writer {
    let mut w = Writer::new(109);
    w.int(ms);
    w
}

/// `4,2,id,code,message,advancedOrderRejectJson` (below 194 there is no error time).
pub fn error(notice: &ErrorNotice) -> Writer {
    let mut w = Writer::new(4);
    w.int(2)
        .int(notice.id)
        .int(notice.code)
        .str(&notice.message)
        .str("");
    w
}
