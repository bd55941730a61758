// The indicators, against hand-computed values, published worked examples, brute force, and
// the NaN rules; the same cases as the Rust SDK's tests, since both must agree bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ema, RollingHigh, RollingLow, Rsi, Sma } from 'sandtrade-guest';

/** A deterministic pseudo-random walk: the Rust tests' xorshift, in 64-bit bigints. */
function walk(n: number): number[] {
  const mask = (1n << 64n) - 1n;
  let s = 0x9e37_79b9_7f4a_7c15n;
  let price = 100.0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= (s << 13n) & mask;
    s ^= s >> 7n;
    s ^= (s << 17n) & mask;
    price += Number(s % 2001n) / 1000.0 - 1.0;
    out.push(price);
  }
  return out;
}

function feed(xs: readonly number[], update: (x: number) => number | undefined): Array<number | undefined> {
  return xs.map((x) => update(x));
}

/** Rounds to cents, as published reference tables are. */
function cents(x: number | undefined): number {
  assert.notEqual(x, undefined, 'warmed up');
  return Math.round(x! * 100) / 100;
}

test('sma known values', () => {
  const sma = new Sma(3);
  assert.deepEqual(feed([1, 2, 3, 4, 5, 9], (x) => sma.update(x)), [undefined, undefined, 2, 3, 4, 6]);
  assert.equal(sma.value(), 6);
  assert.ok(sma.isReady());
  assert.equal(sma.period, 3);
  sma.reset();
  assert.equal(sma.value(), undefined);
});

test('sma matches brute force', () => {
  const xs = walk(500);
  const sma = new Sma(7);
  xs.forEach((x, i) => {
    const got = sma.update(x);
    if (i + 1 < 7) return assert.equal(got, undefined);
    const want = xs.slice(i + 1 - 7, i + 1).reduce((a, b) => a + b, 0) / 7;
    assert.ok(Math.abs(got! - want) <= 1e-9, `at ${i}: ${got} vs ${want}`);
  });
});

test('sma running sum is re-added every period, oldest first', () => {
  // 10 values warm it up; each of the next 1,000,000 slides the window, and every 10th re-adds
  // the sum from the window: after the last one it is the fresh sum, bit for bit.
  const xs = walk(1_000_010);
  const sma = new Sma(10);
  let last: number | undefined;
  for (const x of xs) last = sma.update(x);
  let fresh = -0;
  for (const x of xs.slice(-10)) fresh += x;
  assert.equal(last, fresh / 10);
});

test('sma recovers once a NaN left the window', () => {
  const sma = new Sma(2);
  const out = feed([1, NaN, 3, 5, 7], (x) => sma.update(x));
  assert.equal(out[0], undefined);
  assert.ok(Number.isNaN(out[1]) && Number.isNaN(out[2]));
  assert.deepEqual(out.slice(3), [4, 6]);
});

test('ema worked example to the cent', () => {
  // The 10-period EMA worked example from StockCharts ("Moving Averages - Simple and
  // Exponential"); its table rounds intermediate values, so its 23.54 is 23.53 unrounded.
  const prices = [
    22.27, 22.19, 22.08, 22.17, 22.18, 22.13, 22.23, 22.43, 22.24, 22.29, 22.15, 22.39, 22.38, 22.61,
    23.36, 24.05, 23.75, 23.83, 23.95, 23.63, 23.82, 23.87, 23.65, 23.19, 23.1, 23.33, 22.68, 23.1,
    22.4, 22.17,
  ];
  const want = [
    22.22, 22.21, 22.24, 22.27, 22.33, 22.52, 22.8, 22.97, 23.13, 23.28, 23.34, 23.43, 23.51, 23.53,
    23.47, 23.4, 23.39, 23.26, 23.23, 23.08, 22.92,
  ];
  const ema = new Ema(10);
  const out = feed(prices, (p) => ema.update(p));
  assert.deepEqual(out.slice(0, 9), Array(9).fill(undefined));
  assert.deepEqual(out.slice(9).map(cents), want);
  // The exact double the Rust SDK's test pins.
  assert.equal(out[22], 23.533519922826255);
});

test('ema small exact', () => {
  const ema = new Ema(3); // alpha 0.5, seeded with mean(1, 2, 3) = 2
  assert.deepEqual(feed([1, 2, 3, 4, 6], (x) => ema.update(x)), [undefined, undefined, 2, 3, 4.5]);
  ema.reset();
  assert.ok(!ema.isReady());
});

test('ema stays NaN after a NaN until reset', () => {
  const ema = new Ema(2);
  const out = feed([1, 3, NaN, 5, 7], (x) => ema.update(x));
  assert.deepEqual(out.slice(0, 2), [undefined, 2]);
  assert.ok(out.slice(2).every(Number.isNaN));
  ema.reset();
  assert.deepEqual(feed([1, 3], (x) => ema.update(x)), [undefined, 2]);
});

test('rsi Wilder worked example to the cent', () => {
  const prices = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826, 45.8931,
    46.0328, 45.614, 46.282, 46.282, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122, 46.2521,
    45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314,
  ];
  const want = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46,
    41.87, 45.46, 37.3, 33.08, 37.77,
  ];
  const rsi = new Rsi(14);
  const out = feed(prices, (p) => rsi.update(p));
  assert.deepEqual(out.slice(0, 14), Array(14).fill(undefined), 'needs 15 prices');
  assert.deepEqual(out.slice(14).map(cents), want);
});

test('rsi Wilder smoothing exact', () => {
  // Changes +2, -1 (the seed: avg gain 1, avg loss 0.5, RS 2), then +2 (gain 1.5, loss 0.25,
  // RS 6), then 0 (gain 0.75, loss 0.125, RS 6).
  const rsi = new Rsi(2);
  const rsiOf = (rs: number) => 100 - 100 / (1 + rs);
  assert.deepEqual(feed([10, 12, 11, 13, 13], (x) => rsi.update(x)), [undefined, undefined, rsiOf(2), rsiOf(6), rsiOf(6)]);
  assert.equal(rsiOf(2), 100 - 100 / 3);
});

test('rsi edges', () => {
  const up = new Rsi(3);
  assert.deepEqual(feed([1, 2, 3, 4, 5], (x) => up.update(x)), [undefined, undefined, undefined, 100, 100]);
  const down = new Rsi(2);
  assert.deepEqual(feed([5, 4, 3], (x) => down.update(x)), [undefined, undefined, 0]);
  const flat = new Rsi(2);
  feed([7, 7, 7], (x) => flat.update(x));
  assert.equal(flat.value(), 50);
  // period 1: gain 2, loss 0 -> 100; then loss 1 -> avg gain 0, avg loss 1 -> 0.
  const one = new Rsi(1);
  assert.deepEqual(feed([1, 3, 2], (x) => one.update(x)), [undefined, 100, 0]);
  one.reset();
  assert.equal(one.value(), undefined);
});

test('rsi treats a NaN price as no change', () => {
  const withNan = new Rsi(2);
  const flat = new Rsi(2);
  const a = feed([10, 12, NaN, 9], (x) => withNan.update(x));
  const b = feed([10, 12, 12, 12], (x) => flat.update(x));
  assert.deepEqual(a, b);
  assert.equal(a[3], 100);
});

test('rolling extremes known values', () => {
  const hi = new RollingHigh(3);
  const lo = new RollingLow(3);
  const xs = [5, 1, 3, 2, 4, 4, 0, 6];
  assert.deepEqual(feed(xs, (x) => hi.update(x)), [undefined, undefined, 5, 3, 4, 4, 4, 6]);
  assert.deepEqual(feed(xs, (x) => lo.update(x)), [undefined, undefined, 1, 1, 2, 2, 0, 0]);
  assert.equal(hi.window, 3);
  hi.reset();
  assert.equal(hi.value(), undefined);
});

test('rolling extremes match brute force', () => {
  const xs = walk(2_000);
  for (const window of [1, 2, 5, 64]) {
    const hi = new RollingHigh(window);
    const lo = new RollingLow(window);
    xs.forEach((x, i) => {
      const h = hi.update(x);
      const l = lo.update(x);
      if (i + 1 < window) return assert.deepEqual([h, l], [undefined, undefined]);
      const w = xs.slice(i + 1 - window, i + 1);
      assert.equal(h, Math.max(...w));
      assert.equal(l, Math.min(...w));
    });
  }
});

test('rolling deque stays bounded', () => {
  // Monotonically decreasing input is the worst case for a rolling max deque.
  const hi = new RollingHigh(10);
  for (let i = 0; i < 10_000; i++) {
    hi.update(-i);
    assert.ok(hi.candidates <= 10);
  }
  assert.equal(hi.value(), -9_990);
});

test('rolling extremes skip NaN', () => {
  const hi = new RollingHigh(3);
  const lo = new RollingLow(3);
  const xs = [10, NaN, 5, NaN, NaN, NaN, 2];
  assert.deepEqual(feed(xs, (x) => hi.update(x)), [undefined, undefined, 10, 5, 5, undefined, 2]);
  assert.deepEqual(feed(xs, (x) => lo.update(x)), [undefined, undefined, 5, 5, 5, undefined, 2]);
});

test('a period below 1 is refused', () => {
  assert.throws(() => new Sma(0), /Sma: period must be at least 1/);
  assert.throws(() => new Ema(-1), /Ema: period must be at least 1/);
  assert.throws(() => new Rsi(1.5), /Rsi: period must be at least 1/);
  assert.throws(() => new RollingHigh(0), /RollingHigh: period must be at least 1/);
  assert.throws(() => new RollingLow(0), /RollingLow: period must be at least 1/);
});
