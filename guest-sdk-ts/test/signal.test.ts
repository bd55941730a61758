// Signals through the mock host: building, emitting, refusals, logging the outcome; the
// protective orders, working orders, cancels and changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CancelRefused,
  ModifyRefused,
  OrderChange,
  Rejection,
  Signal,
  Trail,
  addLong,
  addLongLimit,
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
} from 'sandtrade-guest';
import { cancels, fillAccepted, fillOne, logs, modifies, rejectNext, reset, setPosition, signals } from 'sandtrade-guest/testing';

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
    timeInForce: 'day',
    outsideRth: false,
    reason: 'take profit',
  });
  assert.equal(Signal.closeLong('A').quantity, 0);
});

test('protective orders read as a trader says them', () => {
  const shown = (s: Signal) => String(s);
  assert.equal(shown(Signal.stopLoss('AAPL', 100, 180).reason('2% under the entry')), 'reduce-long 100 AAPL stop 180 gtc');
  assert.equal(shown(Signal.takeProfit('AAPL', 100, 195)), 'reduce-long 100 AAPL limit 195 gtc');
  assert.equal(shown(Signal.trailingStop('AAPL', 100, Trail.percent(3))), 'reduce-long 100 AAPL trailing-stop 3% gtc');
  assert.equal(
    shown(Signal.trailingStop('AAPL', 10, Trail.amount(2.5)).limitOffset(0.1)),
    'reduce-long 10 AAPL trailing-stop 2.5 offset 0.1 gtc',
  );
  assert.equal(shown(Signal.reduceLong('AAPL', 5).stopLimit(180, 179.5).outsideRth()), 'reduce-long 5 AAPL stop-limit 180/179.5 outside-rth');
  assert.equal(shown(Signal.closeLong('AAPL').gtc().marketOnClose()), 'close-long AAPL market-on-close');
  assert.equal(shown(Signal.closeLong('AAPL').gtc().limitOnClose(190.25)), 'close-long AAPL limit-on-close 190.25');
  assert.equal(shown(Signal.openLong('AAPL', 1).limit(190).opg()), 'open-long 1 AAPL limit 190 opg');
  assert.equal(shown(Signal.openLong('AAPL', 1).limit(190).ioc()), 'open-long 1 AAPL limit 190 ioc');
  assert.equal(shown(Signal.openLong('AAPL', 1).stop(1e-7)), 'open-long 1 AAPL stop 0.0000001');
  assert.equal(describeOrderType({ tag: 'market' }), 'market');
});

test('time in force and order type builders combine as in Rust', () => {
  // A time in force set after `trailing` wins over its gtc default.
  assert.equal(Signal.reduceLong('A', 1).trailing(Trail.percent(1)).day().timeInForce, 'day');
  // A limit offset means nothing to a plain stop.
  assert.deepEqual(Signal.reduceLong('A', 1).stop(9).limitOffset(0.5).orderType, { tag: 'stop', val: 9 });
  // On-close orders are day orders; later builders still change it (the host then refuses it).
  assert.equal(Signal.reduceLong('A', 1).gtc().limitOnClose(5).timeInForce, 'day');
  assert.equal(Signal.reduceLong('A', 1).marketOnClose().gtc().timeInForce, 'gtc');
  // Switching away from a trailing stop and back starts without an offset.
  const back = Signal.reduceLong('A', 1).trailing(Trail.amount(1)).limitOffset(0.2).market().trailing(Trail.amount(2));
  assert.deepEqual(back.orderType, { tag: 'trailing-stop', val: { trail: { tag: 'amount', val: 2 } } });
  assert.equal(Signal.openLong('A', 1).outsideRthAllowed, false);
});

test('every order type crosses as the WIT record', () => {
  const record = (s: Signal) => {
    const { orderType, timeInForce, outsideRth } = s.toRecord();
    return { orderType, timeInForce, outsideRth };
  };
  assert.deepEqual(record(Signal.stopLoss('A', 1, 180)), { orderType: { tag: 'stop', val: 180 }, timeInForce: 'gtc', outsideRth: false });
  assert.deepEqual(record(Signal.reduceLong('A', 1).stopLimit(180, 179.5).outsideRth()), {
    orderType: { tag: 'stop-limit', val: { trigger: 180, limit: 179.5 } },
    timeInForce: 'day',
    outsideRth: true,
  });
  // No offset: the option's `none`, the key left out.
  assert.deepEqual(record(Signal.trailingStop('A', 1, Trail.percent(3))).orderType, {
    tag: 'trailing-stop',
    val: { trail: { tag: 'percent', val: 3 } },
  });
  assert.deepEqual(record(Signal.trailingStop('A', 1, Trail.amount(2.5)).limitOffset(0)).orderType, {
    tag: 'trailing-stop',
    val: { trail: { tag: 'amount', val: 2.5 }, limitOffset: 0 },
  });
  assert.deepEqual(record(Signal.closeLong('A').marketOnClose()).orderType, { tag: 'market-on-close' });
  assert.deepEqual(record(Signal.closeLong('A').limitOnClose(190)).orderType, { tag: 'limit-on-close', val: 190 });
});

test('a record copied into a signal and back shares nothing with it', () => {
  const original = Signal.trailingStop('AAPL', 10, Trail.amount(2.5)).limitOffset(0.1).outsideRth().reason('trail');
  const record = original.toRecord();
  const copy = Signal.from(record);
  assert.deepEqual(copy, original);
  assert.deepEqual(copy.toRecord(), record);
  // Changing the record afterwards changes neither signal.
  if (record.orderType.tag !== 'trailing-stop') assert.fail('a trailing stop');
  record.orderType.val.trail.val = 99;
  record.orderType.val.limitOffset = 9;
  assert.equal(String(copy), 'reduce-long 10 AAPL trailing-stop 2.5 offset 0.1 gtc outside-rth');
  assert.equal(String(original), 'reduce-long 10 AAPL trailing-stop 2.5 offset 0.1 gtc outside-rth');
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

test('the protective helpers place the orders they name', () => {
  reset();
  setPosition('AAPL', 300, 187.5);
  assert.equal(stopLoss('AAPL', 100, 180), 1n);
  assert.equal(takeProfit('AAPL', 100, 195), 2n);
  assert.equal(trailingStop('AAPL', 100, Trail.percent(3)), 3n);
  assert.deepEqual(signals().map(String), [
    'reduce-long 100 AAPL stop 180 gtc',
    'reduce-long 100 AAPL limit 195 gtc',
    'reduce-long 100 AAPL trailing-stop 3% gtc',
  ]);
  rejectNext('short-not-allowed', 'the position holds 300, of which 300 are being sold');
  assert.throws(() => stopLoss('AAPL', 1, 170), { name: 'Rejection', code: 'short-not-allowed' });
});

test('working orders and cancel reach the host', () => {
  reset();
  setPosition('AAPL', 100, 187.5);
  const stop = stopLoss('AAPL', 100, 180);
  const working = workingOrders();
  assert.equal(working.length, 1);
  assert.deepEqual(working[0], {
    signalId: stop,
    symbol: 'AAPL',
    action: 'reduce-long',
    quantity: 100,
    filled: 0,
    orderType: { tag: 'stop', val: 180 },
    timeInForce: 'gtc',
    outsideRth: false,
    state: 'working',
  });
  assert.equal(cancel(stop), 'cancelled');
  assert.deepEqual(workingOrders(), []);
  assert.throws(
    () => cancel(stop),
    (e: unknown) =>
      e instanceof CancelRefused &&
      e.refusal === 'already-ended' &&
      e.signalId === stop &&
      e.describe() === 'cancel of signal 1: already-ended',
  );
  assert.throws(() => cancel(99n), { name: 'CancelRefused', refusal: 'unknown-order', signalId: 99n });
  assert.deepEqual(cancels(), [stop, stop, 99n]);
  // A cancelled order is never filled.
  assert.deepEqual(fillAccepted(170), []);
});

test('order changes are built like signals and cross as the WIT record', () => {
  assert.deepEqual(OrderChange.to({ tag: 'stop', val: 185 }).toRecord(), { orderType: { tag: 'stop', val: 185 } });
  assert.deepEqual(OrderChange.toQuantity(50).toRecord(), { quantity: 50 });
  const both = OrderChange.to({ tag: 'trailing-stop', val: { trail: Trail.amount(1.5) } }).quantity(50);
  assert.deepEqual(both.toRecord(), { quantity: 50, orderType: { tag: 'trailing-stop', val: { trail: { tag: 'amount', val: 1.5 } } } });
  assert.equal(String(both), 'trailing-stop 1.5, quantity 50');
  assert.deepEqual([both.newQuantity, both.newOrderType?.tag], [50, 'trailing-stop']);
  assert.deepEqual(OrderChange.from(both.toRecord()), both);
  // The order type is copied in: changing the one given changes nothing.
  const stop: { tag: 'stop'; val: number } = { tag: 'stop', val: 185 };
  const change = OrderChange.to(stop);
  stop.val = 1;
  assert.deepEqual(change.newOrderType, { tag: 'stop', val: 185 });
  // A u32, as a signal's quantity: the boundary would otherwise wrap it.
  assert.throws(() => OrderChange.toQuantity(2.5), RangeError);
  assert.throws(() => OrderChange.to({ tag: 'stop', val: 185 }).quantity(-1), RangeError);
  assert.throws(() => OrderChange.toQuantity(2 ** 32), RangeError);
});

test('modify changes a working order, and refuses what the host would', () => {
  reset();
  setPosition('AAPL', 100, 187.5);
  const stop = stopLoss('AAPL', 100, 180);
  assert.equal(modify(stop, OrderChange.to({ tag: 'stop', val: 185 })), 'changed');
  assert.deepEqual(
    workingOrders().map((o) => [o.orderType, o.quantity, o.timeInForce]),
    [[{ tag: 'stop', val: 185 }, 100, 'gtc']],
  );
  assert.equal(modify(stop, OrderChange.to({ tag: 'stop', val: 186 }).quantity(70)), 'changed');
  assert.deepEqual(workingOrders().map((o) => [o.orderType, o.quantity]), [[{ tag: 'stop', val: 186 }, 70]]);
  // Another kind of order is refused with the rule, and changes nothing.
  assert.throws(
    () => modify(stop, OrderChange.to({ tag: 'limit', val: 190 })),
    (e: unknown) =>
      e instanceof ModifyRefused &&
      e.refusal === 'refused' &&
      e.rejection?.code === 'invalid-order' &&
      e.signalId === stop &&
      e.describe() === "modify of signal 1: refused, invalid-order: a change keeps the order's type",
  );
  assert.deepEqual(workingOrders().map((o) => o.orderType), [{ tag: 'stop', val: 186 }]);
  // The signal as accepted is kept; the order fills with its new terms.
  assert.equal(String(signals()[0]), 'reduce-long 100 AAPL stop 180 gtc');
  assert.equal(fillOne(stop, 185.9)?.quantity, 70);
  assert.throws(
    () => modify(stop, OrderChange.toQuantity(10)),
    (e: unknown) =>
      e instanceof ModifyRefused &&
      e.refusal === 'already-ended' &&
      e.rejection === undefined &&
      e.describe() === 'modify of signal 1: already-ended',
  );
  assert.throws(() => modify(99n, OrderChange.toQuantity(10)), { name: 'ModifyRefused', refusal: 'unknown-order', signalId: 99n });
  assert.deepEqual(
    modifies().map(([id, change]) => [id, String(change)]),
    [
      [stop, 'stop 185'],
      [stop, 'stop 186, quantity 70'],
      [stop, 'limit 190'],
      [stop, 'quantity 10'],
      [99n, 'quantity 10'],
    ],
  );
  assert.deepEqual(modifies()[0], [stop, OrderChange.to({ tag: 'stop', val: 185 })]);
});
