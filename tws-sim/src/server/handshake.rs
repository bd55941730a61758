//! The opening exchange: `API\0` + `v<min>..<max>[ options]` in, `<version>\0<time>\0` out.

use bytes::{BufMut, Bytes, BytesMut};

use crate::config::{MAX_SERVER_VERSION, MIN_PROTOBUF_VERSION};
use crate::error::ConnectionError;
use crate::text;

/// What the client offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// Lowest server version the client accepts.
    pub min: i32,
    /// Highest server version the client accepts.
    pub max: i32,
    /// Connect options after the range (`+PACEAPI`), possibly empty.
    pub options: String,
}

/// The 4-byte prefix every client sends first.
pub const API_PREFIX: &[u8; 4] = b"API\0";

/// Parses the version-range frame body (`v213..226` or `v100..226 +PACEAPI`).
pub fn parse_hello(body: &[u8]) -> Result<ClientHello, ConnectionError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ConnectionError::Handshake(format!("version range is not text: {body:?}")))?;
    let (range, options) = text.split_once(' ').unwrap_or((text, ""));
    let bad = || ConnectionError::Handshake(format!("expected v<min>..<max>, got {text:?}"));
    let range = range.strip_prefix('v').ok_or_else(bad)?;
    let (min, max) = range.split_once("..").unwrap_or((range, range));
    let min: i32 = min.parse().map_err(|_| bad())?;
    let max: i32 = max.parse().map_err(|_| bad())?;
    if min > max {
        return Err(bad());
    }
    Ok(ClientHello {
        min,
        max,
        options: options.trim().to_string(),
    })
}

/// The wire dialect of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Binary ids, protobuf payloads (server version 213–226).
    Protobuf,
    /// NUL-separated text (server version 176–178).
    Text,
}

/// The server version to answer and its dialect: the highest version both sides support.
/// A client that reaches 213 gets protobuf; one whose range ends in 176–178 (ib_async,
/// ib_insync) gets text; anything else is refused (`None`).
pub fn choose_version(hello: &ClientHello) -> Option<(i32, Dialect)> {
    let protobuf = hello.max.min(MAX_SERVER_VERSION);
    if protobuf >= MIN_PROTOBUF_VERSION && protobuf >= hello.min {
        return Some((protobuf, Dialect::Protobuf));
    }
    let text = hello.max.min(text::MAX_VERSION);
    (text >= text::MIN_VERSION && text >= hello.min).then_some((text, Dialect::Text))
}

/// The reply frame: `[len]<version>\0<time>\0`, without a message id at any version.
pub fn reply(version: i32, connection_time: &str) -> Bytes {
    let body = format!("{version}\0{connection_time}\0");
    let mut out = BytesMut::with_capacity(4 + body.len());
    out.put_u32(body.len() as u32);
    out.put_slice(body.as_bytes());
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_real_clients_send() {
        assert_eq!(
            parse_hello(b"v213..226").ok(),
            Some(ClientHello {
                min: 213,
                max: 226,
                options: String::new()
            })
        );
        assert_eq!(
            parse_hello(b"v100..226 +PACEAPI").ok(),
            Some(ClientHello {
                min: 100,
                max: 226,
                options: "+PACEAPI".into()
            })
        );
        assert_eq!(
            parse_hello(b"v176").ok().map(|h| (h.min, h.max)),
            Some((176, 176))
        );
        assert!(parse_hello(b"213..226").is_err());
        assert!(parse_hello(b"v226..213").is_err());
    }

    #[test]
    fn chooses_the_highest_common_version_and_its_dialect() {
        let hello = |min, max| ClientHello {
            min,
            max,
            options: String::new(),
        };
        assert_eq!(
            choose_version(&hello(213, 226)),
            Some((226, Dialect::Protobuf))
        );
        assert_eq!(
            choose_version(&hello(100, 226)),
            Some((226, Dialect::Protobuf))
        );
        assert_eq!(
            choose_version(&hello(100, 300)),
            Some((226, Dialect::Protobuf))
        );
        assert_eq!(choose_version(&hello(157, 178)), Some((178, Dialect::Text)));
        assert_eq!(choose_version(&hello(157, 176)), Some((176, Dialect::Text)));
        // 201-212 mix the dialects per message family: answered with text at 178 instead.
        assert_eq!(choose_version(&hello(100, 210)), Some((178, Dialect::Text)));
        assert_eq!(choose_version(&hello(100, 175)), None);
        assert_eq!(choose_version(&hello(190, 200)), None);
    }

    #[test]
    fn reply_has_no_message_id() {
        let frame = reply(226, "20240105 22:20:39 US/Eastern");
        assert_eq!(&frame[..4], &[0, 0, 0, 33]);
        assert_eq!(&frame[4..], b"226\x0020240105 22:20:39 US/Eastern\x00");
    }
}
