"""Drives tws-sim's text dialect with ib_async 2.1.0 beyond the first order: a market-data
snapshot, a resting limit order and its cancel, a limit order filled by a price move,
real-time bars, historical bars, executions and open orders.

Usage: python ib_async_market.py PORT CONTROL_PORT

The simulator runs on a manual clock; this script moves it through the control interface
(`price`, `bar`), so every value is deterministic. Prints one JSON object for the Rust test.
"""

import asyncio
import json
import socket
import sys

from ib_async import IB, LimitOrder, Stock

WAIT_SECONDS = 10


class Control:
    """The simulator's line-protocol control interface."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS)
        self.reader = self.sock.makefile("r")

    def ask(self, line):
        self.sock.sendall((line + "\n").encode())
        reply = self.reader.readline().strip()
        if not reply.startswith("OK"):
            raise SystemExit(f"control {line!r}: {reply}")
        return reply


async def next_emit(event, predicate=lambda *args: True):
    """The arguments of the next emit of `event` that satisfies `predicate`."""
    future = asyncio.get_running_loop().create_future()

    def handler(*args):
        if not future.done() and predicate(*args):
            future.set_result(args)

    event += handler
    try:
        return await asyncio.wait_for(future, WAIT_SECONDS)
    finally:
        event -= handler


async def status(trade, wanted):
    if trade.orderStatus.status != wanted:
        await next_emit(trade.statusEvent, lambda t: t.orderStatus.status == wanted)
    return trade.orderStatus.status


async def main(port, control_port):
    control = Control(control_port)
    control.ask("price AAPL 190")
    ib = IB()
    errors = []
    ib.errorEvent += lambda reqId, code, message, contract: errors.append(code)
    await ib.connectAsync("127.0.0.1", port, clientId=22, timeout=WAIT_SECONDS, raiseSyncErrors=True)
    aapl = Stock("AAPL", "SMART", "USD")
    await asyncio.wait_for(ib.qualifyContractsAsync(aapl), WAIT_SECONDS)
    out = {"conId": aapl.conId}

    [ticker] = await asyncio.wait_for(ib.reqTickersAsync(aapl), WAIT_SECONDS)
    out["snapshot"] = {"bid": ticker.bid, "ask": ticker.ask, "last": ticker.last, "close": ticker.close}

    resting = ib.placeOrder(aapl, LimitOrder("BUY", 10, 185.5))
    await status(resting, "Submitted")
    ib.cancelOrder(resting.order)
    out["cancelled"] = await status(resting, "Cancelled")

    filled = ib.placeOrder(aapl, LimitOrder("BUY", 10, 185.5, orderRef="ia-limit"))
    await status(filled, "Submitted")
    commission = next_emit(ib.commissionReportEvent)
    control.ask("price AAPL 185.25")
    await commission
    out["limitFill"] = {
        "status": filled.orderStatus.status,
        "avgFillPrice": filled.orderStatus.avgFillPrice,
        "fills": [(f.execution.shares, f.execution.price, f.execution.orderRef) for f in filled.fills],
        "commission": sum(f.commissionReport.commission for f in filled.fills),
    }

    bars = ib.reqRealTimeBars(aapl, 5, "TRADES", False)
    await asyncio.wait_for(ib.reqCurrentTimeAsync(), WAIT_SECONDS)  # the subscription is in
    update = next_emit(bars.updateEvent, lambda bars, has_new: has_new)
    end = int(control.ask("bar").split("now=")[1])
    await update
    bar = bars[-1]
    out["realTimeBar"] = {"time": int(bar.time.timestamp()), "end": end, "count": bar.count, "close": bar.close}
    ib.cancelRealTimeBars(bars)

    history = await ib.reqHistoricalDataAsync(aapl, "", "600 S", "1 min", "TRADES", False, formatDate=1)
    out["history"] = {"bars": len(history), "first": str(history[0].date), "last": str(history[-1].date)}

    executions = await asyncio.wait_for(ib.reqExecutionsAsync(), WAIT_SECONDS)
    out["executions"] = [(f.execution.side, f.execution.shares, f.execution.price) for f in executions]
    open_trades = await asyncio.wait_for(ib.reqAllOpenOrdersAsync(), WAIT_SECONDS)
    out["openOrders"] = len(open_trades)
    out["errors"] = [code for code in errors if code not in (2104, 2106, 2158)]
    ib.disconnect()
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
