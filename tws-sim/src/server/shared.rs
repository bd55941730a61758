//! State every task of one simulator shares: the engine, the open connections, the
//! fault flags the writers read, and the latency probe.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::SimConfig;
use crate::engine::Engine;
use crate::probe::LatencyProbe;

/// One TCP connection, as the switchboard and the probe see it.
#[derive(Debug)]
pub(crate) struct ConnState {
    pub conn_id: u64,
    pub peer: SocketAddr,
    /// Cancelled to close the connection (switchboard, server shutdown, writer done).
    pub cancel: CancellationToken,
    /// Messages left before the connection is dropped; negative: not armed.
    pub drop_after: AtomicI64,
    /// When the last real-time-bar frame was written (the probe pairs it with the next order).
    pub last_bar_written: Mutex<Option<Instant>>,
    client_id: AtomicI32,
}

const NO_CLIENT: i32 = i32::MIN;

impl ConnState {
    pub fn new(conn_id: u64, peer: SocketAddr, cancel: CancellationToken) -> Self {
        Self {
            conn_id,
            peer,
            cancel,
            drop_after: AtomicI64::new(-1),
            last_bar_written: Mutex::new(None),
            client_id: AtomicI32::new(NO_CLIENT),
        }
    }

    pub fn set_client_id(&self, id: i32) {
        self.client_id.store(id, Ordering::SeqCst);
    }

    pub fn client_id(&self) -> Option<i32> {
        Some(self.client_id.load(Ordering::SeqCst)).filter(|id| *id != NO_CLIENT)
    }

    /// Counts one message written; true when the drop-after fault says "close now".
    pub fn count_message(&self) -> bool {
        if self.drop_after.load(Ordering::Relaxed) < 0 {
            return false;
        }
        self.drop_after.fetch_sub(1, Ordering::SeqCst) == 1
    }
}

/// Shared by the accept loop, every connection, the clock and the switchboard.
#[derive(Debug)]
pub struct Shared {
    pub(crate) config: Arc<SimConfig>,
    engine: Mutex<Engine>,
    connections: Mutex<HashMap<u64, Arc<ConnState>>>,
    next_conn_id: AtomicU64,
    pub(crate) silent: AtomicBool,
    pub(crate) probe: LatencyProbe,
    /// Started client ids, republished after every start, end and drop.
    clients: watch::Sender<Vec<i32>>,
}

impl Shared {
    pub(crate) fn new(config: Arc<SimConfig>, engine: Engine) -> Self {
        Self {
            config,
            engine: Mutex::new(engine),
            connections: Mutex::new(HashMap::new()),
            next_conn_id: AtomicU64::new(1),
            silent: AtomicBool::new(false),
            probe: LatencyProbe::default(),
            clients: watch::Sender::new(Vec::new()),
        }
    }

    /// Republishes the started client ids (after a start, an end or a drop).
    pub(crate) fn publish_clients(&self) {
        let ids = self.engine().client_ids();
        self.clients.send_if_modified(|current| {
            let changed = *current != ids;
            *current = ids;
            changed
        });
    }

    /// Follows the started client ids.
    pub(crate) fn watch_clients(&self) -> watch::Receiver<Vec<i32>> {
        self.clients.subscribe()
    }

    /// The engine. A panic while it was held would be a bug; the state is still the best
    /// there is, so keep serving rather than poison every connection.
    pub(crate) fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connections(&self) -> MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn new_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn register(&self, conn: Arc<ConnState>) {
        self.connections().insert(conn.conn_id, conn);
    }

    pub(crate) fn unregister(&self, conn_id: u64) {
        self.connections().remove(&conn_id);
    }

    pub(crate) fn connection_count(&self) -> usize {
        self.connections().len()
    }

    pub(crate) fn close_all_connections(&self) -> usize {
        let conns = self.connections();
        for conn in conns.values() {
            conn.cancel.cancel();
        }
        conns.len()
    }

    pub(crate) fn arm_drop_after(&self, n: u32) -> usize {
        let conns = self.connections();
        for conn in conns.values() {
            conn.drop_after.store(i64::from(n), Ordering::SeqCst);
            if n == 0 {
                conn.cancel.cancel();
            }
        }
        conns.len()
    }
}
