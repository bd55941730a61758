//! The global trading-halt switch: one flag every signal consults, right after counting toward
//! its strategy's rate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sandtrade_core::{RejectCode, Rejection};

/// Whether new signals may trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradingState {
    /// Signals are validated normally.
    Active,
    /// Every signal is refused with `trading-halted`.
    Halted {
        /// Why, as the operator (or the host) said it.
        reason: String,
    },
}

/// The global halt switch. Cheap to clone: every clone controls the same switch, so the API can
/// halt what the strategy workers check.
///
/// Checking costs one atomic load; the reason is only read when a signal is refused.
#[derive(Debug, Clone, Default)]
pub struct TradingSwitch {
    inner: Arc<SwitchInner>,
}

#[derive(Debug, Default)]
struct SwitchInner {
    halted: AtomicBool,
    reason: Mutex<String>,
}

impl TradingSwitch {
    /// A switch in the [`TradingState::Active`] state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Halts trading: every signal from now on is refused with `trading-halted: <reason>`.
    /// Halting again replaces the reason.
    pub fn halt(&self, reason: impl Into<String>) {
        *self.lock_reason() = reason.into();
        self.inner.halted.store(true, Ordering::Release);
    }

    /// Resumes trading.
    pub fn resume(&self) {
        self.inner.halted.store(false, Ordering::Release);
    }

    /// The current state.
    pub fn state(&self) -> TradingState {
        if self.is_halted() {
            TradingState::Halted {
                reason: self.lock_reason().clone(),
            }
        } else {
            TradingState::Active
        }
    }

    /// Whether trading is halted.
    pub fn is_halted(&self) -> bool {
        self.inner.halted.load(Ordering::Acquire)
    }

    /// `Ok` when active.
    ///
    /// # Errors
    ///
    /// `trading-halted` with the reason, when halted.
    pub fn check(&self) -> Result<(), Rejection> {
        if !self.is_halted() {
            return Ok(());
        }
        Err(Rejection::new(
            RejectCode::TradingHalted,
            format!("trading is halted: {}", self.lock_reason()),
        ))
    }

    fn lock_reason(&self) -> std::sync::MutexGuard<'_, String> {
        // The guarded value is a plain String, valid whatever a panicking holder did to it.
        self.inner
            .reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halt_and_resume_through_any_clone() {
        let switch = TradingSwitch::new();
        let api = switch.clone();
        assert_eq!(switch.state(), TradingState::Active);
        assert_eq!(switch.check(), Ok(()));

        api.halt("position drift on AAPL");
        assert_eq!(
            switch.state(),
            TradingState::Halted {
                reason: "position drift on AAPL".into()
            }
        );
        assert_eq!(
            switch.check(),
            Err(Rejection::new(
                RejectCode::TradingHalted,
                "trading is halted: position drift on AAPL"
            ))
        );

        api.resume();
        assert_eq!(switch.state(), TradingState::Active);
        assert_eq!(switch.check(), Ok(()));
    }
}
