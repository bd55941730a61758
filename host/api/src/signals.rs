//! `/api/signals`: recent signals with their verdicts, read from the order database through
//! the order store's read-only [`SignalLog`](sandtrade_orders::SignalLog) (its own SQLite connection, beside the trading
//! thread's writer).

use axum::Json;
use axum::extract::State;
use sandtrade_orders::signal_log::{SignalFilter, SignalRow};

use super::AppState;
use super::error::{ApiError, ApiQuery};

/// `GET /api/signals`.
#[utoipa::path(get, path = "/api/signals", tag = "signals", params(SignalFilter),
    responses(
        (status = 200, description = "Signals, newest first", body = Vec<SignalRow>),
        (status = 400, description = "Bad query (unknown parameter, bad verdict)", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(filter): ApiQuery<SignalFilter>,
) -> Result<Json<Vec<SignalRow>>, ApiError> {
    let log = state.signals.clone();
    let rows = tokio::task::spawn_blocking(move || log.query(&filter))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(rows))
}
