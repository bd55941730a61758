//! Market requests: contract details, ticks, real-time bars, historical bars; and publishing
//! ticks and bars to subscribers as the market moves.

use super::Engine;
use super::clock;
use super::codes;
use super::contracts::{ContractIdx, format_tick};
use super::market::{parse_bar_size, parse_duration};
use super::sessions::{HistoricalSub, MarketDataSub};
use crate::messages::{BarView, ContractFields, HistoricalBarView, HistoricalRequest, Response};

/// Most bars one historical answer may hold (IB refuses oversized requests too).
const MAX_HISTORICAL_BARS: i64 = 10_000;

/// Tick type ids: live, and the delayed equivalents (market data type 3 or 4).
struct TickTypes {
    bid: i32,
    ask: i32,
    last: i32,
    high: i32,
    low: i32,
    volume: i32,
    close: i32,
    last_timestamp: i32,
}

const LIVE: TickTypes = TickTypes {
    bid: 1,
    ask: 2,
    last: 4,
    high: 6,
    low: 7,
    volume: 8,
    close: 9,
    last_timestamp: 45,
};
const DELAYED: TickTypes = TickTypes {
    bid: 66,
    ask: 67,
    last: 68,
    high: 72,
    low: 73,
    volume: 74,
    close: 75,
    last_timestamp: 88,
};

fn tick_types(delayed: bool) -> &'static TickTypes {
    if delayed { &DELAYED } else { &LIVE }
}

impl Engine {
    /// The code the account's live data of `idx` is refused with, if it is (a fault).
    fn no_live_data(&self, idx: ContractIdx) -> Option<i32> {
        let symbol = &self.book.spec(idx).symbol;
        self.faults.no_live_data.get(symbol).copied()
    }

    /// Sends `code` (one that refuses live data) with IB's text for it, on `req_id`.
    fn refuse_live_data(&self, client_id: i32, req_id: i32, code: i32) {
        let text =
            codes::no_live_data_text(code).unwrap_or("Requested market data is not subscribed.");
        self.clients
            .send(client_id, self.notice(req_id, code, text));
    }

    fn no_security(&self, client_id: i32, req_id: i32) {
        let text = "No security definition has been found for the request";
        self.clients.send(
            client_id,
            self.notice(req_id, codes::NO_SECURITY_DEFINITION, text),
        );
    }

    pub(super) fn contract_details(&self, client_id: i32, req_id: i32, query: &ContractFields) {
        let found = self.book.matching(query);
        if found.is_empty() {
            return self.no_security(client_id, req_id);
        }
        for idx in found {
            let details = self.book.details(idx, self.market.get(idx).last, self.now);
            self.clients.send(
                client_id,
                Response::ContractData {
                    req_id,
                    details: Box::new(details),
                },
            );
        }
        self.clients
            .send(client_id, Response::ContractDataEnd(req_id));
    }

    pub(super) fn market_data(
        &mut self,
        client_id: i32,
        req_id: i32,
        query: &ContractFields,
        snapshot: bool,
    ) {
        let Some(idx) = self.book.resolve(query) else {
            return self.no_security(client_id, req_id);
        };
        let Some(client) = self.clients.get(client_id) else {
            return;
        };
        let asked = client.subs.market_data_type;
        // Live data where the account has it, whatever type was asked for (as TWS does);
        // where it has not, delayed data if delayed (3) or delayed-frozen (4) was asked for.
        let delayed = match self.no_live_data(idx) {
            None => false,
            Some(codes::DELAYED_NOT_ENABLED) if asked >= 3 => {
                return self.refuse_live_data(client_id, req_id, codes::DELAYED_NOT_ENABLED);
            }
            Some(_) if asked >= 3 => {
                self.refuse_live_data(client_id, req_id, codes::DISPLAYING_DELAYED);
                true
            }
            Some(code) => return self.refuse_live_data(client_id, req_id, code),
        };
        let spec = self.book.spec(idx);
        let open = !self.config.market.session_hours
            || clock::is_open(spec.market, self.now - time::Duration::seconds(1));
        // What the data is: delayed-frozen (4) outside the market's hours, else delayed (3).
        let data_type = match (delayed, asked, open) {
            (false, _, _) => 1,
            (true, 4, false) => 4,
            (true, _, _) => 3,
        };
        let instrument = self.market.get(idx);
        let bbo = match spec.market {
            crate::config::Market::Us => "9c0001",
            crate::config::Market::Hk => "a60001",
        };
        client
            .link
            .send(Response::MarketDataType { req_id, data_type });
        client.link.send(Response::TickReqParams {
            req_id,
            min_tick: format_tick(spec.tick_size(instrument.last)),
            bbo_exchange: bbo.to_string(),
            snapshot_permissions: 3,
        });
        if !self.faults.market_data_paused {
            let t = tick_types(delayed);
            let lot = f64::from(spec.lot_size.max(100));
            for (tick_type, price, size) in [
                (t.bid, instrument.bid(spec), Some(lot)),
                (t.ask, instrument.ask(spec), Some(lot)),
                (t.last, instrument.last, Some(instrument.last_size.max(lot))),
                (t.high, instrument.high, None),
                (t.low, instrument.low, None),
                (t.close, instrument.prev_close, None),
            ] {
                client.link.send(Response::TickPrice {
                    req_id,
                    tick_type,
                    price,
                    size,
                    attr_mask: 0,
                });
            }
            client.link.send(Response::TickSize {
                req_id,
                tick_type: t.volume,
                size: instrument.volume,
            });
            client.link.send(Response::TickString {
                req_id,
                tick_type: t.last_timestamp,
                value: self.now.unix_timestamp().to_string(),
            });
        }
        if snapshot {
            client.link.send(Response::TickSnapshotEnd(req_id));
        } else {
            let sub = MarketDataSub {
                contract: idx,
                delayed,
            };
            self.with_subs(client_id, |s| _ = s.market_data.insert(req_id, sub));
        }
    }

    pub(super) fn cancel_market_data(&mut self, client_id: i32, req_id: i32) {
        let removed = self
            .clients
            .get_mut(client_id)
            .and_then(|c| c.subs.market_data.remove(&req_id));
        if removed.is_none() {
            let text = format!("Can't find EId with tickerId:{req_id}");
            self.clients.send(
                client_id,
                self.notice(req_id, codes::TICKER_NOT_FOUND, text),
            );
        }
    }

    pub(super) fn real_time_bars(&mut self, client_id: i32, req_id: i32, query: &ContractFields) {
        let Some(idx) = self.book.resolve(query) else {
            return self.no_security(client_id, req_id);
        };
        if let Some(code) = self.no_live_data(idx) {
            return self.refuse_live_data(client_id, req_id, code);
        }
        self.with_subs(client_id, |s| _ = s.real_time_bars.insert(req_id, idx));
    }

    pub(super) fn historical_data(&mut self, client_id: i32, r: &HistoricalRequest) {
        let Some(idx) = self.book.resolve(&r.contract) else {
            return self.no_security(client_id, r.req_id);
        };
        let hmds_error = |text: String| {
            let text = format!("Historical Market Data Service error message:{text}");
            self.clients.send(
                client_id,
                self.notice(r.req_id, codes::HISTORICAL_DATA_ERROR, text),
            );
        };
        if self.no_live_data(idx).is_some() {
            // IB's history needs the same subscription as live data.
            let spec = self.book.spec(idx);
            return hmds_error(format!(
                "No market data permissions for {} STK",
                spec.primary_exchange
            ));
        }
        let (Some(bar_secs), Some(duration)) =
            (parse_bar_size(&r.bar_size), parse_duration(&r.duration))
        else {
            return hmds_error(format!(
                "invalid bar size {:?} or duration {:?}",
                r.bar_size, r.duration
            ));
        };
        if bar_secs % clock::BAR_SECONDS != 0 && bar_secs < 86_400 {
            return hmds_error(format!(
                "bar size {:?} is not simulated (multiples of 5 secs are)",
                r.bar_size
            ));
        }
        if duration / bar_secs > MAX_HISTORICAL_BARS {
            return hmds_error(format!("request for more than {MAX_HISTORICAL_BARS} bars"));
        }
        let end = if r.end_date_time.trim().is_empty() {
            self.now
        } else {
            match clock::parse_time(&r.end_date_time) {
                Some(t) => t.min(self.now),
                None => return hmds_error(format!("invalid end date/time {:?}", r.end_date_time)),
            }
        };
        let bars = self.market.history(
            &self.book,
            idx,
            self.start.unix_timestamp(),
            end.unix_timestamp(),
            duration,
            bar_secs,
        );
        let rows = bars
            .iter()
            .map(|b| self.historical_row(idx, b, bar_secs, r.format_date))
            .collect();
        let (zone, tz) = clock::market_zone(self.book.spec(idx).market);
        let start = end - time::Duration::seconds(duration);
        self.clients.send(
            client_id,
            Response::HistoricalData {
                req_id: r.req_id,
                bars: rows,
            },
        );
        self.clients.send(
            client_id,
            Response::HistoricalDataEnd {
                req_id: r.req_id,
                start: clock::zoned_time(start, zone, tz),
                end: clock::zoned_time(end, zone, tz),
            },
        );
        if r.keep_up_to_date {
            let sub = HistoricalSub {
                contract: idx,
                bar_secs,
                format_date: r.format_date,
            };
            self.with_subs(client_id, |s| _ = s.historical.insert(r.req_id, sub));
        }
    }

    /// A bar's date as IB writes it: epoch seconds (formatDate 2) or `yyyyMMdd HH:mm:ss zone`
    /// for intraday bars, `yyyyMMdd` for daily ones.
    fn historical_row(
        &self,
        idx: ContractIdx,
        bar: &BarView,
        bar_secs: i64,
        format_date: i32,
    ) -> HistoricalBarView {
        let (zone, tz) = clock::market_zone(self.book.spec(idx).market);
        let at = time::OffsetDateTime::from_unix_timestamp(bar.time).unwrap_or(self.start);
        let date = if bar_secs >= 86_400 {
            clock::zoned_date(at, tz)
        } else if format_date == 2 {
            bar.time.to_string()
        } else {
            clock::zoned_time(at, zone, tz)
        };
        HistoricalBarView { date, bar: *bar }
    }

    /// Ticks of one contract to its market-data subscribers, after a trade in `second` (epoch
    /// s): bid, ask, the last trade with its size, the day's volume and the last trade's time,
    /// in the tick types of each subscription (live, or delayed).
    pub(super) fn publish_ticks(&self, idx: ContractIdx, second: i64) {
        let spec = self.book.spec(idx);
        let instrument = self.market.get(idx);
        let lot = f64::from(spec.lot_size.max(100));
        for (_, client) in self.clients.iter() {
            for (&req_id, sub) in &client.subs.market_data {
                if sub.contract != idx {
                    continue;
                }
                let t = tick_types(sub.delayed);
                for (tick_type, price, size) in [
                    (t.bid, instrument.bid(spec), lot),
                    (t.ask, instrument.ask(spec), lot),
                    (t.last, instrument.last, instrument.last_size),
                ] {
                    client.link.send(Response::TickPrice {
                        req_id,
                        tick_type,
                        price,
                        size: Some(size),
                        attr_mask: 0,
                    });
                }
                client.link.send(Response::TickSize {
                    req_id,
                    tick_type: t.volume,
                    size: instrument.volume,
                });
                client.link.send(Response::TickString {
                    req_id,
                    tick_type: t.last_timestamp,
                    value: second.to_string(),
                });
            }
        }
    }

    /// A closed five-second bar to its real-time-bar and keepUpToDate subscribers.
    pub(super) fn publish_bar(&self, idx: ContractIdx, bar: &BarView) {
        for (_, client) in self.clients.iter() {
            for (&req_id, &contract) in &client.subs.real_time_bars {
                if contract == idx {
                    client
                        .link
                        .send(Response::RealTimeBar { req_id, bar: *bar });
                }
            }
            for (&req_id, sub) in &client.subs.historical {
                if sub.contract != idx {
                    continue;
                }
                let start = bar.time - bar.time.rem_euclid(sub.bar_secs);
                let current = self.market.bar_since(idx, start);
                if let Some(last) = current.as_ref() {
                    let row = self.historical_row(idx, last, sub.bar_secs, sub.format_date);
                    client
                        .link
                        .send(Response::HistoricalDataUpdate { req_id, bar: row });
                }
            }
        }
    }
}
