// Brackets through the mock host: the exits builder, `bracket` and `bracketLogged`, and the
// mock's brackets (ids, working orders with `exitOf`, fills, cancels, changes, the checks of a
// bracket's shape).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Bar,
  BracketIds,
  CancelRefused,
  Exits,
  type Metadata,
  ModifyRefused,
  OrderChange,
  Rejection,
  Signal,
  Strategy,
  Trail,
  bracket,
  bracketLogged,
  cancel,
  held,
  modify,
  openLong,
  workingOrders,
} from 'sandtrade-guest';
import { bars, brackets, fillAccepted, fillOne, handledBars, logs, onBars, rejectNext, reset, signals } from 'sandtrade-guest/testing';

const aapl = () => Signal.openLong('AAPL', 100).limit(190);

test('exits read as the Rust SDK writes them', () => {
  const shown = (e: Exits) => String(e);
  assert.equal(shown(new Exits().takeProfit(205).stopLoss(184)), 'take-profit 205 and stop-loss stop 184 gtc');
  assert.equal(shown(new Exits().takeProfit(205)), 'take-profit 205 gtc');
  assert.equal(shown(new Exits().stopLossLimit(184, 183.5).day()), 'stop-loss stop-limit 184/183.5 day');
  assert.equal(
    shown(new Exits().takeProfit(205.5).trailingStop(Trail.amount(2.5)).outsideRth()),
    'take-profit 205.5 and stop-loss trailing-stop 2.5 gtc outside-rth',
  );
  assert.equal(shown(new Exits().trailingStop(Trail.percent(3)).limitOffset(0.1)), 'stop-loss trailing-stop 3% offset 0.1 gtc');
  assert.equal(shown(new Exits()), 'no exit gtc');
});

test('the exits builder sets what the record carries', () => {
  assert.deepEqual(new Exits().toRecord(), { timeInForce: 'gtc', outsideRth: false });
  assert.deepEqual(new Exits().takeProfit(205).stopLossLimit(184, 183).day().outsideRth().toRecord(), {
    timeInForce: 'day',
    outsideRth: true,
    takeProfit: 205,
    stopLoss: { tag: 'stop-limit', val: { trigger: 184, limit: 183 } },
  });
  // A limit offset means nothing to a fixed stop; the last stop-loss named wins.
  assert.deepEqual(new Exits().stopLoss(9).limitOffset(0.5).stopLossOrder, { tag: 'stop', val: 9 });
  assert.equal(new Exits().stopLoss(9).trailingStop(Trail.amount(1)).stopLossOrder?.tag, 'trailing-stop');
  assert.equal(new Exits().day().gtc().timeInForce, 'gtc');
  // A record copied in and back out shares nothing with the exits.
  const record = new Exits().trailingStop(Trail.percent(2)).toRecord();
  const copy = Exits.from(record).toRecord();
  assert.deepEqual(copy, record);
  assert.notEqual(copy.stopLoss, record.stopLoss);
});

test('a bracket gets consecutive ids and lists its legs', () => {
  reset();
  assert.equal(openLong('MSFT', 5), 1n);
  const ids = bracket(aapl(), new Exits().takeProfit(205).stopLoss(184));
  assert.deepEqual(ids, new BracketIds(2n, 3n, 4n));
  assert.deepEqual(ids.exits(), [3n, 4n]);
  const legs = workingOrders().map((o) => [o.signalId, o.action, o.quantity, o.orderType, o.exitOf]);
  assert.deepEqual(legs, [
    [1n, 'open-long', 5, { tag: 'market' }, undefined],
    [2n, 'open-long', 100, { tag: 'limit', val: 190 }, undefined],
    [3n, 'reduce-long', 100, { tag: 'limit', val: 205 }, 2n],
    [4n, 'reduce-long', 100, { tag: 'stop', val: 184 }, 2n],
  ]);
  // An order that is no exit has no `exitOf` at all, as the host's records.
  assert.equal('exitOf' in workingOrders()[1]!, false);
  assert.equal(workingOrders()[2]!.timeInForce, 'gtc');
  // Only the stop-loss: the next id is the stop-loss's.
  const onlyStop = aapl().bracket(new Exits().stopLoss(184));
  assert.deepEqual(onlyStop, new BracketIds(5n, undefined, 6n));
  assert.deepEqual(onlyStop.exits(), [6n]);
  const sent = brackets();
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[0]!.ids, ids);
  assert.equal(String(sent[0]!.entry), 'open-long 100 AAPL limit 190');
  assert.equal(String(sent[0]!.exits), 'take-profit 205 and stop-loss stop 184 gtc');
  // `signals()` lists what `emit` sent, not brackets.
  assert.equal(signals().length, 1);
});

test('the exits work once the entry has filled, and one full fill cancels the other', () => {
  reset();
  const ids = bracket(aapl(), new Exits().takeProfit(205).stopLoss(184));
  // Not before the entry has filled.
  assert.equal(fillOne(ids.takeProfit!, 205), undefined);
  // `fillAccepted` fills the entry, never the exits: they fill when the test says.
  assert.deepEqual(
    fillAccepted(190).map((f) => [f.signalId, f.quantity]),
    [[ids.entry, 100]],
  );
  assert.equal(held('AAPL'), 100);
  assert.equal(workingOrders().length, 2);
  const stop = fillOne(ids.stopLoss!, 183.9);
  assert.deepEqual([stop?.action, stop?.quantity], ['reduce-long', 100]);
  assert.equal(held('AAPL'), 0);
  // The take-profit was cancelled with it.
  assert.deepEqual(workingOrders(), []);
  assert.throws(() => cancel(ids.takeProfit!), (e: unknown) => e instanceof CancelRefused && e.refusal === 'already-ended');
});

test('cancelling an unfilled entry cancels its exits', () => {
  reset();
  let ids = bracket(aapl(), new Exits().takeProfit(205).stopLoss(184));
  assert.equal(cancel(ids.entry), 'cancelled');
  assert.deepEqual(workingOrders(), []);
  assert.deepEqual(fillAccepted(190), []);
  // An exit alone can be cancelled, once its entry has filled too.
  ids = bracket(aapl(), new Exits().takeProfit(205).stopLoss(184));
  fillAccepted(190);
  assert.throws(() => cancel(ids.entry), { name: 'CancelRefused', refusal: 'already-ended' });
  assert.equal(cancel(ids.takeProfit!), 'cancelled');
  assert.deepEqual(
    workingOrders().map((o) => o.signalId),
    [ids.stopLoss],
  );
});

test('an exit changes its prices, never its quantity', () => {
  reset();
  const stop = bracket(aapl(), new Exits().stopLoss(184)).stopLoss!;
  assert.equal(modify(stop, OrderChange.to({ tag: 'stop', val: 186 })), 'changed');
  assert.deepEqual(workingOrders()[1]!.orderType, { tag: 'stop', val: 186 });
  // Its own quantity again is no change.
  assert.equal(modify(stop, OrderChange.toQuantity(100)), 'changed');
  assert.throws(
    () => modify(stop, OrderChange.toQuantity(50)),
    (e: unknown) =>
      e instanceof ModifyRefused &&
      e.refusal === 'refused' &&
      e.rejection?.code === 'invalid-order' &&
      e.rejection.message === "an exit of a bracket keeps its entry's quantity (100); change its prices, or cancel it",
  );
});

/** The rejection a bracket is refused with, as `[code, message]`. */
function refused(entry: Signal, exits: Exits): [string, string] {
  try {
    bracket(entry, exits);
  } catch (e) {
    if (e instanceof Rejection) return [e.code, e.message];
    throw e;
  }
  throw new Error('accepted');
}

test("the mock checks a bracket's shape as the host does", () => {
  reset();
  const takeProfit = () => new Exits().takeProfit(205);
  assert.deepEqual(refused(Signal.reduceLong('AAPL', 5), takeProfit()), [
    'invalid-order',
    "bracket on AAPL: the entry is a reduce-long; a bracket's entry buys (open-long or add-long)",
  ]);
  assert.deepEqual(refused(aapl(), new Exits()), ['invalid-order', 'bracket on AAPL: no exit: name a take-profit, a stop-loss or both']);
  const ioc = takeProfit();
  ioc.timeInForce = 'ioc';
  assert.deepEqual(refused(aapl(), ioc), ['invalid-order', 'bracket on AAPL: exits are gtc or day orders, not ioc']);
  const limitStop = new Exits();
  limitStop.stopLossOrder = { tag: 'limit', val: 184 };
  assert.deepEqual(refused(aapl(), limitStop), [
    'invalid-order',
    'bracket on AAPL: the stop-loss is a limit order; it must be a stop, stop-limit or trailing stop',
  ]);
  assert.deepEqual(refused(aapl(), new Exits().takeProfit(180).stopLossLimit(184, 183)), [
    'invalid-price',
    'bracket on AAPL: the take-profit 180 must be above the stop-loss trigger 184',
  ]);
  // A trailing stop has no fixed trigger to compare with.
  assert.deepEqual(bracket(Signal.addLong('AAPL', 5), new Exits().takeProfit(1).trailingStop(Trail.amount(2))), new BracketIds(1n, 2n, 3n));
  // A queued rejection comes first, as for `emit`.
  rejectNext('position-limit', 'max_position_shares=10');
  assert.equal(refused(aapl(), takeProfit())[0], 'position-limit');
  // Refused brackets take no ids and are not recorded.
  assert.deepEqual(
    brackets().map((b) => b.ids.entry),
    [1n],
  );
});

test('bracketLogged writes the outcome and returns undefined on refusal', () => {
  reset();
  assert.deepEqual(bracketLogged(aapl().reason('pullback'), new Exits().takeProfit(205).stopLoss(184)), new BracketIds(1n, 2n, 3n));
  rejectNext('trading-halted', 'halted');
  assert.equal(bracketLogged(aapl(), new Exits().stopLoss(184)), undefined);
  assert.deepEqual(logs(), [
    ['info', 'open-long 100 AAPL limit 190 with take-profit 205 and stop-loss stop 184 gtc: accepted as signals 1, 2, 3 (pullback)'],
    ['warn', 'open-long 100 AAPL limit 190 with stop-loss stop 184 gtc: refused, trading-halted: halted'],
  ]);
});

/** Enters with a bracket on the bar whose close is above 10. */
class BracketAbove10 extends Strategy {
  static describe(): Metadata {
    return { name: 'bracket-above-10', version: '1.0.0', symbols: ['AAPL'], barSeconds: 60 };
  }
  static init(): BracketAbove10 {
    return new BracketAbove10();
  }
  onBar(bar: Bar): void {
    if (bar.close > 10) {
      try {
        bracket(Signal.openLong(bar.symbol, 1).limit(bar.close), new Exits().takeProfit(bar.close * 1.1));
      } catch (e) {
        if (!(e instanceof Rejection)) throw e;
      }
    }
  }
}

test('an accepted bracket ends a batch like an accepted signal', () => {
  reset();
  const strategy = new BracketAbove10();
  const batch = bars('AAPL', [9, 9.5, 11, 12]);
  assert.equal(onBars(strategy, batch), 3);
  assert.deepEqual(handledBars(), [2]);
  // A refused bracket does not end it.
  rejectNext('rate-limit', 'too many');
  assert.equal(onBars(strategy, batch.slice(2)), 2);
});
