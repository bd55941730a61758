//! Every error the API answers: `{"error": "what went wrong", "code": "stable-code",
//! "detail": ...}` with the status that fits, and the JSON and query extractors that answer
//! bad input the same way.
//!
//! Client mistakes (4xx) are not logged: they are the client's to read. An internal cause is
//! answered with a generic 500 and logged once, by the handler that saw it.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use sandtrade_core::{RejectCode, Rejection};
use sandtrade_trading::CommandError;

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub error: String,
    /// A stable code, for programs: `unauthorized`, `forbidden`, `invalid-json`,
    /// `invalid-body`, `invalid-query`, `body-too-large`, `unreadable-body`, `not-found`,
    /// `no-route`, `conflict`, `unavailable`, `too-many-event-streams`,
    /// `sell-exceeds-position`, `stopped`, `internal`, or a risk refusal's code
    /// (`short-not-allowed`, `position-limit`, `lot-size`, `trading-halted`, ...).
    pub code: String,
    /// More about it (the values involved), or `null`.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error with no detail.
    pub fn new(status: StatusCode, code: &str, error: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: error.into(),
                code: code.to_owned(),
                detail: serde_json::Value::Null,
            },
        }
    }

    /// Adds a detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.body.detail = detail;
        self
    }

    /// `404 not-found`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", what)
    }

    /// `422 invalid-body`: a body that parsed but says something impossible.
    pub fn invalid_body(why: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", why)
    }

    /// `500 internal`, logged here once; the client learns nothing of the cause.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!("API request failed: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (logged on the server)",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Stopped => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stopped",
                "the trading loop has stopped",
            ),
            CommandError::NotFound(what) => Self::not_found(format!("not found: {what}")),
            CommandError::Refused(why) => Self::new(StatusCode::CONFLICT, "conflict", why),
            CommandError::Unavailable(why) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", why)
            }
        }
    }
}

impl From<Rejection> for ApiError {
    /// A risk refusal: `422` with the refusal's code, but `409` for a halt (the server's
    /// state, not the order, is the problem), `429` for the rate limit and `503` when the
    /// host could not store the order.
    fn from(r: Rejection) -> Self {
        let status = match r.code {
            RejectCode::TradingHalted => StatusCode::CONFLICT,
            RejectCode::RateLimit => StatusCode::TOO_MANY_REQUESTS,
            RejectCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, r.code.as_str(), r.message)
    }
}

/// The answer to a path no route serves.
pub async fn no_route(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no-route",
        format!("no such endpoint: {}", uri.path()),
    )
    .with_detail(serde_json::json!({ "openapi": "/api/openapi.json" }))
}

/// `axum::Json`, with bad bodies answered as [`ApiError`]s: `415 unsupported-media-type`
/// without `Content-Type: application/json`, `400 invalid-json` for bad syntax, `422
/// invalid-body` for a wrong field, type or unknown field (every body type denies unknown
/// fields).
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match rejection {
            JsonRejection::MissingJsonContentType(_) => "unsupported-media-type",
            JsonRejection::JsonSyntaxError(_) => "invalid-json",
            _ => "invalid-body",
        };
        ApiError::new(rejection.status(), code, rejection.body_text())
    }
}

/// `axum::extract::Query`, with bad queries answered `400 invalid-query`.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            rejection.body_text(),
        )
    }
}
