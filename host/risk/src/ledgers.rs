//! What each ledger trades under, kept beyond any one strategy instance: its effective limits
//! and its rate window.
//!
//! A ledger is a strategy's name (or `manual`, or any name an operator attributes orders to).
//! Its rate window must outlive the instance that fills it: a strategy restarted after a trap,
//! or hot-swapped, would otherwise start a fresh window and could emit its whole allowance
//! again at once; and an operator's order attributed to a strategy's ledger must count toward
//! the same window and obey the same limits as the strategy's own signals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::limits::Limits;
use super::rate::{DEFAULT_SIGNALS_PER_MINUTE, RateWindow};

/// One ledger's rate window, shared by every gate of that ledger.
pub type SharedRate = Arc<Mutex<RateWindow>>;

/// The ledgers the host has seen. Cheap to clone: every clone is the same registry.
#[derive(Debug, Clone, Default)]
pub struct Ledgers {
    inner: Arc<Mutex<HashMap<String, Ledger>>>,
}

#[derive(Debug)]
struct Ledger {
    /// The limits a strategy of this name last ran under (the global ones, tightened by its
    /// sidecar); `None` for a ledger only operators have used.
    limits: Option<Limits>,
    rate: SharedRate,
}

impl Ledgers {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A strategy named `ledger` starts (or restarts) under `limits`: records them for the
    /// operator's orders on its ledger, and returns the ledger's rate window — the one it had,
    /// unless its allowance per minute changed.
    pub fn strategy_started(&self, ledger: &str, limits: &Limits) -> SharedRate {
        let mut ledgers = self.lock();
        let entry = ledgers.entry(ledger.to_owned()).or_insert_with(|| Ledger {
            limits: None,
            rate: new_rate(limits),
        });
        entry.limits = Some(limits.clone());
        keep_or_renew(&mut entry.rate, limits);
        Arc::clone(&entry.rate)
    }

    /// What an operator's order on `ledger` trades under: the limits its strategy last ran
    /// under (or `global` for a ledger no strategy has), and the ledger's rate window.
    pub fn for_operator(&self, ledger: &str, global: &Limits) -> (Limits, SharedRate) {
        let mut ledgers = self.lock();
        let entry = ledgers.entry(ledger.to_owned()).or_insert_with(|| Ledger {
            limits: None,
            rate: new_rate(global),
        });
        let limits = entry.limits.clone().unwrap_or_else(|| global.clone());
        keep_or_renew(&mut entry.rate, &limits);
        (limits, Arc::clone(&entry.rate))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ledger>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn per_minute(limits: &Limits) -> u32 {
    limits
        .max_signals_per_minute
        .unwrap_or(DEFAULT_SIGNALS_PER_MINUTE)
}

fn new_rate(limits: &Limits) -> SharedRate {
    Arc::new(Mutex::new(RateWindow::new(per_minute(limits))))
}

/// Keeps `rate` when it allows what `limits` say, else replaces it with a fresh window (an
/// operator changed `max_signals_per_minute`).
fn keep_or_renew(rate: &mut SharedRate, limits: &Limits) {
    let allowed = rate
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .max_per_minute();
    if allowed != RateWindow::new(per_minute(limits)).max_per_minute() {
        *rate = new_rate(limits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32, max_order_shares: Option<u32>) -> Limits {
        Limits {
            max_signals_per_minute: Some(per_minute),
            max_order_shares,
            ..Limits::default()
        }
    }

    fn acquire(rate: &SharedRate, now_ms: i64) -> bool {
        rate.lock().unwrap().try_acquire(now_ms).is_ok()
    }

    #[test]
    fn a_restarted_strategy_keeps_its_window() {
        let ledgers = Ledgers::new();
        let first = ledgers.strategy_started("momentum", &limits(2, None));
        assert!(acquire(&first, 0) && acquire(&first, 1));
        let restarted = ledgers.strategy_started("momentum", &limits(2, None));
        assert!(
            !acquire(&restarted, 2),
            "the window is the one before the restart"
        );
        let other = ledgers.strategy_started("carry", &limits(2, None));
        assert!(acquire(&other, 2), "each ledger has its own");
    }

    #[test]
    fn a_changed_allowance_starts_a_new_window() {
        let ledgers = Ledgers::new();
        let first = ledgers.strategy_started("momentum", &limits(1, None));
        assert!(acquire(&first, 0));
        let changed = ledgers.strategy_started("momentum", &limits(5, None));
        assert!(acquire(&changed, 1));
    }

    #[test]
    fn operators_trade_a_strategy_ledger_under_its_limits_and_window() {
        let ledgers = Ledgers::new();
        let global = limits(60, Some(1_000));
        let strategy = ledgers.strategy_started("momentum", &limits(1, Some(10)));
        let (own, rate) = ledgers.for_operator("momentum", &global);
        assert_eq!(own.max_order_shares, Some(10));
        assert!(acquire(&rate, 0));
        assert!(!acquire(&strategy, 1), "one window for the ledger");

        let (manual, manual_rate) = ledgers.for_operator("manual", &global);
        assert_eq!(manual, global);
        assert!(acquire(&manual_rate, 1));
        let (_, again) = ledgers.for_operator("manual", &global);
        assert!(Arc::ptr_eq(&manual_rate, &again), "kept between orders");
    }
}
