//! The server: the listener, one task per connection served by hyper's HTTP/1, each closed
//! when its [`Deadline`] passes, and the graceful shutdown.
//!
//! `axum::serve` would be simpler, but it can set neither a header-read nor an idle timeout,
//! so a client could hold connections (and their tasks and file descriptors) open forever by
//! never finishing a request or never sending one.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

use super::deadline::{BusyBody, Deadline, Expired, Watched};
use super::{AppState, Limits, ServeError, Tokens, router};
use sandtrade_trading::TradingHandle;

/// A running API server.
#[derive(Debug)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Waits until the server has stopped: its shutdown future completed, it stopped
    /// accepting, and every connection ended (idle ones at once, requests in flight once
    /// answered, event streams at once).
    ///
    /// # Errors
    ///
    /// The server's task panicked.
    pub async fn stopped(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)
    }
}

/// [`serve_with_limits`] with the default [`Limits`].
///
/// # Errors
///
/// A [`ServeError`]; nothing was started.
pub async fn serve(
    addr: SocketAddr,
    trading: TradingHandle,
    tokens: Tokens,
    database: &std::path::Path,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Server, ServeError> {
    serve_with_limits(addr, trading, tokens, Limits::DEFAULT, database, shutdown).await
}

/// Checks the tokens against `addr`, binds it, opens the signal log of `database`, and serves
/// the API on the current tokio runtime within `limits` until `shutdown` completes.
///
/// # Errors
///
/// A [`ServeError`]; nothing was started.
pub async fn serve_with_limits(
    addr: SocketAddr,
    trading: TradingHandle,
    tokens: Tokens,
    limits: Limits,
    database: &std::path::Path,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Server, ServeError> {
    tokens.check_bind(addr)?;
    let state = AppState::new(trading, tokens, limits, database)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| ServeError::Bind { addr, error })?;
    let addr = listener
        .local_addr()
        .map_err(|error| ServeError::Bind { addr, error })?;
    let closing = state.closing.clone();
    tokio::spawn({
        let closing = closing.clone();
        async move {
            shutdown.await;
            closing.cancel();
        }
    });
    let task = tokio::spawn(accept(listener, router(state), limits, closing));
    tracing::info!(%addr, "REST API and status page listening");
    Ok(Server { addr, task })
}

/// Accepts connections until `closing`, then waits for those open to end.
async fn accept(listener: TcpListener, app: Router, limits: Limits, closing: CancellationToken) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = closing.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                connections.spawn(connection(stream, app.clone(), limits, closing.clone()));
            }
            // The client gave up before we got to it: nothing to do.
            Err(e) if is_per_connection(&e) => {}
            // Out of file descriptors, most likely: accepting again at once would spin, and
            // open connections will end (their deadlines see to that) and free some.
            Err(e) => {
                tracing::error!("the API cannot accept connections: {e}; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// Serves one connection until it ends, its deadline passes, or (after `closing`) its
/// requests in flight are answered.
async fn connection(stream: TcpStream, app: Router, limits: Limits, closing: CancellationToken) {
    let deadline = Deadline::new(&limits);
    let service = hyper::service::service_fn({
        let deadline = deadline.clone();
        move |request: Request<Incoming>| {
            let busy = deadline.busy();
            let mut app = app.clone();
            async move {
                // A router is always ready: no `poll_ready` needed before `call`.
                let response = app.call(request).await?;
                Ok::<_, Infallible>(response.map(|body| BusyBody::new(body, busy)))
            }
        }
    });
    let io = TokioIo::new(Watched::new(stream, deadline.clone()));
    // Our deadline replaces hyper's header-read timeout (which has no timer to run on here
    // anyway): hyper's would also close a keep-alive connection idle for that long.
    let served = http1::Builder::new()
        .header_read_timeout(None)
        .serve_connection(io, service);
    let mut served = std::pin::pin!(served);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            ended = served.as_mut() => {
                if let Err(e) = ended {
                    tracing::trace!("an API connection ended: {e}");
                }
                return;
            }
            () = closing.cancelled(), if !shutting_down => {
                shutting_down = true;
                served.as_mut().graceful_shutdown();
            }
            why = deadline.expired() => {
                let what = match why {
                    Expired::HeaderRead => "its request head did not arrive in time",
                    Expired::Idle => "it stayed idle too long",
                };
                tracing::debug!("closing an API connection: {what}");
                return;
            }
        }
    }
}
