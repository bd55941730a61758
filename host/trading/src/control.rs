//! Operator commands ([`super::TradingHandle`]) carried out on the trading thread, and the
//! status they read.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::oneshot;

use super::book::{self, LiveBook};
use super::handle::{CancelOutcome, Command, CommandError, ManualOrder};
use super::status::{
    LedgerLine, OrderCounts, OrderView, PositionsView, SignalSummary, StrategyView, TradingStatus,
};
use super::trader::Trader;
use sandtrade_core::clock;
use sandtrade_core::{RejectCode, Rejection, SignalRequest};
use sandtrade_orders::{IbStatus, OrderState, SignalId, SignalRecord};
use sandtrade_risk::{StrategyGate, TradingState};
use sandtrade_runtime::{DirChange, compile_file, sidecar};

/// A reload that finished compiling (off the trading thread).
pub(super) struct Reloaded {
    name: Arc<str>,
    result: Result<DirChange, String>,
    reply: oneshot::Sender<Result<(), CommandError>>,
}

/// The strategy's own `[limits]` are not known for a manual order; the global ones apply.
const MANUAL_WASM_HASH: &str = "manual";

impl Trader {
    pub(super) async fn on_command(&mut self, command: Command) {
        // A reply nobody waits for any more (the caller gave up) is not an error.
        match command {
            Command::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Command::Positions(reply) => {
                let _ = reply.send(self.positions());
            }
            Command::Orders(reply) => {
                let orders = book::lock(&self.book)
                    .store
                    .working_orders()
                    .into_iter()
                    .map(OrderView::from)
                    .collect();
                let _ = reply.send(orders);
            }
            Command::Order(id, reply) => {
                let found = book::lock(&self.book).store.order(signal_id(id));
                let _ = reply.send(match found {
                    Ok(Some(order)) => Ok(OrderView::from(&order)),
                    Ok(None) => Err(CommandError::NotFound(format!("order {id}"))),
                    Err(e) => Err(CommandError::Refused(e.to_string())),
                });
            }
            Command::Strategies(reply) => {
                let _ = reply.send(self.strategies());
            }
            Command::Submit(order, reply) => {
                let outcome = self.submit(&order);
                let _ = reply.send(Ok(outcome));
                self.send_queued().await;
            }
            Command::Cancel(id, reply) => {
                let outcome = self.cancel(id).await;
                let _ = reply.send(outcome);
            }
            Command::ReleaseUnknown(id, note, reply) => {
                let result = book::lock(&self.book)
                    .store
                    .release_unknown(signal_id(id), &format!("operator: {note}"));
                let outcome = match result {
                    Ok(change) => {
                        tracing::warn!(
                            order = id,
                            note,
                            "unknown order released to the queue by an operator"
                        );
                        self.state_changed(signal_id(id), change);
                        book::lock(&self.book).queued = true;
                        Ok(())
                    }
                    Err(sandtrade_orders::OrderStoreError::UnknownOrder(_)) => {
                        Err(CommandError::NotFound(format!("order {id}")))
                    }
                    Err(e) => Err(CommandError::Refused(e.to_string())),
                };
                let _ = reply.send(outcome);
                self.send_queued().await;
            }
            Command::Connection(up, reply) => {
                self.hold_down(!up);
                if !up {
                    self.lose_connection("disconnected by the operator".into())
                        .await;
                }
                let _ = reply.send(());
            }
            Command::Reconcile(reply) => {
                let outcome = if self.conn.held_down {
                    Err(CommandError::Refused(
                        "disconnected by the operator: connect first".into(),
                    ))
                } else {
                    self.lose_connection("reconnecting to reconcile, as the operator asked".into())
                        .await;
                    self.hold_down(false);
                    Ok(())
                };
                let _ = reply.send(outcome);
            }
            Command::EnableStrategy(name, enable, reply) => {
                let outcome = if enable {
                    match self.fleet.enable(&name, self.mono_ms()) {
                        Ok(true) => Ok(()),
                        Ok(false) => Err(CommandError::NotFound(format!("strategy {name}"))),
                        Err(e) => Err(CommandError::Refused(e.to_string())),
                    }
                } else if self.fleet.disable(&name) {
                    Ok(())
                } else {
                    Err(CommandError::NotFound(format!("strategy {name}")))
                };
                let _ = reply.send(outcome);
            }
            Command::ReloadStrategy(name, reply) => self.reload(name, reply),
            Command::Account(reply) => self.query_account(reply).await,
            Command::Quote(instrument, reply) => self.query_quote(instrument, reply).await,
            Command::Exposure(strategy, symbol, reply) => {
                let exposure = book::lock(&self.book).store.exposure(&strategy, &symbol);
                let _ = reply.send(exposure);
            }
            Command::Republish => self.status_urgent = true,
            Command::ConnectTo(target, reply) => {
                let outcome = self.connect_to(target).await;
                let _ = reply.send(outcome);
            }
        }
    }

    pub(super) fn status(&self) -> TradingStatus {
        let book = book::lock(&self.book);
        let orders = order_counts(&book);
        drop(book);
        let counts = self.validator.counters().snapshot();
        TradingStatus {
            mode: self.config.mode,
            account: self.config.ib.account.clone(),
            connection: self.conn.clone(),
            halted: match self.validator.switch().state() {
                TradingState::Active => None,
                TradingState::Halted { reason } => Some(reason),
            },
            orders,
            signals: SignalSummary {
                accepted: counts.accepted,
                rejected: counts
                    .nonzero_rejections()
                    .map(|(code, n)| (code.as_str().to_owned(), n))
                    .collect(),
            },
            last_reconcile: self.last_reconcile.clone(),
            drift: self.drift_now.clone(),
            subscriptions: self.market.subscribed(),
            subscription_errors: self.market.failed().clone(),
            warming_up: self.warmups.strategies().map(|s| s.to_string()).collect(),
            messages_sent: self.pacer.sent(),
            messages_per_second: self.config.ib.messages_per_second,
            pacer_headroom: self.pacer.available(std::time::Instant::now()),
            at_ms: clock::unix_ms(),
        }
    }

    fn positions(&self) -> PositionsView {
        let book = book::lock(&self.book);
        let mut strategies: BTreeMap<String, BTreeMap<String, LedgerLine>> = BTreeMap::new();
        for (strategy, symbol, _, p) in book.store.positions() {
            strategies.entry(strategy.to_owned()).or_default().insert(
                symbol.to_owned(),
                LedgerLine {
                    quantity: p.quantity,
                    avg_cost: p.avg_cost,
                    realized_pnl: p.realized_pnl,
                    commissions: p.commissions,
                },
            );
        }
        PositionsView {
            broker_known: self.positions_known,
            broker: self.broker_positions.clone(),
            strategies,
            drift: self.drift_now.clone(),
        }
    }

    fn strategies(&mut self) -> Vec<StrategyView> {
        let statuses = self.fleet.status();
        statuses
            .into_iter()
            .map(|status| {
                let problem = self
                    .fleet
                    .desk_mut(&status.name)
                    .and_then(|d| d.problem().map(str::to_owned));
                StrategyView {
                    warming_up: self.warmups.is_warming(&status.name),
                    problem,
                    status,
                }
            })
            .collect()
    }

    /// A manual order: the same validation as a strategy's signal, then the durable queue.
    fn submit(&mut self, order: &ManualOrder) -> Result<u64, Rejection> {
        let signal = SignalRequest {
            action: order.action,
            symbol: order.symbol.clone(),
            quantity: order.quantity,
            order_type: order.order_type,
            reason: order.reason.clone(),
        };
        let mut gate = StrategyGate::new(
            order.strategy.clone(),
            &[&order.symbol],
            &self.config.limits,
        )
        .map_err(|e| {
            Rejection::new(
                e.problems
                    .iter()
                    .find_map(|p| match p {
                        sandtrade_risk::GateProblem::UnknownSymbol(r) => Some(r.code),
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
        let validated = match checked {
            Ok(validated) => validated,
            Err(rejection) => {
                // Recorded like a strategy's refusal, so the signal log shows what operators
                // were refused too.
                let refused = SignalRecord {
                    strategy: &order.strategy,
                    wasm_hash: MANUAL_WASM_HASH,
                    symbol: &order.symbol,
                    action: order.action,
                    quantity: order.quantity,
                    order_type: order.order_type,
                    reason: &order.reason,
                    time_ms: now,
                };
                if let Err(e) = book.store.record_rejection(&refused, &rejection) {
                    tracing::warn!(strategy = order.strategy, "refusal not recorded: {e}");
                }
                return Err(rejection);
            }
        };
        let record = SignalRecord {
            strategy: &order.strategy,
            wasm_hash: MANUAL_WASM_HASH,
            symbol: &order.symbol,
            action: validated.action,
            quantity: validated.quantity,
            order_type: validated.order_type,
            reason: &validated.reason,
            time_ms: now,
        };
        match book.store.accept(&record, &validated.instrument) {
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

    async fn cancel(&mut self, id: u64) -> Result<CancelOutcome, CommandError> {
        let signal = signal_id(id);
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
                self.state_changed(signal, change);
                Ok(CancelOutcome::CancelledBeforeSending)
            }
            OrderState::Submitted | OrderState::PartiallyFilled => {
                let Some(session) = &self.session else {
                    return Err(CommandError::Refused(
                        "not connected to IB: the cancel cannot be sent".into(),
                    ));
                };
                let Some(ib) = order.ib else {
                    return Err(CommandError::Refused(format!(
                        "order {id} has no IB order id"
                    )));
                };
                if ib.client_id != session.client_id {
                    return Err(CommandError::Refused(format!(
                        "order {id} was placed by client id {} and only it can cancel it \
                         (connected as {})",
                        ib.client_id, session.client_id
                    )));
                }
                let client = Arc::clone(&session.client);
                self.pacer.acquire().await;
                // The subscription is dropped at once: the outcome arrives as order status.
                client
                    .cancel_order(ib.order_id, "")
                    .await
                    .map(drop)
                    .map_err(|e| CommandError::Refused(format!("the cancel was not sent: {e}")))?;
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

    /// Compiles `name.wasm` again off the trading thread; installed when done.
    fn reload(&mut self, name: String, reply: oneshot::Sender<Result<(), CommandError>>) {
        if self.fleet.status_of(&name).is_none()
            && self.fleet.load_errors().get(name.as_str()).is_none()
        {
            let path = self.config.strategies_dir.join(format!("{name}.wasm"));
            if !path.exists() {
                let _ = reply.send(Err(CommandError::NotFound(format!("strategy {name}"))));
                return;
            }
        }
        let path: PathBuf = self.config.strategies_dir.join(format!("{name}.wasm"));
        let runtime = self.runtime.clone();
        let cache = self.cache.clone();
        let name: Arc<str> = Arc::from(name);
        let job_name = name.clone();
        let compile = tokio::task::spawn_blocking(move || {
            let sidecar = sidecar::load_for(&path)
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            let compiled =
                compile_file(&runtime, cache.as_ref(), &path).map_err(|e| e.to_string())?;
            Ok(DirChange::Upsert {
                name: job_name,
                compiled: Arc::new(compiled),
                sidecar,
            })
        });
        self.reloads.push(
            async move {
                let result = match compile.await {
                    Ok(result) => result,
                    Err(e) => Err(format!("the compile job failed: {e}")),
                };
                Reloaded {
                    name,
                    result,
                    reply,
                }
            }
            .boxed_local(),
        );
    }

    pub(super) async fn on_reloaded(&mut self, reloaded: Reloaded) {
        let Reloaded {
            name,
            result,
            reply,
        } = reloaded;
        let outcome = match result {
            Ok(change) => match self.install(change).await {
                Ok(outcome) => {
                    tracing::info!(strategy = &*name, ?outcome, "reloaded by the operator");
                    Ok(())
                }
                Err(why) => Err(CommandError::Refused(why)),
            },
            Err(why) => Err(CommandError::Refused(why)),
        };
        let _ = reply.send(outcome);
        self.send_queued().await;
    }
}

fn order_counts(book: &LiveBook) -> OrderCounts {
    let mut counts = OrderCounts {
        queued: book.store.queued_len(),
        working: BTreeMap::new(),
    };
    for order in book.store.working_orders() {
        *counts
            .working
            .entry(order.state.as_str().to_owned())
            .or_default() += 1;
    }
    counts
}

fn signal_id(id: u64) -> SignalId {
    SignalId::from_u64(id)
}
