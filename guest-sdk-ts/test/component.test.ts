// The world's exports as the host calls them: one instance, replaced by a successful init,
// none after a failed one, bars and fills without an instance ignored; refusals and crashes
// in handlers; on-bars over the author's onBar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bar, type Fill, type Metadata, type Params, Signal, Strategy, cancel, held, info } from 'sandtrade-guest';
import { asComponent, bar, bars, batched, handledBars, logs, rejectNext, reset, signals } from 'sandtrade-guest/testing';

/** Logs which instance (its `tag` param) saw each bar and fill. */
class Tagged extends Strategy {
  static describe(): Metadata {
    return { name: 'tagged', version: '1.0.0', symbols: ['AAPL'], barSeconds: 60 };
  }

  static init(params: Params): Tagged {
    params.denyUnknown(['tag', 'crash']);
    return new Tagged(params.get('tag', 'string'), params.getOr('crash', 'bool', false));
  }

  constructor(
    readonly tag: string,
    readonly crash: boolean,
  ) {
    super();
  }

  onBar(b: Bar): void {
    if (this.crash) throw new TypeError('boom');
    info(`${this.tag} bar ${b.close}`);
  }

  override onFill(fill: Fill): void {
    info(`${this.tag} fill ${fill.signalId}`);
  }
}

const fill: Fill = { signalId: 3n, symbol: 'AAPL', action: 'open-long', quantity: 1, price: 1, timeMs: 0n };

/** The `err` string of a refused init, as the component returns it. */
function refusal(run: () => void): string {
  try {
    run();
  } catch (e) {
    return (e as { payload: string }).payload;
  }
  assert.fail('init did not refuse');
}

test('describe is called without an instance', () => {
  assert.deepEqual(asComponent(Tagged).describe(), { name: 'tagged', version: '1.0.0', symbols: ['AAPL'], barSeconds: 60 });
});

test('bars and fills before any init are ignored', () => {
  reset();
  const world = asComponent(Tagged);
  world.onBar(bar('AAPL', 0, 1));
  // Ignored, so consumed: the host must not send them again.
  assert.equal(world.onBars(...batched(bars('AAPL', [1, 2, 3]))), 3);
  world.onFill(fill);
  assert.deepEqual(logs(), []);
});

test('a successful init replaces the instance; a failed one leaves none', () => {
  reset();
  const world = asComponent(Tagged);
  world.init([['tag', 'first']]);
  world.onBar(bar('AAPL', 0, 1));
  world.init([['tag', 'second']]);
  world.onBar(bar('AAPL', 0, 2));
  world.onFill(fill);
  assert.equal(refusal(() => world.init([['tagg', 'x']])), 'param `tagg`: unknown (known: tag, crash)');
  world.onBar(bar('AAPL', 0, 3));
  world.onFill(fill);
  assert.deepEqual(logs(), [
    ['info', 'first bar 1'],
    ['info', 'second bar 2'],
    ['info', 'second fill 3'],
  ]);
});

test('what init throws becomes the refusal the operator reads', () => {
  const refuses = (thrown: unknown) => {
    class Refuses extends Tagged {
      static override init(): Tagged {
        throw thrown;
      }
    }
    return refusal(() => asComponent(Refuses).init([]));
  };
  assert.equal(refuses(new Error('`fast` must be below `slow`')), '`fast` must be below `slow`');
  assert.equal(refuses('a plain string'), 'a plain string');
  assert.equal(refuses(new TypeError('x is undefined')), 'TypeError: x is undefined');
  assert.equal(refusal(() => asComponent(Tagged).init([])), 'param `tag`: missing');
});

test('init must return an instance', () => {
  class Forgets extends Tagged {
    static override init(): Tagged {
      return undefined as unknown as Tagged;
    }
  }
  assert.equal(
    refusal(() => asComponent(Forgets).init([])),
    'Forgets.init must return an instance (`return new Forgets(...)`), got undefined',
  );
});

test('a refusal that escapes onBar is logged and the strategy goes on', () => {
  reset();
  class Careless extends Tagged {
    static override init(): Careless {
      return new Careless('t', false);
    }
    override onBar(b: Bar): void {
      Signal.openLong(b.symbol, 1).emit();
      info('after');
    }
  }
  const world = asComponent(Careless);
  world.init([]);
  rejectNext('trading-halted', 'trading is halted');
  world.onBar(bar('AAPL', 0, 1));
  world.onBar(bar('AAPL', 0, 2));
  assert.deepEqual(logs(), [
    ['warn', 'open-long 1 AAPL: refused, trading-halted: trading is halted (not caught in onBar)'],
    ['info', 'after'],
  ]);
});

test('any other error in a handler is logged, then thrown (the call traps)', () => {
  reset();
  const world = asComponent(Tagged);
  world.init([
    ['tag', 't'],
    ['crash', 'true'],
  ]);
  assert.throws(() => world.onBar(bar('AAPL', 0, 1)), TypeError);
  const [[level, line]] = logs() as [[string, string]];
  assert.equal(level, 'error');
  assert.match(line, /^Tagged\.onBar threw TypeError: boom/);
});

test('onFill does nothing unless overridden', () => {
  class Quiet extends Strategy {
    static describe(): Metadata {
      return Tagged.describe();
    }
    static init(): Quiet {
      return new Quiet();
    }
    onBar(): void {}
  }
  reset();
  const world = asComponent(Quiet);
  world.init([]);
  world.onFill(fill);
  assert.deepEqual(logs(), []);
});

/** On each bar: logs its close, and does what the close says (see `onBar`). */
class Batched extends Strategy {
  static describe(): Metadata {
    return Tagged.describe();
  }
  static init(): Batched {
    return new Batched();
  }
  /** 1: emits (refused if the test queued a refusal); 2: cancels an unknown order; 3: crashes. */
  onBar(b: Bar): void {
    info(`bar ${b.close}`);
    if (b.close === 1) Signal.openLong(b.symbol, 1).emit();
    if (b.close === 2) {
      held(b.symbol);
      cancel(42n);
    }
    if (b.close === 3) throw new RangeError('bad bar');
  }
}

test('on-bars runs onBar per bar and stops after the bar of an accepted signal', () => {
  reset();
  const world = asComponent(Batched);
  world.init([]);
  assert.equal(world.onBars(...batched(bars('AAPL', [0, 0, 1, 0]))), 3);
  assert.deepEqual(handledBars(), [2]);
  assert.equal(signals().length, 1);
  assert.deepEqual(logs(), [
    ['info', 'bar 0'],
    ['info', 'bar 0'],
    ['info', 'bar 1'],
  ]);
});

test('refusals that escape onBar in a batch are logged and the batch goes on', () => {
  reset();
  const world = asComponent(Batched);
  world.init([]);
  rejectNext('trading-halted', 'trading is halted');
  assert.equal(world.onBars(...batched(bars('AAPL', [1, 2, 0]))), 3);
  assert.deepEqual(logs(), [
    ['info', 'bar 1'],
    ['warn', 'open-long 1 AAPL: refused, trading-halted: trading is halted (not caught in onBar)'],
    ['info', 'bar 2'],
    ['warn', 'cancel of signal 42: unknown-order (not caught in onBar)'],
    ['info', 'bar 0'],
  ]);
  assert.deepEqual(handledBars(), [1]);
});

test('a crash in a batch is logged, then thrown', () => {
  reset();
  const world = asComponent(Batched);
  world.init([]);
  assert.throws(() => world.onBars(...batched(bars('AAPL', [0, 3, 0]))), RangeError);
  const lines = logs();
  assert.equal(lines.length, 3, JSON.stringify(lines));
  assert.equal(lines[2]![0], 'error');
  assert.match(lines[2]![1], /^Batched\.onBar threw RangeError: bad bar/);
});

/** Keeps every bar it is handed. */
class Keeps extends Strategy {
  static seen: Bar[] = [];
  static describe(): Metadata {
    return { name: 'keeps', version: '1.0.0', symbols: ['AAPL', '0700.HK'], barSeconds: 60 };
  }
  static init(): Keeps {
    return new Keeps();
  }
  onBar(b: Bar): void {
    Keeps.seen.push(b);
  }
}

test('on-bars hands onBar each bar whole: symbol and market from the call, prices from the columns', () => {
  reset();
  Keeps.seen = [];
  const world = asComponent(Keeps);
  world.init([]);
  const sent: Bar[] = [
    { ...bar('0700.HK', 0, 400), open: 398, high: 401, low: 397, volume: 1200 },
    bar('AAPL', 0, 190),
    bar('0700.HK', 60_000, 402),
  ];
  const [symbols, source, columns] = batched(sent);
  assert.deepEqual(symbols, [{ symbol: '0700.HK', market: 'hk-stock' }, { symbol: 'AAPL', market: 'us-stock' }]);
  assert.deepEqual([...columns.symbol], [0, 1, 0]);
  assert.equal(world.onBars(symbols, source, columns), 3);
  assert.deepEqual(Keeps.seen, sent);
});
