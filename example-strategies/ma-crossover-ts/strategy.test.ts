// The crossover's decisions, through the SDK's mock host: the same cases as the Rust twin's
// tests, with the same expected signals and log lines.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Params, Signal } from 'sandtrade-guest';
import { bar, fillAccepted, logs, positionQueries, rejectNext, reset, setPosition, sidecarParams, signals, takeLogs, takeSignals } from 'sandtrade-guest/testing';
import { MaCrossover } from './strategy.ts';

function strategy(params: Record<string, string>): MaCrossover {
  return MaCrossover.init(Params.from(params));
}

/** Feeds the closes of `symbol` as consecutive one-minute bars from `firstMinute`. */
function feed(s: MaCrossover, symbol: string, firstMinute: number, closes: number[]): void {
  closes.forEach((close, i) => s.onBar(bar(symbol, (firstMinute + i) * 60_000, close)));
}

test('describes itself', () => {
  assert.deepEqual(MaCrossover.describe(), { name: 'ma-crossover-ts', version: '0.1.0', symbols: ['AAPL', 'MSFT'], barSeconds: 60 });
});

test('buys on the upward cross and sells on the downward one', () => {
  reset();
  const s = strategy({ fast: '2', slow: '3', quantity: '10' });
  // SMA2:  -, 10, 10, 9.5, 10.5 | 12.5, 10.5
  // SMA3:  -,  -, 10, 9.67, 10.33 | 11.33, 11   -> up at the 5th close, down at the 7th
  feed(s, 'AAPL', 0, [10, 10, 10, 9, 12]);
  assert.deepEqual(takeSignals(), [Signal.openLong('AAPL', 10).reason('SMA2 10.50 crossed above SMA3 10.33')]);

  const fills = fillAccepted(12.0);
  s.onFill(fills[0]!);
  feed(s, 'AAPL', 5, [13, 8]);
  assert.deepEqual(takeSignals(), [Signal.closeLong('AAPL').reason('SMA2 10.50 crossed below SMA3 11.00')]);
  assert.deepEqual(logs(), [
    ['info', 'open-long 10 AAPL: accepted as signal 1 (SMA2 10.50 crossed above SMA3 10.33)'],
    ['info', 'signal 1: open-long 10 AAPL filled at 12'],
    ['info', 'close-long AAPL: accepted as signal 2 (SMA2 10.50 crossed below SMA3 11.00)'],
  ]);
});

test('does not sell when flat nor buy when holding', () => {
  reset();
  const s = strategy({ fast: '2', slow: '3', quantity: '10' });
  // Down-cross while flat: nothing to sell.
  feed(s, 'MSFT', 0, [10, 10, 11, 12, 8]);
  assert.deepEqual(signals(), []);
  // Up-cross while already holding (bought elsewhere): no second entry.
  setPosition('MSFT', 10, 9.0);
  feed(s, 'MSFT', 5, [20]);
  assert.deepEqual(signals(), []);
});

test('symbols keep their own averages', () => {
  reset();
  const s = strategy({ fast: '2', slow: '3', quantity: '7' });
  // Interleaved: AAPL crosses up on its 5th bar; MSFT, flat at 50, never crosses.
  [10, 10, 10, 9, 12].forEach((close, minute) => {
    s.onBar(bar('AAPL', minute * 60_000, close));
    s.onBar(bar('MSFT', minute * 60_000, 50));
  });
  const sent = signals();
  assert.equal(sent.length, 1);
  assert.deepEqual([sent[0]!.symbol, sent[0]!.quantity], ['AAPL', 7]);
});

test('a refusal is logged and the next cross tries again', () => {
  reset();
  const s = strategy({ fast: '2', slow: '3', quantity: '10' });
  rejectNext('trading-halted', 'trading is halted');
  feed(s, 'AAPL', 0, [10, 10, 10, 9, 12]);
  assert.deepEqual(signals(), []);
  assert.deepEqual(takeLogs(), [['warn', 'open-long 10 AAPL: refused, trading-halted: trading is halted']]);
  // Down at 6 (SMA2 9 is not above SMA3 9), up again at 15 (SMA2 13.5 > SMA3 11).
  feed(s, 'AAPL', 5, [6, 12, 15]);
  assert.equal(signals().length, 1);
});

test('ignores symbols it did not declare', () => {
  reset();
  const s = strategy({});
  s.onBar(bar('TSLA', 0, 1));
  assert.deepEqual(logs(), [['warn', 'ignored a bar of TSLA: not one of ["AAPL", "MSFT"]']]);
});

test('accepts the params of its sidecar', () => {
  const text = readFileSync(new URL('./ma_crossover_ts.toml', import.meta.url), 'utf8');
  const params = sidecarParams(text);
  assert.deepEqual([...params], [
    ['fast', '10'],
    ['quantity', '100'],
    ['slow', '30'],
  ]);
  assert.ok(MaCrossover.init(params) instanceof MaCrossover);
});

test('refuses bad params by name', () => {
  const err = (params: Record<string, string>): string | undefined => {
    try {
      strategy(params);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(err({ fast: '30', slow: '10' }), 'param `slow`: must be greater than fast (30), got `10`');
  assert.equal(err({ fast: '0' }), 'param `fast`: must be at least 1, got `0`');
  assert.equal(err({ quantity: '-5' }), 'param `quantity`: expected u32, got `-5`');
  assert.equal(err({ quantity: '0' }), 'param `quantity`: must be at least 1, got `0`');
  assert.equal(err({ fast: 'ten' }), 'param `fast`: expected usize, got `ten`');
  assert.equal(err({ qty: '5' }), 'param `qty`: unknown (known: fast, slow, quantity)');
  assert.equal(err({}), undefined, 'the defaults are valid');
});

test('asks for the position only on a crossing', () => {
  reset();
  const s = strategy({ fast: '2', slow: '3', quantity: '10' });
  // Seven bars, two crossings (up at the 5th close, down at the 7th): two questions.
  feed(s, 'AAPL', 0, [10, 10, 10, 9, 12, 13, 8]);
  assert.equal(positionQueries(), 2);
  assert.equal(signals().length, 1, 'bought on the way up; flat (unfilled) on the way down');
});
