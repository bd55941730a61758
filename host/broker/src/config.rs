//! `[ib]`: the one connection to TWS or IB Gateway, as the configuration file gives it.

use std::time::Duration;

use sandtrade_core::settings::{Problems, Section};

/// `[ib]`: the one connection to TWS or IB Gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct IbConfig {
    /// Host of TWS / Gateway. Use `127.0.0.1` rather than `localhost` (TWS may refuse IPv6).
    pub host: String,
    /// Its API port.
    pub port: u16,
    /// The API client id this host connects with.
    pub client_id: i32,
    /// Client ids tried in order when IB answers 326 ("client id already in use").
    pub fallback_client_ids: Vec<i32>,
    /// The account orders go to; must be one IB reports at connect.
    pub account: String,
    /// The pacer's rate: messages per second sent to IB, every kind counted (IB allows 50).
    pub messages_per_second: u32,
    /// The pacer's burst: messages that may go at once after a quiet spell.
    pub message_burst: u32,
    /// How long a connect (TCP + handshake) may take.
    pub connect_timeout: Duration,
    /// How long one reconciliation request may take to its end marker.
    pub request_timeout: Duration,
    /// How often the connection is checked with `reqCurrentTime` while quiet.
    pub heartbeat_interval: Duration,
    /// How long the answer may take before the connection is declared dead.
    pub heartbeat_timeout: Duration,
    /// The first reconnect delay; it doubles up to `reconnect_max`, with jitter.
    pub reconnect_initial: Duration,
    /// The longest reconnect delay.
    pub reconnect_max: Duration,
}

impl IbConfig {
    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The client id, then the fallbacks, in the order they are tried.
    pub fn client_ids(&self) -> impl Iterator<Item = i32> + '_ {
        std::iter::once(self.client_id).chain(self.fallback_client_ids.iter().copied())
    }
}

impl IbConfig {
    /// Reads `[ib]`, recording every problem in `p` (the fields of a bad key get a harmless
    /// value: the caller refuses the whole file when `p` is not empty).
    pub fn read(table: toml::Table, p: &mut Problems) -> Self {
        let mut s = Section::new("ib", table, p);
        let host = s.string_or("host", "127.0.0.1");
        let port = s.required_number("port", 1u16..=u16::MAX);
        let client_id = s.required_number("client_id", 0i32..=i32::MAX);
        let fallback_client_ids: Vec<i32> = s
            .optional_with("fallback_client_ids", |v: Vec<i64>| {
                v.into_iter()
                    .map(|id| i32::try_from(id).ok().filter(|id| *id >= 0).ok_or(id))
                    .collect::<Result<Vec<i32>, i64>>()
                    .map_err(|bad| format!("{bad} is not a client id (0 to {})", i32::MAX))
            })
            .unwrap_or_default();
        let account = s.required_with("account", |v: String| {
            let v = v.trim().to_owned();
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                Err("expected an IB account id like \"DU1234567\"".to_owned())
            } else {
                Ok(v)
            }
        });
        let messages_per_second = s.number_or("messages_per_second", 40u32, 1..=1_000_000);
        let message_burst = s.number_or("message_burst", 8u32, 1..=1_000_000);
        let connect_timeout = s.millis_or("connect_timeout_ms", 10_000, 100..=600_000);
        let request_timeout = s.millis_or("request_timeout_ms", 30_000, 100..=600_000);
        let heartbeat_interval = s.millis_or("heartbeat_interval_ms", 10_000, 10..=600_000);
        let heartbeat_timeout = s.millis_or("heartbeat_timeout_ms", 5_000, 10..=600_000);
        let reconnect_initial = s.millis_or("reconnect_initial_ms", 500, 1..=600_000);
        let reconnect_max = s.millis_or("reconnect_max_ms", 30_000, 1..=3_600_000);
        s.finish();
        if let Some(id) = client_id
            && fallback_client_ids.contains(&id)
        {
            p.push(format!(
                "ib.fallback_client_ids contains ib.client_id = {id}: list other ids"
            ));
        }
        if reconnect_max < reconnect_initial {
            p.push(format!(
                "ib.reconnect_max_ms = {}: must not be below ib.reconnect_initial_ms = {}",
                reconnect_max.as_millis(),
                reconnect_initial.as_millis()
            ));
        }
        if messages_per_second > 45 {
            tracing::warn!(
                messages_per_second,
                "ib.messages_per_second is above 45: IB allows 50 per second for all clients together"
            );
        }
        IbConfig {
            host,
            port: port.unwrap_or(0),
            client_id: client_id.unwrap_or(0),
            fallback_client_ids,
            account: account.unwrap_or_default(),
            messages_per_second,
            message_burst,
            connect_timeout,
            request_timeout,
            heartbeat_interval,
            heartbeat_timeout,
            reconnect_initial,
            reconnect_max,
        }
    }
}
