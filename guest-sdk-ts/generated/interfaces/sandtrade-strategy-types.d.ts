declare module 'sandtrade:strategy/types@0.1.0' {
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
   * How the order is priced.
   */
  export type OrderType = OrderTypeMarket | OrderTypeLimit;
  /**
   * At the market.
   */
  export interface OrderTypeMarket {
    tag: 'market',
  }
  /**
   * At this limit price or better. Must be finite and positive.
   */
  export interface OrderTypeLimit {
    tag: 'limit',
    val: number,
  }
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
    /**
     * Free text kept with the signal and shown to operators.
     */
    reason: string,
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
   * A limit price that is NaN, infinite, zero or negative.
   * ## `"not-subscribed"`
   * 
   * The symbol is not among those the strategy declared.
   * ## `"trading-halted"`
   * 
   * Trading is halted by the operator.
   * ## `"unavailable"`
   * 
   * A host-side fault (for example the durable write failed). Not the strategy's fault.
   */
  export type RejectCode = 'short-not-allowed' | 'position-limit' | 'order-limit' | 'lot-size' | 'rate-limit' | 'unknown-symbol' | 'invalid-quantity' | 'invalid-price' | 'not-subscribed' | 'trading-halted' | 'unavailable';
  /**
   * A refusal, with a message that names the rule and the values involved.
   */
  export interface Rejection {
    code: RejectCode,
    message: string,
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
