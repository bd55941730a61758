//! Order family in text: placeOrder, cancelOrder, the order queries, openOrder, orderStatus
//! and completedOrder, field for field as IB's decoders read them at server version 176–178.

use super::wire::{Reader, Writer};
use crate::messages::{DecodeError, OrderView, PlaceOrder, Request, StatusView};

/// `3,orderId,contract-12,secIdType,secId,action,totalQuantity,orderType,lmtPrice,auxPrice,tif,
/// ocaGroup,account,openClose,origin,orderRef,transmit,parentId,blockOrder,sweepToFill,
/// displaySize,triggerMethod,outsideRth,hidden,…`, in the order of IB's `placeOrder` at server
/// version `version`. Read up to `lmtPriceOffset`, past the conditional groups a stock order
/// can carry; a combo (BAG) or an order with conditions stops early (neither is simulated).
pub fn decode_place_order(r: &mut Reader, version: i32) -> Result<Request, DecodeError> {
    let order_id = r.int("orderId")?;
    let contract = r.contract()?;
    r.skip(2); // secIdType, secId
    let action = r.str("action")?.to_string();
    let quantity_text = r.str("totalQuantity")?;
    let total_quantity = quantity_text.parse::<f64>().map_err(|_| {
        DecodeError(format!(
            "placeOrder totalQuantity {quantity_text:?} is not a number"
        ))
    })?;
    let mut p = PlaceOrder {
        order_id,
        action,
        total_quantity,
        order_type: r.str("orderType")?.to_string(),
        limit_price: r.float("lmtPrice")?,
        aux_price: r.float("auxPrice")?,
        tif: r.str("tif")?.to_string(),
        oca_group: r.str("ocaGroup")?.to_string(),
        account: r.str("account")?.to_string(),
        ..PlaceOrder::default()
    };
    r.skip(2); // openClose, origin
    p.order_ref = r.str("orderRef")?.to_string();
    p.transmit = r.bool("transmit")?;
    p.parent_id = r.int("parentId")?;
    r.skip(4); // blockOrder, sweepToFill, displaySize, triggerMethod
    p.outside_rth = r.bool("outsideRth")?;
    let combo = contract.sec_type.eq_ignore_ascii_case("BAG");
    p.contract = contract;
    if combo {
        return Ok(Request::PlaceOrder(p));
    }
    // hidden, sharesAllocation, discretionaryAmt, goodAfterTime, goodTillDate, faGroup,
    // faMethod, faPercentage, (faProfile below 177), modelCode, shortSaleSlot,
    // designatedLocation, exemptCode
    r.skip(if version < 177 { 13 } else { 12 });
    p.oca_type = r.int("ocaType")?;
    // rule80A, settlingFirm, allOrNone, minQty, percentOffset, eTradeOnly, firmQuoteOnly,
    // nbboPriceCap, auctionStrategy, startingPrice, stockRefPrice, delta, stockRangeLower,
    // stockRangeUpper, overridePercentageConstraints, volatility, volatilityType
    r.skip(17);
    let delta_neutral = !r.str("deltaNeutralOrderType")?.is_empty();
    r.skip(1); // deltaNeutralAuxPrice
    if delta_neutral {
        r.skip(8); // its conId, settling firm, clearing account and intent, open/close, short sale
    }
    r.skip(2); // continuousUpdate, referencePriceType
    p.trail_stop_price = r.float("trailStopPrice")?;
    p.trailing_percent = r.float("trailingPercent")?;
    r.skip(2); // scaleInitLevelSize, scaleSubsLevelSize
    if r.float("scalePriceIncrement")?.is_some_and(|x| x > 0.0) {
        r.skip(7);
    }
    r.skip(3); // scaleTable, activeStartTime, activeStopTime
    if !r.str("hedgeType")?.is_empty() {
        r.skip(1); // hedgeParam
    }
    r.skip(4); // optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if r.bool("deltaNeutralContract")? {
        r.skip(3);
    }
    if !r.str("algoStrategy")?.is_empty() {
        let params = r.int("algoParams count")?;
        r.skip(2 * usize::try_from(params).unwrap_or(0));
    }
    r.skip(1); // algoId
    p.what_if = r.bool("whatIf")?;
    r.skip(4); // miscOptions, solicited, randomizeSize, randomizePrice
    if p.order_type.eq_ignore_ascii_case("PEG BENCH") {
        r.skip(5);
    }
    if r.int("conditions count")? > 0 {
        p.has_conditions = true;
        return Ok(Request::PlaceOrder(p));
    }
    r.skip(2); // adjustedOrderType, triggerPrice
    p.lmt_price_offset = r.float("lmtPriceOffset")?;
    Ok(Request::PlaceOrder(p))
}

/// `4,1,orderId[,manualOrderCancelTime]`.
pub fn decode_cancel_order(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::CancelOrder {
        order_id: r.int("orderId")?,
    })
}

/// `15,1,autoBind`.
pub fn decode_auto_open_orders(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    Ok(Request::AutoOpenOrders {
        auto_bind: r.bool("autoBind")?,
    })
}

/// `99,apiOnly` (no version field).
pub fn decode_completed_orders(r: &mut Reader) -> Result<Request, DecodeError> {
    Ok(Request::CompletedOrders {
        api_only: r.bool("apiOnly")?,
    })
}

/// `3,orderId,status,filled,remaining,avgFillPrice,permId,parentId,lastFillPrice,clientId,
/// whyHeld,mktCapPrice` (no version field at ≥ 131).
pub fn order_status(s: &StatusView) -> Writer {
    let mut w = Writer::new(3);
    w.int(s.order_id)
        .str(&s.status)
        .decimal(s.filled)
        .decimal(s.remaining)
        .float(s.avg_fill_price);
    w.int(s.perm_id)
        .int(s.parent_id)
        .float(s.last_fill_price)
        .int(s.client_id)
        .str("")
        .float(0.0);
    w
}

/// The order fields openOrder and completedOrder share, from action to faPercentage.
fn order_head(w: &mut Writer, o: &OrderView, with_client_id: bool) {
    w.str(&o.action)
        .decimal(o.total_quantity)
        .str(&o.order_type)
        .opt_float(o.limit_price)
        .opt_float(o.aux_price);
    w.str(&o.tif)
        .str(&o.oca_group)
        .str(&o.account)
        .str("")
        .int(0)
        .str(&o.order_ref);
    if with_client_id {
        w.int(o.client_id);
    }
    w.int(o.perm_id)
        .bool(o.outside_rth)
        .bool(false)
        .float(0.0)
        .str("");
}

/// openOrder at 177–178: the whole field list, unset where a stock MKT/LMT order has no value.
pub fn open_order(o: &OrderView, version: i32) -> Writer {
    let mut w = Writer::new(5);
    w.int(o.order_id);
    w.contract(&o.contract, &o.contract.exchange);
    order_head(&mut w, o, true);
    w.str(""); // sharesAllocation (deprecated)
    w.str("").str("").str(""); // faGroup, faMethod, faPercentage
    if version < 177 {
        w.str(""); // faProfile
    }
    w.str("")
        .str("")
        .str("")
        .opt_float(None)
        .str("")
        .int(0)
        .str("")
        .int(-1); // modelCode … exemptCode
    w.int(0)
        .opt_float(None)
        .opt_float(None)
        .opt_float(None)
        .opt_float(None)
        .opt_float(None); // auctionStrategy … stockRangeUpper
    w.int(0)
        .bool(false)
        .bool(false)
        .bool(false)
        .str("")
        .int(o.oca_type)
        .bool(false)
        .bool(false)
        .opt_float(None); // displaySize … nbboPriceCap
    w.int(o.parent_id)
        .int(0)
        .opt_float(None)
        .str("")
        .str("")
        .opt_float(None); // parentId … deltaNeutralAuxPrice
    w.bool(false)
        .int(0)
        .opt_float(o.trail_stop_price)
        .opt_float(o.trailing_percent)
        .opt_float(None)
        .str("")
        .str(""); // continuousUpdate … comboLegsDescrip
    w.int(0).int(0).int(0); // combo legs, order combo legs, smart routing params
    w.str("").str("").str(""); // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
    w.str(""); // hedgeType
    w.bool(false).str("").str("").bool(false).bool(false); // optOutSmartRouting … deltaNeutralContract present
    w.str(""); // algoStrategy
    w.bool(false).bool(false).str(&o.status);
    w.empty(9); // margin before/change/after
    w.opt_float(o.commission)
        .opt_float(None)
        .opt_float(None)
        .str(&o.commission_currency)
        .str("");
    w.bool(false).bool(false); // randomizeSize, randomizePrice
    w.int(0); // conditions
    w.str("")
        .opt_float(None)
        .opt_float(o.trail_stop_price)
        .opt_float(o.lmt_price_offset)
        .opt_float(None)
        .opt_float(None)
        .opt_float(None)
        .int(0); // adjustedOrderType, triggerPrice, trailStopPrice, lmtPriceOffset, adjusted …
    w.str("").str("").str(""); // soft dollar tier
    w.opt_float(None)
        .bool(false)
        .bool(false)
        .bool(false)
        .str(""); // cashQty … usePriceMgmtAlgo
    w.str("").str("").bool(false); // duration, postToAts, autoCancelParent
    w.str("")
        .str("")
        .opt_float(None)
        .opt_float(None)
        .opt_float(None); // minTradeQty … midOffsetAtHalf
    w
}

/// completedOrder at 177–178.
pub fn completed_order(o: &OrderView, version: i32) -> Writer {
    let mut w = Writer::new(101);
    w.contract(&o.contract, &o.contract.exchange);
    order_head(&mut w, o, false);
    w.str("").str("").str(""); // faGroup, faMethod, faPercentage
    if version < 177 {
        w.str("");
    }
    w.str("")
        .str("")
        .str("")
        .opt_float(None)
        .str("")
        .int(0)
        .str("")
        .int(-1); // modelCode … exemptCode
    w.opt_float(None)
        .opt_float(None)
        .opt_float(None)
        .opt_float(None)
        .opt_float(None); // startingPrice … stockRangeUpper
    w.int(0)
        .bool(false)
        .bool(false)
        .str("")
        .int(o.oca_type)
        .int(0)
        .opt_float(None)
        .str("")
        .str("")
        .opt_float(None); // displaySize … deltaNeutralAuxPrice
    w.bool(false)
        .int(0)
        .opt_float(o.trail_stop_price)
        .opt_float(o.trailing_percent)
        .str(""); // continuousUpdate … comboLegsDescrip
    w.int(0).int(0).int(0);
    w.str("").str("").str("");
    w.str(""); // hedgeType
    w.str("").str("").bool(false).bool(false); // clearingAccount … deltaNeutralContract present
    w.str(""); // algoStrategy
    w.bool(false).str(&o.status).bool(false).bool(false);
    w.int(0); // conditions
    w.opt_float(o.trail_stop_price)
        .opt_float(o.lmt_price_offset)
        .opt_float(None)
        .bool(false)
        .bool(false)
        .str(""); // trailStopPrice … autoCancelDate
    w.decimal(o.filled_quantity)
        .int(0)
        .bool(false)
        .str("")
        .bool(false)
        .int(0)
        .int(0); // filledQuantity … parentPermId
    w.str(&o.completed_time).str(&o.completed_status);
    w.str("")
        .str("")
        .opt_float(None)
        .opt_float(None)
        .opt_float(None);
    w
}
