"""Drives a bracket order through tws-sim with IB's own Python client (ibapi-latest 10.51.1).

Usage: python official_bracket.py PORT CONTROL_PORT

Connects as client id 12 and places IB's documented bracket for 100 AAPL (the market at
190): a parent BUY LMT at 189 and a take-profit SELL LMT at 195, both with transmit=False,
then the stop-loss SELL STP at 185 with transmit=True, which sends all three. Then, through
the control interface, as an operator would, moves AAPL to 189 (the parent fills, the
take-profit starts working) and to 184.5 (the stop-loss triggers and fills, the take-profit is
cancelled). Prints one JSON object with every order event and error in order, for the Rust
test (tests/python_clients.rs) to check. Every wait is bounded.
"""

import json
import socket
import sys
import threading

from official_client import App, stock
from ibapi.order import Order


class BracketApp(App):
    """Records what a bracket's checks need: order id, type, prices and parent of each event."""

    def openOrder(self, orderId, contract, order, orderState):
        self.events.put(("openOrder", {"orderId": orderId, "status": orderState.status,
                                       "orderType": order.orderType, "parentId": order.parentId,
                                       "transmit": order.transmit}))

    def orderStatus(self, orderId, status, filled, remaining, avgFillPrice, permId, parentId,
                    lastFillPrice, clientId, whyHeld, mktCapPrice):
        self.events.put(("orderStatus", {"orderId": orderId, "status": status,
                                         "filled": str(filled), "remaining": str(remaining),
                                         "parentId": parentId}))

    def execDetails(self, reqId, contract, execution):
        self.events.put(("execDetails", {"orderId": execution.orderId,
                                         "shares": str(execution.shares),
                                         "price": execution.price}))

    def commissionAndFeesReport(self, commissionAndFeesReport):
        self.events.put(("commission", {"commission": commissionAndFeesReport.commissionAndFees}))

    def collect_status(self, order_id, status):
        """Every event up to and including orderStatus `status` of `order_id`."""
        seen = []
        while True:
            batch = self.collect_until("orderStatus")
            seen.extend(batch)
            payload = batch[-1][1]
            if payload["orderId"] == order_id and payload["status"] == status:
                return seen


def bracket(parent_id):
    """IB's BracketOrder sample (Python API guide), for a long entry."""
    parent = Order()
    parent.orderId, parent.action, parent.orderType = parent_id, "BUY", "LMT"
    parent.totalQuantity, parent.lmtPrice, parent.transmit = 100, 189.0, False
    profit = Order()
    profit.orderId, profit.action, profit.orderType = parent_id + 1, "SELL", "LMT"
    profit.totalQuantity, profit.lmtPrice = 100, 195.0
    profit.parentId, profit.transmit = parent_id, False
    loss = Order()
    loss.orderId, loss.action, loss.orderType = parent_id + 2, "SELL", "STP"
    loss.totalQuantity, loss.auxPrice = 100, 185.0
    loss.parentId, loss.transmit = parent_id, True
    return [parent, profit, loss]


def control(port, command):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(command.encode() + b"\n")
        reply = s.makefile().readline().strip()
    if not reply.startswith("OK"):
        raise SystemExit(f"control {command!r}: {reply}")


def main():
    port, control_port = int(sys.argv[1]), int(sys.argv[2])
    app = BracketApp()
    app.connect("127.0.0.1", port, clientId=12)
    threading.Thread(target=app.run, daemon=True).start()
    first = app.collect_until("nextValidId")[-1][1]

    out = {}
    for order in bracket(first):
        app.placeOrder(order.orderId, stock("AAPL"), order)
    out["placed"] = app.collect_status(first + 2, "PreSubmitted")

    control(control_port, "price AAPL 189")
    out["parentFilled"] = app.collect_status(first + 1, "Submitted")

    control(control_port, "price AAPL 184.5")
    out["stopped"] = app.collect_status(first + 1, "Cancelled")

    out["errors"] = app.errors
    app.disconnect()
    print(json.dumps({k: v if k == "errors" else [{"event": n, **p} for n, p in v]
                      for k, v in out.items()}))


if __name__ == "__main__":
    main()
