//! The simulated account of a backtest: orders, fills, positions, cash, equity.
//!
//! # Model
//!
//! - **When**: an order submitted while the strategy handles the bar starting at `t` fills at
//!   the next bar of its symbol that starts after `t`, never in the bar it was decided on (nor
//!   in another symbol's bar of the same time, which the strategy has not seen).
//! - **Market orders** fill in full at that bar's open, moved against the strategy by the
//!   slippage: `open × (1 + bps/10⁴)` for a buy, `open × (1 − bps/10⁴)` for a sell.
//! - **Limit orders** (day) are good for that one bar. A buy at `L` fills at `min(open × (1 +
//!   slip), L)` if the bar opens at or below `L`, else at `L` if the low trades through it
//!   (`low < L`); a sell mirrors this with the high. Touching the limit is not enough. An
//!   unfilled limit order expires (the strategy is not told; it sees its position unchanged and
//!   its pending shares released).
//! - **Stops, stop-limits, trailing stops, on-close orders** and every time in force follow
//!   the rules in [`resting`](super::resting): they rest across bars until they fill or their
//!   time in force ends.
//! - **Brackets** ([`Sim::submit_bracket`]): the exits wait until their entry has filled, then
//!   work from the next bar as resting sells of their type, one exit between them (a fill of
//!   one reduces the others by as much); an entry that ends unfilled ends its exits. They count
//!   as one pending sell of what they may still sell beyond what the entry has yet to buy.
//! - **Commission** per fill from the [`CommissionSchedule`] of the symbol's market.
//! - **Cash** per currency (USD, HKD), starting from [`SimConfig::initial_cash`], with no FX
//!   and no interest; cash may go negative (risk limits, not the simulator, bound exposure).
//! - **Positions** per symbol: shares and average cost (fill prices, commissions excluded).
//!   A sell realizes `(price − average cost) × shares`; commissions are counted separately.
//! - **Equity** per currency = cash + shares × last close, taken at every [`Sim::mark`].
//!
//! The driver of a backtest calls, for each bar in time order: [`Sim::open`] (fills), the
//! strategy's `on-bar` (whose signals go through the validator, with the simulator as the
//! [`Book`], then to [`Sim::submit`]), then [`Sim::mark`]; at the end [`Sim::finish`].

use std::collections::BTreeMap;

use serde::Deserialize;

use super::bars::BarRow;
use super::commission::CommissionSchedule;
use super::equity::{Drawdown, EquityCurve};
use super::fill::Fill;
use super::instruments::{SymbolId, SymbolTable};
use super::report::{AccountSummary, PositionSummary, Report};
use super::resting::{Outcome, PreviousBar, RestingOrder};
use sandtrade_core::{BracketIds, ExitRole, Exposure, Instrument, Market, Position, Side};
use sandtrade_risk::{Book, SignalCounts, ValidatedBracket, ValidatedOrder};
use sandtrade_runtime::CancelRefusal;

/// Simulator settings (`[backtest]` in a config file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Slippage against the strategy on every market fill, in basis points of the open.
    pub slippage_bps: f64,
    /// Commission per market.
    pub commissions: CommissionSchedule,
    /// Starting cash per currency code; a currency not listed starts at 0.
    pub initial_cash: BTreeMap<String, f64>,
}

impl Default for SimConfig {
    /// 1 bp of slippage, IBKR-like commissions, USD 100,000 and HKD 1,000,000.
    fn default() -> Self {
        Self {
            slippage_bps: 1.0,
            commissions: CommissionSchedule::default(),
            initial_cash: BTreeMap::from([
                ("USD".to_owned(), 100_000.0),
                ("HKD".to_owned(), 1_000_000.0),
            ]),
        }
    }
}

impl SimConfig {
    /// Checks every value: finite and not negative.
    ///
    /// # Errors
    ///
    /// Every offending field at once.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut problems = self.commissions.problems();
        if !(self.slippage_bps.is_finite() && (0.0..10_000.0).contains(&self.slippage_bps)) {
            let bps = self.slippage_bps;
            problems.insert(
                0,
                format!("slippage_bps = {bps} (must be >= 0 and below 10000, i.e. 100%)"),
            );
        }
        for (currency, cash) in &self.initial_cash {
            if !(cash.is_finite() && *cash >= 0.0) {
                problems.push(format!(
                    "initial_cash.{currency} = {cash} (must be a finite number >= 0)"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SimError::Config(problems))
        }
    }
}

/// What the simulated account holds of one instrument, as the strategy's `position` sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Held {
    /// Shares held.
    pub quantity: u32,
    /// Average fill price of the shares held.
    pub avg_cost: f64,
}

/// Why [`Sim`] refused something: only a driver bypassing the validator gets these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The order's instrument is not in the backtest's table.
    #[error("{0} is not an instrument of this backtest")]
    UnknownInstrument(String),
    /// A sell larger than what is held and not already being sold.
    #[error("sell of {quantity} {symbol} exceeds held {held} - pending sells {pending_sells}")]
    Oversell {
        /// Contract symbol.
        symbol: String,
        /// Shares asked.
        quantity: u32,
        /// Shares held.
        held: u32,
        /// Shares already being sold.
        pending_sells: u32,
    },
    /// An order of zero shares, or one whose pending shares would overflow.
    #[error("order of {quantity} {symbol} is out of range")]
    Quantity {
        /// Contract symbol.
        symbol: String,
        /// Shares asked.
        quantity: u32,
    },
    /// Invalid settings.
    #[error("invalid [backtest] settings: {}", .0.join("; "))]
    Config(Vec<String>),
}

/// Per-instrument state.
#[derive(Debug)]
struct Slot {
    market: Market,
    account: usize,
    /// Shares held and their average cost: the one arithmetic live trading uses too.
    position: Position,
    pending_buys: u32,
    /// Shares of the resting sells that are not exits of a bracket (those count through
    /// [`Slot::exits_pending`]).
    plain_sells: u32,
    /// Oldest first; an exit of a bracket always after its entry.
    orders: Vec<RestingOrder>,
    /// The last price the strategy has seen: the close of the bar being handled.
    reference: Option<f64>,
    /// The price the position is valued at in the account's equity: the last bar's close.
    mark: f64,
    /// The start of the last bar marked (on-close orders fill at that bar's close).
    last_start_ms: Option<i64>,
}

impl Slot {
    /// Shares held (the simulated account is long-only: never negative).
    fn held(&self) -> u32 {
        u32::try_from(self.position.quantity).unwrap_or(0)
    }

    /// Shares being sold: the plain sells, and each bracket's exits as one sell.
    fn pending_sells(&self) -> u32 {
        self.plain_sells.saturating_add(self.exits_pending())
    }

    /// What the exits of the brackets may still sell beyond what their entries have yet to
    /// buy, summed over the brackets: per bracket, the least any of its resting exits may sell
    /// (a fill of one reduces the others by as much), less its entry's shares while it rests
    /// (the exits sell those only once they are bought), never below 0. The order store's rule
    /// (`sandtrade-orders`), so that a bracket leaves `held − pending sells` where it was.
    fn exits_pending(&self) -> u32 {
        let orders = &self.orders;
        let mut total = 0u32;
        for (at, exit) in orders.iter().enumerate() {
            let Some(entry) = exit.exit_of else {
                continue;
            };
            if orders[..at].iter().any(|o| o.exit_of == Some(entry)) {
                continue; // the bracket was counted at its first exit
            }
            let may_sell = orders[at..]
                .iter()
                .filter(|o| o.exit_of == Some(entry))
                .map(|o| o.quantity)
                .min()
                .unwrap_or(0);
            let to_buy = orders[..at]
                .iter()
                .find(|o| o.id == entry)
                .map_or(0, |o| o.quantity);
            total = total.saturating_add(may_sell.saturating_sub(to_buy));
        }
        total
    }
}

/// Removes the resting exits of the bracket whose entry is `entry` from `orders`, moving `at`
/// (an index into `orders`) back over those removed before it. Returns how many it removed.
fn end_exits(orders: &mut Vec<RestingOrder>, entry: u64, at: &mut usize) -> u64 {
    reduce_exits(orders, entry, u32::MAX, at)
}

/// Reduces each resting exit of the bracket whose entry is `entry` by `sold` shares (another
/// exit of it sold them), removing those left with none, as [`end_exits`] does. Returns how
/// many it removed.
fn reduce_exits(orders: &mut Vec<RestingOrder>, entry: u64, sold: u32, at: &mut usize) -> u64 {
    let mut removed = 0;
    let mut i = 0;
    while i < orders.len() {
        let exit = &mut orders[i];
        if exit.exit_of == Some(entry) {
            exit.quantity = exit.quantity.saturating_sub(sold);
            if exit.quantity == 0 {
                orders.remove(i);
                if i < *at {
                    *at -= 1;
                }
                removed += 1;
                continue;
            }
        }
        i += 1;
    }
    removed
}

/// Per-currency state.
#[derive(Debug)]
struct Account {
    currency: &'static str,
    initial_cash: f64,
    cash: f64,
    /// Σ held × mark over the currency's instruments.
    positions_value: f64,
    commissions: f64,
    realized: f64,
    fills: u64,
    drawdown: Drawdown,
    curve: EquityCurve,
}

/// The simulated account. Deterministic: the same calls give the same results.
#[derive(Debug)]
pub struct Sim {
    slippage: f64,
    commissions: CommissionSchedule,
    table: SymbolTable,
    slots: Vec<Slot>,
    accounts: Vec<Account>,
    next_id: u64,
    /// Fills of the last `open`.
    fills: Vec<Fill>,
    trades: Vec<Fill>,
    expired: u64,
    /// Orders the strategy cancelled.
    cancelled: u64,
    /// Exits of brackets cancelled with their bracket: the other exit filled, or the entry
    /// ended unfilled.
    exits_cancelled: u64,
    bars: u64,
}

impl Sim {
    /// A fresh account trading the instruments of `table`, one cash account per currency.
    ///
    /// # Errors
    ///
    /// [`SimError::Config`] listing every invalid setting.
    pub fn new(config: &SimConfig, table: SymbolTable) -> Result<Self, SimError> {
        config.validate()?;
        let mut accounts: Vec<Account> = Vec::new();
        let mut slots = Vec::with_capacity(table.len());
        for (_, instrument) in table.iter() {
            let account = match accounts
                .iter()
                .position(|a| a.currency == instrument.currency)
            {
                Some(at) => at,
                None => {
                    let initial_cash = config
                        .initial_cash
                        .get(instrument.currency)
                        .copied()
                        .unwrap_or(0.0);
                    accounts.push(Account {
                        currency: instrument.currency,
                        initial_cash,
                        cash: initial_cash,
                        positions_value: 0.0,
                        commissions: 0.0,
                        realized: 0.0,
                        fills: 0,
                        drawdown: Drawdown::new(initial_cash),
                        curve: EquityCurve::new(),
                    });
                    accounts.len() - 1
                }
            };
            slots.push(Slot {
                market: instrument.market,
                account,
                position: Position::default(),
                pending_buys: 0,
                plain_sells: 0,
                orders: Vec::new(),
                reference: None,
                mark: 0.0,
                last_start_ms: None,
            });
        }
        Ok(Self {
            slippage: config.slippage_bps / 10_000.0,
            commissions: config.commissions,
            table,
            slots,
            accounts,
            next_id: 1,
            fills: Vec::new(),
            trades: Vec::new(),
            expired: 0,
            cancelled: 0,
            exits_cancelled: 0,
            bars: 0,
        })
    }

    /// The instruments.
    pub fn table(&self) -> &SymbolTable {
        &self.table
    }

    /// Queues a validated order, decided at `now_ms` (the start of the bar being handled), and
    /// returns its signal id (1, 2, …).
    ///
    /// # Errors
    ///
    /// Only for an order the validator would have refused: an unknown instrument, zero shares,
    /// a sell beyond `held − pending sells`.
    pub fn submit(&mut self, order: &ValidatedOrder, now_ms: i64) -> Result<u64, SimError> {
        let id = self.next_id;
        let slot = self.slot_of(order)?;
        Self::reserve(slot, order)?;
        slot.orders.push(RestingOrder::new(
            id,
            order.action,
            order.quantity,
            order.order_type,
            order.timing,
            now_ms,
            slot.reference,
        ));
        self.next_id += 1;
        Ok(id)
    }

    /// Queues a validated bracket, decided at `now_ms`: its entry as [`submit`](Self::submit)
    /// does, then its exits, waiting for the entry to fill. They take consecutive signal ids,
    /// the entry's first, then the exits' in `bracket.exits`' order (take-profit first).
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit) for the entry; [`SimError::Quantity`] for an exit that is
    /// not a sell of the entry's shares (the validator never makes one).
    pub fn submit_bracket(
        &mut self,
        bracket: &ValidatedBracket,
        now_ms: i64,
    ) -> Result<BracketIds, SimError> {
        let entry = &bracket.entry;
        let misfit = bracket.exits.iter().find(|(_, exit)| {
            exit.side != Side::Sell
                || exit.quantity != entry.quantity
                || exit.instrument != entry.instrument
        });
        if let Some((_, exit)) = misfit {
            return Err(SimError::Quantity {
                symbol: exit.instrument.symbol.clone(),
                quantity: exit.quantity,
            });
        }
        let entry_id = self.submit(entry, now_ms)?;
        let mut ids = BracketIds {
            entry: entry_id,
            take_profit: None,
            stop_loss: None,
        };
        let mut exits = Vec::with_capacity(bracket.exits.len());
        for (role, exit) in &bracket.exits {
            let id = self.next_id;
            self.next_id += 1;
            match role {
                ExitRole::TakeProfit => ids.take_profit = Some(id),
                ExitRole::StopLoss => ids.stop_loss = Some(id),
            }
            let order = RestingOrder::new(
                id,
                exit.action,
                exit.quantity,
                exit.order_type,
                exit.timing,
                now_ms,
                None,
            );
            exits.push(order.exit_of(entry_id));
        }
        self.slot_of(entry)?.orders.extend(exits);
        Ok(ids)
    }

    fn slot_of(&mut self, order: &ValidatedOrder) -> Result<&mut Slot, SimError> {
        self.table
            .id(&order.instrument)
            .and_then(|id| self.slots.get_mut(id.index()))
            .ok_or_else(|| SimError::UnknownInstrument(order.instrument.symbol.clone()))
    }

    /// Counts `order`'s shares as pending in `slot`, or refuses it.
    fn reserve(slot: &mut Slot, order: &ValidatedOrder) -> Result<(), SimError> {
        let symbol = &order.instrument.symbol;
        let quantity = order.quantity;
        let out_of_range = || SimError::Quantity {
            symbol: symbol.clone(),
            quantity,
        };
        if quantity == 0 {
            return Err(out_of_range());
        }
        match order.side {
            Side::Buy => {
                slot.pending_buys = slot
                    .pending_buys
                    .checked_add(quantity)
                    .ok_or_else(out_of_range)?
            }
            Side::Sell => {
                let pending_sells = slot.pending_sells();
                if quantity > slot.held().saturating_sub(pending_sells) {
                    return Err(SimError::Oversell {
                        symbol: symbol.clone(),
                        quantity,
                        held: slot.held(),
                        pending_sells,
                    });
                }
                slot.plain_sells += quantity;
            }
        }
        Ok(())
    }

    /// The bar opens: fills (or expires) the orders resting on its symbol that were decided
    /// before it, oldest first, and returns the fills, for the strategy's `on-fill`. Makes the bar's close
    /// the reference price the strategy's signals are valued at (it is about to see the bar).
    pub fn open(&mut self, row: &BarRow) -> &[Fill] {
        self.fills.clear();
        let Some(slot) = self.slots.get_mut(row.symbol.index()) else {
            return &self.fills;
        };
        slot.reference = Some(row.bar.close);
        if slot.orders.is_empty() {
            return &self.fills;
        }
        let account = &mut self.accounts[slot.account];
        let commission = *self.commissions.for_market(slot.market);
        let previous = slot.last_start_ms.map(|start_ms| PreviousBar {
            start_ms,
            close: slot.mark,
        });
        let mut orders = std::mem::take(&mut slot.orders);
        // Oldest first, so that an entry is decided before its exits, which its fill may set
        // working (from the next bar) and its end cancels.
        let mut at = 0;
        while at < orders.len() {
            let order = &mut orders[at];
            if order.works_after_ms >= row.bar.start_ms {
                at += 1;
                continue;
            }
            match order.on_bar(&row.bar, previous, self.slippage) {
                Outcome::Rest => at += 1,
                Outcome::Fill { price, time_ms } => {
                    let order = orders.remove(at);
                    let fill = apply_fill(
                        slot,
                        account,
                        &order,
                        row.symbol,
                        price,
                        time_ms,
                        commission.cost(order.quantity, price),
                    );
                    self.fills.push(fill);
                    self.trades.push(fill);
                    match order.exit_of {
                        Some(entry) => {
                            // One exit between them: the others sell that much less.
                            self.exits_cancelled +=
                                reduce_exits(&mut orders, entry, order.quantity, &mut at);
                        }
                        None => {
                            // Filled in full: its exits work from the bar after its fill's.
                            let close = match previous {
                                Some(last) if time_ms != row.bar.start_ms => last.close,
                                _ => row.bar.close,
                            };
                            orders
                                .iter_mut()
                                .filter(|exit| exit.exit_of == Some(order.id))
                                .for_each(|exit| {
                                    exit.start_working(order.quantity, time_ms, close)
                                });
                        }
                    }
                }
                Outcome::Expire => {
                    // Its time in force ended unfilled: release its shares, and end its exits.
                    let order = orders.remove(at);
                    match (order.side, order.exit_of) {
                        (Side::Buy, _) => slot.pending_buys -= order.quantity,
                        (Side::Sell, None) => slot.plain_sells -= order.quantity,
                        (Side::Sell, Some(_)) => {}
                    }
                    self.expired += 1;
                    if order.exit_of.is_none() {
                        self.exits_cancelled += end_exits(&mut orders, order.id, &mut at);
                    }
                }
            }
        }
        slot.orders = orders;
        &self.fills
    }

    /// The bar is done: values the symbol's position at its close and records the currency's
    /// equity (drawdown, curve).
    pub fn mark(&mut self, row: &BarRow) {
        let Some(slot) = self.slots.get_mut(row.symbol.index()) else {
            return;
        };
        let account = &mut self.accounts[slot.account];
        account.positions_value += f64::from(slot.held()) * (row.bar.close - slot.mark);
        slot.mark = row.bar.close;
        slot.last_start_ms = Some(row.bar.start_ms);
        let equity = account.cash + account.positions_value;
        account.drawdown.record(equity);
        account.curve.record(row.bar.start_ms, equity);
        self.bars += 1;
    }

    /// Whether an order rests on `symbol`, an exit of a bracket included (working, or waiting
    /// for its entry): only then can a bar of it fill or expire anything when it opens.
    pub fn has_orders(&self, symbol: SymbolId) -> bool {
        self.slots
            .get(symbol.index())
            .is_some_and(|slot| !slot.orders.is_empty())
    }

    /// The reference price of `symbol`: the close of its bar the strategy is seeing, or saw
    /// last ([`Sim::open`] sets it).
    pub fn reference(&self, symbol: SymbolId) -> Option<f64> {
        self.slots.get(symbol.index())?.reference
    }

    /// Sets the reference price of `symbol` without opening a bar (nothing fills): what a
    /// bar's open does to the prices when no order rests on its symbol. The backtest's desk
    /// moves it bar by bar through a batch delivered in one call.
    pub fn set_reference(&mut self, symbol: SymbolId, price: Option<f64>) {
        if let Some(slot) = self.slots.get_mut(symbol.index()) {
            slot.reference = price;
        }
    }

    /// The orders resting (not yet filled, expired or cancelled), by instrument, each
    /// instrument's oldest first.
    pub fn working_orders(&self) -> impl Iterator<Item = (SymbolId, &RestingOrder)> {
        self.table
            .iter()
            .zip(&self.slots)
            .flat_map(|((id, _), slot)| slot.orders.iter().map(move |order| (id, order)))
    }

    /// Cancels the resting order of signal `id` at once (the simulated broker confirms a
    /// cancel before the next bar can fill it) and releases its shares. The entry of a bracket
    /// takes its exits with it (it ends unfilled); an exit goes alone.
    ///
    /// # Errors
    ///
    /// [`CancelRefusal::AlreadyEnded`] for an order that filled, expired or was cancelled;
    /// [`CancelRefusal::UnknownOrder`] for an id this account never gave.
    pub fn cancel(&mut self, id: u64) -> Result<(), CancelRefusal> {
        for slot in &mut self.slots {
            if let Some(mut at) = slot.orders.iter().position(|order| order.id == id) {
                let order = slot.orders.remove(at);
                match (order.side, order.exit_of) {
                    (Side::Buy, _) => slot.pending_buys -= order.quantity,
                    (Side::Sell, None) => slot.plain_sells -= order.quantity,
                    (Side::Sell, Some(_)) => {}
                }
                self.cancelled += 1;
                if order.exit_of.is_none() {
                    self.exits_cancelled += end_exits(&mut slot.orders, order.id, &mut at);
                }
                return Ok(());
            }
        }
        Err(if self.knows(id) {
            CancelRefusal::AlreadyEnded
        } else {
            CancelRefusal::UnknownOrder
        })
    }

    /// The resting order of signal `id`, with its instrument.
    pub fn resting(&self, id: u64) -> Option<(SymbolId, &RestingOrder)> {
        self.working_orders().find(|(_, order)| order.id == id)
    }

    /// Whether signal `id` was ever an order of this account (resting or ended).
    pub fn knows(&self, id: u64) -> bool {
        (1..self.next_id).contains(&id)
    }

    /// Changes the resting order of signal `id` to `quantity` shares on `order_type` terms
    /// (validated by the caller), moving its pending shares with it. An exit of a bracket
    /// keeps its quantity (the validator refuses another); the entry's change leaves its exits
    /// as they are (once it fills they sell at most what it bought).
    ///
    /// # Errors
    ///
    /// As [`cancel`](Self::cancel), for an order that is not resting.
    pub fn modify(
        &mut self,
        id: u64,
        quantity: u32,
        order_type: sandtrade_core::OrderType,
    ) -> Result<(), CancelRefusal> {
        for slot in &mut self.slots {
            if let Some(order) = slot.orders.iter_mut().find(|order| order.id == id) {
                if order.exit_of.is_some() {
                    order.change(order.quantity, order_type);
                    return Ok(());
                }
                let pending = match order.side {
                    Side::Buy => &mut slot.pending_buys,
                    Side::Sell => &mut slot.plain_sells,
                };
                *pending = *pending - order.quantity + quantity;
                order.change(quantity, order_type);
                return Ok(());
            }
        }
        Err(if self.knows(id) {
            CancelRefusal::AlreadyEnded
        } else {
            CancelRefusal::UnknownOrder
        })
    }

    /// The strategy's position in `symbol`, if it holds any shares.
    pub fn position(&self, symbol: SymbolId) -> Option<Held> {
        let slot = self.slots.get(symbol.index())?;
        (slot.held() > 0).then_some(Held {
            quantity: slot.held(),
            avg_cost: slot.position.avg_cost,
        })
    }

    /// Every fill so far.
    pub fn trades(&self) -> &[Fill] {
        &self.trades
    }

    /// Ends the run: the report, with the strategy's signal outcomes (from its gate's counters).
    pub fn finish(self, signals: SignalCounts) -> Report {
        let open_orders = self.slots.iter().map(|s| s.orders.len() as u64).sum();
        let positions = self
            .table
            .iter()
            .zip(&self.slots)
            .filter(|(_, slot)| slot.held() > 0)
            .map(|((_, instrument), slot)| PositionSummary {
                symbol: instrument.symbol.clone(),
                currency: instrument.currency,
                quantity: slot.held(),
                avg_cost: slot.position.avg_cost,
                last: slot.mark,
            })
            .collect();
        let accounts = self
            .accounts
            .into_iter()
            .map(|a| {
                let equity = a.cash + a.positions_value;
                let net_pnl = equity - a.initial_cash;
                AccountSummary {
                    currency: a.currency,
                    initial_cash: a.initial_cash,
                    final_cash: a.cash,
                    final_equity: equity,
                    net_pnl,
                    gross_pnl: net_pnl + a.commissions,
                    commissions: a.commissions,
                    realized_pnl: a.realized,
                    return_fraction: (a.initial_cash > 0.0).then(|| net_pnl / a.initial_cash),
                    max_drawdown: a.drawdown.max,
                    max_drawdown_fraction: a.drawdown.max_fraction,
                    fills: a.fills,
                    curve: a.curve.points().to_vec(),
                }
            })
            .collect();
        Report {
            bars: self.bars,
            fills: self.trades,
            expired_orders: self.expired,
            cancelled_orders: self.cancelled,
            exits_cancelled: self.exits_cancelled,
            open_orders,
            accounts,
            positions,
            signals,
            table: self.table,
        }
    }
}

impl Book for Sim {
    fn exposure(&self, instrument: &Instrument) -> Exposure {
        self.table
            .id(instrument)
            .and_then(|id| self.slots.get(id.index()))
            .map_or_else(Exposure::default, |s| Exposure {
                held: s.held(),
                pending_buys: s.pending_buys,
                pending_sells: s.pending_sells(),
            })
    }

    fn reference_price(&self, instrument: &Instrument) -> Option<f64> {
        self.slots
            .get(self.table.id(instrument)?.index())?
            .reference
    }
}

/// Books a fill in the position and the cash account.
fn apply_fill(
    slot: &mut Slot,
    account: &mut Account,
    order: &RestingOrder,
    symbol: SymbolId,
    price: f64,
    time_ms: i64,
    commission: f64,
) -> Fill {
    let quantity = order.quantity;
    let shares = f64::from(quantity);
    // `positions_value` is Σ held × mark: keep it so; `Sim::mark` revalues at the close.
    // `submit` reserved the shares of a sell: held >= pending sells >= quantity (an exit's
    // shares were reserved when its entry filled).
    let realized_pnl = slot.position.apply_fill(order.side, quantity, price);
    match order.side {
        Side::Buy => {
            slot.pending_buys -= quantity;
            account.cash -= shares * price;
            account.positions_value += shares * slot.mark;
        }
        Side::Sell => {
            if order.exit_of.is_none() {
                slot.plain_sells -= quantity;
            }
            account.cash += shares * price;
            account.positions_value -= shares * slot.mark;
        }
    }
    account.cash -= commission;
    account.commissions += commission;
    account.realized += realized_pnl;
    account.fills += 1;
    Fill {
        signal_id: order.id,
        symbol,
        action: order.action,
        side: order.side,
        quantity,
        price,
        commission,
        time_ms,
        realized_pnl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commission::Commission;
    use sandtrade_core::{Action, Bar, OrderType};
    use sandtrade_risk::SignalCounters;

    const T0: i64 = 1_704_205_800_000;
    const MIN: i64 = 60_000;

    fn table() -> SymbolTable {
        SymbolTable::from_symbols(&["AAPL", "0700.HK"]).unwrap()
    }

    fn frictionless() -> SimConfig {
        SimConfig {
            slippage_bps: 0.0,
            commissions: CommissionSchedule::ZERO,
            initial_cash: BTreeMap::from([("USD".into(), 10_000.0), ("HKD".into(), 100_000.0)]),
        }
    }

    fn sim(config: &SimConfig) -> Sim {
        Sim::new(config, table()).unwrap()
    }

    fn id(symbol: &str) -> SymbolId {
        table()
            .id(&sandtrade_core::normalize(symbol).unwrap())
            .unwrap()
    }

    fn bar(symbol: &str, minute: i64, open: f64, high: f64, low: f64, close: f64) -> BarRow {
        BarRow {
            symbol: id(symbol),
            bar: Bar {
                start_ms: T0 + minute * MIN,
                open,
                high,
                low,
                close,
                volume: 1000.0,
            },
        }
    }

    fn order(symbol: &str, action: Action, quantity: u32, order_type: OrderType) -> ValidatedOrder {
        ValidatedOrder {
            instrument: std::sync::Arc::new(sandtrade_core::normalize(symbol).unwrap()),
            action,
            side: action.side(),
            quantity,
            order_type,
            timing: sandtrade_core::Timing::DAY,
            reason: String::new(),
        }
    }

    /// open, then (optionally) submit at the bar's time, then mark: one driver step.
    fn step(
        sim: &mut Sim,
        row: &BarRow,
        submit: Option<ValidatedOrder>,
    ) -> (Vec<Fill>, Option<u64>) {
        let fills = sim.open(row).to_vec();
        let id = submit.map(|o| sim.submit(&o, row.bar.start_ms).unwrap());
        sim.mark(row);
        (fills, id)
    }

    #[test]
    fn market_buy_fills_at_the_next_open_with_slippage_and_commission() {
        let config = SimConfig {
            slippage_bps: 10.0,
            commissions: CommissionSchedule::default(),
            ..frictionless()
        };
        let mut s = sim(&config);
        let buy = order("AAPL", Action::OpenLong, 10, OrderType::Market);
        let (fills, id) = step(
            &mut s,
            &bar("AAPL", 0, 100.0, 101.0, 99.0, 100.5),
            Some(buy),
        );
        assert_eq!((fills.len(), id), (0, Some(1)));
        assert_eq!(
            s.exposure(&s.table()[id_aapl()]),
            Exposure {
                held: 0,
                pending_buys: 10,
                pending_sells: 0
            }
        );

        let (fills, _) = step(&mut s, &bar("AAPL", 1, 102.0, 103.0, 101.0, 103.0), None);
        let price = 102.0 * (1.0 + 10.0 / 10_000.0);
        assert_eq!(
            fills,
            [Fill {
                signal_id: 1,
                symbol: id_aapl(),
                action: Action::OpenLong,
                side: Side::Buy,
                quantity: 10,
                price,
                commission: 1.0,
                time_ms: T0 + MIN,
                realized_pnl: 0.0,
            }]
        );
        assert_eq!(
            s.position(id_aapl()),
            Some(Held {
                quantity: 10,
                avg_cost: price
            })
        );
        assert_eq!(
            s.exposure(&s.table()[id_aapl()]),
            Exposure {
                held: 10,
                pending_buys: 0,
                pending_sells: 0
            }
        );
        let report = s.finish(SignalCounters::new().snapshot());
        let usd = &report.accounts[0];
        assert_eq!(usd.final_cash, 10_000.0 - 10.0 * price - 1.0);
        assert_eq!(usd.final_equity, usd.final_cash + 10.0 * 103.0);
    }

    fn id_aapl() -> SymbolId {
        id("AAPL")
    }

    #[test]
    fn an_order_never_fills_in_a_bar_of_the_same_time() {
        let mut s = sim(&frictionless());
        // Decided while handling the 700 bar of minute 0: the AAPL bar of minute 0 started at
        // the same time, so the first possible fill is AAPL's minute-1 bar.
        let buy = order("AAPL", Action::OpenLong, 5, OrderType::Market);
        step(
            &mut s,
            &bar("0700.HK", 0, 300.0, 300.0, 300.0, 300.0),
            Some(buy),
        );
        assert_eq!(
            step(&mut s, &bar("AAPL", 0, 50.0, 50.0, 50.0, 50.0), None).0,
            []
        );
        let fills = step(&mut s, &bar("AAPL", 1, 51.0, 51.0, 51.0, 51.0), None).0;
        assert_eq!(
            fills
                .iter()
                .map(|f| (f.quantity, f.price))
                .collect::<Vec<_>>(),
            [(5, 51.0)]
        );
    }

    #[test]
    fn limit_buy_fills_at_the_better_of_open_and_limit_or_expires() {
        let mut s = sim(&frictionless());
        let limit = |p| order("AAPL", Action::OpenLong, 10, OrderType::Limit(p));

        // Opens below the limit: the open.
        step(
            &mut s,
            &bar("AAPL", 0, 100.0, 100.0, 100.0, 100.0),
            Some(limit(101.0)),
        );
        assert_eq!(
            step(&mut s, &bar("AAPL", 1, 99.5, 100.0, 99.0, 99.5), None).0[0].price,
            99.5
        );

        // Trades through the limit during the bar: the limit.
        let add = order("AAPL", Action::AddLong, 10, OrderType::Limit(98.25));
        step(&mut s, &bar("AAPL", 2, 99.0, 99.0, 99.0, 99.0), Some(add));
        assert_eq!(
            step(&mut s, &bar("AAPL", 3, 99.0, 99.5, 98.0, 98.5), None).0[0].price,
            98.25
        );

        // Only touches the limit: expires, and the pending buy is released.
        let add = order("AAPL", Action::AddLong, 10, OrderType::Limit(97.0));
        step(&mut s, &bar("AAPL", 4, 98.0, 98.0, 98.0, 98.0), Some(add));
        assert_eq!(s.exposure(&s.table()[id_aapl()]).pending_buys, 10);
        assert_eq!(
            step(&mut s, &bar("AAPL", 5, 98.0, 98.5, 97.0, 97.5), None).0,
            []
        );
        assert_eq!(
            s.exposure(&s.table()[id_aapl()]),
            Exposure {
                held: 20,
                pending_buys: 0,
                pending_sells: 0
            }
        );
        let report = s.finish(SignalCounts::default());
        assert_eq!(
            (
                report.expired_orders,
                report.open_orders,
                report.fills.len()
            ),
            (1, 0, 2)
        );
    }

    #[test]
    fn limit_sell_mirrors_the_buy() {
        let mut s = sim(&frictionless());
        step(
            &mut s,
            &bar("AAPL", 0, 100.0, 100.0, 100.0, 100.0),
            Some(order("AAPL", Action::OpenLong, 30, OrderType::Market)),
        );
        step(
            &mut s,
            &bar("AAPL", 1, 100.0, 100.0, 100.0, 100.0),
            Some(order(
                "AAPL",
                Action::ReduceLong,
                10,
                OrderType::Limit(99.0),
            )),
        );
        assert_eq!(
            step(&mut s, &bar("AAPL", 2, 100.5, 101.0, 100.0, 100.0), None).0[0].price,
            100.5
        );
        step(
            &mut s,
            &bar("AAPL", 3, 100.0, 100.0, 100.0, 100.0),
            Some(order(
                "AAPL",
                Action::ReduceLong,
                10,
                OrderType::Limit(101.5),
            )),
        );
        assert_eq!(
            step(&mut s, &bar("AAPL", 4, 100.0, 102.0, 100.0, 101.0), None).0[0].price,
            101.5
        );
        step(
            &mut s,
            &bar("AAPL", 5, 100.0, 100.0, 100.0, 100.0),
            Some(order(
                "AAPL",
                Action::ReduceLong,
                10,
                OrderType::Limit(103.0),
            )),
        );
        assert_eq!(
            step(&mut s, &bar("AAPL", 6, 102.0, 103.0, 101.0, 102.0), None).0,
            []
        );
        assert_eq!(s.position(id_aapl()).map(|p| p.quantity), Some(10));
    }

    #[test]
    fn average_cost_and_realized_pnl() {
        let mut s = sim(&frictionless());
        let tencent = "0700.HK";
        step(
            &mut s,
            &bar(tencent, 0, 1.0, 1.0, 1.0, 1.0),
            Some(order(tencent, Action::OpenLong, 100, OrderType::Market)),
        );
        step(
            &mut s,
            &bar(tencent, 1, 300.0, 300.0, 300.0, 300.0),
            Some(order(tencent, Action::AddLong, 300, OrderType::Market)),
        );
        step(
            &mut s,
            &bar(tencent, 2, 304.0, 304.0, 304.0, 304.0),
            Some(order(tencent, Action::ReduceLong, 200, OrderType::Market)),
        );
        // avg = (100 × 300 + 300 × 304) / 400 = 303
        assert_eq!(
            s.position(id(tencent)),
            Some(Held {
                quantity: 400,
                avg_cost: 303.0
            })
        );
        step(
            &mut s,
            &bar(tencent, 3, 310.0, 310.0, 310.0, 310.0),
            Some(order(tencent, Action::CloseLong, 200, OrderType::Market)),
        );
        assert_eq!(
            s.position(id(tencent)),
            Some(Held {
                quantity: 200,
                avg_cost: 303.0
            })
        );
        let fills = step(&mut s, &bar(tencent, 4, 290.0, 290.0, 290.0, 290.0), None).0;
        assert_eq!(s.position(id(tencent)), None);
        assert_eq!(fills[0].realized_pnl, (290.0 - 303.0) * 200.0);
        let report = s.finish(SignalCounts::default());
        let hkd = report
            .accounts
            .iter()
            .find(|a| a.currency == "HKD")
            .unwrap();
        assert_eq!(hkd.realized_pnl, 7.0 * 200.0 - 13.0 * 200.0);
        assert_eq!(hkd.final_equity, 100_000.0 + hkd.realized_pnl);
        assert_eq!(hkd.net_pnl, -1200.0);
        assert_eq!(hkd.return_fraction, Some(-0.012));
        assert_eq!(hkd.fills, 4);
    }

    #[test]
    fn equity_and_drawdown_follow_the_marks() {
        let mut s = sim(&frictionless());
        step(
            &mut s,
            &bar("AAPL", 0, 10.0, 10.0, 10.0, 10.0),
            Some(order("AAPL", Action::OpenLong, 100, OrderType::Market)),
        );
        for (minute, close) in [(1, 12.0), (2, 15.0), (3, 9.0), (4, 11.0)] {
            step(&mut s, &bar("AAPL", minute, 10.0, 15.0, 9.0, close), None);
        }
        let usd = s.finish(SignalCounts::default()).accounts.remove(0);
        // Bought 100 at the minute-1 open of 10; equity = 9000 + 100 × close.
        assert_eq!(
            usd.curve,
            [
                (T0, 10_000.0),
                (T0 + MIN, 10_200.0),
                (T0 + 2 * MIN, 10_500.0),
                (T0 + 3 * MIN, 9_900.0),
                (T0 + 4 * MIN, 10_100.0)
            ]
        );
        assert_eq!(
            (usd.max_drawdown, usd.max_drawdown_fraction),
            (600.0, 600.0 / 10_500.0)
        );
        assert_eq!(
            (usd.final_cash, usd.final_equity, usd.net_pnl),
            (9_000.0, 10_100.0, 100.0)
        );
    }

    #[test]
    fn submit_refuses_what_the_validator_would() {
        let mut s = sim(&frictionless());
        let sell = order("AAPL", Action::ReduceLong, 1, OrderType::Market);
        assert_eq!(
            s.submit(&sell, T0),
            Err(SimError::Oversell {
                symbol: "AAPL".into(),
                quantity: 1,
                held: 0,
                pending_sells: 0
            })
        );
        let zero = order("AAPL", Action::OpenLong, 0, OrderType::Market);
        assert_eq!(
            s.submit(&zero, T0),
            Err(SimError::Quantity {
                symbol: "AAPL".into(),
                quantity: 0
            })
        );
        let mut msft = order("AAPL", Action::OpenLong, 1, OrderType::Market);
        msft.instrument = std::sync::Arc::new(sandtrade_core::normalize("MSFT").unwrap());
        assert_eq!(
            s.submit(&msft, T0),
            Err(SimError::UnknownInstrument("MSFT".into()))
        );
    }

    #[test]
    fn invalid_settings_are_listed() {
        let config = SimConfig {
            slippage_bps: -1.0,
            commissions: CommissionSchedule {
                us: Commission::ZERO,
                hk: Commission::OfValue {
                    bps: f64::INFINITY,
                    minimum: 0.0,
                },
            },
            initial_cash: BTreeMap::from([("USD".into(), f64::NAN)]),
        };
        assert_eq!(
            Sim::new(&config, table()).unwrap_err().to_string(),
            "invalid [backtest] settings: slippage_bps = -1 (must be >= 0 and below 10000, i.e. 100%); \
             commissions.hk.bps = inf (must be a finite number >= 0); initial_cash.USD = NaN (must be a finite number >= 0)"
        );
    }

    #[test]
    fn toml_settings() {
        let c: SimConfig =
            toml::from_str("slippage_bps = 2.5\n[initial_cash]\nUSD = 5000\n").unwrap();
        assert_eq!(c.slippage_bps, 2.5);
        assert_eq!(c.initial_cash, BTreeMap::from([("USD".into(), 5000.0)]));
        assert_eq!(c.commissions, CommissionSchedule::default());
        assert!(toml::from_str::<SimConfig>("slipage_bps = 1").is_err());
    }

    #[test]
    fn the_reference_price_is_the_close_the_strategy_sees() {
        let mut s = sim(&frictionless());
        let apple = s.table()[id_aapl()].clone();
        assert_eq!(s.reference_price(&apple), None);
        s.open(&bar("AAPL", 0, 10.0, 12.0, 9.0, 11.5));
        assert_eq!(s.reference_price(&apple), Some(11.5));
        assert_eq!(
            s.reference_price(&sandtrade_core::normalize("MSFT").unwrap()),
            None
        );
    }

    #[test]
    fn a_gtc_stop_loss_rests_across_bars_as_a_pending_sell_and_fills_on_the_fall() {
        let mut s = sim(&frictionless());
        let buy = order("AAPL", Action::OpenLong, 10, OrderType::Market);
        step(
            &mut s,
            &bar("AAPL", 0, 100.0, 100.0, 100.0, 100.0),
            Some(buy),
        );
        let mut stop = order("AAPL", Action::CloseLong, 10, OrderType::Stop(95.0));
        stop.timing = sandtrade_core::Timing {
            tif: sandtrade_core::TimeInForce::Gtc,
            outside_rth: false,
        };
        let (fills, _) = step(
            &mut s,
            &bar("AAPL", 1, 100.0, 101.0, 99.0, 100.0),
            Some(stop),
        );
        assert_eq!(fills.len(), 1, "the buy fills");
        for minute in 2..5 {
            let (fills, _) = step(&mut s, &bar("AAPL", minute, 100.0, 101.0, 96.0, 97.0), None);
            assert!(fills.is_empty(), "the stop rests above its trigger");
            assert_eq!(s.exposure(&s.table()[id_aapl()]).pending_sells, 10);
        }
        let (fills, _) = step(&mut s, &bar("AAPL", 5, 96.0, 96.0, 94.0, 94.5), None);
        assert_eq!(
            fills
                .iter()
                .map(|f| (f.side, f.quantity, f.price))
                .collect::<Vec<_>>(),
            [(Side::Sell, 10, 95.0)]
        );
        assert_eq!(s.position(id_aapl()), None);
        assert_eq!(s.finish(SignalCounters::new().snapshot()).expired_orders, 0);
    }
}
