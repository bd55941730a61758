//! The REST API and the live status page (axum), on `127.0.0.1:5000` by default.
//!
//! The `/api/ibkr` endpoints, with the request bodies users already script against
//! (`docs/api.md` has every body and answer):
//!
//! - `GET /api/ibkr/status`: connection, queue, signals, drift (the published snapshot: never
//!   a round trip to the trading thread).
//! - `POST /api/ibkr/connect` `{"host","port","clientId","account"?}`: connect there, reconcile.
//! - `POST /api/ibkr/disconnect`: disconnect and stay disconnected.
//! - `GET /api/ibkr/account`: account values per currency (IB account summary).
//! - `GET /api/ibkr/positions`: broker positions, each strategy's ledger, drift.
//! - `GET /api/ibkr/orders`: working orders; `GET /api/ibkr/order/{id}`: one order.
//! - `POST /api/ibkr/order` `{symbol, side, quantity, marketType, orderType?, price?,
//!   strategy?}`: buy/sell mapped onto the long-only actions, through the same risk checks
//!   as a strategy's signal.
//! - `PUT /api/ibkr/order/{id}` `{quantity?, price?, stopPrice?, trailingAmount?, trailingPercent?,
//!   limitOffset?}`: modify.
//! - `DELETE /api/ibkr/order/{id}`: cancel.
//! - `POST /api/ibkr/order/{id}/settle` `{outcome: cancelled|requeued, reason}`: settle an
//!   order whose fate is `unknown`.
//! - `GET /api/ibkr/quote?symbol=&marketType=`: a snapshot quote.
//!
//! Beyond `/api/ibkr`:
//!
//! - `GET /api/strategies`, `GET /api/strategies/{name}`, `POST
//!   /api/strategies/{name}/enable|disable|reload`.
//! - `GET /api/signals?strategy=&symbol=&verdict=&before=&limit=`: recent signals with their
//!   verdicts, from a read-only connection to the order database.
//! - `POST /api/trading/halt` `{"reason"}`, `POST /api/trading/resume`.
//! - `GET /api/events`: server-sent events (trading events and status pictures).
//! - `GET /healthz`, `GET /metrics` (Prometheus), `GET /api/openapi.json`, `GET /` (the page).
//!
//! Every `/api/...` route but the OpenAPI document, and `/metrics`, needs a bearer token
//! ([`auth`]): `read` for `GET`, `trade` for every other method, decided in one middleware by
//! the method, so no mutating route can be added without `trade`. Errors are
//! `{"error", "code", "detail"}` with the status that fits ([`error`]).
//!
//! What one client may cost is bounded ([`Limits`], set in `[api]`): a connection must send
//! its request head within the header-read timeout and is closed when idle too long
//! (`server.rs`, `deadline.rs`), a body may not exceed the body limit (`413`,
//! `body_limit.rs`), and event streams are capped (`503`, `events.rs`).
//!
//! [`serve`] runs the server; [`router`] builds it for tests; the `sandtrade` binary's `host`
//! module is `sandtrade run` (the trading thread and, when `api_address` is set, this API).

pub mod auth;
mod body_limit;
mod config;
mod deadline;
pub mod error;
mod events;
mod ibkr;
mod limits;
mod metrics;
mod middleware;
mod openapi;
mod orders;
mod page;
mod server;
mod signals;
mod strategies;
mod system;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub use self::auth::{AuthError, Scope, Tokens};
pub use self::config::ApiConfig;
pub use self::limits::Limits;
pub use self::orders::SETTLE_REASON_MAX_BYTES;
pub use self::server::{Server, serve, serve_with_limits};
use sandtrade_orders::{SignalLog, SignalLogError};
use sandtrade_trading::TradingHandle;

/// The default address: loopback, port 5000, where the IBKR REST examples send their requests.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:5000";

/// How long one request may take before it is answered `408` (a quote or an account summary
/// waits for IB; nothing else waits at all).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The trading thread.
    pub trading: TradingHandle,
    /// The signal log (read-only).
    pub signals: Arc<SignalLog>,
    /// The accepted tokens.
    pub tokens: Arc<Tokens>,
    /// What one client may cost.
    pub limits: Limits,
    /// One permit per event stream that may still open ([`Limits::max_event_streams`]).
    pub event_streams: Arc<Semaphore>,
    /// Cancelled when the server shuts down: ends the event streams, which would otherwise
    /// hold the graceful shutdown open.
    pub closing: CancellationToken,
}

impl AppState {
    /// The state for `trading`, reading signals from `database`, accepting `tokens`, within
    /// `limits`.
    ///
    /// # Errors
    ///
    /// The order database cannot be opened for reading.
    pub fn new(
        trading: TradingHandle,
        tokens: Tokens,
        limits: Limits,
        database: &std::path::Path,
    ) -> Result<Self, ServeError> {
        Ok(Self {
            trading,
            signals: Arc::new(SignalLog::open(database)?),
            tokens: Arc::new(tokens),
            limits,
            event_streams: Arc::new(Semaphore::new(limits.max_event_streams)),
            closing: CancellationToken::new(),
        })
    }
}

/// Why the API did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The tokens are unusable, or the address is open to the network without tokens.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// The order database cannot be opened for reading.
    #[error("cannot read the order database: {0}")]
    Signals(#[from] SignalLogError),
}

/// The whole app: the documented routes (the OpenAPI document describes exactly these).
pub fn router(state: AppState) -> Router {
    openapi::protected()
        .layer(axum::middleware::from_fn_with_state(
            state.tokens.clone(),
            middleware::authorize,
        ))
        .merge(openapi::public())
        .fallback(error::no_route)
        // Inside the request timeout, so a body sent slowly is answered 408 too.
        .layer(axum::middleware::from_fn_with_state(
            state.limits.max_body_bytes,
            body_limit::limit,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
        .split_for_parts()
        .0
}

/// The OpenAPI document (JSON) of [`router`], as `GET /api/openapi.json` serves it.
pub fn openapi_document() -> &'static str {
    openapi::document()
}
