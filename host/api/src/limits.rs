//! What one client may cost the host: how long a connection may take to send a request's head
//! or sit idle between requests, how large a request body may be, and how many event streams
//! may be open at once. Set in `[api]` ([`ApiConfig`](super::ApiConfig)); every one has a
//! default that a client of this API never comes near.

use std::time::Duration;

/// The API's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A connection must deliver a request's whole head (request line and headers) within
    /// this, counted from when it opened or from the first byte after an idle spell; then it
    /// is closed without an answer (the client may never finish, so no answer could be
    /// framed).
    pub header_read_timeout: Duration,
    /// A keep-alive connection with no request in flight is closed after this long without
    /// a new one.
    pub idle_timeout: Duration,
    /// The largest request body accepted, in bytes; a larger one is answered `413`.
    pub max_body_bytes: usize,
    /// The most `GET /api/events` streams open at once; one more is answered `503`.
    pub max_event_streams: usize,
}

impl Limits {
    /// The defaults: a request's head within 10 s, idle connections closed after 60 s,
    /// bodies up to 64 KiB (the largest body here is a few hundred bytes of JSON), 32 event
    /// streams (each status page open holds one).
    pub const DEFAULT: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_body_bytes: 64 * 1024,
        max_event_streams: 32,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
