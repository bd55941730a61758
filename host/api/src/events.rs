//! `GET /api/events`: server-sent events for the status page and anyone else.
//!
//! - `status`: the status snapshot (as `GET /api/ibkr/status`), first at once, then whenever
//!   the trading thread publishes a new one, at most every [`STATUS_EVERY`];
//! - `trading`: each trading event as it happens (fills, order states, connection, drift...);
//! - `lagged`: this listener fell behind and lost that many trading events.
//!
//! The stream ends when the server shuts down or the trading loop ends.
//!
//! At most [`Limits::max_event_streams`](super::Limits::max_event_streams) are open at once:
//! each holds the server's attention for as long as the client likes, so one more is answered
//! `503 too-many-event-streams`. A stream's place is freed when it ends, however it ends (the
//! client goes, the server shuts down): the permit is dropped with the stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

use super::AppState;
use super::error::ApiError;
use super::system::StatusBody;
use sandtrade_trading::ConnectionState;

/// The most status pictures a listener gets per second is 1 / this.
pub const STATUS_EVERY: Duration = Duration::from_millis(250);

/// `GET /api/events`.
#[utoipa::path(get, path = "/api/events", tag = "system",
    responses((status = 200, description = "Server-sent events: `status` (the status \
        snapshot), `trading` (each trading event), `lagged` (events lost)", body = String,
        content_type = "text/event-stream"),
        (status = 503, description = "`too-many-event-streams`: as many streams as the \
            server allows are open", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn stream(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let max = state.limits.max_event_streams;
    let permit = state
        .event_streams
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too-many-event-streams",
                format!(
                    "{max} event streams are open, as many as this server allows; \
                     close one or try again later"
                ),
            )
            .with_detail(serde_json::json!({ "max_event_streams": max }))
        })?;
    let statuses = tokio_stream::StreamExt::throttle(
        WatchStream::new(state.trading.watch_status()),
        STATUS_EVERY,
    )
    .map(|status| {
        event(
            "status",
            &StatusBody {
                connected: status.connection.state == ConnectionState::Connected,
                status: &status,
            },
        )
    });
    let events = BroadcastStream::new(state.trading.subscribe()).map(|item| match item {
        Ok(e) => event("trading", &e),
        Err(BroadcastStreamRecvError::Lagged(n)) => {
            Event::default().event("lagged").data(n.to_string())
        }
    });
    let closing = state.closing.clone();
    let merged = futures::stream::select(statuses, events)
        .take_until(async move { closing.cancelled().await })
        .map(move |event| {
            // The stream owns the permit: it is given back when the stream is dropped.
            let _open = &permit;
            Ok(event)
        });
    Ok(Sse::new(merged).keep_alive(KeepAlive::default()))
}

fn event(name: &str, data: &impl serde::Serialize) -> Event {
    match Event::default().event(name).json_data(data) {
        Ok(event) => event,
        Err(e) => Event::default().event("error").data(e.to_string()),
    }
}
