//! The live status page at `/`: one HTML file, a script and a style sheet, compiled into the
//! binary (no build step, nothing fetched from elsewhere).
//!
//! The page holds no data of its own: it reads the API with a token it keeps in the tab's
//! `sessionStorage` (given in the address's `#token=` fragment, which browsers never send to
//! a server, or typed in), and follows `GET /api/events` for live updates.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/style.css");

/// The pages are not cached, so a new build's page is seen at once.
const NO_CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-cache");

/// `GET /`: the status page.
#[utoipa::path(get, path = "/", tag = "page",
    responses((status = 200, description = "The status page", body = String, content_type = "text/html")))]
pub async fn index() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), NO_CACHE],
        INDEX,
    )
        .into_response()
}

/// `GET /assets/app.js`.
#[utoipa::path(get, path = "/assets/app.js", tag = "page",
    responses((status = 200, description = "The page's script", body = String, content_type = "text/javascript")))]
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            NO_CACHE,
        ],
        SCRIPT,
    )
        .into_response()
}

/// `GET /assets/style.css`.
#[utoipa::path(get, path = "/assets/style.css", tag = "page",
    responses((status = 200, description = "The page's style sheet", body = String, content_type = "text/css")))]
pub async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), NO_CACHE],
        STYLE,
    )
        .into_response()
}
