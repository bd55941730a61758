//! Signal validation: every signal a strategy emits passes here before it can become an order.
//!
//! Shared by the backtest and live trading. The caller converts the guest's signal into a
//! [`SignalRequest`] and calls [`Validator::check`] with the strategy's [`StrategyGate`], a
//! [`Book`] that knows the strategy's exposure, and the strategy's clock. The answer is a
//! [`ValidatedOrder`] to queue, or a typed [`Rejection`] to hand back to the strategy (and log:
//! that is the caller's job). Outcomes are counted globally ([`Validator::counters`]) and per
//! strategy ([`StrategyGate::counters`]).
//!
//! One file per rule family, each a set of pure functions:
//!
//! | file            | rule                                              | codes |
//! |-----------------|---------------------------------------------------|-------|
//! | [`halt`]        | the global halt switch                            | `trading-halted` |
//! | [`rate`]        | at most N signals in any 60 s per ledger ([`ledgers`] keeps the window across restarts) | `rate-limit` |
//! | [`gate`]        | the symbol normalizes ([`sandtrade_core::normalize`]) | `unknown-symbol` |
//! | [`gate`]        | the symbol is one the strategy declared           | `not-subscribed` |
//! | [`sanity`]      | quantity 1..=10M; every price (limit, stop, trail) finite and > 0; a time in force IB takes for the order type | `invalid-quantity`, `invalid-price`, `invalid-order` |
//! | [`long_only`]   | open/add/reduce/close vs the position             | `short-not-allowed`, `position-limit` |
//! | [`lots`]        | HK board lots                                     | `lot-size` |
//! | [`limits`]      | per-order and per-symbol size limits (buys)       | `order-limit`, `position-limit` |
//! | [`account`]     | per-symbol and gross caps over every ledger (buys) | `position-limit` |
//!
//! [`Validator::check`] lists the order in which they run.
//!
//! ```
//! use sandtrade_core::{
//!     Action, Exposure, Instrument, LotTable, OrderType, RejectCode, SignalRequest, Timing,
//! };
//! use sandtrade_risk::{Book, Limits, StrategyGate, TradingSwitch, Validator};
//!
//! /// An account holding 100 AAPL, last traded at 190.
//! struct Holding100;
//! impl Book for Holding100 {
//!     fn exposure(&self, _: &Instrument) -> Exposure {
//!         Exposure { held: 100, pending_buys: 0, pending_sells: 0 }
//!     }
//!     fn reference_price(&self, _: &Instrument) -> Option<f64> {
//!         Some(190.0)
//!     }
//! }
//!
//! let validator = Validator::new(LotTable::builtin(), TradingSwitch::new());
//! let mut gate = StrategyGate::new("demo", &["AAPL"], &Limits::default())?;
//! let sell = |quantity| SignalRequest {
//!     action: Action::ReduceLong,
//!     symbol: "AAPL".into(),
//!     quantity,
//!     order_type: OrderType::Market,
//!     timing: Timing::DAY,
//!     reason: String::new(),
//! };
//!
//! let order = validator.check(&mut gate, &sell(40), &Holding100, 0).expect("40 of 100 is fine");
//! assert_eq!((order.instrument.symbol.as_str(), order.quantity), ("AAPL", 40));
//!
//! let refused = validator.check(&mut gate, &sell(150), &Holding100, 0).unwrap_err();
//! assert_eq!(refused.code, RejectCode::ShortNotAllowed);
//! assert_eq!(refused.message, "sell of 150 AAPL exceeds held 100 - pending sells 0 = 100");
//! assert_eq!(gate.counters().rejected(RejectCode::ShortNotAllowed), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod account;
pub mod book;
mod bracket;
mod change;
pub mod counters;
pub mod gate;
pub mod halt;
pub mod ledgers;
pub mod limits;
pub mod long_only;
pub mod lots;
pub mod rate;
pub mod sanity;
mod validator;

pub use account::{AccountLimits, AccountLimitsError};
pub use book::{Book, WithoutOrder};
pub use bracket::ValidatedBracket;
pub use change::WorkingTerms;
pub use counters::{SignalCounters, SignalCounts};
pub use gate::{GateError, GateProblem, StrategyGate};
pub use halt::{TradingState, TradingSwitch};
pub use ledgers::{Ledgers, SharedRate};
pub use limits::{Limits, LimitsError};
pub use validator::{ValidatedOrder, Validator};
