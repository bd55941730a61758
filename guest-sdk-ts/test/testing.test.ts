// The mock host: positions built from fills like the host's ledger, queued refusals, working
// orders, cancels and changes, logs and the log level, the clock, bars.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Bar,
  Signal,
  Strategy,
  Trail,
  addLong,
  cancel,
  closeLong,
  debug,
  emit,
  held,
  info,
  log,
  logEnabled,
  modify,
  nowMs,
  OrderChange,
  openLong,
  position,
  reduceLong,
  stopLoss,
  takeProfit,
  trailingStop,
  warn,
  workingOrders,
} from 'sandtrade-guest';
import {
  bar,
  bars,
  cancels,
  fillAccepted,
  fillOne,
  handledBars,
  logs,
  modifies,
  onBars,
  positionQueries,
  rejectNext,
  reset,
  setLogLevel,
  setNowMs,
  setPosition,
  sidecarParams,
  signals,
  takeLogs,
  takeSignals,
} from 'sandtrade-guest/testing';

test('fills build positions like the ledger', () => {
  reset();
  setNowMs(42);
  assert.equal(openLong('AAPL', 100), 1n);
  assert.equal(addLong('AAPL', 300), 2n);
  const fills = fillAccepted(10.0);
  assert.equal(fills.length, 2);
  assert.deepEqual(fills[1], { signalId: 2n, symbol: 'AAPL', action: 'add-long', quantity: 300, price: 10, timeMs: 42n });
  assert.equal(addLong('AAPL', 100), 3n);
  fillAccepted(20.0);
  // (400 * 10 + 100 * 20) / 500
  assert.deepEqual(position('AAPL'), { symbol: 'AAPL', quantity: 500, avgCost: 12 });
  assert.equal(reduceLong('AAPL', 200), 4n);
  fillAccepted(30.0);
  assert.deepEqual(position('AAPL'), { symbol: 'AAPL', quantity: 300, avgCost: 12 });
  assert.equal(closeLong('AAPL'), 5n);
  const closed = fillAccepted(31.0);
  assert.deepEqual([closed[0]!.action, closed[0]!.quantity], ['close-long', 300]);
  assert.equal(held('AAPL'), 0);
  assert.equal(position('AAPL'), undefined);
  assert.deepEqual(fillAccepted(1.0), []);
  assert.equal(nowMs(), 42n);
});

test('queued refusals come first and are not filled', () => {
  reset();
  rejectNext('rate-limit', 'too many');
  assert.throws(() => emit(Signal.openLong('MSFT', 5)), { name: 'Rejection', code: 'rate-limit', message: 'too many' });
  assert.equal(openLong('MSFT', 5), 1n);
  assert.equal(takeSignals().length, 1);
  assert.deepEqual(signals(), []);
  assert.equal(fillAccepted(2.0).length, 1);
  assert.equal(held('MSFT'), 5);
});

test('overselling in a test throws', () => {
  reset();
  setPosition('MSFT', 5, 1.0);
  reduceLong('MSFT', 6);
  assert.throws(() => fillAccepted(1.0), /reduce-long 6 MSFT with 5 held/);
});

test('setPosition sets and removes', () => {
  reset();
  setPosition('AAPL', 100, 187.5);
  assert.deepEqual(position('AAPL'), { symbol: 'AAPL', quantity: 100, avgCost: 187.5 });
  setPosition('AAPL', 0, 0);
  assert.equal(position('AAPL'), undefined);
  assert.equal(positionQueries(), 2);
  held('AAPL');
  assert.equal(positionQueries(), 3);
});

test('lines below the host level are neither built nor kept', () => {
  reset();
  setLogLevel('warn');
  let built = 0;
  const counted = () => {
    built++;
    return 'x';
  };
  info(counted);
  warn(counted);
  debug('plain');
  assert.equal(built, 1);
  assert.deepEqual(logs(), [['warn', 'x']]);
  assert.ok(logEnabled('error'));
  assert.ok(!logEnabled('info'));
});

test('logs are collected in order', () => {
  reset();
  info('one');
  log('warn', `two ${2}`);
  assert.deepEqual(takeLogs(), [
    ['info', 'one'],
    ['warn', 'two 2'],
  ]);
  assert.deepEqual(logs(), []);
});

test('fillOne executes one working order, as a triggered stop', () => {
  reset();
  setNowMs(7);
  setPosition('AAPL', 100, 187.5);
  const stop = stopLoss('AAPL', 60, 180);
  const target = takeProfit('AAPL', 40, 195);
  assert.deepEqual(fillOne(stop, 179.9), {
    signalId: stop,
    symbol: 'AAPL',
    action: 'reduce-long',
    quantity: 60,
    price: 179.9,
    timeMs: 7n,
  });
  assert.equal(held('AAPL'), 40);
  assert.equal(position('AAPL')?.avgCost, 187.5);
  // Filled: no longer working, not filled twice, and its cancel comes too late.
  assert.deepEqual(workingOrders().map((o) => o.signalId), [target]);
  assert.equal(fillOne(stop, 179.9), undefined);
  assert.equal(fillOne(99n, 1), undefined);
  assert.throws(() => cancel(stop), { name: 'CancelRefused', refusal: 'already-ended' });
  // fillAccepted executes what is left.
  assert.deepEqual(fillAccepted(195).map((f) => [f.signalId, f.quantity]), [[target, 40]]);
  assert.equal(held('AAPL'), 0);
});

test('working orders are the accepted signals not filled nor cancelled, oldest first', () => {
  reset();
  setPosition('AAPL', 100, 187.5);
  openLong('MSFT', 5);
  rejectNext('rate-limit', 'too many');
  assert.throws(() => stopLoss('AAPL', 100, 170));
  const trail = trailingStop('AAPL', 100, Trail.amount(2.5));
  Signal.reduceLong('AAPL', 10).limit(199).outsideRth().emit();
  assert.deepEqual(
    workingOrders().map((o) => [o.signalId, o.symbol, o.orderType.tag, o.timeInForce, o.outsideRth, o.filled, o.state]),
    [
      [1n, 'MSFT', 'market', 'day', false, 0, 'working'],
      [trail, 'AAPL', 'trailing-stop', 'gtc', false, 0, 'working'],
      [3n, 'AAPL', 'limit', 'day', true, 0, 'working'],
    ],
  );
  // What the test gets is a copy: changing it changes nothing in the mock.
  const listed = workingOrders()[1]!;
  listed.orderType = { tag: 'market' };
  assert.equal(workingOrders()[1]!.orderType.tag, 'trailing-stop');
  assert.equal(cancel(trail), 'cancelled');
  assert.deepEqual(workingOrders().map((o) => o.signalId), [1n, 3n]);
  assert.deepEqual(fillAccepted(10).map((f) => f.signalId), [1n, 3n]);
  assert.deepEqual(cancels(), [trail]);
});

test('modify changes the mock order in place; a trailing stop stays a trailing stop', () => {
  reset();
  setPosition('AAPL', 100, 187.5);
  const trail = trailingStop('AAPL', 100, Trail.percent(3));
  assert.equal(modify(trail, OrderChange.to({ tag: 'trailing-stop', val: { trail: Trail.percent(2), limitOffset: 0.1 } })), 'changed');
  assert.equal(modify(trail, OrderChange.toQuantity(40)), 'changed');
  assert.deepEqual(
    workingOrders().map((o) => [o.orderType, o.quantity, o.timeInForce]),
    [[{ tag: 'trailing-stop', val: { trail: { tag: 'percent', val: 2 }, limitOffset: 0.1 } }, 40, 'gtc']],
  );
  assert.throws(() => modify(trail, OrderChange.to({ tag: 'stop', val: 180 })), { name: 'ModifyRefused', refusal: 'refused' });
  // The order shares nothing with the change listed: changing that does not move the order.
  const [[, listed]] = modifies() as [[bigint, OrderChange]];
  const listedType = listed.newOrderType as { tag: 'trailing-stop'; val: { limitOffset?: number } };
  listedType.val.limitOffset = 5;
  assert.deepEqual(workingOrders()[0]!.orderType, { tag: 'trailing-stop', val: { trail: { tag: 'percent', val: 2 }, limitOffset: 0.1 } });
  assert.deepEqual(fillAccepted(180).map((f) => [f.signalId, f.quantity]), [[trail, 40]]);
  assert.equal(held('AAPL'), 60);
});

test('reset forgets everything', () => {
  reset();
  setNowMs(5n);
  setPosition('A', 1, 1);
  openLong('B', 1);
  info('x');
  rejectNext('unavailable', 'down');
  try {
    cancel(7n);
  } catch {
    // Unknown: refused, and recorded.
  }
  try {
    modify(7n, OrderChange.toQuantity(1));
  } catch {
    // Unknown: refused, and recorded.
  }
  // A strategy that asks for its position on bar 1 of a batch: the host is told of bar 1.
  class AsksOnBar1 extends Strategy {
    onBar(b: Bar): void {
      if (b.close === 1) held('A');
    }
  }
  onBars(new AsksOnBar1(), bars('A', [0, 1]));
  assert.deepEqual([cancels(), modifies().map(([id]) => id), handledBars()], [[7n], [7n], [1]]);
  reset();
  assert.equal(nowMs(), 0n);
  assert.equal(held('A'), 0);
  assert.deepEqual(
    [signals(), logs(), fillAccepted(1), cancels(), modifies(), handledBars(), workingOrders()],
    [[], [], [], [], [], [], []],
  );
  assert.equal(openLong('B', 1), 1n, 'no refusal left queued, ids from 1 again');
});

test('bars are one minute apart and know their market', () => {
  const b = bars('00700', [1.0, 2.0]);
  assert.deepEqual([b[0]!.market, b[0]!.startMs, b[1]!.startMs], ['hk-stock', 0n, 60_000n]);
  assert.equal(bar('AAPL', 5, 1.5).market, 'us-stock');
  assert.equal(bar('0700.HK', 5, 1.5).market, 'hk-stock');
  assert.deepEqual(bar('AAPL', 5, 1.5), {
    symbol: 'AAPL',
    market: 'us-stock',
    startMs: 5n,
    open: 1.5,
    high: 1.5,
    low: 1.5,
    close: 1.5,
    volume: 0,
    source: 'live',
  });
});

test('sidecar params are strings, sorted by name, as the host passes them', () => {
  const text = `# comment
[params]
fast = 10        # trailing comment
ratio = 0.5
low = 30.0
big = 1_000
hex = 0x1F
on = true
name = "x # not a comment"
lit = 'C:\\path'
esc = "tab\\there"
[limits]
max_order_shares = 100
`;
  assert.deepEqual(
    [...sidecarParams(text)],
    [
      ['big', '1000'],
      ['esc', 'tab\there'],
      ['fast', '10'],
      ['hex', '31'],
      ['lit', 'C:\\path'],
      ['low', '30'],
      ['name', 'x # not a comment'],
      ['on', 'true'],
      ['ratio', '0.5'],
    ],
  );
  assert.throws(() => sidecarParams('[params]\na = 1\na = 2\n'), /line 3: `a` is given twice/);
  assert.ok(sidecarParams('[limits]\nmax_order_shares = 1\n').isEmpty());
  assert.throws(() => sidecarParams('[params]\nlist = [1]\n'), {
    message: 'sidecar: param `list` must be a string, number, boolean or date (got array)',
  });
  assert.throws(() => sidecarParams('[params\n'), /^Error: sidecar line 1/);
});
