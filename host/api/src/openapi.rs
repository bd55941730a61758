//! The OpenAPI document, generated from the same route table that serves the requests: a
//! route is added with `routes!(handler)`, which both routes it and documents it (its
//! `#[utoipa::path]`), so the document cannot omit a served path. A test requests every
//! documented path and method over HTTP and checks that each is served
//! (`tests/tests/api/openapi.rs`).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, events, ibkr, orders, page, signals, strategies, system};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sandtrade API",
        description = "Status and control of a Sandtrade host: the /api/ibkr endpoints users \
            already script against, and beyond them. Every /api route but this document, and /metrics, needs \
            `Authorization: Bearer <token>`: a `read` token for GET, a `trade` token for every \
            other method. Errors are {error, code, detail}."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "ibkr", description = "The IBKR connection, account and market data"),
        (name = "orders", description = "Orders: place, cancel, read back"),
        (name = "strategies", description = "Installed strategies"),
        (name = "signals", description = "The signal log"),
        (name = "trading", description = "Halt and resume"),
        (name = "system", description = "Health, metrics, events, this document"),
        (name = "page", description = "The status page")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes that need a token (the caller adds the middleware that checks it).
pub fn protected() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ibkr::status))
        .routes(routes!(ibkr::connect))
        .routes(routes!(ibkr::disconnect))
        .routes(routes!(ibkr::account))
        .routes(routes!(ibkr::positions))
        .routes(routes!(ibkr::quote))
        .routes(routes!(orders::list))
        .routes(routes!(orders::place))
        .routes(routes!(orders::get, orders::modify, orders::cancel))
        .routes(routes!(orders::settle))
        .routes(routes!(strategies::list))
        .routes(routes!(strategies::get))
        .routes(routes!(strategies::enable))
        .routes(routes!(strategies::disable))
        .routes(routes!(strategies::reload))
        .routes(routes!(signals::list))
        .routes(routes!(system::halt))
        .routes(routes!(system::resume))
        .routes(routes!(system::metrics))
        .routes(routes!(events::stream))
}

/// The routes anyone may read: no account data behind them.
pub fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(system::healthz))
        .routes(routes!(document_handler))
        .routes(routes!(page::index))
        .routes(routes!(page::script))
        .routes(routes!(page::style))
}

/// The document of [`protected`] and [`public`] together.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        protected()
            .merge(public())
            .into_openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

/// `GET /api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn document_handler() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
