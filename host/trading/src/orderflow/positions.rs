//! The broker's positions of the account, as IB reports them (the truth), and drift: where
//! they differ from what the strategies' ledgers add up to for longer than the grace period.

use std::collections::BTreeMap;
use std::time::Instant;

use sandtrade_risk::TradingSwitch;

use super::drift::DriftMonitor;
use crate::config::PositionsConfig;
use crate::events::{Events, TradingEvent};
use crate::status::Drift;

/// The account's positions and their drift.
#[derive(Debug)]
pub(crate) struct BrokerPositions {
    /// Shares by IB contract symbol.
    shares: BTreeMap<String, f64>,
    /// Whether `shares` is IB's current picture (connected, initial dump received).
    known: bool,
    monitor: DriftMonitor,
    /// The drift found by the last check.
    drift: Vec<Drift>,
    halt_on_drift: bool,
    switch: TradingSwitch,
    events: Events,
}

impl BrokerPositions {
    /// Nothing known yet; drift halts trading through `switch` when so configured.
    pub(crate) fn new(config: &PositionsConfig, switch: TradingSwitch, events: Events) -> Self {
        Self {
            shares: BTreeMap::new(),
            known: false,
            monitor: DriftMonitor::new(config.drift_grace),
            drift: Vec::new(),
            halt_on_drift: config.halt_on_drift,
            switch,
            events,
        }
    }

    /// A fresh picture from a connect: every earlier difference is forgotten.
    pub(crate) fn reset(&mut self, shares: BTreeMap<String, f64>) {
        self.shares = shares;
        self.known = true;
        self.monitor.reset();
    }

    /// The connection is gone: the picture is no longer current.
    pub(crate) fn forget(&mut self) {
        self.known = false;
    }

    /// One position update of the account.
    pub(crate) fn update(&mut self, symbol: String, shares: f64) {
        self.shares.insert(symbol, shares);
    }

    /// Whether the positions are IB's current picture.
    pub(crate) fn known(&self) -> bool {
        self.known
    }

    /// Shares by symbol.
    pub(crate) fn shares(&self) -> &BTreeMap<String, f64> {
        &self.shares
    }

    /// The drift found by the last check.
    pub(crate) fn drift(&self) -> &[Drift] {
        &self.drift
    }

    /// Compares the broker's positions with `ledger` (shares by symbol, summed over the
    /// strategies) at `now`. New drift is logged, reported and, when so configured, halts
    /// trading.
    pub(crate) fn check(&mut self, ledger: &BTreeMap<String, i64>, now: Instant) {
        if !self.known {
            self.drift.clear();
            return;
        }
        let drift = self.monitor.check(&self.shares, ledger, now);
        for d in drift.iter().filter(|d| !self.drift.contains(d)) {
            tracing::error!(
                symbol = d.symbol,
                broker = d.broker,
                ledger = d.ledger,
                "position drift: the broker's position differs from the strategies' ledger"
            );
            self.events.emit(TradingEvent::Drift {
                symbol: d.symbol.clone(),
                broker: d.broker,
                ledger: d.ledger,
            });
            if self.halt_on_drift {
                self.switch.halt(format!(
                    "position drift on {}: broker {}, strategies {}",
                    d.symbol, d.broker, d.ledger
                ));
            }
        }
        self.drift = drift;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sandtrade_risk::TradingState;

    use super::*;

    fn positions(halt_on_drift: bool) -> (BrokerPositions, TradingSwitch) {
        let switch = TradingSwitch::new();
        let config = PositionsConfig {
            drift_grace: Duration::from_secs(5),
            halt_on_drift,
        };
        (
            BrokerPositions::new(&config, switch.clone(), Events::new()),
            switch,
        )
    }

    fn ledger(entries: &[(&str, i64)]) -> BTreeMap<String, i64> {
        entries.iter().map(|(s, n)| (s.to_string(), *n)).collect()
    }

    #[test]
    fn nothing_is_drift_while_the_broker_picture_is_unknown() {
        let (mut p, switch) = positions(true);
        p.check(
            &ledger(&[("AAPL", 10)]),
            Instant::now() + Duration::from_secs(60),
        );
        assert!(p.drift().is_empty());
        assert_eq!(switch.state(), TradingState::Active);
    }

    #[test]
    fn lasting_drift_is_reported_and_halts_when_configured() {
        let (mut p, switch) = positions(true);
        let t0 = Instant::now();
        p.reset([("AAPL".to_string(), 10.0)].into());
        p.check(&ledger(&[("AAPL", 9)]), t0);
        assert!(p.drift().is_empty(), "within the grace period");
        p.check(&ledger(&[("AAPL", 9)]), t0 + Duration::from_secs(5));
        assert_eq!(p.drift().len(), 1);
        assert!(
            matches!(switch.state(), TradingState::Halted { reason } if reason.contains("AAPL"))
        );
        p.update("AAPL".into(), 9.0);
        p.check(&ledger(&[("AAPL", 9)]), t0 + Duration::from_secs(6));
        assert!(p.drift().is_empty(), "agreeing again clears it");
    }

    #[test]
    fn drift_without_halting() {
        let (mut p, switch) = positions(false);
        let t0 = Instant::now();
        p.reset(BTreeMap::new());
        p.check(&ledger(&[("700", 100)]), t0);
        p.check(&ledger(&[("700", 100)]), t0 + Duration::from_secs(5));
        assert_eq!(p.drift().len(), 1);
        assert_eq!(switch.state(), TradingState::Active);
        p.forget();
        assert!(!p.known());
    }
}
