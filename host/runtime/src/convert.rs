//! Conversions between the host's own types and the ones `bindgen!` generates from the WIT.
//!
//! The rest of the host speaks `risk::types`; only the runtime touches the generated types, and
//! only through these.

use super::bindings;
use super::host::{
    CancelRefusal, Cancelled, Holding, Modified, ModifyRefusal, WorkingOrder, WorkingState,
};
use super::output::LogLevel;
use sandtrade_core::{
    Action, BracketIds, Exits, Market, OrderType, RejectCode, Rejection, SignalRequest,
    TimeInForce, Timing, Trail,
};

impl From<Market> for bindings::Market {
    fn from(market: Market) -> Self {
        match market {
            Market::UsStock => Self::UsStock,
            Market::HkStock => Self::HkStock,
        }
    }
}

impl From<Action> for bindings::Action {
    fn from(action: Action) -> Self {
        match action {
            Action::OpenLong => Self::OpenLong,
            Action::AddLong => Self::AddLong,
            Action::CloseLong => Self::CloseLong,
            Action::ReduceLong => Self::ReduceLong,
        }
    }
}

impl From<bindings::Action> for Action {
    fn from(action: bindings::Action) -> Self {
        match action {
            bindings::Action::OpenLong => Self::OpenLong,
            bindings::Action::AddLong => Self::AddLong,
            bindings::Action::CloseLong => Self::CloseLong,
            bindings::Action::ReduceLong => Self::ReduceLong,
        }
    }
}

impl From<bindings::Signal> for SignalRequest {
    fn from(signal: bindings::Signal) -> Self {
        Self {
            action: signal.action.into(),
            symbol: signal.symbol,
            quantity: signal.quantity,
            order_type: signal.order_type.into(),
            timing: Timing {
                tif: signal.time_in_force.into(),
                outside_rth: signal.outside_rth,
            },
            reason: signal.reason,
        }
    }
}

impl From<bindings::OrderType> for OrderType {
    fn from(order_type: bindings::OrderType) -> Self {
        use bindings::OrderType as G;
        match order_type {
            G::Market => Self::Market,
            G::Limit(price) => Self::Limit(price),
            G::Stop(trigger) => Self::Stop(trigger),
            G::StopLimit(bindings::StopLimit { trigger, limit }) => {
                Self::StopLimit { trigger, limit }
            }
            G::TrailingStop(bindings::TrailingStop {
                trail,
                limit_offset,
            }) => Self::TrailingStop {
                trail: match trail {
                    bindings::Trail::Amount(amount) => Trail::Amount(amount),
                    bindings::Trail::Percent(percent) => Trail::Percent(percent),
                },
                limit_offset,
            },
            G::MarketOnClose => Self::MarketOnClose,
            G::LimitOnClose(price) => Self::LimitOnClose(price),
        }
    }
}

impl From<OrderType> for bindings::OrderType {
    fn from(order_type: OrderType) -> Self {
        match order_type {
            OrderType::Market => Self::Market,
            OrderType::Limit(price) => Self::Limit(price),
            OrderType::Stop(trigger) => Self::Stop(trigger),
            OrderType::StopLimit { trigger, limit } => {
                Self::StopLimit(bindings::StopLimit { trigger, limit })
            }
            OrderType::TrailingStop {
                trail,
                limit_offset,
            } => Self::TrailingStop(bindings::TrailingStop {
                trail: match trail {
                    Trail::Amount(amount) => bindings::Trail::Amount(amount),
                    Trail::Percent(percent) => bindings::Trail::Percent(percent),
                },
                limit_offset,
            }),
            OrderType::MarketOnClose => Self::MarketOnClose,
            OrderType::LimitOnClose(price) => Self::LimitOnClose(price),
        }
    }
}

impl From<bindings::TimeInForce> for TimeInForce {
    fn from(tif: bindings::TimeInForce) -> Self {
        match tif {
            bindings::TimeInForce::Day => Self::Day,
            bindings::TimeInForce::Gtc => Self::Gtc,
            bindings::TimeInForce::Ioc => Self::Ioc,
            bindings::TimeInForce::Opg => Self::Opg,
        }
    }
}

impl From<TimeInForce> for bindings::TimeInForce {
    fn from(tif: TimeInForce) -> Self {
        match tif {
            TimeInForce::Day => Self::Day,
            TimeInForce::Gtc => Self::Gtc,
            TimeInForce::Ioc => Self::Ioc,
            TimeInForce::Opg => Self::Opg,
        }
    }
}

impl From<Rejection> for bindings::Rejection {
    fn from(rejection: Rejection) -> Self {
        use bindings::RejectCode as G;
        let code = match rejection.code {
            RejectCode::ShortNotAllowed => G::ShortNotAllowed,
            RejectCode::PositionLimit => G::PositionLimit,
            RejectCode::OrderLimit => G::OrderLimit,
            RejectCode::LotSize => G::LotSize,
            RejectCode::RateLimit => G::RateLimit,
            RejectCode::UnknownSymbol => G::UnknownSymbol,
            RejectCode::InvalidQuantity => G::InvalidQuantity,
            RejectCode::InvalidPrice => G::InvalidPrice,
            RejectCode::NotSubscribed => G::NotSubscribed,
            RejectCode::InvalidOrder => G::InvalidOrder,
            RejectCode::TradingHalted => G::TradingHalted,
            RejectCode::Unavailable => G::Unavailable,
        };
        Self {
            code,
            message: rejection.message,
        }
    }
}

impl From<Holding> for bindings::Position {
    fn from(holding: Holding) -> Self {
        Self {
            symbol: holding.symbol,
            quantity: holding.quantity,
            avg_cost: holding.avg_cost,
        }
    }
}

impl From<WorkingOrder> for bindings::WorkingOrder {
    fn from(order: WorkingOrder) -> Self {
        Self {
            signal_id: order.signal_id,
            symbol: order.symbol,
            action: order.action.into(),
            quantity: order.quantity,
            filled: order.filled,
            order_type: order.order_type.into(),
            time_in_force: order.timing.tif.into(),
            outside_rth: order.timing.outside_rth,
            state: match order.state {
                WorkingState::Queued => bindings::OrderState::Queued,
                WorkingState::Sending => bindings::OrderState::Sending,
                WorkingState::Working => bindings::OrderState::Working,
                WorkingState::Cancelling => bindings::OrderState::Cancelling,
                WorkingState::Unknown => bindings::OrderState::Unknown,
            },
            exit_of: order.exit_of,
        }
    }
}

impl From<bindings::Exits> for Exits {
    fn from(exits: bindings::Exits) -> Self {
        Self {
            take_profit: exits.take_profit,
            stop_loss: exits.stop_loss.map(Into::into),
            timing: Timing {
                tif: exits.time_in_force.into(),
                outside_rth: exits.outside_rth,
            },
        }
    }
}

impl From<BracketIds> for bindings::BracketIds {
    fn from(ids: BracketIds) -> Self {
        Self {
            entry: ids.entry,
            take_profit: ids.take_profit,
            stop_loss: ids.stop_loss,
        }
    }
}

impl From<Cancelled> for bindings::CancelOutcome {
    fn from(cancelled: Cancelled) -> Self {
        match cancelled {
            Cancelled::BeforeSending => Self::Cancelled,
            Cancelled::Requested => Self::Requested,
        }
    }
}

impl From<CancelRefusal> for bindings::CancelRefusal {
    fn from(refusal: CancelRefusal) -> Self {
        match refusal {
            CancelRefusal::UnknownOrder => Self::UnknownOrder,
            CancelRefusal::AlreadyEnded => Self::AlreadyEnded,
            CancelRefusal::Unavailable => Self::Unavailable,
        }
    }
}

impl From<Modified> for bindings::ModifyOutcome {
    fn from(modified: Modified) -> Self {
        match modified {
            Modified::BeforeSending => Self::Changed,
            Modified::Requested => Self::Requested,
        }
    }
}

impl From<ModifyRefusal> for bindings::ModifyRefusal {
    fn from(refusal: ModifyRefusal) -> Self {
        match refusal {
            ModifyRefusal::UnknownOrder => Self::UnknownOrder,
            ModifyRefusal::AlreadyEnded => Self::AlreadyEnded,
            ModifyRefusal::Pending => Self::Pending,
            ModifyRefusal::Refused(rejection) => Self::Refused(rejection.into()),
            ModifyRefusal::Unavailable => Self::Unavailable,
        }
    }
}

impl From<bindings::Level> for LogLevel {
    fn from(level: bindings::Level) -> Self {
        match level {
            bindings::Level::Debug => Self::Debug,
            bindings::Level::Info => Self::Info,
            bindings::Level::Warn => Self::Warn,
            bindings::Level::Error => Self::Error,
        }
    }
}

/// The 0.1.0 types: a component built against 0.1.0 sends market and limit day orders and
/// receives bars without their source.
mod v0_1 {
    use super::super::bar_batch::BarBatch;
    use super::super::bindings::{self, v0_1::sandtrade::strategy::types as old};
    use crate::output::LogLevel;
    use sandtrade_core::{OrderType, RejectCode, Rejection, SignalRequest, Timing};

    impl From<old::Signal> for SignalRequest {
        fn from(signal: old::Signal) -> Self {
            Self {
                action: match signal.action {
                    old::Action::OpenLong => sandtrade_core::Action::OpenLong,
                    old::Action::AddLong => sandtrade_core::Action::AddLong,
                    old::Action::CloseLong => sandtrade_core::Action::CloseLong,
                    old::Action::ReduceLong => sandtrade_core::Action::ReduceLong,
                },
                symbol: signal.symbol,
                quantity: signal.quantity,
                order_type: match signal.order_type {
                    old::OrderType::Market => OrderType::Market,
                    old::OrderType::Limit(price) => OrderType::Limit(price),
                },
                // 0.1.0 has no time in force: every order is a day order in regular hours.
                timing: Timing::DAY,
                reason: signal.reason,
            }
        }
    }

    impl From<Rejection> for old::Rejection {
        fn from(rejection: Rejection) -> Self {
            use old::RejectCode as G;
            let code = match rejection.code {
                RejectCode::ShortNotAllowed => G::ShortNotAllowed,
                RejectCode::PositionLimit => G::PositionLimit,
                RejectCode::OrderLimit => G::OrderLimit,
                RejectCode::LotSize => G::LotSize,
                RejectCode::RateLimit => G::RateLimit,
                RejectCode::UnknownSymbol => G::UnknownSymbol,
                RejectCode::InvalidQuantity => G::InvalidQuantity,
                RejectCode::InvalidPrice => G::InvalidPrice,
                RejectCode::NotSubscribed => G::NotSubscribed,
                // A 0.1.0 signal is always a market or limit day order, which risk never
                // refuses this way; should it, the nearest 0.1.0 code keeps the message.
                RejectCode::InvalidOrder => G::InvalidPrice,
                RejectCode::TradingHalted => G::TradingHalted,
                RejectCode::Unavailable => G::Unavailable,
            };
            Self {
                code,
                message: rejection.message,
            }
        }
    }

    impl From<old::Level> for LogLevel {
        fn from(level: old::Level) -> Self {
            match level {
                old::Level::Debug => Self::Debug,
                old::Level::Info => Self::Info,
                old::Level::Warn => Self::Warn,
                old::Level::Error => Self::Error,
            }
        }
    }

    impl From<bindings::Level> for old::Level {
        fn from(level: bindings::Level) -> Self {
            match level {
                bindings::Level::Debug => Self::Debug,
                bindings::Level::Info => Self::Info,
                bindings::Level::Warn => Self::Warn,
                bindings::Level::Error => Self::Error,
            }
        }
    }

    impl From<old::Metadata> for bindings::Metadata {
        fn from(meta: old::Metadata) -> Self {
            Self {
                name: meta.name,
                version: meta.version,
                symbols: meta.symbols,
                bar_seconds: meta.bar_seconds,
            }
        }
    }

    impl From<bindings::Market> for old::Market {
        fn from(market: bindings::Market) -> Self {
            match market {
                bindings::Market::UsStock => Self::UsStock,
                bindings::Market::HkStock => Self::HkStock,
            }
        }
    }

    impl From<bindings::Action> for old::Action {
        fn from(action: bindings::Action) -> Self {
            match action {
                bindings::Action::OpenLong => Self::OpenLong,
                bindings::Action::AddLong => Self::AddLong,
                bindings::Action::CloseLong => Self::CloseLong,
                bindings::Action::ReduceLong => Self::ReduceLong,
            }
        }
    }

    impl old::Bar {
        /// Copies `bar` in, reusing this bar's symbol buffer: delivering a bar to a 0.1.0
        /// component allocates nothing once its symbols have been seen.
        pub(crate) fn copy_from(&mut self, bar: &bindings::Bar) {
            self.symbol.clone_from(&bar.symbol);
            self.market = bar.market.into();
            self.start_ms = bar.start_ms;
            self.open = bar.open;
            self.high = bar.high;
            self.low = bar.low;
            self.close = bar.close;
            self.volume = bar.volume;
        }

        /// [`copy_from`](Self::copy_from) for bar `i` of an `on-bars` batch.
        pub(crate) fn copy_from_batch(&mut self, batch: &BarBatch, i: usize) {
            let columns = batch.columns();
            let symbol = &batch.symbols()[columns.symbol[i] as usize];
            self.symbol.clone_from(&symbol.symbol);
            self.market = symbol.market.into();
            self.start_ms = columns.start_ms[i];
            [self.open, self.high, self.low, self.close, self.volume] =
                crate::bar_batch::ohlcv(columns, i);
        }

        /// An empty bar to [`copy_from`](Self::copy_from) into.
        pub(crate) fn empty() -> Self {
            Self {
                symbol: String::new(),
                market: old::Market::UsStock,
                start_ms: 0,
                open: 0.0,
                high: 0.0,
                low: 0.0,
                close: 0.0,
                volume: 0.0,
            }
        }
    }

    impl From<&bindings::Fill> for old::Fill {
        fn from(fill: &bindings::Fill) -> Self {
            Self {
                signal_id: fill.signal_id,
                symbol: fill.symbol.clone(),
                action: fill.action.into(),
                quantity: fill.quantity,
                price: fill.price,
                time_ms: fill.time_ms,
            }
        }
    }
}

impl bindings::Bar {
    /// A bar of `symbol` (as the strategy spells it) with every number zero: one is kept per
    /// subscription and refilled with [`bindings::Bar::set`] for each new bar, so delivering a
    /// bar allocates nothing.
    pub fn blank(symbol: impl Into<String>, market: Market, source: bindings::DataSource) -> Self {
        Self {
            symbol: symbol.into(),
            market: market.into(),
            source,
            start_ms: 0,
            open: 0.0,
            high: 0.0,
            low: 0.0,
            close: 0.0,
            volume: 0.0,
        }
    }

    /// Sets the time and prices, keeping the symbol.
    pub fn set(&mut self, start_ms: i64, [open, high, low, close, volume]: [f64; 5]) {
        self.start_ms = start_ms;
        self.open = open;
        self.high = high;
        self.low = low;
        self.close = close;
        self.volume = volume;
    }
}
