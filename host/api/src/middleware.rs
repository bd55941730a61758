//! The one place a request's token is checked.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{Scope, Tokens};
use super::error::ApiError;

/// The scope a request needs: `read` for `GET` and `HEAD`, `trade` for every other method.
/// Deciding by method (not by a list of routes) means a new mutating route cannot be added
/// without `trade`.
pub fn needed_scope(method: &Method) -> Scope {
    if method == Method::GET || method == Method::HEAD {
        Scope::Read
    } else {
        Scope::Trade
    }
}

/// Refuses a request without a token (`401 unauthorized`, with `WWW-Authenticate: Bearer`),
/// with an unknown one (`401`), or with one whose scope is too small (`403 forbidden`).
/// The token itself is never logged or echoed.
pub async fn authorize(
    State(tokens): State<Arc<Tokens>>,
    request: Request,
    next: Next,
) -> Response {
    let needed = needed_scope(request.method());
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = presented else {
        return unauthorized("this endpoint needs `Authorization: Bearer <token>`");
    };
    match tokens.scope_of(token) {
        None => unauthorized("unknown token"),
        Some((_, scope)) if scope.allows(needed) => next.run(request).await,
        Some((name, scope)) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "token {name:?} has scope `{}`; {} {} needs `{}`",
                scope.as_str(),
                request.method(),
                request.uri().path(),
                needed.as_str()
            ),
        )
        .into_response(),
    }
}

fn unauthorized(why: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}
