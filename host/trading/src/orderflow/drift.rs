//! Drift: the broker's position of a symbol differs from what the strategies' ledgers add up
//! to. The broker is the truth; the ledger attributes it. Fills and position updates arrive on
//! different streams, so a difference is drift only once it has lasted the grace period.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::status::Drift;

/// Tracks differences and how long each has lasted.
#[derive(Debug)]
pub struct DriftMonitor {
    grace: Duration,
    since: HashMap<String, Instant>,
}

impl DriftMonitor {
    /// A monitor that calls a difference drift after `grace`.
    pub fn new(grace: Duration) -> Self {
        Self {
            grace,
            since: HashMap::new(),
        }
    }

    /// Compares `broker` (shares by symbol) with `ledger` (shares by symbol, summed over the
    /// strategies) at `now`; returns the differences that have lasted the grace period,
    /// by symbol. A symbol that agrees again is forgotten.
    pub fn check(
        &mut self,
        broker: &BTreeMap<String, f64>,
        ledger: &BTreeMap<String, i64>,
        now: Instant,
    ) -> Vec<Drift> {
        let mut differing: BTreeMap<&str, (f64, i64)> = BTreeMap::new();
        for (symbol, &shares) in broker {
            let attributed = ledger.get(symbol).copied().unwrap_or(0);
            if shares != attributed as f64 {
                differing.insert(symbol, (shares, attributed));
            }
        }
        for (symbol, &attributed) in ledger {
            if attributed != 0 && !broker.contains_key(symbol) {
                differing.insert(symbol, (0.0, attributed));
            }
        }
        self.since
            .retain(|symbol, _| differing.contains_key(symbol.as_str()));
        differing
            .into_iter()
            .filter_map(|(symbol, (broker, ledger))| {
                let since = *self.since.entry(symbol.to_owned()).or_insert(now);
                (now.duration_since(since) >= self.grace).then(|| Drift {
                    symbol: symbol.to_owned(),
                    broker,
                    ledger,
                })
            })
            .collect()
    }

    /// Forgets every difference (after a reconnect the broker's positions are read anew).
    pub fn reset(&mut self) {
        self.since.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map<V: Copy>(entries: &[(&str, V)]) -> BTreeMap<String, V> {
        entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_difference_is_drift_only_after_the_grace_period() {
        let t0 = Instant::now();
        let mut m = DriftMonitor::new(Duration::from_secs(5));
        let broker = map(&[("AAPL", 10.0), ("MSFT", 5.0)]);
        let ledger = map(&[("AAPL", 9), ("MSFT", 5), ("700", 100)]);
        assert_eq!(m.check(&broker, &ledger, t0), []);
        let later = m.check(&broker, &ledger, t0 + Duration::from_secs(5));
        assert_eq!(
            later,
            [
                Drift {
                    symbol: "700".into(),
                    broker: 0.0,
                    ledger: 100
                },
                Drift {
                    symbol: "AAPL".into(),
                    broker: 10.0,
                    ledger: 9
                }
            ]
        );
        // AAPL agrees again: forgotten; if it differs again, the grace period starts over.
        let fixed = map(&[("AAPL", 10), ("MSFT", 5), ("700", 100)]);
        assert_eq!(
            m.check(&broker, &fixed, t0 + Duration::from_secs(6)).len(),
            1
        );
        assert_eq!(
            m.check(&broker, &ledger, t0 + Duration::from_secs(7)).len(),
            1
        );
        assert_eq!(
            m.check(&broker, &ledger, t0 + Duration::from_secs(12))
                .len(),
            2
        );
    }

    #[test]
    fn zero_positions_on_either_side_agree() {
        let mut m = DriftMonitor::new(Duration::ZERO);
        let broker = map(&[("AAPL", 0.0)]);
        let ledger = map(&[("MSFT", 0)]);
        assert_eq!(m.check(&broker, &ledger, Instant::now()), []);
    }
}
