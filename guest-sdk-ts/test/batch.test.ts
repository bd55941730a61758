// `on-bars`: the batch stops after the bar of an accepted signal, and the host is told which
// bar the strategy is on, lazily, only before a call that answers as of a bar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Bar,
  type Metadata,
  Signal,
  Strategy,
  cancel,
  emitLogged,
  held,
  info,
  modify,
  nowMs,
  OrderChange,
  openLong,
  workingOrders,
} from 'sandtrade-guest';
import { bars, handledBars, onBars, rejectNext, reset, signals } from 'sandtrade-guest/testing';

/** Buys on the bar whose close is above 10; the only host call it makes is that emit. */
class BuyAbove10 extends Strategy {
  static describe(): Metadata {
    return { name: 'buy-above-10', version: '1.0.0', symbols: ['AAPL'], barSeconds: 60 };
  }
  static init(): BuyAbove10 {
    return new BuyAbove10();
  }
  onBar(bar: Bar): void {
    if (bar.close > 10) {
      try {
        openLong(bar.symbol, 1);
      } catch {
        // Refused: the test queued the refusal.
      }
    }
  }
}

/** Runs the function its bar's close names (by index into `actions`), nothing for others. */
class Scripted extends Strategy {
  static describe(): Metadata {
    return BuyAbove10.describe();
  }
  static init(): Scripted {
    return new Scripted([]);
  }
  constructor(private readonly actions: Array<(() => void) | undefined>) {
    super();
  }
  onBar(bar: Bar): void {
    this.actions[bar.close]?.();
  }
}

/** Bars whose closes are 0, 1, 2, ...: `Scripted` runs `actions[i]` on bar `i`. */
function indexed(count: number): Bar[] {
  return bars('AAPL', Array.from({ length: count }, (_, i) => i));
}

test('a batch stops after the bar of an accepted signal and tells the host that bar', () => {
  reset();
  const strategy = new BuyAbove10();
  const batch = bars('AAPL', [9, 9.5, 11, 12, 13]);
  assert.equal(onBars(strategy, batch), 3);
  assert.deepEqual(handledBars(), [2]);
  // The rest, as the host sends it again: the first bar is the host's cursor already.
  assert.equal(onBars(strategy, batch.slice(3)), 1);
  assert.deepEqual(handledBars(), [2]);
  // A refused signal does not end the batch.
  rejectNext('position-limit', 'max_position_shares=1');
  assert.equal(onBars(strategy, batch.slice(2)), 2);
  assert.deepEqual(handledBars(), [2, 1]);
  assert.equal(signals().length, 3);
});

test('a batch without an accepted signal consumes every bar', () => {
  reset();
  assert.equal(onBars(new BuyAbove10(), bars('AAPL', [1, 2, 3, 4])), 4);
  assert.equal(onBars(new BuyAbove10(), []), 0);
  assert.deepEqual(handledBars(), []);
});

test('the host is told of a bar only before a call that answers as of it, once per bar', () => {
  reset();
  const strategy = new Scripted([
    // Bar 0 is where the host starts: never told.
    () => held('AAPL'),
    // Logging answers nothing as of a bar: not told.
    () => info('bar 1'),
    undefined,
    () => {
      held('AAPL');
      nowMs();
      workingOrders();
    },
    () => {
      try {
        cancel(5n);
      } catch {
        // Unknown to the mock: refused, but asked as of bar 4.
      }
    },
    () => {
      info('bar 5');
      nowMs();
    },
  ]);
  assert.equal(onBars(strategy, indexed(7)), 7);
  assert.deepEqual(handledBars(), [3, 4, 5]);
});

test('every call that answers as of a bar tells the host first', () => {
  const calls: Record<string, () => unknown> = {
    emit: () => emitLogged(Signal.openLong('AAPL', 1)),
    position: () => held('AAPL'),
    workingOrders: () => workingOrders(),
    cancel: () => {
      try {
        cancel(1n);
      } catch {
        // Refused or not, the host was asked.
      }
    },
    modify: () => {
      try {
        modify(1n, OrderChange.toQuantity(5));
      } catch {
        // Refused or not, the host was asked.
      }
    },
    nowMs: () => nowMs(),
  };
  for (const [name, call] of Object.entries(calls)) {
    reset();
    assert.equal(onBars(new Scripted([undefined, call]), indexed(3)), name === 'emit' ? 2 : 3, name);
    assert.deepEqual(handledBars(), [1], name);
  }
});

test('outside a batch, and after one, the host is never told of a bar', () => {
  reset();
  held('AAPL');
  nowMs();
  // A batch that ends on a bar where the strategy called nothing...
  onBars(new Scripted([undefined, () => held('AAPL')]), indexed(3));
  assert.deepEqual(handledBars(), [1]);
  // ...leaves no cursor behind: the next calls answer as before.
  held('AAPL');
  assert.deepEqual(handledBars(), [1]);
});

test('a batch that throws leaves no cursor behind', () => {
  reset();
  const strategy = new Scripted([
    undefined,
    () => held('AAPL'),
    () => {
      throw new TypeError('boom');
    },
  ]);
  // The error reaches the test, as from onBar itself.
  assert.throws(() => onBars(strategy, indexed(4)), TypeError);
  assert.deepEqual(handledBars(), [1]);
  // Bar 2 was never told; had the cursor stayed there, this would tell the host now.
  held('AAPL');
  assert.deepEqual(handledBars(), [1]);
});

test('a signal accepted through any helper ends the batch', () => {
  reset();
  const emits = new Scripted([undefined, undefined, () => Signal.stopLoss('AAPL', 1, 9).emit()]);
  assert.equal(onBars(emits, indexed(5)), 3);
  reset();
  const logged = new Scripted([() => emitLogged(Signal.openLong('AAPL', 1))]);
  assert.equal(onBars(logged, indexed(5)), 1);
  assert.deepEqual(handledBars(), []);
});
