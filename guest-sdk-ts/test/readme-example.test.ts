// The example strategies of README.md's "Protective orders and cancels" and "Moving a stop",
// their classes word for word (the last test checks it), under the mock host.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type Bar,
  type Fill,
  type Metadata,
  ModifyRefused,
  OrderChange,
  Params,
  Signal,
  Strategy,
  cancel,
  emitLogged,
  held,
  info,
  modify,
  warn,
  workingOrders,
} from 'sandtrade-guest';
import { bar, cancels, fillAccepted, fillOne, logs, modifies, reset, takeSignals } from 'sandtrade-guest/testing';

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

/**
 * Buys 100 AAPL on the first bar and keeps a stop-loss `pct` % under the fill at IB, raised to
 * `pct` % under each higher close.
 */
export class RaisedStop extends Strategy {
  static describe(): Metadata {
    return { name: 'raised-stop', version: '0.1.0', symbols: ['AAPL'], barSeconds: 60 };
  }

  static init(params: Params): RaisedStop {
    return new RaisedStop(params.getOr('pct', 'f64', 2));
  }

  private bought = false;
  /** The resting stop's signal id and trigger, while there is one. */
  private stop: { id: bigint; trigger: number } | undefined;

  constructor(private readonly pct: number) {
    super();
  }

  /** `pct` % under `price`, in cents. */
  private under(price: number): number {
    return Math.round(price * (100 - this.pct)) / 100;
  }

  onBar(bar: Bar): void {
    if (!this.bought) {
      this.bought = emitLogged(Signal.openLong(bar.symbol, 100).reason('entry')) !== undefined;
      return;
    }
    const stop = this.stop;
    const trigger = this.under(bar.close);
    // Nothing to protect, or a stop that would move down: a stop is raised, never lowered.
    if (stop === undefined || trigger <= stop.trigger) return;
    try {
      const outcome = modify(stop.id, OrderChange.to({ tag: 'stop', val: trigger }));
      info(() => `stop ${stop.id} raised to ${trigger}: ${outcome}`);
      stop.trigger = trigger;
    } catch (e) {
      if (!(e instanceof ModifyRefused)) throw e;
      // `pending`: IB has not acknowledged the stop or its last change; a later bar tries again.
      // `already-ended`: it triggered, and its fill is on its way to onFill.
      if (e.refusal === 'refused') warn(() => e.describe());
    }
  }

  override onFill(fill: Fill): void {
    if (fill.action === 'open-long') {
      const trigger = this.under(fill.price);
      const id = emitLogged(Signal.stopLoss(fill.symbol, fill.quantity, trigger).reason(`${this.pct}% under the entry`));
      if (id !== undefined) this.stop = { id, trigger };
    } else if (fill.signalId === this.stop?.id) {
      this.stop = undefined;
    }
  }
}

function bought(): RaisedStop {
  reset();
  const s = RaisedStop.init(Params.from({}));
  s.onBar(bar('AAPL', 0, 100));
  for (const fill of fillAccepted(100)) s.onFill(fill);
  return s;
}

test('the stop is raised behind the close and never lowered', () => {
  const s = bought();
  assert.deepEqual(workingOrders().map((o) => [o.signalId, o.orderType]), [[2n, { tag: 'stop', val: 98 }]]);
  [103, 101, 105].forEach((close, i) => s.onBar(bar('AAPL', (i + 1) * 60_000, close)));
  assert.deepEqual(
    modifies().map(([id, change]) => [id, String(change)]),
    [
      [2n, 'stop 100.94'],
      [2n, 'stop 102.9'],
    ],
  );
  assert.deepEqual(workingOrders().map((o) => o.orderType), [{ tag: 'stop', val: 102.9 }]);
});

test('a stop that triggered before its change is left alone', () => {
  const s = bought();
  // Triggered at IB; onFill has not seen its fill yet, so the change is refused as already-ended.
  const fill = fillOne(2n, 97.9);
  s.onBar(bar('AAPL', 60_000, 104));
  assert.deepEqual(logs().filter(([level]) => level !== 'info'), []);
  s.onFill(fill!);
  s.onBar(bar('AAPL', 120_000, 110));
  assert.equal(modifies().length, 1);
  assert.equal(held('AAPL'), 0);
});

test("the classes are README.md's, word for word", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const here = readFileSync(new URL(import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/^```ts\n(.*?)^```/gms)].map((m) => m[1]!);
  for (const name of ['DipWithStop', 'RaisedStop']) {
    const block = blocks.find((b) => b.includes(`export class ${name} `));
    assert.ok(block !== undefined, `README.md has no block with the class ${name}`);
    // From the class's doc comment to the end of the block: the imports differ.
    const cls = block.slice(block.indexOf('\n/**') + 1);
    assert.ok(cls.startsWith('/**') && here.includes(cls), `${name} differs from README.md's`);
  }
});
