// A moving-average crossover on AAPL and MSFT, on one-minute bars: the TypeScript twin of
// example-strategies/ma-crossover (Rust), making the same decision on every bar.
//
// For each symbol it keeps a fast and a slow simple moving average of the close. When the
// fast average crosses above the slow one and the strategy holds none of the symbol, it buys
// `quantity` shares (`open-long`); when the fast average crosses back below and it holds
// shares, it sells them all (`close-long`). Equal averages count as "not above".
//
// Params (the sidecar's `[params]`): `fast` (default 10), `slow` (default 30, greater than
// `fast`), `quantity` (default 100).

import {
  type Bar,
  type Fill,
  type Metadata,
  ParamError,
  type Params,
  Signal,
  Sma,
  Strategy,
  describeFill,
  emitLogged,
  fixed,
  held,
  info,
  warn,
} from 'sandtrade-guest';

/** The symbols this strategy trades. */
const SYMBOLS = ['AAPL', 'MSFT'];

/** A crossing of the fast average through the slow one, with both values. */
interface Cross {
  direction: 'up' | 'down';
  fast: number;
  slow: number;
}

/** One symbol's averages, and on which side of the slow average the fast one last was. */
class Averages {
  readonly fast: Sma;
  readonly slow: Sma;
  private fastAbove: boolean | undefined = undefined;

  constructor(fast: number, slow: number) {
    this.fast = new Sma(fast);
    this.slow = new Sma(slow);
  }

  /** Feeds a close; the crossing it completes, if any. */
  update(close: number): Cross | undefined {
    // Feed both before returning: the fast average must see every close too.
    const fast = this.fast.update(close);
    const slow = this.slow.update(close);
    if (fast === undefined || slow === undefined) return undefined;
    const above = fast > slow;
    const was = this.fastAbove;
    this.fastAbove = above;
    if (was === false && above) return { direction: 'up', fast, slow };
    if (was === true && !above) return { direction: 'down', fast, slow };
    return undefined;
  }
}

export class MaCrossover extends Strategy {
  static describe(): Metadata {
    return { name: 'ma-crossover-ts', version: '0.1.0', symbols: SYMBOLS, barSeconds: 60 };
  }

  static init(params: Params): MaCrossover {
    params.denyUnknown(['fast', 'slow', 'quantity']);
    // `usize` and `u32` as in the Rust twin, so that a bad value is refused with its words.
    const fast = params.getOr('fast', 'usize', 10);
    const slow = params.getOr('slow', 'usize', 30);
    const quantity = params.getOr('quantity', 'u32', 100);
    if (fast === 0) {
      throw ParamError.outOfRange('fast', 'must be at least 1', fast);
    }
    if (slow <= fast) {
      throw ParamError.outOfRange('slow', `must be greater than fast (${fast})`, slow);
    }
    if (quantity === 0) {
      throw ParamError.outOfRange('quantity', 'must be at least 1', 0);
    }
    return new MaCrossover(quantity, fast, slow);
  }

  private readonly averages = new Map<string, Averages>();

  private constructor(
    private readonly quantity: number,
    fast: number,
    slow: number,
  ) {
    super();
    for (const symbol of SYMBOLS) this.averages.set(symbol, new Averages(fast, slow));
  }

  override onBar(bar: Bar): void {
    const averages = this.averages.get(bar.symbol);
    if (averages === undefined) {
      warn(`ignored a bar of ${bar.symbol}: not one of ["AAPL", "MSFT"]`);
      return;
    }
    const fastPeriod = averages.fast.period;
    const slowPeriod = averages.slow.period;
    // Ask the host for the position only on a crossing: most bars cross nothing, and a host
    // call costs more than the two averages.
    const cross = averages.update(bar.close);
    if (cross === undefined) return;
    const shares = held(bar.symbol);
    const said = `SMA${fastPeriod} ${fixed(cross.fast, 2)} crossed ${cross.direction === 'up' ? 'above' : 'below'} SMA${slowPeriod} ${fixed(cross.slow, 2)}`;
    let signal: Signal;
    if (cross.direction === 'up' && shares === 0) {
      signal = Signal.openLong(bar.symbol, this.quantity).reason(said);
    } else if (cross.direction === 'down' && shares > 0) {
      signal = Signal.closeLong(bar.symbol).reason(said);
    } else {
      return;
    }
    // A refusal is logged; the next crossing tries again.
    emitLogged(signal);
  }

  override onFill(fill: Fill): void {
    info(() => describeFill(fill));
  }
}
