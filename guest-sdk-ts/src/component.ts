// What turns a Strategy subclass into the `strategy` world's exports: `describe`, `init`,
// `onBar` and `onFill`, as componentize-js expects them. The entry `build.mjs` generates
// calls `useComponentHost` and `strategyExports`; `testing.asComponent` calls the latter, so
// that a test can drive a strategy exactly as the host does. Authors never import this file.

import { type EmitOutcome, type Host, host, installHost } from './host.ts';
import { Params } from './params.ts';
import { Rejection } from './signal.ts';
import { Strategy, type StrategyClass } from './strategy.ts';
import type { Bar, Fill, Level, Metadata, Position, RejectionRecord, SignalRecord } from './wit.ts';

/** The `sandtrade:strategy/host@0.1.0` import, as componentize-js presents it. */
export interface WitHost {
  /** Returns the id, or throws an error whose `payload` is the `rejection`. */
  emit(signal: SignalRecord): bigint;
  position(symbol: string): Position | undefined;
  log(level: Level, message: string): void;
  logLevel(): Level;
  nowMs(): bigint;
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
        // A `result` import's `err` arrives as a thrown error carrying it in `payload`.
        const payload = (e as { payload?: RejectionRecord } | null)?.payload;
        if (payload === undefined) throw e;
        return { ok: false, rejection: payload };
      }
    },
    position: (symbol) => wit.position(symbol),
    log: (lvl, message) => wit.log(lvl, message),
    logLevel: () => (level ??= wit.logLevel()),
    nowMs: () => wit.nowMs(),
  };
  installHost(real);
}

/** The `strategy` world's four exports for `Class`. */
export interface StrategyExports {
  describe(): Metadata;
  /** Returns on success; throws `{ payload: reason }`, which becomes the `err` string. */
  init(params: Array<[string, string]>): void;
  onBar(bar: Bar): void;
  onFill(fill: Fill): void;
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
 * `onBar`/`onFill` without an instance are no-ops.
 */
export function strategyExports(Class: StrategyClass): StrategyExports {
  let instance: Strategy | undefined;

  /** Runs a bar or fill handler: a refusal that escaped is logged; anything else is a crash. */
  const handle = (what: string, run: () => void): void => {
    try {
      run();
    } catch (e) {
      if (e instanceof Rejection) {
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
