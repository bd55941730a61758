/// <reference path="./sandtrade-strategy-types.d.ts" />
declare module 'sandtrade:strategy/host@0.2.0' {
  /**
   * Submits a signal. It is validated now: `ok` carries the signal's durable id (it is
   * persisted before this returns), `err` says which rule refused it.
   */
  export function emit(signal: Signal): bigint;
  /**
   * Submits a bracket: `entry` (an `open-long` or `add-long`) with `exits` attached, which
   * sell the shares it buys. The three orders are validated together and go to IB
   * together; `exits` must name a take-profit, a stop-loss or both. The exits sell only
   * what the entry bought, so they never count against the rest of the position; a
   * take-profit must be above a fixed stop-loss's trigger (`invalid-price`). If the entry
   * ends unfilled, IB cancels the exits. An exit's quantity cannot be modified: it is the
   * entry's.
   */
  export function emitBracket(entry: Signal, exits: Exits): BracketIds;
  /**
   * This strategy's orders that have not ended, oldest first.
   */
  export function workingOrders(): Array<WorkingOrder>;
  /**
   * Cancels the order of signal `signal-id`. The request is made durable before it is sent:
   * a cancel asked while the host is disconnected, or lost with a crash, is sent once the
   * host is connected and reconciled.
   */
  export function cancel(signalId: bigint): CancelOutcome;
  /**
   * Changes the quantity or prices of the working order of signal `signal-id` (raising a
   * stop behind a rising price, say). It is validated as a new order in its place would be
   * and recorded before it is sent, like a cancel.
   */
  export function modify(signalId: bigint, change: OrderChange): ModifyOutcome;
  /**
   * This strategy's own position in `symbol`, if it holds any.
   */
  export function position(symbol: string): Holding | undefined;
  /**
   * Writes a line to the host's log, tagged with the strategy's name. Rate- and size-capped.
   */
  export function log(level: Level, message: string): void;
  /**
   * The most detailed level the host keeps: lines below it are dropped. Asked once per
   * instance by the SDK, so that a strategy does not format lines nobody will read.
   */
  export function logLevel(): Level;
  /**
   * The host clock, milliseconds since the Unix epoch. In a backtest: the replay time.
   */
  export function nowMs(): bigint;
  /**
   * Inside `on-bars`: the strategy is now handling bar `index` (0-based) of the list it was
   * given. The SDKs call it before the first other host call made while handling a bar past
   * the first (never for bars on which the strategy calls nothing), so that `emit`,
   * `position`, `working-orders`, `cancel` and `now-ms` answer as of that bar: in a
   * backtest, its replay time and close. Outside `on-bars`, or past the end of the list, it
   * does nothing.
   */
  export function handlingBar(index: number): void;
  export type Signal = import('sandtrade:strategy/types@0.2.0').Signal;
  export type Holding = import('sandtrade:strategy/types@0.2.0').Position;
  export type Rejection = import('sandtrade:strategy/types@0.2.0').Rejection;
  export type Level = import('sandtrade:strategy/types@0.2.0').Level;
  export type WorkingOrder = import('sandtrade:strategy/types@0.2.0').WorkingOrder;
  export type CancelOutcome = import('sandtrade:strategy/types@0.2.0').CancelOutcome;
  export type CancelRefusal = import('sandtrade:strategy/types@0.2.0').CancelRefusal;
  export type OrderChange = import('sandtrade:strategy/types@0.2.0').OrderChange;
  export type ModifyOutcome = import('sandtrade:strategy/types@0.2.0').ModifyOutcome;
  export type ModifyRefusal = import('sandtrade:strategy/types@0.2.0').ModifyRefusal;
  export type Exits = import('sandtrade:strategy/types@0.2.0').Exits;
  export type BracketIds = import('sandtrade:strategy/types@0.2.0').BracketIds;
}
