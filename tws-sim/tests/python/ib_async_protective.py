"""Places a protective order through tws-sim with ib_async 2.1.0 (text dialect, version 178).

Usage: python ib_async_protective.py PORT

Client id 22 places a TRAIL LIMIT sell of 10 AAPL (trailing amount 2 in auxPrice, limit
offset 0.5, in OCA group "ia-oca" of type 3) and waits until it is PreSubmitted; client id 23
then reads it back with reqAllOpenOrders, so every field comes from ib_async's own decoding of
the simulator's openOrder. Prints one JSON object for the Rust test (tests/python_clients.rs).
Every wait is bounded.
"""

import asyncio
import json
import sys

from ib_async import IB, Order, Stock

WAIT_SECONDS = 10


async def main(port):
    placer, reader = IB(), IB()
    await placer.connectAsync("127.0.0.1", port, clientId=22, timeout=WAIT_SECONDS)
    contract = Stock("AAPL", "SMART", "USD")
    order = Order(action="SELL", totalQuantity=10, orderType="TRAIL LIMIT", auxPrice=2.0,
                  lmtPriceOffset=0.5, ocaGroup="ia-oca", ocaType=3)
    trade = placer.placeOrder(contract, order)
    for _ in range(WAIT_SECONDS * 20):
        if trade.orderStatus.status == "PreSubmitted":
            break
        await asyncio.sleep(0.05)
    out = {"status": trade.orderStatus.status}

    await reader.connectAsync("127.0.0.1", port, clientId=23, timeout=WAIT_SECONDS)
    trades = await asyncio.wait_for(reader.reqAllOpenOrdersAsync(), WAIT_SECONDS)
    out["open"] = [
        {"orderType": t.order.orderType, "auxPrice": t.order.auxPrice,
         "trailStopPrice": t.order.trailStopPrice, "lmtPriceOffset": t.order.lmtPriceOffset,
         "ocaGroup": t.order.ocaGroup, "ocaType": t.order.ocaType, "parentId": t.order.parentId,
         "status": t.orderStatus.status}
        for t in trades
    ]
    reader.disconnect()
    placer.disconnect()
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
