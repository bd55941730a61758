//! The account's loss limits: IB's daily P&L of the account (`reqPnL`), watched as it arrives,
//! halting trading when the day's loss or the fall from the day's high passes `[account]`'s
//! `max_daily_loss` or `max_drawdown`.
//!
//! The day's P&L is IB's own figure (it resets it at the start of the account's trading day);
//! the high of the day is the host's, kept from the updates it has seen since the UTC day
//! began (US and HK sessions both fall within one UTC day), so a restart in the middle of a
//! day forgets an earlier high. A halt stays until an operator resumes; resumed while the loss
//! is still past its limit, the next update halts again: raise the limit or stop for the day.

use serde::Serialize;

use ibapi::subscriptions::SubscriptionItem;
use sandtrade_core::money;
use sandtrade_risk::{AccountLimits, TradingSwitch};

use crate::events::{Events, TradingEvent};

/// Milliseconds in a day, for the UTC day number.
const DAY_MS: i64 = 86_400_000;

/// The account's P&L as last reported, and what the guard makes of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountPnl {
    /// IB's daily P&L of the account, base currency.
    #[serde(serialize_with = "money::cents")]
    pub daily: f64,
    /// Unrealized P&L of the positions, when IB sends it.
    #[serde(serialize_with = "money::cents_opt")]
    pub unrealized: Option<f64>,
    /// Realized P&L of the day, when IB sends it.
    #[serde(serialize_with = "money::cents_opt")]
    pub realized: Option<f64>,
    /// The highest daily P&L seen today.
    #[serde(serialize_with = "money::cents")]
    pub high_of_day: f64,
    /// `high_of_day - daily`.
    #[serde(serialize_with = "money::cents")]
    pub drawdown: f64,
    /// When it arrived, ms since the epoch.
    pub at_ms: i64,
}

/// The loss limits and the P&L, for the status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountRisk {
    /// The last P&L IB reported (`None` before the first, or when IB does not send it).
    pub pnl: Option<AccountPnl>,
    /// `[account] max_daily_loss`.
    pub max_daily_loss: Option<f64>,
    /// `[account] max_drawdown`.
    pub max_drawdown: Option<f64>,
}

/// Watches the account's P&L and halts trading past a loss limit.
#[derive(Debug)]
pub(crate) struct LossGuard {
    max_daily_loss: Option<f64>,
    max_drawdown: Option<f64>,
    switch: TradingSwitch,
    events: Events,
    pnl: Option<AccountPnl>,
}

impl LossGuard {
    /// A guard of `limits`'s loss limits, halting through `switch`.
    pub(crate) fn new(limits: &AccountLimits, switch: TradingSwitch, events: Events) -> Self {
        Self {
            max_daily_loss: limits.max_daily_loss,
            max_drawdown: limits.max_drawdown,
            switch,
            events,
            pnl: None,
        }
    }

    /// What the status shows.
    pub(crate) fn view(&self) -> AccountRisk {
        AccountRisk {
            pnl: self.pnl.clone(),
            max_daily_loss: self.max_daily_loss,
            max_drawdown: self.max_drawdown,
        }
    }

    /// An item of the P&L stream at `now_ms`; `false` when the stream is gone (it failed or
    /// ended). The loss limits then go blind, but orders and fills are unaffected: said
    /// loudly, and trading goes on; the next connection subscribes again.
    pub(crate) fn on_stream(
        &mut self,
        item: Option<Result<SubscriptionItem<ibapi::accounts::PnL>, ibapi::Error>>,
        now_ms: i64,
    ) -> bool {
        match item {
            Some(Ok(SubscriptionItem::Data(pnl))) => self.on_pnl(&pnl, now_ms),
            Some(Ok(SubscriptionItem::Notice(notice))) => {
                tracing::info!(code = notice.code, "account P&L: {}", notice.message);
            }
            Some(Err(e)) => {
                tracing::error!(
                    "account P&L stream failed, loss limits unwatched until reconnect: {e}"
                );
                return false;
            }
            None => {
                tracing::warn!("account P&L stream ended; loss limits unwatched until reconnect");
                return false;
            }
        }
        true
    }

    /// A P&L update from IB at `now_ms`. Halts trading if a limit is passed (and trading is
    /// not halted already).
    pub(crate) fn on_pnl(&mut self, pnl: &ibapi::accounts::PnL, now_ms: i64) {
        if !pnl.daily_pnl.is_finite() {
            tracing::warn!(
                daily = pnl.daily_pnl,
                "IB sent a daily P&L that is not a number; ignored"
            );
            return;
        }
        let daily = pnl.daily_pnl;
        let same_day = self
            .pnl
            .as_ref()
            .is_some_and(|last| last.at_ms.div_euclid(DAY_MS) == now_ms.div_euclid(DAY_MS));
        let high_of_day = match &self.pnl {
            Some(last) if same_day => last.high_of_day.max(daily),
            _ => daily.max(0.0),
        };
        let current = AccountPnl {
            daily,
            unrealized: pnl.unrealized_pnl.filter(|v| v.is_finite()),
            realized: pnl.realized_pnl.filter(|v| v.is_finite()),
            high_of_day,
            drawdown: high_of_day - daily,
            at_ms: now_ms,
        };
        let breach = self.breach(&current);
        self.pnl = Some(current);
        if let Some(why) = breach
            && !self.switch.is_halted()
        {
            tracing::error!("{why}: trading halted");
            self.switch.halt(why.clone());
            self.events.emit(TradingEvent::LossLimit { reason: why });
        }
    }

    /// Which limit `pnl` passes, as the halt's reason.
    fn breach(&self, pnl: &AccountPnl) -> Option<String> {
        if let Some(max) = self.max_daily_loss
            && -pnl.daily >= max
        {
            return Some(format!(
                "account loss limit: the day's P&L is {:.2}, a loss at or past [account] \
                 max_daily_loss {max:.2} (IB's daily P&L of the account)",
                pnl.daily
            ));
        }
        if let Some(max) = self.max_drawdown
            && pnl.drawdown >= max
        {
            return Some(format!(
                "account drawdown limit: the day's P&L {:.2} is {:.2} below its high of the \
                 day {:.2}, at or past [account] max_drawdown {max:.2}",
                pnl.daily, pnl.drawdown, pnl.high_of_day
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtrade_risk::TradingState;

    const NOON: i64 = 1_764_936_000_000; // 2025-12-05 12:00 UTC

    fn pnl(daily: f64) -> ibapi::accounts::PnL {
        ibapi::accounts::PnL {
            daily_pnl: daily,
            unrealized_pnl: Some(0.0),
            realized_pnl: None,
        }
    }

    fn guard(limits: AccountLimits) -> (LossGuard, TradingSwitch) {
        let switch = TradingSwitch::new();
        (
            LossGuard::new(&limits, switch.clone(), Events::new()),
            switch,
        )
    }

    fn reason(switch: &TradingSwitch) -> Option<String> {
        match switch.state() {
            TradingState::Active => None,
            TradingState::Halted { reason } => Some(reason),
        }
    }

    #[test]
    fn the_days_loss_halts_at_its_limit() {
        let (mut guard, switch) = guard(AccountLimits {
            max_daily_loss: Some(1_000.0),
            ..AccountLimits::default()
        });
        guard.on_pnl(&pnl(-999.99), NOON);
        assert_eq!(reason(&switch), None);
        guard.on_pnl(&pnl(-1_000.0), NOON + 1_000);
        assert_eq!(
            reason(&switch).as_deref(),
            Some(
                "account loss limit: the day's P&L is -1000.00, a loss at or past [account] \
                 max_daily_loss 1000.00 (IB's daily P&L of the account)"
            )
        );
        assert_eq!(guard.view().pnl.unwrap().daily, -1_000.0);
    }

    #[test]
    fn a_fall_from_the_days_high_halts_at_the_drawdown_limit() {
        let (mut guard, switch) = guard(AccountLimits {
            max_drawdown: Some(500.0),
            ..AccountLimits::default()
        });
        guard.on_pnl(&pnl(800.0), NOON);
        guard.on_pnl(&pnl(400.0), NOON + 1_000);
        assert_eq!(reason(&switch), None, "400 below the high");
        guard.on_pnl(&pnl(300.0), NOON + 2_000);
        assert_eq!(
            reason(&switch).as_deref(),
            Some(
                "account drawdown limit: the day's P&L 300.00 is 500.00 below its high of the \
                 day 800.00, at or past [account] max_drawdown 500.00"
            )
        );
    }

    #[test]
    fn the_high_starts_again_each_utc_day() {
        let (mut guard, switch) = guard(AccountLimits {
            max_drawdown: Some(500.0),
            ..AccountLimits::default()
        });
        guard.on_pnl(&pnl(800.0), NOON);
        guard.on_pnl(&pnl(0.0), NOON + DAY_MS);
        assert_eq!(reason(&switch), None, "a new day, a new high");
        let view = guard.view().pnl.unwrap();
        assert_eq!((view.high_of_day, view.drawdown), (0.0, 0.0));
    }

    #[test]
    fn no_limits_only_watch_and_garbage_is_ignored() {
        let (mut guard, switch) = guard(AccountLimits::default());
        guard.on_pnl(&pnl(-1e9), NOON);
        assert_eq!(reason(&switch), None);
        guard.on_pnl(&pnl(f64::NAN), NOON + 1);
        assert_eq!(guard.view().pnl.unwrap().daily, -1e9);
    }

    #[test]
    fn an_operator_halt_is_kept_as_it_was() {
        let (mut guard, switch) = guard(AccountLimits {
            max_daily_loss: Some(10.0),
            ..AccountLimits::default()
        });
        switch.halt("operator: lunch");
        guard.on_pnl(&pnl(-50.0), NOON);
        assert_eq!(reason(&switch).as_deref(), Some("operator: lunch"));
    }
}
