//! `/metrics` in the Prometheus text exposition format, rendered from the status snapshot and
//! the strategies' counters at scrape time (nothing is counted twice: the trading thread's
//! own counters are the source).
//!
//! Live trading meters guest CPU with epoch deadlines, not fuel (fuel is the backtest's
//! deterministic meter), so a strategy's CPU shows as call time, and a call that ran out of
//! time as a `deadline` fault.

use std::fmt::Write;

use sandtrade_trading::{ConnectionState, StrategyView, TradingStatus};

/// One metric family: `# HELP`, `# TYPE`, then samples.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Self {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Self { out, name }
    }

    fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.out.push_str(self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
        self
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

const CONNECTION_STATES: [(ConnectionState, &str); 5] = [
    (ConnectionState::Disconnected, "disconnected"),
    (ConnectionState::Connecting, "connecting"),
    (ConnectionState::Reconciling, "reconciling"),
    (ConnectionState::Connected, "connected"),
    (ConnectionState::Refused, "refused"),
];

/// A family with one sample per strategy: name, type, help, and the sample's value.
type PerStrategy = (
    &'static str,
    &'static str,
    &'static str,
    fn(&StrategyView) -> f64,
);

/// The whole exposition.
pub fn render(status: &TradingStatus, strategies: &[StrategyView]) -> String {
    let mut out = String::with_capacity(4096);
    let o = &mut out;

    let mut f = Family::new(
        o,
        "sandtrade_orders",
        "gauge",
        "Orders by state (queued, and each working state).",
    );
    f.sample(&[("state", "queued")], status.orders.queued as f64);
    for (state, n) in &status.orders.working {
        f.sample(&[("state", state)], *n as f64);
    }
    let mut f = Family::new(
        o,
        "sandtrade_order_unknown_age_seconds",
        "gauge",
        "How long each order whose fate is unknown has waited for reconciliation or an operator.",
    );
    let now_ms = sandtrade_core::clock::unix_ms();
    for unknown in &status.orders.unknown {
        let age_s = (now_ms - unknown.since_ms).max(0) as f64 / 1000.0;
        f.sample(&[("order", &unknown.id.to_string())], age_s);
    }

    Family::new(
        o,
        "sandtrade_signals_accepted_total",
        "counter",
        "Signals accepted since start.",
    )
    .sample(&[], status.signals.accepted as f64);
    let mut f = Family::new(
        o,
        "sandtrade_signals_rejected_total",
        "counter",
        "Signals refused since start, by reject code.",
    );
    for (code, n) in &status.signals.rejected {
        f.sample(&[("code", code)], *n as f64);
    }

    let c = &status.connection;
    let mut f = Family::new(
        o,
        "sandtrade_ib_connection_state",
        "gauge",
        "1 for the IB connection's current state.",
    );
    for (state, name) in CONNECTION_STATES {
        f.sample(&[("state", name)], f64::from(u8::from(c.state == state)));
    }
    Family::new(
        o,
        "sandtrade_ib_connected",
        "gauge",
        "1 when connected and reconciled.",
    )
    .sample(
        &[],
        f64::from(u8::from(c.state == ConnectionState::Connected)),
    );
    Family::new(
        o,
        "sandtrade_ib_connects_total",
        "counter",
        "Connections made since start (reconnects are this minus one).",
    )
    .sample(&[], c.connects as f64);
    Family::new(
        o,
        "sandtrade_ib_connectivity",
        "gauge",
        "1 while IB's own connectivity is up (0 between 1100 and 1101/1102).",
    )
    .sample(&[], f64::from(u8::from(c.ib_connectivity)));
    if let Some(rtt) = c.heartbeat_rtt_us {
        Family::new(
            o,
            "sandtrade_ib_heartbeat_rtt_seconds",
            "gauge",
            "Round trip of the last heartbeat.",
        )
        .sample(&[], rtt as f64 / 1e6);
    }
    Family::new(
        o,
        "sandtrade_ib_messages_sent_total",
        "counter",
        "Messages sent to IB through the pacer.",
    )
    .sample(&[], status.messages_sent as f64);
    Family::new(
        o,
        "sandtrade_ib_pacer_rate",
        "gauge",
        "The pacer's rate, messages per second.",
    )
    .sample(&[], f64::from(status.messages_per_second));
    Family::new(
        o,
        "sandtrade_ib_pacer_headroom",
        "gauge",
        "Messages the pacer would let go now without waiting.",
    )
    .sample(&[], f64::from(status.pacer_headroom));

    if let Some(pnl) = &status.account_risk.pnl {
        Family::new(
            o,
            "sandtrade_account_daily_pnl",
            "gauge",
            "IB's daily P&L of the account, base currency (the loss limits watch it).",
        )
        .sample(&[], pnl.daily);
        Family::new(
            o,
            "sandtrade_account_drawdown",
            "gauge",
            "How far the day's P&L is below its high of the day, base currency.",
        )
        .sample(&[], pnl.drawdown);
    }
    Family::new(
        o,
        "sandtrade_trading_halted",
        "gauge",
        "1 while trading is halted.",
    )
    .sample(&[], f64::from(u8::from(status.halted.is_some())));
    let mut f = Family::new(
        o,
        "sandtrade_position_drift_shares",
        "gauge",
        "Broker shares minus the strategies' ledger, per symbol with drift.",
    );
    for d in &status.drift {
        f.sample(&[("symbol", &d.symbol)], d.broker - d.ledger as f64);
    }
    Family::new(
        o,
        "sandtrade_position_drift_symbols",
        "gauge",
        "Symbols whose broker position differs from the ledger.",
    )
    .sample(&[], status.drift.len() as f64);

    let mut f = Family::new(
        o,
        "sandtrade_strategy_up",
        "gauge",
        "1 while a strategy is running.",
    );
    for s in strategies {
        f.sample(
            &[("strategy", &s.status.name), ("state", s.status.state)],
            f64::from(u8::from(s.status.state == "running")),
        );
    }
    let per_strategy: [PerStrategy; 7] = [
        (
            "sandtrade_strategy_bars_total",
            "counter",
            "on-bar calls made.",
            |s| s.status.counters.bars as f64,
        ),
        (
            "sandtrade_strategy_fills_total",
            "counter",
            "on-fill calls made.",
            |s| s.status.counters.fills as f64,
        ),
        (
            "sandtrade_strategy_signals_total",
            "counter",
            "emit calls.",
            |s| s.status.counters.signals as f64,
        ),
        (
            "sandtrade_strategy_signals_rejected_total",
            "counter",
            "emit calls refused.",
            |s| s.status.counters.rejected as f64,
        ),
        (
            "sandtrade_strategy_restarts_total",
            "counter",
            "Restarts after faults.",
            |s| s.status.counters.restarts as f64,
        ),
        (
            "sandtrade_strategy_call_seconds_total",
            "counter",
            "Time spent in guest calls.",
            |s| s.status.counters.call_ns_total as f64 / 1e9,
        ),
        (
            "sandtrade_strategy_call_seconds_max",
            "gauge",
            "The longest guest call.",
            |s| s.status.counters.call_ns_max as f64 / 1e9,
        ),
    ];
    for (name, kind, help, value) in per_strategy {
        let mut f = Family::new(o, name, kind, help);
        for s in strategies {
            f.sample(&[("strategy", &s.status.name)], value(s));
        }
    }
    let mut f = Family::new(
        o,
        "sandtrade_strategy_traps_total",
        "counter",
        "Guest faults (traps) by kind: deadline, memory, panic, ...",
    );
    for s in strategies {
        for (kind, n) in &s.status.counters.faults {
            f.sample(&[("strategy", &s.status.name), ("kind", kind)], *n as f64);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
