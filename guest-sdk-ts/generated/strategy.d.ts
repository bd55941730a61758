/// <reference path="./interfaces/sandtrade-strategy-host.d.ts" />
/// <reference path="./interfaces/sandtrade-strategy-types.d.ts" />
declare module 'sandtrade:strategy/strategy@0.1.0' {
  export type Bar = import('sandtrade:strategy/types@0.1.0').Bar;
  export type Fill = import('sandtrade:strategy/types@0.1.0').Fill;
  export type Metadata = import('sandtrade:strategy/types@0.1.0').Metadata;
  export type * as SandtradeStrategyHost010 from 'sandtrade:strategy/host@0.1.0'; // import sandtrade:strategy/host@0.1.0
  export type * as SandtradeStrategyTypes010 from 'sandtrade:strategy/types@0.1.0'; // import sandtrade:strategy/types@0.1.0
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
  * Handles an execution of one of this strategy's orders.
  */
  export function onFill(fill: Fill): void;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
