/// <reference path="./sandtrade-strategy-types.d.ts" />
declare module 'sandtrade:strategy/host@0.1.0' {
  /**
   * Submits a signal. It is validated now: `ok` carries the signal's durable id (it is
   * persisted before this returns), `err` says which rule refused it.
   */
  export function emit(signal: Signal): bigint;
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
  export type Signal = import('sandtrade:strategy/types@0.1.0').Signal;
  export type Holding = import('sandtrade:strategy/types@0.1.0').Position;
  export type Rejection = import('sandtrade:strategy/types@0.1.0').Rejection;
  export type Level = import('sandtrade:strategy/types@0.1.0').Level;
}
