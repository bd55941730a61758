// Building and emitting signals: the order types a strategy may ask IB for, their time in
// force, the protective orders a trader names (`stopLoss`, `takeProfit`, `trailingStop`),
// brackets (an entry with its exits attached), and the strategy's working orders, their
// cancels and their changes.

import { display } from './format.ts';
import { host } from './host.ts';
import { info, warn } from './log.ts';
import type {
  Action,
  BracketIdsRecord,
  CancelOutcome,
  CancelRefusal,
  ExitsRecord,
  Fill,
  ModifyOutcome,
  ModifyRefusal,
  OrderChangeRecord,
  OrderType,
  RejectCode,
  SignalRecord,
  TimeInForce,
  Trail as TrailRecord,
  WorkingOrder,
} from './wit.ts';

/** The largest quantity the WIT's `u32` carries. */
const U32_MAX = 0xffff_ffff;

/** How far a trailing stop's trigger stays from the best price seen: a distance or a percentage. */
export type Trail = TrailRecord;

/**
 * Makes the two kinds of `Trail`: `Trail.amount(2.5)` (a distance in price, dollars for a US
 * stock) and `Trail.percent(3)` (3% of the best price; above 0 and below 100).
 */
export const Trail = {
  /** A trailing distance in price, e.g. 2.5. */
  amount(distance: number): Trail {
    return { tag: 'amount', val: distance };
  },
  /** A trailing distance as a percentage of the best price, e.g. 3 for 3%. */
  percent(percent: number): Trail {
    return { tag: 'percent', val: percent };
  },
};

/** A copy of `orderType` that shares nothing with it (signals are changed in place). */
function copyOrderType(orderType: OrderType): OrderType {
  switch (orderType.tag) {
    case 'stop-limit':
      return { tag: 'stop-limit', val: { trigger: orderType.val.trigger, limit: orderType.val.limit } };
    case 'trailing-stop': {
      const { trail, limitOffset } = orderType.val;
      const copy = { trail: { ...trail } };
      // An absent offset stays absent: `{ limitOffset: undefined }` is a different object to
      // deepEqual, and the WIT's `option` has only the two cases.
      return { tag: 'trailing-stop', val: limitOffset === undefined ? copy : { ...copy, limitOffset } };
    }
    default:
      return { ...orderType };
  }
}

/**
 * `limit 187.5`, `stop 180`, `stop-limit 180/179.5`, `trailing-stop 2.5`,
 * `trailing-stop 3% offset 0.1`, `market-on-close`, `limit-on-close 190` (and `market`), as
 * the Rust SDK writes them.
 */
export function describeOrderType(orderType: OrderType): string {
  switch (orderType.tag) {
    case 'market':
      return 'market';
    case 'limit':
      return `limit ${display(orderType.val)}`;
    case 'stop':
      return `stop ${display(orderType.val)}`;
    case 'stop-limit':
      return `stop-limit ${display(orderType.val.trigger)}/${display(orderType.val.limit)}`;
    case 'trailing-stop': {
      const { trail, limitOffset } = orderType.val;
      const distance = trail.tag === 'amount' ? display(trail.val) : `${display(trail.val)}%`;
      const offset = limitOffset === undefined ? '' : ` offset ${display(limitOffset)}`;
      return `trailing-stop ${distance}${offset}`;
    }
    case 'market-on-close':
      return 'market-on-close';
    case 'limit-on-close':
      return `limit-on-close ${display(orderType.val)}`;
  }
}

/**
 * A request to trade, built with the named constructors and refined by chaining:
 *
 * ```ts
 * Signal.openLong('AAPL', 100).limit(187.5).reason('breakout').emit();
 * Signal.stopLoss('AAPL', 100, 180).reason('2% under the entry').emit();
 * Signal.reduceLong('AAPL', 50).stopLimit(180, 179.5).outsideRth().emit();
 * ```
 *
 * The builder methods change the signal and return it. A signal is a market day order in
 * regular hours unless told otherwise. Two properties are named apart from their builder (a
 * property cannot share the name of a method in JavaScript): the reason text is `reasonText`,
 * and whether it may fill outside regular hours is `outsideRthAllowed`.
 */
export class Signal {
  action: Action;
  symbol: string;
  /** Whole shares; 0 for `close-long`, which sells whatever is held. */
  quantity: number;
  orderType: OrderType = { tag: 'market' };
  /** How long the order works: `day` unless a builder says otherwise. */
  timeInForce: TimeInForce = 'day';
  /** Whether the order may trigger and fill outside regular trading hours; set it with `outsideRth()`. */
  outsideRthAllowed = false;
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

  /**
   * A stop-loss: sells `quantity` shares of `symbol` at the market once the last price falls
   * to `trigger`, good till cancelled. It rests at IB, so it protects the position while the
   * host is down; while it rests, those shares count as already being sold.
   *
   * ```ts
   * String(Signal.stopLoss('AAPL', 100, 180)); // 'reduce-long 100 AAPL stop 180 gtc'
   * ```
   */
  static stopLoss(symbol: string, quantity: number, trigger: number): Signal {
    return Signal.reduceLong(symbol, quantity).stop(trigger).gtc();
  }

  /**
   * A take-profit: sells `quantity` shares of `symbol` at `price` or better, good till
   * cancelled (`reduce-long 100 AAPL limit 195 gtc`).
   */
  static takeProfit(symbol: string, quantity: number, price: number): Signal {
    return Signal.reduceLong(symbol, quantity).limit(price).gtc();
  }

  /**
   * A trailing stop: sells `quantity` shares of `symbol` once the price falls `trail` below
   * the highest price seen since it was placed, good till cancelled.
   *
   * ```ts
   * String(Signal.trailingStop('AAPL', 100, Trail.percent(3))); // 'reduce-long 100 AAPL trailing-stop 3% gtc'
   * ```
   */
  static trailingStop(symbol: string, quantity: number, trail: Trail): Signal {
    return Signal.reduceLong(symbol, quantity).trailing(trail);
  }

  /** A copy of a signal record (what the host and the mock hand back). */
  static from(record: SignalRecord): Signal {
    const signal = new Signal(record.action, record.symbol, record.quantity);
    signal.orderType = copyOrderType(record.orderType);
    signal.timeInForce = record.timeInForce;
    signal.outsideRthAllowed = record.outsideRth;
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

  /**
   * Makes it a stop: a market order once the last price reaches `trigger` (at or below it for
   * a sell, at or above it for a buy).
   */
  stop(trigger: number): this {
    this.orderType = { tag: 'stop', val: trigger };
    return this;
  }

  /** Makes it a stop-limit: a limit order at `limit` once the last price reaches `trigger`. */
  stopLimit(trigger: number, limit: number): this {
    this.orderType = { tag: 'stop-limit', val: { trigger, limit } };
    return this;
  }

  /**
   * Makes it a trailing stop, `trail` behind the best price seen (`Trail.amount(2.5)`,
   * `Trail.percent(3)`), good till cancelled unless a time in force is set after it.
   */
  trailing(trail: Trail): this {
    this.orderType = { tag: 'trailing-stop', val: { trail: { ...trail } } };
    return this.gtc();
  }

  /**
   * Makes a trailing stop a trailing stop-limit: once triggered it rests as a limit `offset`
   * beyond the trigger. Does nothing to other order types.
   */
  limitOffset(offset: number): this {
    if (this.orderType.tag === 'trailing-stop') {
      this.orderType = { tag: 'trailing-stop', val: { trail: this.orderType.val.trail, limitOffset: offset } };
    }
    return this;
  }

  /** Makes it a market-on-close order (a day order, executed in the closing auction). */
  marketOnClose(): this {
    this.orderType = { tag: 'market-on-close' };
    return this.day();
  }

  /**
   * Makes it a limit-on-close order at `price` (a day order, executed in the closing auction
   * at `price` or better).
   */
  limitOnClose(price: number): this {
    this.orderType = { tag: 'limit-on-close', val: price };
    return this.day();
  }

  /** Good till cancelled: it works across days and gateway restarts. */
  gtc(): this {
    this.timeInForce = 'gtc';
    return this;
  }

  /** A day order (the default for everything but the protective constructors). */
  day(): this {
    this.timeInForce = 'day';
    return this;
  }

  /** Immediate or cancel: what does not fill at once is cancelled (market and limit only). */
  ioc(): this {
    this.timeInForce = 'ioc';
    return this;
  }

  /** In the opening auction only (market and limit only). */
  opg(): this {
    this.timeInForce = 'opg';
    return this;
  }

  /**
   * Lets it trigger and fill outside regular trading hours (IB `outsideRth`); IB takes only
   * limit-priced orders there, so a market order with it is refused (`invalid-order`).
   */
  outsideRth(): this {
    this.outsideRthAllowed = true;
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

  /** Submits the signal as the entry of a bracket with `exits` attached: the same as `bracket(this, exits)`. */
  bracket(exits: Exits): BracketIds {
    return bracket(this, exits);
  }

  /** The record that crosses the component boundary. */
  toRecord(): SignalRecord {
    return {
      action: this.action,
      symbol: this.symbol,
      quantity: this.quantity,
      orderType: copyOrderType(this.orderType),
      timeInForce: this.timeInForce,
      outsideRth: this.outsideRthAllowed,
      reason: this.reasonText,
    };
  }

  /**
   * `open-long 100 AAPL`, `reduce-long 40 MSFT limit 187.5`, `close-long AAPL`,
   * `reduce-long 100 AAPL stop 180 gtc outside-rth`: the Rust SDK's words. The reason is left
   * out; a market day order in regular hours shows neither its order type nor its time in
   * force.
   */
  toString(): string {
    let text =
      this.action === 'close-long'
        ? `${this.action} ${this.symbol}`
        : `${this.action} ${this.quantity} ${this.symbol}`;
    if (this.orderType.tag !== 'market') text += ` ${describeOrderType(this.orderType)}`;
    if (this.timeInForce !== 'day') text += ` ${this.timeInForce}`;
    if (this.outsideRthAllowed) text += ' outside-rth';
    return text;
  }
}

/**
 * The exits `bracket` attaches to an entry: a take-profit, a stop-loss or both, good till
 * cancelled unless told otherwise (a protective exit should outlive the day). Built by chaining;
 * the builder methods change the exits and return them, as `Signal`'s do:
 *
 * ```ts
 * new Exits().takeProfit(205).stopLoss(184);                              // 'take-profit 205 and stop-loss stop 184 gtc'
 * new Exits().trailingStop(Trail.percent(3)).limitOffset(0.1).day();      // 'stop-loss trailing-stop 3% offset 0.1 day'
 * ```
 *
 * The properties cannot share the builders' names: they are `takeProfitPrice`,
 * `stopLossOrder`, `timeInForce` and `outsideRthAllowed`.
 */
export class Exits {
  /** Sell the entry's shares at this limit price or better (above the market). */
  takeProfitPrice: number | undefined;
  /**
   * Sell them with this order: a `stop`, `stop-limit` or `trailing-stop` (the host refuses any
   * other as `invalid-order`).
   */
  stopLossOrder: OrderType | undefined;
  /** `gtc` (the default) or `day` (the host refuses any other as `invalid-order`). */
  timeInForce: TimeInForce = 'gtc';
  /** Whether the exits may trigger and fill outside regular trading hours; set it with `outsideRth()`. */
  outsideRthAllowed = false;

  /** A copy of an exits record (what crosses the component boundary). */
  static from(record: ExitsRecord): Exits {
    const exits = new Exits();
    exits.takeProfitPrice = record.takeProfit;
    exits.stopLossOrder = record.stopLoss === undefined ? undefined : copyOrderType(record.stopLoss);
    exits.timeInForce = record.timeInForce;
    exits.outsideRthAllowed = record.outsideRth;
    return exits;
  }

  /**
   * A take-profit: sell the entry's shares at `price` or better. It must be above a fixed
   * stop-loss's trigger (`invalid-price` otherwise).
   */
  takeProfit(price: number): this {
    this.takeProfitPrice = price;
    return this;
  }

  /** A stop-loss: sell the entry's shares at the market once the last price falls to `trigger` (IB `STP`). */
  stopLoss(trigger: number): this {
    this.stopLossOrder = { tag: 'stop', val: trigger };
    return this;
  }

  /** A stop-limit stop-loss: once the last price falls to `trigger`, sell at `limit` or better (IB `STP LMT`). */
  stopLossLimit(trigger: number, limit: number): this {
    this.stopLossOrder = { tag: 'stop-limit', val: { trigger, limit } };
    return this;
  }

  /**
   * A trailing stop-loss, `trail` (`Trail.amount(2.5)`, `Trail.percent(3)`) below the highest
   * price seen since the entry filled (IB `TRAIL`).
   */
  trailingStop(trail: Trail): this {
    this.stopLossOrder = { tag: 'trailing-stop', val: { trail: { ...trail } } };
    return this;
  }

  /**
   * Makes a trailing stop-loss a trailing stop-limit: once triggered it rests as a limit
   * `offset` below the trigger. Does nothing to other stop-losses, as in the Rust SDK.
   */
  limitOffset(offset: number): this {
    const stop = this.stopLossOrder;
    if (stop?.tag === 'trailing-stop') {
      this.stopLossOrder = { tag: 'trailing-stop', val: { trail: stop.val.trail, limitOffset: offset } };
    }
    return this;
  }

  /** Good till cancelled (the default): the exits work across days and gateway restarts. */
  gtc(): this {
    this.timeInForce = 'gtc';
    return this;
  }

  /** Day orders: IB cancels the exits not filled at the end of the trading day, leaving the position unprotected. */
  day(): this {
    this.timeInForce = 'day';
    return this;
  }

  /** Lets the exits trigger and fill outside regular trading hours (IB `outsideRth`). */
  outsideRth(): this {
    this.outsideRthAllowed = true;
    return this;
  }

  /** The record that crosses the component boundary: an exit not set is absent. */
  toRecord(): ExitsRecord {
    const record: ExitsRecord = { timeInForce: this.timeInForce, outsideRth: this.outsideRthAllowed };
    if (this.takeProfitPrice !== undefined) record.takeProfit = this.takeProfitPrice;
    if (this.stopLossOrder !== undefined) record.stopLoss = copyOrderType(this.stopLossOrder);
    return record;
  }

  /**
   * `take-profit 205 and stop-loss stop 184 gtc`, `stop-loss trailing-stop 3% gtc`,
   * `take-profit 205 day outside-rth`: the Rust SDK's words, the time in force always shown.
   */
  toString(): string {
    const { takeProfitPrice: takeProfit, stopLossOrder: stopLoss } = this;
    let text: string;
    if (takeProfit !== undefined && stopLoss !== undefined) {
      text = `take-profit ${display(takeProfit)} and stop-loss ${describeOrderType(stopLoss)}`;
    } else if (takeProfit !== undefined) {
      text = `take-profit ${display(takeProfit)}`;
    } else if (stopLoss !== undefined) {
      text = `stop-loss ${describeOrderType(stopLoss)}`;
    } else {
      text = 'no exit';
    }
    text += ` ${this.timeInForce}`;
    if (this.outsideRthAllowed) text += ' outside-rth';
    return text;
  }
}

/**
 * The signal ids of a bracket's orders, as `bracket` returns them: the entry's, then the
 * take-profit's and the stop-loss's (`undefined` for an exit not asked for). Each is an order of
 * its own: listed by `workingOrders`, its fills reach `onFill` with its id, and it can be
 * cancelled or have its prices modified by its id.
 */
export class BracketIds {
  readonly entry: bigint;
  readonly takeProfit: bigint | undefined;
  readonly stopLoss: bigint | undefined;

  constructor(entry: bigint, takeProfit?: bigint, stopLoss?: bigint) {
    this.entry = entry;
    this.takeProfit = takeProfit;
    this.stopLoss = stopLoss;
  }

  /** The ids of a bracket-ids record (what crosses the component boundary). */
  static from(record: BracketIdsRecord): BracketIds {
    return new BracketIds(record.entry, record.takeProfit, record.stopLoss);
  }

  /** The exits' ids, take-profit first: those that were asked for. */
  exits(): bigint[] {
    return [this.takeProfit, this.stopLoss].filter((id) => id !== undefined);
  }
}

/**
 * The host's refusal of a signal, thrown by `emit` (and of a bracket, thrown by `bracket`):
 * `code` names the rule (e.g. `position-limit`), `message` the values involved, `signal` is
 * what was refused (a bracket's entry, with its `exits`).
 */
export class Rejection extends Error {
  override name = 'Rejection';
  readonly code: RejectCode;
  readonly signal: Signal;
  /** The exits of a refused bracket; `undefined` for a refused signal. */
  readonly exits: Exits | undefined;

  constructor(code: RejectCode, message: string, signal: Signal, exits?: Exits) {
    super(message);
    this.code = code;
    this.signal = signal;
    this.exits = exits;
  }

  /**
   * `open-long 10 AAPL: refused, position-limit: (message)`, or for a bracket
   * `open-long 10 AAPL limit 190 with stop-loss stop 184 gtc: refused, ...`: what `emitLogged`
   * and `bracketLogged` log.
   */
  describe(): string {
    const what = this.exits === undefined ? `${this.signal}` : `${this.signal} with ${this.exits}`;
    return `${what}: refused, ${this.code}: ${this.message}`;
  }
}

/**
 * Signals accepted in this instance so far: `on-bars` ends its batch after a bar during which
 * this changed, so that the host can fill the order before the strategy sees the next bar.
 */
let accepted = 0;

/** How many signals and brackets this instance has had accepted (see `runBatch` in component.ts). */
export function acceptedSoFar(): number {
  return accepted;
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
  if (!outcome.ok) throw new Rejection(outcome.rejection.code, outcome.rejection.message, signal);
  accepted += 1;
  return outcome.id;
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

/**
 * Submits a bracket: `entry` (an `open-long` or `add-long`) with `exits` attached, which sell the
 * shares it buys. The host validates the three orders together and sends them to IB together:
 * their durable ids are returned (entry, then take-profit, then stop-loss, those asked for), a
 * refusal throws a `Rejection` carrying the entry and the exits (none of it is sent).
 *
 * ```ts
 * const ids = bracket(Signal.openLong('AAPL', 100).limit(190), new Exits().takeProfit(205).stopLoss(184));
 * ```
 *
 * IB works the exits only once the entry has filled, reduces one by each fill of the other, and
 * cancels them if the entry ends unfilled: cancelling an unfilled entry is cancelling the
 * bracket. The exits sell only what the entry bought, so they never count against the rest of
 * the position. An exit's prices can be moved with `modify`, never its quantity (it is the
 * entry's). Like an accepted signal, an accepted bracket ends an `on-bars` batch after its bar.
 */
export function bracket(entry: Signal, exits: Exits): BracketIds {
  const outcome = host().emitBracket(entry.toRecord(), exits.toRecord());
  if (!outcome.ok) throw new Rejection(outcome.rejection.code, outcome.rejection.message, entry, exits);
  accepted += 1;
  return BracketIds.from(outcome.ids);
}

/**
 * Submits a bracket like `bracket` and writes the outcome to the host log: at info level
 * `open-long 100 AAPL limit 190 with take-profit 205 and stop-loss stop 184 gtc: accepted as
 * signals 7, 8, 9 (reason)`, at warn level `...: refused, invalid-price: (message)`. Returns
 * the ids, or `undefined` when the host refused the bracket (it never throws a `Rejection`).
 */
export function bracketLogged(entry: Signal, exits: Exits): BracketIds | undefined {
  try {
    const ids = bracket(entry, exits);
    info(() => {
      const listed = [ids.entry, ...ids.exits()].join(', ');
      const what = `${entry} with ${exits}: accepted as signals ${listed}`;
      return entry.reasonText === '' ? what : `${what} (${entry.reasonText})`;
    });
    return ids;
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

/**
 * Places a good-till-cancelled stop-loss: sells `quantity` shares of `symbol` at the market
 * once the last price falls to `trigger`. Like `emit`; see `Signal.stopLoss`.
 */
export function stopLoss(symbol: string, quantity: number, trigger: number): bigint {
  return emit(Signal.stopLoss(symbol, quantity, trigger));
}

/**
 * Places a good-till-cancelled take-profit: sells `quantity` shares of `symbol` at `price` or
 * better. Like `emit`; see `Signal.takeProfit`.
 */
export function takeProfit(symbol: string, quantity: number, price: number): bigint {
  return emit(Signal.takeProfit(symbol, quantity, price));
}

/**
 * Places a good-till-cancelled trailing stop on `quantity` shares of `symbol`, `trail` behind
 * the highest price seen. Like `emit`; see `Signal.trailingStop`.
 */
export function trailingStop(symbol: string, quantity: number, trail: Trail): bigint {
  return emit(Signal.trailingStop(symbol, quantity, trail));
}

/**
 * This strategy's orders that have not ended (queued, on their way, working at IB, or being
 * cancelled), oldest first. Each carries the `signalId` that `emit` returned for it, its
 * order type and time in force as sent (prices on the tick), the shares `filled` so far and
 * its `state`; an exit of a `bracket` carries its entry's id in `exitOf`.
 */
export function workingOrders(): WorkingOrder[] {
  return host().workingOrders();
}

/**
 * The host's refusal of a `cancel`, thrown by it: `refusal` says why (`unknown-order`,
 * `already-ended`, `unavailable`), `signalId` which order was meant.
 *
 * `already-ended` is an everyday outcome: the order filled (or was cancelled by an operator)
 * before the cancel was asked; its fills have reached, or will reach, `onFill`.
 */
export class CancelRefused extends Error {
  override name = 'CancelRefused';
  readonly refusal: CancelRefusal;
  readonly signalId: bigint;

  constructor(refusal: CancelRefusal, signalId: bigint) {
    super(`cancel of signal ${signalId}: ${refusal}`);
    this.refusal = refusal;
    this.signalId = signalId;
  }

  /** `cancel of signal 7: already-ended`: what is logged when it escapes `onBar`. */
  describe(): string {
    return this.message;
  }
}

/**
 * Cancels the order of the signal `signalId` (the id `emit` returned). Returns `cancelled`
 * when the order had not left the host (it will never be sent), `requested` when the cancel
 * is recorded and sent to IB (now, or once the host is connected and reconciled): the order
 * ends when IB confirms, and may still fill first; its fills arrive through `onFill` as usual.
 *
 * A refusal throws a `CancelRefused` naming why. Like a `Rejection`, one that escapes `onBar`
 * or `onFill` ends that call and is logged at warn level; the strategy keeps running.
 */
export function cancel(signalId: bigint): CancelOutcome {
  const result = host().cancel(signalId);
  if (result.ok) return result.outcome;
  throw new CancelRefused(result.refusal, signalId);
}

/** Throws a `RangeError` unless `quantity` is a whole number the WIT's `u32` carries. */
function checkNewQuantity(quantity: number): number {
  if (!Number.isInteger(quantity) || quantity < 0 || quantity > U32_MAX) {
    throw new RangeError(`an order's new quantity must be a whole number from 0 to ${U32_MAX}, got ${quantity}`);
  }
  return quantity;
}

/**
 * A change of a working order, for `modify`: what is set changes, what is not stays. Built with
 * the named constructors and chained:
 *
 * ```ts
 * OrderChange.to({ tag: 'stop', val: 185 });                 // new prices: a stop stays a stop
 * OrderChange.toQuantity(50);                                // a new quantity
 * OrderChange.to({ tag: 'limit', val: 190 }).quantity(50);   // both
 * ```
 *
 * The properties cannot share the builders' names: they are `newQuantity` and `newOrderType`.
 */
export class OrderChange {
  /** The new quantity: shares ordered in all, those already filled included, so more than them. */
  newQuantity: number | undefined;
  /**
   * The order's own type with new numbers: a stop stays a stop, a trailing stop by amount stays
   * one by amount (the host refuses any other change as `invalid-order`).
   */
  newOrderType: OrderType | undefined;

  private constructor(quantity: number | undefined, orderType: OrderType | undefined) {
    this.newQuantity = quantity === undefined ? undefined : checkNewQuantity(quantity);
    this.newOrderType = orderType === undefined ? undefined : copyOrderType(orderType);
  }

  /** New prices: `orderType` is the order's own type with other numbers (`{ tag: 'stop', val: 185 }`). */
  static to(orderType: OrderType): OrderChange {
    return new OrderChange(undefined, orderType);
  }

  /**
   * A new quantity: shares ordered in all, those already filled included. Throws a `RangeError`
   * for a quantity the WIT's `u32` cannot carry, as `Signal` does.
   */
  static toQuantity(quantity: number): OrderChange {
    return new OrderChange(quantity, undefined);
  }

  /** A copy of a change record (what crosses the component boundary). */
  static from(record: OrderChangeRecord): OrderChange {
    return new OrderChange(record.quantity, record.orderType);
  }

  /** Also changes the quantity (see `toQuantity`). */
  quantity(quantity: number): this {
    this.newQuantity = checkNewQuantity(quantity);
    return this;
  }

  /** The record that crosses the component boundary: what is not set is absent. */
  toRecord(): OrderChangeRecord {
    const record: OrderChangeRecord = {};
    if (this.newQuantity !== undefined) record.quantity = this.newQuantity;
    if (this.newOrderType !== undefined) record.orderType = copyOrderType(this.newOrderType);
    return record;
  }

  /** `stop 185, quantity 50`: the new terms, as operators read them. */
  toString(): string {
    const parts: string[] = [];
    if (this.newOrderType !== undefined) parts.push(describeOrderType(this.newOrderType));
    if (this.newQuantity !== undefined) parts.push(`quantity ${this.newQuantity}`);
    return parts.length === 0 ? 'nothing' : parts.join(', ');
  }
}

/**
 * The host's refusal of a `modify`, thrown by it: `refusal` says why (`unknown-order`,
 * `already-ended`, `pending`, `refused`, `unavailable`), `signalId` which order was meant, and
 * for `refused`, `rejection` the rule the change breaks (`code`, `message`).
 *
 * `pending` is an everyday outcome: IB has not acknowledged the order, an earlier change of it
 * or its cancel yet; try again on a later bar. So is `already-ended`: the order filled first.
 */
export class ModifyRefused extends Error {
  override name = 'ModifyRefused';
  readonly refusal: ModifyRefusal['tag'];
  readonly rejection: { readonly code: RejectCode; readonly message: string } | undefined;
  readonly signalId: bigint;

  constructor(refusal: ModifyRefusal, signalId: bigint) {
    const rejection = refusal.tag === 'refused' ? { code: refusal.val.code, message: refusal.val.message } : undefined;
    const why = rejection === undefined ? refusal.tag : `refused, ${rejection.code}: ${rejection.message}`;
    super(`modify of signal ${signalId}: ${why}`);
    this.refusal = refusal.tag;
    this.rejection = rejection;
    this.signalId = signalId;
  }

  /**
   * `modify of signal 7: pending`, `modify of signal 7: refused, short-not-allowed: (message)`:
   * what is logged when it escapes `onBar`.
   */
  describe(): string {
    return this.message;
  }
}

/**
 * Changes the quantity or prices of the working order of the signal `signalId` (the id `emit`
 * returned): raising a stop behind a rising price, say.
 *
 * ```ts
 * modify(stop, OrderChange.to({ tag: 'stop', val: 185 }));
 * ```
 *
 * The host validates the change as it would a new order in its place (it cannot sell more than
 * is held, break a limit, or change the order's type) and records it before sending it, like a
 * cancel. Returns `changed` when the order had not left the host (it will be sent with the new
 * terms), `requested` when the change is on its way to IB, which applies it unless the order
 * fills first.
 *
 * A refusal throws a `ModifyRefused` naming why (`pending`: try again on a later bar). Like a
 * `Rejection`, one that escapes `onBar` or `onFill` ends that call and is logged at warn level;
 * the strategy keeps running.
 */
export function modify(signalId: bigint, change: OrderChange): ModifyOutcome {
  const result = host().modify(signalId, change.toRecord());
  if (result.ok) return result.outcome;
  throw new ModifyRefused(result.refusal, signalId);
}

/** `signal 7: open-long 100 AAPL filled at 187.5`: a fill as operators read it. */
export function describeFill(fill: Fill): string {
  return `signal ${fill.signalId}: ${fill.action} ${fill.quantity} ${fill.symbol} filled at ${display(fill.price)}`;
}
