//! One connection to TWS / IB Gateway: connect (with fallback client ids and the paper/live
//! check), and the reads reconciliation needs, each to its end marker.
//!
//! `ibapi`'s own reconnect is switched off (`max_reconnect_attempts(0)`): a dropped
//! connection ends this session, and the trading loop makes a new one, with its own backoff,
//! and reconciles before it sends anything. One session = one `Client` = one IB session, so
//! nothing from an old session (an order stream, an order id counter) leaks into the next.

use std::sync::Arc;
use std::time::Duration;

use ibapi::Client;
use ibapi::orders::{ExecutionFilter, Executions, Orders};
use ibapi::subscriptions::NoticeStream;

use sandtrade_core::clock::DurationText;

use super::safety::{AccountRefusal, TradingMode, check_accounts};
use super::wire;
use crate::config::IbConfig;
use sandtrade_orders::{BrokerSnapshot, IbOrderId, IbOrderReport};

/// A connection that came up and passed the account check.
pub struct Connected {
    /// The client; shared with the futures that read through it.
    pub client: Arc<Client>,
    /// The client id it connected with (a fallback if the first was in use).
    pub client_id: i32,
    /// Every notice without a request id, the connect-time farm notices included.
    pub notices: NoticeStream,
    /// The accounts IB reported.
    pub managed_accounts: Vec<String>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("client_id", &self.client_id)
            .field("managed_accounts", &self.managed_accounts)
            .finish_non_exhaustive()
    }
}

/// Why a connect failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Nothing answered, or the handshake did not finish in time.
    #[error(
        "no answer from {address} within {} (is TWS / IB Gateway running, with the API enabled?)",
        DurationText(*timeout)
    )]
    Timeout {
        /// `host:port`.
        address: String,
        /// The connect timeout.
        timeout: Duration,
    },
    /// Every client id is in use (IB error 326).
    #[error(
        "client ids {} are all in use at {address} (IB error 326): another program (or a \
         previous sandtrade that has not let go yet) holds them; set ib.client_id or \
         ib.fallback_client_ids",
        id_list(ids)
    )]
    ClientIdsInUse {
        /// `host:port`.
        address: String,
        /// The ids tried.
        ids: Vec<i32>,
    },
    /// The accounts contradict the configuration. Fatal: retrying cannot fix it.
    #[error("refusing to trade at {address}: {refusal}")]
    Accounts {
        /// `host:port`.
        address: String,
        /// Why.
        refusal: AccountRefusal,
    },
    /// Anything else `ibapi` reported (connection refused, a broken handshake).
    #[error("cannot connect to {address}: {error}")]
    Ibapi {
        /// `host:port`.
        address: String,
        /// The error.
        error: ibapi::Error,
    },
}

impl ConnectError {
    /// Whether retrying could help (everything but an account mismatch).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Accounts { .. })
    }
}

/// Client ids as a sentence lists them: `17, 18, 19`.
fn id_list(ids: &[i32]) -> String {
    ids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Connects to `ib`, trying the client id and then each fallback while IB answers 326, and
/// checks the managed accounts against `mode` and `ib.account`.
///
/// # Errors
///
/// A [`ConnectError`].
pub async fn connect(ib: &IbConfig, mode: TradingMode) -> Result<Connected, ConnectError> {
    let address = ib.address();
    let mut tried = Vec::new();
    for client_id in ib.client_ids() {
        tried.push(client_id);
        let attempt = Client::builder()
            .address(address.as_str())
            .client_id(client_id)
            .max_reconnect_attempts(0)
            .one_shot_timeout(ib.request_timeout)
            .connect_with_notice_stream();
        let (client, notices) = match tokio::time::timeout(ib.connect_timeout, attempt).await {
            Err(_elapsed) => {
                return Err(ConnectError::Timeout {
                    address,
                    timeout: ib.connect_timeout,
                });
            }
            Ok(Err(ibapi::Error::ClientIdInUse { .. })) => {
                tracing::warn!(client_id, "IB error 326: client id in use; trying the next");
                continue;
            }
            Ok(Err(error)) => return Err(ConnectError::Ibapi { address, error }),
            Ok(Ok(connected)) => connected,
        };
        let managed_accounts = client.handshake_managed_accounts().to_vec();
        if let Err(refusal) = check_accounts(mode, &ib.account, &managed_accounts) {
            client.disconnect().await;
            return Err(ConnectError::Accounts { address, refusal });
        }
        return Ok(Connected {
            client: Arc::new(client),
            client_id,
            notices,
            managed_accounts,
        });
    }
    Err(ConnectError::ClientIdsInUse {
        address,
        ids: tried,
    })
}

/// Why a reconciliation read failed. The session is dropped and made again.
#[derive(Debug, thiserror::Error)]
#[error("reconciliation read `{request}` failed: {error}")]
pub struct SnapshotError {
    /// Which read.
    pub request: &'static str,
    /// What `ibapi` said (a timeout included).
    pub error: ibapi::Error,
}

/// Everything reconciliation needs, each read to its end marker: `nextValidId` (asked of IB,
/// not taken from the client's counter), every client's open orders, the completed orders,
/// and the account's executions with their commission reports.
///
/// # Errors
///
/// A [`SnapshotError`] naming the read that failed or timed out.
pub async fn snapshot(
    client: &Client,
    client_id: i32,
    account: &str,
    timeout: Duration,
) -> Result<BrokerSnapshot, SnapshotError> {
    let fail = |request| move |error| SnapshotError { request, error };
    let within = |request: &'static str| {
        move |_elapsed| SnapshotError {
            request,
            error: ibapi::Error::Timeout,
        }
    };
    let next_valid_id = tokio::time::timeout(timeout, client.next_valid_order_id())
        .await
        .map_err(within("reqIds"))?
        .map_err(fail("reqIds"))?;

    let open = client
        .all_open_orders()
        .await
        .map_err(fail("reqAllOpenOrders"))?
        .collect_to_end_within(timeout)
        .await
        .map_err(fail("reqAllOpenOrders"))?;
    let completed = client
        .completed_orders(true)
        .await
        .map_err(fail("reqCompletedOrders"))?
        .collect_to_end_within(timeout)
        .await
        .map_err(fail("reqCompletedOrders"))?;
    let filter = ExecutionFilter {
        account_code: account.to_owned(),
        ..ExecutionFilter::default()
    };
    let rows = client
        .executions(filter)
        .await
        .map_err(fail("reqExecutions"))?
        .collect_to_end_within(timeout)
        .await
        .map_err(fail("reqExecutions"))?;

    let now = sandtrade_core::clock::unix_ms();
    let mut executions = Vec::new();
    let mut commissions = Vec::new();
    for row in rows {
        match row {
            Executions::ExecutionData(data) => match wire::execution(&data.execution, now) {
                Ok(exec) => executions.push(exec),
                Err(why) => tracing::error!("reconciliation: {why}; not recorded"),
            },
            Executions::CommissionReport(report) => match wire::commission(&report) {
                Ok(report) => commissions.push(report),
                Err(why) => tracing::error!("reconciliation: {why}; not recorded"),
            },
        }
    }
    Ok(BrokerSnapshot {
        client_id,
        next_valid_id,
        open_orders: order_reports(open),
        completed_orders: order_reports(completed),
        executions,
        commissions,
    })
}

/// The order reports of an open- or completed-orders answer. An `orderStatus` that follows an
/// `openOrder` is newer: it replaces the status of the report with the same (client, order) id.
fn order_reports(items: Vec<Orders>) -> Vec<IbOrderReport> {
    let mut reports: Vec<IbOrderReport> = Vec::new();
    for item in items {
        match item {
            Orders::OrderData(data) => {
                let Some(status) = wire::status(&data.order_state.status) else {
                    tracing::warn!(
                        order_ref = data.order.order_ref,
                        status = data.order_state.status.as_str(),
                        "reconciliation: an order status this build does not know; skipped"
                    );
                    continue;
                };
                reports.push(IbOrderReport {
                    order_ref: data.order.order_ref,
                    ib: IbOrderId {
                        client_id: data.order.client_id,
                        order_id: data.order_id,
                    },
                    perm_id: data.order.perm_id,
                    status,
                });
            }
            Orders::OrderStatus(s) => {
                let Some(status) = wire::status(&s.status) else {
                    continue;
                };
                if let Some(report) = reports.iter_mut().rev().find(|r| {
                    r.ib.order_id == s.order_id && (s.perm_id == 0 || r.perm_id == s.perm_id)
                }) {
                    report.status = status;
                }
            }
        }
    }
    reports
}
