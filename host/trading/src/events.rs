//! What happened, as it happens: a broadcast of [`TradingEvent`]s for whoever listens (the
//! REST API's event stream, tests). Sending costs next to nothing when nobody listens; a
//! listener that falls behind loses the oldest events (`RecvError::Lagged`), never slows
//! trading.

use serde::Serialize;
use tokio::sync::broadcast;

use sandtrade_orders::OrderState;

/// How many events a slow listener may fall behind before it loses some.
pub const EVENT_CAPACITY: usize = 4096;

/// Where the parts of the loop send what happened. Cheap to clone: every part keeps one.
#[derive(Debug, Clone)]
pub(crate) struct Events {
    sender: broadcast::Sender<TradingEvent>,
}

impl Events {
    /// No listener yet.
    pub(crate) fn new() -> Self {
        Self {
            sender: broadcast::channel(EVENT_CAPACITY).0,
        }
    }

    /// Sends `event` to whoever listens (nothing if nobody does).
    pub(crate) fn emit(&self, event: TradingEvent) {
        let _nobody_listening = self.sender.send(event);
    }

    /// Events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<TradingEvent> {
        self.sender.subscribe()
    }
}

/// One thing that happened in the trading loop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum TradingEvent {
    /// A connection came up (before reconciliation).
    Connected {
        /// The client id in use.
        client_id: i32,
    },
    /// Reconciliation finished; orders may be sent from now on.
    Reconciled {
        /// Executions recorded for the first time.
        new_fills: usize,
        /// Orders whose state changed.
        changed: usize,
        /// Issues for an operator.
        issues: usize,
    },
    /// Live bar subscriptions were made and IB has taken them (a round trip followed them).
    Subscribed {
        /// Every contract subscribed now.
        symbols: Vec<String>,
    },
    /// IB refused a contract's live data and the `[market_data] fallback` took its place: the
    /// contract's bars are built from IB's delayed (or frozen) ticks from now on.
    DataFallback {
        /// The contract symbol.
        symbol: String,
        /// `delayed` or `frozen`: the market data type asked for.
        fallback: String,
        /// IB's code that refused live data.
        code: i32,
        /// IB's text with it.
        message: String,
    },
    /// The connection ended.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// A connect attempt failed; the next is scheduled.
    ConnectFailed {
        /// Why.
        reason: String,
        /// In how many ms the next attempt is made (`None`: never, the refusal is final).
        retry_in_ms: Option<u64>,
    },
    /// Orders wait in the queue although connected (IB ↔ TWS connectivity is down); sent when
    /// it is restored. Reported when the number waiting changes.
    OrdersHeld {
        /// Orders queued.
        queued: usize,
        /// Why they wait.
        reason: String,
    },
    /// An order was written to IB.
    OrderSent {
        /// The order (signal) id.
        id: u64,
        /// IB's order id.
        ib_order_id: i32,
    },
    /// An order changed state.
    OrderState {
        /// The order.
        id: u64,
        /// From.
        from: OrderState,
        /// To.
        to: OrderState,
    },
    /// An execution was recorded.
    Fill {
        /// The order.
        id: u64,
        /// Its strategy.
        strategy: String,
        /// Shares.
        quantity: u32,
        /// Price.
        price: f64,
        /// Whether the strategy's `on-fill` was called (false if it was not running).
        delivered: bool,
    },
    /// A notice from IB worth an operator's eye (order refusals, connectivity, pacing).
    Notice {
        /// IB's code.
        code: i32,
        /// IB's text.
        message: String,
    },
    /// The broker's position of a symbol differs from the strategies' ledger.
    Drift {
        /// The symbol.
        symbol: String,
        /// Broker shares.
        broker: f64,
        /// Ledger shares.
        ledger: i64,
    },
    /// The account's P&L passed a loss limit: trading is halted.
    LossLimit {
        /// Which limit, and the numbers (also the halt's reason).
        reason: String,
    },
    /// A strategy was installed or replaced and its warm-up began.
    WarmupStarted {
        /// The strategy.
        strategy: String,
    },
    /// A strategy's warm-up finished; its signals trade from now on.
    WarmedUp {
        /// The strategy.
        strategy: String,
        /// Historical bars it was given.
        bars: usize,
    },
    /// After a reconnect, a strategy was given the bars it missed; its signals trade again.
    Backfilled {
        /// The strategy.
        strategy: String,
        /// Historical bars it was given.
        bars: usize,
        /// The first and last of them (bar starts, ms since the epoch), if any.
        span_ms: Option<(i64, i64)>,
    },
}
