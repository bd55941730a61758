/// <reference path="./interfaces/sandtrade-strategy-host.d.ts" />
/// <reference path="./interfaces/sandtrade-strategy-types.d.ts" />
declare module 'sandtrade:strategy/strategy@0.2.0' {
  export type Bar = import('sandtrade:strategy/types@0.2.0').Bar;
  export type BarColumns = import('sandtrade:strategy/types@0.2.0').BarColumns;
  export type BatchSymbol = import('sandtrade:strategy/types@0.2.0').BatchSymbol;
  export type DataSource = import('sandtrade:strategy/types@0.2.0').DataSource;
  export type Fill = import('sandtrade:strategy/types@0.2.0').Fill;
  export type Metadata = import('sandtrade:strategy/types@0.2.0').Metadata;
  export type * as SandtradeStrategyHost020 from 'sandtrade:strategy/host@0.2.0'; // import sandtrade:strategy/host@0.2.0
  export type * as SandtradeStrategyTypes020 from 'sandtrade:strategy/types@0.2.0'; // import sandtrade:strategy/types@0.2.0
  /**
  * Describes the strategy. Called once at load, before `init`.
  */
  export function describe(): Metadata;
  /**
  * Configures a fresh instance with the operator's parameters (from the sidecar `.toml`).
  * An `err` refuses the parameters and keeps the strategy from starting.
  */
  export function init(params: Array<[string, string]>): void;
  /**
  * Handles one bar of a declared symbol.
  */
  export function onBar(bar: Bar): void;
  /**
  * Handles several bars due at once (a backtest's replay, a warm-up, a backfill after a
  * reconnect, bars of several symbols closing together), in time order, as `on-bar` would
  * one by one, calling `handling-bar` as it moves through them. Returns how many it
  * consumed: it must stop after the bar on which one of its signals was accepted, so that
  * the host can fill the order before the next bar arrives; the host delivers the rest in
  * a later call. Returning 0 for a non-empty list is a fault. The SDKs implement it over
  * the author's `on-bar`, handing it each bar as a `bar`: its symbol and market from
  * `symbols`, its `source` the call's (the bars of one call all come from one source).
  */
  export function onBars(symbols: Array<BatchSymbol>, source: DataSource, bars: BarColumns): number;
  /**
  * Handles an execution of one of this strategy's orders.
  */
  export function onFill(fill: Fill): void;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
