//! A connection that is up and reconciled: the client, the streams the loop listens to, and
//! the heartbeat in flight.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use ibapi::Client;
use ibapi::accounts::{PnL, PositionUpdate};
use ibapi::orders::OrderUpdate;
use ibapi::subscriptions::{NoticeStream, Subscription, SubscriptionItem};
use tokio_stream::StreamExt;

/// One input from the connected session.
#[expect(
    clippy::large_enum_variant,
    reason = "made and consumed once per loop turn, on the stack; boxing would allocate per IB event"
)]
pub(crate) enum SessionEvent {
    /// An order event (`None`: the stream ended, the connection closed).
    Order(Option<Result<SubscriptionItem<OrderUpdate>, ibapi::Error>>),
    /// A notice not tied to a request (`None`: the stream ended).
    Notice(Option<ibapi::Notice>),
    /// A position update of the account (`None`: the stream ended).
    Position(Option<Result<SubscriptionItem<PositionUpdate>, ibapi::Error>>),
    /// An update of the account's P&L (`None`: the stream ended).
    Pnl(Option<Result<SubscriptionItem<PnL>, ibapi::Error>>),
    /// The answer to the heartbeat in flight.
    Heartbeat(Result<(), ibapi::Error>),
}

/// What a heartbeat found.
#[derive(Debug, PartialEq)]
pub(crate) enum Beat {
    /// Nothing to do yet.
    Quiet,
    /// It is time to send one, if the pacer has room.
    Due,
    /// The last one went unanswered for this long: the gateway is silent.
    Unanswered(Duration),
}

/// The connected session.
pub(crate) struct Session {
    client: Arc<Client>,
    client_id: i32,
    orders: Subscription<OrderUpdate>,
    notices: NoticeStream,
    positions: Subscription<PositionUpdate>,
    /// The account's P&L, when IB gave it (the loss limits watch it).
    pnl: Option<Subscription<PnL>>,
    /// A `reqCurrentTime` in flight, and when it was sent.
    heartbeat: Option<(Instant, LocalBoxFuture<'static, Result<(), ibapi::Error>>)>,
    next_heartbeat: Instant,
}

impl Session {
    /// The session of a connection that was just established and reconciled.
    pub(crate) fn new(
        client: Arc<Client>,
        client_id: i32,
        notices: NoticeStream,
        orders: Subscription<OrderUpdate>,
        positions: Subscription<PositionUpdate>,
        pnl: Option<Subscription<PnL>>,
        first_heartbeat: Instant,
    ) -> Self {
        Self {
            client,
            client_id,
            orders,
            notices,
            positions,
            pnl,
            heartbeat: None,
            next_heartbeat: first_heartbeat,
        }
    }

    /// The IB client.
    pub(crate) fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The client id it connected with.
    pub(crate) fn client_id(&self) -> i32 {
        self.client_id
    }

    /// When the heartbeat needs attention next: its answer's deadline, or the next send.
    pub(crate) fn heartbeat_deadline(&self, timeout: Duration) -> Instant {
        match &self.heartbeat {
            Some((sent, _)) => *sent + timeout,
            None => self.next_heartbeat,
        }
    }

    /// Where the heartbeat stands at `now`.
    pub(crate) fn beat(&self, now: Instant, timeout: Duration) -> Beat {
        match &self.heartbeat {
            Some((sent, _)) if now.duration_since(*sent) >= timeout => {
                Beat::Unanswered(now.duration_since(*sent))
            }
            Some(_) => Beat::Quiet,
            None if now >= self.next_heartbeat => Beat::Due,
            None => Beat::Quiet,
        }
    }

    /// Sends a heartbeat (`reqCurrentTime`) now; its answer arrives as
    /// [`SessionEvent::Heartbeat`].
    pub(crate) fn send_heartbeat(&mut self, now: Instant) {
        let client = Arc::clone(&self.client);
        self.heartbeat = Some((
            now,
            async move { client.server_time().await.map(drop) }.boxed_local(),
        ));
    }

    /// Puts the next heartbeat off until `at` (the pacer has no room now).
    pub(crate) fn defer_heartbeat(&mut self, at: Instant) {
        self.next_heartbeat = at;
    }

    /// The heartbeat was answered at `now`: its round trip, if one was in flight; the next
    /// goes `interval` later.
    pub(crate) fn heartbeat_answered(
        &mut self,
        now: Instant,
        interval: Duration,
    ) -> Option<Duration> {
        let (sent, _) = self.heartbeat.take()?;
        self.next_heartbeat = now + interval;
        Some(now.duration_since(sent))
    }

    /// Forgets the P&L stream (it failed or ended).
    pub(crate) fn drop_pnl(&mut self) {
        self.pnl = None;
    }

    /// Disconnects the client (the streams end with it).
    pub(crate) async fn close(self) {
        self.client.disconnect().await;
    }

    /// The next input of the session.
    pub(crate) async fn next_event(&mut self) -> SessionEvent {
        let Self {
            orders,
            notices,
            positions,
            pnl,
            heartbeat,
            ..
        } = self;
        tokio::select! {
            biased;
            item = orders.next() => SessionEvent::Order(item),
            result = async { heartbeat.as_mut().expect("guarded").1.as_mut().await }, if heartbeat.is_some() => {
                SessionEvent::Heartbeat(result)
            }
            notice = notices.next() => SessionEvent::Notice(notice),
            item = positions.next() => SessionEvent::Position(item),
            item = async { pnl.as_mut().expect("guarded").next().await }, if pnl.is_some() => {
                SessionEvent::Pnl(item)
            }
        }
    }
}
