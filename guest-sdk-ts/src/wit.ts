// The types of the `sandtrade:strategy` WIT package, as jco maps them to TypeScript
// (`npm run generate` rewrites ../generated/ from ../../wit). Re-exported from here so that
// the rest of the SDK, and authors, import plain names from one place.
//
// How the WIT types arrive in JavaScript:
// - `u64` and `s64` are `bigint`: `Fill.signalId`, `WorkingOrder.signalId`, `Bar.startMs`,
//   `Fill.timeMs`, `nowMs()`. Every other number (`u32`, `f64`) is a `number`.
// - enums are their WIT spelling as strings: `'open-long'`, `'us-stock'`, `'gtc'`,
//   `'position-limit'`, `'already-ended'`.
// - variants are `{ tag, val }`: the order type `{ tag: 'market' }`, `{ tag: 'limit', val: price }`,
//   `{ tag: 'stop-limit', val: { trigger, limit } }`; the trail `{ tag: 'percent', val: 3 }`.
// - an `option` is the value or `undefined`, an optional property: `TrailingStop.limitOffset`,
//   `WorkingOrder.exitOf`.

/// <reference path="../generated/strategy.d.ts" />

export type {
  Action,
  Bar,
  BarColumns,
  BatchSymbol,
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
  Signal as SignalRecord,
  StopLimit,
  TimeInForce,
  Trail,
  TrailingStop,
  WorkingOrder,
} from 'sandtrade:strategy/types@0.2.0';

import type {
  BracketIds as BracketIdsRecord,
  Exits as ExitsRecord,
  OrderChange as OrderChangeRecord,
  Rejection as RejectionRecord,
} from 'sandtrade:strategy/types@0.2.0';
export type { BracketIdsRecord, ExitsRecord, OrderChangeRecord, RejectionRecord };
