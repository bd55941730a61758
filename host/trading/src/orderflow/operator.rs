//! What operators do to orders (the REST API's order routes): submit one by hand — the same
//! validation as a strategy's signal, against the exposure of the ledger the order is
//! attributed to, then the durable queue; a refusal is recorded like a strategy's, so the
//! signal log shows what operators were refused too — cancel one, and settle an order whose
//! fate reconciliation could not settle.

use std::sync::Arc;

use sandtrade_core::{
    Action, BracketRequest, Exposure, OrderChange, OrderType, RejectCode, Rejection, Side,
    SignalRequest, clock,
};
use sandtrade_orders::{IbStatus, OrderState, OrderStoreError, Settlement, SignalId, SignalRecord};
use sandtrade_risk::{GateProblem, Limits, StrategyGate, Validator};
use sandtrade_runtime::{Modified, ModifyRefusal};

use super::book::{self, SharedBook};
use super::cancels::send_cancel;
use crate::connection::Connection;
use crate::events::Events;
use crate::handle::{
    CancelOutcome, CommandError, ManualAccepted, ManualChange, ManualExit, ManualOrder,
    ManualRefusal, ModifyOutcome,
};

/// The strategy's own `[limits]` are not known for a manual order; the global ones apply.
const MANUAL_WASM_HASH: &str = "manual";

/// The operator's desk.
#[derive(Debug)]
pub(crate) struct Operator {
    book: SharedBook,
    validator: Validator,
    limits: Limits,
    events: Events,
}

impl Operator {
    /// Manual orders into `book`, under the global `limits`.
    pub(crate) fn new(
        book: SharedBook,
        validator: Validator,
        limits: Limits,
        events: Events,
    ) -> Self {
        Self {
            book,
            validator,
            limits,
            events,
        }
    }

    /// Plans `order` onto a long-only action from its ledger's exposure, validates it under
    /// the ledger's limits and rate window, and queues it durably — all under one lock of the
    /// book, so no fill can change the position between the plan and the order. Returns the
    /// order as it was validated (the action, the resolved quantity, the limit price on the
    /// tick), or the refusal.
    pub(crate) fn submit(&self, order: &ManualOrder) -> Result<ManualAccepted, ManualRefusal> {
        let instrument = sandtrade_core::normalize(&order.symbol).map_err(ManualRefusal::Risk)?;
        let now = clock::unix_ms();
        let mut book = book::lock(&self.book);
        let exposure = book.store.exposure(&order.strategy, &instrument.symbol);
        let action = plan(order.side, order.quantity, exposure)?;
        let signal = SignalRequest {
            action,
            symbol: order.symbol.clone(),
            quantity: order.quantity,
            order_type: order.order_type,
            timing: order.timing,
            reason: order.reason.clone(),
        };
        let (limits, rate) = book.ledgers.for_operator(&order.strategy, &self.limits);
        let mut gate = StrategyGate::new(order.strategy.clone(), &[&order.symbol], &limits)
            .map_err(|e| {
                ManualRefusal::Risk(Rejection::new(
                    e.problems
                        .iter()
                        .find_map(|p| match p {
                            GateProblem::UnknownSymbol(r) => Some(r.code),
                            _ => None,
                        })
                        .unwrap_or(RejectCode::InvalidQuantity),
                    e.to_string(),
                ))
            })?;
        gate.share_rate(rate);
        let checked = match order.exits {
            None => self
                .validator
                .check(&mut gate, &signal, &book.for_strategy(&order.strategy), now)
                .map(|entry| (entry, Vec::new())),
            Some(exits) => {
                let bracket = BracketRequest {
                    entry: signal.clone(),
                    exits,
                };
                self.validator
                    .check_bracket(
                        &mut gate,
                        &bracket,
                        &book.for_strategy(&order.strategy),
                        now,
                    )
                    .map(|bracket| (bracket.entry, bracket.exits))
            }
        };
        let record = |action, quantity, order_type, reason| SignalRecord {
            strategy: &order.strategy,
            wasm_hash: MANUAL_WASM_HASH,
            symbol: &order.symbol,
            action,
            quantity,
            order_type,
            timing: order.timing,
            reason,
            time_ms: now,
        };
        let (validated, exits) = match checked {
            Ok(validated) => validated,
            Err(rejection) => {
                if rejection.code != RejectCode::RateLimit {
                    let refused = record(action, order.quantity, order.order_type, &order.reason);
                    if let Err(e) = book.store.record_rejection(&refused, &rejection) {
                        tracing::warn!(strategy = order.strategy, "refusal not recorded: {e}");
                    }
                }
                return Err(ManualRefusal::Risk(rejection));
            }
        };
        let order_type = book.on_tick(&validated.instrument, validated.side, validated.order_type);
        let accepted = record(
            validated.action,
            validated.quantity,
            order_type,
            &validated.reason,
        );
        let exit_types: Vec<OrderType> = exits
            .iter()
            .map(|(_, exit)| book.on_tick(&exit.instrument, exit.side, exit.order_type))
            .collect();
        let exit_records: Vec<SignalRecord<'_>> = exits
            .iter()
            .zip(&exit_types)
            .map(|((_, exit), order_type)| SignalRecord {
                timing: exit.timing,
                ..record(exit.action, exit.quantity, *order_type, &exit.reason)
            })
            .collect();
        let stored = if exits.is_empty() {
            book.store
                .accept(&accepted, &validated.instrument)
                .map(|id| (id, Vec::new()))
        } else {
            book.store
                .accept_bracket(&accepted, &exit_records, &validated.instrument)
        };
        match stored {
            Ok((id, exit_ids)) => {
                book.queued = true;
                tracing::info!(order = %id, strategy = order.strategy, "manual order accepted");
                Ok(ManualAccepted {
                    id: id.get(),
                    action: validated.action,
                    symbol: validated.instrument.symbol.clone(),
                    quantity: validated.quantity,
                    order_type,
                    timing: validated.timing,
                    exits: exits
                        .iter()
                        .zip(exit_ids)
                        .zip(exit_types)
                        .map(|(((role, exit), id), order_type)| ManualExit {
                            id: id.get(),
                            role: *role,
                            order_type,
                            timing: exit.timing,
                        })
                        .collect(),
                })
            }
            Err(e) => Err(ManualRefusal::Risk(Rejection::new(
                RejectCode::Unavailable,
                format!("the host could not store the order: {e}"),
            ))),
        }
    }

    /// Cancels an order: a queued one here, a working one at IB (through `connection`), the
    /// request recorded before it is sent.
    pub(crate) async fn cancel(
        &mut self,
        id: u64,
        connection: &mut Connection,
    ) -> Result<CancelOutcome, CommandError> {
        let signal = SignalId::from_u64(id);
        let order = book::lock(&self.book)
            .store
            .order(signal)
            .map_err(|e| CommandError::Refused(e.to_string()))?
            .ok_or_else(|| CommandError::NotFound(format!("order {id}")))?;
        match order.state {
            OrderState::Queued => {
                let change = book::lock(&self.book)
                    .store
                    .apply_status(signal, IbStatus::ApiCancelled, None)
                    .map_err(|e| CommandError::Refused(e.to_string()))?;
                super::state_changed(&self.events, signal, change);
                Ok(CancelOutcome::CancelledBeforeSending)
            }
            OrderState::Submitted | OrderState::PartiallyFilled => {
                let Some(ib) = order.ib else {
                    return Err(CommandError::Refused(format!(
                        "order {id} has no IB order id"
                    )));
                };
                if let Some((_, client_id)) = connection.client()
                    && ib.client_id != client_id
                {
                    return Err(CommandError::Refused(format!(
                        "order {id} was placed by client id {} and only it can cancel it \
                         (connected as {client_id})",
                        ib.client_id
                    )));
                }
                // Recorded before it is sent: a cancel that does not reach IB now is sent
                // again once the next connection is reconciled.
                book::lock(&self.book)
                    .store
                    .request_cancel(signal)
                    .map_err(|e| CommandError::Refused(e.to_string()))?;
                let Some((client, _)) = connection.client() else {
                    tracing::info!(order = id, "not connected: the cancel is sent on reconnect");
                    return Ok(CancelOutcome::OnReconnect);
                };
                let client = Arc::clone(client);
                connection.pacer().acquire().await;
                send_cancel(&client, id, ib.order_id)
                    .await
                    .map_err(CommandError::Refused)?;
                book::lock(&self.book).cancels_sent.insert(signal);
                Ok(CancelOutcome::SentToIb)
            }
            OrderState::Sending | OrderState::Unknown => Err(CommandError::Refused(format!(
                "order {id} is {}: whether IB has it is not known yet; reconcile first",
                order.state
            ))),
            OrderState::Filled | OrderState::Cancelled | OrderState::Rejected => Err(
                CommandError::Refused(format!("order {id} is already {}", order.state)),
            ),
        }
    }

    /// Changes order `id` as the operator asked: the prices given replace the order's own
    /// (a field its type lacks is refused), validated under its ledger's limits and rate as a
    /// new order in its place would be.
    pub(crate) fn modify(
        &mut self,
        id: u64,
        change: &ManualChange,
        connected: bool,
    ) -> Result<Result<ModifyOutcome, Rejection>, CommandError> {
        let signal = SignalId::from_u64(id);
        let mut book = book::lock(&self.book);
        let order = book
            .store
            .order(signal)
            .map_err(|e| CommandError::Refused(e.to_string()))?
            .ok_or_else(|| CommandError::NotFound(format!("order {id}")))?;
        let order_type = if change.prices.is_empty() {
            None
        } else {
            match order.order_type.reprice(&change.prices) {
                Ok(order_type) => Some(order_type),
                Err(why) => {
                    return Ok(Err(Rejection::new(
                        RejectCode::InvalidOrder,
                        format!("order {id}: {why}"),
                    )));
                }
            }
        };
        let (limits, rate) = book.ledgers.for_operator(&order.strategy, &self.limits);
        let symbol = order.instrument.symbol.clone();
        let mut gate = StrategyGate::new(order.strategy.clone(), &[&symbol], &limits)
            .map_err(|e| CommandError::Refused(e.to_string()))?;
        gate.share_rate(rate);
        let change = OrderChange {
            quantity: change.quantity,
            order_type,
        };
        match super::modify::apply(&mut book, &self.validator, &mut gate, &order, &change) {
            Ok(Modified::BeforeSending) => Ok(Ok(ModifyOutcome::ChangedBeforeSending)),
            Ok(Modified::Requested) if connected => Ok(Ok(ModifyOutcome::SentToIb)),
            Ok(Modified::Requested) => Ok(Ok(ModifyOutcome::OnReconnect)),
            Err(ModifyRefusal::Refused(rejection)) => Ok(Err(rejection)),
            Err(ModifyRefusal::AlreadyEnded) => Err(CommandError::Refused(format!(
                "order {id} is already {}",
                order.state
            ))),
            Err(ModifyRefusal::Pending) => Err(CommandError::Refused(format!(
                "order {id} is {}{}: IB has not acknowledged it yet; try again once it has",
                order.state,
                if order.modify_requested_ms.is_some() {
                    " with a change"
                } else if order.cancel_requested_ms.is_some() {
                    " with a cancel"
                } else {
                    ""
                }
            ))),
            Err(ModifyRefusal::UnknownOrder) => Err(CommandError::NotFound(format!("order {id}"))),
            Err(ModifyRefusal::Unavailable) => Ok(Err(Rejection::new(
                RejectCode::Unavailable,
                format!("the host could not store the change of order {id}"),
            ))),
        }
    }

    /// Settles an `unknown` order as the operator decided, with their `reason`.
    pub(crate) fn settle_unknown(
        &mut self,
        id: u64,
        settlement: Settlement,
        reason: &str,
    ) -> Result<(), CommandError> {
        let signal = SignalId::from_u64(id);
        let mut book = book::lock(&self.book);
        let result = book.store.settle_unknown(signal, settlement, reason);
        book.queued = book.store.queued_len() > 0;
        drop(book);
        match result {
            Ok(change) => {
                tracing::warn!(
                    order = id,
                    ?settlement,
                    reason,
                    "unknown order settled by an operator"
                );
                super::state_changed(&self.events, signal, change);
                Ok(())
            }
            Err(OrderStoreError::UnknownOrder(_)) => {
                Err(CommandError::NotFound(format!("order {id}")))
            }
            Err(e) => Err(CommandError::Refused(e.to_string())),
        }
    }
}

/// Maps a buy or sell of `quantity` onto a long-only action for a ledger whose exposure is `h`:
///
/// - a buy opens a position when the ledger holds nothing and buys nothing, else adds to it;
/// - a sell closes the position when it sells exactly what is held and nothing else is being
///   sold, else reduces it; more than `held − pending sells` is refused.
///
/// # Errors
///
/// [`ManualRefusal::SellExceedsPosition`] for a sell above what may be sold.
pub fn plan(side: Side, quantity: u32, h: Exposure) -> Result<Action, ManualRefusal> {
    match side {
        Side::Buy if h.is_flat() => Ok(Action::OpenLong),
        Side::Buy => Ok(Action::AddLong),
        Side::Sell if quantity > h.sellable() => Err(ManualRefusal::SellExceedsPosition {
            requested: quantity,
            exposure: h,
        }),
        Side::Sell if quantity == h.held && h.pending_sells == 0 => Ok(Action::CloseLong),
        Side::Sell => Ok(Action::ReduceLong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(held: i64, pending_buys: i64, pending_sells: i64) -> Exposure {
        Exposure::from_signed(held, pending_buys, pending_sells)
    }

    #[test]
    fn buys_open_when_flat_and_add_otherwise() {
        assert_eq!(plan(Side::Buy, 10, h(0, 0, 0)), Ok(Action::OpenLong));
        assert_eq!(plan(Side::Buy, 10, h(5, 0, 0)), Ok(Action::AddLong));
        assert_eq!(plan(Side::Buy, 10, h(0, 5, 0)), Ok(Action::AddLong));
    }

    #[test]
    fn sells_close_the_whole_position_or_reduce_it() {
        assert_eq!(plan(Side::Sell, 10, h(10, 0, 0)), Ok(Action::CloseLong));
        assert_eq!(plan(Side::Sell, 4, h(10, 0, 0)), Ok(Action::ReduceLong));
        assert_eq!(plan(Side::Sell, 6, h(10, 0, 4)), Ok(Action::ReduceLong));
    }

    #[test]
    fn a_sell_above_the_sellable_position_is_refused() {
        assert_eq!(
            plan(Side::Sell, 8, h(10, 0, 4)),
            Err(ManualRefusal::SellExceedsPosition {
                requested: 8,
                exposure: h(10, 0, 4)
            })
        );
        assert!(plan(Side::Sell, 1, h(0, 0, 0)).is_err());
    }
}
