//! Identifiers: the durable signal id and the client order id sent to IB as `orderRef`.
//!
//! A client order id is `st-<session tag>-<signal id>`, e.g. `st-k3v9q2xa-42`:
//!
//! - `<signal id>` is the signal's SQLite row id, never reused within a database's committed
//!   history (signals are never deleted);
//! - `<session tag>` is 8 base-32 characters (40 random bits) drawn each time the store is
//!   opened. Two databases (a wiped one, a test one, a second host) therefore never produce the
//!   same `orderRef`, and neither does one database whose last commits were lost to a power
//!   failure at `synchronous = normal`: the ids it hands out again come with a new tag, so an
//!   order of the lost history still at IB can never be mistaken for a new one.
//!
//! The stored `client_order_id` is the authority: an `orderRef` is ours only if it parses to a
//! signal id *and* equals that order's stored id ([`parse_client_order_id`] gives the candidate).
//!
//! The longest id is 31 ASCII characters (`st-` + 8 + `-` + 19 digits), within
//! [`CLIENT_ORDER_ID_MAX_LEN`]. IB does not publish a limit for `orderRef` and the reference notes
//! in this project state none either, so we stay short and plain ASCII on purpose.

use std::fmt;

/// The longest client order id we produce. Kept short because IB does not document how long an
/// `orderRef` may be, and statements and the TWS UI show it truncated.
pub const CLIENT_ORDER_ID_MAX_LEN: usize = 32;

const PREFIX: &str = "st-";
const TAG_LEN: usize = 8;
/// Crockford's base-32 alphabet, lower case: no `i`, `l`, `o`, `u` to misread.
const TAG_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// The durable id of a signal, and of the order made from it (one order per accepted
/// signal). This is the id `emit` returns to the strategy and `on-fill` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignalId(i64);

impl SignalId {
    /// Wraps a row id read from the database. Row ids are positive.
    pub(crate) const fn from_row(id: i64) -> Self {
        Self(id)
    }

    /// The id as stored in SQLite.
    pub(crate) const fn row(self) -> i64 {
        self.0
    }

    /// The id a strategy or an operator names (the WIT `u64`). An id beyond any row id
    /// names no signal; it is kept as the largest row id, which no signal reaches.
    pub fn from_u64(id: u64) -> Self {
        Self(i64::try_from(id).unwrap_or(i64::MAX))
    }

    /// The id as the WIT `u64` the strategy sees.
    pub fn get(self) -> u64 {
        u64::try_from(self.0).expect("SQLite row ids of signals are positive")
    }
}

impl fmt::Display for SignalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The random tag of one opening of the store (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionTag(String);

impl SessionTag {
    /// A new random tag.
    ///
    /// # Errors
    ///
    /// The operating system's random source failed.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 5];
        getrandom::fill(&mut bytes)?;
        let mut bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let mut tag = [0u8; TAG_LEN];
        for slot in tag.iter_mut().rev() {
            *slot = TAG_ALPHABET[(bits & 31) as usize];
            bits >>= 5;
        }
        Ok(Self(
            String::from_utf8(tag.to_vec()).expect("alphabet is ASCII"),
        ))
    }

    /// Accepts a tag if it has the right form.
    pub fn parse(s: &str) -> Option<Self> {
        is_tag(s).then(|| Self(s.to_owned()))
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The client order id (`orderRef`) of a signal accepted in this session.
    pub fn client_order_id(&self, signal: SignalId) -> String {
        format!("{PREFIX}{}-{}", self.0, signal.0)
    }
}

fn is_tag(s: &str) -> bool {
    s.len() == TAG_LEN && s.bytes().all(|b| TAG_ALPHABET.contains(&b))
}

/// The signal id an `orderRef` of our form names, whichever session made it. `None` for
/// manual orders and anything malformed. The caller confirms it against the stored id.
pub fn parse_client_order_id(order_ref: &str) -> Option<SignalId> {
    let rest = order_ref.strip_prefix(PREFIX)?;
    let (tag, digits) = rest.split_at_checked(TAG_LEN)?;
    if !is_tag(tag) {
        return None;
    }
    let digits = digits.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(SignalId)
}

impl fmt::Display for SessionTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tags_have_the_documented_form_and_differ() {
        let a = SessionTag::random().unwrap();
        let b = SessionTag::random().unwrap();
        assert_eq!(a.as_str().len(), 8);
        assert_eq!(SessionTag::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a, b);
    }

    #[test]
    fn client_order_id_round_trips_and_fits() {
        let tag = SessionTag::parse("k3v9q2xa").unwrap();
        assert_eq!(tag.client_order_id(SignalId(42)), "st-k3v9q2xa-42");
        assert_eq!(parse_client_order_id("st-k3v9q2xa-42"), Some(SignalId(42)));
        assert_eq!(
            parse_client_order_id("st-00000000-42"),
            Some(SignalId(42)),
            "any session"
        );
        let longest = tag.client_order_id(SignalId(i64::MAX));
        assert_eq!(longest.len(), 31);
        assert!(longest.len() <= CLIENT_ORDER_ID_MAX_LEN);
        assert_eq!(parse_client_order_id(&longest), Some(SignalId(i64::MAX)));
    }

    #[test]
    fn malformed_refs_are_not_ours() {
        for other in [
            "st-k3v9q2xa-",
            "st-k3v9q2xa-0",
            "st-k3v9q2xa-+4",
            "st-k3v9q2xa-4x",
            "st-k3v9q2xa42",
            "st-K3V9Q2XA-42",
            "st-k3v9-42",
            "st-k3v9q2xa-99999999999999999999",
            "manual",
            "",
        ] {
            assert_eq!(parse_client_order_id(other), None, "{other:?}");
        }
    }

    #[test]
    fn tag_parse_refuses_bad_forms() {
        for bad in ["k3v9q2x", "k3v9q2xaa", "K3V9Q2XA", "k3v9q2xi"] {
            assert_eq!(SessionTag::parse(bad), None, "{bad:?}");
        }
    }
}
