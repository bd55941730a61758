//! Serving IB clients: the accept loop, one task per connection, and the state they share.
//!
//! The server sits on the engine and below the switchboard and the control interface: those
//! act on it through [`Shared`], and the simulator starts it (`crate::simulator`).

mod connection;
pub(crate) mod handshake;
mod shared;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub(crate) use self::shared::Shared;

/// Accepts IB clients on `listener`, one task per connection, until `shutdown`; then waits for
/// every connection to close.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    connections.spawn(connection::serve(socket, peer, shared.clone(), shutdown.child_token()));
                }
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    while connections.join_next().await.is_some() {}
}
