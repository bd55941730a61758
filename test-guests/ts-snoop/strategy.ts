// A hostile strategy in TypeScript: it looks for what JavaScript could reach in the engine
// (StarlingMonkey, built by `sandtrade build` with its stdio, clocks and HTTP left out), and
// reports what it found in one line.
//
// The component imports only sandtrade:strategy/* and wasi:random, so nothing can reach files,
// sockets or a clock; this strategy is the proof from inside. On its first bar it reads
// `Date.now()` twice and `new Date()`, asks which of the globals that would reach I/O in a
// browser, node, Deno or Bun exist, calls `console.log` and `console.error` (without stdio
// they write nothing) and queues a microtask. On its second bar it reads `Date.now()` again,
// sees whether the microtask ran, and reports all of it, in a fixed order, as the `reason` of
// one signal (`open-long 1 AAPL`) and a warn line of the host log: `snoop: Date.now(): ...`.
//
// `Date.now()` is the one thing that varies: the engine has no clock, and its reading is the
// time the build snapshotted the engine, frozen.
//
// With the param `try` set to `performance.now()`, `performance.timeOrigin`, `fetch` or
// `setTimeout`, every bar instead logs `trying <it>` and calls it: each is a function of the
// engine whose host side was left out, and traps.
//
// `host/cli/tests/check/snoops.rs` builds it, checks it, runs it in backtests and asserts the
// line and the traps.

import { type Bar, type Metadata, type Params, Signal, Strategy, emitLogged, nowMs, warn } from 'sandtrade-guest';

/** The global object, as a bag of names: strategy code is type-checked without DOM or node. */
const g = globalThis as unknown as Record<string, unknown>;

/** Globals that reach I/O, the clock or the host in some JavaScript runtime. */
const IO_NAMES = [
  'Bun', 'Deno', 'EventSource', 'Headers', 'Request', 'Response', 'WebSocket', 'Worker',
  'XMLHttpRequest', 'caches', 'console', 'crypto', 'fetch', 'importScripts', 'indexedDB',
  'localStorage', 'location', 'module', 'navigator', 'performance', 'process', 'require',
  'setInterval', 'setTimeout',
];

/** What `try` may name: calls that trap. */
const TRAPS: Record<string, () => unknown> = {
  'performance.now()': () => (g['performance'] as { now(): number }).now(),
  'performance.timeOrigin': () => (g['performance'] as { timeOrigin: number }).timeOrigin,
  fetch: () => (g['fetch'] as (url: string) => Promise<unknown>)('http://127.0.0.1:9/'),
  setTimeout: () => (g['setTimeout'] as (f: () => void, ms: number) => unknown)(() => {}, 0),
};

/** What calling `what` gave: `ok` and its result, or the error's name and message. */
function outcome(what: () => unknown): string {
  try {
    return `ok ${String(what())}`;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : `threw ${String(e)}`;
  }
}

export class TsSnoop extends Strategy {
  static describe(): Metadata {
    return { name: 'ts-snoop', version: '0.1.0', symbols: ['AAPL'], barSeconds: 60 };
  }

  static init(params: Params): TsSnoop {
    params.denyUnknown(['try']);
    const attempt = params.getOr('try', 'string', '');
    if (attempt !== '' && !(attempt in TRAPS)) {
      throw new Error(`param \`try\`: one of ${Object.keys(TRAPS).join(', ')}`);
    }
    return new TsSnoop(attempt);
  }

  private bars = 0;
  private parts: string[] = [];
  private firstDateNow = 0;
  private microtaskRan = false;

  private constructor(private readonly attempt: string) {
    super();
  }

  override onBar(_bar: Bar): void {
    this.bars += 1;
    if (this.attempt !== '') {
      warn(`trying ${this.attempt}`);
      TRAPS[this.attempt]!();
      warn(`${this.attempt} returned`);
      return;
    }
    if (this.bars === 1) this.snoop();
    else if (this.bars === 2) this.report();
  }

  private snoop(): void {
    const first = Date.now();
    const again = Date.now();
    this.firstDateNow = first;
    const date = new Date();
    const present = IO_NAMES.filter((name) => g[name] !== undefined);
    const absent = IO_NAMES.filter((name) => g[name] === undefined);
    const console = g['console'] as { log(s: string): void; error(s: string): void };
    const queue = g['queueMicrotask'] as (task: () => void) => void;
    queue(() => {
      this.microtaskRan = true;
    });
    this.parts = [
      `Date.now(): ${first}`,
      `again: the same: ${again === first}`,
      `new Date() the same: ${date.getTime() === first}`,
      `nowMs(): ${nowMs()}`,
      `present: ${present.map((name) => `${name} (${typeof g[name]})`).join(', ')}`,
      `absent: ${absent.join(', ')}`,
      `console.log: ${outcome(() => console.log('snoop: console.log'))}`,
      `console.error: ${outcome(() => console.error('snoop: console.error'))}`,
    ];
  }

  private report(): void {
    this.parts.push(
      `on bar 2: Date.now() the same: ${Date.now() === this.firstDateNow}`,
      `nowMs(): ${nowMs()}`,
      `the microtask ran: ${this.microtaskRan}`,
    );
    const summary = this.parts.join('; ');
    warn(`snoop: ${summary}`);
    emitLogged(Signal.openLong('AAPL', 1).reason(summary));
  }
}
