// sandtrade-guest: write Sandtrade trading strategies in TypeScript.
//
// A strategy is a `Strategy` subclass exported from `strategy.ts`, built into a WebAssembly
// component by `guest-sdk-ts/build.mjs`. The host calls `describe()` once at load, `init()`
// once per instance with the operator's parameters (from the sidecar `.toml`), then `onBar`
// for every bar of the declared symbols and `onFill` for every execution of an order the
// strategy caused. From inside those calls the strategy may `emit` signals (or use the typed
// helpers such as `openLong` and `stopLoss`, or `emitLogged`, which also logs the outcome),
// send an entry with its exits attached as a `bracket`, list its `workingOrders` and `cancel`
// or `modify` one, read its own `position`, log, and
// read the host clock with `nowMs`.
//
// In unit tests (`node --test`), `sandtrade-guest/testing` stands in for the host.

export type {
  Action,
  Bar,
  CancelOutcome,
  CancelRefusal,
  DataSource,
  Fill,
  Level,
  Market,
  Metadata,
  ModifyOutcome,
  ModifyRefusal,
  OrderState,
  OrderType,
  Position,
  RejectCode,
  StopLimit,
  TimeInForce,
  TrailingStop,
  WorkingOrder,
} from './wit.ts';
export { Strategy, type StrategyClass, held, nowMs, position } from './strategy.ts';
export {
  BracketIds,
  CancelRefused,
  Exits,
  ModifyRefused,
  OrderChange,
  Rejection,
  Signal,
  Trail,
  addLong,
  addLongLimit,
  bracket,
  bracketLogged,
  cancel,
  closeLong,
  closeLongLimit,
  describeFill,
  describeOrderType,
  emit,
  emitLogged,
  modify,
  openLong,
  openLongLimit,
  reduceLong,
  reduceLongLimit,
  stopLoss,
  takeProfit,
  trailingStop,
  workingOrders,
} from './signal.ts';
export { type Message, debug, error, info, log, logEnabled, warn } from './log.ts';
export { ParamError, type ParamErrorKind, type ParamType, type ParamValue, Params } from './params.ts';
export { Ema, RollingHigh, RollingLow, Rsi, Sma } from './indicators.ts';
export { display, fixed } from './format.ts';
