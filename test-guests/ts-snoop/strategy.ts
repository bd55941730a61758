// A hostile strategy in TypeScript: it looks for what JavaScript could reach in the engine
// (StarlingMonkey, built by `sandtrade build` with its stdio and HTTP left out), and reports
// what it found in one line.
//
// The component imports sandtrade:strategy/*, wasi:random and the clocks, which the host links
// inert: they read its clock (the replay time in a backtest), and a wait on them returns at
// once. Nothing else reaches out: no file, no socket, no clock of its own; this strategy is
// the proof from inside. On its first bar it reads `Date.now()` twice, `new Date()` and
// `performance.now()`, asks which of the globals that would reach I/O in a browser, node, Deno
// or Bun exist, calls `console.log` and `console.error` (without stdio they write nothing),
// queues a microtask and sets a 5 s timer. On its second bar (one minute of replay later) it
// reads the clocks again, sees whether the microtask and the timer ran (a timer never does:
// the engine runs its event loop only until a call's answer is ready), and reports all of it,
// in a fixed order, as the `reason` of one signal (`open-long 1 AAPL`) and a warn line of the
// host log: `snoop: Date.now(): ...`.
//
// With the param `try` set to `fetch`, every bar instead logs `trying fetch` and calls it: the
// engine's function whose host side was left out, it traps.
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
  fetch: () => (g['fetch'] as (url: string) => Promise<unknown>)('http://127.0.0.1:9/'),
};

/** `performance.now()`: milliseconds on the engine's monotonic clock. */
const performanceNow = (): number => (g['performance'] as { now(): number }).now();

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
  private firstPerformanceNow = 0;
  private microtaskRan = false;
  private timerRan = false;

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
    this.firstPerformanceNow = performanceNow();
    const date = new Date();
    const present = IO_NAMES.filter((name) => g[name] !== undefined);
    const absent = IO_NAMES.filter((name) => g[name] === undefined);
    const console = g['console'] as { log(s: string): void; error(s: string): void };
    const queue = g['queueMicrotask'] as (task: () => void) => void;
    queue(() => {
      this.microtaskRan = true;
    });
    const setTimer = g['setTimeout'] as (task: () => void, ms: number) => unknown;
    setTimer(() => {
      this.timerRan = true;
    }, 5_000);
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
      `on bar 2: Date.now(): ${Date.now()}`,
      `advanced by: ${Date.now() - this.firstDateNow}`,
      // A 32-bit float in the engine: rounded to the millisecond.
      `performance.now() advanced by: ${Math.round(performanceNow() - this.firstPerformanceNow)}`,
      `nowMs(): ${nowMs()}`,
      `the microtask ran: ${this.microtaskRan}`,
      `the 5 s timer ran: ${this.timerRan}`,
    );
    const summary = this.parts.join('; ');
    warn(`snoop: ${summary}`);
    emitLogged(Signal.openLong('AAPL', 1).reason(summary));
  }
}
