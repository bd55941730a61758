"""Drives tws-sim with IB's own Python client (ibapi-latest 10.51.1).

Usage: python official_client.py PORT

Connects as client id 11, places a market order for 100 AAPL with orderRef "py-0001", waits
until it is Filled with its execution and commission, then reads positions (each with the
fields that tell a stock from an option), the account summary, the account updates, the
executions and the first answer of the account's P&L subscription (reqPnL, then cancelPnL).
Prints one JSON object with what it saw, for the Rust test (tests/python_clients.rs) to
check value by value. Every wait is bounded; a missing answer ends the run with exit code 1
and says which.
"""

import json
import queue
import sys
import threading

from ibapi.client import EClient
from ibapi.const import UNSET_DOUBLE
from ibapi.contract import Contract
from ibapi.execution import ExecutionFilter
from ibapi.order import Order
from ibapi.wrapper import EWrapper

WAIT_SECONDS = 10
INFORMATIONAL = {2104, 2106, 2158}


class App(EWrapper, EClient):
    def __init__(self):
        EWrapper.__init__(self)
        EClient.__init__(self, wrapper=self)
        self.events = queue.Queue()
        self.errors = []

    # Each callback puts (name, payload) on the queue; the script waits for names in order.
    def nextValidId(self, orderId):
        self.events.put(("nextValidId", orderId))

    def managedAccounts(self, accountsList):
        self.events.put(("managedAccounts", accountsList))

    def currentTime(self, time):
        self.events.put(("currentTime", time))

    def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson=""):
        if errorCode not in INFORMATIONAL:
            self.errors.append({"id": reqId, "code": errorCode, "message": errorString})

    def contractDetails(self, reqId, contractDetails):
        c = contractDetails.contract
        self.events.put(("contractDetails", {"conId": c.conId, "primaryExchange": c.primaryExchange,
                                             "longName": contractDetails.longName,
                                             "minTick": contractDetails.minTick}))

    def contractDetailsEnd(self, reqId):
        self.events.put(("contractDetailsEnd", reqId))

    def openOrder(self, orderId, contract, order, orderState):
        self.events.put(("openOrder", {"orderId": orderId, "status": orderState.status,
                                       "permId": order.permId, "clientId": order.clientId,
                                       "orderRef": order.orderRef, "symbol": contract.symbol,
                                       "totalQuantity": str(order.totalQuantity)}))

    def orderStatus(self, orderId, status, filled, remaining, avgFillPrice, permId, parentId,
                    lastFillPrice, clientId, whyHeld, mktCapPrice):
        self.events.put(("orderStatus", {"orderId": orderId, "status": status, "filled": str(filled),
                                         "remaining": str(remaining), "avgFillPrice": avgFillPrice,
                                         "permId": permId, "clientId": clientId}))

    def execDetails(self, reqId, contract, execution):
        self.events.put(("execDetails", {"reqId": reqId, "symbol": contract.symbol,
                                         "execId": execution.execId, "side": execution.side,
                                         "shares": str(execution.shares), "price": execution.price,
                                         "orderRef": execution.orderRef, "permId": execution.permId,
                                         "account": execution.acctNumber}))

    def execDetailsEnd(self, reqId):
        self.events.put(("execDetailsEnd", reqId))

    def commissionAndFeesReport(self, commissionAndFeesReport):
        r = commissionAndFeesReport
        self.events.put(("commission", {"execId": r.execId, "commission": r.commissionAndFees,
                                        "currency": r.currency}))

    def position(self, account, contract, position, avgCost):
        self.events.put(("position", {"account": account, "symbol": contract.symbol,
                                      "secType": contract.secType, "conId": contract.conId,
                                      "expiry": contract.lastTradeDateOrContractMonth,
                                      # A stock's contract has no strike: the client's
                                      # "unset" double, shown as null.
                                      "strike": None if contract.strike == UNSET_DOUBLE
                                      else contract.strike,
                                      "right": contract.right,
                                      "multiplier": contract.multiplier,
                                      "position": str(position), "avgCost": avgCost}))

    def positionEnd(self):
        self.events.put(("positionEnd", None))

    def accountSummary(self, reqId, account, tag, value, currency):
        self.events.put(("accountSummary", {"account": account, "tag": tag, "value": value,
                                            "currency": currency}))

    def accountSummaryEnd(self, reqId):
        self.events.put(("accountSummaryEnd", reqId))

    def updateAccountValue(self, key, val, currency, accountName):
        self.events.put(("accountValue", {"key": key, "value": val, "currency": currency}))

    def updatePortfolio(self, contract, position, marketPrice, marketValue, averageCost,
                        unrealizedPNL, realizedPNL, accountName):
        self.events.put(("portfolio", {"symbol": contract.symbol, "position": str(position),
                                       "marketValue": marketValue}))

    def updateAccountTime(self, timeStamp):
        self.events.put(("accountTime", timeStamp))

    def accountDownloadEnd(self, accountName):
        self.events.put(("accountDownloadEnd", accountName))

    def pnl(self, reqId, dailyPnL, unrealizedPnL, realizedPnL):
        self.events.put(("pnl", {"reqId": reqId, "daily": dailyPnL, "unrealized": unrealizedPnL,
                                 "realized": realizedPnL}))

    def collect_until(self, last):
        """Every event up to and including the first named `last`."""
        seen = []
        while True:
            try:
                name, payload = self.events.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                raise SystemExit(f"timed out waiting for {last}; saw {[n for n, _ in seen]}; errors {self.errors}")
            seen.append((name, payload))
            if name == last:
                return seen


def stock(symbol):
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = symbol, "STK", "SMART", "USD"
    return c


def main():
    port = int(sys.argv[1])
    app = App()
    app.connect("127.0.0.1", port, clientId=11)
    reader = threading.Thread(target=app.run, daemon=True)
    reader.start()
    out = {"serverVersion": app.serverVersion()}

    greeting = app.collect_until("nextValidId")
    out["managedAccounts"] = [p for n, p in greeting if n == "managedAccounts"]
    order_id = greeting[-1][1]
    out["nextValidId"] = order_id

    app.reqCurrentTime()
    out["currentTime"] = app.collect_until("currentTime")[-1][1]

    app.reqContractDetails(7001, stock("AAPL"))
    out["contractDetails"] = [p for n, p in app.collect_until("contractDetailsEnd") if n == "contractDetails"]

    order = Order()
    order.action, order.orderType, order.totalQuantity, order.orderRef = "BUY", "MKT", 100, "py-0001"
    app.placeOrder(order_id, stock("AAPL"), order)
    out["orderEvents"] = [{"event": n, **p} for n, p in app.collect_until("commission")]

    app.reqPositions()
    out["positions"] = [p for n, p in app.collect_until("positionEnd") if n == "position"]
    app.cancelPositions()

    app.reqAccountSummary(7002, "All", "NetLiquidation,TotalCashValue")
    out["accountSummary"] = [p for n, p in app.collect_until("accountSummaryEnd") if n == "accountSummary"]
    app.cancelAccountSummary(7002)

    app.reqAccountUpdates(True, "")
    updates = app.collect_until("accountDownloadEnd")
    out["accountValues"] = {f'{p["key"]}/{p["currency"]}': p["value"] for n, p in updates if n == "accountValue"}
    out["portfolio"] = [p for n, p in updates if n == "portfolio"]
    app.reqAccountUpdates(False, "")

    app.reqExecutions(7003, ExecutionFilter())
    out["executions"] = [p for n, p in app.collect_until("execDetailsEnd") if n == "execDetails"]

    app.reqPnL(7004, out["managedAccounts"][0], "")
    out["pnl"] = app.collect_until("pnl")[-1][1]
    app.cancelPnL(7004)

    out["errors"] = app.errors
    app.disconnect()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
