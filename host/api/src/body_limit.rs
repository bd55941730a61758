//! The request body limit, for every route in one place: a body is read here, up to
//! [`Limits::max_body_bytes`](super::Limits::max_body_bytes), before any route sees it, so no
//! extractor or handler can be made to hold more. A larger body is answered
//! `413 body-too-large` as soon as that is known: at once when `Content-Length` says so,
//! otherwise when the bytes read pass the limit (a chunked body declares no length).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::error::ApiError;

/// Reads the body of `request` (at most `max` bytes) and passes it on, or answers `413`.
pub async fn limit(State(max): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return too_large(max);
    }
    let (parts, body) = request.into_parts();
    let mut chunks = body.into_data_stream();
    let mut read = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable-body",
                    format!("the request body could not be read: {e}"),
                )
                .into_response();
            }
        };
        if read.len() + chunk.len() > max {
            return too_large(max);
        }
        read.extend_from_slice(&chunk);
    }
    next.run(Request::from_parts(parts, Body::from(read))).await
}

/// `413 body-too-large`, with `Connection: close`: the rest of the body is never read, so
/// the connection cannot carry another request, and a client that pooled it would send its
/// next request into a closed socket.
fn too_large(max: usize) -> Response {
    let mut response = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        format!("the request body is larger than the {max} bytes this API accepts"),
    )
    .with_detail(serde_json::json!({ "max_bytes": max }))
    .into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}
