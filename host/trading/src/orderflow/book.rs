//! The state a strategy's `emit` and the trading loop share: the order store, the last price
//! of each instrument, IB's minimum tick of each contract, and what each ledger trades under.
//!
//! Both run on the trading thread — `emit` inside a wasm call the loop made — so the lock
//! around it is never contended; it exists because the runtime requires a strategy's desk to
//! be `Send`. An uncontended `Mutex` costs ~20 ns, against ~15 µs for the commit behind it.
//! The loop never holds it across a strategy call, and the desk only `try_lock`s it: a bug
//! that broke that rule would refuse a signal as `unavailable`, never deadlock the thread.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use sandtrade_core::{Exposure, Instrument, Market, OrderType, Side, ticks};
use sandtrade_orders::{OrderState, OrderStore, SignalId};
use sandtrade_risk::{Book, Ledgers};

/// The shared book.
pub type SharedBook = Arc<Mutex<LiveBook>>;

/// The order store plus reference prices.
#[derive(Debug)]
pub struct LiveBook {
    /// The durable order store (the one writer of the database).
    pub store: OrderStore,
    /// Last close per IB contract symbol: prices market orders for notional limits.
    prices: HashMap<String, f64>,
    /// IB's minimum tick per contract symbol, from contract details (US stocks; SEHK's ticks
    /// come from its spread table).
    min_ticks: HashMap<String, f64>,
    /// Set when an order was accepted and waits in the queue; cleared by the loop when it
    /// takes from the queue.
    pub queued: bool,
    /// Set when a cancel was recorded that the trading loop has yet to settle or send (a
    /// strategy's cancel, or one waiting for IB to acknowledge its order).
    pub cancels_due: bool,
    /// The orders whose cancel was sent on this connection: not sent again until the next
    /// one.
    pub cancels_sent: HashSet<SignalId>,
    /// Set when a modify was recorded that the trading loop has yet to send.
    pub modifies_due: bool,
    /// The orders whose modify was sent on this connection.
    pub modifies_sent: HashSet<SignalId>,
    /// Each ledger's limits and rate window, kept across strategy restarts and shared with
    /// the operator's orders on that ledger.
    pub ledgers: Ledgers,
}

impl LiveBook {
    /// A book around `store`, with no prices yet.
    pub fn new(store: OrderStore) -> Self {
        let queued = store.queued_len() > 0;
        let mut book = Self {
            store,
            prices: HashMap::new(),
            min_ticks: HashMap::new(),
            queued,
            cancels_due: false,
            cancels_sent: HashSet::new(),
            modifies_due: false,
            modifies_sent: HashSet::new(),
            ledgers: Ledgers::new(),
        };
        book.cancels_due = book.has_unsent_cancels();
        book
    }

    /// Whether a recorded cancel has not been sent on this connection (or, for a queued order,
    /// not settled yet).
    pub fn has_unsent_cancels(&self) -> bool {
        self.store.working_orders().iter().any(|order| {
            order.cancel_requested_ms.is_some()
                && (order.state != OrderState::Submitted
                    && order.state != OrderState::PartiallyFilled
                    || !self.cancels_sent.contains(&order.signal_id))
        })
    }

    /// Records the last price of `symbol` (an IB contract symbol).
    pub fn set_price(&mut self, symbol: &str, price: f64) {
        if !(price.is_finite() && price > 0.0) {
            return;
        }
        match self.prices.get_mut(symbol) {
            Some(p) => *p = price,
            None => {
                self.prices.insert(symbol.to_owned(), price);
            }
        }
    }

    /// The last price of `symbol`, if one was seen.
    pub fn price(&self, symbol: &str) -> Option<f64> {
        self.prices.get(symbol).copied()
    }

    /// Records IB's minimum tick of `symbol` (an IB contract symbol).
    pub fn set_min_tick(&mut self, symbol: &str, tick: f64) {
        if tick.is_finite() && tick > 0.0 {
            self.min_ticks.insert(symbol.to_owned(), tick);
        }
    }

    /// Whether IB's minimum tick of `symbol` is known.
    pub fn knows_min_tick(&self, symbol: &str) -> bool {
        self.min_ticks.contains_key(symbol)
    }

    /// `order_type` with its limit and stop prices on the contract's tick, rounded in the
    /// favour of the side that trades: a buy's down, a sell's up (IB refuses an order off the
    /// tick with error 110). For a limit that never trades at a worse price; for a stop it
    /// never triggers later than asked (a sell stop at 95.003 rests at 95.01). A trailing
    /// stop's amount and offset are distances, kept as given: IB puts the trigger it computes
    /// from them on the tick itself.
    pub fn on_tick(&self, instrument: &Instrument, side: Side, order_type: OrderType) -> OrderType {
        let min_tick = self.min_ticks.get(&instrument.symbol).copied();
        order_type.map_prices(|field, price| {
            if field.is_on_tick() {
                ticks::round_limit(instrument.market, side, price, min_tick)
            } else {
                price
            }
        })
    }

    /// The book as one strategy's risk check sees it.
    pub fn for_strategy<'a>(&'a self, strategy: &'a str) -> StrategyBook<'a> {
        StrategyBook {
            book: self,
            strategy,
        }
    }
}

/// Locks the book from the trading loop (never while a strategy runs).
pub fn lock(book: &SharedBook) -> MutexGuard<'_, LiveBook> {
    // The book holds no invariant a panic could break halfway: every store write is one
    // transaction and memory follows only after a commit.
    book.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Locks the book from inside a strategy call: `None` if it is already held (a bug; the
/// caller refuses the signal as `unavailable`).
pub fn try_lock(book: &SharedBook) -> Option<MutexGuard<'_, LiveBook>> {
    match book.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// One strategy's view of the book, for [`sandtrade_risk::Validator::check`].
#[derive(Debug, Clone, Copy)]
pub struct StrategyBook<'a> {
    book: &'a LiveBook,
    strategy: &'a str,
}

impl Book for StrategyBook<'_> {
    fn exposure(&self, instrument: &Instrument) -> Exposure {
        self.book.store.exposure(self.strategy, &instrument.symbol)
    }

    fn reference_price(&self, instrument: &Instrument) -> Option<f64> {
        self.book.price(&instrument.symbol)
    }

    fn account_exposure(&self, instrument: &Instrument) -> Option<Exposure> {
        Some(self.book.store.account_exposure(&instrument.symbol))
    }

    fn account_gross_notional(&self, market: Market) -> Option<f64> {
        Some(
            self.book
                .store
                .account_gross(market, |symbol| self.book.price(symbol)),
        )
    }
}
