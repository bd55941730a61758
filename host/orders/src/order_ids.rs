//! The ids an order goes to IB with: its client order id (`orderRef`, from this session's
//! tag; see [`crate::ids`]) and its IB order id, the next of its clientId's sequence.
//!
//! IB order ids are per clientId and must increase. The next id of each clientId has a floor
//! that only rises: IB's `nextValidId` on each connect raises it, every take moves it past the
//! ids it used, and nothing lowers it, so a gateway restart that rolls `nextValidId` back
//! cannot make an id be used twice. No order is taken before its clientId's floor is known.

use std::collections::HashMap;

use super::OrderStoreError;
use super::database::Database;
use super::ids::{SessionTag, SignalId};
use super::record::IbOrderId;

/// Where order ids end: `ibapi` numbers its own requests from 1,500,000,000 up (and refuses a
/// connection whose `nextValidId` reaches it), so an order id must stay below.
pub const ORDER_ID_CEILING: i32 = 1_500_000_000;

/// Order ids a clientId must have left below [`ORDER_ID_CEILING`] after IB's `nextValidId`
/// for it to be used: a million orders. Fewer means the sequence is nearly used up, or the
/// value is garbage.
pub const ORDER_ID_HEADROOM: i32 = 1_000_000;

/// This session's tag and the next IB order id of each clientId, as stored.
#[derive(Debug)]
pub(super) struct OrderIds {
    tag: SessionTag,
    next: HashMap<i32, i32>,
}

impl OrderIds {
    /// `next` holds the stored `(client_id, next_order_id)` pairs.
    pub(super) fn new(tag: SessionTag, next: impl IntoIterator<Item = (i32, i32)>) -> Self {
        Self {
            tag,
            next: next.into_iter().collect(),
        }
    }

    /// This session's random tag.
    pub(super) fn session_tag(&self) -> &SessionTag {
        &self.tag
    }

    /// The `orderRef` of a signal accepted in this session.
    pub(super) fn client_order_id(&self, signal: SignalId) -> String {
        self.tag.client_order_id(signal)
    }

    /// The id the next order sent on `client_id` gets, if its floor is known.
    pub(super) fn next(&self, client_id: i32) -> Option<i32> {
        self.next.get(&client_id).copied()
    }

    /// Starts handing out ids of `client_id` from its next one. Nothing is used up until the
    /// caller has stored [`IdRun::next`] and passes the run to [`finish`](Self::finish).
    pub(super) fn reserve(&self, client_id: i32) -> Result<IdRun, OrderStoreError> {
        let next = self
            .next(client_id)
            .ok_or(OrderStoreError::NoOrderIdFloor(client_id))?;
        Ok(IdRun { client_id, next })
    }

    /// Moves the next id of the run's clientId past the ids it handed out (once stored).
    pub(super) fn finish(&mut self, run: IdRun) {
        self.raise(run.client_id, run.next);
    }

    /// The next id of `client_id` once IB said `next_valid_id`: never below the current one.
    pub(super) fn after_next_valid_id(&self, client_id: i32, next_valid_id: i32) -> i32 {
        self.next(client_id)
            .map_or(next_valid_id, |floor| floor.max(next_valid_id))
    }

    fn raise(&mut self, client_id: i32, next: i32) {
        let floor = self.next.entry(client_id).or_insert(next);
        *floor = (*floor).max(next);
    }
}

/// Consecutive IB order ids of one clientId, handed out one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IdRun {
    client_id: i32,
    next: i32,
}

impl IdRun {
    /// The next id of the run.
    ///
    /// # Errors
    ///
    /// [`OrderStoreError::OrderIdsExhausted`] when no id would be left after it below
    /// [`ORDER_ID_CEILING`]: the id after the run must be storable as the next one.
    pub(super) fn take(&mut self) -> Result<IbOrderId, OrderStoreError> {
        let order_id = self.next;
        self.next = order_id
            .checked_add(1)
            .filter(|next| *next <= ORDER_ID_CEILING)
            .ok_or(OrderStoreError::OrderIdsExhausted(self.client_id))?;
        Ok(IbOrderId {
            client_id: self.client_id,
            order_id,
        })
    }

    /// The clientId the ids are for.
    pub(super) fn client_id(&self) -> i32 {
        self.client_id
    }

    /// The first id after the run: what to store as the clientId's next id.
    pub(super) fn next(&self) -> i32 {
        self.next
    }
}

/// Raises the floor of `client_id` to `next_valid_id` (stored first, then in memory) and
/// returns the id the next order will get. Writes nothing when the floor does not move.
///
/// # Errors
///
/// [`OrderStoreError::ImplausibleNextValidId`] for a value that is not positive or leaves
/// fewer than [`ORDER_ID_HEADROOM`] ids (nothing is changed), or a failed write.
pub(super) fn observe_next_valid_id(
    database: &Database,
    ids: &mut OrderIds,
    client_id: i32,
    next_valid_id: i32,
) -> Result<i32, OrderStoreError> {
    if !(1..=ORDER_ID_CEILING - ORDER_ID_HEADROOM).contains(&next_valid_id) {
        return Err(OrderStoreError::ImplausibleNextValidId {
            client_id,
            next_valid_id,
        });
    }
    let next = ids.after_next_valid_id(client_id, next_valid_id);
    if ids.next(client_id) != Some(next) {
        database.raise_next_order_id(client_id, next)?;
        ids.raise(client_id, next);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(next: &[(i32, i32)]) -> OrderIds {
        OrderIds::new(SessionTag::parse("k3v9q2xa").unwrap(), next.iter().copied())
    }

    fn id(client_id: i32, order_id: i32) -> IbOrderId {
        IbOrderId {
            client_id,
            order_id,
        }
    }

    #[test]
    fn no_id_is_handed_out_before_the_floor_is_known() {
        let ids = ids(&[(1, 10)]);
        assert!(matches!(
            ids.reserve(7),
            Err(OrderStoreError::NoOrderIdFloor(7))
        ));
        assert_eq!(ids.next(7), None);
    }

    #[test]
    fn a_run_hands_out_consecutive_ids_and_uses_them_up_only_when_finished() {
        let mut ids = ids(&[(7, 500)]);
        let mut run = ids.reserve(7).unwrap();
        assert_eq!(run.take().unwrap(), id(7, 500));
        assert_eq!(run.take().unwrap(), id(7, 501));
        assert_eq!((run.client_id(), run.next()), (7, 502));
        assert_eq!(ids.next(7), Some(500), "not used up until finished");
        ids.finish(run);
        assert_eq!(ids.next(7), Some(502));
        assert_eq!(ids.reserve(7).unwrap().take().unwrap(), id(7, 502));
    }

    #[test]
    fn ids_end_below_where_ibapis_request_ids_begin() {
        let ids = ids(&[(3, ORDER_ID_CEILING - 1)]);
        let mut run = ids.reserve(3).unwrap();
        assert_eq!(run.take().unwrap(), id(3, ORDER_ID_CEILING - 1));
        assert!(matches!(
            run.take(),
            Err(OrderStoreError::OrderIdsExhausted(3))
        ));
    }

    #[test]
    fn next_valid_id_only_raises_the_floor() {
        let mut ids = ids(&[(7, 502)]);
        assert_eq!(ids.after_next_valid_id(7, 3), 502, "a rolled-back gateway");
        assert_eq!(ids.after_next_valid_id(7, 900), 900);
        assert_eq!(ids.after_next_valid_id(8, 3), 3, "a new clientId");
        ids.raise(7, 3);
        assert_eq!(ids.next(7), Some(502));
    }

    #[test]
    fn client_order_ids_carry_the_session_tag() {
        let ids = ids(&[]);
        assert_eq!(ids.session_tag().as_str(), "k3v9q2xa");
        assert_eq!(
            ids.client_order_id(SignalId::from_row(42)),
            "st-k3v9q2xa-42"
        );
    }
}
