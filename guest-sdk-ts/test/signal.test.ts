// Signals through the mock host: building, emitting, refusals, logging the outcome.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Rejection,
  Signal,
  addLong,
  addLongLimit,
  closeLong,
  closeLongLimit,
  describeFill,
  emit,
  emitLogged,
  openLong,
  openLongLimit,
  reduceLong,
  reduceLongLimit,
} from 'sandtrade-guest';
import { logs, rejectNext, reset, signals } from 'sandtrade-guest/testing';

test('signals display as operators read them', () => {
  assert.equal(String(Signal.openLong('AAPL', 100)), 'open-long 100 AAPL');
  assert.equal(String(Signal.reduceLong('MSFT', 40).limit(187.5)), 'reduce-long 40 MSFT limit 187.5');
  assert.equal(String(Signal.closeLong('0700.HK').reason('exit')), 'close-long 0700.HK');
  assert.equal(String(Signal.addLong('AAPL', 1).limit(3).market()), 'add-long 1 AAPL');
});

test('fills display as operators read them', () => {
  const fill = { signalId: 7n, symbol: 'AAPL', action: 'open-long', quantity: 100, price: 187.5, timeMs: 0n } as const;
  assert.equal(describeFill(fill), 'signal 7: open-long 100 AAPL filled at 187.5');
});

test('the builder sets what the record carries', () => {
  const s = Signal.reduceLong('MSFT', 40).limit(187.5).reason('take profit');
  assert.deepEqual(s.toRecord(), {
    action: 'reduce-long',
    symbol: 'MSFT',
    quantity: 40,
    orderType: { tag: 'limit', val: 187.5 },
    reason: 'take profit',
  });
  assert.equal(Signal.closeLong('A').quantity, 0);
});

test('a quantity the u32 cannot carry is refused before it crosses', () => {
  for (const bad of [-1, 1.5, 2 ** 32, NaN]) {
    assert.throws(() => Signal.openLong('AAPL', bad), RangeError, String(bad));
  }
  assert.equal(Signal.openLong('AAPL', 2 ** 32 - 1).quantity, 4294967295);
});

test('emit returns the id; a refusal throws a Rejection with code, message and signal', () => {
  reset();
  assert.equal(emit(Signal.openLong('AAPL', 5)), 1n);
  rejectNext('position-limit', 'max_position_shares=10');
  const refused = Signal.addLong('AAPL', 7);
  assert.throws(
    () => emit(refused),
    (e: unknown) =>
      e instanceof Rejection &&
      e.code === 'position-limit' &&
      e.message === 'max_position_shares=10' &&
      e.signal === refused &&
      e.describe() === 'add-long 7 AAPL: refused, position-limit: max_position_shares=10',
  );
  assert.equal(Signal.addLong('AAPL', 1).emit(), 2n, 'ids count accepted signals only');
});

test('emitLogged writes the outcome and returns undefined on refusal', () => {
  reset();
  assert.equal(emitLogged(Signal.addLong('AAPL', 5).reason('dip')), 1n);
  assert.equal(emitLogged(Signal.addLong('AAPL', 6)), 2n);
  rejectNext('position-limit', 'max_position_shares=10');
  assert.equal(emitLogged(Signal.addLong('AAPL', 7)), undefined);
  assert.deepEqual(logs(), [
    ['info', 'add-long 5 AAPL: accepted as signal 1 (dip)'],
    ['info', 'add-long 6 AAPL: accepted as signal 2'],
    ['warn', 'add-long 7 AAPL: refused, position-limit: max_position_shares=10'],
  ]);
});

test('helpers build the signals they name', () => {
  reset();
  openLongLimit('A', 1, 2.5);
  closeLongLimit('A', 3.0);
  reduceLongLimit('A', 4, 5.0);
  addLong('A', 6);
  addLongLimit('A', 7, 8.25);
  openLong('A', 9);
  reduceLong('A', 10);
  closeLong('A');
  assert.deepEqual(signals().map(String), [
    'open-long 1 A limit 2.5',
    'close-long A limit 3',
    'reduce-long 4 A limit 5',
    'add-long 6 A',
    'add-long 7 A limit 8.25',
    'open-long 9 A',
    'reduce-long 10 A',
    'close-long A',
  ]);
});
