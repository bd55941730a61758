//! The one IB connection: its life (`disconnected → connecting → reconciling → connected`),
//! reconnects with backoff, the heartbeat, and the pacer every outgoing message goes
//! through.
//!
//! A connect runs as one future ([`establish`]) that touches no state here, so the loop
//! answers commands while it runs; the loop then reconciles what it brought back with the
//! order store before [`Connection::up`] makes the session live. Nothing is sent before that.

mod establish;
pub(crate) mod queries;
mod session;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use ibapi::Client;
use ibapi::accounts::{PnL, PositionUpdate};
use ibapi::orders::OrderUpdate;
use ibapi::subscriptions::Subscription;
use rand_core::Rng;
use sandtrade_broker::IbConfig;
use sandtrade_broker::backoff::Backoff;
use sandtrade_broker::pacer::Pacer;
use sandtrade_broker::safety::{self, TradingMode};
use sandtrade_broker::session::Connected;
use sandtrade_core::clock::{self, DurationText};

pub(crate) use self::establish::{EstablishError, Established};
pub(crate) use self::session::SessionEvent;
use self::session::{Beat, Session};
use crate::events::{Events, TradingEvent};
use crate::handle::ConnectTarget;
use crate::status::{ConnectionState, ConnectionStatus};

/// What the connection brings the loop.
#[expect(
    clippy::large_enum_variant,
    reason = "made and consumed once per loop turn, on the stack; boxing would allocate per IB event"
)]
pub(crate) enum ConnectionEvent {
    /// A connect finished, well or not.
    Established(Result<Established, EstablishError>),
    /// An input of the connected session.
    Session(SessionEvent),
}

/// The connection and everything about it.
pub(crate) struct Connection {
    ib: Arc<IbConfig>,
    mode: TradingMode,
    status: ConnectionStatus,
    session: Option<Session>,
    connecting: Option<LocalBoxFuture<'static, Result<Established, EstablishError>>>,
    /// When the next connect is due (`None`: now, unless held down).
    retry_at: Option<Instant>,
    backoff: Backoff,
    /// Jitter of the reconnect delays.
    rng: rand_xorshift::XorShiftRng,
    pacer: Pacer,
    events: Events,
    /// The state changed since the loop last asked: the status is published at once.
    urgent: bool,
}

impl Connection {
    /// Disconnected; the first connect is due at once.
    pub(crate) fn new(ib: IbConfig, mode: TradingMode, events: Events) -> Self {
        let seed = u64::try_from(clock::unix_ms()).unwrap_or(0) ^ u64::from(std::process::id());
        Self {
            status: ConnectionStatus {
                state: ConnectionState::Disconnected,
                address: ib.address(),
                client_id: None,
                since_ms: clock::unix_ms(),
                connects: 0,
                last_error: None,
                ib_connectivity: true,
                farms: BTreeMap::new(),
                heartbeat_rtt_us: None,
                held_down: false,
            },
            pacer: Pacer::new(ib.messages_per_second, ib.message_burst),
            backoff: Backoff::new(ib.reconnect_initial, ib.reconnect_max),
            rng: rand_core::SeedableRng::seed_from_u64(seed),
            ib: Arc::new(ib),
            mode,
            session: None,
            connecting: None,
            retry_at: None,
            events,
            urgent: false,
        }
    }

    /// The `[ib]` settings in use (the account and address may have been retargeted).
    pub(crate) fn ib(&self) -> &IbConfig {
        &self.ib
    }

    /// Paper or live.
    pub(crate) fn mode(&self) -> TradingMode {
        self.mode
    }

    /// The connection's part of the status.
    pub(crate) fn status(&self) -> &ConnectionStatus {
        &self.status
    }

    /// Whether the state changed since the last call (and clears it).
    pub(crate) fn take_urgent(&mut self) -> bool {
        std::mem::take(&mut self.urgent)
    }

    /// The client and client id of a reconciled session, if there is one.
    pub(crate) fn client(&self) -> Option<(&Arc<Client>, i32)> {
        self.session.as_ref().map(|s| (s.client(), s.client_id()))
    }

    /// Whether a reconciled session is up.
    pub(crate) fn is_up(&self) -> bool {
        self.session.is_some()
    }

    /// Whether orders may be written: up, and IB ↔ TWS connectivity not lost (1100).
    pub(crate) fn can_send(&self) -> bool {
        self.session.is_some() && self.status.ib_connectivity
    }

    /// The pacer every outgoing message goes through.
    pub(crate) fn pacer(&mut self) -> &mut Pacer {
        &mut self.pacer
    }

    /// The pacer, read only (for the status).
    pub(crate) fn pacer_figures(&self, now: Instant) -> (u64, u32) {
        (self.pacer.sent(), self.pacer.available(now))
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.status.state != state {
            self.status.state = state;
            self.status.since_ms = clock::unix_ms();
            self.urgent = true;
        }
    }

    /// Whether a connect should start now: none is up or under way, the operator does not
    /// hold the connection down, and the backoff delay has passed.
    pub(crate) fn connect_due(&self, now: Instant) -> bool {
        self.session.is_none()
            && self.connecting.is_none()
            && !self.status.held_down
            && self.retry_at.is_none_or(|at| at <= now)
    }

    /// Starts a connect in the background; its outcome arrives as
    /// [`ConnectionEvent::Established`].
    pub(crate) fn start_connect(&mut self) {
        self.set_state(ConnectionState::Connecting);
        self.connecting = Some(establish::establish(Arc::clone(&self.ib), self.mode).boxed_local());
    }

    /// When the connection needs the loop's timer next: a reconnect, or the heartbeat.
    pub(crate) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        match &self.session {
            Some(session) => Some(session.heartbeat_deadline(self.ib.heartbeat_timeout)),
            None if self.connecting.is_none() && !self.status.held_down => {
                Some(self.retry_at.unwrap_or(now))
            }
            None => None,
        }
    }

    /// The next input: a finished connect or an event of the session; pending forever if
    /// there is neither.
    pub(crate) async fn next(&mut self) -> ConnectionEvent {
        let Self {
            session,
            connecting,
            ..
        } = self;
        tokio::select! {
            biased;
            event = async { session.as_mut().expect("guarded").next_event().await }, if session.is_some() => {
                ConnectionEvent::Session(event)
            }
            result = async { connecting.as_mut().expect("guarded").await }, if connecting.is_some() => {
                *connecting = None;
                ConnectionEvent::Established(result)
            }
            else => std::future::pending().await,
        }
    }

    /// A connect failed for good (e.g. a paper/live mismatch): nothing is retried.
    pub(crate) fn refused(&mut self, why: &str) {
        tracing::error!("{why}");
        self.set_state(ConnectionState::Refused);
        self.status.last_error = Some(why.to_owned());
        self.events.emit(TradingEvent::ConnectFailed {
            reason: why.to_owned(),
            retry_in_ms: None,
        });
    }

    /// A connect failed; the next is scheduled after the backoff delay.
    pub(crate) fn connect_failed(&mut self, why: String) {
        let delay = self.next_delay();
        tracing::warn!(
            attempt = self.backoff.attempts(),
            retry_in_ms = delay.as_millis(),
            "IB connection failed: {why}"
        );
        self.status.last_error = Some(why.clone());
        self.set_state(ConnectionState::Disconnected);
        self.retry_at = Some(Instant::now() + delay);
        self.events.emit(TradingEvent::ConnectFailed {
            reason: why,
            retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
        });
    }

    fn next_delay(&mut self) -> Duration {
        let jitter = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        self.backoff.next_delay(jitter)
    }

    /// A connect came up as `client_id`: reconciliation starts (nothing is sent until
    /// [`up`](Self::up)).
    pub(crate) fn reconciling(&mut self, client_id: i32) {
        self.set_state(ConnectionState::Reconciling);
        self.status.client_id = Some(client_id);
        self.status.connects += 1;
        self.status.ib_connectivity = true;
        self.events.emit(TradingEvent::Connected { client_id });
    }

    /// Reconciliation is done: the session goes live.
    pub(crate) fn up(
        &mut self,
        connected: Connected,
        orders: Subscription<OrderUpdate>,
        positions: Subscription<PositionUpdate>,
        pnl: Option<Subscription<PnL>>,
    ) {
        self.backoff.reset();
        let now = Instant::now();
        self.session = Some(Session::new(
            connected.client,
            connected.client_id,
            connected.notices,
            orders,
            positions,
            pnl,
            now + self.ib.heartbeat_interval,
        ));
        self.set_state(ConnectionState::Connected);
        self.status.last_error = None;
    }

    /// Forgets the session's P&L stream (it failed or ended).
    pub(crate) fn drop_pnl(&mut self) {
        if let Some(session) = &mut self.session {
            session.drop_pnl();
        }
    }

    /// Ends the session: the client is shut down and a reconnect is scheduled with backoff
    /// (unless the operator holds the connection down). Returns whether there was a session
    /// to end; the caller then forgets what lived on it (subscriptions, requests).
    pub(crate) async fn lose(&mut self, why: String) -> bool {
        let Some(session) = self.session.take() else {
            return false;
        };
        tracing::warn!("IB connection lost: {why}");
        session.close().await;
        self.status.client_id = None;
        self.status.last_error = Some(why.clone());
        self.status.heartbeat_rtt_us = None;
        self.status.farms.clear();
        self.set_state(ConnectionState::Disconnected);
        self.events.emit(TradingEvent::Disconnected { reason: why });
        let delay = self.next_delay();
        self.retry_at = Some(Instant::now() + delay);
        true
    }

    /// Sends the heartbeat when due; returns why the connection must be given up if the last
    /// one went unanswered too long.
    pub(crate) fn heartbeat(&mut self, now: Instant) -> Option<String> {
        let timeout = self.ib.heartbeat_timeout;
        let session = self.session.as_mut()?;
        match session.beat(now, timeout) {
            Beat::Unanswered(waited) => Some(format!(
                "no answer to the heartbeat (reqCurrentTime) in {}: the gateway is silent",
                DurationText(waited)
            )),
            Beat::Due if self.pacer.try_take(now) => {
                session.send_heartbeat(now);
                None
            }
            Beat::Due => {
                session.defer_heartbeat(self.pacer.next_free(now));
                None
            }
            Beat::Quiet => None,
        }
    }

    /// The heartbeat's answer; returns why the connection must be given up if it failed.
    pub(crate) fn heartbeat_answered(
        &mut self,
        result: Result<(), ibapi::Error>,
    ) -> Option<String> {
        let session = self.session.as_mut()?;
        let rtt = session.heartbeat_answered(Instant::now(), self.ib.heartbeat_interval)?;
        match result {
            Ok(()) => {
                self.status.heartbeat_rtt_us =
                    Some(u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX));
                None
            }
            Err(e) => Some(format!("heartbeat failed: {e}")),
        }
    }

    /// Points the next connection at `target`, checked against the paper/live rules like the
    /// configuration file, and abandons a connect in progress to the old address. The caller
    /// drops the current session and releases the hold ([`hold_down`](Self::hold_down)).
    ///
    /// # Errors
    ///
    /// Why the port or the account contradicts the mode.
    pub(crate) fn retarget(&mut self, target: ConnectTarget) -> Result<String, String> {
        let account = target.account.unwrap_or_else(|| self.ib.account.clone());
        let problems = safety::check_config(self.mode, target.port, &account);
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let mut ib = IbConfig::clone(&self.ib);
        ib.host = target.host;
        ib.port = target.port;
        ib.client_id = target.client_id;
        ib.fallback_client_ids.retain(|id| *id != target.client_id);
        ib.account = account;
        self.status.address = ib.address();
        self.ib = Arc::new(ib);
        if self.connecting.take().is_some() {
            self.set_state(ConnectionState::Disconnected);
        }
        Ok(self.status.address.clone())
    }

    /// Whether the operator holds the connection down (`sandtrade` stays disconnected until
    /// released; a connect in progress is abandoned).
    pub(crate) fn hold_down(&mut self, held: bool) {
        self.status.held_down = held;
        if held && self.connecting.take().is_some() {
            // A connect in progress is abandoned with its half-made session.
            self.set_state(ConnectionState::Disconnected);
        }
        if !held {
            self.retry_at = None;
            self.backoff.reset();
        }
    }

    /// Whether the operator holds the connection down.
    pub(crate) fn is_held_down(&self) -> bool {
        self.status.held_down
    }

    /// IB ↔ TWS connectivity (1100: lost; 1101/1102: restored).
    pub(crate) fn set_ib_connectivity(&mut self, up: bool) {
        self.status.ib_connectivity = up;
    }

    /// A data farm's state; returns whether it was broken before.
    pub(crate) fn set_farm(&mut self, farm: String, ok: bool) -> bool {
        self.status.farms.insert(farm, ok) == Some(false)
    }

    /// A farm reported idle: known, and OK unless it was reported broken.
    pub(crate) fn farm_idle(&mut self, farm: String) {
        self.status.farms.entry(farm).or_insert(true);
    }

    /// Disconnects for good (the loop is stopping).
    pub(crate) async fn close(&mut self) {
        if let Some(session) = self.session.take() {
            session.close().await;
        }
        self.connecting = None;
        self.set_state(ConnectionState::Disconnected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ib() -> IbConfig {
        let mut p = sandtrade_core::settings::Problems::default();
        let table: toml::Table =
            "port = 4002\nclient_id = 7\naccount = \"DU1234567\"\nreconnect_initial_ms = 100\n\
             reconnect_max_ms = 400\n"
                .parse()
                .unwrap();
        let ib = IbConfig::read(table, &mut p);
        assert!(p.is_empty(), "{:?}", p.into_vec());
        ib
    }

    fn connection() -> (Connection, tokio::sync::broadcast::Receiver<TradingEvent>) {
        let events = Events::new();
        let listener = events.subscribe();
        (Connection::new(ib(), TradingMode::Paper, events), listener)
    }

    #[test]
    fn a_fresh_connection_wants_to_connect_at_once() {
        let (c, _) = connection();
        let now = Instant::now();
        assert!(c.connect_due(now));
        assert_eq!(c.next_deadline(now), Some(now));
        assert_eq!(c.status().state, ConnectionState::Disconnected);
        assert!(!c.is_up() && !c.can_send());
    }

    #[test]
    fn a_failed_connect_waits_out_the_backoff_and_says_when_it_retries() {
        let (mut c, mut events) = connection();
        c.connect_failed("refused".into());
        let now = Instant::now();
        assert!(!c.connect_due(now), "the first retry waits about 100 ms");
        let due = c.next_deadline(now).unwrap();
        assert!(due > now && due <= now + Duration::from_millis(400));
        assert!(c.connect_due(due));
        assert_eq!(c.status().last_error.as_deref(), Some("refused"));
        match events.try_recv().unwrap() {
            TradingEvent::ConnectFailed {
                reason,
                retry_in_ms: Some(ms),
            } => assert!(reason == "refused" && ms <= 400, "{ms}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refusal_is_final() {
        let (mut c, mut events) = connection();
        c.refused("mode = \"paper\" but a live account");
        assert_eq!(c.status().state, ConnectionState::Refused);
        assert!(c.take_urgent());
        assert!(!c.take_urgent(), "taken once");
        assert!(matches!(
            events.try_recv().unwrap(),
            TradingEvent::ConnectFailed {
                retry_in_ms: None,
                ..
            }
        ));
    }

    #[test]
    fn holding_down_stops_connects_until_released() {
        let (mut c, _) = connection();
        c.connect_failed("refused".into());
        c.hold_down(true);
        let later = Instant::now() + Duration::from_secs(60);
        assert!(!c.connect_due(later));
        assert_eq!(c.next_deadline(later), None);
        c.hold_down(false);
        assert!(
            c.connect_due(Instant::now()),
            "released: at once, backoff reset"
        );
    }

    #[test]
    fn retargeting_checks_the_mode_and_keeps_the_account_unless_given() {
        let (mut c, _) = connection();
        let refused = c.retarget(ConnectTarget {
            host: "127.0.0.1".into(),
            port: 7496,
            client_id: 3,
            account: None,
        });
        assert!(refused.unwrap_err().contains("TWS's live port"));
        let address = c
            .retarget(ConnectTarget {
                host: "10.0.0.2".into(),
                port: 7497,
                client_id: 3,
                account: None,
            })
            .unwrap();
        assert_eq!(address, "10.0.0.2:7497");
        assert_eq!(
            (c.ib().client_id, c.ib().account.as_str()),
            (3, "DU1234567")
        );
        assert_eq!(c.status().address, "10.0.0.2:7497");
    }

    #[test]
    fn farms_remember_whether_they_were_broken() {
        let (mut c, _) = connection();
        c.farm_idle("usfarm".into());
        assert!(!c.set_farm("usfarm".into(), false));
        assert!(c.set_farm("usfarm".into(), true), "it was broken");
        assert_eq!(c.status().farms.get("usfarm"), Some(&true));
    }

    #[tokio::test]
    async fn losing_a_connection_that_is_not_up_does_nothing() {
        let (mut c, mut events) = connection();
        assert!(!c.lose("gone".into()).await);
        assert!(events.try_recv().is_err());
        assert_eq!(c.heartbeat(Instant::now()), None);
    }
}
