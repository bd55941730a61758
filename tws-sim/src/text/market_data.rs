//! Market-data family in text: reqMktData, its cancel, the data type, and the ticks.

use super::wire::{Reader, Writer};
use crate::messages::{DecodeError, Request};

/// `1,11,reqId,contract-12,[BAG legs],deltaNeutral(0|1[,conId,delta,price]),genericTickList,
/// snapshot,regulatorySnapshot,options`.
pub fn decode_request(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    let req_id = r.int("reqId")?;
    let contract = r.contract()?;
    if contract.sec_type.eq_ignore_ascii_case("BAG") {
        let legs = r.int("legs")?;
        r.skip(4 * legs.max(0) as usize);
    }
    if r.bool("deltaNeutral")? {
        r.skip(3);
    }
    r.skip(1); // genericTickList
    let snapshot = r.bool("snapshot")?;
    let regulatory = r.bool("regulatorySnapshot").unwrap_or(false);
    Ok(Request::MarketData {
        req_id,
        contract,
        snapshot: snapshot || regulatory,
    })
}

/// `2,2,reqId`.
pub fn decode_cancel(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::CancelMarketData {
        req_id: r.int("reqId")?,
    })
}

/// `59,1,type`.
pub fn decode_data_type(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::MarketDataType {
        data_type: r.int("marketDataType")?,
    })
}

/// `58,1,reqId,type`.
pub fn data_type(req_id: i32, data_type: i32) -> Writer {
    let mut w = Writer::new(58);
    w.int(1).int(req_id).int(data_type);
    w
}

/// `81,reqId,minTick,bboExchange,snapshotPermissions`.
pub fn req_params(
    req_id: i32,
    min_tick: &str,
    bbo_exchange: &str,
    snapshot_permissions: i32,
) -> Writer {
    let mut w = Writer::new(81);
    w.int(req_id)
        .str(min_tick)
        .str(bbo_exchange)
        .int(snapshot_permissions);
    w
}

/// `1,6,reqId,tickType,price,size,attrMask`.
pub fn tick_price(
    req_id: i32,
    tick_type: i32,
    price: f64,
    size: Option<f64>,
    attr_mask: i32,
) -> Writer {
    let mut w = Writer::new(1);
    w.int(6).int(req_id).int(tick_type).float(price);
    match size {
        Some(size) => w.decimal(size),
        None => w.str(""),
    };
    w.int(attr_mask);
    w
}

/// `2,6,reqId,tickType,size`.
pub fn tick_size(req_id: i32, tick_type: i32, size: f64) -> Writer {
    let mut w = Writer::new(2);
    w.int(6).int(req_id).int(tick_type).decimal(size);
    w
}

/// `46,6,reqId,tickType,value`.
pub fn tick_string(req_id: i32, tick_type: i32, value: &str) -> Writer {
    let mut w = Writer::new(46);
    w.int(6).int(req_id).int(tick_type).str(value);
    w
}
