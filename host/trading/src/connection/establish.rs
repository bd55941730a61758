//! Making a connection: connect, open the order-event stream, read what IB knows. One future
//! that touches no state of the loop, so commands are answered while it runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use ibapi::accounts::types::AccountId;
use ibapi::accounts::{PnL, PositionUpdate};
use ibapi::orders::OrderUpdate;
use ibapi::subscriptions::{Subscription, SubscriptionItem};
use sandtrade_broker::safety::TradingMode;
use sandtrade_broker::session::{self, ConnectError, Connected};
use sandtrade_broker::{IbConfig, wire};
use sandtrade_orders::BrokerSnapshot;
use tokio_stream::StreamExt;

/// What [`establish`] brings back: a connection, its streams, and everything IB knows.
pub(crate) struct Established {
    pub(crate) connected: Connected,
    pub(crate) orders: Subscription<OrderUpdate>,
    pub(crate) positions: Subscription<PositionUpdate>,
    /// The account's P&L (`None` when IB refused it: the loss limits are then unwatched,
    /// which is logged).
    pub(crate) pnl: Option<Subscription<PnL>>,
    /// The account's positions by contract symbol, as IB reported them at connect.
    pub(crate) broker_positions: BTreeMap<String, f64>,
    /// Open orders, executions and the next valid id: what reconciliation reads.
    pub(crate) snapshot: BrokerSnapshot,
}

/// Why [`establish`] failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EstablishError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Snapshot(#[from] session::SnapshotError),
    #[error("{0}")]
    Other(String),
}

impl EstablishError {
    /// Whether trying again can help: a paper/live mismatch, for one, never goes away.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(e) => e.is_retryable(),
            Self::Snapshot(_) | Self::Other(_) => true,
        }
    }
}

/// Connects, opens the order-event stream *before* reading what IB knows (so no event falls
/// between the two; one that arrives both ways is applied idempotently), reads the
/// reconciliation snapshot and the account's positions.
pub(crate) async fn establish(
    ib: Arc<IbConfig>,
    mode: TradingMode,
) -> Result<Established, EstablishError> {
    let connected = session::connect(&ib, mode).await?;
    let client = Arc::clone(&connected.client);
    let orders = client
        .order_update_stream()
        .await
        .map_err(|e| EstablishError::Other(format!("cannot open the order event stream: {e}")))?;
    let snapshot = session::snapshot(
        &client,
        connected.client_id,
        &ib.account,
        ib.request_timeout,
    )
    .await?;
    let mut positions = client
        .positions()
        .await
        .map_err(|e| EstablishError::Other(format!("cannot read positions: {e}")))?;
    let mut broker_positions = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + ib.request_timeout;
    loop {
        match tokio::time::timeout_at(deadline, positions.next()).await {
            Err(_) => {
                return Err(EstablishError::Other(
                    "positions: no end marker within the request timeout".into(),
                ));
            }
            Ok(Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(p))))) => {
                if let Some((symbol, shares)) = wire::stock_position(&p, &ib.account) {
                    broker_positions.insert(symbol, shares);
                }
            }
            Ok(Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd)))) => break,
            Ok(Some(Ok(SubscriptionItem::Notice(n)))) => {
                tracing::info!(code = n.code, "positions: {}", n.message);
            }
            Ok(Some(Err(e))) => return Err(EstablishError::Other(format!("positions: {e}"))),
            Ok(None) => return Err(EstablishError::Other("positions: stream ended".into())),
        }
    }
    let pnl = match client.pnl(&AccountId(ib.account.clone()), None).await {
        Ok(pnl) => Some(pnl),
        Err(e) => {
            tracing::error!("the account's P&L cannot be watched (loss limits unwatched): {e}");
            None
        }
    };
    Ok(Established {
        connected,
        orders,
        positions,
        pnl,
        broker_positions,
        snapshot,
    })
}
