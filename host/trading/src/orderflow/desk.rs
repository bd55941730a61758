//! The live desk: where a running strategy's `emit`, `position` and `now-ms` go.
//!
//! `emit` = risk check ([`Validator::check`]) → durable accept ([`OrderStore::accept`],
//! committed before the id is returned) → the order waits `queued`; the trading loop takes it
//! for sending right after the strategy's call returns. A refusal is recorded in the database
//! with its code, except `rate-limit` and refusals over the strategy's [`RefusalBudget`]: a
//! runaway strategy must not be able to fill the disk with refusals; those are counted only.
//!
//! [`OrderStore::accept`]: sandtrade_orders::OrderStore::accept

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::book::{self, LiveBook, SharedBook};
use super::refusals::RefusalBudget;
use sandtrade_core::clock;
use sandtrade_core::{
    BracketIds, BracketRequest, ExitRole, OrderChange, RejectCode, Rejection, SignalRequest,
};
use sandtrade_orders::{OrderState, OrderStoreError, SignalId, SignalRecord};
use sandtrade_risk::{Limits, StrategyGate, ValidatedOrder, Validator};
use sandtrade_runtime::{
    CancelRefusal, Cancelled, Desk, DeskSpec, Holding, Modified, ModifyRefusal, StrategyMetadata,
    WorkingOrder, WorkingState,
};

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// One strategy's desk.
pub struct LiveDesk {
    name: Arc<str>,
    wasm_sha256: String,
    /// The operator's global limits tightened by the sidecar's; `Err` if the sidecar's are
    /// malformed (every signal is then refused, and the status says why).
    limits: Result<Limits, String>,
    /// Built from the strategy's metadata in [`Desk::bind`].
    gate: Result<StrategyGate, String>,
    validator: Validator,
    book: SharedBook,
    /// While warming up with historical bars, signals are refused (they would trade on the
    /// past).
    warming: bool,
    /// Unique per desk made: tells a freshly installed instance from the one before.
    serial: u64,
    /// How many of its refusals may still be written to the signal log this minute.
    refusals: RefusalBudget,
}

impl std::fmt::Debug for LiveDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveDesk")
            .field("name", &self.name)
            .field("warming", &self.warming)
            .finish_non_exhaustive()
    }
}

impl LiveDesk {
    /// The desk of the strategy `spec` describes.
    pub fn new(spec: &DeskSpec, global: &Limits, validator: Validator, book: SharedBook) -> Self {
        let limits = global.stricter(&spec.sidecar.limits);
        let limits = limits
            .validate()
            .map(|()| limits)
            .map_err(|e| format!("its sidecar's {e}"));
        if let Err(why) = &limits {
            tracing::error!(
                strategy = &*spec.name,
                "every signal will be refused: {why}"
            );
        }
        Self {
            name: spec.name.clone(),
            wasm_sha256: spec.wasm_sha256.clone(),
            gate: Err("not started".to_owned()),
            limits,
            validator,
            book,
            warming: false,
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            refusals: RefusalBudget::new(),
        }
    }

    /// This desk's serial number: a new install (or a hot swap) makes a new desk.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Whether signals are refused because the strategy is being warmed up.
    pub fn set_warming(&mut self, warming: bool) {
        self.warming = warming;
    }

    /// The strategy's spelling of an IB contract symbol (`0700.HK` for `700`), for fills.
    pub fn declared_as(&self, symbol: &str) -> Option<&str> {
        let gate = self.gate.as_ref().ok()?;
        gate.instruments()
            .iter()
            .find(|i| i.symbol == symbol)
            .and_then(|i| gate.declared_as(i))
    }

    /// Why every signal is refused, if something is wrong with the limits.
    pub fn problem(&self) -> Option<&str> {
        self.gate.as_ref().err().map(String::as_str)
    }

    fn refuse(&self, code: RejectCode, message: String) -> Rejection {
        if let Ok(gate) = &self.gate {
            self.validator.record_rejection(gate, code);
        }
        Rejection::new(code, message)
    }
}

impl LiveDesk {
    /// The path every signal takes: refused while warming up, validated by `check` under this
    /// strategy's gate (a refusal recorded in the signal log within the budget), stored by
    /// `store` (a failed write answered `unavailable`), then waiting in the queue.
    fn take<V, T>(
        &mut self,
        signal: &SignalRequest,
        check: impl FnOnce(&Validator, &mut StrategyGate, &LiveBook, i64) -> Result<V, Rejection>,
        store: impl FnOnce(&mut LiveBook, V, SignalRecord<'_>) -> Result<T, OrderStoreError>,
    ) -> Result<T, Rejection> {
        if self.warming {
            // Not `trading-halted`: nobody halted anything; the host cannot take the signal
            // yet, which is what `unavailable` says (and, like a halt, it is no strike).
            return Err(self.refuse(
                RejectCode::Unavailable,
                "the strategy is warming up on historical bars; signals are traded from its \
                 first live bar"
                    .to_owned(),
            ));
        }
        let now = clock::unix_ms();
        let Some(mut book) = book::try_lock(&self.book) else {
            return Err(self.refuse(
                RejectCode::Unavailable,
                "the order book is busy (host bug); the signal was not stored".to_owned(),
            ));
        };
        let gate = match &mut self.gate {
            Ok(gate) => gate,
            Err(why) => {
                return Err(Rejection::new(
                    RejectCode::Unavailable,
                    format!("the host cannot validate this strategy's signals: {why}"),
                ));
            }
        };
        let record = SignalRecord {
            strategy: &self.name,
            wasm_hash: &self.wasm_sha256,
            symbol: &signal.symbol,
            action: signal.action,
            quantity: signal.quantity,
            order_type: signal.order_type,
            timing: signal.timing,
            reason: &signal.reason,
            time_ms: now,
        };
        let validated = match check(&self.validator, gate, &book, now) {
            Ok(validated) => validated,
            Err(rejection) => {
                let stored = (rejection.code != RejectCode::RateLimit)
                    .then(|| self.refusals.admit(now, &rejection.message))
                    .flatten();
                if let Some(message) = stored {
                    let kept = Rejection::new(rejection.code, message);
                    if let Err(e) = book.store.record_rejection(&record, &kept) {
                        tracing::warn!(strategy = &*self.name, "refusal not recorded: {e}");
                    }
                }
                return Err(rejection);
            }
        };
        match store(&mut book, validated, record) {
            Ok(stored) => {
                book.queued = true;
                Ok(stored)
            }
            Err(e) => {
                tracing::error!(strategy = &*self.name, "accepted signal not stored: {e}");
                self.validator
                    .record_rejection(gate, RejectCode::Unavailable);
                Err(Rejection::new(
                    RejectCode::Unavailable,
                    format!("the host could not store the signal: {e}"),
                ))
            }
        }
    }
}

/// The signal record of a validated order: as risk resolved it, its prices on the tick.
fn accepted<'a>(
    book: &LiveBook,
    order: &'a ValidatedOrder,
    asked: &SignalRecord<'a>,
) -> SignalRecord<'a> {
    SignalRecord {
        action: order.action,
        quantity: order.quantity,
        order_type: book.on_tick(&order.instrument, order.side, order.order_type),
        timing: order.timing,
        reason: &order.reason,
        ..*asked
    }
}

impl Desk for LiveDesk {
    fn emit(&mut self, signal: SignalRequest) -> Result<u64, Rejection> {
        let name = self.name.clone();
        self.take(
            &signal,
            |validator, gate, book, now| {
                validator.check(gate, &signal, &book.for_strategy(&name), now)
            },
            |book, order, asked| {
                let record = accepted(book, &order, &asked);
                book.store
                    .accept(&record, &order.instrument)
                    .map(SignalId::get)
            },
        )
    }

    /// The entry and its exits are stored together and sent together by the trading loop:
    /// the entry and every exit but the last held at IB (`transmit` false) until the last
    /// transmits them all, the exits as the entry's children.
    fn emit_bracket(&mut self, bracket: BracketRequest) -> Result<BracketIds, Rejection> {
        let name = self.name.clone();
        let signal = bracket.entry.clone();
        self.take(
            &signal,
            |validator, gate, book, now| {
                validator.check_bracket(gate, &bracket, &book.for_strategy(&name), now)
            },
            |book, validated, asked| {
                let entry = accepted(book, &validated.entry, &asked);
                let exits: Vec<SignalRecord<'_>> = validated
                    .exits
                    .iter()
                    .map(|(_, exit)| accepted(book, exit, &asked))
                    .collect();
                let (entry, exit_ids) =
                    book.store
                        .accept_bracket(&entry, &exits, &validated.entry.instrument)?;
                let mut ids = BracketIds {
                    entry: entry.get(),
                    take_profit: None,
                    stop_loss: None,
                };
                for ((role, _), id) in validated.exits.iter().zip(exit_ids) {
                    match role {
                        ExitRole::TakeProfit => ids.take_profit = Some(id.get()),
                        ExitRole::StopLoss => ids.stop_loss = Some(id.get()),
                    }
                }
                Ok(ids)
            },
        )
    }

    fn position(&mut self, symbol: &str) -> Option<Holding> {
        let gate = self.gate.as_ref().ok()?;
        let instrument = gate.resolve(symbol).ok()?;
        let book = book::try_lock(&self.book)?;
        let position = book.store.position(&self.name, &instrument.symbol)?;
        let quantity = u32::try_from(position.quantity.max(0)).unwrap_or(u32::MAX);
        (quantity > 0).then(|| Holding {
            symbol: symbol.to_owned(),
            quantity,
            avg_cost: position.avg_cost,
        })
    }

    fn working_orders(&mut self) -> Vec<WorkingOrder> {
        let Some(book) = book::try_lock(&self.book) else {
            return Vec::new();
        };
        book.store
            .working_orders()
            .into_iter()
            .filter(|order| *order.strategy == *self.name)
            .map(|order| WorkingOrder {
                signal_id: order.signal_id.get(),
                symbol: self
                    .declared_as(&order.instrument.symbol)
                    .unwrap_or(&order.instrument.symbol)
                    .to_owned(),
                action: order.action,
                quantity: order.quantity,
                filled: u32::try_from(order.filled_qty.max(0)).unwrap_or(u32::MAX),
                order_type: order.order_type,
                timing: order.timing,
                exit_of: order.exit_of.map(SignalId::get),
                state: match order.state {
                    OrderState::Queued => WorkingState::Queued,
                    OrderState::Sending => WorkingState::Sending,
                    _ if order.cancel_requested_ms.is_some() => WorkingState::Cancelling,
                    OrderState::Unknown => WorkingState::Unknown,
                    _ => WorkingState::Working,
                },
            })
            .collect()
    }

    /// Records the cancel durably; the trading loop settles a queued order or sends the
    /// cancel to IB right after this strategy call returns, before it sends anything queued.
    fn cancel(&mut self, signal_id: u64) -> Result<Cancelled, CancelRefusal> {
        let Some(mut book) = book::try_lock(&self.book) else {
            return Err(CancelRefusal::Unavailable);
        };
        let signal = SignalId::from_u64(signal_id);
        let order = match book.store.order(signal) {
            Ok(Some(order)) if *order.strategy == *self.name => order,
            Ok(_) => return Err(CancelRefusal::UnknownOrder),
            Err(e) => {
                tracing::error!(strategy = &*self.name, order = signal_id, "cancel: {e}");
                return Err(CancelRefusal::Unavailable);
            }
        };
        if order.state.is_terminal() {
            return Err(CancelRefusal::AlreadyEnded);
        }
        if let Err(e) = book.store.request_cancel(signal) {
            tracing::error!(
                strategy = &*self.name,
                order = signal_id,
                "cancel not recorded: {e}"
            );
            return Err(CancelRefusal::Unavailable);
        }
        book.cancels_due = true;
        Ok(match order.state {
            OrderState::Queued => Cancelled::BeforeSending,
            _ => Cancelled::Requested,
        })
    }

    /// Validated under this strategy's gate as a new order in its place; the trading loop
    /// sends it right after this strategy call returns.
    fn modify(&mut self, signal_id: u64, change: OrderChange) -> Result<Modified, ModifyRefusal> {
        let Some(mut book) = book::try_lock(&self.book) else {
            return Err(ModifyRefusal::Unavailable);
        };
        let order = match book.store.order(SignalId::from_u64(signal_id)) {
            Ok(Some(order)) if *order.strategy == *self.name => order,
            Ok(_) => return Err(ModifyRefusal::UnknownOrder),
            Err(e) => {
                tracing::error!(strategy = &*self.name, order = signal_id, "modify: {e}");
                return Err(ModifyRefusal::Unavailable);
            }
        };
        let gate = self.gate.as_mut().map_err(|_| ModifyRefusal::Unavailable)?;
        super::modify::apply(&mut book, &self.validator, gate, &order, &change)
    }

    fn now_ms(&mut self) -> i64 {
        clock::unix_ms()
    }

    /// Never refuses: a strategy whose limits are unusable still runs, every signal refused
    /// with the reason, which `strategies()` reports (so the operator sees it, not a restart
    /// loop).
    ///
    /// The gate counts toward its ledger's rate window, which outlives this instance: a
    /// restart or a hot swap does not give the strategy a fresh minute of signals.
    fn bind(&mut self, metadata: &StrategyMetadata) -> Result<(), String> {
        self.gate = match &self.limits {
            Ok(limits) => StrategyGate::new(self.name.to_string(), &metadata.symbols, limits)
                .map_err(|e| e.to_string())
                .and_then(|mut gate| {
                    let book =
                        book::try_lock(&self.book).ok_or("the order book is busy (host bug)")?;
                    gate.share_rate(book.ledgers.strategy_started(&self.name, limits));
                    Ok(gate)
                }),
            Err(why) => Err(why.clone()),
        };
        Ok(())
    }
}
