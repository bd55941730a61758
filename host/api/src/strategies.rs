//! `/api/strategies`: every installed strategy (state, metadata, wasm hash, last error,
//! counters), and enabling, disabling and reloading one.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::error::ApiError;
use sandtrade_trading::StrategyView;

/// `GET /api/strategies`.
#[utoipa::path(get, path = "/api/strategies", tag = "strategies",
    responses((status = 200, description = "Every strategy: name, file, wasm_sha256, metadata, \
        state, last_error, strikes, counters, warming_up, problem", body = Vec<Object>)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<StrategyView>>, ApiError> {
    Ok(Json(state.trading.strategies().await?))
}

/// `GET /api/strategies/{name}`.
#[utoipa::path(get, path = "/api/strategies/{name}", tag = "strategies",
    params(("name" = String, Path, description = "The strategy's name (its file stem)")),
    responses(
        (status = 200, description = "The strategy", body = Object),
        (status = 404, description = "No such strategy", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<StrategyView>, ApiError> {
    state
        .trading
        .strategies()
        .await?
        .into_iter()
        .find(|s| s.status.name == name)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("not found: strategy {name}")))
}

/// The strategy after a change.
async fn after(state: &AppState, name: String) -> Result<Json<StrategyView>, ApiError> {
    get(State(state.clone()), Path(name)).await
}

/// `POST /api/strategies/{name}/enable`: starts a disabled or quarantined strategy again.
#[utoipa::path(post, path = "/api/strategies/{name}/enable", tag = "strategies",
    params(("name" = String, Path, description = "The strategy's name")),
    responses(
        (status = 200, description = "The strategy, enabled", body = Object),
        (status = 404, description = "No such strategy", body = super::error::ErrorBody),
        (status = 409, description = "It does not start", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<StrategyView>, ApiError> {
    state.trading.enable_strategy(&name).await?;
    after(&state, name).await
}

/// `POST /api/strategies/{name}/disable`: stops a strategy without unloading it.
#[utoipa::path(post, path = "/api/strategies/{name}/disable", tag = "strategies",
    params(("name" = String, Path, description = "The strategy's name")),
    responses(
        (status = 200, description = "The strategy, disabled", body = Object),
        (status = 404, description = "No such strategy", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn disable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<StrategyView>, ApiError> {
    state.trading.disable_strategy(&name).await?;
    after(&state, name).await
}

/// `POST /api/strategies/{name}/reload`: reads, compiles and installs `name.wasm` again.
#[utoipa::path(post, path = "/api/strategies/{name}/reload", tag = "strategies",
    params(("name" = String, Path, description = "The strategy's name")),
    responses(
        (status = 200, description = "The strategy, reloaded", body = Object),
        (status = 404, description = "No such strategy", body = super::error::ErrorBody),
        (status = 409, description = "The file does not load; the running version stays", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn reload(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<StrategyView>, ApiError> {
    state.trading.reload_strategy(&name).await?;
    after(&state, name).await
}
