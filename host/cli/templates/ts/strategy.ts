// {{name}}: buys `quantity` shares of AAPL when the close crosses above its SMA of `period`
// bars, and sells them all when it crosses back below.

import { type Bar, type Metadata, ParamError, type Params, Signal, Sma, Strategy, emitLogged, fixed, held } from 'sandtrade-guest';

const SYMBOL = 'AAPL';

/** The strategy: its order size, the average and on which side of it the close last was. */
export class SmaTrend extends Strategy {
  private wasAbove: boolean | undefined = undefined;

  private constructor(
    private readonly quantity: number,
    private readonly sma: Sma,
  ) {
    super();
  }

  static describe(): Metadata {
    return { name: '{{name}}', version: '0.1.0', symbols: [SYMBOL], barSeconds: 60 };
  }

  static init(params: Params): SmaTrend {
    params.denyUnknown(['period', 'quantity']);
    const period = params.getOr('period', 'usize', 20);
    const quantity = params.getOr('quantity', 'u32', 10);
    if (period === 0) throw ParamError.outOfRange('period', 'must be at least 1', 0);
    if (quantity === 0) throw ParamError.outOfRange('quantity', 'must be at least 1', 0);
    return new SmaTrend(quantity, new Sma(period));
  }

  override onBar(bar: Bar): void {
    const sma = this.sma.update(bar.close);
    if (sma === undefined) return;
    const above = bar.close > sma;
    const wasAbove = this.wasAbove;
    this.wasAbove = above;
    if (wasAbove === undefined || wasAbove === above) return;
    const position = held(bar.symbol);
    let signal: Signal;
    if (above && position === 0) signal = Signal.openLong(bar.symbol, this.quantity);
    else if (!above && position > 0) signal = Signal.closeLong(bar.symbol);
    else return;
    emitLogged(signal.reason(`close ${fixed(bar.close, 2)}, SMA ${fixed(sma, 2)}`));
  }
}
