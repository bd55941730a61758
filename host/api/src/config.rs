//! `[api]` in the configuration file: the bearer tokens ([`auth`](super::auth)) and the
//! limits on what one client may cost the host ([`Limits`]).
//!
//! ```toml
//! [api]
//! header_read_timeout_ms = 10000    # a request's head must arrive within this
//! idle_timeout_ms = 60000           # a keep-alive connection is closed after this idle
//! max_body_bytes = 65536            # a larger body is answered 413
//! max_event_streams = 32            # one more GET /api/events is answered 503
//!
//! [[api.tokens]]
//! name = "ops"                      # shown in logs instead of the token
//! scope = "trade"                   # "read" or "trade"
//! env = "SANDTRADE_OPS_TOKEN"       # read from this environment variable at start
//!
//! [[api.tokens]]
//! name = "grafana"
//! scope = "read"
//! token = "a-long-random-string"    # or inline (keep such a file out of version control)
//! ```

use std::ops::RangeInclusive;
use std::time::Duration;

use serde::Deserialize;

use super::auth::TokenConfig;
use super::limits::Limits;

/// `header_read_timeout_ms`: shorter than 100 ms would drop honest clients on a slow link.
const HEADER_READ_TIMEOUT_MS: RangeInclusive<u64> = 100..=600_000;
/// `idle_timeout_ms`: up to a day.
const IDLE_TIMEOUT_MS: RangeInclusive<u64> = 100..=86_400_000;
/// `max_body_bytes`: the order body with every field is a few hundred bytes.
const MAX_BODY_BYTES: RangeInclusive<u64> = 1024..=16 * 1024 * 1024;
/// `max_event_streams`.
const MAX_EVENT_STREAMS: RangeInclusive<u64> = 1..=10_000;

/// `[api]`. A limit left out keeps its default ([`Limits::DEFAULT`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The tokens.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// [`Limits::header_read_timeout`], in milliseconds.
    pub header_read_timeout_ms: Option<u64>,
    /// [`Limits::idle_timeout`], in milliseconds.
    pub idle_timeout_ms: Option<u64>,
    /// [`Limits::max_body_bytes`].
    pub max_body_bytes: Option<u64>,
    /// [`Limits::max_event_streams`].
    pub max_event_streams: Option<u64>,
}

impl ApiConfig {
    /// Problems a configuration file check can report (the environment is read at start).
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .tokens
            .iter()
            .enumerate()
            .filter_map(|(i, token)| token.problem(i))
            .collect();
        for (key, value, range) in self.limit_keys() {
            if let Some(value) = value
                && !range.contains(&value)
            {
                problems.push(format!(
                    "api.{key} = {value}: must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ));
            }
        }
        problems
    }

    /// The limits: those given, the defaults for the rest. Values outside their range are
    /// [`problems`](Self::problems) of the file, which is refused before this is read.
    pub fn limits(&self) -> Limits {
        let default = Limits::DEFAULT;
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Limits {
            header_read_timeout: self
                .header_read_timeout_ms
                .map_or(default.header_read_timeout, Duration::from_millis),
            idle_timeout: self
                .idle_timeout_ms
                .map_or(default.idle_timeout, Duration::from_millis),
            max_body_bytes: self.max_body_bytes.map_or(default.max_body_bytes, count),
            max_event_streams: self
                .max_event_streams
                .map_or(default.max_event_streams, count),
        }
    }

    fn limit_keys(&self) -> [(&'static str, Option<u64>, RangeInclusive<u64>); 4] {
        [
            (
                "header_read_timeout_ms",
                self.header_read_timeout_ms,
                HEADER_READ_TIMEOUT_MS,
            ),
            ("idle_timeout_ms", self.idle_timeout_ms, IDLE_TIMEOUT_MS),
            ("max_body_bytes", self.max_body_bytes, MAX_BODY_BYTES),
            (
                "max_event_streams",
                self.max_event_streams,
                MAX_EVENT_STREAMS,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ApiConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn limits_default_when_left_out() {
        assert_eq!(ApiConfig::default().limits(), Limits::DEFAULT);
        assert_eq!(parse("").limits(), Limits::DEFAULT);
    }

    #[test]
    fn limits_are_read_from_their_keys() {
        let config = parse(
            "header_read_timeout_ms = 300\nidle_timeout_ms = 1500\nmax_body_bytes = 2048\n\
             max_event_streams = 2\n",
        );
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        assert_eq!(
            config.limits(),
            Limits {
                header_read_timeout: Duration::from_millis(300),
                idle_timeout: Duration::from_millis(1500),
                max_body_bytes: 2048,
                max_event_streams: 2,
            }
        );
    }

    #[test]
    fn limits_out_of_range_are_problems() {
        let config = parse("header_read_timeout_ms = 0\nmax_event_streams = 0\n");
        assert_eq!(
            config.problems(),
            [
                "api.header_read_timeout_ms = 0: must be a whole number from 100 to 600000",
                "api.max_event_streams = 0: must be a whole number from 1 to 10000",
            ]
        );
    }
}
