// What turns a Strategy subclass into the `strategy` world's exports: `describe`, `init`,
// `onBar`, `onBars` and `onFill`, as componentize-js expects them. The entry `build.mjs`
// generates calls `useComponentHost` and `strategyExports`; `testing.asComponent` calls the
// latter, so that a test can drive a strategy exactly as the host does. Authors never import
// this file.

import {
  type BracketOutcome,
  type CancelResult,
  type EmitOutcome,
  type Host,
  type ModifyResult,
  batch,
  host,
  installHost,
} from './host.ts';
import { Params } from './params.ts';
import { CancelRefused, ModifyRefused, Rejection, acceptedSoFar } from './signal.ts';
import { Strategy, type StrategyClass } from './strategy.ts';
import type {
  Bar,
  BarColumns,
  BatchSymbol,
  BracketIdsRecord,
  DataSource,
  CancelOutcome,
  CancelRefusal,
  ExitsRecord,
  Fill,
  Level,
  Metadata,
  ModifyOutcome,
  ModifyRefusal,
  OrderChangeRecord,
  Position,
  RejectionRecord,
  SignalRecord,
  WorkingOrder,
} from './wit.ts';

/** The `sandtrade:strategy/host@0.2.0` import, as componentize-js presents it. */
export interface WitHost {
  /** Returns the id, or throws an error whose `payload` is the `rejection`. */
  emit(signal: SignalRecord): bigint;
  /** Returns the ids, or throws an error whose `payload` is the `rejection`. */
  emitBracket(entry: SignalRecord, exits: ExitsRecord): BracketIdsRecord;
  workingOrders(): WorkingOrder[];
  /** Returns the outcome, or throws an error whose `payload` is the `cancel-refusal`. */
  cancel(signalId: bigint): CancelOutcome;
  /** Returns the outcome, or throws an error whose `payload` is the `modify-refusal`. */
  modify(signalId: bigint, change: OrderChangeRecord): ModifyOutcome;
  position(symbol: string): Position | undefined;
  log(level: Level, message: string): void;
  logLevel(): Level;
  nowMs(): bigint;
  handlingBar(index: number): void;
}

/** The `err` of a `result` import, which componentize-js throws in an error's `payload`. */
function errPayload<E>(e: unknown): E | undefined {
  return (e as { payload?: E } | null)?.payload;
}

/** Installs the component's host import as the SDK's host. */
export function useComponentHost(wit: WitHost): void {
  // The host's log level is asked once per component instance: it only changes when the
  // strategy is reloaded or restarted, which makes a new instance.
  let level: Level | undefined;
  const real: Host = {
    emit(signal): EmitOutcome {
      try {
        return { ok: true, id: wit.emit(signal) };
      } catch (e) {
        const payload = errPayload<RejectionRecord>(e);
        if (payload === undefined) throw e;
        return { ok: false, rejection: payload };
      }
    },
    emitBracket(entry, exits): BracketOutcome {
      try {
        return { ok: true, ids: wit.emitBracket(entry, exits) };
      } catch (e) {
        const payload = errPayload<RejectionRecord>(e);
        if (payload === undefined) throw e;
        return { ok: false, rejection: payload };
      }
    },
    workingOrders: () => wit.workingOrders(),
    cancel(signalId): CancelResult {
      try {
        return { ok: true, outcome: wit.cancel(signalId) };
      } catch (e) {
        const payload = errPayload<CancelRefusal>(e);
        if (payload === undefined) throw e;
        return { ok: false, refusal: payload };
      }
    },
    modify(signalId, change): ModifyResult {
      try {
        return { ok: true, outcome: wit.modify(signalId, change) };
      } catch (e) {
        const payload = errPayload<ModifyRefusal>(e);
        if (payload === undefined) throw e;
        return { ok: false, refusal: payload };
      }
    },
    position: (symbol) => wit.position(symbol),
    log: (lvl, message) => wit.log(lvl, message),
    logLevel: () => (level ??= wit.logLevel()),
    nowMs: () => wit.nowMs(),
    handlingBar: (index) => wit.handlingBar(index),
  };
  installHost(real);
}

/** The `strategy` world's five exports for `Class`. */
export interface StrategyExports {
  describe(): Metadata;
  /** Returns on success; throws `{ payload: reason }`, which becomes the `err` string. */
  init(params: Array<[string, string]>): void;
  onBar(bar: Bar): void;
  /**
   * Runs `onBar` over `bars` (see `runBatch`), given column by column, each naming its symbol
   * by index into `symbols`, all from `source`; returns how many it consumed.
   */
  onBars(symbols: BatchSymbol[], source: DataSource, bars: BarColumns): number;
  onFill(fill: Fill): void;
}

/**
 * The batch loop behind `on-bars`: `onBar` for each bar in turn, stopping after the first bar
 * during which a signal or a bracket was accepted (a refused one does not stop it), so that the host fills
 * its order before the strategy sees the next bar, exactly as when bars come one by one.
 * Returns how many bars were consumed. While it runs, the host is told which bar the strategy
 * is on before any call that answers as of a bar (see `batch` in host.ts).
 */
export function runBatch(count: number, barAt: (index: number) => Bar, onBar: (bar: Bar) => void): number {
  batch.start();
  try {
    for (let i = 0; i < count; i++) {
      batch.at(i);
      const before = acceptedSoFar();
      onBar(barAt(i));
      if (acceptedSoFar() !== before) return i + 1;
    }
    return count;
  } finally {
    // Outside a batch the host is never told of a bar: leave the cursor at rest, also when
    // onBar threw.
    batch.start();
  }
}

/** Bar `i` of an `on-bars` call as the author's `Bar`: its symbol and market from `symbols`. */
export function barOfBatch(symbols: readonly BatchSymbol[], source: DataSource, bars: BarColumns, i: number): Bar {
  const named = symbols[bars.symbol[i]!];
  const startMs = bars.startMs[i];
  // The host sends only what it describes: anything else is its bug, and the trap says so.
  if (named === undefined || startMs === undefined || bars.ohlcv.length < 5 * i + 5) {
    throw new RangeError(`on-bars: bar ${i} is incomplete or names an unknown symbol`);
  }
  const [open, high, low, close, volume] = bars.ohlcv.subarray(5 * i, 5 * i + 5) as unknown as [number, number, number, number, number];
  return { symbol: named.symbol, market: named.market, startMs, open, high, low, close, volume, source };
}

/** The sentence an `init` failure becomes: what the operator reads. */
export function refusalText(e: unknown): string {
  if (e instanceof Error) {
    // A ParamError or a plain `new Error('...')` is the author's sentence; any other error
    // (TypeError...) is a bug, and its kind helps find it.
    return e.constructor === Error || e.name === 'ParamError' ? e.message : `${e.name}: ${e.message}`;
  }
  return String(e);
}

/**
 * The world's exports for `Class`, keeping one instance as the Rust SDK's `export_strategy!`
 * does: a successful `init` stores (or replaces) it, a failed `init` leaves none, and
 * `onBar`/`onBars`/`onFill` without an instance are no-ops.
 */
export function strategyExports(Class: StrategyClass): StrategyExports {
  let instance: Strategy | undefined;

  /** Runs a bar or fill handler: a refusal that escaped is logged; anything else is a crash. */
  const handle = (what: string, run: () => void): void => {
    try {
      run();
    } catch (e) {
      if (e instanceof Rejection || e instanceof CancelRefused || e instanceof ModifyRefused) {
        // A refusal is an everyday outcome, not a bug: the call ends, the strategy goes on.
        host().log('warn', `${e.describe()} (not caught in ${what})`);
        return;
      }
      // The component is built without stderr: say what went wrong in the host log before
      // the trap, which is all the host would otherwise see.
      // Written whatever the host's level: error is the highest.
      host().log('error', `${Class.name}.${what} threw ${crashText(e)}`);
      throw e;
    }
  };

  return {
    describe(): Metadata {
      return Class.describe();
    },

    init(pairs): void {
      // Drop any previous instance first: a failed init leaves none.
      instance = undefined;
      let made: unknown;
      try {
        made = Class.init(new Params(pairs));
      } catch (e) {
        throw { payload: refusalText(e) };
      }
      if (!(made instanceof Strategy)) {
        const got = made === null ? 'null' : typeof made === 'object' ? `a ${made.constructor?.name ?? 'object'}` : String(made);
        throw { payload: `${Class.name}.init must return an instance (\`return new ${Class.name}(...)\`), got ${got}` };
      }
      instance = made;
    },

    onBar(bar): void {
      const current = instance;
      if (current !== undefined) handle('onBar', () => current.onBar(bar));
    },

    onBars(symbols, source, bars): number {
      const current = instance;
      // Without an instance every bar is ignored, as by `onBar`: all of them are consumed.
      if (current === undefined) return bars.symbol.length;
      // Each bar is made when it is reached: the batch often stops long before its end.
      const barAt = (i: number): Bar => barOfBatch(symbols, source, bars, i);
      return runBatch(bars.symbol.length, barAt, (bar) => handle('onBar', () => current.onBar(bar)));
    },

    onFill(fill): void {
      const current = instance;
      if (current !== undefined) handle('onFill', () => current.onFill(fill));
    },
  };
}

/** An uncaught error with its stack (SpiderMonkey's stack leaves the message out; V8's has it). */
function crashText(e: unknown): string {
  const text = String(e);
  const stack = e instanceof Error ? e.stack : undefined;
  if (stack === undefined || stack === '') return text;
  return stack.startsWith(text) ? stack : `${text}\n${stack}`;
}
