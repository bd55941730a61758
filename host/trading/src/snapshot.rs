//! The status picture, from each part's share of it: what `status()` answers and what the
//! publisher hands to readers.

use std::time::Instant;

use sandtrade_risk::{TradingState, Validator};

use crate::connection::Connection;
use crate::feed::Feed;
use crate::loss_guard::LossGuard;
use crate::orderflow::OrderFlow;
use crate::status::{SignalSummary, TradingStatus};

/// The status picture, from each part's share of it.
pub(crate) fn picture(
    connection: &Connection,
    feed: &Feed,
    orders: &OrderFlow,
    loss_guard: &LossGuard,
    validator: &Validator,
) -> TradingStatus {
    let counts = validator.counters().snapshot();
    let (messages_sent, pacer_headroom) = connection.pacer_figures(Instant::now());
    TradingStatus {
        mode: connection.mode(),
        account: connection.ib().account.clone(),
        connection: connection.status().clone(),
        halted: match validator.switch().state() {
            TradingState::Active => None,
            TradingState::Halted { reason } => Some(reason),
        },
        orders: orders.counts(),
        signals: SignalSummary {
            accepted: counts.accepted,
            rejected: counts
                .nonzero_rejections()
                .map(|(code, n)| (code.as_str().to_owned(), n))
                .collect(),
        },
        last_reconcile: orders.last_reconcile().cloned(),
        drift: orders.drift().to_vec(),
        subscriptions: feed.subscribed(),
        subscription_errors: feed.subscription_errors().clone(),
        market_data: feed.data_views(),
        warming_up: feed.warming(),
        account_risk: loss_guard.view(),
        messages_sent,
        messages_per_second: connection.ib().messages_per_second,
        pacer_headroom,
        at_ms: sandtrade_core::clock::unix_ms(),
    }
}
