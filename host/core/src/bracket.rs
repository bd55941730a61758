//! A bracket: an entry with exits attached, which IB holds with it and works once it fills.
//!
//! The exits are sells of the shares the entry buys and one exit between them: IB reduces the
//! other by each fill of one (a complete fill of one cancels the other), and cancels them both
//! if the entry ends unfilled. They are orders of their own otherwise, each with its signal id.

use crate::{OrderType, SignalRequest, Timing};

/// The exits attached to an entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exits {
    /// A limit sell at this price, to take a profit.
    pub take_profit: Option<f64>,
    /// A sell stop (`stop`, `stop-limit` or `trailing-stop`), to cut a loss.
    pub stop_loss: Option<OrderType>,
    /// How long the exits work (`gtc` or `day`) and whether outside regular hours.
    pub timing: Timing,
}

impl Exits {
    /// The exits that are set, take-profit first (the order they are stored and sent in).
    pub fn legs(&self) -> impl Iterator<Item = (ExitRole, OrderType)> {
        let take_profit = self
            .take_profit
            .map(|price| (ExitRole::TakeProfit, OrderType::Limit(price)));
        let stop_loss = self.stop_loss.map(|stop| (ExitRole::StopLoss, stop));
        take_profit.into_iter().chain(stop_loss)
    }
}

/// Which exit of a bracket an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitRole {
    /// The limit sell above the market.
    TakeProfit,
    /// The stop below it.
    StopLoss,
}

impl ExitRole {
    /// `take-profit` or `stop-loss`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TakeProfit => "take-profit",
            Self::StopLoss => "stop-loss",
        }
    }
}

/// A bracket as a strategy or an operator asks for it, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct BracketRequest {
    /// The buy (`open-long` or `add-long`).
    pub entry: SignalRequest,
    /// What sells the shares it buys.
    pub exits: Exits,
}

/// The signal ids of an accepted bracket's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BracketIds {
    /// The entry's.
    pub entry: u64,
    /// The take-profit's, if one was asked for.
    pub take_profit: Option<u64>,
    /// The stop-loss's, if one was asked for.
    pub stop_loss: Option<u64>,
}

impl BracketIds {
    /// The ids of the exits, in the order of [`Exits::legs`]: `ids[0]` is the first leg's.
    pub fn from_entry(entry: u64, exits: &Exits) -> Self {
        let mut next = entry;
        let mut take = || {
            next += 1;
            next
        };
        let take_profit = exits.take_profit.map(|_| take());
        let stop_loss = exits.stop_loss.map(|_| take());
        Self {
            entry,
            take_profit,
            stop_loss,
        }
    }
}
