//! Questions for IB that operators ask (the REST API's account and quote): commands carried
//! out on the trading thread, whose answers are awaited off it.
//!
//! A query takes one pacer slot on the trading thread (every outgoing message is paced), then
//! its round trip runs as a task on the same current-thread runtime: the loop goes on handling
//! bars and order events while IB answers, and the task replies on the command's oneshot.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ibapi::accounts::AccountSummaryResult;
use ibapi::accounts::types::AccountGroup;
use ibapi::market_data::realtime::Quote;
use ibapi::subscriptions::SubscriptionItem;
use tokio::sync::oneshot;
use tokio_stream::StreamExt;

use sandtrade_broker::wire;
use sandtrade_core::Instrument;
use sandtrade_core::clock::{self, DurationText};

use super::Connection;
use crate::handle::CommandError;
use crate::status::{AccountView, QuoteView};

/// The account summary tags asked for, and `$LEDGER:ALL` for the same per currency.
const ACCOUNT_TAGS: &[&str] = &[
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "AvailableFunds",
    "BuyingPower",
    "GrossPositionValue",
    "$LEDGER:ALL",
];

/// Asks IB for the account's values: one account-summary request, collected to its end
/// marker by a task on the loop's runtime, which answers `reply`.
pub(crate) async fn account(
    connection: &mut Connection,
    reply: oneshot::Sender<Result<AccountView, CommandError>>,
) {
    let Some((client, _)) = connection.client() else {
        let _ = reply.send(Err(not_connected()));
        return;
    };
    let client = Arc::clone(client);
    let account = connection.ib().account.clone();
    let timeout = connection.ib().request_timeout;
    connection.pacer().acquire().await;
    // The reply is the task's only output; a caller that gave up is not an error.
    tokio::spawn(async move {
        let _ = reply.send(account_summary(&client, account, timeout).await);
    });
}

/// Asks IB for a snapshot quote of `instrument`: one market-data snapshot request, collected
/// to its end marker by a task on the loop's runtime, which answers `reply`.
pub(crate) async fn quote(
    connection: &mut Connection,
    instrument: Instrument,
    reply: oneshot::Sender<Result<QuoteView, CommandError>>,
) {
    let Some((client, _)) = connection.client() else {
        let _ = reply.send(Err(not_connected()));
        return;
    };
    let client = Arc::clone(client);
    let timeout = connection.ib().request_timeout;
    connection.pacer().acquire().await;
    tokio::spawn(async move {
        let _ = reply.send(snapshot_quote(&client, instrument, timeout).await);
    });
}

fn not_connected() -> CommandError {
    CommandError::Unavailable("not connected to IB".into())
}

async fn account_summary(
    client: &ibapi::Client,
    account: String,
    timeout: Duration,
) -> Result<AccountView, CommandError> {
    let failed = |e: &dyn std::fmt::Display| {
        CommandError::Unavailable(format!("account summary request failed: {e}"))
    };
    let mut rows = client
        .account_summary(&AccountGroup("All".into()), ACCOUNT_TAGS)
        .await
        .map_err(|e| failed(&e))?;
    let mut values: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, rows.next()).await {
            Err(_) => return Err(failed(&"no end marker within the request timeout")),
            Ok(None) => return Err(failed(&"the stream ended")),
            Ok(Some(Err(e))) => return Err(failed(&e)),
            Ok(Some(Ok(SubscriptionItem::Data(AccountSummaryResult::End)))) => break,
            Ok(Some(Ok(SubscriptionItem::Data(AccountSummaryResult::Summary(row))))) => {
                if row.account != account {
                    continue;
                }
                if let Ok(value) = row.value.parse::<f64>() {
                    let currency = if row.currency.is_empty() {
                        "BASE".to_owned()
                    } else {
                        row.currency
                    };
                    values.entry(row.tag).or_default().insert(currency, value);
                }
            }
            Ok(Some(Ok(SubscriptionItem::Notice(n)))) => {
                tracing::info!(code = n.code, "account summary: {}", n.message);
            }
        }
    }
    // Dropping the subscription cancels it (IB allows two account summaries at a time).
    drop(rows);
    Ok(AccountView {
        account,
        values,
        at_ms: clock::unix_ms(),
    })
}

async fn snapshot_quote(
    client: &ibapi::Client,
    instrument: Instrument,
    timeout: Duration,
) -> Result<QuoteView, CommandError> {
    let contract = wire::contract(&instrument);
    let ticks = client
        .market_data(&contract)
        .snapshot_once(timeout)
        .await
        .map_err(|e| CommandError::Unavailable(format!("quote request failed: {e}")))?;
    let quote = Quote::from_ticks(&ticks);
    if quote.bid.is_none() && quote.ask.is_none() && quote.last.is_none() {
        return Err(CommandError::Unavailable(format!(
            "IB sent no price for {} within {}",
            instrument.symbol,
            DurationText(timeout)
        )));
    }
    Ok(QuoteView {
        symbol: instrument.symbol,
        currency: instrument.currency.to_owned(),
        bid: quote.bid,
        ask: quote.ask,
        last: quote.last,
        close: quote.close,
        volume: quote.volume,
        at_ms: clock::unix_ms(),
    })
}
