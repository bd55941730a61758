//! The connection, account and market-data endpoints under `/api/ibkr`, with the bodies users
//! already script against.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiJson, ApiQuery};
use sandtrade_core::{Instrument, Market, normalize};
use sandtrade_trading::{ConnectTarget, ConnectionState, TradingEvent};

/// How long `POST /api/ibkr/connect` waits for the connection (and its reconciliation)
/// before answering `202` (still connecting).
pub const CONNECT_WAIT: Duration = Duration::from_secs(15);

/// The market of an order's or a quote's symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum MarketType {
    /// US stocks (`AAPL`).
    USStock,
    /// Hong Kong stocks (`0700.HK`, `00700`, `700`).
    HShare,
}

impl MarketType {
    fn market(self) -> Market {
        match self {
            MarketType::USStock => Market::UsStock,
            MarketType::HShare => Market::HkStock,
        }
    }

    fn of(market: Market) -> Self {
        match market {
            Market::UsStock => MarketType::USStock,
            Market::HkStock => MarketType::HShare,
        }
    }
}

/// As a body writes it: `USStock`, `HShare`.
impl std::fmt::Display for MarketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MarketType::USStock => "USStock",
            MarketType::HShare => "HShare",
        })
    }
}

/// `symbol` normalized to its contract, checked against `market_type` when given.
pub fn instrument(symbol: &str, market_type: Option<MarketType>) -> Result<Instrument, ApiError> {
    let instrument = normalize(symbol)
        .map_err(|r| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code.as_str(), r.message))?;
    if let Some(market_type) = market_type
        && instrument.market != market_type.market()
    {
        return Err(ApiError::invalid_body(format!(
            "symbol {symbol:?} is a {} symbol, but marketType is {market_type} (US: \"AAPL\"; \
             HK: \"0700.HK\", \"00700\" or \"700\")",
            MarketType::of(instrument.market)
        )));
    }
    Ok(instrument)
}

/// `GET /api/ibkr/status`: the status snapshot the trading thread publishes.
#[utoipa::path(get, path = "/api/ibkr/status", tag = "ibkr",
    responses((status = 200, description = "Connection, queue, signals, drift; `connected` is \
        true once reconciled", body = Object)),
    security(("bearer" = [])))]
pub async fn status(State(state): State<AppState>) -> Response {
    super::system::status_json(&state.trading)
}

/// The connect body: where TWS or IB Gateway listens, and as which client.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectBody {
    /// TWS / Gateway host, e.g. `127.0.0.1`.
    pub host: String,
    /// Its API port: TWS live 7496, paper 7497; IB Gateway live 4001, paper 4002.
    pub port: u16,
    /// The API client id.
    pub client_id: i32,
    /// The account; absent: the configured one.
    #[serde(default)]
    pub account: Option<String>,
}

/// The answer to connect and disconnect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectionAnswer {
    /// Whether the connection is up and reconciled.
    pub connected: bool,
    /// `disconnected`, `connecting`, `reconciling`, `connected` or `refused`.
    pub state: String,
    /// `host:port`.
    pub address: String,
    /// The client id in use, once connected.
    pub client_id: Option<i32>,
    /// The account.
    pub account: String,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
}

impl ConnectionAnswer {
    /// The connection as the trading thread has it now: asked of it (a round trip), not read
    /// from the published picture, which may be a refresh interval behind.
    async fn now(state: &AppState) -> Result<Self, ApiError> {
        let status = state.trading.status().await?;
        let c = &status.connection;
        Ok(Self {
            connected: c.state == ConnectionState::Connected,
            state: serde_json::to_value(c.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            address: c.address.clone(),
            client_id: c.client_id,
            account: status.account.clone(),
            error: c.last_error.clone(),
        })
    }
}

/// `POST /api/ibkr/connect`: connect to this TWS / Gateway (dropping the current connection),
/// then wait for the connection and its reconciliation.
#[utoipa::path(post, path = "/api/ibkr/connect", tag = "ibkr", request_body = ConnectBody,
    responses(
        (status = 200, description = "Connected and reconciled", body = ConnectionAnswer),
        (status = 202, description = "Still connecting after 15 s", body = ConnectionAnswer),
        (status = 409, description = "Port or account contradicts the mode (paper/live)", body = super::error::ErrorBody),
        (status = 502, description = "The connection failed", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn connect(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConnectBody>,
) -> Result<Response, ApiError> {
    if body.host.trim().is_empty() {
        return Err(ApiError::invalid_body("host is empty (e.g. \"127.0.0.1\")"));
    }
    if body.client_id < 0 {
        return Err(ApiError::invalid_body(format!(
            "clientId = {}: must be 0 or more",
            body.client_id
        )));
    }
    if let Some(account) = &body.account
        && (account.is_empty() || !account.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(ApiError::invalid_body(
            "account: expected an IB account id like \"DU1234567\"",
        ));
    }
    // Subscribed before the command, so the outcome cannot slip between the two.
    let mut events = state.trading.subscribe();
    state
        .trading
        .connect_to(ConnectTarget {
            host: body.host.trim().to_owned(),
            port: body.port,
            client_id: body.client_id,
            account: body.account,
        })
        .await?;
    let outcome = tokio::time::timeout(CONNECT_WAIT, async {
        loop {
            match events.recv().await {
                Ok(TradingEvent::Reconciled { .. }) => return Ok(()),
                Ok(TradingEvent::ConnectFailed { reason, .. }) => return Err(reason),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Err("the trading loop has stopped".into()),
            }
        }
    })
    .await;
    match outcome {
        Ok(Ok(())) => Ok(Json(ConnectionAnswer::now(&state).await?).into_response()),
        Ok(Err(reason)) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "connect-failed",
            format!("the connection failed: {reason} (retrying with backoff)"),
        )),
        Err(_) => Ok((
            StatusCode::ACCEPTED,
            Json(ConnectionAnswer::now(&state).await?),
        )
            .into_response()),
    }
}

/// `POST /api/ibkr/disconnect`: disconnect and stay disconnected until a connect. Orders
/// keep queueing; nothing is sent.
#[utoipa::path(post, path = "/api/ibkr/disconnect", tag = "ibkr",
    responses((status = 200, description = "Disconnected", body = ConnectionAnswer)),
    security(("bearer" = [])))]
pub async fn disconnect(State(state): State<AppState>) -> Result<Json<ConnectionAnswer>, ApiError> {
    state.trading.disconnect().await?;
    Ok(Json(ConnectionAnswer::now(&state).await?))
}

/// `GET /api/ibkr/account`: the account's values per currency, asked of IB now.
#[utoipa::path(get, path = "/api/ibkr/account", tag = "ibkr",
    responses(
        (status = 200, description = "`{account, values: {tag: {currency: value}}, at_ms}`", body = Object),
        (status = 503, description = "Not connected", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn account(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(state.trading.account().await?).into_response())
}

/// `GET /api/ibkr/positions`: broker positions, each strategy's ledger, drift.
#[utoipa::path(get, path = "/api/ibkr/positions", tag = "ibkr",
    responses((status = 200, description = "`{broker_known, broker, strategies, drift}`", body = Object)),
    security(("bearer" = [])))]
pub async fn positions(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(state.trading.positions().await?).into_response())
}

/// The quote query: a symbol and, optionally, its market.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct QuoteQuery {
    /// `AAPL`, `0700.HK`, `00700`, `700`.
    pub symbol: String,
    /// `USStock` or `HShare`; checked against the symbol when given.
    #[serde(default)]
    pub market_type: Option<MarketType>,
}

/// `GET /api/ibkr/quote?symbol=&marketType=`: a snapshot quote, asked of IB now.
#[utoipa::path(get, path = "/api/ibkr/quote", tag = "ibkr", params(QuoteQuery),
    responses(
        (status = 200, description = "`{symbol, currency, bid, ask, last, close, volume, at_ms}`", body = Object),
        (status = 422, description = "Unknown symbol, or the symbol contradicts marketType", body = super::error::ErrorBody),
        (status = 503, description = "Not connected, or no price in time", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn quote(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<QuoteQuery>,
) -> Result<Response, ApiError> {
    let instrument = instrument(&query.symbol, query.market_type)?;
    Ok(Json(state.trading.quote(instrument).await?).into_response())
}
