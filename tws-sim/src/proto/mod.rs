//! The protobuf dialect (server version 213–226): what `ibapi` 5.5 and IB's own client 10.51
//! speak.
//!
//! A frame is `[u32 BE length][i32 BE id][payload]`. An id above 200 carries a protobuf
//! message for id − 200; at these versions every message of our operations does, in both
//! directions. The structs are hand-written with `prost` from the field tags in
//! `tws-proto-fields.txt` (IB's `.proto` files are not copied); one file per message family.

mod account;
mod bars;
mod common;
mod connection;
mod contracts;
mod executions;
mod market_data;
mod orders;

use bytes::{BufMut, BytesMut};
use prost::Message;

use crate::messages::{Request, Response};

/// Frame ids above this carry protobuf for id − 200.
pub const PROTOBUF_MSG_ID: i32 = 200;

/// Message ids a client sends (IB's `OutgoingMessages`).
pub mod request_ids {
    #![allow(missing_docs, reason = "the names are IB's message names")]
    pub const REQ_MKT_DATA: i32 = 1;
    pub const CANCEL_MKT_DATA: i32 = 2;
    pub const PLACE_ORDER: i32 = 3;
    pub const CANCEL_ORDER: i32 = 4;
    pub const REQ_OPEN_ORDERS: i32 = 5;
    pub const REQ_ACCT_DATA: i32 = 6;
    pub const REQ_EXECUTIONS: i32 = 7;
    pub const REQ_IDS: i32 = 8;
    pub const REQ_CONTRACT_DATA: i32 = 9;
    pub const REQ_AUTO_OPEN_ORDERS: i32 = 15;
    pub const REQ_ALL_OPEN_ORDERS: i32 = 16;
    pub const REQ_MANAGED_ACCTS: i32 = 17;
    pub const REQ_HISTORICAL_DATA: i32 = 20;
    pub const CANCEL_HISTORICAL_DATA: i32 = 25;
    pub const REQ_CURRENT_TIME: i32 = 49;
    pub const REQ_REAL_TIME_BARS: i32 = 50;
    pub const CANCEL_REAL_TIME_BARS: i32 = 51;
    pub const REQ_GLOBAL_CANCEL: i32 = 58;
    pub const REQ_MARKET_DATA_TYPE: i32 = 59;
    pub const REQ_POSITIONS: i32 = 61;
    pub const REQ_ACCOUNT_SUMMARY: i32 = 62;
    pub const CANCEL_ACCOUNT_SUMMARY: i32 = 63;
    pub const CANCEL_POSITIONS: i32 = 64;
    pub const START_API: i32 = 71;
    pub const REQ_ACCOUNT_UPDATES_MULTI: i32 = 76;
    pub const CANCEL_ACCOUNT_UPDATES_MULTI: i32 = 77;
    pub const REQ_PNL: i32 = 92;
    pub const CANCEL_PNL: i32 = 93;
    pub const REQ_COMPLETED_ORDERS: i32 = 99;
    pub const REQ_CURRENT_TIME_IN_MILLIS: i32 = 105;
    pub const CANCEL_CONTRACT_DATA: i32 = 106;
}

/// Message ids the server sends (IB's `IncomingMessages`).
pub mod response_ids {
    #![allow(missing_docs, reason = "the names are IB's message names")]
    pub const TICK_PRICE: i32 = 1;
    pub const TICK_SIZE: i32 = 2;
    pub const ORDER_STATUS: i32 = 3;
    pub const ERROR: i32 = 4;
    pub const OPEN_ORDER: i32 = 5;
    pub const ACCOUNT_VALUE: i32 = 6;
    pub const PORTFOLIO_VALUE: i32 = 7;
    pub const ACCOUNT_UPDATE_TIME: i32 = 8;
    pub const NEXT_VALID_ID: i32 = 9;
    pub const CONTRACT_DATA: i32 = 10;
    pub const EXECUTION_DATA: i32 = 11;
    pub const MANAGED_ACCOUNTS: i32 = 15;
    pub const HISTORICAL_DATA: i32 = 17;
    pub const TICK_STRING: i32 = 46;
    pub const CURRENT_TIME: i32 = 49;
    pub const REAL_TIME_BARS: i32 = 50;
    pub const CONTRACT_DATA_END: i32 = 52;
    pub const OPEN_ORDER_END: i32 = 53;
    pub const ACCOUNT_DOWNLOAD_END: i32 = 54;
    pub const EXECUTION_DATA_END: i32 = 55;
    pub const TICK_SNAPSHOT_END: i32 = 57;
    pub const MARKET_DATA_TYPE: i32 = 58;
    pub const COMMISSION_REPORT: i32 = 59;
    pub const POSITION: i32 = 61;
    pub const POSITION_END: i32 = 62;
    pub const ACCOUNT_SUMMARY: i32 = 63;
    pub const ACCOUNT_SUMMARY_END: i32 = 64;
    pub const ACCOUNT_UPDATE_MULTI: i32 = 73;
    pub const ACCOUNT_UPDATE_MULTI_END: i32 = 74;
    pub const TICK_REQ_PARAMS: i32 = 81;
    pub const HISTORICAL_DATA_UPDATE: i32 = 90;
    pub const PNL: i32 = 94;
    pub const COMPLETED_ORDER: i32 = 101;
    pub const COMPLETED_ORDERS_END: i32 = 102;
    pub const HISTORICAL_DATA_END: i32 = 108;
    pub const CURRENT_TIME_IN_MILLIS: i32 = 109;
}

pub use crate::messages::DecodeError;

impl From<prost::DecodeError> for DecodeError {
    fn from(e: prost::DecodeError) -> Self {
        DecodeError(e.to_string())
    }
}

/// Decodes one client frame body (`[i32 id][payload]`, length prefix already removed).
///
/// An id the simulator does not implement becomes [`Request::Unknown`]; a text-framed id
/// (≤ 200) is also `Unknown`, since at these versions clients send our operations as protobuf.
pub fn decode_request(body: &[u8]) -> Result<(i32, Request), DecodeError> {
    let Some((id_bytes, payload)) = body.split_first_chunk::<4>() else {
        return Err(DecodeError(format!(
            "frame of {} bytes has no message id",
            body.len()
        )));
    };
    let raw_id = i32::from_be_bytes(*id_bytes);
    if raw_id <= PROTOBUF_MSG_ID {
        return Ok((
            raw_id,
            Request::Unknown {
                msg_id: raw_id,
                req_id: None,
            },
        ));
    }
    let msg_id = raw_id - PROTOBUF_MSG_ID;
    use request_ids as id;
    let request = match msg_id {
        id::START_API => connection::decode_start_api(payload)?,
        id::REQ_CURRENT_TIME => Request::CurrentTime,
        id::REQ_CURRENT_TIME_IN_MILLIS => Request::CurrentTimeMillis,
        id::REQ_IDS => Request::Ids,
        id::REQ_MANAGED_ACCTS => Request::ManagedAccounts,
        id::PLACE_ORDER => orders::decode_place_order(payload)?,
        id::CANCEL_ORDER => orders::decode_cancel_order(payload)?,
        id::REQ_GLOBAL_CANCEL => Request::GlobalCancel,
        id::REQ_OPEN_ORDERS => Request::OpenOrders,
        id::REQ_ALL_OPEN_ORDERS => Request::AllOpenOrders,
        id::REQ_AUTO_OPEN_ORDERS => orders::decode_auto_open_orders(payload)?,
        id::REQ_COMPLETED_ORDERS => orders::decode_completed_orders(payload)?,
        id::REQ_EXECUTIONS => executions::decode_request(payload)?,
        id::REQ_POSITIONS => Request::Positions,
        id::CANCEL_POSITIONS => Request::CancelPositions,
        id::REQ_ACCOUNT_SUMMARY => account::decode_summary_request(payload)?,
        id::CANCEL_ACCOUNT_SUMMARY => account::decode_cancel_summary(payload)?,
        id::REQ_ACCT_DATA => account::decode_account_updates(payload)?,
        id::REQ_ACCOUNT_UPDATES_MULTI => account::decode_updates_multi(payload)?,
        id::CANCEL_ACCOUNT_UPDATES_MULTI => account::decode_cancel_updates_multi(payload)?,
        id::REQ_PNL => account::decode_pnl_request(payload)?,
        id::CANCEL_PNL => account::decode_cancel_pnl(payload)?,
        id::REQ_CONTRACT_DATA => contracts::decode_request(payload)?,
        id::CANCEL_CONTRACT_DATA => contracts::decode_cancel(payload)?,
        id::REQ_MKT_DATA => market_data::decode_request(payload)?,
        id::CANCEL_MKT_DATA => market_data::decode_cancel(payload)?,
        id::REQ_MARKET_DATA_TYPE => market_data::decode_data_type(payload)?,
        id::REQ_REAL_TIME_BARS => bars::decode_real_time_request(payload)?,
        id::CANCEL_REAL_TIME_BARS => bars::decode_real_time_cancel(payload)?,
        id::REQ_HISTORICAL_DATA => bars::decode_historical_request(payload)?,
        id::CANCEL_HISTORICAL_DATA => bars::decode_historical_cancel(payload)?,
        other => Request::Unknown {
            msg_id: other,
            req_id: common::leading_req_id(payload),
        },
    };
    Ok((msg_id, request))
}

/// Appends one response as a complete frame (length prefix included) to `out`.
pub fn encode_response(response: &Response, out: &mut BytesMut) {
    use response_ids as id;
    match response {
        Response::ManagedAccounts(list) => put(
            out,
            id::MANAGED_ACCOUNTS,
            &connection::managed_accounts(list),
        ),
        Response::NextValidId(order_id) => put(
            out,
            id::NEXT_VALID_ID,
            &connection::next_valid_id(*order_id),
        ),
        Response::Error(notice) => put(out, id::ERROR, &connection::error(notice)),
        Response::CurrentTime(secs) => put(out, id::CURRENT_TIME, &connection::current_time(*secs)),
        Response::CurrentTimeMillis(ms) => put(
            out,
            id::CURRENT_TIME_IN_MILLIS,
            &connection::current_time_millis(*ms),
        ),
        Response::OpenOrder(order) => put(out, id::OPEN_ORDER, &orders::open_order(order)),
        Response::OrderStatus(status) => put(out, id::ORDER_STATUS, &orders::order_status(status)),
        Response::OpenOrderEnd => put(out, id::OPEN_ORDER_END, &common::Empty {}),
        Response::CompletedOrder(order) => {
            put(out, id::COMPLETED_ORDER, &orders::completed_order(order))
        }
        Response::CompletedOrdersEnd => put(out, id::COMPLETED_ORDERS_END, &common::Empty {}),
        Response::ExecDetails {
            req_id,
            contract,
            execution,
        } => put(
            out,
            id::EXECUTION_DATA,
            &executions::details(*req_id, contract, execution),
        ),
        Response::ExecDetailsEnd(req_id) => put(
            out,
            id::EXECUTION_DATA_END,
            &common::ReqIdOnly::new(*req_id),
        ),
        Response::CommissionReport(report) => {
            put(out, id::COMMISSION_REPORT, &executions::commission(report))
        }
        Response::Position {
            account,
            contract,
            position,
            avg_cost,
        } => put(
            out,
            id::POSITION,
            &account::position(account, contract, *position, *avg_cost),
        ),
        Response::PositionEnd => put(out, id::POSITION_END, &common::Empty {}),
        Response::AccountSummary {
            req_id,
            account,
            tag,
            value,
            currency,
        } => put(
            out,
            id::ACCOUNT_SUMMARY,
            &account::summary(*req_id, account, tag, value, currency),
        ),
        Response::AccountSummaryEnd(req_id) => put(
            out,
            id::ACCOUNT_SUMMARY_END,
            &common::ReqIdOnly::new(*req_id),
        ),
        Response::AccountValue(value) => put(out, id::ACCOUNT_VALUE, &account::value(value)),
        Response::PortfolioValue(row) => put(out, id::PORTFOLIO_VALUE, &account::portfolio(row)),
        Response::AccountTime(stamp) => {
            put(out, id::ACCOUNT_UPDATE_TIME, &account::update_time(stamp))
        }
        Response::AccountDownloadEnd(name) => {
            put(out, id::ACCOUNT_DOWNLOAD_END, &account::download_end(name))
        }
        Response::AccountUpdateMulti { req_id, value } => put(
            out,
            id::ACCOUNT_UPDATE_MULTI,
            &account::update_multi(*req_id, value),
        ),
        Response::AccountUpdateMultiEnd(req_id) => put(
            out,
            id::ACCOUNT_UPDATE_MULTI_END,
            &common::ReqIdOnly::new(*req_id),
        ),
        Response::Pnl { req_id, pnl } => put(out, id::PNL, &account::pnl(*req_id, pnl)),
        Response::ContractData { req_id, details } => put(
            out,
            id::CONTRACT_DATA,
            &contracts::contract_data(*req_id, details),
        ),
        Response::ContractDataEnd(req_id) => {
            put(out, id::CONTRACT_DATA_END, &common::ReqIdOnly::new(*req_id))
        }
        Response::MarketDataType { req_id, data_type } => put(
            out,
            id::MARKET_DATA_TYPE,
            &market_data::data_type(*req_id, *data_type),
        ),
        Response::TickReqParams {
            req_id,
            min_tick,
            bbo_exchange,
            snapshot_permissions,
        } => put(
            out,
            id::TICK_REQ_PARAMS,
            &market_data::req_params(*req_id, min_tick, bbo_exchange, *snapshot_permissions),
        ),
        Response::TickPrice {
            req_id,
            tick_type,
            price,
            size,
            attr_mask,
        } => put(
            out,
            id::TICK_PRICE,
            &market_data::tick_price(*req_id, *tick_type, *price, *size, *attr_mask),
        ),
        Response::TickSize {
            req_id,
            tick_type,
            size,
        } => put(
            out,
            id::TICK_SIZE,
            &market_data::tick_size(*req_id, *tick_type, *size),
        ),
        Response::TickString {
            req_id,
            tick_type,
            value,
        } => put(
            out,
            id::TICK_STRING,
            &market_data::tick_string(*req_id, *tick_type, value),
        ),
        Response::TickSnapshotEnd(req_id) => {
            put(out, id::TICK_SNAPSHOT_END, &common::ReqIdOnly::new(*req_id))
        }
        Response::RealTimeBar { req_id, bar } => {
            put(out, id::REAL_TIME_BARS, &bars::real_time_bar(*req_id, bar))
        }
        Response::HistoricalData { req_id, bars: rows } => put(
            out,
            id::HISTORICAL_DATA,
            &bars::historical_data(*req_id, rows),
        ),
        Response::HistoricalDataEnd { req_id, start, end } => put(
            out,
            id::HISTORICAL_DATA_END,
            &bars::historical_end(*req_id, start, end),
        ),
        Response::HistoricalDataUpdate { req_id, bar } => put(
            out,
            id::HISTORICAL_DATA_UPDATE,
            &bars::historical_update(*req_id, bar),
        ),
    }
}

/// Writes `[len][id + 200][message]`.
fn put<M: Message>(out: &mut BytesMut, msg_id: i32, message: &M) {
    let body_len = 4 + message.encoded_len();
    out.reserve(4 + body_len);
    // Frames are far below u32::MAX: the largest is a historical answer of a few thousand bars.
    out.put_u32(body_len as u32);
    out.put_i32(msg_id + PROTOBUF_MSG_ID);
    message
        .encode(out)
        .expect("BytesMut grows on demand, so encoding cannot run out of room");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::ErrorNotice;

    fn frame(response: &Response) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_response(response, &mut out);
        out.to_vec()
    }

    // Golden frames from the reference (generated there with IB's own _pb2 classes).
    #[test]
    fn next_valid_id_golden_frame() {
        assert_eq!(
            frame(&Response::NextValidId(1)),
            [0, 0, 0, 6, 0, 0, 0, 0xd1, 0x08, 0x01]
        );
    }

    #[test]
    fn managed_accounts_golden_frame() {
        let mut expected = vec![0, 0, 0, 0x0f, 0, 0, 0, 0xd7, 0x0a, 0x09];
        expected.extend_from_slice(b"DU1234567");
        assert_eq!(
            frame(&Response::ManagedAccounts("DU1234567".into())),
            expected
        );
    }

    #[test]
    fn current_time_golden_frame() {
        assert_eq!(
            frame(&Response::CurrentTime(1_700_000_000)),
            [
                0, 0, 0, 0x0a, 0, 0, 0, 0xf9, 0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06
            ]
        );
    }

    #[test]
    fn error_with_negative_id_uses_ten_byte_varint() {
        let bytes = frame(&Response::Error(ErrorNotice {
            id: -1,
            code: 2104,
            message: "Market data farm connection is OK:usfarm".into(),
            time_ms: 0,
        }));
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0xcc]);
        assert_eq!(
            &bytes[8..19],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ]
        );
    }

    #[test]
    fn current_time_request_and_unknown_ids() {
        assert_eq!(
            decode_request(&[0, 0, 0, 0xf9]),
            Ok((49, Request::CurrentTime))
        );
        // 9999 + 200 with a reqId of 7 in field 1.
        let body = [&(10199i32).to_be_bytes()[..], &[0x08, 0x07]].concat();
        assert_eq!(
            decode_request(&body),
            Ok((
                9999,
                Request::Unknown {
                    msg_id: 9999,
                    req_id: Some(7)
                }
            ))
        );
        // Text-framed id at a protobuf version.
        assert_eq!(
            decode_request(&[0, 0, 0, 49]),
            Ok((
                49,
                Request::Unknown {
                    msg_id: 49,
                    req_id: None
                }
            ))
        );
        assert!(decode_request(&[0, 0]).is_err());
    }

    #[test]
    fn an_option_position_carries_what_tells_it_from_the_stock() {
        let contract = crate::messages::ContractFields {
            con_id: 712345678,
            symbol: "AAPL".into(),
            sec_type: "OPT".into(),
            last_trade_date_or_contract_month: "20250117".into(),
            strike: 200.0,
            right: "C".into(),
            multiplier: "100".into(),
            exchange: "CBOE".into(),
            currency: "USD".into(),
            local_symbol: "AAPL  250117C00200000".into(),
            trading_class: "AAPL".into(),
            ..Default::default()
        };
        let bytes = frame(&Response::Position {
            account: "DU1".into(),
            contract,
            position: -2.0,
            avg_cost: 350.0,
        });
        assert_eq!(&bytes[4..8], &(200 + 61i32).to_be_bytes());
        let position = account::Position::decode(&bytes[8..]).expect("a Position");
        let c = position.contract.expect("a contract");
        assert_eq!(
            (c.con_id, c.sec_type.as_deref(), c.symbol.as_deref()),
            (Some(712345678), Some("OPT"), Some("AAPL"))
        );
        assert_eq!(
            (
                c.last_trade_date_or_contract_month.as_deref(),
                c.strike,
                c.right.as_deref(),
                c.multiplier
            ),
            (Some("20250117"), Some(200.0), Some("C"), Some(100.0))
        );
        assert_eq!(
            (c.exchange.as_deref(), c.local_symbol.as_deref()),
            (Some("CBOE"), Some("AAPL  250117C00200000"))
        );
        assert_eq!(position.position.as_deref(), Some("-2"));

        // A stock's contract leaves the option fields absent, as before.
        let stock = frame(&Response::Position {
            account: "DU1".into(),
            contract: crate::messages::ContractFields {
                con_id: 265598,
                symbol: "AAPL".into(),
                sec_type: "STK".into(),
                ..Default::default()
            },
            position: 5.0,
            avg_cost: 190.0,
        });
        let c = account::Position::decode(&stock[8..])
            .expect("a Position")
            .contract
            .expect("a contract");
        assert_eq!(
            (
                c.last_trade_date_or_contract_month,
                c.strike,
                c.right,
                c.multiplier
            ),
            (None, None, None, None)
        );
    }

    #[test]
    fn pnl_golden_frame() {
        // IB's PnL_pb2: reqId 7, dailyPnL -201, unrealizedPnL -200, realizedPnL 0.
        let pnl = crate::messages::PnlView {
            daily: -201.0,
            unrealized: -200.0,
            realized: 0.0,
        };
        assert_eq!(
            frame(&Response::Pnl { req_id: 7, pnl }),
            [
                0, 0, 0, 33, 0, 0, 1, 38, 8, 7, 17, 0, 0, 0, 0, 0, 32, 105, 192, 25, 0, 0, 0, 0, 0,
                0, 105, 192, 33, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn pnl_request_and_cancel_as_ib_clients_send_them() {
        // PnLRequest{reqId 7, account DU1234567, modelCode ""} (IB's Python client sets the
        // empty model code; ibapi leaves it out).
        let mut body = (92 + PROTOBUF_MSG_ID).to_be_bytes().to_vec();
        body.extend_from_slice(&[0x08, 7, 0x12, 9]);
        body.extend_from_slice(b"DU1234567");
        body.extend_from_slice(&[0x1a, 0]);
        let request = Request::Pnl {
            req_id: 7,
            account: "DU1234567".into(),
            model_code: String::new(),
        };
        assert_eq!(decode_request(&body), Ok((92, request.clone())));
        body.truncate(body.len() - 2);
        assert_eq!(decode_request(&body), Ok((92, request)));
        let cancel = [&(93 + PROTOBUF_MSG_ID).to_be_bytes()[..], &[0x08, 7]].concat();
        assert_eq!(
            decode_request(&cancel),
            Ok((93, Request::CancelPnl { req_id: 7 }))
        );
    }

    #[test]
    fn start_api_as_captured_from_ibapi() {
        assert_eq!(
            decode_request(&[0, 0, 1, 0x0f, 0x08, 0x07]),
            Ok((71, Request::StartApi { client_id: 7 }))
        );
    }
}
