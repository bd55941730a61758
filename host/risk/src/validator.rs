//! The validator: runs every rule on a signal, in a fixed order, and counts the outcome.

use std::sync::Arc;

use super::account::AccountLimits;
use super::book::Book;
use super::counters::SignalCounters;
use super::gate::StrategyGate;
use super::halt::TradingSwitch;
use super::{limits, long_only, lots, sanity};
use sandtrade_core::Instrument;
use sandtrade_core::LotTable;
use sandtrade_core::{Action, OrderType, RejectCode, Rejection, Side, SignalRequest, Timing};

/// A signal that passed every rule: what to queue and trade.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedOrder {
    /// The declared instrument (shared with the gate: no allocation per order).
    pub instrument: Arc<Instrument>,
    /// What the strategy asked for.
    pub action: Action,
    /// Buy or sell.
    pub side: Side,
    /// Shares to trade, resolved: for `close-long`, the whole sellable position.
    pub quantity: u32,
    /// How the order is priced (every price finite and positive).
    pub order_type: OrderType,
    /// How long it works (a combination IB takes for the order type).
    pub timing: Timing,
    /// The strategy's reason, kept for operators.
    pub reason: String,
}

/// Validates signals against the global rules (halt, board lots) and each strategy's gate.
/// Shared by every strategy: `check` takes `&self`.
#[derive(Debug, Clone)]
pub struct Validator {
    lots: LotTable,
    switch: TradingSwitch,
    counters: SignalCounters,
    /// `[account]`: caps over every ledger (none unless [`with_account_limits`](Self::with_account_limits)).
    account: Arc<AccountLimits>,
}

impl Validator {
    /// A validator using this lot table and halt switch (keep a clone of the switch to halt).
    pub fn new(lots: LotTable, switch: TradingSwitch) -> Self {
        Self {
            lots,
            switch,
            counters: SignalCounters::new(),
            account: Arc::new(AccountLimits::default()),
        }
    }

    /// The same validator, also checking buys against the account-wide caps of `account`.
    #[must_use]
    pub fn with_account_limits(mut self, account: AccountLimits) -> Self {
        self.account = Arc::new(account);
        self
    }

    /// The account-wide limits.
    pub fn account_limits(&self) -> &AccountLimits {
        &self.account
    }

    /// The halt switch.
    pub fn switch(&self) -> &TradingSwitch {
        &self.switch
    }

    /// Outcome counts over every strategy.
    pub fn counters(&self) -> &SignalCounters {
        &self.counters
    }

    /// The board-lot table.
    pub fn lots(&self) -> &LotTable {
        &self.lots
    }

    /// Checks `signal` from the strategy behind `gate`, against its exposure in `book`, at
    /// `now_ms` on the strategy's clock (replay time in a backtest). Counts the outcome,
    /// globally and in the gate. Logging is the caller's job.
    ///
    /// Rules, in order (the first that fails decides):
    /// 1. the strategy's rate (`rate-limit`): every signal counts, halted or not, so a
    ///    strategy that keeps emitting while trading is halted is cut off like any other
    ///    flood (and its refusals cannot grow the signal log faster than its rate);
    /// 2. trading not halted (`trading-halted`);
    /// 3. the symbol is at most 32 bytes and the reason at most 1 KiB (`unknown-symbol`,
    ///    `unavailable`), the symbol normalizes (`unknown-symbol`) and was declared
    ///    (`not-subscribed`);
    /// 4. quantity 1 ..= 10,000,000, except for `close-long` (`invalid-quantity`);
    /// 5. every price of the order type (limit, stop, trailing amount or percent, limit
    ///    offset) is finite and > 0 (`invalid-price`), and the time in force suits the order
    ///    type (`invalid-order`). A working stop sell counts as a pending sell like any other,
    ///    so no mix of stops and sells can sell more than is held;
    /// 6. long-only rules, resolving the quantity (`short-not-allowed`, `position-limit`);
    /// 7. HK board lots on the resolved quantity (`lot-size`);
    /// 8. buys only: per-order then per-symbol limits (`order-limit`, `position-limit`), then
    ///    the account-wide caps over every ledger (`position-limit`). A buy is valued at its
    ///    own limit, else its stop; a market, trailing or on-close buy under a notional limit
    ///    at `book.reference_price`; with no price known it is refused as `invalid-price`.
    ///
    /// On the accept path nothing is allocated but the order's `reason`.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] of the first rule that fails.
    pub fn check(
        &self,
        gate: &mut StrategyGate,
        signal: &SignalRequest,
        book: &dyn Book,
        now_ms: i64,
    ) -> Result<ValidatedOrder, Rejection> {
        let outcome = self.evaluate(gate, signal, book, now_ms);
        match &outcome {
            Ok(_) => self.record_accepted(gate),
            Err(rejection) => self.record_rejection(gate, rejection.code),
        }
        outcome
    }

    pub(super) fn record_accepted(&self, gate: &StrategyGate) {
        self.counters.record_accepted();
        gate.counters().record_accepted();
    }

    /// Counts a rejection decided outside [`check`](Self::check), e.g. `unavailable` when the
    /// durable write of an accepted order failed.
    pub fn record_rejection(&self, gate: &StrategyGate, code: RejectCode) {
        self.counters.record_rejected(code);
        gate.counters().record_rejected(code);
    }

    pub(super) fn evaluate(
        &self,
        gate: &mut StrategyGate,
        signal: &SignalRequest,
        book: &dyn Book,
        now_ms: i64,
    ) -> Result<ValidatedOrder, Rejection> {
        let SignalRequest {
            action,
            quantity,
            order_type,
            timing,
            ..
        } = *signal;
        gate.acquire_rate(now_ms)?;
        self.switch.check()?;
        sanity::check_sizes(signal)?;
        let instrument = gate.resolve(&signal.symbol)?;
        sanity::check_quantity(action, quantity, &instrument.symbol)?;
        sanity::check_prices(order_type, action, &instrument.symbol)?;
        sanity::check_timing(order_type, timing, action, &instrument.symbol)?;
        let exposure = book.exposure(instrument);
        let quantity = long_only::resolve_quantity(action, quantity, instrument, exposure)?;
        lots::check(&self.lots, instrument, quantity)?;
        let side = action.side();
        if side == Side::Buy {
            // A buy is valued at its own price (its limit, else its stop), else at the market.
            let price = order_type.expected_price().or_else(|| {
                book.reference_price(instrument)
                    .filter(|p| p.is_finite() && *p > 0.0)
            });
            if price.is_none() && (gate.limits().needs_price() || self.account.needs_price()) {
                return Err(Rejection::new(
                    RejectCode::InvalidPrice,
                    format!(
                        "{} {action} of {quantity} {instrument}: no price known yet to check \
                         the notional limits; wait for a bar or use a limit order",
                        order_type.name()
                    ),
                ));
            }
            limits::check_order(gate.limits(), instrument, quantity, price)?;
            limits::check_position(gate.limits(), instrument, exposure, quantity, price)?;
            // The account-wide sums are only asked for when a cap needs them: they span
            // every ledger.
            let caps = &self.account;
            let account = (caps.max_symbol_shares.is_some() || caps.max_symbol_notional.is_some())
                .then(|| book.account_exposure(instrument))
                .flatten();
            let gross = caps
                .max_gross_notional(instrument.market)
                .and_then(|_| book.account_gross_notional(instrument.market));
            caps.check_buy(instrument, quantity, price, account, gross)?;
        }
        Ok(ValidatedOrder {
            instrument: Arc::clone(instrument),
            action,
            side,
            quantity,
            order_type,
            timing,
            reason: signal.reason.clone(),
        })
    }
}
