//! A connection's deadline: how long it may go on without a request being served.
//!
//! hyper's HTTP/1 server has a header-read timeout but no idle timeout, and runs that one
//! timer across the idle wait too, so a keep-alive connection would be closed after the
//! header-read timeout, not the idle one. So the server tracks each connection itself:
//!
//! - **head**: from when it opened, and from the first byte after an idle spell, the whole
//!   request head must arrive within the header-read timeout, however it is dribbled;
//! - **busy**: from when hyper hands a request to the router until its response's body has
//!   been sent (or dropped), no deadline: the request timeout bounds a handler, and an event
//!   stream is meant to last;
//! - **idle**: after a response, the next request must begin within the idle timeout.
//!
//! The server closes the connection when [`Deadline::expired`] completes. Three hooks feed
//! it: [`Watched`] (the socket: a byte read while idle), [`Deadline::busy`] (the router got a
//! request) and [`Busy`] (its guard, carried by the response body, [`BusyBody`]).

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::limits::Limits;

/// What a connection is doing, which decides how long it may go on.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Receiving a request's head, since then.
    Head(Instant),
    /// This many requests are being served.
    Busy(usize),
    /// Waiting for the next request, since then.
    Idle(Instant),
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// A request's head did not arrive in time.
    HeaderRead,
    /// No request began in time.
    Idle,
}

/// One connection's deadline.
#[derive(Debug)]
pub struct Deadline {
    phase: Mutex<Phase>,
    changed: Notify,
    header_read: Duration,
    idle: Duration,
}

impl Deadline {
    /// A connection that has just opened: its first request's head is due.
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::Head(Instant::now())),
            changed: Notify::new(),
            header_read: limits.header_read_timeout,
            idle: limits.idle_timeout,
        })
    }

    /// The router got a request: no deadline until the returned guard is dropped (with the
    /// response's body).
    pub fn busy(self: &Arc<Self>) -> Busy {
        self.update(|phase| match phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            Phase::Head(_) | Phase::Idle(_) => Phase::Busy(1),
        });
        Busy(self.clone())
    }

    /// Completes when the connection's current deadline passes (never while busy).
    pub async fn expired(&self) -> Expired {
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            // Registered before the phase is read, so a change in between still wakes us.
            changed.as_mut().enable();
            match self.due() {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    fn due(&self) -> Option<(Instant, Expired)> {
        match *self.lock() {
            Phase::Head(since) => Some((since + self.header_read, Expired::HeaderRead)),
            Phase::Idle(since) => Some((since + self.idle, Expired::Idle)),
            Phase::Busy(_) => None,
        }
    }

    /// Bytes arrived: after an idle spell they begin a request head, which is now due.
    fn on_read(&self) {
        self.update(|phase| match phase {
            Phase::Idle(_) => Phase::Head(Instant::now()),
            other => other,
        });
    }

    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.lock();
        *phase = change(*phase);
        drop(phase);
        self.changed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        // The phase is a plain value, always whole: a panic elsewhere cannot leave it torn.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A request being served; dropping it (with the response's body) starts the idle wait once
/// no other request is being served.
#[derive(Debug)]
pub struct Busy(Arc<Deadline>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.update(|phase| match phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// A response body that keeps its connection [`Busy`] until hyper has sent it (or dropped
/// it).
#[derive(Debug)]
pub struct BusyBody<B> {
    body: B,
    _busy: Busy,
}

impl<B> BusyBody<B> {
    /// `body`, holding `busy`.
    pub fn new(body: B, busy: Busy) -> Self {
        Self { body, _busy: busy }
    }
}

impl<B: Body + Unpin> Body for BusyBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection's socket, telling its [`Deadline`] when bytes arrive.
#[derive(Debug)]
pub struct Watched<IO> {
    io: IO,
    deadline: Arc<Deadline>,
}

impl<IO> Watched<IO> {
    /// `io`, reporting to `deadline`.
    pub fn new(io: IO, deadline: Arc<Deadline>) -> Self {
        Self { io, deadline }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.deadline.on_read();
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        ..Limits::DEFAULT
    };

    /// How long `deadline` lets the connection go on from now, if at all.
    async fn expiry(deadline: &Deadline) -> Option<(Duration, Expired)> {
        let start = Instant::now();
        tokio::time::timeout(Duration::from_secs(3600), deadline.expired())
            .await
            .ok()
            .map(|why| (start.elapsed(), why))
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_is_due_from_the_start_then_idle_between_requests() {
        let deadline = Deadline::new(&LIMITS);
        assert_eq!(
            expiry(&deadline).await,
            Some((Duration::from_secs(10), Expired::HeaderRead))
        );

        let deadline = Deadline::new(&LIMITS);
        let busy = deadline.busy();
        // Busy: no deadline, however long it takes.
        assert_eq!(expiry(&deadline).await, None);
        drop(busy);
        assert_eq!(
            expiry(&deadline).await,
            Some((Duration::from_secs(60), Expired::Idle))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_byte_after_an_idle_spell_makes_the_head_due() {
        let deadline = Deadline::new(&LIMITS);
        drop(deadline.busy());
        tokio::time::advance(Duration::from_secs(30)).await;
        deadline.on_read();
        // More bytes do not move it on: a dribbled head is due all the same.
        tokio::time::advance(Duration::from_secs(5)).await;
        deadline.on_read();
        assert_eq!(
            expiry(&deadline).await,
            Some((Duration::from_secs(5), Expired::HeaderRead))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_follows_a_change_of_phase() {
        let opened = Instant::now();
        let deadline = Deadline::new(&LIMITS);
        let waiting = tokio::spawn({
            let deadline = deadline.clone();
            async move { (deadline.expired().await, Instant::now()) }
        });
        tokio::time::advance(Duration::from_secs(5)).await;
        let busy = deadline.busy();
        let second = deadline.busy();
        tokio::time::advance(Duration::from_secs(100)).await;
        drop(busy);
        // One request is still being served.
        tokio::time::advance(Duration::from_secs(100)).await;
        drop(second);
        let (why, at) = waiting.await.unwrap();
        assert_eq!(
            (why, at - opened),
            (Expired::Idle, Duration::from_secs(265))
        );
    }
}
