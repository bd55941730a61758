//! The text dialect (server versions 176–178): what `ib_async` 2.1 and `ib_insync` speak.
//!
//! A frame is `[u32 BE length]` + NUL-terminated ASCII fields, the first being the message id;
//! most messages then carry an obsolete version field. Layouts follow IB's decoders at these
//! versions (`faProfile` below 177, `pendingPriceRevision` from 178). One file per family,
//! like `proto/`; the engine behind both is the same.

mod account;
mod bars;
mod connection;
mod contracts;
mod executions;
mod market_data;
mod orders;
mod wire;

use std::collections::HashMap;

use bytes::BytesMut;

use self::wire::{Reader, Writer};
use crate::messages::{DecodeError, HistoricalBarView, Request, Response};
use crate::proto::request_ids as id;

/// Lowest text version served.
pub const MIN_VERSION: i32 = 176;
/// Highest text version served.
pub const MAX_VERSION: i32 = 178;

/// Decodes one client frame body (length prefix removed) at the negotiated `version`.
pub fn decode_request(body: &[u8], version: i32) -> Result<(i32, Request), DecodeError> {
    let mut r = Reader::new(body)?;
    let msg_id = r.int("message id")?;
    let request = match msg_id {
        id::START_API => connection::decode_start_api(&mut r)?,
        id::REQ_CURRENT_TIME => Request::CurrentTime,
        id::REQ_IDS => Request::Ids,
        id::REQ_MANAGED_ACCTS => Request::ManagedAccounts,
        id::PLACE_ORDER => orders::decode_place_order(&mut r, version)?,
        id::CANCEL_ORDER => orders::decode_cancel_order(&mut r)?,
        id::REQ_GLOBAL_CANCEL => Request::GlobalCancel,
        id::REQ_OPEN_ORDERS => Request::OpenOrders,
        id::REQ_ALL_OPEN_ORDERS => Request::AllOpenOrders,
        id::REQ_AUTO_OPEN_ORDERS => orders::decode_auto_open_orders(&mut r)?,
        id::REQ_COMPLETED_ORDERS => orders::decode_completed_orders(&mut r)?,
        id::REQ_EXECUTIONS => executions::decode_request(&mut r)?,
        id::REQ_POSITIONS => Request::Positions,
        id::CANCEL_POSITIONS => Request::CancelPositions,
        id::REQ_ACCOUNT_SUMMARY => account::decode_summary_request(&mut r)?,
        id::CANCEL_ACCOUNT_SUMMARY => account::decode_cancel_summary(&mut r)?,
        id::REQ_ACCT_DATA => account::decode_account_updates(&mut r)?,
        id::REQ_ACCOUNT_UPDATES_MULTI => account::decode_updates_multi(&mut r)?,
        id::CANCEL_ACCOUNT_UPDATES_MULTI => account::decode_cancel_updates_multi(&mut r)?,
        id::REQ_PNL => account::decode_pnl_request(&mut r)?,
        id::CANCEL_PNL => account::decode_cancel_pnl(&mut r)?,
        id::REQ_CONTRACT_DATA => contracts::decode_request(&mut r)?,
        id::REQ_MKT_DATA => market_data::decode_request(&mut r)?,
        id::CANCEL_MKT_DATA => market_data::decode_cancel(&mut r)?,
        id::REQ_MARKET_DATA_TYPE => market_data::decode_data_type(&mut r)?,
        id::REQ_REAL_TIME_BARS => bars::decode_real_time_request(&mut r)?,
        id::CANCEL_REAL_TIME_BARS => bars::decode_real_time_cancel(&mut r)?,
        id::REQ_HISTORICAL_DATA => bars::decode_historical_request(&mut r)?,
        id::CANCEL_HISTORICAL_DATA => bars::decode_historical_cancel(&mut r)?,
        other => {
            // Most text requests carry a version field, then the request id.
            r.skip(1);
            Request::Unknown {
                msg_id: other,
                req_id: r.int("reqId").ok().filter(|id| *id != 0),
            }
        }
    };
    Ok((msg_id, request))
}

/// Encodes responses for one text connection. Stateful: below version 196 a historical
/// answer is a single message, so bars wait here for their end marker.
#[derive(Debug)]
pub struct TextEncoder {
    version: i32,
    pending_history: HashMap<i32, Vec<HistoricalBarView>>,
}

impl TextEncoder {
    /// An encoder for a negotiated version in `MIN_VERSION..=MAX_VERSION`.
    pub fn new(version: i32) -> Self {
        Self {
            version,
            pending_history: HashMap::new(),
        }
    }

    /// Appends the frame(s) for one response to `out` (none while history is pending).
    pub fn encode(&mut self, response: &Response, out: &mut BytesMut) {
        if let Some(w) = self.writer(response) {
            w.finish(out);
        }
    }

    fn writer(&mut self, response: &Response) -> Option<Writer> {
        let v = self.version;
        let w = match response {
            Response::ManagedAccounts(list) => connection::managed_accounts(list),
            Response::NextValidId(order_id) => connection::next_valid_id(*order_id),
            Response::Error(notice) => connection::error(notice),
            Response::CurrentTime(secs) => connection::current_time(*secs),
            Response::CurrentTimeMillis(ms) => connection::current_time_millis(*ms),
            Response::OpenOrder(order) => orders::open_order(order, v),
            Response::OrderStatus(status) => orders::order_status(status),
            Response::OpenOrderEnd => versioned(53),
            Response::CompletedOrder(order) => orders::completed_order(order, v),
            Response::CompletedOrdersEnd => Writer::new(102),
            Response::ExecDetails {
                req_id,
                contract,
                execution,
            } => executions::details(*req_id, contract, execution, v),
            Response::ExecDetailsEnd(req_id) => versioned_id(55, *req_id),
            Response::CommissionReport(report) => executions::commission(report),
            Response::Position {
                account,
                contract,
                position,
                avg_cost,
            } => account::position(account, contract, *position, *avg_cost),
            Response::PositionEnd => versioned(62),
            Response::AccountSummary {
                req_id,
                account,
                tag,
                value,
                currency,
            } => account::summary(*req_id, account, tag, value, currency),
            Response::AccountSummaryEnd(req_id) => versioned_id(64, *req_id),
            Response::AccountValue(value) => account::value(value),
            Response::PortfolioValue(row) => account::portfolio(row),
            Response::AccountTime(stamp) => account::update_time(stamp),
            Response::AccountDownloadEnd(name) => account::download_end(name),
            Response::AccountUpdateMulti { req_id, value } => account::update_multi(*req_id, value),
            Response::AccountUpdateMultiEnd(req_id) => versioned_id(74, *req_id),
            Response::Pnl { req_id, pnl } => account::pnl(*req_id, pnl),
            Response::ContractData { req_id, details } => {
                contracts::contract_data(*req_id, details)
            }
            Response::ContractDataEnd(req_id) => versioned_id(52, *req_id),
            Response::MarketDataType { req_id, data_type } => {
                market_data::data_type(*req_id, *data_type)
            }
            Response::TickReqParams {
                req_id,
                min_tick,
                bbo_exchange,
                snapshot_permissions,
            } => market_data::req_params(*req_id, min_tick, bbo_exchange, *snapshot_permissions),
            Response::TickPrice {
                req_id,
                tick_type,
                price,
                size,
                attr_mask,
            } => market_data::tick_price(*req_id, *tick_type, *price, *size, *attr_mask),
            Response::TickSize {
                req_id,
                tick_type,
                size,
            } => market_data::tick_size(*req_id, *tick_type, *size),
            Response::TickString {
                req_id,
                tick_type,
                value,
            } => market_data::tick_string(*req_id, *tick_type, value),
            Response::TickSnapshotEnd(req_id) => versioned_id(57, *req_id),
            Response::RealTimeBar { req_id, bar } => bars::real_time_bar(*req_id, bar),
            Response::HistoricalData { req_id, bars: rows } => {
                self.pending_history
                    .entry(*req_id)
                    .or_default()
                    .extend(rows.iter().cloned());
                return None;
            }
            Response::HistoricalDataEnd { req_id, start, end } => {
                let rows = self.pending_history.remove(req_id).unwrap_or_default();
                bars::historical_data(*req_id, start, end, &rows)
            }
            Response::HistoricalDataUpdate { req_id, bar } => bars::historical_update(*req_id, bar),
        };
        Some(w)
    }
}

/// `<id>,1`.
fn versioned(msg_id: i32) -> Writer {
    let mut w = Writer::new(msg_id);
    w.int(1);
    w
}

/// `<id>,1,<reqId>`.
fn versioned_id(msg_id: i32, req_id: i32) -> Writer {
    let mut w = versioned(msg_id);
    w.int(req_id);
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{BarView, ErrorNotice, OrderView};

    fn fields(response: &Response, version: i32) -> Vec<String> {
        let mut out = BytesMut::new();
        TextEncoder::new(version).encode(response, &mut out);
        let len = u32::from_be_bytes(out[..4].try_into().expect("length")) as usize;
        assert_eq!(len, out.len() - 4);
        let text = std::str::from_utf8(&out[4..]).expect("ascii");
        text.strip_suffix('\0')
            .expect("NUL-terminated")
            .split('\0')
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn greeting_and_errors_as_ib_async_reads_them() {
        assert_eq!(fields(&Response::NextValidId(7), 178), ["9", "1", "7"]);
        assert_eq!(
            fields(&Response::ManagedAccounts("DU1".into()), 178),
            ["15", "1", "DU1"]
        );
        let error = Response::Error(ErrorNotice {
            id: -1,
            code: 2104,
            message: "ok".into(),
            time_ms: 5,
        });
        assert_eq!(fields(&error, 178), ["4", "2", "-1", "2104", "ok", ""]);
    }

    #[test]
    fn decodes_what_ib_async_sends() {
        let start = b"71\x002\x0021\x00\x00";
        assert_eq!(
            decode_request(start, MAX_VERSION),
            Ok((71, Request::StartApi { client_id: 21 }))
        );
        let positions = b"61\x001\x00";
        assert_eq!(
            decode_request(positions, MAX_VERSION),
            Ok((61, Request::Positions))
        );
        let completed = b"99\x000\x00";
        assert_eq!(
            decode_request(completed, MAX_VERSION),
            Ok((99, Request::CompletedOrders { api_only: false }))
        );
        let unknown = b"85\x001\x0042\x00";
        assert_eq!(
            decode_request(unknown, MAX_VERSION),
            Ok((
                85,
                Request::Unknown {
                    msg_id: 85,
                    req_id: Some(42)
                }
            ))
        );
        assert!(decode_request(b"x\x00", MAX_VERSION).is_err());
    }

    #[test]
    fn pnl_as_ib_clients_send_and_read_it() {
        assert_eq!(
            decode_request(b"92\x007\x00DU1\x00\x00", MAX_VERSION),
            Ok((
                92,
                Request::Pnl {
                    req_id: 7,
                    account: "DU1".into(),
                    model_code: String::new()
                }
            ))
        );
        assert_eq!(
            decode_request(b"93\x007\x00", MAX_VERSION),
            Ok((93, Request::CancelPnl { req_id: 7 }))
        );
        let pnl = crate::messages::PnlView {
            daily: -201.5,
            unrealized: -200.0,
            realized: 0.0,
        };
        assert_eq!(
            fields(&Response::Pnl { req_id: 7, pnl }, 178),
            ["94", "7", "-201.5", "-200", "0"]
        );
    }

    #[test]
    fn positions_of_a_stock_and_an_option_as_ib_async_reads_them() {
        let stock = Response::Position {
            account: "DU1".into(),
            contract: crate::messages::ContractFields {
                con_id: 265598,
                symbol: "AAPL".into(),
                sec_type: "STK".into(),
                exchange: "NASDAQ".into(),
                currency: "USD".into(),
                local_symbol: "AAPL".into(),
                trading_class: "NMS".into(),
                ..Default::default()
            },
            position: 5.0,
            avg_cost: 190.0,
        };
        assert_eq!(
            fields(&stock, 178),
            [
                "61", "3", "DU1", "265598", "AAPL", "STK", "", "0", "", "", "NASDAQ", "USD",
                "AAPL", "NMS", "5", "190"
            ]
        );
        let option = Response::Position {
            account: "DU1".into(),
            contract: crate::messages::ContractFields {
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
            },
            position: -2.0,
            avg_cost: 350.0,
        };
        assert_eq!(
            fields(&option, 178),
            [
                "61",
                "3",
                "DU1",
                "712345678",
                "AAPL",
                "OPT",
                "20250117",
                "200",
                "C",
                "100",
                "CBOE",
                "USD",
                "AAPL  250117C00200000",
                "AAPL",
                "-2",
                "350"
            ]
        );
    }

    /// A placeOrder body: `head` after the message id, then `tail` after outsideRth.
    fn place_order_body(head: &[&str], tail: &[(usize, &str)]) -> String {
        let mut body = String::from("3\x005\x00");
        let contract = [
            "0", "AAPL", "STK", "", "0.0", "", "", "SMART", "", "USD", "", "",
        ];
        for f in contract.iter().chain(head) {
            body.push_str(f);
            body.push('\0');
        }
        // Everything IB's client sends after outsideRth for a stock order: 81 fields at 178,
        // empty unless `tail` sets one (by its position after outsideRth).
        for i in 0..81 {
            body.push_str(tail.iter().find(|(at, _)| *at == i).map_or("", |(_, f)| f));
            body.push('\0');
        }
        body
    }

    #[test]
    fn place_order_fields() {
        let head = [
            "", "", "BUY", "100", "LMT", "185.5", "", "GTC", "", "DU1", "", "0", "ref-1", "1", "0",
            "0", "0", "0", "0", "1",
        ];
        let body = place_order_body(&head, &[]);
        let (_, Request::PlaceOrder(p)) =
            decode_request(body.as_bytes(), MAX_VERSION).expect("decodes")
        else {
            panic!("placeOrder")
        };
        assert_eq!(
            (p.order_id, p.contract.symbol.as_str(), p.action.as_str()),
            (5, "AAPL", "BUY")
        );
        assert_eq!(
            (p.total_quantity, p.order_type.as_str(), p.limit_price),
            (100.0, "LMT", Some(185.5))
        );
        assert_eq!(
            (p.tif.as_str(), p.account.as_str(), p.order_ref.as_str()),
            ("GTC", "DU1", "ref-1")
        );
        assert!(p.transmit && p.outside_rth);
        assert_eq!((p.aux_price, p.parent_id, p.oca_type), (None, 0, 0));
    }

    #[test]
    fn place_order_protective_fields() {
        let head = [
            "",
            "",
            "SELL",
            "100",
            "TRAIL LIMIT",
            "",
            "1.5",
            "DAY",
            "grp",
            "DU1",
            "",
            "0",
            "",
            "0",
            "7",
            "0",
            "0",
            "0",
            "0",
            "0",
        ];
        // After outsideRth, as IB's client 10.51 lays them out at 178: ocaType at 12,
        // trailStopPrice at 34, trailingPercent at 35, lmtPriceOffset at 58.
        let tail = [(12, "3"), (34, "180.25"), (35, ""), (58, "0.1")];
        let body = place_order_body(&head, &tail);
        let (_, Request::PlaceOrder(p)) =
            decode_request(body.as_bytes(), MAX_VERSION).expect("decodes")
        else {
            panic!("placeOrder")
        };
        assert_eq!(p.order_type, "TRAIL LIMIT");
        assert_eq!((p.limit_price, p.aux_price), (None, Some(1.5)));
        assert_eq!((p.oca_group.as_str(), p.oca_type), ("grp", 3));
        assert_eq!((p.parent_id, p.transmit), (7, false));
        assert_eq!(
            (p.trail_stop_price, p.trailing_percent),
            (Some(180.25), None)
        );
        assert_eq!(p.lmt_price_offset, Some(0.1));
    }

    #[test]
    fn open_order_has_the_length_ib_async_unpacks() {
        let order = OrderView {
            order_id: 1,
            client_id: 21,
            perm_id: 1_000_000_001,
            contract: Default::default(),
            action: "BUY".into(),
            total_quantity: 100.0,
            filled_quantity: 0.0,
            order_type: "MKT".into(),
            limit_price: None,
            aux_price: None,
            trail_stop_price: None,
            trailing_percent: None,
            lmt_price_offset: None,
            parent_id: 0,
            oca_group: String::new(),
            oca_type: 0,
            transmit: true,
            tif: "DAY".into(),
            account: "DU1".into(),
            order_ref: "r".into(),
            outside_rth: false,
            status: "PreSubmitted".into(),
            commission: None,
            commission_currency: "USD".into(),
            reject_reason: String::new(),
            completed_time: String::new(),
            completed_status: String::new(),
        };
        let f = fields(&Response::OpenOrder(order.clone()), 178);
        // 1 id + 1 orderId + 11 contract + 17 head + 4 + 29 + 7 + 3 + 3 + 1 + 5 + 1 + 19 + 1 + 16 + 3 + 5.
        assert_eq!(f.len(), 127);
        assert_eq!((f[24].as_str(), f[25].as_str()), ("21", "1000000001"));
        assert_eq!(f[85], "PreSubmitted");
        assert_eq!(
            fields(&Response::OpenOrder(order.clone()), 176).len(),
            128,
            "faProfile below 177"
        );
        let completed = fields(&Response::CompletedOrder(order), 178);
        // 1 + 11 + 16 head + 3 + 23 + 5 + 3 + 3 + 1 + 4 + 1 + 4 + 1 + 15 + 5.
        assert_eq!(completed.len(), 96);
    }

    #[test]
    fn history_is_one_message_with_start_and_end() {
        let mut encoder = TextEncoder::new(178);
        let mut out = BytesMut::new();
        let bar = BarView {
            time: 0,
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            volume: 10.0,
            wap: 1.25,
            count: 3,
        };
        let rows = vec![HistoricalBarView {
            date: "1736173800".into(),
            bar,
        }];
        encoder.encode(
            &Response::HistoricalData {
                req_id: 4,
                bars: rows,
            },
            &mut out,
        );
        assert!(out.is_empty(), "bars wait for their end");
        encoder.encode(
            &Response::HistoricalDataEnd {
                req_id: 4,
                start: "s".into(),
                end: "e".into(),
            },
            &mut out,
        );
        let text = std::str::from_utf8(&out[4..]).expect("ascii");
        assert_eq!(
            text,
            "17\x004\x00s\x00e\x001\x001736173800\x001\x002\x000.5\x001.5\x0010\x001.25\x003\x00"
        );
    }
}
