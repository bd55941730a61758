//! Write [Sandtrade](https://example.invalid/sandtrade) trading strategies in Rust.
//!
//! A strategy is a type that implements [`Strategy`], exported with [`export_strategy!`] and
//! compiled to a WebAssembly component (`cargo build --target wasm32-wasip2 --release`). The
//! host calls [`Strategy::describe`] once at load, [`Strategy::init`] once per instance with the
//! operator's parameters (from the sidecar `.toml`), then [`Strategy::on_bar`] for every bar of
//! the declared symbols and [`Strategy::on_fill`] for every execution of an order the strategy
//! caused. From inside those calls the strategy may [`emit`] signals (or use the typed helpers
//! such as [`open_long`], or [`emit_logged`], which also logs the outcome), send an entry with
//! its exits attached as a [`bracket`], list its [`working_orders`] and [`cancel`] or
//! [`modify`] one, read its own [`position`], [`log`](mod@log) and read the host clock with
//! [`now_ms`].
//!
//! ```no_run
//! use sandtrade_guest::prelude::*;
//!
//! /// Buys `quantity` shares when the close crosses above its SMA, sells them when it
//! /// crosses back below.
//! struct SmaTrend {
//!     quantity: u32,
//!     sma: Sma,
//!     was_above: Option<bool>,
//! }
//!
//! impl Strategy for SmaTrend {
//!     fn describe() -> Metadata {
//!         Metadata::new("sma-trend", env!("CARGO_PKG_VERSION"), ["AAPL"], 60)
//!     }
//!
//!     fn init(params: &Params) -> Result<Self, String> {
//!         params.deny_unknown(&["period", "quantity"])?;
//!         let period: usize = params.get_or("period", 20)?;
//!         let quantity: u32 = params.get("quantity")?;
//!         if period == 0 || quantity == 0 {
//!             return Err("`period` and `quantity` must be positive".into());
//!         }
//!         Ok(SmaTrend { quantity, sma: Sma::new(period), was_above: None })
//!     }
//!
//!     fn on_bar(&mut self, bar: &Bar) {
//!         let Some(sma) = self.sma.update(bar.close) else { return };
//!         let above = bar.close > sma;
//!         let crossed = self.was_above.is_some_and(|was| was != above);
//!         self.was_above = Some(above);
//!         if !crossed {
//!             return;
//!         }
//!         let held = position(&bar.symbol).map_or(0, |p| p.quantity);
//!         let signal = if above && held == 0 {
//!             Signal::open_long(&bar.symbol, self.quantity)
//!                 .reason(format!("close {:.2} crossed above SMA {sma:.2}", bar.close))
//!         } else if !above && held > 0 {
//!             Signal::close_long(&bar.symbol)
//!                 .reason(format!("close {:.2} crossed below SMA {sma:.2}", bar.close))
//!         } else {
//!             return;
//!         };
//!         match emit(signal) {
//!             Ok(id) => info!("signal {id} accepted"),
//!             Err(rejection) => warn!("refused: {}: {}", rejection.code, rejection.message),
//!         }
//!     }
//!
//!     fn on_fill(&mut self, fill: &Fill) {
//!         info!("filled {} {} @ {:.2}", fill.quantity, fill.symbol, fill.price);
//!     }
//! }
//!
//! export_strategy!(SmaTrend);
//! ```
//!
//! # The instance
//!
//! [`export_strategy!`] keeps one instance of the strategy type in a per-component cell.
//! A successful [`Strategy::init`] stores (or replaces) it; a failed `init` leaves no instance.
//! `on_bar` and `on_fill` calls that arrive while there is no instance (before a successful
//! `init`) are ignored: they are no-ops, not errors.
//!
//! # Brackets
//!
//! [`bracket`] sends a buy with its exits attached: a take-profit, a stop-loss or both
//! ([`Exits`], good till cancelled unless told otherwise). IB holds the exits with the entry,
//! works them once it has filled, cancels the other when one fills in full, and cancels both if
//! the entry ends unfilled. Each order has its own id ([`BracketIds`]); [`working_orders`]
//! lists the exits with [`WorkingOrder::exit_of`] set to the entry's id, which is how a
//! restarted strategy recognises its own bracket.
//!
//! ```
//! use sandtrade_guest::prelude::*;
//! # sandtrade_guest::testing::MockHost::reset();
//!
//! let ids = bracket(
//!     Signal::open_long("AAPL", 100).limit(190.0).reason("pullback"),
//!     Exits::new().take_profit(205.0).stop_loss(184.0),
//! )
//! .expect("accepted");
//! let exits: Vec<u64> = working_orders()
//!     .iter()
//!     .filter(|order| order.exit_of == Some(ids.entry))
//!     .map(|order| order.signal_id)
//!     .collect();
//! assert_eq!(exits, ids.exits().collect::<Vec<_>>());
//! // Not filled after all: cancelling the entry cancels the bracket.
//! assert_eq!(cancel(ids.entry), Ok(CancelOutcome::Cancelled));
//! assert!(working_orders().is_empty());
//! ```
//!
//! # Testing natively
//!
//! On a non-wasm target (`cargo test`) the host functions are served by a per-thread mock, see
//! [`testing`]: signals and brackets are recorded and accepted (or refused when a test says
//! so), positions
//! are whatever the test sets or what [`testing::MockHost::fill_accepted`] builds from the
//! accepted signals, log lines are collected. [`testing::bars`] makes bars and
//! [`testing::sidecar_params`] reads a sidecar's params as the host passes them. Strategy logic
//! can therefore be unit-tested without a host.
//!
//! # Building
//!
//! `sandtrade build` in the project writes the component beside its sidecar; it runs
//! `cargo build --target wasm32-wasip2 --release`, which writes it to
//! `target/wasm32-wasip2/release/<crate>.wasm`, with `-` in the crate name turned into `_`.
//! The author's guide, `docs/strategy-guide.md`, goes from `sandtrade new` to a file the host
//! accepts, and lists what a strategy may not do (files, network, clocks).
#![warn(missing_docs)]

mod bracket;
pub mod indicators;
mod params;
mod signal;
mod sys;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

/// The wit-bindgen output. Authors never need it: everything is re-exported above it.
#[doc(hidden)]
#[allow(missing_docs, clippy::too_many_arguments, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "strategy",
        path: "../wit",
        additional_derives: [PartialEq],
        pub_export_macro: true,
        default_bindings_module: "sandtrade_guest::bindings",
        export_macro_name: "__export_strategy_world",
    });
}

pub use bindings::sandtrade::strategy::types::{
    Action, Bar, BracketIds, CancelOutcome, CancelRefusal, DataSource, Exits, Fill, Level, Market,
    Metadata, ModifyOutcome, ModifyRefusal, OrderChange, OrderState, OrderType, Position,
    RejectCode, Rejection, Signal, StopLimit, TimeInForce, Trail, TrailingStop, WorkingOrder,
};
pub use bracket::{bracket, bracket_logged};
pub use params::{ParamError, Params};
pub use signal::{
    SignalId, add_long, add_long_limit, cancel, close_long, close_long_limit, emit, emit_logged,
    modify, open_long, open_long_limit, reduce_long, reduce_long_limit, stop_loss, take_profit,
    trailing_stop, working_orders,
};

/// A trading strategy. Implement it and export the type with [`export_strategy!`].
///
/// Every method runs inside a call from the host, so the helpers ([`emit`], [`position`],
/// [`log`](mod@log), [`now_ms`]) may be used from any of them.
pub trait Strategy: Sized + 'static {
    /// Describes the strategy: its name, version, symbols and bar size.
    ///
    /// Called once at load, before [`Strategy::init`], without an instance: it must not
    /// depend on parameters.
    fn describe() -> Metadata;

    /// Builds an instance from the operator's parameters (the `[params]` table of the
    /// sidecar `.toml`). An `Err` refuses the parameters and keeps the strategy from
    /// starting; say which parameter is wrong and why ([`ParamError`] converts into `String`,
    /// so `params.get::<u32>("fast")?` works here).
    fn init(params: &Params) -> Result<Self, String>;

    /// Handles one bar of a declared symbol.
    fn on_bar(&mut self, bar: &Bar);

    /// Handles one execution of an order this strategy's signal caused. An order may be
    /// filled in several parts, each its own call. The default does nothing.
    fn on_fill(&mut self, fill: &Fill) {
        let _ = fill;
    }
}

/// This strategy's own position in `symbol`, or `None` when it holds none.
///
/// The position changes only when fills arrive: a signal just accepted by [`emit`] is not
/// reflected here until its order executes.
pub fn position(symbol: &str) -> Option<Position> {
    sys::position(symbol)
}

/// Shares of `symbol` held by this strategy (0 when flat). Shorthand for
/// `position(symbol).map_or(0, |p| p.quantity)`.
pub fn held(symbol: &str) -> u32 {
    position(symbol).map_or(0, |p| p.quantity)
}

/// The host clock in milliseconds since the Unix epoch (the replay time in a backtest).
///
/// Strategies have no clock of their own: a component importing `wasi:clocks` (as
/// `std::time::SystemTime::now()` does) is refused at load.
pub fn now_ms() -> i64 {
    sys::now_ms()
}

/// Writing lines to the host log, tagged with the strategy's name.
///
/// The host caps the rate and size of log lines. The macros [`debug!`], [`info!`], [`warn!`]
/// and [`error!`] take `format!` arguments.
pub mod log {
    pub use crate::Level;

    /// Whether a line at `level` would be kept by the host. The macros check it before
    /// formatting, so a filtered-out `debug!` costs a comparison, not a `format!`.
    ///
    /// The host's level is asked once per instance (it changes when the strategy is reloaded
    /// or restarted); the native test mock is asked every time.
    pub fn enabled(level: Level) -> bool {
        rank(level) >= rank(host_level())
    }

    fn rank(level: Level) -> u8 {
        match level {
            Level::Debug => 1,
            Level::Info => 2,
            Level::Warn => 3,
            Level::Error => 4,
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn host_level() -> Level {
        use std::sync::atomic::{AtomicU8, Ordering};
        // 0: not asked yet. A component instance is single-threaded: a relaxed cell suffices.
        static LEVEL: AtomicU8 = AtomicU8::new(0);
        let from_rank = |r| match r {
            1 => Level::Debug,
            2 => Level::Info,
            3 => Level::Warn,
            _ => Level::Error,
        };
        match LEVEL.load(Ordering::Relaxed) {
            0 => {
                let level = crate::sys::log_level();
                LEVEL.store(rank(level), Ordering::Relaxed);
                level
            }
            r => from_rank(r),
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn host_level() -> Level {
        crate::sys::log_level()
    }

    /// Writes `message` at `level` (nothing if the host would drop it).
    pub fn log(level: Level, message: &str) {
        if enabled(level) {
            crate::sys::log(level, message)
        }
    }
    /// Writes `message` at debug level.
    pub fn debug(message: &str) {
        log(Level::Debug, message)
    }
    /// Writes `message` at info level.
    pub fn info(message: &str) {
        log(Level::Info, message)
    }
    /// Writes `message` at warn level.
    pub fn warn(message: &str) {
        log(Level::Warn, message)
    }
    /// Writes `message` at error level.
    pub fn error(message: &str) {
        log(Level::Error, message)
    }
}

/// Logs a `format!`-style message at debug level (not even formatted if the host drops debug
/// lines).
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => {
        if $crate::log::enabled($crate::Level::Debug) {
            $crate::log::log($crate::Level::Debug, &::std::format!($($arg)+))
        }
    };
}

/// Logs a `format!`-style message at info level (not even formatted if the host drops info
/// lines).
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => {
        if $crate::log::enabled($crate::Level::Info) {
            $crate::log::log($crate::Level::Info, &::std::format!($($arg)+))
        }
    };
}

/// Logs a `format!`-style message at warn level (not even formatted if the host drops warn
/// lines).
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => {
        if $crate::log::enabled($crate::Level::Warn) {
            $crate::log::log($crate::Level::Warn, &::std::format!($($arg)+))
        }
    };
}

/// Logs a `format!`-style message at error level.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => {
        if $crate::log::enabled($crate::Level::Error) {
            $crate::log::log($crate::Level::Error, &::std::format!($($arg)+))
        }
    };
}

impl Metadata {
    /// Metadata for a strategy named `name` (e.g. `ma-crossover`), at `version` (e.g.
    /// `env!("CARGO_PKG_VERSION")`), wanting bars of `bar_seconds` seconds for `symbols`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        version: impl Into<String>,
        symbols: impl IntoIterator<Item = S>,
        bar_seconds: u32,
    ) -> Self {
        Metadata {
            name: name.into(),
            version: version.into(),
            symbols: symbols.into_iter().map(Into::into).collect(),
            bar_seconds,
        }
    }
}

impl RejectCode {
    /// The code as the WIT spells it, e.g. `short-not-allowed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::ShortNotAllowed => "short-not-allowed",
            RejectCode::PositionLimit => "position-limit",
            RejectCode::OrderLimit => "order-limit",
            RejectCode::LotSize => "lot-size",
            RejectCode::RateLimit => "rate-limit",
            RejectCode::UnknownSymbol => "unknown-symbol",
            RejectCode::InvalidQuantity => "invalid-quantity",
            RejectCode::InvalidPrice => "invalid-price",
            RejectCode::NotSubscribed => "not-subscribed",
            RejectCode::InvalidOrder => "invalid-order",
            RejectCode::TradingHalted => "trading-halted",
            RejectCode::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for RejectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Action {
    /// The action as the WIT spells it, e.g. `open-long`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::OpenLong => "open-long",
            Action::AddLong => "add-long",
            Action::CloseLong => "close-long",
            Action::ReduceLong => "reduce-long",
        }
    }

    /// Whether the action buys (`open-long`, `add-long`).
    pub fn is_buy(self) -> bool {
        matches!(self, Action::OpenLong | Action::AddLong)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a strategy usually needs: `use sandtrade_guest::prelude::*;`.
pub mod prelude {
    pub use crate::indicators::{Ema, RollingHigh, RollingLow, Rsi, Sma};
    pub use crate::{
        Action, Bar, BracketIds, CancelOutcome, CancelRefusal, DataSource, Exits, Fill, Level,
        Market, Metadata, ModifyOutcome, ModifyRefusal, OrderChange, OrderState, OrderType,
        ParamError, Params, Position, RejectCode, Rejection, Signal, SignalId, StopLimit, Strategy,
        TimeInForce, Trail, TrailingStop, WorkingOrder, add_long, add_long_limit, bracket,
        bracket_logged, cancel, close_long, close_long_limit, debug, emit, emit_logged, error,
        export_strategy, held, info, modify, now_ms, open_long, open_long_limit, position,
        reduce_long, reduce_long_limit, stop_loss, take_profit, trailing_stop, warn,
        working_orders,
    };
}

/// Exports a [`Strategy`] implementation as the component's `strategy` world.
///
/// Use it once per crate, at the top level: `export_strategy!(MyStrat);`.
#[macro_export]
macro_rules! export_strategy {
    ($ty:ty) => {
        const _: () = {
            ::std::thread_local! {
                static __SANDTRADE_INSTANCE: ::core::cell::RefCell<::core::option::Option<$ty>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }

            #[doc(hidden)]
            pub struct __SandtradeStrategyExport;

            impl $crate::__private::Guest for __SandtradeStrategyExport {
                fn describe() -> $crate::Metadata {
                    <$ty as $crate::Strategy>::describe()
                }
                fn init(
                    params: $crate::__private::Vec<(
                        $crate::__private::String,
                        $crate::__private::String,
                    )>,
                ) -> ::core::result::Result<(), $crate::__private::String> {
                    $crate::__private::init::<$ty>(&__SANDTRADE_INSTANCE, params)
                }
                fn on_bar(bar: $crate::Bar) {
                    $crate::__private::on_bar::<$ty>(&__SANDTRADE_INSTANCE, &bar)
                }
                fn on_bars(
                    symbols: $crate::__private::Vec<$crate::__private::BatchSymbol>,
                    source: $crate::DataSource,
                    bars: $crate::__private::BarColumns,
                ) -> u32 {
                    $crate::__private::on_bars::<$ty>(
                        &__SANDTRADE_INSTANCE,
                        &symbols,
                        source,
                        &bars,
                    )
                }
                fn on_fill(fill: $crate::Fill) {
                    $crate::__private::on_fill::<$ty>(&__SANDTRADE_INSTANCE, &fill)
                }
            }

            $crate::bindings::__export_strategy_world!(
                __SandtradeStrategyExport with_types_in $crate::bindings
            );
        };
    };
}

#[doc(hidden)]
pub mod __private {
    use std::cell::RefCell;
    use std::thread::LocalKey;

    pub use crate::bindings::Guest;
    pub use crate::bindings::sandtrade::strategy::types::{BarColumns, BatchSymbol};
    pub use std::string::String;
    pub use std::vec::Vec;

    use crate::{Bar, Fill, Params, Strategy};

    /// The cell `export_strategy!` keeps the instance in.
    pub type Slot<S> = LocalKey<RefCell<Option<S>>>;

    pub fn init<S: Strategy>(
        slot: &'static Slot<S>,
        params: Vec<(String, String)>,
    ) -> Result<(), String> {
        // Drop any previous instance first: a failed init leaves none.
        slot.with(|cell| *cell.borrow_mut() = None);
        let params = Params::new(params);
        let instance = S::init(&params)?;
        slot.with(|cell| *cell.borrow_mut() = Some(instance));
        Ok(())
    }

    pub fn on_bar<S: Strategy>(slot: &'static Slot<S>, bar: &Bar) {
        slot.with(|cell| {
            if let Some(instance) = cell.borrow_mut().as_mut() {
                instance.on_bar(bar);
            }
        })
    }

    /// `on_bar` for each bar in turn, stopping after the first bar on which a signal (or a
    /// bracket) was accepted: the host fills its order before it sends the next bar, exactly as
    /// when bars come one by one. Returns how many bars were consumed.
    pub fn on_bars<S: Strategy>(
        slot: &'static Slot<S>,
        symbols: &[BatchSymbol],
        source: crate::DataSource,
        bars: &BarColumns,
    ) -> u32 {
        slot.with(|cell| {
            let consumed = match cell.borrow_mut().as_mut() {
                Some(instance) => run_batch(instance, &mut Batched::new(symbols, source, bars)),
                None => bars.symbol.len(),
            };
            u32::try_from(consumed).unwrap_or(u32::MAX)
        })
    }

    /// The bars of a batch, handed to `on_bar` one at a time.
    pub trait Bars {
        /// How many there are.
        fn count(&self) -> usize;
        /// Bar `i` (below [`count`](Self::count)).
        fn bar(&mut self, i: usize) -> &Bar;
    }

    impl Bars for &[Bar] {
        fn count(&self) -> usize {
            self.len()
        }
        fn bar(&mut self, i: usize) -> &Bar {
            &self[i]
        }
    }

    /// The bars of an `on-bars` call, as the author's `Bar`s: one bar, refilled for each, its
    /// symbol copied only when it changes (so a run of bars of one symbol allocates nothing).
    struct Batched<'a> {
        symbols: &'a [BatchSymbol],
        columns: &'a BarColumns,
        current: Bar,
        current_symbol: Option<u32>,
    }

    impl<'a> Batched<'a> {
        fn new(
            symbols: &'a [BatchSymbol],
            source: crate::DataSource,
            columns: &'a BarColumns,
        ) -> Self {
            let current = Bar {
                symbol: String::new(),
                market: crate::Market::UsStock,
                start_ms: 0,
                open: 0.0,
                high: 0.0,
                low: 0.0,
                close: 0.0,
                volume: 0.0,
                source,
            };
            Self {
                symbols,
                columns,
                current,
                current_symbol: None,
            }
        }
    }

    impl Bars for Batched<'_> {
        fn count(&self) -> usize {
            self.columns.symbol.len()
        }
        fn bar(&mut self, i: usize) -> &Bar {
            let c = self.columns;
            let symbol = c.symbol[i];
            if self.current_symbol != Some(symbol) {
                // An index past the symbols is the host's bug: the trap says so.
                let named = &self.symbols[symbol as usize];
                self.current.symbol.clone_from(&named.symbol);
                self.current.market = named.market;
                self.current_symbol = Some(symbol);
            }
            // Columns shorter than `symbol` are the host's bug too, and trap here.
            let current = &mut self.current;
            current.start_ms = c.start_ms[i];
            let five = &c.ohlcv[5 * i..5 * i + 5];
            current.open = five[0];
            current.high = five[1];
            current.low = five[2];
            current.close = five[3];
            current.volume = five[4];
            &self.current
        }
    }

    /// The batch loop behind `on-bars`, also what [`crate::testing::on_bars`] runs.
    pub fn run_batch<S: Strategy>(instance: &mut S, bars: &mut impl Bars) -> usize {
        crate::sys::batch::start();
        for i in 0..bars.count() {
            crate::sys::batch::at(u32::try_from(i).unwrap_or(u32::MAX));
            let before = crate::signal::accepted_so_far();
            instance.on_bar(bars.bar(i));
            if crate::signal::accepted_so_far() != before {
                crate::sys::batch::start();
                return i + 1;
            }
        }
        crate::sys::batch::start();
        bars.count()
    }

    pub fn on_fill<S: Strategy>(slot: &'static Slot<S>, fill: &Fill) {
        slot.with(|cell| {
            if let Some(instance) = cell.borrow_mut().as_mut() {
                instance.on_fill(fill);
            }
        })
    }
}
