//! A strategy built against `sandtrade:strategy@0.1.0`, the first version of the interface,
//! straight from `wit/v0.1/strategy.wit` with wit-bindgen (the SDK speaks the newest version).
//! It stands for every component built before 0.2.0: the host must load it, run it and trade
//! its signals unchanged.
//!
//! On AAPL one-minute bars it buys `quantity` (param, default 10) at the market on its
//! `buy_at`-th bar (default 2), sells them with a limit at the close on its `sell_at`-th bar
//! (default 4), and logs what it sees: `bar 2: close 185.5`, each `emit` outcome, each fill
//! (`fill: signal 1, open-long 10 AAPL at 185.5`) and `position: 10` after it.

#![allow(
    unsafe_op_in_unsafe_fn,
    clippy::too_many_arguments,
    reason = "generated code"
)]

use std::cell::RefCell;

wit_bindgen::generate!({ world: "strategy", path: "../../wit/v0.1" });

use sandtrade::strategy::host;
use sandtrade::strategy::types::{Action, Level, OrderType, Signal};

/// The schedule, from the parameters.
struct Schedule {
    quantity: u32,
    buy_at: u64,
    sell_at: u64,
    bars: u64,
}

thread_local! {
    static SCHEDULE: RefCell<Option<Schedule>> = const { RefCell::new(None) };
}

fn param(params: &[(String, String)], name: &str, default: u64) -> Result<u64, String> {
    match params.iter().find(|(key, _)| key == name) {
        None => Ok(default),
        Some((_, value)) => value
            .parse()
            .map_err(|_| format!("param `{name}`: not a whole number: `{value}`")),
    }
}

struct Strategy0_1;

impl Guest for Strategy0_1 {
    fn describe() -> Metadata {
        Metadata {
            name: "strategy-0-1".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            symbols: vec!["AAPL".into()],
            bar_seconds: 60,
        }
    }

    fn init(params: Vec<(String, String)>) -> Result<(), String> {
        let quantity = u32::try_from(param(&params, "quantity", 10)?)
            .map_err(|_| "param `quantity`: too large".to_string())?;
        let schedule = Schedule {
            quantity,
            buy_at: param(&params, "buy_at", 2)?,
            sell_at: param(&params, "sell_at", 4)?,
            bars: 0,
        };
        SCHEDULE.with(|s| *s.borrow_mut() = Some(schedule));
        Ok(())
    }

    fn on_bar(bar: Bar) {
        SCHEDULE.with(|s| {
            let mut s = s.borrow_mut();
            let Some(schedule) = s.as_mut() else { return };
            schedule.bars += 1;
            let n = schedule.bars;
            host::log(Level::Info, &format!("bar {n}: close {}", bar.close));
            let (action, quantity, order_type) = if n == schedule.buy_at {
                (Action::OpenLong, schedule.quantity, OrderType::Market)
            } else if n == schedule.sell_at {
                (Action::CloseLong, 0, OrderType::Limit(bar.close))
            } else {
                return;
            };
            let signal = Signal {
                action,
                symbol: bar.symbol.clone(),
                quantity,
                order_type,
                reason: format!("bar {n}"),
            };
            match host::emit(&signal) {
                Ok(id) => host::log(Level::Info, &format!("bar {n}: accepted as signal {id}")),
                Err(refused) => host::log(
                    Level::Warn,
                    &format!("bar {n}: refused, {:?}: {}", refused.code, refused.message),
                ),
            }
        })
    }

    fn on_fill(fill: Fill) {
        let action = match fill.action {
            Action::OpenLong => "open-long",
            Action::AddLong => "add-long",
            Action::CloseLong => "close-long",
            Action::ReduceLong => "reduce-long",
        };
        host::log(
            Level::Info,
            &format!(
                "fill: signal {}, {action} {} {} at {}",
                fill.signal_id, fill.quantity, fill.symbol, fill.price
            ),
        );
        let held = host::position(&fill.symbol).map_or(0, |p| p.quantity);
        host::log(Level::Info, &format!("position: {held}"));
    }
}

export!(Strategy0_1);
