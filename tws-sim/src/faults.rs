//! The fault switchboard: what tests (through [`Faults`]) and operators (through the control
//! interface) can make go wrong, on purpose.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub use crate::engine::FaultState;
use crate::engine::codes;
use crate::server::Shared;

/// Everything armed right now.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultStatus {
    /// The engine-side faults.
    pub state: FaultState,
    /// Nothing is written to any client.
    pub silent: bool,
    /// Connections currently open (started or not).
    pub connections: usize,
}

/// One switchboard action.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Close every connection now.
    DropAllConnections,
    /// Close each currently open connection after it has been sent N more messages.
    DropAfterMessages(u32),
    /// Reject the next N orders with error 201.
    RejectNextOrders(u32),
    /// Delay fills by this much simulated time (`None`: fill at once again).
    DelayFills(Option<Duration>),
    /// Report the next execution twice (same execId).
    DuplicateNextExec,
    /// Refuse the next N orders with error 201 alone (no Inactive status follows).
    RejectByNoticeOnly(u32),
    /// Give the next execution a time that is not ASCII.
    GarbleNextExecTime,
    /// Lose the next N orders: no answer, nothing kept (the order died on the way to IB).
    LoseNextOrders(u32),
    /// Stop (`true`) or resume (`false`) sending ticks and bars.
    PauseMarketData(bool),
    /// Restart the gateway: drop every connection, forget every session, and roll every
    /// client's next valid order id back (to `next_valid_id`, or the configured first id).
    /// Orders, executions and positions survive, as TWS keeps them.
    Restart {
        /// Where nextValidId restarts.
        next_valid_id: Option<i32>,
    },
    /// Stop (`true`) or resume (`false`) writing to clients, without closing sockets.
    Silent(bool),
    /// Send error 1100 (connectivity between IB and TWS lost) to every client.
    ConnectivityLost,
    /// Send error 1102 (connectivity restored, data maintained) to every client.
    ConnectivityRestored,
    /// The account has no live data for `symbol`: real-time bars, live or frozen ticks and
    /// history are refused with `code` (354, 10089, 10167 or 10168), and delayed ticks are
    /// served instead (unless `code` is 10168). `None` gives it live data again. Takes effect
    /// on the next request; subscriptions already made are kept.
    NoLiveData {
        /// The contract's symbol (`AAPL`, `700`).
        symbol: String,
        /// IB's code, or `None` to lift the fault.
        code: Option<i32>,
    },
}

/// Why a [`Fault::NoLiveData`] cannot be armed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoLiveDataError {
    /// The contract table has no such symbol.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
    /// Not a code IB refuses live data with.
    #[error("{0} is not a code IB refuses live market data with (354, 10089, 10167, 10168)")]
    NotARefusal(i32),
}

/// The switchboard of one running simulator. Cheap to clone.
#[derive(Clone)]
pub struct Faults {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("status", &self.status())
            .finish()
    }
}

impl Faults {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Applies one fault and returns how many connections it touched (0 for engine faults).
    pub fn apply(&self, fault: Fault) -> usize {
        tracing::info!(?fault, "fault switchboard");
        let shared = &self.shared;
        match fault {
            Fault::DropAllConnections => {
                shared.engine().drop_clients(None);
                shared.publish_clients();
                shared.close_all_connections()
            }
            Fault::DropAfterMessages(n) => shared.arm_drop_after(n),
            Fault::RejectNextOrders(n) => {
                shared.engine().faults.reject_next_orders = n;
                0
            }
            Fault::DelayFills(delay) => {
                shared.engine().faults.fill_delay = delay;
                0
            }
            Fault::DuplicateNextExec => {
                shared.engine().faults.duplicate_next_execs += 1;
                0
            }
            Fault::RejectByNoticeOnly(n) => {
                shared.engine().faults.reject_by_notice_only = n;
                0
            }
            Fault::GarbleNextExecTime => {
                shared.engine().faults.garble_exec_times += 1;
                0
            }
            Fault::LoseNextOrders(n) => {
                shared.engine().faults.lose_next_orders = n;
                0
            }
            Fault::PauseMarketData(paused) => {
                shared.engine().faults.market_data_paused = paused;
                0
            }
            Fault::Restart { next_valid_id } => {
                let first = next_valid_id.unwrap_or(shared.config.first_order_id);
                shared.engine().drop_clients(Some(first));
                shared.publish_clients();
                shared.close_all_connections()
            }
            Fault::Silent(silent) => {
                shared.silent.store(silent, Ordering::SeqCst);
                shared.connection_count()
            }
            Fault::ConnectivityLost => {
                let engine = shared.engine();
                engine.broadcast_notice(
                    codes::CONNECTIVITY_LOST,
                    "Connectivity between IB and Trader Workstation has been lost.",
                );
                engine.client_ids().len()
            }
            Fault::NoLiveData { symbol, code } => {
                let mut engine = shared.engine();
                let known = engine
                    .book()
                    .by_symbol(&symbol)
                    .map(|idx| engine.book().spec(idx).symbol.clone());
                if let Some(symbol) = known {
                    match code {
                        Some(code) => _ = engine.faults.no_live_data.insert(symbol, code),
                        None => _ = engine.faults.no_live_data.remove(&symbol),
                    }
                }
                0
            }
            Fault::ConnectivityRestored => {
                let engine = shared.engine();
                engine.broadcast_notice(
                    codes::CONNECTIVITY_RESTORED,
                    "Connectivity between IB and Trader Workstation has been restored - data maintained.",
                );
                engine.client_ids().len()
            }
        }
    }

    /// Closes every connection now.
    pub fn drop_all_connections(&self) -> usize {
        self.apply(Fault::DropAllConnections)
    }

    /// Closes each open connection after N more messages to it.
    pub fn drop_after_messages(&self, n: u32) -> usize {
        self.apply(Fault::DropAfterMessages(n))
    }

    /// Rejects the next N orders (201).
    pub fn reject_next_orders(&self, n: u32) {
        self.apply(Fault::RejectNextOrders(n));
    }

    /// Delays fills by simulated time (`None` clears it).
    pub fn delay_fills(&self, delay: Option<Duration>) {
        self.apply(Fault::DelayFills(delay));
    }

    /// Reports the next execution twice.
    pub fn duplicate_next_exec(&self) {
        self.apply(Fault::DuplicateNextExec);
    }

    /// Refuses the next N orders with error 201 alone (no Inactive status follows).
    pub fn reject_by_notice_only(&self, n: u32) {
        self.apply(Fault::RejectByNoticeOnly(n));
    }

    /// Gives the next execution a time that is not ASCII.
    pub fn garble_next_exec_time(&self) {
        self.apply(Fault::GarbleNextExecTime);
    }

    /// Loses the next N orders: never answered, never kept.
    pub fn lose_next_orders(&self, n: u32) {
        self.apply(Fault::LoseNextOrders(n));
    }

    /// Pauses or resumes ticks and bars.
    pub fn pause_market_data(&self, paused: bool) {
        self.apply(Fault::PauseMarketData(paused));
    }

    /// Restarts: drops every connection and rolls nextValidId back.
    pub fn restart(&self, next_valid_id: Option<i32>) -> usize {
        self.apply(Fault::Restart { next_valid_id })
    }

    /// Goes silent (or speaks again) without closing sockets.
    pub fn go_silent(&self, silent: bool) {
        self.apply(Fault::Silent(silent));
    }

    /// Sends 1100 to every client.
    pub fn connectivity_lost(&self) {
        self.apply(Fault::ConnectivityLost);
    }

    /// Sends 1102 to every client.
    pub fn connectivity_restored(&self) {
        self.apply(Fault::ConnectivityRestored);
    }

    /// Refuses the account live data of `symbol` with `code` (354, 10089, 10167 or 10168):
    /// real-time bars, live ticks and history are refused, delayed ticks served instead (not
    /// for 10168).
    pub fn refuse_live_data(&self, symbol: &str, code: i32) -> Result<(), NoLiveDataError> {
        if codes::no_live_data_text(code).is_none() {
            return Err(NoLiveDataError::NotARefusal(code));
        }
        if self.shared.engine().book().by_symbol(symbol).is_none() {
            return Err(NoLiveDataError::UnknownSymbol(symbol.to_owned()));
        }
        self.apply(Fault::NoLiveData {
            symbol: symbol.to_owned(),
            code: Some(code),
        });
        Ok(())
    }

    /// Gives the account live data of `symbol` again.
    pub fn allow_live_data(&self, symbol: &str) {
        self.apply(Fault::NoLiveData {
            symbol: symbol.to_owned(),
            code: None,
        });
    }

    /// What is armed now.
    pub fn status(&self) -> FaultStatus {
        FaultStatus {
            state: self.shared.engine().faults.clone(),
            silent: self.shared.silent.load(Ordering::SeqCst),
            connections: self.shared.connection_count(),
        }
    }

    /// Clears every engine fault and speaks again.
    pub fn clear(&self) {
        self.shared.engine().faults = FaultState::default();
        self.shared.silent.store(false, Ordering::SeqCst);
    }
}
