//! The fault state the engine applies while it handles orders and market data.
//!
//! It lives in the engine because the engine reads it on every order and every tick; the
//! switchboard (`crate::faults`) sets it from above through the engine's lock.

use std::collections::BTreeMap;
use std::time::Duration;

/// Faults the engine applies while it handles orders and market data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultState {
    /// The next N placeOrders are rejected with error 201.
    pub reject_next_orders: u32,
    /// Fills wait this long in simulated time after the order arrives.
    pub fill_delay: Option<Duration>,
    /// The next N executions are reported twice (same execId), as TWS sometimes does.
    pub duplicate_next_execs: u32,
    /// No ticks or bars are sent (prices still move, orders still fill).
    pub market_data_paused: bool,
    /// The next N placeOrders are refused with error 201 alone: no openOrder or orderStatus
    /// follows, as TWS does for some refusals (the client must settle the order from the
    /// notice).
    pub reject_by_notice_only: u32,
    /// The next N executions carry an execution time that is not ASCII (a hostile or broken
    /// peer), in the live report and in every later reqExecutions answer.
    pub garble_exec_times: u32,
    /// The next N placeOrders are lost: never answered, never kept, as if the message died
    /// between the client and IB (the client cannot tell whether IB has it).
    pub lose_next_orders: u32,
    /// Contracts (by symbol, as the contract table spells it) whose live data the account is
    /// not entitled to, with the code IB refuses it with (354, 10089, 10167 or 10168):
    /// real-time bars, live and frozen ticks and history are refused; delayed ticks are served
    /// unless the code is 10168 (delayed data not enabled either).
    pub no_live_data: BTreeMap<String, i32>,
}
