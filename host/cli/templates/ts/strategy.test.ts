// {{name}} under the SDK's mock host: no Sandtrade host needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Params } from 'sandtrade-guest';
import { bars, reset, takeSignals } from 'sandtrade-guest/testing';
import { SmaTrend } from './strategy.ts';

test('buys when the close crosses above its average', () => {
  reset();
  const strategy = SmaTrend.init(Params.from({ period: '3', quantity: '5' }));
  for (const bar of bars('AAPL', [10, 10, 10, 9, 12])) strategy.onBar(bar);
  const signals = takeSignals();
  assert.equal(signals.length, 1);
  assert.equal(signals[0]!.action, 'open-long');
  assert.equal(signals[0]!.quantity, 5);
});
