// Building and emitting signals.

import { display } from './format.ts';
import { host } from './host.ts';
import { info, warn } from './log.ts';
import type { Action, Fill, OrderType, RejectCode, SignalRecord } from './wit.ts';

/** The largest quantity the WIT's `u32` carries. */
const U32_MAX = 0xffff_ffff;

/**
 * A request to trade, built with the named constructors and refined by chaining:
 *
 * ```ts
 * Signal.openLong('AAPL', 100).limit(187.5).reason('breakout').emit();
 * ```
 *
 * The builder methods change the signal and return it. The reason text is `reasonText` (a
 * property cannot share the name of the `reason()` method in JavaScript).
 */
export class Signal {
  action: Action;
  symbol: string;
  /** Whole shares; 0 for `close-long`, which sells whatever is held. */
  quantity: number;
  orderType: OrderType = { tag: 'market' };
  /** Free text kept with the signal and shown to operators; set it with `reason()`. */
  reasonText = '';

  /**
   * A market-order signal with an empty reason. Prefer the named constructors
   * (`Signal.openLong` etc.) and add a `reason()`.
   *
   * Throws a `RangeError` for a quantity the WIT's `u32` cannot carry (negative, fractional,
   * above 4294967295): the component boundary would silently wrap it into a different number.
   */
  constructor(action: Action, symbol: string, quantity: number) {
    if (!Number.isInteger(quantity) || quantity < 0 || quantity > U32_MAX) {
      throw new RangeError(
        `${action} ${symbol}: quantity must be a whole number from 0 to ${U32_MAX}, got ${quantity}`,
      );
    }
    this.action = action;
    this.symbol = symbol;
    this.quantity = quantity;
  }

  /** Buy `quantity` shares of `symbol` into a flat position. */
  static openLong(symbol: string, quantity: number): Signal {
    return new Signal('open-long', symbol, quantity);
  }

  /** Buy `quantity` more shares of a position already held. */
  static addLong(symbol: string, quantity: number): Signal {
    return new Signal('add-long', symbol, quantity);
  }

  /** Sell the whole position in `symbol` (the quantity is 0: the host sells what is held). */
  static closeLong(symbol: string): Signal {
    return new Signal('close-long', symbol, 0);
  }

  /** Sell `quantity` shares of the position in `symbol`. */
  static reduceLong(symbol: string, quantity: number): Signal {
    return new Signal('reduce-long', symbol, quantity);
  }

  /** A copy of a signal record (what the host and the mock hand back). */
  static from(record: SignalRecord): Signal {
    const signal = new Signal(record.action, record.symbol, record.quantity);
    signal.orderType = record.orderType.tag === 'limit' ? { ...record.orderType } : { tag: 'market' };
    signal.reasonText = record.reason;
    return signal;
  }

  /**
   * Makes it a limit order at `price` (must be finite and positive, or the host refuses the
   * signal with `invalid-price`).
   */
  limit(price: number): this {
    this.orderType = { tag: 'limit', val: price };
    return this;
  }

  /** Makes it a market order (the default). */
  market(): this {
    this.orderType = { tag: 'market' };
    return this;
  }

  /** Sets the human-readable reason kept with the signal and shown to operators. */
  reason(text: string): this {
    this.reasonText = text;
    return this;
  }

  /** Submits the signal: the same as `emit(this)`. */
  emit(): bigint {
    return emit(this);
  }

  /** The record that crosses the component boundary. */
  toRecord(): SignalRecord {
    return {
      action: this.action,
      symbol: this.symbol,
      quantity: this.quantity,
      orderType: this.orderType.tag === 'limit' ? { tag: 'limit', val: this.orderType.val } : { tag: 'market' },
      reason: this.reasonText,
    };
  }

  /** `open-long 100 AAPL`, `reduce-long 40 MSFT limit 187.5`, `close-long AAPL` (no reason). */
  toString(): string {
    const what =
      this.action === 'close-long'
        ? `${this.action} ${this.symbol}`
        : `${this.action} ${this.quantity} ${this.symbol}`;
    return this.orderType.tag === 'limit' ? `${what} limit ${display(this.orderType.val)}` : what;
  }
}

/**
 * The host's refusal of a signal, thrown by `emit`: `code` names the rule (e.g.
 * `position-limit`), `message` the values involved, `signal` is what was refused.
 */
export class Rejection extends Error {
  override name = 'Rejection';
  readonly code: RejectCode;
  readonly signal: Signal;

  constructor(code: RejectCode, message: string, signal: Signal) {
    super(message);
    this.code = code;
    this.signal = signal;
  }

  /** `open-long 10 AAPL: refused, position-limit: (message)`: what `emitLogged` logs. */
  describe(): string {
    return `${this.signal}: refused, ${this.code}: ${this.message}`;
  }
}

/**
 * Submits a signal. The host validates it now: an accepted signal's durable id is returned
 * (persisted before this returns; `Fill.signalId` carries it back), a refused one throws a
 * `Rejection` naming the rule.
 *
 * A refusal is an everyday outcome (rate limit, trading halted), not a bug: catch it, or use
 * `emitLogged`, which logs it and returns `undefined`. A `Rejection` that escapes `onBar` or
 * `onFill` anyway ends that call and is logged at warn level; the strategy keeps running.
 */
export function emit(signal: Signal): bigint {
  const outcome = host().emit(signal.toRecord());
  if (outcome.ok) return outcome.id;
  throw new Rejection(outcome.rejection.code, outcome.rejection.message, signal);
}

/**
 * Submits a signal like `emit` and writes the outcome to the host log: at info level
 * `open-long 100 AAPL: accepted as signal 7 (reason)`, at warn level
 * `open-long 100 AAPL: refused, position-limit: (message)`. Returns the id, or `undefined`
 * when the host refused the signal (it never throws a `Rejection`).
 */
export function emitLogged(signal: Signal): bigint | undefined {
  try {
    const id = emit(signal);
    info(() =>
      signal.reasonText === ''
        ? `${signal}: accepted as signal ${id}`
        : `${signal}: accepted as signal ${id} (${signal.reasonText})`,
    );
    return id;
  } catch (e) {
    if (!(e instanceof Rejection)) throw e;
    warn(() => e.describe());
    return undefined;
  }
}

/** Buys `quantity` shares of `symbol` at the market into a flat position. */
export function openLong(symbol: string, quantity: number): bigint {
  return emit(Signal.openLong(symbol, quantity));
}

/** Buys `quantity` more shares of `symbol` at the market. */
export function addLong(symbol: string, quantity: number): bigint {
  return emit(Signal.addLong(symbol, quantity));
}

/** Sells the whole position in `symbol` at the market. */
export function closeLong(symbol: string): bigint {
  return emit(Signal.closeLong(symbol));
}

/** Sells `quantity` shares of the position in `symbol` at the market. */
export function reduceLong(symbol: string, quantity: number): bigint {
  return emit(Signal.reduceLong(symbol, quantity));
}

/** Buys `quantity` shares of `symbol` into a flat position, at `price` or better. */
export function openLongLimit(symbol: string, quantity: number, price: number): bigint {
  return emit(Signal.openLong(symbol, quantity).limit(price));
}

/** Buys `quantity` more shares of `symbol`, at `price` or better. */
export function addLongLimit(symbol: string, quantity: number, price: number): bigint {
  return emit(Signal.addLong(symbol, quantity).limit(price));
}

/** Sells the whole position in `symbol`, at `price` or better. */
export function closeLongLimit(symbol: string, price: number): bigint {
  return emit(Signal.closeLong(symbol).limit(price));
}

/** Sells `quantity` shares of the position in `symbol`, at `price` or better. */
export function reduceLongLimit(symbol: string, quantity: number, price: number): bigint {
  return emit(Signal.reduceLong(symbol, quantity).limit(price));
}

/** `signal 7: open-long 100 AAPL filled at 187.5`: a fill as operators read it. */
export function describeFill(fill: Fill): string {
  return `signal ${fill.signalId}: ${fill.action} ${fill.quantity} ${fill.symbol} filled at ${display(fill.price)}`;
}
