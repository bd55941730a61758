declare module 'sandtrade:strategy/types@0.2.0' {
  /**
   * Which market a symbol trades in.
   * # Variants
   * 
   * ## `"us-stock"`
   * 
   * US stocks, e.g. `AAPL`: SMART routing, USD.
   * ## `"hk-stock"`
   * 
   * Hong Kong stocks, e.g. `0700.HK`, `00700` or `700`: SEHK, HKD, board lots.
   */
  export type Market = 'us-stock' | 'hk-stock';
  /**
   * Where a bar's prices came from.
   * # Variants
   * 
   * ## `"live"`
   * 
   * IB's real-time data.
   * ## `"delayed"`
   * 
   * IB's delayed data (typically 15 minutes late), used when the account has no
   * real-time subscription for the symbol and the operator allows the fallback.
   * ## `"frozen"`
   * 
   * The last prices IB holds while real-time data is unavailable (IB's "frozen" data).
   * ## `"historical"`
   * 
   * Bars from IB's history: the warm-up before live trading, and bars missed while the
   * host was disconnected, delivered in time order before live bars resume.
   * ## `"replay"`
   * 
   * A backtest replaying a file.
   */
  export type DataSource = 'live' | 'delayed' | 'frozen' | 'historical' | 'replay';
  /**
   * One OHLCV bar of one symbol.
   */
  export interface Bar {
    /**
     * The symbol as the strategy declared it in `metadata.symbols`.
     */
    symbol: string,
    market: Market,
    /**
     * Start of the bar, milliseconds since the Unix epoch (UTC).
     */
    startMs: bigint,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    /**
     * Where the prices came from. Signals are taken only on `live`, `delayed` and `frozen`
     * bars when trading (a `historical` bar is for warming up), and on every bar of a
     * backtest.
     */
    source: DataSource,
  }
  /**
   * A symbol of an `on-bars` call.
   */
  export interface BatchSymbol {
    /**
     * The symbol as the strategy declared it in `metadata.symbols`.
     */
    symbol: string,
    market: Market,
  }
  /**
   * The bars of an `on-bars` call, column by column: bar `i` is `symbol[i]`, `start-ms[i]`
   * and the five numbers `ohlcv[5i]` to `ohlcv[5i + 4]`. A list of numbers crosses into the
   * guest as one copy, where a list of records would be written field by field, and each
   * list costs the guest an allocation: hence few lists.
   */
  export interface BarColumns {
    /**
     * Each bar's symbol: an index (0-based) into the call's `symbols`.
     */
    symbol: Uint32Array,
    /**
     * Each bar's start, milliseconds since the Unix epoch (UTC).
     */
    startMs: BigInt64Array,
    /**
     * Each bar's open, high, low, close and volume, in that order: five numbers a bar.
     */
    ohlcv: Float64Array,
  }
  /**
   * What a signal asks for.
   * # Variants
   * 
   * ## `"open-long"`
   * 
   * Buy into a flat position.
   * ## `"add-long"`
   * 
   * Buy more of a position already held.
   * ## `"close-long"`
   * 
   * Sell the whole position; `quantity` is ignored and may be 0.
   * ## `"reduce-long"`
   * 
   * Sell part of the position.
   */
  export type Action = 'open-long' | 'add-long' | 'close-long' | 'reduce-long';
  /**
   * A stop that becomes a limit order once triggered.
   */
  export interface StopLimit {
    /**
     * The last price that arms the order: at or below it for a sell, at or above it for a
     * buy.
     */
    trigger: number,
    /**
     * The limit the order then rests at.
     */
    limit: number,
  }
  /**
   * How far a trailing stop's trigger stays from the best price seen.
   */
  export type Trail = TrailAmount | TrailPercent;
  /**
   * A distance in price, e.g. 2.5 (dollars for a US stock).
   */
  export interface TrailAmount {
    tag: 'amount',
    val: number,
  }
  /**
   * A percentage of the best price, above 0 and below 100, e.g. 3.0 for 3%.
   */
  export interface TrailPercent {
    tag: 'percent',
    val: number,
  }
  /**
   * A trailing stop: for a sell, its trigger follows a rising price up at `trail` below
   * the highest price seen and never moves down.
   */
  export interface TrailingStop {
    trail: Trail,
    /**
     * Makes it a trailing stop-limit: once triggered it rests as a limit order this far
     * beyond the trigger (below it for a sell). Zero or more.
     */
    limitOffset?: number,
  }
  /**
   * How the order is priced. Every price must be finite and positive (`invalid-price`);
   * limit and stop prices are put on the instrument's tick in the strategy's favour.
   */
  export type OrderType = OrderTypeMarket | OrderTypeLimit | OrderTypeStop | OrderTypeStopLimit | OrderTypeTrailingStop | OrderTypeMarketOnClose | OrderTypeLimitOnClose;
  /**
   * At the market.
   */
  export interface OrderTypeMarket {
    tag: 'market',
  }
  /**
   * At this limit price or better.
   */
  export interface OrderTypeLimit {
    tag: 'limit',
    val: number,
  }
  /**
   * A market order once the last price reaches this trigger (IB `STP`): the stop-loss
   * of a long position is a sell stop below the market.
   */
  export interface OrderTypeStop {
    tag: 'stop',
    val: number,
  }
  /**
   * A limit order once the last price reaches the trigger (IB `STP LMT`).
   */
  export interface OrderTypeStopLimit {
    tag: 'stop-limit',
    val: StopLimit,
  }
  /**
   * A stop whose trigger follows the market (IB `TRAIL`, or `TRAIL LIMIT` with a limit
   * offset).
   */
  export interface OrderTypeTrailingStop {
    tag: 'trailing-stop',
    val: TrailingStop,
  }
  /**
   * A market order executed in the closing auction (IB `MOC`). Day orders only.
   */
  export interface OrderTypeMarketOnClose {
    tag: 'market-on-close',
  }
  /**
   * A limit order executed in the closing auction at this price or better (IB `LOC`).
   * Day orders only.
   */
  export interface OrderTypeLimitOnClose {
    tag: 'limit-on-close',
    val: number,
  }
  /**
   * How long an order works before IB cancels it.
   * # Variants
   * 
   * ## `"day"`
   * 
   * Until the end of the trading day.
   * ## `"gtc"`
   * 
   * Good till cancelled: across days and gateway restarts, until it fills or is
   * cancelled.
   * ## `"ioc"`
   * 
   * Immediate or cancel: what does not fill at once is cancelled. Market and limit
   * orders only.
   * ## `"opg"`
   * 
   * In the opening auction only. Market and limit orders only.
   */
  export type TimeInForce = 'day' | 'gtc' | 'ioc' | 'opg';
  /**
   * A request to trade, validated by the host before it is queued.
   */
  export interface Signal {
    action: Action,
    symbol: string,
    /**
     * Whole shares. For HK stocks, a multiple of the board lot.
     */
    quantity: number,
    orderType: OrderType,
    timeInForce: TimeInForce,
    /**
     * Whether the order may trigger and fill outside regular trading hours (IB
     * `outsideRth`). A market order cannot: IB takes only limit-priced orders outside them.
     */
    outsideRth: boolean,
    /**
     * Free text kept with the signal and shown to operators.
     */
    reason: string,
  }
  /**
   * The exits `emit-bracket` attaches to an entry. IB holds them with the entry and works
   * them only once the entry has filled; they are one exit of the entry's shares: a fill of
   * one reduces the other by as much, so one filled in full cancels the other.
   */
  export interface Exits {
    /**
     * Sell at this limit price or better (above the market, to take a profit).
     */
    takeProfit?: number,
    /**
     * Sell with this order: `stop`, `stop-limit` or `trailing-stop` (`invalid-order`
     * otherwise).
     */
    stopLoss?: OrderType,
    /**
     * `gtc` (the usual: the exits outlive the day) or `day` (`invalid-order` otherwise).
     */
    timeInForce: TimeInForce,
    /**
     * Whether the exits may trigger and fill outside regular trading hours.
     */
    outsideRth: boolean,
  }
  /**
   * The signal ids of a bracket's orders. Each is an order of its own: it is listed by
   * `working-orders`, its fills arrive through `on-fill` with its id, and it can be cancelled
   * or have its prices modified by its id.
   */
  export interface BracketIds {
    entry: bigint,
    takeProfit?: bigint,
    stopLoss?: bigint,
  }
  /**
   * This strategy's own position in one symbol.
   */
  export interface Position {
    symbol: string,
    /**
     * Shares held (long-only, so never negative).
     */
    quantity: number,
    /**
     * Average cost per share, in the symbol's currency.
     */
    avgCost: number,
  }
  /**
   * An execution of an order that one of this strategy's signals caused.
   */
  export interface Fill {
    /**
     * The id `emit` returned for the signal.
     */
    signalId: bigint,
    symbol: string,
    action: Action,
    /**
     * Shares executed in this fill (an order may fill in several parts).
     */
    quantity: number,
    price: number,
    /**
     * Execution time, milliseconds since the Unix epoch (replay time in a backtest).
     */
    timeMs: bigint,
  }
  /**
   * Why the host refused a signal.
   * # Variants
   * 
   * ## `"short-not-allowed"`
   * 
   * The sell is larger than the position minus pending sells.
   * ## `"position-limit"`
   * 
   * The position would exceed its share or notional limit, or `open-long`/`add-long`
   * does not match whether a position is held.
   * ## `"order-limit"`
   * 
   * The order exceeds its share or notional limit.
   * ## `"lot-size"`
   * 
   * An HK quantity that is not a multiple of the board lot.
   * ## `"rate-limit"`
   * 
   * Too many signals in the rate window.
   * ## `"unknown-symbol"`
   * 
   * The symbol is neither a US ticker nor an HK code the host knows.
   * ## `"invalid-quantity"`
   * 
   * Zero shares, or a quantity where none is possible.
   * ## `"invalid-price"`
   * 
   * A price, trigger or trailing distance that is NaN, infinite, zero or negative (or a
   * trailing percent of 100 or more), or no reference price is known yet.
   * ## `"not-subscribed"`
   * 
   * The symbol is not among those the strategy declared.
   * ## `"invalid-order"`
   * 
   * An order type with a time in force or session IB does not take for it: an on-close
   * order that is not a day order or is outside regular hours, a stop with `ioc` or
   * `opg`, a market order outside regular hours.
   * ## `"trading-halted"`
   * 
   * Trading is halted by the operator.
   * ## `"unavailable"`
   * 
   * A host-side fault (for example the durable write failed). Not the strategy's fault.
   */
  export type RejectCode = 'short-not-allowed' | 'position-limit' | 'order-limit' | 'lot-size' | 'rate-limit' | 'unknown-symbol' | 'invalid-quantity' | 'invalid-price' | 'not-subscribed' | 'invalid-order' | 'trading-halted' | 'unavailable';
  /**
   * A refusal, with a message that names the rule and the values involved.
   */
  export interface Rejection {
    code: RejectCode,
    message: string,
  }
  /**
   * Where one of the strategy's orders stands.
   * # Variants
   * 
   * ## `"queued"`
   * 
   * Accepted and stored, not yet sent to IB.
   * ## `"sending"`
   * 
   * Sent to IB, not yet acknowledged.
   * ## `"working"`
   * 
   * Working at IB: a limit waiting for its price, a stop not yet triggered, or an
   * order partly filled.
   * ## `"cancelling"`
   * 
   * A cancel was asked (by the strategy or an operator) and IB has not confirmed it.
   * The order may still fill before the cancel arrives.
   * ## `"unknown"`
   * 
   * After a reconnect or a restart the host does not know yet whether IB has it; it is
   * reconciling with IB and never sends it again blindly.
   */
  export type OrderState = 'queued' | 'sending' | 'working' | 'cancelling' | 'unknown';
  /**
   * One of this strategy's orders that has not ended (not filled, cancelled or rejected).
   */
  export interface WorkingOrder {
    /**
     * The id `emit` returned for its signal.
     */
    signalId: bigint,
    /**
     * The symbol as the strategy declared it.
     */
    symbol: string,
    action: Action,
    /**
     * Shares ordered (for `close-long`, the position when it was accepted).
     */
    quantity: number,
    /**
     * Shares filled so far.
     */
    filled: number,
    /**
     * As it was sent: prices on the tick.
     */
    orderType: OrderType,
    timeInForce: TimeInForce,
    outsideRth: boolean,
    state: OrderState,
    /**
     * For an exit of a bracket: the signal id of its entry.
     */
    exitOf?: bigint,
  }
  /**
   * What `cancel` did.
   * # Variants
   * 
   * ## `"cancelled"`
   * 
   * The order had not left the host: it is cancelled and will never be sent.
   * ## `"requested"`
   * 
   * The cancel is recorded and sent to IB now, or once the host is connected and
   * reconciled. The order ends when IB confirms the cancel, or fills first (its fills
   * still arrive through `on-fill`).
   */
  export type CancelOutcome = 'cancelled' | 'requested';
  /**
   * Why `cancel` did nothing.
   * # Variants
   * 
   * ## `"unknown-order"`
   * 
   * This strategy has no order with that signal id (a refused signal has none).
   * ## `"already-ended"`
   * 
   * The order has already ended: filled, cancelled or rejected.
   * ## `"unavailable"`
   * 
   * A host-side fault: the cancel could not be recorded, so nothing was sent.
   */
  export type CancelRefusal = 'unknown-order' | 'already-ended' | 'unavailable';
  /**
   * A change of a working order: what is set changes, what is none stays.
   */
  export interface OrderChange {
    /**
     * The new quantity: shares ordered in all, those already filled included, so more
     * than them.
     */
    quantity?: number,
    /**
     * The same order type with new numbers: a stop stays a stop, a trailing stop by
     * amount stays one by amount (`invalid-order` otherwise).
     */
    orderType?: OrderType,
  }
  /**
   * What `modify` did.
   * # Variants
   * 
   * ## `"changed"`
   * 
   * The order had not left the host: it will be sent with the new terms.
   * ## `"requested"`
   * 
   * The change is recorded and sent to IB now, or once the host is connected and
   * reconciled; IB applies it unless the order fills first.
   */
  export type ModifyOutcome = 'changed' | 'requested';
  /**
   * Why `modify` did nothing.
   */
  export type ModifyRefusal = ModifyRefusalUnknownOrder | ModifyRefusalAlreadyEnded | ModifyRefusalPending | ModifyRefusalRefused | ModifyRefusalUnavailable;
  /**
   * This strategy has no order with that signal id.
   */
  export interface ModifyRefusalUnknownOrder {
    tag: 'unknown-order',
  }
  /**
   * The order has already ended: filled, cancelled or rejected.
   */
  export interface ModifyRefusalAlreadyEnded {
    tag: 'already-ended',
  }
  /**
   * IB has not acknowledged the order, an earlier change of it or its cancel yet: try
   * again on a later bar.
   */
  export interface ModifyRefusalPending {
    tag: 'pending',
  }
  /**
   * The change breaks a rule, as a new order with these terms in its place would (a
   * sell larger than the position, a limit, a price): the rejection says which.
   */
  export interface ModifyRefusalRefused {
    tag: 'refused',
    val: Rejection,
  }
  /**
   * A host-side fault: the change could not be recorded, so nothing was sent.
   */
  export interface ModifyRefusalUnavailable {
    tag: 'unavailable',
  }
  /**
   * Severity of a `log` line.
   * # Variants
   * 
   * ## `"debug"`
   * 
   * ## `"info"`
   * 
   * ## `"warn"`
   * 
   * ## `"error"`
   */
  export type Level = 'debug' | 'info' | 'warn' | 'error';
  /**
   * What a strategy says about itself.
   */
  export interface Metadata {
    /**
     * A short identifier, e.g. `ma-crossover`.
     */
    name: string,
    /**
     * The strategy's own version, e.g. `1.2.0`.
     */
    version: string,
    /**
     * The symbols it wants bars for, e.g. `["AAPL", "0700.HK"]`.
     */
    symbols: Array<string>,
    /**
     * The bar size it wants, in seconds (60 = one-minute bars).
     */
    barSeconds: number,
  }
}
