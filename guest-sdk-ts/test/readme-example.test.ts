// The example strategy of README.md's "Protective orders and cancels", its class word for word,
// under the mock host: keep the two in step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bar, type Fill, type Metadata, Params, Signal, Strategy, cancel, emitLogged, held, workingOrders } from 'sandtrade-guest';
import { bar, cancels, fillAccepted, fillOne, reset, takeSignals } from 'sandtrade-guest/testing';

/** Buys 100 AAPL below `entry`, keeps a stop-loss 2% under the fill at IB, sells at `target`. */
export class DipWithStop extends Strategy {
  static describe(): Metadata {
    return { name: 'dip-with-stop', version: '0.1.0', symbols: ['AAPL'], barSeconds: 60 };
  }

  static init(params: Params): DipWithStop {
    return new DipWithStop(params.get('entry', 'f64'), params.get('target', 'f64'));
  }

  /** The resting stop's signal id, while there is one. */
  private stop: bigint | undefined;

  constructor(
    private readonly entry: number,
    private readonly target: number,
  ) {
    super();
  }

  onBar(bar: Bar): void {
    if (held(bar.symbol) === 0) {
      if (bar.close < this.entry) emitLogged(Signal.openLong(bar.symbol, 100).reason('dip'));
      return;
    }
    if (bar.close < this.target) return;
    if (this.stop !== undefined) {
      // While the stop rests its shares count as being sold, and the host refuses to sell them
      // twice: cancel it first, and sell once it has ended (at once if it never left the host;
      // once IB confirms, on a later bar, if the cancel was `requested`).
      const resting = workingOrders().find((order) => order.signalId === this.stop);
      if (resting?.state === 'cancelling') return;
      if (resting !== undefined && cancel(resting.signalId) === 'requested') return;
      this.stop = undefined;
    }
    emitLogged(Signal.closeLong(bar.symbol).reason('target'));
  }

  override onFill(fill: Fill): void {
    if (fill.action === 'open-long') {
      // Protect the new shares at IB, also while the host is down.
      const trigger = fill.price * 0.98;
      this.stop = emitLogged(Signal.stopLoss(fill.symbol, fill.quantity, trigger).reason('2% under the entry'));
    } else if (fill.signalId === this.stop) {
      this.stop = undefined;
    }
  }
}

function started(): DipWithStop {
  reset();
  const s = DipWithStop.init(Params.from({ entry: '100', target: '104' }));
  s.onBar(bar('AAPL', 0, 99));
  for (const fill of fillAccepted(99)) s.onFill(fill);
  return s;
}

test('the entry fill places a good-till-cancelled stop 2% under it', () => {
  started();
  assert.deepEqual(takeSignals().map(String), ['open-long 100 AAPL', 'reduce-long 100 AAPL stop 97.02 gtc']);
  assert.deepEqual(workingOrders().map((o) => [o.signalId, o.timeInForce]), [[2n, 'gtc']]);
});

test('at the target the stop is cancelled, then the position sold', () => {
  const s = started();
  takeSignals();
  s.onBar(bar('AAPL', 60_000, 102));
  assert.deepEqual([cancels(), takeSignals()], [[], []]);
  s.onBar(bar('AAPL', 120_000, 105));
  assert.deepEqual(cancels(), [2n]);
  assert.deepEqual(takeSignals().map(String), ['close-long AAPL']);
  fillAccepted(105);
  assert.equal(held('AAPL'), 0);
});

test('a triggered stop ends the position, and nothing is left to cancel', () => {
  const s = started();
  const fill = fillOne(2n, 97);
  assert.notEqual(fill, undefined);
  s.onFill(fill!);
  assert.equal(held('AAPL'), 0);
  // Below the entry again: a new entry, no cancel of the stop that filled.
  s.onBar(bar('AAPL', 60_000, 96));
  assert.deepEqual(cancels(), []);
  assert.deepEqual(takeSignals().map(String), ['open-long 100 AAPL', 'reduce-long 100 AAPL stop 97.02 gtc', 'open-long 100 AAPL']);
});
