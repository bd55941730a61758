//! Orders an operator submits by hand (the REST API's `POST /api/ibkr/order`): the same
//! validation as a strategy's signal, against the exposure of the ledger the order is
//! attributed to, then the durable queue. A refusal is recorded like a strategy's, so the
//! signal log shows what operators were refused too.

use sandtrade_core::{RejectCode, Rejection, SignalRequest, clock};
use sandtrade_orders::SignalRecord;
use sandtrade_risk::{GateProblem, Limits, StrategyGate, Validator};

use super::book::{self, SharedBook};
use crate::handle::ManualOrder;

/// The strategy's own `[limits]` are not known for a manual order; the global ones apply.
const MANUAL_WASM_HASH: &str = "manual";

/// The desk of manual orders.
#[derive(Debug)]
pub(crate) struct ManualOrders {
    book: SharedBook,
    validator: Validator,
    limits: Limits,
}

impl ManualOrders {
    /// Manual orders into `book`, under the global `limits`.
    pub(crate) fn new(book: SharedBook, validator: Validator, limits: Limits) -> Self {
        Self {
            book,
            validator,
            limits,
        }
    }

    /// Validates `order` and queues it durably; returns its order id, or the refusal.
    pub(crate) fn submit(&self, order: &ManualOrder) -> Result<u64, Rejection> {
        let signal = SignalRequest {
            action: order.action,
            symbol: order.symbol.clone(),
            quantity: order.quantity,
            order_type: order.order_type,
            reason: order.reason.clone(),
        };
        let mut gate = StrategyGate::new(order.strategy.clone(), &[&order.symbol], &self.limits)
            .map_err(|e| {
                Rejection::new(
                    e.problems
                        .iter()
                        .find_map(|p| match p {
                            GateProblem::UnknownSymbol(r) => Some(r.code),
                            _ => None,
                        })
                        .unwrap_or(RejectCode::InvalidQuantity),
                    e.to_string(),
                )
            })?;
        let now = clock::unix_ms();
        let mut book = book::lock(&self.book);
        let checked =
            self.validator
                .check(&mut gate, &signal, &book.for_strategy(&order.strategy), now);
        let record = |action, quantity, order_type, reason| SignalRecord {
            strategy: &order.strategy,
            wasm_hash: MANUAL_WASM_HASH,
            symbol: &order.symbol,
            action,
            quantity,
            order_type,
            reason,
            time_ms: now,
        };
        let validated = match checked {
            Ok(validated) => validated,
            Err(rejection) => {
                let refused = record(
                    order.action,
                    order.quantity,
                    order.order_type,
                    &order.reason,
                );
                if let Err(e) = book.store.record_rejection(&refused, &rejection) {
                    tracing::warn!(strategy = order.strategy, "refusal not recorded: {e}");
                }
                return Err(rejection);
            }
        };
        let accepted = record(
            validated.action,
            validated.quantity,
            validated.order_type,
            &validated.reason,
        );
        match book.store.accept(&accepted, &validated.instrument) {
            Ok(id) => {
                book.queued = true;
                tracing::info!(order = %id, strategy = order.strategy, "manual order accepted");
                Ok(id.get())
            }
            Err(e) => Err(Rejection::new(
                RejectCode::Unavailable,
                format!("the host could not store the order: {e}"),
            )),
        }
    }
}
