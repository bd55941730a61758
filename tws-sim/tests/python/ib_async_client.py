"""Drives tws-sim with ib_async 2.1.0, which speaks the text dialect (server version 178).

Usage: python ib_async_client.py PORT

Connects as client id 21 (ib_async then syncs positions, open and completed orders, account
updates and executions, waiting for each end marker), places a market order for 100 AAPL
with orderRef "ia-0001", waits for its commission report, and reads positions (each with
the fields that tell a stock from an option), portfolio, account values, the account summary
and the first update of the account's P&L (reqPnL, then cancelPnL). Prints one JSON object
for the Rust test to check.
Every wait is bounded; a missing answer ends the run with an error.
"""

import asyncio
import json
import sys

from ib_async import IB, MarketOrder, Stock

WAIT_SECONDS = 10


async def main(port):
    ib = IB()
    errors = []
    ib.errorEvent += lambda reqId, code, message, contract: errors.append(
        {"id": reqId, "code": code, "message": message}
    )
    # raiseSyncErrors: a startup request the simulator does not answer fails the run.
    await ib.connectAsync("127.0.0.1", port, clientId=21, timeout=WAIT_SECONDS, raiseSyncErrors=True)
    out = {"serverVersion": ib.client.serverVersion(), "accounts": ib.managedAccounts()}

    contract = Stock("AAPL", "SMART", "USD")
    details = await asyncio.wait_for(ib.reqContractDetailsAsync(contract), WAIT_SECONDS)
    out["contractDetails"] = [
        {"conId": d.contract.conId, "primaryExchange": d.contract.primaryExchange, "longName": d.longName}
        for d in details
    ]

    commission = asyncio.get_running_loop().create_future()

    def on_commission(trade, fill, report):
        if not commission.done():
            commission.set_result(report)

    ib.commissionReportEvent += on_commission
    order = MarketOrder("BUY", 100)
    order.orderRef = "ia-0001"
    trade = ib.placeOrder(contract, order)
    report = await asyncio.wait_for(commission, WAIT_SECONDS)
    out["order"] = {
        "status": trade.orderStatus.status,
        "filled": trade.orderStatus.filled,
        "remaining": trade.orderStatus.remaining,
        "avgFillPrice": trade.orderStatus.avgFillPrice,
        "permId": trade.order.permId,
        "log": [entry.status for entry in trade.log],
    }
    out["fills"] = [
        {
            "execId": f.execution.execId,
            "side": f.execution.side,
            "shares": f.execution.shares,
            "price": f.execution.price,
            "orderRef": f.execution.orderRef,
            "commission": f.commissionReport.commission,
        }
        for f in trade.fills
    ]
    out["commission"] = {"execId": report.execId, "commission": report.commission, "currency": report.currency}

    # By conId: ib_async keeps positions in the order it first heard of them, and the account
    # may hold an option from before the connect.
    out["positions"] = [
        {"account": p.account, "symbol": p.contract.symbol, "secType": p.contract.secType,
         "class": type(p.contract).__name__, "conId": p.contract.conId,
         "expiry": p.contract.lastTradeDateOrContractMonth, "strike": p.contract.strike,
         "right": p.contract.right, "multiplier": p.contract.multiplier,
         "position": p.position, "avgCost": p.avgCost}
        for p in sorted(ib.positions(), key=lambda p: p.contract.conId)
    ]
    out["portfolio"] = [
        {"symbol": p.contract.symbol, "position": p.position, "marketValue": p.marketValue}
        for p in ib.portfolio()
    ]
    values = {f"{v.tag}/{v.currency}": v.value for v in ib.accountValues()}
    out["accountValues"] = {k: values.get(k) for k in ("CashBalance/USD", "StockMarketValue/USD", "NetLiquidation/USD")}
    summary = await asyncio.wait_for(ib.accountSummaryAsync(), WAIT_SECONDS)
    out["summary"] = {f"{v.tag}/{v.currency}": v.value for v in summary if v.tag in ("NetLiquidation", "TotalCashValue")}

    # ib_async updates one PnL object in place: keep the numbers of the first update.
    first_pnl = asyncio.get_running_loop().create_future()

    def on_pnl(pnl):
        if not first_pnl.done():
            first_pnl.set_result({"daily": pnl.dailyPnL, "unrealized": pnl.unrealizedPnL, "realized": pnl.realizedPnL})

    ib.pnlEvent += on_pnl
    account = ib.managedAccounts()[0]
    ib.reqPnL(account)
    out["pnl"] = await asyncio.wait_for(first_pnl, WAIT_SECONDS)
    ib.cancelPnL(account)
    out["errors"] = [e for e in errors if e["code"] not in (2104, 2106, 2158)]
    ib.disconnect()
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
