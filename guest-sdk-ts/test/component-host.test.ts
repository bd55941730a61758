// The component's host adapter (`useComponentHost`) over a stand-in for the WIT import, shaped
// as componentize-js presents it: a `result` import's `err` is thrown in an error's `payload`.
// This file does not import the mock host: the adapter is the only host here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Bar,
  BracketIds,
  CancelRefused,
  type CancelOutcome,
  Exits,
  type Level,
  type Metadata,
  type ModifyOutcome,
  ModifyRefused,
  OrderChange,
  Rejection,
  Signal,
  Strategy,
  type WorkingOrder,
  bracket,
  cancel,
  emit,
  held,
  info,
  modify,
  nowMs,
  workingOrders,
} from 'sandtrade-guest';
import { batched } from 'sandtrade-guest/testing';
import { type WitHost, strategyExports, useComponentHost } from '../src/component.ts';

/** What the stand-in import was asked, in order. */
const calls: string[] = [];

const WORKING: WorkingOrder = {
  signalId: 7n,
  symbol: 'AAPL',
  action: 'reduce-long',
  quantity: 100,
  filled: 40,
  orderType: { tag: 'trailing-stop', val: { trail: { tag: 'percent', val: 3 }, limitOffset: undefined } },
  timeInForce: 'gtc',
  outsideRth: false,
  state: 'cancelling',
};

/** An error as componentize-js throws it for a `result` import's `err`. */
function err(payload: unknown): Error {
  return Object.assign(new Error('result error'), { payload });
}

const wit: WitHost = {
  emit(signal) {
    calls.push(`emit ${signal.symbol}`);
    if (signal.symbol === 'HALTED') throw err({ code: 'trading-halted', message: 'trading is halted' });
    return 7n;
  },
  emitBracket(entry, exits) {
    // The records as they crossed: an exit not set is absent, not `undefined`.
    calls.push(`emit-bracket ${entry.symbol} ${JSON.stringify(exits)}`);
    if (entry.symbol === 'HALTED') throw err({ code: 'trading-halted', message: 'trading is halted' });
    return { entry: 7n, stopLoss: 8n };
  },
  workingOrders() {
    calls.push('working-orders');
    return [WORKING];
  },
  cancel(signalId): CancelOutcome {
    calls.push(`cancel ${signalId}`);
    if (signalId === 7n) return 'requested';
    if (signalId === 8n) throw err('already-ended');
    // Anything else that goes wrong is not a refusal: it must not be taken for one.
    throw new TypeError('not a refusal');
  },
  modify(signalId, change): ModifyOutcome {
    // The record as it crossed: what is not set is absent, not `undefined`.
    calls.push(`modify ${signalId} ${JSON.stringify(change)} ${Object.keys(change).join(',')}`);
    if (signalId === 7n) return 'requested';
    if (signalId === 8n) throw err({ tag: 'pending' });
    if (signalId === 9n) throw err({ tag: 'refused', val: { code: 'short-not-allowed', message: 'sells 200 of 100 held' } });
    if (signalId === 10n) throw err({ tag: 'already-ended' });
    throw new TypeError('not a refusal');
  },
  position(symbol) {
    calls.push(`position ${symbol}`);
    return { symbol, quantity: 60, avgCost: 187.5 };
  },
  log(level, message) {
    calls.push(`log ${level} ${message}`);
  },
  logLevel(): Level {
    calls.push('log-level');
    return 'info';
  },
  nowMs() {
    calls.push('now-ms');
    return 1_704_205_800_000n;
  },
  handlingBar(index) {
    calls.push(`handling-bar ${index}`);
  },
};

useComponentHost(wit);

test('emit: the id, or the payload as a Rejection', () => {
  calls.length = 0;
  assert.equal(emit(Signal.openLong('AAPL', 1)), 7n);
  assert.throws(() => emit(Signal.openLong('HALTED', 1)), (e: unknown) => e instanceof Rejection && e.code === 'trading-halted');
  assert.deepEqual(calls, ['emit AAPL', 'emit HALTED']);
});

test('bracket: the ids, or the payload as a Rejection carrying the entry and the exits', () => {
  calls.length = 0;
  const exits = new Exits().stopLoss(184);
  assert.deepEqual(bracket(Signal.openLong('AAPL', 1).limit(190), exits), new BracketIds(7n, undefined, 8n));
  assert.throws(
    () => bracket(Signal.openLong('HALTED', 1).limit(190), exits),
    (e: unknown) =>
      e instanceof Rejection &&
      e.code === 'trading-halted' &&
      e.exits === exits &&
      e.describe() === 'open-long 1 HALTED limit 190 with stop-loss stop 184 gtc: refused, trading-halted: trading is halted',
  );
  assert.deepEqual(calls, [
    'emit-bracket AAPL {"timeInForce":"gtc","outsideRth":false,"stopLoss":{"tag":"stop","val":184}}',
    'emit-bracket HALTED {"timeInForce":"gtc","outsideRth":false,"stopLoss":{"tag":"stop","val":184}}',
  ]);
});

test('cancel: the outcome, the payload as CancelRefused, other errors as they are', () => {
  assert.equal(cancel(7n), 'requested');
  assert.throws(() => cancel(8n), (e: unknown) => e instanceof CancelRefused && e.refusal === 'already-ended' && e.signalId === 8n);
  assert.throws(() => cancel(9n), TypeError);
});

test('modify: the change as the WIT record, the outcome, the payload as ModifyRefused, other errors as they are', () => {
  calls.length = 0;
  assert.equal(modify(7n, OrderChange.to({ tag: 'stop', val: 185 }).quantity(50)), 'requested');
  assert.equal(modify(7n, OrderChange.toQuantity(60)), 'requested');
  assert.deepEqual(calls, [
    'modify 7 {"quantity":50,"orderType":{"tag":"stop","val":185}} quantity,orderType',
    'modify 7 {"quantity":60} quantity',
  ]);
  assert.throws(
    () => modify(8n, OrderChange.toQuantity(60)),
    (e: unknown) => e instanceof ModifyRefused && e.refusal === 'pending' && e.rejection === undefined && e.signalId === 8n,
  );
  assert.throws(
    () => modify(9n, OrderChange.toQuantity(200)),
    (e: unknown) =>
      e instanceof ModifyRefused &&
      e.refusal === 'refused' &&
      e.rejection?.code === 'short-not-allowed' &&
      e.describe() === 'modify of signal 9: refused, short-not-allowed: sells 200 of 100 held',
  );
  assert.throws(() => modify(10n, OrderChange.toQuantity(60)), { name: 'ModifyRefused', refusal: 'already-ended' });
  assert.throws(() => modify(11n, OrderChange.toQuantity(60)), TypeError);
});

/** Raises signal 8's stop on every bar, without a `try`: IB has not acknowledged it yet. */
class RaisesTooSoon extends Strategy {
  static describe(): Metadata {
    return { name: 'raises-too-soon', version: '1.0.0', symbols: ['AAPL'], barSeconds: 60 };
  }
  static init(): RaisesTooSoon {
    return new RaisesTooSoon();
  }
  onBar(bar: Bar): void {
    modify(8n, OrderChange.to({ tag: 'stop', val: bar.close }));
  }
}

test('a ModifyRefused that escapes onBar is logged through the host, and the instance kept', () => {
  const world = strategyExports(RaisesTooSoon);
  world.init([]);
  const bar: Bar = { symbol: 'AAPL', market: 'us-stock', startMs: 0n, open: 9, high: 9, low: 9, close: 9, volume: 0, source: 'live' };
  calls.length = 0;
  world.onBar(bar);
  world.onBar(bar);
  const logged = calls.filter((call) => call.startsWith('log '));
  assert.deepEqual(logged, [
    'log warn modify of signal 8: pending (not caught in onBar)',
    'log warn modify of signal 8: pending (not caught in onBar)',
  ]);
});

test('working orders, position and the clock pass through', () => {
  assert.deepEqual(workingOrders(), [WORKING]);
  assert.equal(held('AAPL'), 60);
  assert.equal(nowMs(), 1_704_205_800_000n);
});

test('the log level is asked once per instance; lines below it are not written', () => {
  calls.length = 0;
  info('one');
  info('two');
  info(() => 'three');
  assert.deepEqual(calls, ['log-level', 'log info one', 'log info two', 'log info three']);
});

/** Asks for its position on the bars whose close is 1, and buys on the one whose close is 2. */
class AsksThenBuys extends Strategy {
  static describe(): Metadata {
    return { name: 'asks-then-buys', version: '1.0.0', symbols: ['AAPL'], barSeconds: 60 };
  }
  static init(): AsksThenBuys {
    return new AsksThenBuys();
  }
  onBar(bar: Bar): void {
    if (bar.close === 1) held(bar.symbol);
    if (bar.close === 2) Signal.openLong(bar.symbol, 1).emit();
  }
}

test('on-bars tells the real host which bar, before the call that needs it', () => {
  const world = strategyExports(AsksThenBuys);
  world.init([]);
  const bar = (close: number): Bar => ({
    symbol: 'AAPL',
    market: 'us-stock',
    startMs: 0n,
    open: close,
    high: close,
    low: close,
    close,
    volume: 0,
    source: 'historical',
  });
  calls.length = 0;
  assert.equal(world.onBars(...batched([bar(1), bar(0), bar(1), bar(2), bar(1)])), 4);
  assert.deepEqual(calls, ['position AAPL', 'handling-bar 2', 'position AAPL', 'handling-bar 3', 'emit AAPL']);
  calls.length = 0;
  // The host sends the rest: its first bar is the host's current one already.
  assert.equal(world.onBars(...batched([bar(1)])), 1);
  assert.deepEqual(calls, ['position AAPL']);
});
