//! Bars family in text: real-time bars and historical data.
//!
//! Below server version 196 a historical answer is one message carrying the bars and the
//! start/end dates; the engine sends bars and end separately, so the codec joins them.

use super::wire::{Reader, Writer};
use crate::messages::{BarView, DecodeError, HistoricalBarView, HistoricalRequest, Request};

/// `50,3,reqId,contract-12,barSize,whatToShow,useRTH,options`.
pub fn decode_real_time_request(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    let req_id = r.int("reqId")?;
    let contract = r.contract()?;
    r.skip(1); // barSize (always 5)
    Ok(Request::RealTimeBars {
        req_id,
        contract,
        what_to_show: r.str_or_empty().to_string(),
    })
}

/// `51,1,reqId`.
pub fn decode_real_time_cancel(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::CancelRealTimeBars {
        req_id: r.int("reqId")?,
    })
}

/// `20,reqId,contract-12,includeExpired,endDateTime,barSizeSetting,durationStr,useRTH,
/// whatToShow,formatDate,[BAG legs],keepUpToDate,chartOptions` (no version field at ≥ 124).
pub fn decode_historical_request(r: &mut Reader) -> Result<Request, DecodeError> {
    let req_id = r.int("reqId")?;
    let contract = r.contract()?;
    r.skip(1); // includeExpired
    let end_date_time = r.str("endDateTime")?.to_string();
    let bar_size = r.str("barSizeSetting")?.to_string();
    let duration = r.str("durationStr")?.to_string();
    r.skip(1); // useRTH
    let what_to_show = r.str("whatToShow")?.to_string();
    let format_date = r.int("formatDate")?;
    if contract.sec_type.eq_ignore_ascii_case("BAG") {
        let legs = r.int("legs")?;
        r.skip(4 * legs.max(0) as usize);
    }
    let keep_up_to_date = r.bool("keepUpToDate").unwrap_or(false);
    Ok(Request::HistoricalData(HistoricalRequest {
        req_id,
        contract,
        end_date_time,
        bar_size,
        duration,
        what_to_show,
        format_date,
        keep_up_to_date,
    }))
}

/// `25,1,reqId`.
pub fn decode_historical_cancel(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::CancelHistoricalData {
        req_id: r.int("reqId")?,
    })
}

/// `50,3,reqId,time,open,high,low,close,volume,wap,count`.
pub fn real_time_bar(req_id: i32, b: &BarView) -> Writer {
    let mut w = Writer::new(50);
    w.int(3)
        .int(req_id)
        .int(b.time)
        .float(b.open)
        .float(b.high)
        .float(b.low)
        .float(b.close);
    w.decimal(b.volume).float(b.wap).int(b.count);
    w
}

/// `17,reqId,startDateStr,endDateStr,count,{date,open,high,low,close,volume,wap,barCount}*`.
pub fn historical_data(req_id: i32, start: &str, end: &str, rows: &[HistoricalBarView]) -> Writer {
    let mut w = Writer::new(17);
    w.int(req_id).str(start).str(end).int(rows.len() as i64);
    for row in rows {
        let b = &row.bar;
        w.str(&row.date)
            .float(b.open)
            .float(b.high)
            .float(b.low)
            .float(b.close);
        w.decimal(b.volume).float(b.wap).int(b.count);
    }
    w
}

/// `90,reqId,barCount,date,open,close,high,low,wap,volume`.
pub fn historical_update(req_id: i32, row: &HistoricalBarView) -> Writer {
    let b = &row.bar;
    let mut w = Writer::new(90);
    w.int(req_id)
        .int(b.count)
        .str(&row.date)
        .float(b.open)
        .float(b.close)
        .float(b.high)
        .float(b.low);
    w.float(b.wap).decimal(b.volume);
    w
}
