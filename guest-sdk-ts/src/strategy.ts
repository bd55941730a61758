// The Strategy class every strategy extends, and the host queries it may make.

import { host } from './host.ts';
import type { Params } from './params.ts';
import type { Bar, Fill, Metadata, Position } from './wit.ts';

/**
 * A trading strategy. Extend it, export the subclass from `strategy.ts`, and give it two
 * static methods besides `onBar`:
 *
 * ```ts
 * export class Momentum extends Strategy {
 *   static describe(): Metadata {
 *     return { name: 'momentum', version: '0.1.0', symbols: ['AAPL'], barSeconds: 60 };
 *   }
 *   static init(params: Params): Momentum {
 *     return new Momentum(params.getOr('period', 'usize', 20));
 *   }
 *   constructor(private readonly period: number) { super(); }
 *   onBar(bar: Bar): void { ... }
 * }
 * ```
 *
 * - `static describe()`: name, version, symbols and bar size. Called once at load, before
 *   `init`, without an instance: it must not depend on parameters.
 * - `static init(params)`: builds the instance from the operator's parameters (the sidecar's
 *   `[params]`). Throwing refuses the parameters and keeps the strategy from starting; the
 *   error's message is what the operator reads, so say which parameter is wrong and why
 *   (a `ParamError` from `Params` already does).
 * - `onBar(bar)`: one bar of a declared symbol. `bar.source` says where its prices came from
 *   (`live`, `delayed`, `frozen`; `historical` for a warm-up or a backfill, on which the host
 *   takes no signal; `replay` in a backtest).
 * - `onFill(fill)`: one execution of an order this strategy's signal caused (an order may
 *   fill in several parts, each its own call). The default does nothing.
 *
 * The host keeps one instance: a successful `init` replaces it, a failed `init` leaves none,
 * and bars and fills that arrive while there is none are ignored.
 *
 * When several bars are due at once (a backtest, a warm-up, a backfill after a reconnect), the
 * host hands them over in one call; the SDK still calls `onBar` for each in turn, and ends the
 * call after the bar on which a signal of yours was accepted, so that its order can fill before
 * you see the next bar: exactly as when bars come one by one.
 *
 * Every method runs inside a call from the host, so `emit`, `position`, the logging
 * functions and `nowMs` may be used from any of them (not at the top level of the module:
 * the component is initialised before any host is there to answer).
 */
export abstract class Strategy {
  /** Handles one bar of a declared symbol. */
  abstract onBar(bar: Bar): void;

  /** Handles one execution of an order this strategy's signal caused. Does nothing unless overridden. */
  onFill(fill: Fill): void {
    void fill;
  }
}

/** What the exported class must be: a `Strategy` subclass with the two static methods. */
export interface StrategyClass<S extends Strategy = Strategy> {
  readonly name: string;
  readonly prototype: S;
  describe(): Metadata;
  init(params: Params): S;
}

/**
 * This strategy's own position in `symbol`, or `undefined` when it holds none.
 *
 * The position changes only when fills arrive: a signal just accepted by `emit` is not
 * reflected here until its order executes.
 */
export function position(symbol: string): Position | undefined {
  return host().position(symbol);
}

/** Shares of `symbol` held by this strategy (0 when flat). */
export function held(symbol: string): number {
  return position(symbol)?.quantity ?? 0;
}

/**
 * The host clock in milliseconds since the Unix epoch (the replay time in a backtest), as a
 * `bigint` like every 64-bit integer of the WIT (`Number(nowMs())` when a number will do).
 *
 * A strategy has no clock of its own. Inside a component `Date.now()` reads the host's clock
 * too, but only `nowMs()` is an SDK call, and so the only one that is sure to answer as of the
 * bar being handled when the host hands over several bars at once: prefer it.
 */
export function nowMs(): bigint {
  return host().nowMs();
}
