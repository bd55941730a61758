//! The status answer, halting and resuming, health and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiJson};
use sandtrade_trading::{ConnectionState, Exit, TradingHandle, TradingStatus};

/// The status body: the published snapshot, and `connected` for the scripts that read it.
#[derive(Serialize)]
pub(super) struct StatusBody<'a> {
    pub(super) connected: bool,
    #[serde(flatten)]
    pub(super) status: &'a TradingStatus,
}

/// The status snapshot as JSON: a lock, a reference count and one serialization, never a
/// round trip to the trading thread.
pub fn status_json(trading: &TradingHandle) -> Response {
    let status = trading.status_now();
    Json(StatusBody {
        connected: status.connection.state == ConnectionState::Connected,
        status: &status,
    })
    .into_response()
}

/// `POST /api/trading/halt`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HaltBody {
    /// Why: shown in the status and in every refusal while halted.
    pub reason: String,
}

/// The answer to halt and resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HaltState {
    /// Whether trading is halted.
    pub halted: bool,
    /// Why, when halted.
    pub reason: Option<String>,
}

fn halt_state(trading: &TradingHandle) -> HaltState {
    match trading.switch().state() {
        sandtrade_risk::TradingState::Active => HaltState {
            halted: false,
            reason: None,
        },
        sandtrade_risk::TradingState::Halted { reason } => HaltState {
            halted: true,
            reason: Some(reason),
        },
    }
}

/// `POST /api/trading/halt`: every signal and manual order is refused (`trading-halted`)
/// until resumed. Orders already queued or working are left alone.
#[utoipa::path(post, path = "/api/trading/halt", tag = "trading", request_body = HaltBody,
    responses((status = 200, description = "Halted", body = HaltState)),
    security(("bearer" = [])))]
pub async fn halt(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HaltBody>,
) -> Result<Json<HaltState>, ApiError> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid_body(
            "reason is empty: say why (it is shown in every refusal)",
        ));
    }
    state.trading.halt(&format!("operator: {reason}"));
    Ok(Json(halt_state(&state.trading)))
}

/// `POST /api/trading/resume`.
#[utoipa::path(post, path = "/api/trading/resume", tag = "trading",
    responses((status = 200, description = "Trading", body = HaltState)),
    security(("bearer" = [])))]
pub async fn resume(State(state): State<AppState>) -> Json<HaltState> {
    state.trading.resume();
    Json(halt_state(&state.trading))
}

/// `GET /healthz`: `200 {"status":"ok"}` while the trading loop runs, `503` once it ended.
/// Says nothing about IB (a disconnected host is still healthy: it queues and reconnects).
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses(
        (status = 200, description = "`{\"status\":\"ok\"}`", body = Object),
        (status = 503, description = "The trading loop has ended", body = Object)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.trading.exit() {
        Exit::Running => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Exit::Stopped => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "stopped" })),
        )
            .into_response(),
        Exit::Failed(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "failed", "error": why })),
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain")),
    security(("bearer" = [])))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    // Asked of the trading thread, not the published picture: a scrape is rare, and its
    // counters must agree with the strategies' (asked just after).
    let status = state.trading.status().await?;
    let strategies = state.trading.strategies().await?;
    let text = super::metrics::render(&status, &strategies);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
