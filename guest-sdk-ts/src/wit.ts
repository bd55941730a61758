// The types of the `sandtrade:strategy` WIT package, as jco maps them to TypeScript
// (`npm run generate` rewrites ../generated/ from ../../wit). Re-exported from here so that
// the rest of the SDK, and authors, import plain names from one place.
//
// How the WIT types arrive in JavaScript:
// - `u64` and `s64` are `bigint`: `Fill.signalId`, `Bar.startMs`, `Fill.timeMs`, `nowMs()`.
//   Every other number (`u32`, `f64`) is a `number`.
// - enums are their WIT spelling as strings: `'open-long'`, `'us-stock'`, `'position-limit'`.
// - the variant `order-type` is `{ tag: 'market' }` or `{ tag: 'limit', val: price }`.

/// <reference path="../generated/strategy.d.ts" />

export type {
  Action,
  Bar,
  Fill,
  Level,
  Market,
  Metadata,
  OrderType,
  Position,
  RejectCode,
  Signal as SignalRecord,
} from 'sandtrade:strategy/types@0.1.0';

import type { Rejection as RejectionRecord } from 'sandtrade:strategy/types@0.1.0';
export type { RejectionRecord };
