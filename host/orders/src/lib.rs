//! The durable order store: signals with their verdicts, the order queue and its state
//! machine, fills and commissions, and the per-strategy ledger, in one SQLite file (WAL).
//!
//! The path of an order through this module:
//!
//! ```text
//! risk accepts ─► accept() ──────────────► queued            ┐ one commit per bar (a group),
//! broker ──────► take_next() ────────────► sending           ┘ before the wire write
//! IB status ───► apply_status() ─────────► submitted | cancelled | rejected
//! execDetails ─► record_execution() ─────► partially-filled | filled, fill + ledger
//! commission ──► record_commission() ────► joined to its fill by exec id
//! (re)connect ─► reconcile(snapshot) ────► each sending/submitted/unknown order settled by IB
//! ```
//!
//! Its promises (the rest of the host relies on them):
//!
//! - **Durable before acknowledged.** `accept` returns the signal id only after the signal and
//!   its order are committed; `take_next` returns an order only after it is committed
//!   `sending`. Inside a group ([`OrderStore::group`]) both are committed by
//!   [`OrderStore::commit_group`], and the caller lets nothing of the group leave the process
//!   before that. What a commit survives depends on [`Synchronous`] (`docs/orders.md`).
//! - **Never duplicated.** Every order carries a client order id unique across restarts,
//!   databases and lost commits ([`ids`]), sent as `orderRef`. Nothing in this module ever requeues an order
//!   that may have reached the wire; see [`reconcile`].
//! - **Fills only from executions,** once per exec id ([`OrderStore::record_execution`]).
//! - **The hot path reads memory.** Exposure, positions, the queue and working orders are kept
//!   in memory in step with each write; `accept` is two cached INSERTs (and a commit, unless
//!   it is part of a group).
//!
//! # Example
//!
//! ```
//! use sandtrade_orders::{OrderState, OrderStore, SignalRecord, StoreConfig};
//! use sandtrade_core::{Action, OrderType, Timing, normalize};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut store = OrderStore::open(dir.path().join("orders.sqlite"), StoreConfig::default())?;
//! let signal = SignalRecord {
//!     strategy: "momentum",
//!     wasm_hash: "9f2c…",
//!     symbol: "0700.HK",
//!     action: Action::OpenLong,
//!     quantity: 200,
//!     order_type: OrderType::Limit(312.4),
//!     timing: Timing::DAY,
//!     reason: "breakout",
//!     time_ms: 1_760_000_000_000,
//! };
//! let id = store.accept(&signal, &normalize(signal.symbol)?)?;
//! assert_eq!(store.exposure("momentum", "700").pending_buys, 200);
//!
//! store.observe_next_valid_id(7, 1000)?; // IB's nextValidId on connect
//! let outgoing = store.take_next(7, 10)?;
//! assert_eq!(outgoing[0].ib.order_id, 1000);
//! assert_eq!(store.order(id)?.map(|o| o.state), Some(OrderState::Sending));
//! # Ok(())
//! # }
//! ```

mod accept;
mod checkpoint;
mod database;
mod fills;
pub mod ids;
mod ledger;
mod lookup;
mod order_ids;
mod queue;
pub mod reconcile;
mod record;
mod schema;
pub mod signal_log;
pub mod state;
mod store;
mod working;
mod writer_lock;

pub use ids::{CLIENT_ORDER_ID_MAX_LEN, SessionTag, SignalId, parse_client_order_id};
pub use queue::{NOTE_MAX_BYTES, NoticeEnd, NoticeOutcome, Settlement};
pub use reconcile::{BrokerSnapshot, Decision, IbOrderReport, ReconcileIssue, ReconcileReport};
pub use record::{
    CommissionOutcome, CommissionReport, Execution, ExecutionOutcome, FillApplied, FillRecord,
    IbOrderId, OrderRecord, OutgoingOrder, PriorTerms, SignalRecord, StateChange,
};
pub use schema::{Synchronous, UnknownSynchronous};
pub use signal_log::{SignalLog, SignalLogError};
pub use state::{IbStatus, InvalidTransition, OrderEvent, OrderState};
pub use store::{OrderStore, StoreConfig};

/// Why a store operation failed. Nothing was written and memory is unchanged, unless the
/// variant says otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrderStoreError {
    /// SQLite refused or failed (I/O error, disk full, constraint, locked past the timeout).
    #[error("order database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file could not be opened or created (its directory is missing, it may not be
    /// written); SQLite's reason, without the path the caller already names.
    #[error("cannot open the order database: {0}")]
    Open(String),
    /// The file could not be switched to WAL (e.g. it is on a filesystem without shared memory).
    #[error(
        "order database is not in WAL mode (journal_mode is {0:?}); put it on a local filesystem"
    )]
    NotWal(String),
    /// A connection setting did not take effect.
    #[error("order database setting failed: {0}")]
    Pragma(String),
    /// The file was written by a newer build.
    #[error(
        "order database schema version {found} is newer than this build supports ({latest}): upgrade sandtrade"
    )]
    SchemaTooNew {
        /// `user_version` of the file.
        found: i64,
        /// The newest version this build knows.
        latest: i64,
    },
    /// The OS random source failed while drawing the session tag.
    #[error("cannot draw a random session tag for client order ids: {0}")]
    Random(#[from] getrandom::Error),
    /// The checkpoint thread could not be started.
    #[error("cannot start the order database's checkpoint thread: {0}")]
    Thread(std::io::Error),
    /// A stored value is not one this build writes.
    #[error("order database holds an invalid value: {0}")]
    Corrupt(String),
    /// No order with this id.
    #[error("signal {0} has no order in this database")]
    UnknownOrder(SignalId),
    /// One of our own moves from the wrong state (see [`state`]).
    #[error("order {signal}: {error}")]
    Transition {
        /// The order.
        signal: SignalId,
        /// The refused move.
        error: InvalidTransition,
    },
    /// An order was to be taken before IB's `nextValidId` for that clientId was recorded.
    #[error(
        "no IB order id is known for clientId {0}: call observe_next_valid_id after connecting"
    )]
    NoOrderIdFloor(i32),
    /// IB's `nextValidId` (or an order id IB reported) is not one to trade from: not
    /// positive, or too near `i32::MAX` to leave room for orders. The floor is left as it
    /// was: one hostile or garbled value must not use up a clientId's ids for good.
    #[error(
        "IB's nextValidId {next_valid_id} for clientId {client_id} is not usable: order ids \
         are positive and must leave room for {} orders below {}; reset the API order \
         id sequence in TWS (Global Configuration > API > Settings) or use another clientId",
        order_ids::ORDER_ID_HEADROOM,
        order_ids::ORDER_ID_CEILING
    )]
    ImplausibleNextValidId {
        /// The clientId.
        client_id: i32,
        /// What IB said.
        next_valid_id: i32,
    },
    /// IB order ids for this clientId reached the ceiling (1,500,000,000, where `ibapi`'s own
    /// request ids begin).
    #[error("IB order ids for clientId {0} are exhausted; reset the API order id sequence in TWS")]
    OrderIdsExhausted(i32),
    /// An order that cannot be stored (e.g. zero shares).
    #[error("invalid order: {0}")]
    InvalidOrder(String),
    /// An execution that contradicts its order (zero shares, the wrong side). Not stored.
    #[error("invalid execution: {0}")]
    InvalidExecution(String),
    /// Only an `unknown` order can be settled by an operator.
    #[error("order {signal} is {state}, not unknown: only an unknown order can be settled")]
    NotUnknown {
        /// The order.
        signal: SignalId,
        /// Its state.
        state: OrderState,
    },
    /// Another process has the database open for writing (a running host).
    #[error(
        "the order database is in use by another process (it holds {0}); stop it first, or \
         settle through its REST API"
    )]
    InUse(std::path::PathBuf),
    /// The lock that keeps a second writer out could not be taken.
    #[error("cannot lock the order database: {0}")]
    Lock(String),
    /// A group's transaction was not committed: none of its operations is stored, and memory
    /// was rebuilt from the file. Nothing of the group was sent.
    #[error("the order database lost a group of writes that was not committed: {0}")]
    GroupLost(String),
}
