//! The status picture readers get without asking the trading thread
//! ([`crate::TradingHandle::status_now`]).
//!
//! It is refreshed after any input, but at most once per [`STATUS_REFRESH`]: readers (the
//! REST API's `GET /api/ibkr/status`, at tens of thousands of requests per second) never queue
//! behind the hot path, and the hot path pays for at most 50 pictures a second, however busy
//! it is. A change someone waits to read back (the connection's state, a halt) is published
//! at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::status::TradingStatus;

/// The shortest interval between two pictures, unless one is urgent.
pub const STATUS_REFRESH: Duration = Duration::from_millis(20);

/// Publishes pictures and decides when.
#[derive(Debug)]
pub(crate) struct Publisher {
    sender: watch::Sender<Arc<TradingStatus>>,
    /// When the last picture was taken.
    taken: Instant,
    /// When a newer one is due (something changed within the interval).
    due: Option<Instant>,
}

impl Publisher {
    /// A publisher whose readers see `first` until the next picture.
    pub(crate) fn new(first: TradingStatus) -> (Self, watch::Receiver<Arc<TradingStatus>>) {
        let (sender, receiver) = watch::channel(Arc::new(first));
        let publisher = Self {
            sender,
            taken: Instant::now(),
            due: None,
        };
        (publisher, receiver)
    }

    /// When the loop's timer must wake to publish a picture that waits.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Something may have changed: publishes `picture()` now if `urgent` or the last picture
    /// is older than [`STATUS_REFRESH`], else schedules one.
    pub(crate) fn refresh(
        &mut self,
        now: Instant,
        urgent: bool,
        picture: impl FnOnce() -> TradingStatus,
    ) {
        if urgent || now.duration_since(self.taken) >= STATUS_REFRESH {
            self.publish(now, picture());
        } else if self.due.is_none() {
            self.due = Some(self.taken + STATUS_REFRESH);
        }
    }

    /// Publishes `picture` now.
    pub(crate) fn publish(&mut self, now: Instant, picture: TradingStatus) {
        self.taken = now;
        self.due = None;
        // Nobody reading is fine: the handle may have been dropped.
        self.sender.send_replace(Arc::new(picture));
    }
}

#[cfg(test)]
mod tests {
    use sandtrade_broker::safety::TradingMode;

    use super::*;

    fn picture(at_ms: i64) -> TradingStatus {
        TradingStatus {
            at_ms,
            ..TradingStatus::placeholder(TradingMode::Paper, "DU1")
        }
    }

    #[test]
    fn pictures_come_at_most_once_per_interval_unless_urgent() {
        let (mut p, readers) = Publisher::new(picture(0));
        let t0 = Instant::now();
        p.publish(t0, picture(1));
        p.refresh(t0 + Duration::from_millis(5), false, || picture(2));
        assert_eq!(readers.borrow().at_ms, 1, "too soon: scheduled");
        assert_eq!(p.due(), Some(t0 + STATUS_REFRESH));
        p.refresh(t0 + Duration::from_millis(6), true, || picture(3));
        assert_eq!(readers.borrow().at_ms, 3, "urgent: at once");
        assert_eq!(p.due(), None);
        p.refresh(t0 + Duration::from_millis(26), false, || picture(4));
        assert_eq!(readers.borrow().at_ms, 4, "the interval passed");
    }
}
