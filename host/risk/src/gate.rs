//! One strategy's gate: what it declared, the limits it runs under, its rate window, its counts.

use std::fmt;
use std::sync::Arc;

use super::counters::SignalCounters;
use super::ledgers::SharedRate;
use super::limits::{Limits, LimitsError};
use super::rate::{DEFAULT_SIGNALS_PER_MINUTE, RateWindow};
use sandtrade_core::Instrument;
use sandtrade_core::{RejectCode, Rejection};

/// A symbol as the strategy declared it, and what it normalizes to.
#[derive(Debug, Clone)]
struct Declared {
    as_declared: String,
    instrument: Arc<Instrument>,
}

/// The per-strategy state the [`Validator`](super::Validator) needs. Owned by the worker that
/// runs the strategy (`check` takes it `&mut` for the rate window); its counters are shared.
#[derive(Debug)]
pub struct StrategyGate {
    name: String,
    declared: Vec<Declared>,
    /// `declared` without duplicates (`"700"` and `"0700.HK"` are one instrument).
    instruments: Vec<Arc<Instrument>>,
    limits: Limits,
    rate: Rate,
    counters: SignalCounters,
}

/// A gate's rate window: its own (a backtest, a test), or its ledger's, shared with the
/// ledger's other gates and kept across restarts (live trading; see [`super::ledgers`]).
#[derive(Debug)]
enum Rate {
    Own(RateWindow),
    Shared(SharedRate),
}

impl StrategyGate {
    /// A gate for strategy `name` trading `symbols` (as in its metadata) under `limits` (the
    /// effective ones: `global.stricter(&strategy_own)`, see [`Limits::stricter`]).
    ///
    /// # Errors
    ///
    /// Every problem at once: a declared symbol that does not normalize, no symbol at all,
    /// invalid limits.
    pub fn new(
        name: impl Into<String>,
        symbols: &[impl AsRef<str>],
        limits: &Limits,
    ) -> Result<Self, GateError> {
        let name = name.into();
        let mut problems = Vec::new();
        let mut declared = Vec::with_capacity(symbols.len());
        let mut instruments: Vec<Arc<Instrument>> = Vec::new();
        for raw in symbols {
            let raw = raw.as_ref();
            match sandtrade_core::normalize(raw) {
                Ok(instrument) => {
                    let instrument = match instruments.iter().find(|i| ***i == instrument) {
                        Some(same) => Arc::clone(same),
                        None => {
                            let new = Arc::new(instrument);
                            instruments.push(Arc::clone(&new));
                            new
                        }
                    };
                    declared.push(Declared {
                        as_declared: raw.trim().to_owned(),
                        instrument,
                    });
                }
                Err(rejection) => problems.push(GateProblem::UnknownSymbol(rejection)),
            }
        }
        if symbols.is_empty() {
            problems.push(GateProblem::NoSymbols);
        }
        if let Err(e) = limits.validate() {
            problems.push(GateProblem::Limits(e));
        }
        if !problems.is_empty() {
            return Err(GateError {
                strategy: name,
                problems,
            });
        }
        let rate = RateWindow::new(
            limits
                .max_signals_per_minute
                .unwrap_or(DEFAULT_SIGNALS_PER_MINUTE),
        );
        Ok(Self {
            name,
            declared,
            instruments,
            limits: limits.clone(),
            rate: Rate::Own(rate),
            counters: SignalCounters::new(),
        })
    }

    /// The strategy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared instruments, deduplicated, in declaration order.
    pub fn instruments(&self) -> &[Arc<Instrument>] {
        &self.instruments
    }

    /// The first form in which the strategy declared `instrument` (`"0700.HK"` for contract
    /// `700`), to hand bars and fills back in the strategy's own spelling.
    pub fn declared_as(&self, instrument: &Instrument) -> Option<&str> {
        self.declared
            .iter()
            .find(|d| d.instrument.symbol == instrument.symbol)
            .map(|d| d.as_declared.as_str())
    }

    /// The effective limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// This strategy's outcome counters (clone to share with metrics or the API).
    pub fn counters(&self) -> &SignalCounters {
        &self.counters
    }

    /// Signals allowed in any 60 s.
    pub fn max_per_minute(&self) -> u32 {
        match &self.rate {
            Rate::Own(window) => window.max_per_minute(),
            Rate::Shared(window) => window
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .max_per_minute(),
        }
    }

    /// Counts toward its ledger's window from now on, instead of a window of its own.
    pub fn share_rate(&mut self, rate: SharedRate) {
        self.rate = Rate::Shared(rate);
    }

    /// Counts an attempt at `now_ms` against the gate's rate window.
    pub(super) fn acquire_rate(&mut self, now_ms: i64) -> Result<(), Rejection> {
        match &mut self.rate {
            Rate::Own(window) => window.try_acquire(now_ms),
            Rate::Shared(window) => window
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .try_acquire(now_ms),
        }
    }

    /// The declared instrument `raw` names, in any accepted form.
    ///
    /// The form the strategy declared (or the canonical one) is found without allocating;
    /// another spelling is normalized first.
    ///
    /// # Errors
    ///
    /// `unknown-symbol` if `raw` does not normalize, `not-subscribed` if it names an
    /// instrument the strategy did not declare.
    pub fn resolve(&self, raw: &str) -> Result<&Arc<Instrument>, Rejection> {
        let trimmed = raw.trim();
        if let Some(d) = self
            .declared
            .iter()
            .find(|d| d.as_declared == trimmed || d.instrument.symbol == trimmed)
        {
            return Ok(&d.instrument);
        }
        let instrument = sandtrade_core::normalize(raw)?;
        self.instruments
            .iter()
            .find(|i| i.symbol == instrument.symbol)
            .ok_or_else(|| {
                let declared: Vec<&str> =
                    self.instruments.iter().map(|i| i.symbol.as_str()).collect();
                Rejection::new(
                    RejectCode::NotSubscribed,
                    format!(
                        "{instrument} is not among the symbols this strategy declared: {}",
                        declared.join(", ")
                    ),
                )
            })
    }
}

/// Why a [`StrategyGate`] could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct GateError {
    /// The strategy's name.
    pub strategy: String,
    /// Every problem found.
    pub problems: Vec<GateProblem>,
}

/// One problem with a strategy's declared symbols or limits.
#[derive(Debug, Clone, PartialEq)]
pub enum GateProblem {
    /// A declared symbol does not normalize (the rejection says which and why).
    UnknownSymbol(Rejection),
    /// The strategy declared no symbol, so it could never get a bar or trade.
    NoSymbols,
    /// The effective limits are invalid.
    Limits(LimitsError),
}

impl fmt::Display for GateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownSymbol(r) => write!(f, "declared {}", r.message),
            Self::NoSymbols => f.write_str("declares no symbols"),
            Self::Limits(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "strategy {:?}:", self.strategy)?;
        for (i, p) in self.problems.iter().enumerate() {
            write!(f, "{} {p}", if i == 0 { "" } else { ";" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(symbols: &[&str]) -> StrategyGate {
        StrategyGate::new("test", symbols, &Limits::default()).unwrap()
    }

    #[test]
    fn declared_symbols_are_normalized_and_deduplicated() {
        let g = gate(&["aapl", "0700.HK", "700", "MSFT"]);
        let symbols: Vec<&str> = g.instruments().iter().map(|i| i.symbol.as_str()).collect();
        assert_eq!(symbols, ["AAPL", "700", "MSFT"]);
        assert_eq!(
            g.declared_as(&sandtrade_core::normalize("00700").unwrap()),
            Some("0700.HK")
        );
        assert_eq!(
            g.declared_as(&sandtrade_core::normalize("AAPL").unwrap()),
            Some("aapl")
        );
        assert_eq!(
            g.declared_as(&sandtrade_core::normalize("5").unwrap()),
            None
        );
    }

    #[test]
    fn resolve_accepts_any_spelling_of_a_declared_symbol() {
        let g = gate(&["0700.HK", "AAPL"]);
        let (tencent, apple) = (&g.instruments()[0], &g.instruments()[1]);
        for (raw, expected) in [
            ("0700.HK", tencent),
            ("700", tencent),
            ("00700", tencent),
            (" 700.hk ", tencent),
            ("AAPL", apple),
            ("aapl", apple),
        ] {
            let i = g.resolve(raw).unwrap_or_else(|r| panic!("{raw}: {r}"));
            assert!(Arc::ptr_eq(i, expected), "{raw} resolved to {i}");
        }
    }

    #[test]
    fn resolve_refuses_undeclared_and_unknown_symbols() {
        let g = gate(&["0700.HK", "AAPL"]);
        assert_eq!(
            g.resolve("0005.HK"),
            Err(Rejection::new(
                RejectCode::NotSubscribed,
                "5 is not among the symbols this strategy declared: 700, AAPL"
            ))
        );
        assert_eq!(
            g.resolve("AAPL.HK").unwrap_err().code,
            RejectCode::UnknownSymbol
        );
    }

    #[test]
    fn construction_reports_every_problem() {
        let limits = Limits {
            max_order_notional: Some(-5.0),
            ..Limits::default()
        };
        let err =
            StrategyGate::new("bad", &["AAPL", "NOT A SYMBOL", "12345678"], &limits).unwrap_err();
        assert_eq!(err.problems.len(), 3);
        assert_eq!(
            err.to_string(),
            "strategy \"bad\": declared unknown symbol \"NOT A SYMBOL\": expected a US ticker like \
             \"AAPL\" or \"BRK.B\", or an HK code like \"0700.HK\", \"00700\" or \"700\"; declared \
             unknown symbol \"12345678\": expected a US ticker like \"AAPL\" or \"BRK.B\", or an HK \
             code like \"0700.HK\", \"00700\" or \"700\"; invalid [limits]: max_order_notional = -5 \
             (must be a finite number >= 0)"
        );
        let none: &[&str] = &[];
        let err = StrategyGate::new("empty", none, &Limits::default()).unwrap_err();
        assert_eq!(err.to_string(), "strategy \"empty\": declares no symbols");
    }

    #[test]
    fn unset_rate_gets_the_default() {
        assert_eq!(gate(&["AAPL"]).max_per_minute(), DEFAULT_SIGNALS_PER_MINUTE);
        let l = Limits {
            max_signals_per_minute: Some(5),
            ..Limits::default()
        };
        assert_eq!(
            StrategyGate::new("x", &["AAPL"], &l)
                .unwrap()
                .max_per_minute(),
            5
        );
    }
}
