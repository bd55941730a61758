//! The latency probe: when a real-time bar left the simulator and when the next order came in.
//!
//! A host benchmark measures its own bar → order path "timed by tws-sim itself": each
//! connection remembers the `Instant` its last real-time-bar frame was written to the socket,
//! and the `Instant` the next placeOrder frame was read pairs with it into a [`ProbeSample`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Samples kept at most; later ones are dropped (take or clear them to keep measuring).
pub const PROBE_CAPACITY: usize = 1_000_000;

/// One bar → order round trip as seen on the simulator's sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSample {
    /// The client that received the bar and sent the order.
    pub client_id: i32,
    /// When the frame carrying the bar was written to the socket.
    pub bar_written: Instant,
    /// When the next placeOrder frame from that client was read.
    pub order_read: Instant,
}

impl ProbeSample {
    /// Bar written → order read.
    pub fn latency(&self) -> Duration {
        self.order_read.saturating_duration_since(self.bar_written)
    }
}

/// The samples of one simulator. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LatencyProbe {
    samples: Arc<Mutex<Vec<ProbeSample>>>,
}

impl LatencyProbe {
    pub(crate) fn record(&self, sample: ProbeSample) {
        let mut samples = self
            .samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if samples.len() < PROBE_CAPACITY {
            samples.push(sample);
        }
    }

    /// A copy of every sample so far.
    pub fn samples(&self) -> Vec<ProbeSample> {
        self.samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Every sample so far, leaving none.
    pub fn take(&self) -> Vec<ProbeSample> {
        std::mem::take(
            &mut *self
                .samples
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// The latencies so far, leaving none.
    pub fn take_latencies(&self) -> Vec<Duration> {
        self.take().iter().map(ProbeSample::latency).collect()
    }
}
