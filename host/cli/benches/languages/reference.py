"""The reference points of `cargo bench -p sandtrade --bench languages`: the moving-average
crossover of `example-strategies/ma-crossover` written for backtrader and for backtesting.py,
run natively in CPython over the bench's bar file, timed.

    reference.py BARS.csv [--engine backtrader|backtesting] [--rows N]

The logic is the example's: per symbol a fast (10) and a slow (30) simple moving average of
the close; when the fast one crosses above the slow one (it was not above on the previous bar
with both averages, it is now; equal counts as "not above") and nothing is held, buy 100
shares; when it crosses back below and shares are held, sell them all. Orders are market
orders filled at the next bar's open, as the sandbox's simulated account fills them. The
averages are each engine's own (`bt.ind.SMA`; a pandas rolling mean through `Strategy.I` in
backtesting.py), the crossing test is written out by hand in `next`, as in the example.

Each engine takes one instrument per run here (backtesting.py has no other way), so the file is
split by symbol and each symbol is one run; the figures add up the runs. Reading and parsing the
CSV (pandas) and splitting it is timed apart from the runs (`load_s`). A run is what the engine
does from the prepared frame on: `cerebro.run()` (preloading the frame into backtrader's lines,
the indicators, the bar loop, the broker) or `Backtest(...).run()` (indicators, the bar loop,
the broker and the statistics it computes at the end).

Prints one JSON object per engine on a line of its own: engine, version, bars, load_s, run_s,
fills (orders filled, buys and sells), runs (per-symbol run seconds).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings

import pandas as pd

FAST, SLOW, QUANTITY = 10, 30, 100
# The simulated account's starting cash in the sandbox (USD 100,000), per run here.
CASH = 100_000.0


def load(path: str, rows: int | None) -> dict[str, pd.DataFrame]:
    """The bar file's bars (the first `rows`), one OHLCV frame per symbol, in file order."""
    frame = pd.read_csv(path, nrows=rows)
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601", utc=True).dt.tz_localize(
        None
    )
    frame = frame.rename(
        columns={
            "open": "Open",
            "high": "High",
            "low": "Low",
            "close": "Close",
            "volume": "Volume",
        }
    )
    return {
        symbol: group.drop(columns="symbol").set_index("time")
        for symbol, group in frame.groupby("symbol", sort=False)
    }


def run_backtrader(frames: dict[str, pd.DataFrame]) -> tuple[list[float], int]:
    import backtrader as bt

    class Crossover(bt.Strategy):
        def __init__(self) -> None:
            self.fast = bt.ind.SMA(self.data.close, period=FAST)
            self.slow = bt.ind.SMA(self.data.close, period=SLOW)
            self.fast_above: bool | None = None
            self.fills = 0

        def next(self) -> None:
            above = self.fast[0] > self.slow[0]
            was, self.fast_above = self.fast_above, above
            if was is None or was == above:
                return
            if above and not self.position:
                self.buy(size=QUANTITY)
            elif not above and self.position:
                self.close()

        def notify_order(self, order) -> None:
            if order.status == order.Completed:
                self.fills += 1

    times, fills = [], 0
    for frame in frames.values():
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.broker.setcash(CASH)
        cerebro.adddata(bt.feeds.PandasData(dataname=frame))
        cerebro.addstrategy(Crossover)
        started = time.perf_counter()
        (strategy,) = cerebro.run()
        times.append(time.perf_counter() - started)
        fills += strategy.fills
    return times, fills


def run_backtesting(frames: dict[str, pd.DataFrame]) -> tuple[list[float], int]:
    from backtesting import Backtest, Strategy

    def sma(values, period: int):
        return pd.Series(values).rolling(period).mean().to_numpy()

    class Crossover(Strategy):
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, FAST)
            self.slow = self.I(sma, self.data.Close, SLOW)
            self.fast_above: bool | None = None

        def next(self) -> None:
            fast, slow = self.fast[-1], self.slow[-1]
            if math.isnan(fast) or math.isnan(slow):
                return
            above = fast > slow
            was, self.fast_above = self.fast_above, above
            if was is None or was == above:
                return
            if above and not self.position:
                self.buy(size=QUANTITY)
            elif not above and self.position:
                self.position.close()

    times, fills = [], 0
    for frame in frames.values():
        # Cash enough for any price: backtesting.py cancels an order it cannot pay for in full.
        test = Backtest(frame, Crossover, cash=CASH * 100, finalize_trades=True)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stats = test.run()
        times.append(time.perf_counter() - started)
        # Each closed trade is a buy and a sell.
        fills += 2 * len(stats["_trades"])
    return times, fills


ENGINES = {"backtrader": run_backtrader, "backtesting": run_backtesting}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bars", help="the bar file (time,symbol,open,high,low,close,volume)")
    parser.add_argument("--engine", choices=sorted(ENGINES), action="append")
    parser.add_argument("--rows", type=int, help="only the file's first ROWS bars")
    args = parser.parse_args()
    started = time.perf_counter()
    frames = load(args.bars, args.rows)
    load_s = time.perf_counter() - started
    bars = sum(len(frame) for frame in frames.values())
    for engine in args.engine or sorted(ENGINES):
        times, fills = ENGINES[engine](frames)
        module = __import__(engine)
        print(
            json.dumps(
                {
                    "engine": engine,
                    "version": getattr(module, "__version__", "?"),
                    "python": sys.version.split()[0],
                    "bars": bars,
                    "load_s": load_s,
                    "run_s": sum(times),
                    "fills": fills,
                    "runs": times,
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
