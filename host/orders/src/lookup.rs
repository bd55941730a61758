//! Finding an order: the working copy from memory, else its row (a finished order).

use super::OrderStoreError;
use super::database::Database;
use super::ids::{SignalId, parse_client_order_id};
use super::record::OrderRecord;
use super::working::WorkingSet;

/// One order, whatever its state.
pub(super) fn order(
    database: &Database,
    working: &WorkingSet,
    signal: SignalId,
) -> Result<Option<OrderRecord>, OrderStoreError> {
    match working.get(signal) {
        Some(order) => Ok(Some(order.clone())),
        None => database.order(signal),
    }
}

/// The order an `orderRef` names, if it is one of this database's: its id's row must hold
/// exactly that text (see [`crate::ids`]).
pub(super) fn order_by_ref(
    database: &Database,
    working: &WorkingSet,
    order_ref: &str,
) -> Result<Option<OrderRecord>, OrderStoreError> {
    let Some(signal) = parse_client_order_id(order_ref) else {
        return Ok(None);
    };
    // Same id, other text: another database's order, or one from history this file lost.
    Ok(order(database, working, signal)?.filter(|order| order.client_order_id == order_ref))
}
