// A mock host for unit tests under node's test runner (`node --test`); never part of a
// component.
//
// Importing this module installs the mock as the SDK's host: `emit` records the signal and
// answers with the next id (or a refusal queued with `rejectNext`), `workingOrders` lists the
// accepted signals not yet filled, `cancel` ends one at once, `modify` changes one at once
// (refusing a new order type of another kind), `position` reads the positions
// set with `setPosition` or built by `fillAccepted` and `fillOne`, log lines are collected and
// `nowMs` returns `setNowMs`'s value. `bracket` records the bracket (`brackets()`) and gives its
// orders consecutive ids, the entry's first; its exits are listed by `workingOrders` with
// `exitOf` set, and work once their entry has filled. The strategy's code is the same as in the
// component: only who answers the host calls changes.
//
// The mock validates nothing: it accepts every signal unless told to refuse the next one. The
// host's rules (long-only, limits, board lots) are tested with the host. Of a bracket it checks
// the shape, as the host does: an entry that buys, at least one exit, a stop-loss that is a
// stop, stop-limit or trailing stop, `gtc` or `day` exits, and a take-profit above a fixed
// stop-loss trigger.
//
// There is one mock per test file (node runs each file in its own process): call `reset()` at
// the start of every test.
//
//   import { reset, setPosition, signals, fillAccepted, bar } from 'sandtrade-guest/testing';
//
//   reset();
//   setPosition('AAPL', 100, 187.5);
//   held('AAPL');                                           // 100
//   Signal.reduceLong('AAPL', 40).reason('take profit').emit();  // 1n
//   const fills = fillAccepted(190);                        // [{ signalId: 1n, quantity: 40, ... }]
//   held('AAPL');                                           // 60
//
//   const stop = stopLoss('AAPL', 60, 180);                 // 2n
//   workingOrders();                                        // [{ signalId: 2n, state: 'working', ... }]
//   modify(stop, OrderChange.to({ tag: 'stop', val: 185 })); // 'changed'
//   workingOrders()[0].orderType;                           // { tag: 'stop', val: 185 }
//   cancel(stop);                                           // 'cancelled'
//
//   const ids = bracket(Signal.openLong('AAPL', 100).limit(190), new Exits().takeProfit(205).stopLoss(184));
//   workingOrders().map((o) => o.exitOf);                   // [undefined, ids.entry, ids.entry]
//   fillAccepted(190);                                      // fills the entry, never the exits
//   fillOne(ids.takeProfit!, 205);                          // and the stop-loss is cancelled

import { type StrategyExports, runBatch, strategyExports } from './component.ts';
import { display } from './format.ts';
import { type BracketOutcome, type CancelResult, type EmitOutcome, type Host, type ModifyResult, installHost } from './host.ts';
import { Params } from './params.ts';
import { BracketIds, Exits, OrderChange, Signal } from './signal.ts';
import type { Strategy, StrategyClass } from './strategy.ts';
import type {
  Bar,
  BarColumns,
  BatchSymbol,
  DataSource,
  BracketIdsRecord,
  ExitsRecord,
  Fill,
  Level,
  OrderType,
  Position,
  RejectCode,
  RejectionRecord,
  SignalRecord,
  WorkingOrder,
} from './wit.ts';

/** A bracket the mock accepted: what `brackets()` lists. */
export interface Bracket {
  /** The ids it answered with. */
  ids: BracketIds;
  /** The entry as the strategy sent it. */
  entry: Signal;
  /** The exits as the strategy sent them. */
  exits: Exits;
}

/** An accepted order that has not ended: a signal, or one of a bracket's three. */
interface Order {
  id: bigint;
  /** What it does. An exit of a bracket is a `reduce-long` of its entry's quantity. */
  signal: Signal;
  /** For an exit of a bracket, its entry's id. */
  exitOf: bigint | undefined;
}

interface State {
  nextId: bigint;
  signals: Signal[];
  brackets: Bracket[];
  /** Accepted orders not yet executed (by `fillAccepted` or `fillOne`) nor cancelled. */
  unfilled: Order[];
  rejections: RejectionRecord[];
  positions: Map<string, Position>;
  logs: Array<[Level, string]>;
  /** The signal ids `cancel` was called with, in order. */
  cancels: bigint[];
  /** The indexes `handlingBar` was called with, in order. */
  handledBars: number[];
  /** The signal ids and changes `modify` was called with, in order. */
  modifies: Array<[bigint, OrderChange]>;
  nowMs: bigint;
  /** The most detailed level kept; `debug` (everything) unless a test sets it. */
  logLevel: Level;
  /** How many times the strategy asked for a position. */
  positionQueries: number;
}

function fresh(): State {
  return {
    nextId: 0n,
    signals: [],
    brackets: [],
    unfilled: [],
    rejections: [],
    positions: new Map(),
    logs: [],
    cancels: [],
    handledBars: [],
    modifies: [],
    nowMs: 0n,
    logLevel: 'debug',
    positionQueries: 0,
  };
}

let state = fresh();

const mock: Host = {
  emit(record: SignalRecord): EmitOutcome {
    const rejection = state.rejections.shift();
    if (rejection !== undefined) return { ok: false, rejection };
    state.nextId += 1n;
    const id = state.nextId;
    state.signals.push(Signal.from(record));
    state.unfilled.push({ id, signal: Signal.from(record), exitOf: undefined });
    return { ok: true, id };
  },
  // The entry, then its take-profit, then its stop-loss, on consecutive ids.
  emitBracket(entryRecord, exitsRecord): BracketOutcome {
    const queued = state.rejections.shift();
    if (queued !== undefined) return { ok: false, rejection: queued };
    const entry = Signal.from(entryRecord);
    const exits = Exits.from(exitsRecord);
    const rejection = checkBracket(entry, exitsRecord);
    if (rejection !== undefined) return { ok: false, rejection };
    state.nextId += 1n;
    const entryId = state.nextId;
    state.unfilled.push({ id: entryId, signal: Signal.from(entryRecord), exitOf: undefined });
    const takeProfit: OrderType | undefined =
      exits.takeProfitPrice === undefined ? undefined : { tag: 'limit', val: exits.takeProfitPrice };
    const legs: Array<bigint | undefined> = [];
    for (const [role, orderType] of [
      ['take-profit', takeProfit],
      ['stop-loss', exits.stopLossOrder],
    ] as const) {
      if (orderType === undefined) {
        legs.push(undefined);
        continue;
      }
      state.nextId += 1n;
      const leg = Signal.reduceLong(entry.symbol, entry.quantity).reason(`${role} of a bracket`);
      leg.orderType = orderType;
      leg.timeInForce = exits.timeInForce;
      leg.outsideRthAllowed = exits.outsideRthAllowed;
      state.unfilled.push({ id: state.nextId, signal: leg, exitOf: entryId });
      legs.push(state.nextId);
    }
    const ids = new BracketIds(entryId, legs[0], legs[1]);
    state.brackets.push({ ids, entry, exits: Exits.from(exitsRecord) });
    // An `option` that is none is absent, as in the records jco makes.
    const record: BracketIdsRecord = { entry: ids.entry };
    if (ids.takeProfit !== undefined) record.takeProfit = ids.takeProfit;
    if (ids.stopLoss !== undefined) record.stopLoss = ids.stopLoss;
    return { ok: true, ids: record };
  },
  // The accepted orders not yet filled, as orders working at IB.
  workingOrders(): WorkingOrder[] {
    return state.unfilled.map(({ id, signal, exitOf }) => {
      const record = signal.toRecord();
      const order: WorkingOrder = {
        signalId: id,
        symbol: record.symbol,
        action: record.action,
        quantity: record.quantity,
        filled: 0,
        orderType: record.orderType,
        timeInForce: record.timeInForce,
        outsideRth: record.outsideRth,
        state: 'working',
      };
      // An `option` that is none is absent, as in the records jco makes.
      if (exitOf !== undefined) order.exitOf = exitOf;
      return order;
    });
  },
  // Cancels an unfilled accepted order at once: the mock has no broker to wait for. An entry of a
  // bracket takes its exits with it, as IB cancels them when the entry ends unfilled.
  cancel(signalId): CancelResult {
    state.cancels.push(signalId);
    const at = state.unfilled.findIndex(({ id }) => id === signalId);
    if (at >= 0) {
      state.unfilled.splice(at, 1);
      state.unfilled = state.unfilled.filter(({ exitOf }) => exitOf !== signalId);
      return { ok: true, outcome: 'cancelled' };
    }
    // Ids are given from 1 up: one given before has ended (filled or cancelled).
    if (signalId >= 1n && signalId <= state.nextId) return { ok: false, refusal: 'already-ended' };
    return { ok: false, refusal: 'unknown-order' };
  },
  // Changes an unfilled accepted order at once. The mock validates nothing but what makes a
  // change a change, as the host requires: a new order type must be of the order's own kind, and
  // an exit of a bracket keeps its entry's quantity.
  modify(signalId, record): ModifyResult {
    state.modifies.push([signalId, OrderChange.from(record)]);
    const working = state.unfilled.find(({ id }) => id === signalId);
    if (working === undefined) {
      if (signalId >= 1n && signalId <= state.nextId) return { ok: false, refusal: { tag: 'already-ended' } };
      return { ok: false, refusal: { tag: 'unknown-order' } };
    }
    const signal = working.signal;
    // A copy of its own: the order shares nothing with the change `modifies()` lists.
    const { newOrderType, newQuantity } = OrderChange.from(record);
    if (newOrderType !== undefined && newOrderType.tag !== signal.orderType.tag) {
      return { ok: false, refusal: { tag: 'refused', val: { code: 'invalid-order', message: "a change keeps the order's type" } } };
    }
    if (working.exitOf !== undefined && newQuantity !== undefined && newQuantity !== signal.quantity) {
      const message = `an exit of a bracket keeps its entry's quantity (${signal.quantity}); change its prices, or cancel it`;
      return { ok: false, refusal: { tag: 'refused', val: { code: 'invalid-order', message } } };
    }
    if (newOrderType !== undefined) signal.orderType = newOrderType;
    if (newQuantity !== undefined) signal.quantity = newQuantity;
    return { ok: true, outcome: 'changed' };
  },
  position(symbol) {
    state.positionQueries += 1;
    const held = state.positions.get(symbol);
    return held === undefined ? undefined : { ...held };
  },
  log(level, message) {
    state.logs.push([level, message]);
  },
  // Asked on every line, unlike the real host's (asked once per instance): a test may change it.
  logLevel: () => state.logLevel,
  nowMs: () => state.nowMs,
  handlingBar(index) {
    state.handledBars.push(index);
  },
};

installHost(mock);

/**
 * The host's checks of a bracket's shape, with its words; not its rules about prices, positions
 * or limits, which the mock leaves to the host as it does for `emit`.
 */
function checkBracket(entry: Signal, exits: ExitsRecord): RejectionRecord | undefined {
  const refuse = (code: RejectCode, why: string): RejectionRecord => ({ code, message: `bracket on ${entry.symbol}: ${why}` });
  if (entry.action !== 'open-long' && entry.action !== 'add-long') {
    return refuse('invalid-order', `the entry is a ${entry.action}; a bracket's entry buys (open-long or add-long)`);
  }
  const { takeProfit, stopLoss } = exits;
  if (takeProfit === undefined && stopLoss === undefined) {
    return refuse('invalid-order', 'no exit: name a take-profit, a stop-loss or both');
  }
  if (exits.timeInForce !== 'gtc' && exits.timeInForce !== 'day') {
    return refuse('invalid-order', `exits are gtc or day orders, not ${exits.timeInForce}`);
  }
  let trigger: number | undefined;
  if (stopLoss?.tag === 'stop') trigger = stopLoss.val;
  else if (stopLoss?.tag === 'stop-limit') trigger = stopLoss.val.trigger;
  else if (stopLoss !== undefined && stopLoss.tag !== 'trailing-stop') {
    return refuse('invalid-order', `the stop-loss is a ${stopLoss.tag} order; it must be a stop, stop-limit or trailing stop`);
  }
  if (takeProfit !== undefined && trigger !== undefined && takeProfit <= trigger) {
    return refuse('invalid-price', `the take-profit ${display(takeProfit)} must be above the stop-loss trigger ${display(trigger)}`);
  }
  return undefined;
}

/**
 * Forgets everything: signals, brackets, queued refusals, positions, log lines, cancels, changes, handled
 * bars, clock, ids. Call it first in every test. (Also makes the mock the host again, should a test
 * have replaced it.)
 */
export function reset(): void {
  state = fresh();
  installHost(mock);
}

/** Sets (or, with `quantity` 0, removes) this strategy's position in `symbol`. */
export function setPosition(symbol: string, quantity: number, avgCost: number): void {
  if (quantity === 0) state.positions.delete(symbol);
  else state.positions.set(symbol, { symbol, quantity, avgCost });
}

/** Makes the next `emit` or `bracket` fail with `code` and `message` (queued, first in first out). */
export function rejectNext(code: RejectCode, message: string): void {
  state.rejections.push({ code, message });
}

/**
 * Sets the most detailed level the mock keeps (like the host's log filter): lines below it
 * are neither built (when given as functions) nor recorded.
 */
export function setLogLevel(level: Level): void {
  state.logLevel = level;
}

/** Sets the value `nowMs()` returns. */
export function setNowMs(ms: number | bigint): void {
  state.nowMs = BigInt(ms);
}

/** The signals `emit` had accepted so far, oldest first (brackets are listed by `brackets()`). */
export function signals(): Signal[] {
  return [...state.signals];
}

/**
 * The brackets accepted so far, oldest first, each with the ids it was given, its entry and its
 * exits: `String(brackets()[0].exits)` is `'take-profit 205 and stop-loss stop 184 gtc'`.
 */
export function brackets(): Bracket[] {
  return [...state.brackets];
}

/** Returns and forgets the signals accepted so far (`fillAccepted` still executes them). */
export function takeSignals(): Signal[] {
  const taken = state.signals;
  state.signals = [];
  return taken;
}

/**
 * How many times the strategy asked the host for a position (`position` or `held`) since the
 * last `reset`: host calls cost more than most arithmetic, so a test may pin when they happen.
 */
export function positionQueries(): number {
  return state.positionQueries;
}

/** The signal ids `cancel` was called with since the last `reset`, oldest first. */
export function cancels(): bigint[] {
  return [...state.cancels];
}

/** The signal ids and changes `modify` was called with since the last `reset`, oldest first (refused ones too). */
export function modifies(): Array<[bigint, OrderChange]> {
  return [...state.modifies];
}

/**
 * The bar indexes the SDK told the host of (`handling-bar`) while a test drove a batch
 * (`onBars`, or `asComponent(Class).onBars`), oldest first. The SDK tells the host only before
 * a call that answers as of a bar (`emit`, `position`, `workingOrders`, `cancel`, `modify`,
 * `nowMs`), and only when the bar changed since it last told it; the first bar of a batch is
 * the host's already.
 */
export function handledBars(): number[] {
  return [...state.handledBars];
}

/** The log lines written so far, oldest first, as `[level, message]`. */
export function logs(): Array<[Level, string]> {
  return [...state.logs];
}

/** Returns and forgets the log lines written so far. */
export function takeLogs(): Array<[Level, string]> {
  const taken = state.logs;
  state.logs = [];
  return taken;
}

/**
 * Executes, in full and at `price`, every signal accepted since the last call, the way the
 * host's ledger would: a buy adds to the position at a weighted average cost, a sell takes
 * from it (`close-long` sells all of it). Returns the fills, oldest first, stamped with the
 * mock clock, for the test to pass to `onFill`.
 *
 * The entries of brackets fill with the rest; their exits never do here (filled at the entry's
 * price they would sell what was just bought): they stay working, for `fillOne` to fill when
 * the test decides one was reached.
 *
 * Throws if a sell exceeds the position: the host would have refused that signal, so the
 * test is driving the strategy somewhere it cannot go.
 */
export function fillAccepted(price: number): Fill[] {
  const filled = state.unfilled.filter(({ exitOf }) => exitOf === undefined);
  state.unfilled = state.unfilled.filter(({ exitOf }) => exitOf !== undefined);
  return filled.map(({ id, signal }) => ({
    signalId: id,
    symbol: signal.symbol,
    action: signal.action,
    quantity: execute(signal, price),
    price,
    timeMs: state.nowMs,
  }));
}

/**
 * Executes, in full and at `price`, the accepted and unfilled order `signalId` (a stop the
 * test decides has triggered, say), as `fillAccepted` does for all of them. Returns its fill,
 * or `undefined` when no such order is working (never accepted, filled or cancelled), or when
 * it is an exit of a bracket whose entry has not filled yet (IB works the exits only once their
 * entry has filled). An exit filled in full cancels the other exit, as IB does.
 */
export function fillOne(signalId: bigint, price: number): Fill | undefined {
  const at = state.unfilled.findIndex(({ id }) => id === signalId);
  if (at < 0) return undefined;
  const { signal, exitOf } = state.unfilled[at]!;
  if (exitOf !== undefined && state.unfilled.some(({ id }) => id === exitOf)) return undefined;
  state.unfilled.splice(at, 1);
  if (exitOf !== undefined) state.unfilled = state.unfilled.filter((order) => order.exitOf !== exitOf);
  return {
    signalId,
    symbol: signal.symbol,
    action: signal.action,
    quantity: execute(signal, price),
    price,
    timeMs: state.nowMs,
  };
}

/** Applies one executed signal to the positions; returns the shares executed. */
function execute(signal: Signal, price: number): number {
  const current = state.positions.get(signal.symbol);
  const held = current?.quantity ?? 0;
  let quantity: number;
  let after: number;
  switch (signal.action) {
    case 'open-long':
    case 'add-long':
      quantity = signal.quantity;
      after = held + signal.quantity;
      break;
    case 'close-long':
      quantity = held;
      after = 0;
      break;
    case 'reduce-long':
      if (signal.quantity > held) {
        throw new Error(
          `mock host: reduce-long ${signal.quantity} ${signal.symbol} with ${held} held; the host ` +
            'refuses sells larger than the position',
        );
      }
      quantity = signal.quantity;
      after = held - signal.quantity;
      break;
  }
  if (after === 0) {
    state.positions.delete(signal.symbol);
    return quantity;
  }
  const isBuy = signal.action === 'open-long' || signal.action === 'add-long';
  let avgCost: number;
  if (current === undefined) avgCost = price;
  else if (isBuy) avgCost = (current.avgCost * held + price * quantity) / after;
  else avgCost = current.avgCost;
  state.positions.set(signal.symbol, { symbol: signal.symbol, quantity: after, avgCost });
  return quantity;
}

/**
 * A live bar (`source: 'live'`) of `symbol` starting at `startMs` whose open, high, low and
 * close are all `close`, with no volume. The market is `hk-stock` for `0700.HK`-style and
 * all-digit symbols, else `us-stock`. Change fields with spread:
 * `{ ...bar('AAPL', 0, 10), high: 11, source: 'historical' }`.
 */
export function bar(symbol: string, startMs: number | bigint, close: number): Bar {
  const hk = symbol.endsWith('.HK') || /^[0-9]*$/.test(symbol);
  return {
    symbol,
    market: hk ? 'hk-stock' : 'us-stock',
    startMs: BigInt(startMs),
    open: close,
    high: close,
    low: close,
    close,
    volume: 0,
    source: 'live',
  };
}

/** One-minute bars of `symbol` with these closes, the first starting at 0 ms (see `bar`). */
export function bars(symbol: string, closes: readonly number[]): Bar[] {
  return closes.map((close, minute) => bar(symbol, minute * 60_000, close));
}

/**
 * Drives `strategy` through `bars` the way the host's `on-bars` does: `onBar` bar after bar,
 * telling the mock host which bar it is on before any call that answers as of a bar
 * (`handledBars()` lists them), and stopping after the first bar during which a signal was
 * accepted. Returns how many bars were consumed; the host would send the rest in a later call.
 *
 * An error thrown by `onBar` (a `Rejection` too) reaches the test, as when it calls `onBar`
 * itself; `asComponent(Class).onBars(bars)` handles them as the component does.
 */
export function onBars(strategy: Strategy, bars: readonly Bar[]): number {
  return runBatch(bars.length, (i) => bars[i]!, (b) => strategy.onBar(b));
}

/**
 * `bars` (all of one source) as the host passes them to `on-bars`: each symbol once, and the
 * bars column by column. `asComponent(Class).onBars(...batched(bars('AAPL', [1, 2, 3])))` drives
 * the component as the host does.
 */
export function batched(bars: readonly Bar[]): [BatchSymbol[], DataSource, BarColumns] {
  const symbols: BatchSymbol[] = [];
  const columns: BarColumns = {
    symbol: new Uint32Array(bars.length),
    startMs: new BigInt64Array(bars.length),
    ohlcv: new Float64Array(5 * bars.length),
  };
  bars.forEach((bar, i) => {
    let index = symbols.findIndex((s) => s.symbol === bar.symbol);
    if (index < 0) index = symbols.push({ symbol: bar.symbol, market: bar.market }) - 1;
    columns.symbol[i] = index;
    columns.startMs[i] = bar.startMs;
    columns.ohlcv.set([bar.open, bar.high, bar.low, bar.close, bar.volume], 5 * i);
  });
  const source = bars[0]?.source ?? 'live';
  if (bars.some((bar) => bar.source !== source)) throw new RangeError('batched: the bars of one call come from one source');
  return [symbols, source, columns];
}

/**
 * The strategy's exports as the host calls them: `describe()`, `init(pairs)` (which throws
 * `{ payload: reason }` on refusal, the component's `err`), and `onBar`/`onBars`/`onFill`,
 * with the one-instance rules of the component (no instance after a failed `init`, bars
 * ignored without one) and its handling of errors (a `Rejection`, `CancelRefused` or
 * `ModifyRefused` that escapes is logged at warn level). Use it to test what the host sees; test the logic on the
 * instance itself.
 */
export function asComponent(Class: StrategyClass): StrategyExports {
  return strategyExports(Class);
}

/**
 * The `[params]` of a sidecar `.toml`, as the host passes them to `init`: sorted by name, every
 * value as a string, strings as they are, numbers and booleans as Rust displays them (`fast = 10` gives
 * `"10"`, `ratio = 0.5` gives `"0.5"`, `oversold = 30.0` gives `"30"`). Test that the sidecar
 * you ship is accepted:
 *
 *   const text = readFileSync(new URL('./my_strategy.toml', import.meta.url), 'utf8');
 *   MyStrategy.init(sidecarParams(text));
 *
 * Reads the part of TOML sidecars use: comments, `[table]` headers, and `key = value` with
 * basic or literal strings, integers (decimal, `0x`, `0o`, `0b`, `_` separators), floats
 * (`inf`, `nan` too) and booleans. Throws on anything else (multi-line strings, dates,
 * arrays or inline tables), naming the line.
 */
export function sidecarParams(text: string): Params {
  const pairs: Array<[string, string]> = [];
  let table = '';
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const where = `sidecar line ${index + 1}`;
    const line = stripComment(rawLine).trim();
    if (line === '') return;
    const header = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/.exec(line);
    if (header !== null) {
      table = header[1]!;
      return;
    }
    const assignment = /^("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (assignment === null) throw new Error(`${where}: expected \`key = value\` or \`[table]\`, got \`${line}\``);
    if (table !== 'params') return;
    const key = unquote(assignment[1]!, where);
    if (pairs.some(([k]) => k === key)) throw new Error(`${where}: \`${key}\` is given twice`);
    pairs.push([key, scalarText(key, assignment[2]!, where)]);
  });
  // The host passes them sorted by name.
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Params(pairs);
}

/** The line without its `#` comment (a `#` inside a string is kept). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

function unquote(token: string, where: string): string {
  if (token.startsWith("'")) return token.slice(1, -1);
  if (!token.startsWith('"')) return token;
  return token.slice(1, -1).replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, escape: string) => {
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
    if (escape.length > 1) return String.fromCodePoint(parseInt(escape.slice(1), 16));
    const out = simple[escape];
    if (out === undefined) throw new Error(`${where}: unknown escape \`\\${escape}\``);
    return out;
  });
}

/** A TOML scalar as the host stringifies it (Rust's `to_string` of the parsed value). */
function scalarText(key: string, value: string, where: string): string {
  if (/^"(?:[^"\\]|\\.)*"$/.test(value) || /^'[^']*'$/.test(value)) return unquote(value, where);
  if (value === 'true' || value === 'false') return value;
  if (value.startsWith('[') || value.startsWith('{')) {
    const got = value.startsWith('[') ? 'array' : 'table';
    throw new Error(`sidecar: param \`${key}\` must be a string, number, boolean or date (got ${got})`);
  }
  const integer = /^([+-]?)(0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)$/.exec(value);
  if (integer !== null) {
    const digits = integer[2]!.replace(/_/g, '');
    const magnitude = BigInt(digits);
    return (integer[1] === '-' ? -magnitude : magnitude).toString();
  }
  if (/^[+-]?(inf|nan)$/.test(value)) {
    if (value.endsWith('nan')) return 'NaN';
    return value.startsWith('-') ? '-inf' : 'inf';
  }
  if (/^[+-]?[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9][0-9_]*)?$/.test(value)) {
    return display(Number(value.replace(/_/g, '')));
  }
  throw new Error(`${where}: \`${key}\`: unsupported value \`${value}\` (this reader takes strings, numbers and booleans)`);
}
