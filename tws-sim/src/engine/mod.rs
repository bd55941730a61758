//! The engine: one per simulator, shared by every connection behind one lock.
//!
//! It owns the clock, the market, the order book, the accounts, the connected clients and the
//! fault state it applies (`faults.rs`; the switchboard above arms it through the lock).
//! Connections hand it decoded [`Request`]s; it answers by queueing [`Response`]s on the
//! connections' outbound queues. Each family of requests lives in its own file:
//! `orders/` (the book, and the engine's handling of it), `executions.rs`, `account.rs`,
//! `pnl.rs` (with the day it counts from in `trading_day.rs`), `market_data.rs`.

mod account;
pub mod accounts;
pub mod clock;
pub mod contracts;
mod executions;
mod faults;
pub mod market;
mod market_data;
mod orders;
mod pnl;
pub mod sessions;
mod trading_day;

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;

use self::accounts::Ledger;
use self::contracts::ContractBook;
pub use self::faults::FaultState;
use self::market::Market;
use self::orders::OrderBook;
use self::sessions::{ClientLink, Clients};
use self::trading_day::DayStart;
use crate::config::SimConfig;
use crate::error::ConfigError;
use crate::messages::{ErrorNotice, Request, Response};

/// Error codes the simulator sends, with IB's meaning.
pub mod codes {
    #![allow(
        missing_docs,
        reason = "each constant is named for IB's meaning of the code"
    )]
    pub const ORDER_PRICE_INVALID: i32 = 110;
    pub const HISTORICAL_DATA_ERROR: i32 = 162;
    pub const NO_SECURITY_DEFINITION: i32 = 200;
    pub const ORDER_REJECTED: i32 = 201;
    pub const ORDER_CANCELED: i32 = 202;
    pub const DUPLICATE_ORDER_ID: i32 = 103;
    pub const TICKER_NOT_FOUND: i32 = 300;
    pub const VALIDATION_ERROR: i32 = 321;
    pub const CLIENT_ID_IN_USE: i32 = 326;
    pub const UNSUPPORTED: i32 = 503;
    pub const MARKET_DATA_NOT_SUBSCRIBED: i32 = 354;
    pub const CONNECTIVITY_LOST: i32 = 1100;
    pub const CONNECTIVITY_RESTORED: i32 = 1102;
    pub const MARKET_DATA_FARM_OK: i32 = 2104;
    pub const HMDS_FARM_OK: i32 = 2106;
    pub const SEC_DEF_FARM_OK: i32 = 2158;
    pub const CANCEL_NOT_FOUND: i32 = 10147;
    pub const CANCEL_NOT_ALLOWED: i32 = 10148;
    pub const NEEDS_API_SUBSCRIPTION: i32 = 10089;
    pub const DISPLAYING_DELAYED: i32 = 10167;
    pub const DELAYED_NOT_ENABLED: i32 = 10168;

    /// IB's text for a code that refuses live market data (`None`: not such a code).
    pub fn no_live_data_text(code: i32) -> Option<&'static str> {
        Some(match code {
            MARKET_DATA_NOT_SUBSCRIBED => {
                "Requested market data is not subscribed.Delayed market data is available."
            }
            NEEDS_API_SUBSCRIPTION => {
                "Requested market data requires additional subscription for API. See link in \
                 'Market Data Connections' dialog for more details.Delayed market data is available."
            }
            DISPLAYING_DELAYED => {
                "Requested market data is not subscribed. Displaying delayed market data."
            }
            DELAYED_NOT_ENABLED => {
                "Requested market data is not subscribed. Delayed market data is not enabled."
            }
            _ => return None,
        })
    }
}

/// The simulated gateway's state.
#[derive(Debug)]
pub struct Engine {
    config: Arc<SimConfig>,
    start: OffsetDateTime,
    now: OffsetDateTime,
    book: ContractBook,
    market: Market,
    ledger: Ledger,
    orders: OrderBook,
    /// Where the accounts stood when the simulated trading day began (reqPnL counts from it).
    day_start: DayStart,
    clients: Clients,
    /// Next order id per client id; survives disconnects like TWS's id sequence.
    next_ids: HashMap<i32, i32>,
    /// Faults armed from the switchboard.
    pub faults: FaultState,
}

/// The answer to a startApi.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Started; the greeting is queued.
    Started,
    /// Another connection holds this client id (error 326 is queued; close the socket).
    ClientIdInUse,
}

impl Engine {
    /// A fresh gateway at `start`.
    pub fn new(config: Arc<SimConfig>, start: OffsetDateTime) -> Result<Self, ConfigError> {
        let book = ContractBook::new(config.contracts.clone());
        let market = Market::new(&config.market, &book)?;
        let ledger = Ledger::new(&config.accounts, config.usd_hkd);
        let orders = OrderBook::new(config.first_perm_id, start);
        let day_start = DayStart::mark(start, &ledger, &book, &market);
        Ok(Self {
            start,
            now: start,
            book,
            market,
            ledger,
            orders,
            day_start,
            clients: Clients::default(),
            next_ids: HashMap::new(),
            faults: FaultState::default(),
            config,
        })
    }

    /// Simulated now.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// The contract table.
    pub fn book(&self) -> &ContractBook {
        &self.book
    }

    /// The market.
    pub fn market(&self) -> &Market {
        &self.market
    }

    /// The accounts.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Connected client ids.
    pub fn client_ids(&self) -> Vec<i32> {
        self.clients.ids()
    }

    /// Streaming market-data (reqMktData) subscriptions over every client.
    pub fn market_data_subscriptions(&self) -> usize {
        self.clients
            .iter()
            .map(|(_, client)| client.subs.market_data.len())
            .sum()
    }

    /// Real-time bar subscriptions over every client.
    pub fn real_time_bar_subscriptions(&self) -> usize {
        self.clients
            .iter()
            .map(|(_, client)| client.subs.real_time_bars.len())
            .sum()
    }

    /// startApi: register the client and greet it like TWS (managedAccounts, nextValidId,
    /// farm notices), or refuse a client id another connection holds.
    pub fn start_client(&mut self, client_id: i32, link: ClientLink) -> Admission {
        if self.clients.contains(client_id) {
            link.send(self.notice(
                -1,
                codes::CLIENT_ID_IN_USE,
                "Unable to connect as the client id is already in use. Retry with a unique client id.",
            ));
            return Admission::ClientIdInUse;
        }
        let next_id = *self
            .next_ids
            .entry(client_id)
            .or_insert(self.config.first_order_id);
        link.send(Response::ManagedAccounts(self.ledger.managed_accounts()));
        link.send(Response::NextValidId(next_id));
        for (code, text) in [
            (
                codes::MARKET_DATA_FARM_OK,
                "Market data farm connection is OK:usfarm",
            ),
            (
                codes::MARKET_DATA_FARM_OK,
                "Market data farm connection is OK:hfarm",
            ),
            (
                codes::HMDS_FARM_OK,
                "HMDS data farm connection is OK:ushmds",
            ),
            (
                codes::SEC_DEF_FARM_OK,
                "Sec-def data farm connection is OK:secdefil",
            ),
        ] {
            link.send(self.notice(-1, code, text));
        }
        self.clients.insert(client_id, link);
        Admission::Started
    }

    /// A connection ended: its client id is free again; its orders keep working.
    pub fn end_client(&mut self, client_id: i32, conn_id: u64) {
        self.clients.remove(client_id, conn_id);
    }

    /// Forgets every client (their connections are told to close) and, for a restart, rolls
    /// every client's order id sequence back to `next_valid_id`.
    pub fn drop_clients(&mut self, roll_back_ids_to: Option<i32>) -> usize {
        let links = self.clients.drain();
        for link in &links {
            let _closing = link.tx.send(sessions::Outbound::Close);
        }
        if let Some(id) = roll_back_ids_to {
            for next in self.next_ids.values_mut() {
                *next = id;
            }
        }
        links.len()
    }

    /// Sends a notice with id −1 to every client (1100, 1102, …).
    pub fn broadcast_notice(&self, code: i32, text: &str) {
        for (_, client) in self.clients.iter() {
            client.link.send(self.notice(-1, code, text));
        }
    }

    /// An error or notice stamped with simulated now.
    pub fn notice(&self, id: i32, code: i32, message: impl Into<String>) -> Response {
        Response::Error(ErrorNotice {
            id,
            code,
            message: message.into(),
            time_ms: (self.now.unix_timestamp_nanos() / 1_000_000) as i64,
        })
    }

    /// Handles one request from a started client.
    pub fn handle(&mut self, client_id: i32, request: Request) {
        match request {
            Request::StartApi { .. } => {
                tracing::warn!(client_id, "second startApi on one connection ignored");
            }
            Request::CurrentTime => self
                .clients
                .send(client_id, Response::CurrentTime(self.now.unix_timestamp())),
            Request::CurrentTimeMillis => self.clients.send(
                client_id,
                Response::CurrentTimeMillis((self.now.unix_timestamp_nanos() / 1_000_000) as i64),
            ),
            Request::Ids => {
                let next = *self
                    .next_ids
                    .entry(client_id)
                    .or_insert(self.config.first_order_id);
                self.clients.send(client_id, Response::NextValidId(next));
            }
            Request::ManagedAccounts => self.clients.send(
                client_id,
                Response::ManagedAccounts(self.ledger.managed_accounts()),
            ),
            Request::PlaceOrder(order) => {
                // It may fill at once.
                self.place_order(client_id, order);
                self.publish_pnl();
            }
            Request::CancelOrder { order_id } => self.cancel_order(client_id, order_id),
            Request::GlobalCancel => self.global_cancel(),
            Request::OpenOrders | Request::AutoOpenOrders { .. } => {
                self.open_orders(client_id, false)
            }
            Request::AllOpenOrders => self.open_orders(client_id, true),
            Request::CompletedOrders { .. } => self.completed_orders(client_id),
            Request::Executions { req_id, filter } => self.executions(client_id, req_id, &filter),
            Request::Positions => self.positions(client_id),
            Request::CancelPositions => self.with_subs(client_id, |s| s.positions = false),
            Request::AccountSummary {
                req_id,
                group: _,
                tags,
            } => self.account_summary(client_id, req_id, &tags),
            Request::CancelAccountSummary { .. } => {}
            Request::AccountUpdates { subscribe, account } => {
                self.account_updates(client_id, subscribe, &account)
            }
            Request::AccountUpdatesMulti {
                req_id,
                account,
                model_code: _,
            } => self.account_updates_multi(client_id, req_id, &account),
            Request::CancelAccountUpdatesMulti { req_id } => {
                self.with_subs(client_id, |s| _ = s.account_updates_multi.remove(&req_id))
            }
            Request::Pnl {
                req_id,
                account,
                model_code: _,
            } => self.pnl(client_id, req_id, &account),
            Request::CancelPnl { req_id } => {
                self.with_subs(client_id, |s| _ = s.pnl.remove(&req_id))
            }
            Request::ContractDetails { req_id, contract } => {
                self.contract_details(client_id, req_id, &contract)
            }
            Request::CancelContractDetails { .. } => {}
            Request::MarketData {
                req_id,
                contract,
                snapshot,
            } => self.market_data(client_id, req_id, &contract, snapshot),
            Request::CancelMarketData { req_id } => self.cancel_market_data(client_id, req_id),
            Request::MarketDataType { data_type } => {
                self.with_subs(client_id, |s| s.market_data_type = data_type)
            }
            Request::RealTimeBars {
                req_id,
                contract,
                what_to_show: _,
            } => self.real_time_bars(client_id, req_id, &contract),
            Request::CancelRealTimeBars { req_id } => {
                self.with_subs(client_id, |s| _ = s.real_time_bars.remove(&req_id))
            }
            Request::HistoricalData(request) => self.historical_data(client_id, &request),
            Request::CancelHistoricalData { req_id } => {
                self.with_subs(client_id, |s| _ = s.historical.remove(&req_id))
            }
            Request::Unknown { msg_id, req_id } => {
                tracing::warn!(
                    client_id,
                    msg_id,
                    "message id not implemented by tws-sim; answered with error 503"
                );
                let text = format!(
                    "The TWS is out of date and must be upgraded. (tws-sim does not implement message {msg_id})"
                );
                self.clients.send(
                    client_id,
                    self.notice(req_id.unwrap_or(-1), codes::UNSUPPORTED, text),
                );
            }
        }
    }

    fn with_subs(&mut self, client_id: i32, f: impl FnOnce(&mut sessions::Subscriptions)) {
        if let Some(client) = self.clients.get_mut(client_id) {
            f(&mut client.subs);
        }
    }

    /// Advances simulated time by one tick: every open market trades once, subscribers get
    /// their ticks, a bar closes on each five-second boundary, working orders are matched, a
    /// new trading day begins at 00:00 UTC, and P&L subscribers hear of any change.
    pub fn step(&mut self) {
        self.now += time::Duration::seconds(clock::TICK_SECONDS);
        let second = self.now.unix_timestamp() - 1;
        let at = self.now - time::Duration::seconds(1);
        let mut traded = Vec::with_capacity(self.book.all().len());
        for idx in 0..self.book.all().len() {
            let open =
                !self.config.market.session_hours || clock::is_open(self.book.spec(idx).market, at);
            if open {
                self.market.trade(&self.book, idx, second);
                traded.push(idx);
            }
        }
        if !self.faults.market_data_paused {
            for &idx in &traded {
                self.publish_ticks(idx, second);
            }
        }
        if self.now.unix_timestamp() % clock::BAR_SECONDS == 0 {
            for idx in 0..self.book.all().len() {
                if let Some(bar) = self.market.close_bar(idx)
                    && !self.faults.market_data_paused
                {
                    self.publish_bar(idx, &bar);
                }
            }
        }
        self.match_working_orders();
        self.begin_day_if_new();
        self.publish_pnl();
    }

    /// Sets a contract's price now (tests, operators); resting orders are matched against it.
    pub fn set_price(&mut self, idx: contracts::ContractIdx, price: f64) {
        self.market.set_price(&self.book, idx, price);
        if !self.faults.market_data_paused {
            self.publish_ticks(idx, self.now.unix_timestamp());
        }
        self.match_working_orders();
        self.publish_pnl();
    }
}
