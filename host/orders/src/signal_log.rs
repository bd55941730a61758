//! The signal log, read: recent signals with their verdicts, through a read-only SQLite
//! connection of the reader's own.
//!
//! The REST API reads it here rather than asking the trading thread: the log is history, not
//! live state, and a query over thousands of rows has no business on the thread that turns
//! bars into orders. SQLite in WAL mode lets readers run beside the one writer without
//! blocking it (a reader sees the last committed transaction).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use sandtrade_core::normalize;
use serde::{Deserialize, Serialize};

/// The most rows one request returns.
pub const MAX_LIMIT: u32 = 1000;
/// Rows returned when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most rows a symbol-filtered request looks at (symbols are stored as the strategy
/// wrote them, so the filter compares normalized forms row by row).
const SCAN_LIMIT: u32 = 100_000;

/// A signal's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Accepted: it became an order.
    Accepted,
    /// Refused by risk.
    Rejected,
}

impl Verdict {
    /// `accepted` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Rejected => "rejected",
        }
    }
}

/// Which signals to list, newest first. Deserialized from a query string by the REST API, so
/// an unknown parameter is an error, not ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SignalFilter {
    /// Only this strategy's (or ledger's, e.g. `manual`).
    #[serde(default)]
    pub strategy: Option<String>,
    /// Only this symbol, in any accepted form (`0700.HK` finds `700` and `00700` too).
    #[serde(default)]
    pub symbol: Option<String>,
    /// Only `accepted` or only `rejected`.
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// Only ids below this (the next page: the last id of this one).
    #[serde(default)]
    pub before: Option<u64>,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One signal and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignalRow {
    /// The signal id (= the order id when accepted).
    pub id: u64,
    /// When it was emitted, ms since the epoch.
    pub time_ms: i64,
    /// The strategy (or ledger) that emitted it.
    pub strategy: String,
    /// The symbol as written.
    pub symbol: String,
    /// `open-long`, `add-long`, `close-long`, `reduce-long`.
    pub action: String,
    /// Shares.
    pub quantity: u32,
    /// `market`, `limit`, `stop`, `stop-limit`, `trailing-stop`, `market-on-close` or
    /// `limit-on-close`.
    pub order_type: String,
    /// The limit price (limit, stop-limit, limit-on-close).
    pub limit_price: Option<f64>,
    /// The trigger (stop, stop-limit).
    pub stop_price: Option<f64>,
    /// A trailing stop's distance in price.
    pub trail_amount: Option<f64>,
    /// A trailing stop's distance in percent.
    pub trail_percent: Option<f64>,
    /// A trailing stop-limit's limit offset.
    pub limit_offset: Option<f64>,
    /// `day`, `gtc`, `ioc` or `opg`.
    pub tif: String,
    /// Whether it may work outside regular trading hours.
    pub outside_rth: bool,
    /// The strategy's reason.
    pub reason: String,
    /// `accepted` or `rejected`.
    pub verdict: Verdict,
    /// The refusal's code (`short-not-allowed`, ...).
    pub reject_code: Option<String>,
    /// The refusal's message.
    pub reject_message: Option<String>,
    /// The order's state, when accepted.
    pub order_state: Option<String>,
    /// Shares filled, when accepted.
    pub filled: Option<i64>,
}

/// Why the signal log cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SignalLogError(#[from] rusqlite::Error);

/// A read-only view of the signal log.
#[derive(Debug)]
pub struct SignalLog {
    /// `std::sync::Mutex`: held only inside a blocking-pool task, never across an `.await`.
    conn: Mutex<Connection>,
}

impl SignalLog {
    /// Opens `database` read-only (the trading thread has created and migrated it).
    ///
    /// # Errors
    ///
    /// The file cannot be opened.
    pub fn open(database: &Path) -> Result<Self, SignalLogError> {
        let conn = Connection::open_with_flags(
            database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A checkpoint may hold the file briefly; wait rather than fail.
        conn.busy_timeout(std::time::Duration::from_secs(2))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The signals `filter` selects, newest first.
    ///
    /// # Errors
    ///
    /// A read failed.
    pub fn query(&self, filter: &SignalFilter) -> Result<Vec<SignalRow>, SignalLogError> {
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
        let want_symbol = filter.symbol.as_deref().map(|s| {
            normalize(s)
                .map(|i| i.symbol)
                .unwrap_or_else(|_| s.to_owned())
        });
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.time_ms, s.strategy, s.symbol, s.action, s.quantity, s.order_type,
                    s.limit_price, s.reason, s.verdict, s.reject_code, s.reject_message,
                    o.state, o.filled_qty, s.stop_price, s.trail_amount, s.trail_percent,
                    s.limit_offset, s.tif, s.outside_rth
             FROM signals s LEFT JOIN orders o ON o.signal_id = s.id
             WHERE (?1 IS NULL OR s.strategy = ?1) AND (?2 IS NULL OR s.verdict = ?2)
               AND (?3 IS NULL OR s.id < ?3)
             ORDER BY s.id DESC LIMIT ?4",
        )?;
        let scan = if want_symbol.is_some() {
            SCAN_LIMIT
        } else {
            limit as u32
        };
        let before = filter.before.map(|b| i64::try_from(b).unwrap_or(i64::MAX));
        let rows = stmt.query_map(
            params![
                filter.strategy,
                filter.verdict.map(Verdict::as_str),
                before,
                scan
            ],
            |row| {
                let verdict: String = row.get(9)?;
                Ok(SignalRow {
                    id: row.get::<_, i64>(0)?.try_into().unwrap_or(0),
                    time_ms: row.get(1)?,
                    strategy: row.get(2)?,
                    symbol: row.get(3)?,
                    action: row.get(4)?,
                    quantity: row.get(5)?,
                    order_type: row.get(6)?,
                    limit_price: row.get(7)?,
                    reason: row.get(8)?,
                    verdict: if verdict == "accepted" {
                        Verdict::Accepted
                    } else {
                        Verdict::Rejected
                    },
                    reject_code: row.get(10)?,
                    reject_message: row.get(11)?,
                    order_state: row.get(12)?,
                    filled: row.get(13)?,
                    stop_price: row.get(14)?,
                    trail_amount: row.get(15)?,
                    trail_percent: row.get(16)?,
                    limit_offset: row.get(17)?,
                    tif: row.get(18)?,
                    outside_rth: row.get(19)?,
                })
            },
        )?;
        let mut out = Vec::with_capacity(limit.min(256));
        for row in rows {
            let row = row?;
            if let Some(want) = &want_symbol {
                let is = normalize(&row.symbol).map(|i| i.symbol);
                if is.as_deref().unwrap_or(&row.symbol) != want {
                    continue;
                }
            }
            out.push(row);
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// The newest signal id, if any (the page's cue to refresh).
    ///
    /// # Errors
    ///
    /// A read failed.
    pub fn last_id(&self) -> Result<Option<u64>, SignalLogError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id: Option<i64> = conn
            .query_row("SELECT max(id) FROM signals", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(id.and_then(|i| u64::try_from(i).ok()))
    }
}
