//! Connected clients: their outbound queues and what each has subscribed to.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::contracts::ContractIdx;
use crate::messages::{PnlView, Response};

/// What the engine hands a connection's writer.
#[derive(Debug)]
pub enum Outbound {
    /// A message, encoded by the connection's dialect (boxed: responses are large, and the
    /// queue moves them by value).
    Message(Box<Response>),
    /// Bytes already framed (the handshake reply).
    Raw(Bytes),
    /// Close the connection after what is already queued.
    Close,
}

/// The engine's handle on one connection.
#[derive(Debug, Clone)]
pub struct ClientLink {
    /// Unique per TCP connection (a reconnect with the same client id gets a new one).
    pub conn_id: u64,
    /// The connection's outbound queue.
    pub tx: mpsc::UnboundedSender<Outbound>,
}

impl ClientLink {
    /// Queues one message. A closed queue means the connection is going away: nothing to do.
    pub fn send(&self, response: Response) {
        let _closing = self.tx.send(Outbound::Message(Box::new(response)));
    }
}

/// A streaming market-data request.
#[derive(Debug, Clone, Copy)]
pub struct MarketDataSub {
    /// The contract.
    pub contract: ContractIdx,
    /// Served delayed data (the account has no live data for it): delayed tick types.
    pub delayed: bool,
}

/// A keepUpToDate historical request.
#[derive(Debug, Clone, Copy)]
pub struct HistoricalSub {
    /// The contract.
    pub contract: ContractIdx,
    /// Its bar size in seconds.
    pub bar_secs: i64,
    /// formatDate of the request.
    pub format_date: i32,
}

/// A reqPnL subscription and the update it was sent last: the next one goes out when the
/// numbers differ from it, a simulated second after it at the earliest.
#[derive(Debug, Clone)]
pub struct PnlSub {
    /// The account (its code, as the ledger spells it).
    pub account: String,
    /// The numbers last sent.
    pub sent: PnlView,
    /// When they were sent (simulated time).
    pub sent_at: OffsetDateTime,
}

/// Everything one client is subscribed to.
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// reqMktData by reqId.
    pub market_data: HashMap<i32, MarketDataSub>,
    /// reqRealTimeBars by reqId.
    pub real_time_bars: HashMap<i32, ContractIdx>,
    /// keepUpToDate reqHistoricalData by reqId.
    pub historical: HashMap<i32, HistoricalSub>,
    /// reqPositions is active.
    pub positions: bool,
    /// reqAccountUpdates is active for this account.
    pub account_updates: Option<String>,
    /// reqAccountUpdatesMulti by reqId, with its account.
    pub account_updates_multi: HashMap<i32, String>,
    /// reqPnL by reqId.
    pub pnl: HashMap<i32, PnlSub>,
    /// reqMarketDataType in force (1 live, 2 frozen, 3 delayed, 4 delayed-frozen).
    pub market_data_type: i32,
}

/// One connected, started client.
#[derive(Debug)]
pub struct Client {
    /// Its connection.
    pub link: ClientLink,
    /// Its subscriptions.
    pub subs: Subscriptions,
}

/// Clients by client id.
#[derive(Debug, Default)]
pub struct Clients {
    by_id: BTreeMap<i32, Client>,
}

impl Clients {
    /// Whether `client_id` is held by a live connection.
    pub fn contains(&self, client_id: i32) -> bool {
        self.by_id.contains_key(&client_id)
    }

    /// Registers a client.
    pub fn insert(&mut self, client_id: i32, link: ClientLink) {
        let subs = Subscriptions {
            market_data_type: 1,
            ..Default::default()
        };
        self.by_id.insert(client_id, Client { link, subs });
    }

    /// Forgets a client if `conn_id` is still the connection holding it.
    pub fn remove(&mut self, client_id: i32, conn_id: u64) -> bool {
        if self
            .by_id
            .get(&client_id)
            .is_some_and(|c| c.link.conn_id == conn_id)
        {
            self.by_id.remove(&client_id);
            true
        } else {
            false
        }
    }

    /// Forgets every client and returns their links.
    pub fn drain(&mut self) -> Vec<ClientLink> {
        std::mem::take(&mut self.by_id)
            .into_values()
            .map(|c| c.link)
            .collect()
    }

    /// One client.
    pub fn get(&self, client_id: i32) -> Option<&Client> {
        self.by_id.get(&client_id)
    }

    /// One client, mutably.
    pub fn get_mut(&mut self, client_id: i32) -> Option<&mut Client> {
        self.by_id.get_mut(&client_id)
    }

    /// Every client.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &Client)> {
        self.by_id.iter().map(|(id, c)| (*id, c))
    }

    /// Every client, mutably (subscriptions that keep state).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (i32, &mut Client)> {
        self.by_id.iter_mut().map(|(id, c)| (*id, c))
    }

    /// Sends to one client, if connected.
    pub fn send(&self, client_id: i32, response: Response) {
        if let Some(c) = self.by_id.get(&client_id) {
            c.link.send(response);
        }
    }

    /// Connected client ids.
    pub fn ids(&self) -> Vec<i32> {
        self.by_id.keys().copied().collect()
    }
}
