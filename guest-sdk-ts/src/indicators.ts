// Streaming technical indicators: feed one value per bar with `update`, which returns
// `undefined` until the indicator has seen enough values (it is "warmed up"), then the current
// value. `value()` returns the last value without feeding anything. All are O(1) per update
// (amortized for the rolling extremes) and allocate only their window at construction.
//
// The arithmetic is the Rust SDK's (guest-sdk/src/indicators.rs), operation for operation and
// in the same order, so that a strategy makes the same decisions on the same bars whichever
// SDK it was written with. Keep it that way when changing either.
//
// Feed finite numbers. What a NaN does, if one slips in:
// - Sma: the average is NaN while the NaN is in the window, and correct again once it left;
// - Ema: every later value is NaN until `reset()`;
// - Rsi: the price change into and out of a NaN counts as no change;
// - RollingHigh, RollingLow: a NaN takes its slot in the window but is never the extreme; a
//   window holding only NaNs has no value (`undefined`).
//
//   const high = new RollingHigh(20);
//   // A breakout compares the close with the high of the *previous* bars: read, then update.
//   const prior = high.value();
//   const breakout = prior !== undefined && bar.close > prior;
//   high.update(bar.high);

function checkPeriod(period: number, what: string): void {
  if (!Number.isInteger(period) || period < 1) {
    throw new RangeError(`${what}: period must be at least 1 (a whole number), got ${period}`);
  }
}

/** A fixed-capacity double-ended queue of numbers in a ring buffer (Rust's `VecDeque`). */
class RingDeque {
  private readonly slots: Float64Array;
  private head = 0;
  length = 0;

  constructor(capacity: number) {
    this.slots = new Float64Array(capacity);
  }

  /** The `i`-th value from the front (0 is the oldest). */
  at(i: number): number {
    return this.slots[(this.head + i) % this.slots.length]!;
  }

  front(): number {
    return this.at(0);
  }

  back(): number {
    return this.at(this.length - 1);
  }

  pushBack(x: number): void {
    this.slots[(this.head + this.length) % this.slots.length] = x;
    this.length++;
  }

  popFront(): number {
    const x = this.slots[this.head]!;
    this.head = (this.head + 1) % this.slots.length;
    this.length--;
    return x;
  }

  popBack(): void {
    this.length--;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }
}

/**
 * Simple moving average of the last `period` values.
 *
 * Kept as a running sum, re-added from the window every `period` updates so that rounding
 * errors cannot pile up over a long backtest (and a NaN leaves the sum with the window).
 */
export class Sma {
  readonly period: number;
  private readonly window: RingDeque;
  private sum = 0;
  /** Values dropped from the window since the sum was last re-added from scratch. */
  private slides = 0;

  /** An SMA over `period` values. Throws a `RangeError` if `period` is not at least 1. */
  constructor(period: number) {
    checkPeriod(period, 'Sma');
    this.period = period;
    this.window = new RingDeque(period + 1);
  }

  /** Feeds `x`; the average of the last `period` values once `period` values were fed. */
  update(x: number): number | undefined {
    this.window.pushBack(x);
    if (this.window.length <= this.period) {
      this.sum += x;
      return this.value();
    }
    const old = this.window.popFront();
    this.slides += 1;
    if (this.slides >= this.period || !Number.isFinite(old)) {
      // Rust's `iter().sum()`: oldest to newest, starting from -0.0 (its float `Sum` starts
      // there; the sign of a zero sum is the only thing that start changes).
      let sum = -0;
      for (let i = 0; i < this.window.length; i++) sum += this.window.at(i);
      this.sum = sum;
      this.slides = 0;
    } else {
      this.sum += x - old;
    }
    return this.value();
  }

  /** The current average, `undefined` until warmed up. */
  value(): number | undefined {
    return this.isReady() ? this.sum / this.period : undefined;
  }

  /** Whether `period` values have been fed. */
  isReady(): boolean {
    return this.window.length === this.period;
  }

  /** Forgets all values. */
  reset(): void {
    this.window.clear();
    this.sum = 0;
    this.slides = 0;
  }
}

/**
 * Exponential moving average with `alpha = 2 / (period + 1)`, seeded with the simple average
 * of the first `period` values (the usual charting convention).
 */
export class Ema {
  readonly period: number;
  private readonly alpha: number;
  private seen = 0;
  private seedSum = 0;
  private current: number | undefined = undefined;

  /** An EMA over `period` values. Throws a `RangeError` if `period` is not at least 1. */
  constructor(period: number) {
    checkPeriod(period, 'Ema');
    this.period = period;
    this.alpha = 2.0 / (period + 1.0);
  }

  /** Feeds `x`; the EMA once `period` values were fed. */
  update(x: number): number | undefined {
    if (this.current !== undefined) {
      const prev = this.current;
      this.current = prev + this.alpha * (x - prev);
    } else {
      this.seen += 1;
      this.seedSum += x;
      if (this.seen === this.period) {
        this.current = this.seedSum / this.period;
      }
    }
    return this.current;
  }

  /** The current EMA, `undefined` until warmed up. */
  value(): number | undefined {
    return this.current;
  }

  /** Whether `period` values have been fed. */
  isReady(): boolean {
    return this.current !== undefined;
  }

  /** Forgets all values. */
  reset(): void {
    this.seen = 0;
    this.seedSum = 0;
    this.current = undefined;
  }
}

/** Rust's `f64::max`: when one side is NaN, the other (`Math.max` would give NaN). */
function maxNum(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

/**
 * Relative strength index with Wilder's smoothing, from 0 to 100.
 *
 * The first value needs `period + 1` prices (`period` changes, simple-averaged); after that
 * the average gain and loss are smoothed as `avg = (avg * (period - 1) + change) / period`.
 * With no losses in the window the RSI is 100; with neither gains nor losses it is 50.
 */
export class Rsi {
  readonly period: number;
  private prev: number | undefined = undefined;
  private changes = 0;
  private avgGain = 0;
  private avgLoss = 0;
  private current: number | undefined = undefined;

  /** An RSI over `period` changes (14 is the classic). Throws a `RangeError` if `period` < 1. */
  constructor(period: number) {
    checkPeriod(period, 'Rsi');
    this.period = period;
  }

  /** Feeds a price; the RSI once `period + 1` prices were fed. */
  update(price: number): number | undefined {
    const prev = this.prev;
    this.prev = price;
    if (prev === undefined) return undefined;
    const change = price - prev;
    const gain = maxNum(change, 0.0);
    const loss = maxNum(-change, 0.0);
    const n = this.period;
    if (this.changes < this.period) {
      this.changes += 1;
      this.avgGain += gain / n;
      this.avgLoss += loss / n;
      if (this.changes < this.period) {
        return undefined;
      }
    } else {
      this.avgGain = (this.avgGain * (n - 1.0) + gain) / n;
      this.avgLoss = (this.avgLoss * (n - 1.0) + loss) / n;
    }
    let rsi: number;
    if (this.avgLoss === 0.0) {
      rsi = this.avgGain === 0.0 ? 50.0 : 100.0;
    } else {
      rsi = 100.0 - 100.0 / (1.0 + this.avgGain / this.avgLoss);
    }
    this.current = rsi;
    return this.current;
  }

  /** The current RSI, `undefined` until warmed up. */
  value(): number | undefined {
    return this.current;
  }

  /** Whether `period + 1` prices have been fed. */
  isReady(): boolean {
    return this.current !== undefined;
  }

  /** Forgets all values. */
  reset(): void {
    this.prev = undefined;
    this.changes = 0;
    this.avgGain = 0;
    this.avgLoss = 0;
    this.current = undefined;
  }
}

/** The extreme of a sliding window, kept in a monotonic deque: O(1) amortized per update. */
class RollingExtreme {
  readonly window: number;
  private count = 0;
  /**
   * Indices and values of the candidates, most extreme first: a new value evicts every
   * older value it beats, so the front is the extreme of the window.
   */
  private readonly indices: RingDeque;
  private readonly values: RingDeque;

  constructor(
    window: number,
    what: string,
    /** Whether `old` stays in front of `young` (is at least as extreme). */
    private readonly keeps: (old: number, young: number) => boolean,
  ) {
    checkPeriod(window, what);
    this.window = window;
    this.indices = new RingDeque(window + 1);
    this.values = new RingDeque(window + 1);
  }

  update(x: number): number | undefined {
    // A NaN compares false with everything: pushed, it would evict the real extreme.
    // It takes its slot (the count) but never enters the deque.
    if (!Number.isNaN(x)) {
      while (this.values.length > 0 && !this.keeps(this.values.back(), x)) {
        this.values.popBack();
        this.indices.popBack();
      }
      this.values.pushBack(x);
      this.indices.pushBack(this.count);
    }
    this.count += 1;
    const oldestKept = Math.max(this.count - this.window, 0);
    while (this.indices.length > 0 && this.indices.front() < oldestKept) {
      this.indices.popFront();
      this.values.popFront();
    }
    return this.value();
  }

  value(): number | undefined {
    if (this.count >= this.window && this.values.length > 0) return this.values.front();
    return undefined;
  }

  /** How many candidates the deque holds (for tests: never more than the window). */
  get candidates(): number {
    return this.values.length;
  }

  reset(): void {
    this.count = 0;
    this.indices.clear();
    this.values.clear();
  }
}

/** The highest of the last `window` values. */
export class RollingHigh {
  private readonly extreme: RollingExtreme;

  /** A rolling maximum over `window` values. Throws a `RangeError` if `window` < 1. */
  constructor(window: number) {
    this.extreme = new RollingExtreme(window, 'RollingHigh', (old, young) => old > young);
  }

  /** Feeds `x`; the maximum of the last `window` values once `window` values were fed. */
  update(x: number): number | undefined {
    return this.extreme.update(x);
  }

  /** The current maximum, `undefined` until warmed up. */
  value(): number | undefined {
    return this.extreme.value();
  }

  /** Whether `window` values have been fed (and not all of them were NaN). */
  isReady(): boolean {
    return this.extreme.value() !== undefined;
  }

  /** The window length. */
  get window(): number {
    return this.extreme.window;
  }

  /** Forgets all values. */
  reset(): void {
    this.extreme.reset();
  }

  /** @internal How many candidates the deque holds; for tests. */
  get candidates(): number {
    return this.extreme.candidates;
  }
}

/** The lowest of the last `window` values. */
export class RollingLow {
  private readonly extreme: RollingExtreme;

  /** A rolling minimum over `window` values. Throws a `RangeError` if `window` < 1. */
  constructor(window: number) {
    this.extreme = new RollingExtreme(window, 'RollingLow', (old, young) => old < young);
  }

  /** Feeds `x`; the minimum of the last `window` values once `window` values were fed. */
  update(x: number): number | undefined {
    return this.extreme.update(x);
  }

  /** The current minimum, `undefined` until warmed up. */
  value(): number | undefined {
    return this.extreme.value();
  }

  /** Whether `window` values have been fed (and not all of them were NaN). */
  isReady(): boolean {
    return this.extreme.value() !== undefined;
  }

  /** The window length. */
  get window(): number {
    return this.extreme.window;
  }

  /** Forgets all values. */
  reset(): void {
    this.extreme.reset();
  }

  /** @internal How many candidates the deque holds; for tests. */
  get candidates(): number {
    return this.extreme.candidates;
  }
}
