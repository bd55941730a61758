//! Order states and the one table of allowed transitions.
//!
//! ```text
//! queued ──take──► sending ──acknowledged──► submitted ──fill──► partially-filled ──fill──► filled
//!   ▲                │  │                        │                     │
//!   └──not-sent──────┘  └──lost──► unknown ◄──lost┴─────────────────────┘
//!   ▲                                 │
//!   └────────release (operator)───────┘           any working state ──► cancelled | rejected
//! ```
//!
//! Two kinds of event drive an order, and the table treats them differently:
//!
//! - **Our own moves** (`take`, `not-sent`, `lost`, `release`) are checked strictly: a move
//!   from the wrong state is an [`InvalidTransition`], because it means our own bookkeeping is
//!   wrong and continuing could send an order twice.
//! - **Facts reported by IB** (`acknowledged`, `fill`, `cancelled`, `rejected`) are never
//!   refused. IB reports them in its own order: an execution before its status, the same status
//!   twice, a fill after a cancel, a stale `Submitted` after the last fill. A stale or duplicate
//!   fact leaves the state as it is; a fill always moves the order forward (money moved).
//!
//! Only executions fill an order: IB's `Filled` *status* is not an event here
//! ([`IbStatus::event`] returns `None` for it), so filled quantity is never taken from
//! `orderStatus`, whose counts can lag or repeat.

use std::fmt;
use std::str::FromStr;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderState {
    /// Accepted and durable; not yet handed to the broker.
    Queued,
    /// Taken by the broker; recorded *before* the wire write, so it may or may not be at IB.
    Sending,
    /// IB acknowledged it (PendingSubmit, PreSubmitted, Submitted, or found open at IB).
    Submitted,
    /// Some, not all, of the quantity has executed.
    PartiallyFilled,
    /// Executions cover the whole quantity. Terminal.
    Filled,
    /// Cancelled at IB (or before it was ever sent). Terminal; may carry a partial fill.
    Cancelled,
    /// Refused by IB (error 201, status `Inactive`). Terminal; may carry a partial fill.
    Rejected,
    /// We do not know whether IB has it: lost while sending, or not found by reconciliation.
    /// Never re-sent automatically; resolved by reconciliation or by an operator.
    Unknown,
}

impl OrderState {
    /// Every state, in life order.
    pub const ALL: [Self; 8] = [
        Self::Queued,
        Self::Sending,
        Self::Submitted,
        Self::PartiallyFilled,
        Self::Filled,
        Self::Cancelled,
        Self::Rejected,
        Self::Unknown,
    ];

    /// The kebab-case name stored in the database and shown by the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Submitted => "submitted",
            Self::PartiallyFilled => "partially-filled",
            Self::Filled => "filled",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
            Self::Unknown => "unknown",
        }
    }

    /// Filled, cancelled or rejected: nothing more will be sent or is pending at IB.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Filled | Self::Cancelled | Self::Rejected)
    }

    /// Whether the order may still be live at IB (everything but `queued` and the terminal
    /// states). These are the orders reconciliation asks IB about.
    pub const fn may_be_at_ib(self) -> bool {
        !self.is_terminal() && !matches!(self, Self::Queued)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as its name (`partially-filled`), for the status API and event stream.
impl serde::Serialize for OrderState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A stored state name that is not one of [`OrderState::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order state {0:?}")]
pub struct UnknownStateName(pub String);

impl FromStr for OrderState {
    type Err = UnknownStateName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownStateName(s.to_owned()))
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// Ours: the broker takes a queued order to send it.
    Take,
    /// Ours: the broker knows the send failed before any byte reached the wire (not
    /// connected, encoding failed), so the order goes back to the queue.
    NotSent,
    /// Ours: we lost track of a possibly-live order (connection dropped while sending, or a
    /// full reconciliation found no trace of it).
    Lost,
    /// Ours, by an operator: an `unknown` order is declared never sent and queued again.
    Release,
    /// IB: the order is working (PendingSubmit, PreSubmitted, Submitted, PendingCancel, or
    /// open at IB during reconciliation).
    Acknowledged,
    /// IB: an execution. `complete` when executions now cover the whole quantity.
    Fill {
        /// Executions cover the order's whole quantity.
        complete: bool,
    },
    /// IB: cancelled (`Cancelled`, `ApiCancelled`, error 202), or cancelled before sending.
    Cancelled,
    /// IB: refused (`Inactive`, error 201).
    Rejected,
}

impl OrderEvent {
    /// Whether this event is a fact reported by IB (never refused) rather than our own move.
    pub const fn is_ib_fact(self) -> bool {
        matches!(
            self,
            Self::Acknowledged | Self::Fill { .. } | Self::Cancelled | Self::Rejected
        )
    }

    /// A short name for messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Take => "take",
            Self::NotSent => "not-sent",
            Self::Lost => "lost",
            Self::Release => "release",
            Self::Acknowledged => "acknowledged",
            Self::Fill { complete: false } => "partial-fill",
            Self::Fill { complete: true } => "complete-fill",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }
}

impl fmt::Display for OrderEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of our own moves was asked of an order in a state that does not allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("order in state {from} cannot take event {event}")]
pub struct InvalidTransition {
    /// The state the order was in.
    pub from: OrderState,
    /// The refused event.
    pub event: OrderEvent,
}

/// The state after `event` happens to an order in state `from`.
///
/// Returns `from` itself for a stale or duplicate IB fact (a no-op).
///
/// # Errors
///
/// [`InvalidTransition`] for one of our own moves ([`OrderEvent::is_ib_fact`] is false) from a
/// state that does not allow it. IB facts are never refused.
pub const fn transition(
    from: OrderState,
    event: OrderEvent,
) -> Result<OrderState, InvalidTransition> {
    use OrderEvent as E;
    use OrderState as S;
    let to = match (from, event) {
        // Our own moves: exactly one way each.
        (S::Queued, E::Take) => S::Sending,
        (S::Sending, E::NotSent) => S::Queued,
        (S::Sending | S::Submitted | S::PartiallyFilled | S::Unknown, E::Lost) => S::Unknown,
        (S::Unknown, E::Release) => S::Queued,
        (_, E::Take | E::NotSent | E::Lost | E::Release) => {
            return Err(InvalidTransition { from, event });
        }

        // A fill is a fact: money moved. It takes even a queued order out of the queue (so it
        // is never sent again) and completes a cancelled or rejected one ("fill after cancel").
        (S::Filled, E::Fill { .. }) => S::Filled,
        (_, E::Fill { complete: true }) => S::Filled,
        (S::Cancelled | S::Rejected, E::Fill { complete: false }) => from,
        (_, E::Fill { complete: false }) => S::PartiallyFilled,

        // A working status. After a partial fill it is stale (IB re-reports `Submitted` between
        // fills); after a terminal state it is stale too.
        (S::PartiallyFilled | S::Filled | S::Cancelled | S::Rejected, E::Acknowledged) => from,
        (_, E::Acknowledged) => S::Submitted,

        // Cancel and reject end a live order; they never undo a fill or each other.
        (S::Filled | S::Cancelled | S::Rejected, E::Cancelled | E::Rejected) => from,
        (_, E::Cancelled) => S::Cancelled,
        (_, E::Rejected) => S::Rejected,
    };
    Ok(to)
}

/// An order status string as IB sends it in `orderStatus`, `openOrder` and `completedOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IbStatus {
    /// `ApiPending`.
    ApiPending,
    /// `PendingSubmit`.
    PendingSubmit,
    /// `PendingCancel`: still working until the cancel is confirmed.
    PendingCancel,
    /// `PreSubmitted`.
    PreSubmitted,
    /// `Submitted`.
    Submitted,
    /// `ApiCancelled`.
    ApiCancelled,
    /// `Cancelled`.
    Cancelled,
    /// `Filled`: informative only, fills come from executions.
    Filled,
    /// `Inactive`: rejected, or otherwise no longer working.
    Inactive,
}

impl IbStatus {
    /// Parses IB's exact status string. `None` for anything else (the caller logs it).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ApiPending" => Self::ApiPending,
            "PendingSubmit" => Self::PendingSubmit,
            "PendingCancel" => Self::PendingCancel,
            "PreSubmitted" => Self::PreSubmitted,
            "Submitted" => Self::Submitted,
            "ApiCancelled" => Self::ApiCancelled,
            "Cancelled" => Self::Cancelled,
            "Filled" => Self::Filled,
            "Inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// IB's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ApiPending => "ApiPending",
            Self::PendingSubmit => "PendingSubmit",
            Self::PendingCancel => "PendingCancel",
            Self::PreSubmitted => "PreSubmitted",
            Self::Submitted => "Submitted",
            Self::ApiCancelled => "ApiCancelled",
            Self::Cancelled => "Cancelled",
            Self::Filled => "Filled",
            Self::Inactive => "Inactive",
        }
    }

    /// The order event this status means, or `None` for `Filled` (only executions fill).
    pub const fn event(self) -> Option<OrderEvent> {
        match self {
            Self::ApiPending
            | Self::PendingSubmit
            | Self::PendingCancel
            | Self::PreSubmitted
            | Self::Submitted => Some(OrderEvent::Acknowledged),
            Self::ApiCancelled | Self::Cancelled => Some(OrderEvent::Cancelled),
            Self::Inactive => Some(OrderEvent::Rejected),
            Self::Filled => None,
        }
    }
}

impl fmt::Display for IbStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use OrderEvent as E;
    use OrderState as S;

    const EVENTS: [OrderEvent; 9] = [
        E::Take,
        E::NotSent,
        E::Lost,
        E::Release,
        E::Acknowledged,
        E::Fill { complete: false },
        E::Fill { complete: true },
        E::Cancelled,
        E::Rejected,
    ];

    /// The whole table, written out: one row per state, one column per event in `EVENTS`
    /// order. `None` = refused.
    #[rustfmt::skip]
    fn expected(from: OrderState) -> [Option<OrderState>; 9] {
        let x = None;
        match from {
            // columns: take, not-sent, lost, release, acknowledged, partial fill, complete fill,
            // cancelled, rejected
            S::Queued => [Some(S::Sending), x, x, x, Some(S::Submitted), Some(S::PartiallyFilled), Some(S::Filled), Some(S::Cancelled), Some(S::Rejected)],
            S::Sending => [x, Some(S::Queued), Some(S::Unknown), x, Some(S::Submitted), Some(S::PartiallyFilled), Some(S::Filled), Some(S::Cancelled), Some(S::Rejected)],
            S::Submitted => [x, x, Some(S::Unknown), x, Some(S::Submitted), Some(S::PartiallyFilled), Some(S::Filled), Some(S::Cancelled), Some(S::Rejected)],
            S::PartiallyFilled => [x, x, Some(S::Unknown), x, Some(S::PartiallyFilled), Some(S::PartiallyFilled), Some(S::Filled), Some(S::Cancelled), Some(S::Rejected)],
            S::Filled => [x, x, x, x, Some(S::Filled), Some(S::Filled), Some(S::Filled), Some(S::Filled), Some(S::Filled)],
            S::Cancelled => [x, x, x, x, Some(S::Cancelled), Some(S::Cancelled), Some(S::Filled), Some(S::Cancelled), Some(S::Cancelled)],
            S::Rejected => [x, x, x, x, Some(S::Rejected), Some(S::Rejected), Some(S::Filled), Some(S::Rejected), Some(S::Rejected)],
            S::Unknown => [x, x, Some(S::Unknown), Some(S::Queued), Some(S::Submitted), Some(S::PartiallyFilled), Some(S::Filled), Some(S::Cancelled), Some(S::Rejected)],
        }
    }

    #[test]
    fn transition_table_is_exactly_the_documented_one() {
        for from in S::ALL {
            let row = expected(from);
            for (event, want) in EVENTS.into_iter().zip(row) {
                let got = transition(from, event).ok();
                assert_eq!(got, want, "{from} + {event}");
            }
        }
    }

    #[test]
    fn refusals_name_state_and_event() {
        let err = transition(S::Submitted, E::Take).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order in state submitted cannot take event take"
        );
    }

    #[test]
    fn ib_facts_are_never_refused() {
        for from in S::ALL {
            for event in EVENTS.into_iter().filter(|e| e.is_ib_fact()) {
                assert!(transition(from, event).is_ok(), "{from} + {event}");
            }
        }
    }

    #[test]
    fn state_names_round_trip() {
        for state in S::ALL {
            assert_eq!(state.as_str().parse::<OrderState>(), Ok(state));
        }
        assert_eq!(
            "done".parse::<OrderState>(),
            Err(UnknownStateName("done".into()))
        );
    }

    #[test]
    fn ib_status_strings_round_trip_and_map_to_events() {
        let all = [
            ("ApiPending", Some(E::Acknowledged)),
            ("PendingSubmit", Some(E::Acknowledged)),
            ("PendingCancel", Some(E::Acknowledged)),
            ("PreSubmitted", Some(E::Acknowledged)),
            ("Submitted", Some(E::Acknowledged)),
            ("ApiCancelled", Some(E::Cancelled)),
            ("Cancelled", Some(E::Cancelled)),
            ("Filled", None),
            ("Inactive", Some(E::Rejected)),
        ];
        for (name, event) in all {
            let status = IbStatus::parse(name).expect(name);
            assert_eq!(status.as_str(), name);
            assert_eq!(status.event(), event, "{name}");
        }
        assert_eq!(IbStatus::parse("submitted"), None);
    }

    fn any_state() -> impl Strategy<Value = OrderState> {
        prop::sample::select(S::ALL.to_vec())
    }

    fn any_ib_fact() -> impl Strategy<Value = OrderEvent> {
        prop::sample::select(
            EVENTS
                .into_iter()
                .filter(|e| e.is_ib_fact())
                .collect::<Vec<_>>(),
        )
    }

    proptest! {
        /// IB repeats statuses: applying any fact twice is the same as applying it once.
        #[test]
        fn ib_facts_are_idempotent(from in any_state(), event in any_ib_fact()) {
            let once = transition(from, event).unwrap();
            prop_assert_eq!(transition(once, event).unwrap(), once);
        }

        /// Once filled, no sequence of IB facts leaves `filled`.
        #[test]
        fn filled_absorbs_every_fact(events in prop::collection::vec(any_ib_fact(), 0..20)) {
            let mut state = S::Filled;
            for event in events {
                state = transition(state, event).unwrap();
            }
            prop_assert_eq!(state, S::Filled);
        }

        /// Facts never bring an order back to `queued` or `sending`: only our own moves
        /// (`not-sent`, `release`) can requeue, so IB's messages can never cause a resend.
        #[test]
        fn facts_never_requeue(from in any_state(), events in prop::collection::vec(any_ib_fact(), 1..20)) {
            let mut state = from;
            for event in events {
                state = transition(state, event).unwrap();
                prop_assert!(!matches!(state, S::Queued | S::Sending), "{} after facts", state);
            }
        }
    }
}
